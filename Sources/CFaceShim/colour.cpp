// Colour correction of the warped source towards the target, measured inside the face mask.
#include "cv_common.hpp"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>
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
    LabTables() {
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
        switch (mode) {
        case 1: mean_shift(s, r, m); break;
        case 2: return fsx_color_transfer_rows(src, ref, mask, nullptr, 0, 2, 1.0);
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

// ---- colour correction on the face's rows only, Lab in straight-line float code ----
//
// The same Reinhard transfer as above, restricted to the pixels the blend will read (row spans)
// and written so that the compiler vectorises the Lab arithmetic: bytes to linear light by a
// 256-entry table, the cube root by a bit-level first guess and Newton steps, back to bytes by
// a 4097-entry table. Statistics come from every fourth pixel of every fourth row inside the
// mask (some 16,000 pixels on a 500-px face).
namespace {
inline float cbrt_v(float t) {  // t > 0: t · t^(-2/3), the inverse cube root by division-free Newton steps
    int32_t i;
    std::memcpy(&i, &t, 4);
    i = 0x54a2fa8c - (int32_t)((float)i * (1.0f / 3.0f));  // t^(-1/3) to a few per cent
    float r;
    std::memcpy(&r, &i, 4);
    for (int k = 0; k < 3; ++k) r = r * (4.0f - t * r * r * r) * (1.0f / 3.0f);
    return t * r * r;
}
inline float f_lab(float t) {
    t = std::min(std::max(t, 1e-7f), 1.25f);
    return t > 0.008856f ? cbrt_v(t) : 7.787f * t + 16.0f / 116;
}

}  // namespace

// Shared with the occlusion mask (declared in cv_common.hpp).
namespace fsx {
void row_to_lab(const uchar *p, int n, int ch, bool rgb, LabRow &w) {
    const LabTables &T = lab_tables();
    w.resize(n);
    const int ri = rgb ? 0 : 2, bi = rgb ? 2 : 0;
    for (int i = 0; i < n; ++i) { w.r[i] = T.lin[p[i * ch + ri]]; w.g[i] = T.lin[p[i * ch + 1]]; w.b[i] = T.lin[p[i * ch + bi]]; }
    float *L = w.L.data(), *A = w.A.data(), *B = w.B.data();
    const float *r = w.r.data(), *g = w.g.data(), *b = w.b.data();
    for (int i = 0; i < n; ++i) {
        float X = (0.4124564f * r[i] + 0.3575761f * g[i] + 0.1804375f * b[i]) * (1 / 0.95047f);
        float Y = 0.2126729f * r[i] + 0.7151522f * g[i] + 0.0721750f * b[i];
        float Z = (0.0193339f * r[i] + 0.1191920f * g[i] + 0.9503041f * b[i]) * (1 / 1.08883f);
        float fx = f_lab(X), fy = f_lab(Y), fz = f_lab(Z);
        L[i] = 116 * fy - 16;
        A[i] = 500 * (fx - fy);
        B[i] = 200 * (fy - fz);
    }
}
}  // namespace fsx
using fsx::LabRow;
using fsx::row_to_lab;

namespace {
inline float finv_v(float f) { float c = f * f * f; return c > 0.008856f ? c : (f - 16.0f / 116) * (1 / 7.787f); }

// w.L/A/B -> bytes into p, mixed with p's own values by strength s (1: the new colour).
void row_from_lab(uchar *p, int n, int ch, bool rgb, LabRow &w, float s) {
    const LabTables &T = lab_tables();
    float *r = w.r.data(), *g = w.g.data(), *b = w.b.data();
    const float *L = w.L.data(), *A = w.A.data(), *B = w.B.data();
    for (int i = 0; i < n; ++i) {
        float fy = (L[i] + 16) * (1 / 116.0f), fx = fy + A[i] * (1 / 500.0f), fz = fy - B[i] * (1 / 200.0f);
        float X = finv_v(fx) * 0.95047f, Y = finv_v(fy), Z = finv_v(fz) * 1.08883f;
        float rr = 3.2404542f * X - 1.5371385f * Y - 0.4985314f * Z;
        float gg = -0.9692660f * X + 1.8760108f * Y + 0.0415560f * Z;
        float bb = 0.0556434f * X - 0.2040259f * Y + 1.0572252f * Z;
        r[i] = std::min(1.0f, std::max(0.0f, rr)) * 4096 + 0.5f;
        g[i] = std::min(1.0f, std::max(0.0f, gg)) * 4096 + 0.5f;
        b[i] = std::min(1.0f, std::max(0.0f, bb)) * 4096 + 0.5f;
    }
    const int ri = rgb ? 0 : 2, bi = rgb ? 2 : 0;
    for (int i = 0; i < n; ++i) {
        uchar *q = p + i * ch;
        uchar nr = T.enc[(int)r[i]], ng = T.enc[(int)g[i]], nb = T.enc[(int)b[i]];
        if (s >= 1) { q[ri] = nr; q[1] = ng; q[bi] = nb; continue; }
        q[ri] = (uchar)(q[ri] + (nr - q[ri]) * s + 0.5f);
        q[1] = (uchar)(q[1] + (ng - q[1]) * s + 0.5f);
        q[bi] = (uchar)(q[bi] + (nb - q[bi]) * s + 0.5f);
    }
}

// Mean and standard deviation in Lab of img where mask > 127, every fourth pixel of every fourth row.
bool lab_stats(const fsx_view &img, const fsx_view &mask, const int32_t *spans, bool rgb, double mu[3], double sd[3]) {
    const int ch = fsx::channels_of(img.format);
    double s[3] = {0, 0, 0}, q[3] = {0, 0, 0}, n = 0;
    std::vector<uchar> px;
    LabRow w;
    for (int y = 0; y < img.height; y += 4) {
        int x0, x1;
        fsx::row_span(spans, y, img.width, 0, x0, x1);
        x0 = (x0 + 3) & ~3;  // the same columns on every row
        const uchar *m = (const uchar *)mask.data + y * mask.stride;
        const uchar *p = (const uchar *)img.data + y * img.stride;
        px.clear();
        for (int x = x0; x < x1; x += 4)
            if (m[x] > 127) px.insert(px.end(), p + x * ch, p + x * ch + ch);
        const int k = (int)(px.size() / ch);
        if (!k) continue;
        row_to_lab(px.data(), k, ch, rgb, w);
        for (int i = 0; i < k; ++i) {
            s[0] += w.L[i]; s[1] += w.A[i]; s[2] += w.B[i];
            q[0] += (double)w.L[i] * w.L[i]; q[1] += (double)w.A[i] * w.A[i]; q[2] += (double)w.B[i] * w.B[i];
        }
        n += k;
    }
    if (n < 16) return false;
    for (int c = 0; c < 3; ++c) {
        mu[c] = s[c] / n;
        sd[c] = std::sqrt(std::max(0.0, q[c] / n - mu[c] * mu[c]));
    }
    return true;
}
}  // namespace

extern "C" int fsx_color_transfer_rows(fsx_view src, fsx_view ref, fsx_view mask, const int32_t *spans, int margin,
                                       int mode, double strength) {
    FSX_GUARD("colour", {
        const int ch = fsx::channels_of(src.format);
        if (mode == 2 && ch < 3) return 0;  // Lab needs colour: a grey image is left as it is
        if (mode != 2) {  // the other modes: whole-region code above, then the mix
            if (strength >= 1) return fsx_color_transfer(src, ref, mask, mode);
            cv::Mat before = fsx::mat(src).clone();
            int rc = fsx_color_transfer(src, ref, mask, mode);
            if (rc) return rc;
            cv::Mat s = fsx::mat(src);
            cv::addWeighted(before, 1.0 - strength, s, strength, 0.0, s);
            return 0;
        }
        const bool rgb = src.format == 3 || src.format == 5;
        double ms[3], ss[3], mr[3], sr[3];
        if (!lab_stats(src, mask, spans, rgb, ms, ss) || !lab_stats(ref, mask, spans, rgb, mr, sr)) return 0;
        float gain[3], offset[3];
        for (int c = 0; c < 3; ++c) {
            double g = ss[c] > 1e-6 ? sr[c] / ss[c] : 1.0;
            g = std::min(3.0, std::max(1.0 / 3.0, g));
            gain[c] = (float)g;
            offset[c] = (float)(mr[c] - ms[c] * g);
        }
        LabRow w;
        for (int y = 0; y < src.height; ++y) {
            int x0, x1;
            fsx::row_span(spans, y, src.width, margin, x0, x1);
            if (x0 >= x1) continue;
            uchar *p = (uchar *)src.data + y * src.stride + x0 * ch;
            const int n = x1 - x0;
            row_to_lab(p, n, ch, rgb, w);
            float *L = w.L.data(), *A = w.A.data(), *B = w.B.data();
            for (int i = 0; i < n; ++i) {
                L[i] = L[i] * gain[0] + offset[0];
                A[i] = A[i] * gain[1] + offset[1];
                B[i] = B[i] * gain[2] + offset[2];
            }
            row_from_lab(p, n, ch, rgb, w, (float)strength);
        }
        return 0;
    })
}
