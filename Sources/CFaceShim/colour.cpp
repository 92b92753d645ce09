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

// ---- the seam: a low-frequency colour and light match in the mask's outer band ----
//
// The global transfer above matches the face as a whole; a shadow on one cheek or a redder jaw
// in the target still shows as a step where the pasted skin meets the target's. Here the Lab
// difference target − src is taken on a coarse grid (cells of sigma / 3) over the mask's outer
// band, smoothed by a normalised Gaussian (sigma: only low frequencies, no features), and added
// to src with a weight that is 1 at the mask's edge and falls to 0 at `band` pixels inside it, so
// the face's interior (the features, the identity) keeps the global match alone. Tuned on
// issue 16's pairs: the band still moves the recognizer's identity towards the target's (hence
// off by default, fs_swap_options.edge_color).
namespace {
// Lab of an 8-bit image into a float image of 3 channels (row_to_lab row by row).
cv::Mat image_to_lab(const cv::Mat &img, bool rgb) {
    cv::Mat lab(img.rows, img.cols, CV_32FC3);
    LabRow w;
    for (int y = 0; y < img.rows; ++y) {
        row_to_lab(img.ptr<uchar>(y), img.cols, img.channels(), rgb, w);
        float *o = lab.ptr<float>(y);
        for (int x = 0; x < img.cols; ++x) { o[3 * x] = w.L[x]; o[3 * x + 1] = w.A[x]; o[3 * x + 2] = w.B[x]; }
    }
    return lab;
}
}  // namespace

