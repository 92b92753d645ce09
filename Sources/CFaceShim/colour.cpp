// Colour correction of the warped source towards the target, measured inside the face mask.
#include "cv_common.hpp"
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace {
cv::Mat binary(const fsx_view &mask) {
    cv::Mat b;
    cv::compare(fsx::mat(mask), 127, b, cv::CMP_GT);
    return b;
}

void mean_shift(cv::Mat &src, const cv::Mat &ref, const cv::Mat &m) {
    cv::Scalar ms = cv::mean(src, m), mr = cv::mean(ref, m);
    cv::add(src, mr - ms, src);  // saturating
}

// CIE Lab (D65) from 8-bit sRGB and back, with small tables: OpenCV's own 8-bit Lab conversion
// builds large tables on first use (~80 ms), which a one-shot command would pay every time.
struct LabTables {
    float lin[256];        // sRGB byte -> linear
    uint8_t enc[4097];     // linear in [0,1], 4096 steps -> sRGB byte
    static constexpr int kF = 4096;
    float f[kF + 2];       // Lab's f(t) on t in [0, 1.25], for linear interpolation
    LabTables() {
        for (int i = 0; i <= kF + 1; ++i) {
            double t = 1.25 * i / kF;
            f[i] = (float)(t > 0.008856 ? std::cbrt(t) : 7.787 * t + 16.0 / 116);
        }
        for (int i = 0; i < 256; ++i) {
            double v = i / 255.0;
            lin[i] = (float)(v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4));
        }
        for (int i = 0; i <= 4096; ++i) {
            double v = i / 4096.0;
            double e = v <= 0.0031308 ? 12.92 * v : 1.055 * std::pow(v, 1 / 2.4) - 0.055;
            enc[i] = (uint8_t)std::lround(std::min(1.0, std::max(0.0, e)) * 255);
        }
    }
};
const LabTables &lab_tables() {
    static const LabTables t;
    return t;
}
inline float lab_f(float t) {
    const LabTables &T = lab_tables();
    float x = std::min(std::max(t, 0.0f), 1.25f) * (LabTables::kF / 1.25f);
    int i = (int)x;
    float w = x - i;
    return T.f[i] + (T.f[i + 1] - T.f[i]) * w;
}
inline float lab_finv(float f) { float c = f * f * f; return c > 0.008856f ? c : (f - 16.0f / 116) / 7.787f; }

// 8-bit BGR/RGB (3 channels) -> float Lab (L 0..100).
cv::Mat to_lab(const cv::Mat &src, bool rgb) {
    const LabTables &T = lab_tables();
    cv::Mat out(src.size(), CV_32FC3);
    for (int y = 0; y < src.rows; ++y) {
        const uchar *p = src.ptr<uchar>(y);
        float *o = out.ptr<float>(y);
        for (int x = 0; x < src.cols; ++x, p += 3, o += 3) {
            float r = T.lin[p[rgb ? 0 : 2]], g = T.lin[p[1]], b = T.lin[p[rgb ? 2 : 0]];
            float X = (0.4124564f * r + 0.3575761f * g + 0.1804375f * b) / 0.95047f;
            float Y = 0.2126729f * r + 0.7151522f * g + 0.0721750f * b;
            float Z = (0.0193339f * r + 0.1191920f * g + 0.9503041f * b) / 1.08883f;
            float fx = lab_f(X), fy = lab_f(Y), fz = lab_f(Z);
            o[0] = 116 * fy - 16;
            o[1] = 500 * (fx - fy);
            o[2] = 200 * (fy - fz);
        }
    }
    return out;
}

// float Lab -> 8-bit BGR/RGB, written into dst.
void from_lab(const cv::Mat &lab, cv::Mat &dst, bool rgb) {
    const LabTables &T = lab_tables();
    auto enc = [&T](float v) { int i = (int)(std::min(1.0f, std::max(0.0f, v)) * 4096 + 0.5f); return T.enc[i]; };
    for (int y = 0; y < lab.rows; ++y) {
        const float *l = lab.ptr<float>(y);
        uchar *d = dst.ptr<uchar>(y);
        for (int x = 0; x < lab.cols; ++x, l += 3, d += 3) {
            float fy = (l[0] + 16) / 116, fx = fy + l[1] / 500, fz = fy - l[2] / 200;
            float X = lab_finv(fx) * 0.95047f, Y = lab_finv(fy), Z = lab_finv(fz) * 1.08883f;
            float r = 3.2404542f * X - 1.5371385f * Y - 0.4985314f * Z;
            float g = -0.9692660f * X + 1.8760108f * Y + 0.0415560f * Z;
            float b = 0.0556434f * X - 0.2040259f * Y + 1.0572252f * Z;
            d[rgb ? 0 : 2] = enc(r);
            d[1] = enc(g);
            d[rgb ? 2 : 0] = enc(b);
        }
    }
}

