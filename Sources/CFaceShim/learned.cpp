// The learned models' shared losses (learned.hpp) and the fsx_ae_* functions that work on any of
// them (train, run, save, describe); each model's own file makes and loads it.
#include "learned.hpp"
#include <opencv2/imgproc.hpp>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace fsx::learn {
namespace {

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

Base *as(void *p) { return static_cast<Base *>(p); }

std::string sides(int input, int size) {
    return "input side " + std::to_string(input) + ", output side " + std::to_string(size) +
           " (64 or 128, the same; the autoencoder also 64 -> 128)";
}
}  // namespace

void reconstruction(const float *yp, const float *target, const float *mask, int n, long S, const fsx_ae_hyper &h,
                    float *gp, double out[3]) {
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
    out[0] = l1;
    out[1] = ssim;
    out[2] = mse_mask;
}

double adversarial_generator(Discriminator &disc, resizable_tensor &fake, resizable_tensor &dgrad, double weight,
                             float *gp) {
    const long n = fake.num_samples(), k = fake.k();
    const size_t plane = size_t(fake.nr()) * fake.nc();
    const tensor &d = disc.forward(fake);
    dgrad.copy_size(d);
    const float *dp = d.host();
    float *dg = dgrad.host();
    double loss = 0;
    for (size_t i = 0; i < d.size(); ++i) {
        loss += double(dp[i] - 1) * (dp[i] - 1) / double(d.size());
        dg[i] = float(weight * 2 * (dp[i] - 1) / double(d.size()));
    }
    disc.back_propagate_error(fake, dgrad);
    const float *fg = disc.get_final_data_gradient().host();
    for (long i = 0; i < n; ++i)
        for (size_t p = 0; p < 3 * plane; ++p) gp[size_t(i) * 4 * plane + p] += fg[(size_t(i) * k + k - 3) * plane + p];
    return loss;
}

double adversarial_discriminator(Discriminator &disc, std::vector<adam> &solvers, resizable_tensor &pair,
                                 resizable_tensor &dgrad, float learning_rate) {
    const tensor &d = disc.forward(pair);
    dgrad.copy_size(d);
    const float *dp = d.host();
    float *dg = dgrad.host();
    const size_t half = d.size() / 2;
    double loss = 0;
    for (size_t i = 0; i < d.size(); ++i) {
        const double want = i < half ? 1.0 : 0.0;
        loss += (dp[i] - want) * (dp[i] - want) / double(d.size());
        dg[i] = float(2 * (dp[i] - want) / double(d.size()));
    }
    disc.back_propagate_error(pair, dgrad);
    disc.update_parameters(solvers, learning_rate);
    return loss;
}

void *create(Maker make, const char *what, int input, int size, uint64_t seed) {
    FSX_GUARD_PTR(std::string("creating the ") + what, FS_ERR_INTERNAL, {
        Base *m = make(input, size, seed, true);
        if (!m) fsx::fail(FS_ERR_INVALID_ARGUMENT, std::string(what) + ": " + sides(input, size));
        return m;
    })
}

void *load(Maker make, int input, int size, const uint8_t *data, size_t length, bool training) {
    FSX_GUARD_PTR("model weights", FS_ERR_MODEL, {
        std::unique_ptr<Base> m(make(input, size, 0, false));
        if (!m) {
            fsx::fail(FS_ERR_MODEL, "model weights: " + sides(input, size));
            return nullptr;
        }
        std::istringstream s(std::string(reinterpret_cast<const char *>(data), length), std::ios::binary);
        m->load(s, training);
        if (s.peek() != std::char_traits<char>::eof()) {
            fsx::fail(FS_ERR_MODEL, "model weights: unexpected bytes after the networks");
            return nullptr;
        }
        return m.release();
    })
}

}  // namespace fsx::learn

using fsx::learn::as;

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
    FSX_GUARD("learned model", {
        if (!ae || !input || !output || n <= 0 || which < 0 || which > 1)
            return fsx::fail(FS_ERR_INVALID_ARGUMENT, "learned model: bad arguments");
        as(ae)->run(which, input, n, output, pooled != 0);
        return 0;
    })
}

extern "C" int fsx_ae_counts(void *ae, int64_t out[3]) {
    FSX_GUARD("learned model", {
        as(ae)->counts(out);
        return 0;
    })
}

extern "C" int fsx_ae_describe(void *ae, char **text) {
    FSX_GUARD("learned model", {
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