extern "C" int fsx_color_edge(fsx_view src, fsx_view ref, fsx_view mask, const int32_t *spans, int margin,
                              double band, double sigma, double strength) {
    FSX_GUARD("colour", {
        const int ch = fsx::channels_of(src.format);
        if (ch < 3 || strength <= 0 || band <= 0 || sigma <= 0) return 0;
        const bool rgb = src.format == 3 || src.format == 5;
        const int W = src.width, H = src.height;
        // The coarse grid: cells of cs × cs pixels; per cell the mean of src and ref and the mask's
        // coverage, summed over the mask's spans only (cells outside them stay empty).
        const int cs = std::max(1, (int)std::lround(sigma / 3));
        const int gw = (W + cs - 1) / cs, gh = (H + cs - 1) / cs;
        std::vector<double> sum_s(3 * gw * gh, 0.0), sum_r(3 * gw * gh, 0.0), cover(gw * gh, 0.0);
        // Per cell also the spread of ref's brightness (sum and sum of squares of b + g + r, and the
        // pixel count): texture, which tells hair and beard from shading.
        std::vector<double> tex1(gw * gh, 0.0), tex2(gw * gh, 0.0), texn(gw * gh, 0.0);
        for (int y = 0; y < H; ++y) {
            int x0, x1;
            fsx::row_span(spans, y, W, 0, x0, x1);
            const uchar *ps = (const uchar *)src.data + (size_t)y * src.stride;
            const uchar *pr = (const uchar *)ref.data + (size_t)y * ref.stride;
            const uchar *pm = (const uchar *)mask.data + (size_t)y * mask.stride;
            for (int bx = x0 / cs; bx * cs < x1; ++bx) {  // one cell's part of the row at a time
                int as[3] = {0, 0, 0}, ar[3] = {0, 0, 0}, am = 0, n = 0;
                double t1 = 0, t2 = 0;
                for (int x = std::max(x0, bx * cs), xe = std::min(x1, (bx + 1) * cs); x < xe; ++x, ++n) {
                    for (int k = 0; k < 3; ++k) { as[k] += ps[x * ch + k]; ar[k] += pr[x * ch + k]; }
                    am += pm[x];
                    const double g = pr[x * ch] + pr[x * ch + 1] + pr[x * ch + 2];
                    t1 += g; t2 += g * g;
                }
                const int c = (y / cs) * gw + bx;
                for (int k = 0; k < 3; ++k) { sum_s[3 * c + k] += as[k]; sum_r[3 * c + k] += ar[k]; }
                cover[c] += am;
                tex1[c] += t1; tex2[c] += t2; texn[c] += n;
            }
        }
        cv::Mat ss(gh, gw, CV_8UC3), rs(gh, gw, CV_8UC3), ms(gh, gw, CV_8U);
        for (int gy = 0; gy < gh; ++gy)
            for (int gx = 0; gx < gw; ++gx) {
                const int c = gy * gw + gx;
                const double area = (double)(std::min(cs, W - gx * cs) * std::min(cs, H - gy * cs));
                for (int k = 0; k < 3; ++k) {
                    ss.ptr<uchar>(gy)[3 * gx + k] = cv::saturate_cast<uchar>(sum_s[3 * c + k] / area);
                    rs.ptr<uchar>(gy)[3 * gx + k] = cv::saturate_cast<uchar>(sum_r[3 * c + k] / area);
                }
                ms.ptr<uchar>(gy)[gx] = cv::saturate_cast<uchar>(cover[c] / area);
            }
        // Depth of each cell inside the mask's outline, in pixels (0 outside it): the mask with its
        // holes (the mouth cut) filled, so that only the face's outer edge counts as the seam.
        cv::Mat framed, depth;
        cv::copyMakeBorder(ms > 127, framed, 1, 1, 1, 1, cv::BORDER_CONSTANT, 0);
        cv::floodFill(framed, cv::Point(0, 0), 128);
        cv::Mat inside = framed(cv::Rect(1, 1, gw, gh)) != 128;
        cv::distanceTransform(inside, depth, cv::DIST_L2, 3);
        depth *= cs;
        // The difference, from cells wholly inside the mask and within reach of the band, leaving
        // out textured cells whose lightness differs by kOutlierL or more: not shading but
        // different things (hair over the temple, a beard, a hand); the Gaussian fills them in from
        // the skin around.
        const float kOutlierL = 25;
        cv::Mat diff = image_to_lab(rs, rgb) - image_to_lab(ss, rgb);
        std::vector<cv::Mat> d;
        cv::split(diff, d);
        // A cell whose ref brightness varies by less than kTexture (standard deviation per channel,
        // 8-bit) is smooth skin: a large lightness difference there is shading (a cheek in shadow,
        // side light), which the field must carry to the seam, not an occluder. Measured on issue
        // 16's held-out pairs: 14 keeps beards and hair out (city→alex's identity moves 0.099;
        // 20: 0.118) while the shadowed halves of the bald_guys faces come in (face 1: worst
        // sector 37.4 -> 8.4 ΔE).
        const double kTexture = 14;
        cv::Mat smooth(gh, gw, CV_8U);
        for (int c = 0; c < gw * gh; ++c) {
            const double n = std::max(texn[c], 1.0), m = tex1[c] / n;
            const double sd = std::sqrt(std::max(0.0, tex2[c] / n - m * m)) / 3;  // per channel, 8-bit
            smooth.ptr<uchar>()[c] = sd < kTexture ? 255 : 0;
        }
        cv::Mat valid = (ms >= 250) & (depth <= band + 2 * sigma) & ((cv::abs(d[0]) < kOutlierL) | smooth), v;
        valid.convertTo(v, CV_32F, 1.0 / 255);
        const double sc = sigma / cs;
        cv::Mat den;
        cv::GaussianBlur(v, den, cv::Size(), sc, sc, cv::BORDER_REPLICATE);
        // The weight at each cell: 1 up to band / 2 deep, then linearly to 0 at band.
        cv::Mat ramp;
        cv::Mat(cv::min(1.0, cv::max(0.0, (band - depth) / (0.5 * band)))).convertTo(ramp, CV_32F);
        for (int c = 0; c < 3; ++c) {
            cv::GaussianBlur(d[c].mul(v), d[c], cv::Size(), sc, sc, cv::BORDER_REPLICATE);
            d[c] = d[c] / cv::max(den, 1e-3f);
            d[c] = d[c].mul(ramp) * strength;
            d[c].setTo(0, den < 1e-3f);
        }
        // The change in Lab made a change in the image's own bytes per cell (at the cell's mean
        // colour): a smooth field moves each pixel by its cell's offset, without a Lab round trip
        // per pixel.
        LabRow w;
        cv::Mat field(gh, gw, CV_32FC3);
        std::vector<uchar> moved(3 * (size_t)gw);
        for (int gy = 0; gy < gh; ++gy) {
            const uchar *m = ss.ptr<uchar>(gy);
            row_to_lab(m, gw, 3, rgb, w);
            for (int gx = 0; gx < gw; ++gx) {
                w.L[gx] += d[0].at<float>(gy, gx); w.A[gx] += d[1].at<float>(gy, gx); w.B[gx] += d[2].at<float>(gy, gx);
            }
            std::copy(m, m + 3 * gw, moved.begin());
            row_from_lab(moved.data(), gw, 3, rgb, w, 1.0f);
            float *o = field.ptr<float>(gy);
            for (int gx = 0; gx < gw; ++gx) {
                const bool zero = d[0].at<float>(gy, gx) == 0 && d[1].at<float>(gy, gx) == 0 && d[2].at<float>(gy, gx) == 0;
                for (int k = 0; k < 3; ++k) o[3 * gx + k] = zero ? 0.0f : (float)moved[3 * gx + k] - m[3 * gx + k];
            }
        }
        // Apply on the spans: the offsets interpolated bilinearly between cell centres (the columns'
        // cells and weights once for every row); a pixel whose four cells are all zero is skipped.
        std::vector<int> xa_(W), xb_(W);
        std::vector<float> wx_(W);
        for (int x = 0; x < W; ++x) {
            const double fx = std::min(std::max((x + 0.5) / cs - 0.5, 0.0), gw - 1.0);
            xa_[x] = (int)fx; xb_[x] = std::min(xa_[x] + 1, gw - 1); wx_[x] = (float)(fx - xa_[x]);
        }
        std::vector<uchar> still(gw * gh);  // 1: the cell's offset is zero
        for (int c = 0; c < gw * gh; ++c) {
            const float *q = field.ptr<float>() + 3 * c;
            still[c] = q[0] == 0 && q[1] == 0 && q[2] == 0;
        }
        for (int y = 0; y < H; ++y) {
            int x0, x1;
            fsx::row_span(spans, y, W, margin, x0, x1);
            if (x0 >= x1) continue;
            const double fy = std::min(std::max((y + 0.5) / cs - 0.5, 0.0), gh - 1.0);
            const int ya = (int)fy, yb = std::min(ya + 1, gh - 1);
            const float wy = (float)(fy - ya);
            const float *ra = field.ptr<float>(ya), *rb = field.ptr<float>(yb);
            const uchar *sa = &still[ya * gw], *sb = &still[yb * gw];
            uchar *p = (uchar *)src.data + (size_t)y * src.stride;
            for (int x = x0; x < x1; ++x) {
                const int xa = xa_[x], xb = xb_[x];
                if (sa[xa] & sa[xb] & sb[xa] & sb[xb]) continue;
                const float wx = wx_[x];
                for (int k = 0; k < 3; ++k) {
                    const float top = ra[3 * xa + k] + (ra[3 * xb + k] - ra[3 * xa + k]) * wx;
                    const float bot = rb[3 * xa + k] + (rb[3 * xb + k] - rb[3 * xa + k]) * wx;
                    p[x * ch + k] = cv::saturate_cast<uchar>(p[x * ch + k] + top + (bot - top) * wy);
                }
            }
        }
        return 0;
    })
}