// Reinhard et al. (2001): match mean and standard deviation per channel in Lab, the statistics
// taken inside the mask (over every second pixel).
void reinhard(cv::Mat &src, const cv::Mat &ref, const cv::Mat &m, bool rgb) {
    cv::Mat s = to_lab(src, rgb), ss, rs, ms, r_half;
    cv::resize(s, ss, cv::Size(), 0.5, 0.5, cv::INTER_NEAREST);
    cv::resize(ref, r_half, ss.size(), 0, 0, cv::INTER_NEAREST);
    rs = to_lab(r_half, rgb);
    cv::resize(m, ms, ss.size(), 0, 0, cv::INTER_NEAREST);
    if (cv::countNonZero(ms) < 16) return;
    cv::Scalar mu_s, sd_s, mu_r, sd_r;
    cv::meanStdDev(ss, mu_s, sd_s, ms);
    cv::meanStdDev(rs, mu_r, sd_r, ms);
    float gain[3], offset[3];
    for (int c = 0; c < 3; ++c) {
        double g = sd_s[c] > 1e-6 ? sd_r[c] / sd_s[c] : 1.0;
        g = std::min(3.0, std::max(1.0 / 3.0, g));
        gain[c] = (float)g;
        offset[c] = (float)(mu_r[c] - mu_s[c] * g);
    }
    for (int y = 0; y < s.rows; ++y) {
        float *p = s.ptr<float>(y);
        for (int x = 0; x < s.cols; ++x, p += 3)
            for (int c = 0; c < 3; ++c) p[c] = p[c] * gain[c] + offset[c];
    }
    from_lab(s, src, rgb);
}

void histogram_match(cv::Mat &src, const cv::Mat &ref, const cv::Mat &m) {
    std::vector<cv::Mat> sc, rc;
    cv::split(src, sc);
    cv::split(ref, rc);
    for (size_t c = 0; c < sc.size(); ++c) {
        double hs[256] = {0}, hr[256] = {0};
        for (int y = 0; y < src.rows; ++y) {
            const uchar *a = sc[c].ptr<uchar>(y), *b = rc[c].ptr<uchar>(y), *k = m.ptr<uchar>(y);
            for (int x = 0; x < src.cols; ++x)
                if (k[x]) { hs[a[x]] += 1; hr[b[x]] += 1; }
        }
        double ns = 0, nr = 0;
        for (int i = 0; i < 256; ++i) { ns += hs[i]; nr += hr[i]; }
        if (ns == 0 || nr == 0) return;
        double cs = 0, cr[256], acc = 0;
        for (int i = 0; i < 256; ++i) { acc += hr[i] / nr; cr[i] = acc; }
        cv::Mat lut(1, 256, CV_8U);
        int j = 0;
        for (int i = 0; i < 256; ++i) {
            cs += hs[i] / ns;
            while (j < 255 && cr[j] < cs - 1e-12) ++j;
            lut.at<uchar>(i) = (uchar)j;
        }
        cv::LUT(sc[c], lut, sc[c]);
    }
    cv::merge(sc, src);
}
}  // namespace

extern "C" int fsx_color_transfer(fsx_view src, fsx_view ref, fsx_view mask, int mode) {
    FSX_GUARD("colour", {
        cv::Mat s = fsx::mat(src), r = fsx::mat(ref), m = binary(mask);
        if (cv::countNonZero(m) < 16) return 0;
        bool rgb = src.format == 3 || src.format == 5;
        switch (mode) {
        case 1: mean_shift(s, r, m); break;
        case 2: reinhard(s, r, m, rgb); break;
        case 3: histogram_match(s, r, m); break;
        default: break;
        }
        return 0;
    })
}

extern "C" int fsx_channel_sums(fsx_view img, fsx_view mask, double sums[4], double *pixels) {
    FSX_GUARD("colour", {
        cv::Mat m = fsx::mat(img);
        cv::Mat k = mask.data ? binary(mask) : cv::Mat();
        cv::Scalar s;
        double n;
        if (k.empty()) {
            s = cv::sum(m);
            n = (double)m.total();
        } else {
            n = (double)cv::countNonZero(k);
            s = cv::mean(m, k) * n;
        }
        for (int c = 0; c < 4; ++c) sums[c] = s[c];
        *pixels = n;
        return 0;
    })
}

extern "C" int fsx_add_channels(fsx_view img, const double delta[4]) {
    FSX_GUARD("colour", {
        cv::Mat m = fsx::mat(img);
        cv::add(m, cv::Scalar(delta[0], delta[1], delta[2], delta[3]), m);
        return 0;
    })
}

extern "C" int fsx_mix(fsx_view from, fsx_view dst, double t) {
    FSX_GUARD("mix", {
        cv::Mat a = fsx::mat(from), b = fsx::mat(dst);
        cv::addWeighted(a, 1.0 - t, b, t, 0.0, b);
        return 0;
    })
}
