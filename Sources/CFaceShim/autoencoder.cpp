// The learned conversion: one shared encoder, one decoder per identity (A, B), and optionally one
// patch discriminator per identity, built from dlib's DNN layers and trained below dnn_trainer
// (forward / back_propagate_error / update_parameters on each net), so the encoder's gradient is
// the sum of what either decoder asks of it. Losses and their gradients are computed here; the
// training loop, data and file format live in the Swift core (Sources/FaceSwap/Train).
//
// Tensors are NCHW floats in [0, 1], channels B, G, R; decoder outputs have a 4th channel, the mask.
#include "common.hpp"
#include "pool.hpp"
#include <dlib/dnn.h>
#include <opencv2/imgproc.hpp>
#include <cmath>
#include <cstring>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace {
using namespace dlib;

// Down: 4×4 stride-2 convolution (padding 1) + leaky ReLU. Up: 4×4 stride-2 transposed convolution.
// (Measured on 2 cores with dlib's CPU kernels: transposed convolutions at the low resolution cost
// a seventh of nearest-upsampling + 3×3 convolutions at the high one, whose gemms are thin.)
template <long N, typename SUBNET> using down = leaky_relu<add_layer<con_<N, 4, 4, 2, 2, 1, 1>, SUBNET>>;
template <long N, typename SUBNET> using up_linear = add_layer<cont_<N, 4, 4, 2, 2, 1, 1>, SUBNET>;
template <long N, typename SUBNET> using up = leaky_relu<up_linear<N, SUBNET>>;
constexpr long kBottleneck = 512;

// S×S×3 -> (S/16)² × 256 -> fc 512 (the shared code) -> fc -> (S/16)² × 256 -> up: (S/8)² × 128.
template <long G>
using Encoder = up<128, extract<0, 256, G, G, fc<256 * G * G, fc<kBottleneck,
    down<256, down<128, down<64, down<32, input_rgb_image>>>>>>>>;
// (S/8)² × 128 -> up ×3 -> S×S × 4 (B, G, R, mask), sigmoid.
using Decoder = sig<up_linear<4, up<48, up<96, input_rgb_image>>>>;
// Patch discriminator: S×S×3 -> (S/8)² scores (least-squares GAN).
using Discriminator = con<1, 3, 3, 1, 1, down<128, down<64, down<32, input_rgb_image>>>>;

std::mutex g_init_mutex;  // dlib's layers draw their initial weights from std::rand

// The input layer must have seen to_tensor once (it records the sample expansion factor).
template <typename Net> void prime(Net &net) {
    matrix<rgb_pixel> img(8, 8);
    img = rgb_pixel(0, 0, 0);
    resizable_tensor t;
    net.to_tensor(&img, &img + 1, t);
}

template <typename Net> void setup(Net &net, long k, long nr, long nc) {
    prime(net);
    resizable_tensor x(1, k, nr, nc);
    x = 0;
    net.forward(x);
}

void load_tensor(resizable_tensor &t, const float *src, long n, long k, long nr, long nc) {
    t.set_size(n, k, nr, nc);
    std::memcpy(t.host(), src, sizeof(float) * t.size());
}

// Sums of a w×h plane over the (2r+1)² window centred at each pixel (zero outside): OpenCV's
// unnormalised box filter with a zero border. (It replaced an integral image of our own: on real
// face crops the SSIM losses agreed to 3e-12 relative, and it is as fast at 64² and 128².)
void box_sums(const double *src, double *dst, int w, int h, int r) {
    const cv::Mat in(h, w, CV_64F, const_cast<double *>(src));
    cv::Mat out(h, w, CV_64F, dst);
    cv::boxFilter(in, out, CV_64F, cv::Size(2 * r + 1, 2 * r + 1), cv::Point(-1, -1), false, cv::BORDER_CONSTANT);
    if (out.data != reinterpret_cast<uchar *>(dst)) throw std::logic_error("box_sums: the output was reallocated");
}

