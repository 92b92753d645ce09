// What the learned conversions (autoencoder.cpp, landmark_gan.cpp) share: dlib DNN building
// blocks, the patch discriminator, the reconstruction and least-squares GAN losses, and the model
// interface behind the fsx_ae_* handle functions (learned.cpp).
//
// Tensors are NCHW floats in [0, 1], channels B, G, R; generator outputs have a 4th channel, the mask.
#pragma once
#include "common.hpp"
#include <dlib/dnn.h>
#include <cstring>
#include <istream>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

namespace fsx::learn {
using namespace dlib;

// Down: 4×4 stride-2 convolution (padding 1) + leaky ReLU. Up: 4×4 stride-2 transposed convolution.
// (Measured on 2 cores with dlib's CPU kernels: transposed convolutions at the low resolution cost
// a seventh of nearest-upsampling + 3×3 convolutions at the high one, whose gemms are thin.)
template <long N, typename SUBNET> using down = leaky_relu<add_layer<con_<N, 4, 4, 2, 2, 1, 1>, SUBNET>>;
template <long N, typename SUBNET> using up_linear = add_layer<cont_<N, 4, 4, 2, 2, 1, 1>, SUBNET>;
template <long N, typename SUBNET> using up = leaky_relu<up_linear<N, SUBNET>>;
// Patch discriminator: S×S×C -> (S/8)² scores (least-squares GAN). C is fixed by setup(): 3 for
// a face alone, more when the face comes with its condition (a landmark map) in front.
using Discriminator = con<1, 3, 3, 1, 1, down<128, down<64, down<32, input_rgb_image>>>>;

// dlib's layers draw their initial weights from std::rand: one seeded initialisation at a time.
inline std::mutex init_mutex;

// The input layer must have seen to_tensor once (it records the sample expansion factor).
template <typename Net> void prime(Net &net) {
    matrix<rgb_pixel> img(8, 8);
    img = rgb_pixel(0, 0, 0);
    resizable_tensor t;
    net.to_tensor(&img, &img + 1, t);
}

// Allocates the layers for inputs of k × nr × nc (drawing the initial weights).
template <typename Net> void setup(Net &net, long k, long nr, long nc) {
    prime(net);
    resizable_tensor x(1, k, nr, nc);
    x = 0;
    net.forward(x);
}

inline void load_tensor(resizable_tensor &t, const float *src, long n, long k, long nr, long nc) {
    t.set_size(n, k, nr, nc);
    std::memcpy(t.host(), src, sizeof(float) * t.size());
}

// Mean losses of one batch: out[0] L1, out[1] 1 - SSIM (both weighted per pixel: 1 inside the
// face mask, h.background_weight outside), out[2] the mask channel's MSE. y: n × 4 × S × S
// (B, G, R, mask), target n × 3 × S × S, mask n × S × S; adds the weighted gradient into grad
// (shaped as y).
void reconstruction(const float *y, const float *target, const float *mask, int n, long S, const fsx_ae_hyper &h,
                    float *grad, double out[3]);

// Least-squares GAN, generator side: the discriminator should score `fake` (n × C × S × S; the
// face is its last 3 channels) as real (1). Returns the loss; adds weight × its gradient with
// respect to the face into grad (n × 4 × S × S, B, G, R of each sample).
double adversarial_generator(Discriminator &d, resizable_tensor &fake, resizable_tensor &dgrad, double weight,
                             float *grad);
// Discriminator side: `pair` holds n real samples then n fakes; real -> 1, fake -> 0, one Adam step.
double adversarial_discriminator(Discriminator &d, std::vector<adam> &solvers, resizable_tensor &pair,
                                 resizable_tensor &dgrad, float learning_rate);

// One learned model behind the fsx_ae_* handle functions.
struct Base {
    virtual ~Base() = default;
    // which: the decoder (autoencoder: 0 = A, 1 = B; the landmark GAN has one generator, 0 or 1).
    virtual void train(int which, const float *in, const float *target, const float *mask, int n,
                       const fsx_ae_hyper &h, float losses[FSX_AE_LOSSES], float *out) = 0;
    virtual void run(int which, const float *in, int n, float *out, bool pooled) = 0;
    virtual void save(std::ostream &out, bool training) = 0;
    virtual void load(std::istream &in, bool training) = 0;
    virtual void counts(int64_t out[3]) = 0;
    virtual std::string describe() = 0;
};

// A model's maker: input and output sides (64 or 128 each; else nullptr when the model has no such
// variant), seeded fresh weights or empty layers to load into.
using Maker = Base *(*)(int input, int size, uint64_t seed, bool fresh);
// What fsx_ae_create / fsx_lgan_create do with their maker (`what` names the model in messages).
void *create(Maker make, const char *what, int input, int size, uint64_t seed);
// What fsx_ae_load / fsx_lgan_load do: deserialises the weights; nullptr + message when they do not fit.
void *load(Maker make, int input, int size, const uint8_t *data, size_t length, bool training);

}  // namespace fsx::learn
