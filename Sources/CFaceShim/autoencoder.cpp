// The learned conversion: one shared encoder, one decoder per identity (A, B), and optionally one
// patch discriminator per identity, built from dlib's DNN layers and trained below dnn_trainer
// (forward / back_propagate_error / update_parameters on each net), so the encoder's gradient is
// the sum of what either decoder asks of it. Losses and their gradients are computed in
// learned.cpp; the training loop, data and file format live in the Swift core (Sources/FaceSwap/Train).
//
// Tensors are NCHW floats in [0, 1], channels B, G, R; decoder outputs have a 4th channel, the mask.
#include "learned.hpp"
#include "pool.hpp"
#include <sstream>
#include <type_traits>

namespace {
using namespace fsx::learn;
constexpr long kBottleneck = 512;

// S×S×3 -> (S/16)² × 256 -> fc 512 (the shared code) -> fc -> (S/16)² × 256 -> up: (S/8)² × 128.
template <long G>
using Encoder = up<128, extract<0, 256, G, G, fc<256 * G * G, fc<kBottleneck,
    down<256, down<128, down<64, down<32, input_rgb_image>>>>>>>>;
// (S/8)² × 128 -> up ×3 -> S×S × 4 (B, G, R, mask), sigmoid.
using Decoder1x = sig<up_linear<4, up<48, up<96, input_rgb_image>>>>;
// The upscaling decoder: one more ×2 stage, narrow (24 channels at S, the mask and colours at 2S):
// (S/8)² × 128 -> 2S×2S × 4, so a 64-px input gives a 128-px face for little more compute.
using Decoder2x = sig<up_linear<4, up<24, up<48, up<96, input_rgb_image>>>>>;

// Input side S = 16G; the decoders' output side O = U·S (U = 1 or 2).
template <long G, long U> struct Model final : Base {
    using Enc = Encoder<G>;
    using Decoder = std::conditional_t<U == 1, Decoder1x, Decoder2x>;
    static constexpr long S = 16 * G, O = U * S;
    struct Inference {
        Enc enc;
        Decoder dec[2];
    };
    Enc enc;
    Decoder dec[2];
    Discriminator disc[2];
    std::vector<adam> s_enc, s_dec[2], s_disc[2];
    std::unique_ptr<fsx::Pool<Inference>> pool;
    std::mutex pool_mu;  // run() makes the pool on first use, possibly from several threads at once
    resizable_tensor x, grad, fake, pair, dgrad;

    explicit Model(uint64_t seed, bool fresh) {
        if (fresh) {
            std::lock_guard<std::mutex> lock(init_mutex);
            std::srand(unsigned(seed ^ (seed >> 32)));
            setup(enc, 3, S, S);
            for (auto &d : dec) setup(d, 128, S / 8, S / 8);
            for (auto &d : disc) setup(d, 3, O, O);
        }
        reset_solvers();
    }
    void reset_solvers() {
        const adam a(0, 0.5f, 0.999f);
        s_enc.assign(Enc::num_computational_layers, a);
        for (auto &s : s_dec) s.assign(Decoder::num_computational_layers, a);
        for (auto &s : s_disc) s.assign(Discriminator::num_computational_layers, a);
    }

    void train(int w, const float *in, const float *target, const float *mask, int n, const fsx_ae_hyper &h,
               float losses[FSX_AE_LOSSES], float *out) override {
        pool.reset();
        load_tensor(x, in, n, 3, S, S);
        const tensor &z = enc.forward(x);
        const tensor &y = dec[w].forward(z);
        grad.copy_size(y);
        grad = 0;
        const float *yp = y.host();
        float *gp = grad.host();
        const size_t plane = size_t(O) * O;
        double rec[3];
        reconstruction(yp, target, mask, n, O, h, gp, rec);
        const double l1 = rec[0], ssim = rec[1], mse_mask = rec[2];
        double gan_g = 0, gan_d = 0;
        if (h.gan_weight > 0) {
            fake.set_size(n, 3, O, O);
            for (int i = 0; i < n; ++i)
                std::memcpy(fake.host() + size_t(i) * 3 * plane, yp + size_t(i) * 4 * plane, sizeof(float) * 3 * plane);
            gan_g = adversarial_generator(disc[w], fake, dgrad, h.gan_weight, gp);
        }
        if (out) std::memcpy(out, yp, sizeof(float) * y.size());
        dec[w].back_propagate_error(z, grad);
        enc.back_propagate_error(x, dec[w].get_final_data_gradient());
        dec[w].update_parameters(s_dec[w], h.learning_rate);
        enc.update_parameters(s_enc, h.learning_rate);
        if (h.gan_weight > 0) {
            pair.set_size(2 * n, 3, O, O);
            std::memcpy(pair.host(), target, sizeof(float) * 3 * plane * n);
            std::memcpy(pair.host() + 3 * plane * n, fake.host(), sizeof(float) * 3 * plane * n);
            gan_d = adversarial_discriminator(disc[w], s_disc[w], pair, dgrad, h.learning_rate);
        }
        losses[0] = float(h.l1_weight * l1 + h.ssim_weight * ssim + h.mask_weight * mse_mask + h.gan_weight * gan_g);
        losses[1] = float(l1);
        losses[2] = float(ssim);
        losses[3] = float(mse_mask);
        losses[4] = float(gan_g);
        losses[5] = float(gan_d);
    }

    void run(int w, const float *in, int n, float *out, bool pooled) override {
        auto body = [&](Enc &e, Decoder &d) {
            resizable_tensor t;
            load_tensor(t, in, n, 3, S, S);
            const tensor &y = d.forward(e.forward(t));
            std::memcpy(out, y.host(), sizeof(float) * y.size());
        };
        if (!pooled) return body(enc, dec[w]);
        fsx::Pool<Inference> *p;
        {
            std::lock_guard<std::mutex> lock(pool_mu);
            if (!pool) {
                auto proto = std::make_unique<Inference>(Inference{enc, {dec[0], dec[1]}});
                pool = std::make_unique<fsx::Pool<Inference>>(std::move(proto));
            }
            p = pool.get();
        }
        p->with([&](Inference &m) { body(m.enc, m.dec[w]); });
    }

    void save(std::ostream &out, bool training) override {
        // Drop cached outputs and gradients (dlib serialises them): the next step recomputes them.
        enc.clean();
        for (auto &d : dec) d.clean();
        for (auto &d : disc) d.clean();
        serialize(enc, out);
        serialize(dec[0], out);
        serialize(dec[1], out);
        if (!training) return;
        serialize(disc[0], out);
        serialize(disc[1], out);
        serialize(s_enc, out);
        for (auto &s : s_dec) serialize(s, out);
        for (auto &s : s_disc) serialize(s, out);
    }
    void load(std::istream &in, bool training) override {
        deserialize(enc, in);
        deserialize(dec[0], in);
        deserialize(dec[1], in);
        prime(enc);
        for (auto &d : dec) prime(d);
        if (training) {
            deserialize(disc[0], in);
            deserialize(disc[1], in);
            for (auto &d : disc) prime(d);
            deserialize(s_enc, in);
            for (auto &s : s_dec) deserialize(s, in);
            for (auto &s : s_disc) deserialize(s, in);
        }
        pool.reset();
    }
    void counts(int64_t out[3]) override {
        out[0] = int64_t(count_parameters(enc));
        out[1] = int64_t(count_parameters(dec[0]));
        out[2] = int64_t(count_parameters(disc[0]));
    }
    std::string describe() override {
        std::ostringstream s;
        s << "encoder (shared)\n" << enc << "\ndecoder (one per identity)\n" << dec[0]
          << "\ndiscriminator (one per identity, adversarial option)\n" << disc[0] << "\n";
        return s.str();
    }
};

Base *make(int input, int size, uint64_t seed, bool fresh) {
    if (input == 64 && size == 64) return new Model<4, 1>(seed, fresh);
    if (input == 128 && size == 128) return new Model<8, 1>(seed, fresh);
    if (input == 64 && size == 128) return new Model<4, 2>(seed, fresh);
    return nullptr;
}

}  // namespace

extern "C" void *fsx_ae_create(int input, int size, uint64_t seed) { return create(make, "autoencoder", input, size, seed); }

extern "C" void *fsx_ae_load(int input, int size, const uint8_t *data, size_t length, int training) {
    return load(make, input, size, data, length, training != 0);
}