// Weighted mean SSIM over 7×7 box windows of one channel (x: output, y: target, weight per
// window centre); returns 1 - SSIM and adds scale × d(1 - SSIM)/dx into grad.
double ssim_loss(const float *x, const float *y, const float *weight, int w, int h, double scale, float *grad) {
    const int r = 3;
    const double n = double((2 * r + 1) * (2 * r + 1)), c1 = 1e-4, c2 = 9e-4;
    const size_t len = size_t(w) * h;
    std::vector<double> sx(len), sy(len), sxx(len), syy(len), sxy(len), tmp(len);
    for (size_t i = 0; i < len; ++i) tmp[i] = x[i];
    box_sums(tmp.data(), sx.data(), w, h, r);
    for (size_t i = 0; i < len; ++i) tmp[i] = y[i];
    box_sums(tmp.data(), sy.data(), w, h, r);
    for (size_t i = 0; i < len; ++i) tmp[i] = double(x[i]) * x[i];
    box_sums(tmp.data(), sxx.data(), w, h, r);
    for (size_t i = 0; i < len; ++i) tmp[i] = double(y[i]) * y[i];
    box_sums(tmp.data(), syy.data(), w, h, r);
    for (size_t i = 0; i < len; ++i) tmp[i] = double(x[i]) * y[i];
    box_sums(tmp.data(), sxy.data(), w, h, r);

    // Windows wholly inside the image only.
    double total_w = 0;
    for (int yy = r; yy < h - r; ++yy)
        for (int xx = r; xx < w - r; ++xx) total_w += weight ? weight[yy * w + xx] : 1.0;
    if (total_w <= 0) return 0;
    std::vector<double> alpha(len, 0.0), beta(len, 0.0), gamma(len, 0.0);
    double ssim = 0;
    for (int yy = r; yy < h - r; ++yy) {
        for (int xx = r; xx < w - r; ++xx) {
            const size_t i = size_t(yy) * w + xx;
            const double c = (weight ? weight[i] : 1.0) / total_w;
            const double mx = sx[i] / n, my = sy[i] / n;
            const double vx = std::max(0.0, sxx[i] / n - mx * mx), vy = std::max(0.0, syy[i] / n - my * my);
            const double cxy = sxy[i] / n - mx * my;
            const double a1 = 2 * mx * my + c1, a2 = 2 * cxy + c2, b1 = mx * mx + my * my + c1, b2 = vx + vy + c2;
            const double s = a1 * a2 / (b1 * b2);
            ssim += c * s;
            const double k = -c * (2 / n) / (b1 * b2);  // d(1 - S)/d· = -dS/d·
            alpha[i] = k * (my * a2 - a1 * my - s * mx * b2 + s * b1 * mx);
            beta[i] = k * a1;
            gamma[i] = -k * s * b1;
        }
    }
    std::vector<double> ga(len), gb(len), gg(len);
    box_sums(alpha.data(), ga.data(), w, h, r);
    box_sums(beta.data(), gb.data(), w, h, r);
    box_sums(gamma.data(), gg.data(), w, h, r);
    for (size_t i = 0; i < len; ++i) grad[i] += float(scale * (ga[i] + gb[i] * y[i] + gg[i] * x[i]));
    return 1 - ssim;
}

struct Base {
    virtual ~Base() = default;
    virtual int size() const = 0;
    virtual void train(int which, const float *in, const float *target, const float *mask, int n,
                       const fsx_ae_hyper &h, float losses[FSX_AE_LOSSES], float *out) = 0;
    virtual void run(int which, const float *in, int n, float *out, bool pooled) = 0;
    virtual void save(std::ostream &out, bool training) = 0;
    virtual void load(std::istream &in, bool training) = 0;
    virtual void counts(int64_t out[3]) = 0;
    virtual std::string describe() = 0;
};