// ---- the colour step a swap adds at a face's edge (the measure of fs_eval_swap) ----
//
// For one face's 68 landmarks: the convex hull of the jaw (0-16) and the brows (17-26) raised by
// 0.15 of the inter-ocular distance (IOD) along the chin-to-brows axis; two rings 0.1-0.3 IOD
// inside and outside its boundary, cut into 16 sectors by angle around the landmarks' mean; per
// sector the ΔE76 between the rings' mean CIE Lab (D65) colours. The figure is that step in the
// result minus the same in the target (NaN where a ring has fewer than 8 pixels in the image).
// Tests/python/edge_measure.py computes the same independently (numpy, Pillow).
namespace {
struct P2 { double x, y; };

double cross(const P2 &o, const P2 &a, const P2 &b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }

std::vector<P2> convex_hull(std::vector<P2> p) {  // Andrew's monotone chain
    std::sort(p.begin(), p.end(), [](const P2 &a, const P2 &b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
    p.erase(std::unique(p.begin(), p.end(), [](const P2 &a, const P2 &b) { return a.x == b.x && a.y == b.y; }), p.end());
    if (p.size() <= 2) return p;
    std::vector<P2> h(2 * p.size());
    size_t k = 0;
    for (size_t i = 0; i < p.size(); ++i) {
        while (k >= 2 && cross(h[k - 2], h[k - 1], p[i]) <= 0) --k;
        h[k++] = p[i];
    }
    for (size_t i = p.size() - 1, t = k + 1; i-- > 0;) {
        while (k >= t && cross(h[k - 2], h[k - 1], p[i]) <= 0) --k;
        h[k++] = p[i];
    }
    h.resize(k - 1);
    return h;
}

// Exact CIE Lab (D65) of one 8-bit sRGB pixel, in double precision.
void lab_exact(int r8, int g8, int b8, double lab[3]) {
    auto lin = [](int v) { double c = v / 255.0; return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4); };
    const double r = lin(r8), g = lin(g8), b = lin(b8);
    const double xyz[3] = {(0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047,
                           0.2126729 * r + 0.7151522 * g + 0.0721750 * b,
                           (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883};
    double f[3];
    for (int i = 0; i < 3; ++i) f[i] = xyz[i] > 0.008856 ? std::cbrt(xyz[i]) : 7.787 * xyz[i] + 16.0 / 116;
    lab[0] = 116 * f[1] - 16;
    lab[1] = 500 * (f[0] - f[1]);
    lab[2] = 200 * (f[1] - f[2]);
}
}  // namespace

extern "C" int fsx_edge_steps(fsx_view target, fsx_view result, const double *xy, double out[16]) {
    FSX_GUARD("edge measure", {
        const int ch = fsx::channels_of(target.format);
        const bool rgb = target.format == 3 || target.format == 5;
        auto pt = [&](int i) { return P2{xy[2 * i], xy[2 * i + 1]}; };
        auto mean_of = [&](int a, int b) {
            P2 m{0, 0};
            for (int i = a; i < b; ++i) { m.x += xy[2 * i]; m.y += xy[2 * i + 1]; }
            return P2{m.x / (b - a), m.y / (b - a)};
        };
        const P2 le = mean_of(36, 42), re = mean_of(42, 48), brows = mean_of(17, 27), centre = mean_of(0, 68);
        const double iod = std::hypot(le.x - re.x, le.y - re.y);
        P2 up{brows.x - xy[16], brows.y - xy[17]};
        const double ul = std::max(std::hypot(up.x, up.y), 1e-9);
        up = {up.x / ul, up.y / ul};
        std::vector<P2> pts;
        for (int i = 0; i < 17; ++i) pts.push_back(pt(i));
        for (int i = 17; i < 27; ++i) pts.push_back({xy[2 * i] + up.x * 0.15 * iod, xy[2 * i + 1] + up.y * 0.15 * iod});
        const std::vector<P2> hull = convex_hull(pts);
        for (int s = 0; s < 16; ++s) out[s] = NAN;
        if (hull.size() < 3 || !(iod > 0)) return 0;
        double xmin = 1e300, xmax = -1e300, ymin = 1e300, ymax = -1e300;
        for (const P2 &p : hull) { xmin = std::min(xmin, p.x); xmax = std::max(xmax, p.x); ymin = std::min(ymin, p.y); ymax = std::max(ymax, p.y); }
        const double pad = 0.3 * iod + 2;
        const int x0 = (int)std::max(0.0, std::floor(xmin - pad)), y0 = (int)std::max(0.0, std::floor(ymin - pad));
        const int x1 = (int)std::min((double)target.width, std::ceil(xmax + pad));
        const int y1 = (int)std::min((double)target.height, std::ceil(ymax + pad));
        // Per sector and ring (0 inner, 1 outer): Lab sums of target and result, and pixel counts.
        double sum[2][16][2][3] = {}, cnt[16][2] = {};
        const size_t n = hull.size();
        for (int y = y0; y < y1; ++y) {
            const uchar *pt_ = (const uchar *)target.data + (size_t)y * target.stride;
            const uchar *pr_ = (const uchar *)result.data + (size_t)y * result.stride;
            for (int x = x0; x < x1; ++x) {
                // Distance of the pixel to the hull's boundary; inside: on the left of every edge
                // (the hull is counter-clockwise in x-right, y-up terms: cross >= 0 for all).
                double best = 1e300;
                bool inside = true;
                for (size_t i = 0; i < n; ++i) {
                    const P2 &a = hull[i], &b = hull[(i + 1) % n];
                    const double dx = b.x - a.x, dy = b.y - a.y, dd = dx * dx + dy * dy;
                    double t = dd == 0 ? 0 : ((x - a.x) * dx + (y - a.y) * dy) / dd;
                    t = std::min(1.0, std::max(0.0, t));
                    best = std::min(best, std::hypot(a.x + t * dx - x, a.y + t * dy - y));
                    if (dx * (y - a.y) - dy * (x - a.x) < 0) inside = false;
                }
                if (best < 0.1 * iod || best > 0.3 * iod) continue;
                const double angle = std::atan2(y - centre.y, x - centre.x);
                const int sector = (int)((angle + M_PI) / (2 * M_PI) * 16) % 16;
                const int ring = inside ? 0 : 1;
                const int ri = rgb ? 0 : 2, bi = rgb ? 2 : 0;
                double lt[3], lr[3];
                const uchar *a = pt_ + x * ch, *b = pr_ + x * ch;
                lab_exact(a[ri], a[1], a[bi], lt);
                lab_exact(b[ri], b[1], b[bi], lr);
                for (int c = 0; c < 3; ++c) { sum[0][sector][ring][c] += lt[c]; sum[1][sector][ring][c] += lr[c]; }
                cnt[sector][ring] += 1;
            }
        }
        for (int s = 0; s < 16; ++s) {
            if (cnt[s][0] < 8 || cnt[s][1] < 8) continue;
            double step[2];
            for (int img = 0; img < 2; ++img) {
                double d2 = 0;
                for (int c = 0; c < 3; ++c) {
                    const double d = sum[img][s][0][c] / cnt[s][0] - sum[img][s][1][c] / cnt[s][1];
                    d2 += d * d;
                }
                step[img] = std::sqrt(d2);
            }
            out[s] = step[1] - step[0];
        }
        return 0;
    })
}