template <long G> struct Model final : Base {
    using Enc = Encoder<G>;
    static constexpr long S = 16 * G;
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
            std::lock_guard<std::mutex> lock(g_init_mutex);
            std::srand(unsigned(seed ^ (seed >> 32)));
            setup(enc, 3, S, S);
            for (auto &d : dec) setup(d, 128, S / 8, S / 8);
            for (auto &d : disc) setup(d, 3, S, S);
        }
        reset_solvers();
    }
    void reset_solvers() {
        const adam a(0, 0.5f, 0.999f);
        s_enc.assign(Enc::num_computational_layers, a);
        for (auto &s : s_dec) s.assign(Decoder::num_computational_layers, a);
        for (auto &s : s_disc) s.assign(Discriminator::num_computational_layers, a);
    }
    int size() const override { return int(S); }

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
        const size_t plane = size_t(S) * S;
        double l1 = 0, ssim = 0, mse_mask = 0;
        std::vector<float> weight(plane);
        for (int i = 0; i < n; ++i) {
            const float *m = mask + i * plane;
            double wsum = 0;
            for (size_t p = 0; p < plane; ++p) {
                weight[p] = h.background_weight + (1 - h.background_weight) * m[p];
                wsum += weight[p];
            }
            for (int c = 0; c < 3; ++c) {
                const float *yo = yp + (size_t(i) * 4 + c) * plane, *t = target + (size_t(i) * 3 + c) * plane;
                float *g = gp + (size_t(i) * 4 + c) * plane;
                const double scale = h.l1_weight / (wsum * 3 * n);
                double s = 0;
                for (size_t p = 0; p < plane; ++p) {
                    const double d = yo[p] - t[p];
                    s += weight[p] * std::fabs(d);
                    g[p] += float(scale * weight[p] * (d > 0 ? 1 : d < 0 ? -1 : 0));
                }
                l1 += s / (wsum * 3 * n);
                ssim += ssim_loss(yo, t, weight.data(), int(S), int(S), h.ssim_weight / (3.0 * n), g) / (3.0 * n);
            }
            const float *ym = yp + (size_t(i) * 4 + 3) * plane;
            float *g = gp + (size_t(i) * 4 + 3) * plane;
            for (size_t p = 0; p < plane; ++p) {
                const double d = ym[p] - m[p];
                mse_mask += d * d / double(plane * n);
                g[p] += float(h.mask_weight * 2 * d / double(plane * n));
            }
        }
        double gan_g = 0, gan_d = 0;
        if (h.gan_weight > 0) {
            // Generator: the discriminator should score the fake as real (1), least squares.
            fake.set_size(n, 3, S, S);
            for (int i = 0; i < n; ++i)
                std::memcpy(fake.host() + size_t(i) * 3 * plane, yp + size_t(i) * 4 * plane, sizeof(float) * 3 * plane);
            const tensor &d = disc[w].forward(fake);
            dgrad.copy_size(d);
            const float *dp = d.host();
            float *dg = dgrad.host();
            for (size_t k = 0; k < d.size(); ++k) {
                gan_g += double(dp[k] - 1) * (dp[k] - 1) / double(d.size());
                dg[k] = float(h.gan_weight * 2 * (dp[k] - 1) / double(d.size()));
            }
            disc[w].back_propagate_error(fake, dgrad);
            const float *fg = disc[w].get_final_data_gradient().host();
            for (int i = 0; i < n; ++i)
                for (size_t p = 0; p < 3 * plane; ++p) gp[size_t(i) * 4 * plane + p] += fg[size_t(i) * 3 * plane + p];
        }
        if (out) std::memcpy(out, yp, sizeof(float) * y.size());
        dec[w].back_propagate_error(z, grad);
        enc.back_propagate_error(x, dec[w].get_final_data_gradient());
        dec[w].update_parameters(s_dec[w], h.learning_rate);
        enc.update_parameters(s_enc, h.learning_rate);
        if (h.gan_weight > 0) {
            // Discriminator: real targets -> 1, the (now fixed) fakes -> 0.
            pair.set_size(2 * n, 3, S, S);
            std::memcpy(pair.host(), target, sizeof(float) * 3 * plane * n);
            std::memcpy(pair.host() + 3 * plane * n, fake.host(), sizeof(float) * 3 * plane * n);
            const tensor &d = disc[w].forward(pair);
            dgrad.copy_size(d);
            const float *dp = d.host();
            float *dg = dgrad.host();
            const size_t half = d.size() / 2;
            for (size_t k = 0; k < d.size(); ++k) {
                const double want = k < half ? 1.0 : 0.0;
                gan_d += (dp[k] - want) * (dp[k] - want) / double(d.size());
                dg[k] = float(2 * (dp[k] - want) / double(d.size()));
            }
            disc[w].back_propagate_error(pair, dgrad);
            disc[w].update_parameters(s_disc[w], h.learning_rate);
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

Base *make(int size, uint64_t seed, bool fresh) {
    if (size == 64) return new Model<4>(seed, fresh);
    if (size == 128) return new Model<8>(seed, fresh);
    return nullptr;
}

Base *as(void *p) { return static_cast<Base *>(p); }
}  // namespace

extern "C" void *fsx_ae_create(int size, uint64_t seed) {
    FSX_GUARD_PTR("creating the autoencoder", FS_ERR_INTERNAL, {
        Base *m = make(size, seed, true);
        if (!m) fsx::fail(FS_ERR_INVALID_ARGUMENT, "autoencoder input size " + std::to_string(size) + " (64 or 128)");
        return m;
    })
}

extern "C" void fsx_ae_free(void *ae) { delete as(ae); }

extern "C" int fsx_ae_train_step(void *ae, int which, const float *input, const float *target, const float *mask, int n,
                                 const fsx_ae_hyper *hyper, float losses[FSX_AE_LOSSES], float *output) {
    FSX_GUARD("training step", {
        if (!ae || !input || !target || !mask || !hyper || n <= 0 || which < 0 || which > 1)
            return fsx::fail(FS_ERR_INVALID_ARGUMENT, "training step: bad arguments");
        as(ae)->train(which, input, target, mask, n, *hyper, losses, output);
        for (int i = 0; i < FSX_AE_LOSSES; ++i)
            if (!std::isfinite(losses[i]))
                return fsx::fail(FS_ERR_INTERNAL, "training diverged (a loss is not finite); lower the learning rate");
        return 0;
    })
}

extern "C" int fsx_ae_run(void *ae, int which, const float *input, int n, float *output, int pooled) {
    FSX_GUARD("autoencoder", {
        if (!ae || !input || !output || n <= 0 || which < 0 || which > 1)
            return fsx::fail(FS_ERR_INVALID_ARGUMENT, "autoencoder: bad arguments");
        as(ae)->run(which, input, n, output, pooled != 0);
        return 0;
    })
}

extern "C" int fsx_ae_size(void *ae) { return ae ? as(ae)->size() : 0; }

extern "C" int fsx_ae_counts(void *ae, int64_t out[3]) {
    FSX_GUARD("autoencoder", {
        as(ae)->counts(out);
        return 0;
    })
}

extern "C" int fsx_ae_describe(void *ae, char **text) {
    FSX_GUARD("autoencoder", {
        std::string s = as(ae)->describe();
        *text = static_cast<char *>(std::malloc(s.size() + 1));
        if (!*text) return fsx::fail(FS_ERR_OUT_OF_MEMORY, "out of memory");
        std::memcpy(*text, s.c_str(), s.size() + 1);
        return 0;
    })
}

extern "C" int fsx_ae_save(void *ae, int training, uint8_t **out, size_t *size) {
    FSX_GUARD("saving the model", {
        std::ostringstream s(std::ios::binary);
        as(ae)->save(s, training != 0);
        const std::string bytes = s.str();
        *out = static_cast<uint8_t *>(std::malloc(bytes.size() ? bytes.size() : 1));
        if (!*out) return fsx::fail(FS_ERR_OUT_OF_MEMORY, "out of memory");
        std::memcpy(*out, bytes.data(), bytes.size());
        *size = bytes.size();
        return 0;
    })
}

extern "C" void *fsx_ae_load(int size, const uint8_t *data, size_t length, int training) {
    FSX_GUARD_PTR("model weights", FS_ERR_MODEL, {
        std::unique_ptr<Base> m(make(size, 0, false));
        if (!m) {
            fsx::fail(FS_ERR_MODEL, "model weights: input size " + std::to_string(size) + " is not 64 or 128");
            return nullptr;
        }
        std::istringstream s(std::string(reinterpret_cast<const char *>(data), length), std::ios::binary);
        m->load(s, training != 0);
        if (s.peek() != std::char_traits<char>::eof()) {
            fsx::fail(FS_ERR_MODEL, "model weights: unexpected bytes after the networks");
            return nullptr;
        }
        return m.release();
    })
}
