// Masks: hulls, polygons, erosion/dilation, feathering.
#include "cv_common.hpp"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <opencv2/imgproc.hpp>

static std::vector<cv::Point> points(const float *xy, int n, double ox, double oy) {
    std::vector<cv::Point> p;
    const int shift = 4;
    for (int i = 0; i < n; ++i)
        p.emplace_back(cvRound((xy[2 * i] - ox) * (1 << shift)), cvRound((xy[2 * i + 1] - oy) * (1 << shift)));
    return p;
}

extern "C" int fsx_fill_hull(fsx_view mask, const float *xy, int n, double ox, double oy, int value) {
    FSX_GUARD("mask", {
        cv::Mat m = fsx::mat(mask);
        std::vector<cv::Point> p = points(xy, n, ox, oy), hull;
        cv::convexHull(p, hull);
        cv::fillConvexPoly(m, hull, cv::Scalar(value), cv::LINE_AA, 4);
        return 0;
    })
}

extern "C" int fsx_fill_poly(fsx_view mask, const float *xy, int n, double ox, double oy, int value, int antialias) {
    FSX_GUARD("mask", {
        cv::Mat m = fsx::mat(mask);
        std::vector<std::vector<cv::Point>> polys{points(xy, n, ox, oy)};
        cv::fillPoly(m, polys, cv::Scalar(value), antialias ? cv::LINE_AA : cv::LINE_8, 4);
        return 0;
    })
}

extern "C" int fsx_morph(fsx_view mask, int radius) {
    FSX_GUARD("mask", {
        if (radius == 0) return 0;
        cv::Mat m = fsx::mat(mask);
        int r = std::abs(radius);
        cv::Mat k = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 1, 2 * r + 1));
        if (radius < 0) cv::erode(m, m, k);
        else cv::dilate(m, m, k);
        return 0;
    })
}

extern "C" int fsx_blur(fsx_view mask, double sigma) {
    FSX_GUARD("mask", {
        if (sigma <= 0) return 0;
        cv::Mat m = fsx::mat(mask);
        cv::GaussianBlur(m, m, cv::Size(0, 0), sigma, sigma, cv::BORDER_REPLICATE);
        return 0;
    })
}

extern "C" int fsx_mask_and(fsx_view mask, fsx_view other) {
    FSX_GUARD("mask", {
        cv::Mat m = fsx::mat(mask);
        cv::min(m, fsx::mat(other), m);
        return 0;
    })
}

extern "C" int fsx_mask_or(fsx_view mask, fsx_view other) {
    FSX_GUARD("mask", {
        cv::Mat m = fsx::mat(mask);
        cv::max(m, fsx::mat(other), m);
        return 0;
    })
}

// m · (255 - o) / 255 rounded, in integers (m · (255 - o) + 127) / 255: what cv::multiply(m,
// ~o, m, 1/255) gives for every one of the 65536 pairs (checked exhaustively, at SIMD and tail
// positions), without its temporary or its float conversions.
namespace {
void subtract_rows(fsx_view mask, fsx_view other) {
    for (int y = 0; y < mask.height; ++y) {
        uchar *m = (uchar *)mask.data + y * mask.stride;
        const uchar *o = (const uchar *)other.data + y * other.stride;
        for (int x = 0; x < mask.width; ++x) m[x] = (uchar)((m[x] * (255 - o[x]) + 127) / 255);
    }
}
bool same_size(fsx_view a, fsx_view b) { return a.width == b.width && a.height == b.height; }
}  // namespace

extern "C" int fsx_mask_subtract(fsx_view mask, fsx_view other) {
    FSX_GUARD("mask", {
        if (!same_size(mask, other)) return fsx::fail(FS_ERR_INTERNAL, "mask: subtracted masks differ in size");
        subtract_rows(mask, other);
        return 0;
    })
}

extern "C" int fsx_mask_subtract2(fsx_view a, fsx_view b, fsx_view other) {
    FSX_GUARD("mask", {
        if (!same_size(a, other) || !same_size(b, other))
            return fsx::fail(FS_ERR_INTERNAL, "mask: subtracted masks differ in size");
        subtract_rows(a, other);
        subtract_rows(b, other);
        return 0;
    })
}

// ---- the face mask by rows: exact distance to a convex hull, only where it is needed ----
//
// Inside a convex polygon the distance to its edge is the smallest distance to its edge lines,
// each linear in x along a row. So, per row: the pixels at least `erode + feather` inside form
// one interval (alpha 255), those not more than `erode` inside (or outside) another's
// complement (0), both found from the lines alone; only the two feather bands between them get a
// per-pixel minimum over the edges (a loop the compiler vectorises). Outside the hull (a grown
// mask, erode < 0) the distance is to the nearest edge segment, computed the same way.
namespace {
struct HullEdge { float a, b, c, x0, y0, dx, dy, len2; };  // a x + b y + c: inward distance

// {x : a x + k >= t for every edge}, k = b y + c: [lo, hi] (empty when lo > hi).
void interval(const std::vector<HullEdge> &E, float y, float t, float &lo, float &hi) {
    lo = -1e30f; hi = 1e30f;
    for (const HullEdge &e : E) {
        float k = e.b * y + e.c;
        if (e.a > 1e-6f) lo = std::max(lo, (t - k) / e.a);
        else if (e.a < -1e-6f) hi = std::min(hi, (t - k) / e.a);
        else if (k < t) { lo = 1; hi = 0; return; }
    }
}
}  // namespace

// The frame is W px wide; hard and alpha are its window of their size at (wx, wy). Every value
// is computed as for the whole frame (the same row intervals, the same band origins), then only
// the window's pixels are written.
static void hull_rows(fsx_view hard, fsx_view alpha, int32_t *spans, const float *xy, int n, double ox, double oy,
                      double erode, double feather, const int W, const int wx, const int wy) {
    const int WW = hard.width, H = hard.height;
    std::vector<cv::Point2f> p, hull;
    for (int i = 0; i < n; ++i) p.emplace_back((float)(xy[2 * i] - ox), (float)(xy[2 * i + 1] - oy));
    cv::convexHull(p, hull);
    cv::Point2f centre(0, 0);
    for (auto &q : hull) centre += q;
    centre *= 1.0f / std::max<size_t>(1, hull.size());
    std::vector<HullEdge> E;
    for (size_t i = 0; i < hull.size(); ++i) {
        cv::Point2f u = hull[i], v = hull[(i + 1) % hull.size()], d = v - u;
        float len = std::sqrt(d.x * d.x + d.y * d.y);
        if (len < 1e-4f) continue;
        float a = -d.y / len, b = d.x / len;
        if (a * (centre.x - u.x) + b * (centre.y - u.y) < 0) { a = -a; b = -b; }
        E.push_back({a, b, -(a * u.x + b * u.y), u.x, u.y, d.x, d.y, len * len});
    }
    const float e = (float)erode, f = (float)std::max(feather, 1e-3);
    const float far = std::max(e + f, 0.0f) + 1;  // see band()
    std::vector<float> dist(WW);
    for (int wyy = 0; wyy < H; ++wyy) {
        const int y = wy + wyy;  // the frame's row
        // The window's row, indexed by the frame's column.
        uchar *hr = (uchar *)hard.data + wyy * hard.stride - wx, *ar = (uchar *)alpha.data + wyy * alpha.stride - wx;
        std::memset(hr + wx, 0, WW);
        std::memset(ar + wx, 0, WW);
        int32_t first = W, last = 0;
        if (E.size() >= 3) {
            float olo, ohi, ilo, ihi;
            interval(E, (float)y, e - 1e-3f, olo, ohi);  // candidates: a superset (mitred corners)
            interval(E, (float)y, e + f, ilo, ihi);                      // fully inside
            int x0 = std::max(0, (int)std::ceil(olo)), x1 = std::min(W - 1, (int)std::floor(ohi));
            int i0 = std::max(x0, (int)std::ceil(ilo)), i1 = std::min(x1, (int)std::floor(ihi));
            if (i0 > i1) { i0 = x1 + 1; i1 = x1; }  // no fully-inside run: one band
            auto band = [&](int b0, int b1) {  // [b0, b1], of which only the window's part
                const int ka = std::max(b0, wx) - b0, kb = std::min(b1, wx + WW - 1) - b0;  // [ka, kb]
                if (b0 > b1 || ka > kb) return;
                float *d = dist.data() - ka;  // d[k] for k in [ka, kb]
                for (int k = ka; k <= kb; ++k) d[k] = 1e30f;
                for (const HullEdge &ed : E) {
                    const float k0 = ed.a * b0 + ed.b * y + ed.c, s = ed.a;
                    // An edge at least `far` inside over the whole band (linear: its ends decide,
                    // far holds a pixel for rounding) is never the nearest where that matters: a
                    // pixel it would be nearest for is over e + f inside by every edge (255 either
                    // way), so it is left out. Most of the hull's edges are far from any one band.
                    if (std::min(k0 + s * ka, k0 + s * kb) >= far) continue;
                    for (int k = ka; k <= kb; ++k) d[k] = std::min(d[k], k0 + s * k);
                }
                auto ramp = [&](float v) {  // alpha at v > e
                    const float t = (v - e) / f;
                    return t >= 1 ? (uchar)255 : (uchar)(255.0f * t * t * (3 - 2 * t) + 0.5f);
                };
                if (e >= 0) {  // a pixel outside (v < 0) is not in the mask: one branch-free (vector) loop
                    for (int k = ka; k <= kb; ++k) {
                        const float v = d[k];
                        const bool in = v > e;
                        hr[b0 + k] = in ? 255 : 0;
                        ar[b0 + k] = in ? ramp(std::max(v, e)) : 0;
                    }
                    int lo = ka, hi = kb;  // the first and last pixel in (a few steps from the ends)
                    while (lo <= kb && !(d[lo] > e)) ++lo;
                    while (hi >= lo && !(d[hi] > e)) --hi;
                    if (lo <= hi) { first = std::min(first, b0 + lo); last = std::max(last, b0 + hi + 1); }
                    return;
                }
                for (int k = ka; k <= kb; ++k) {
                    float v = d[k];
                    if (v < 0) {  // outside: distance to the nearest edge segment
                        float best = 1e30f, px = (float)(b0 + k), py = (float)y;
                        for (const HullEdge &ed : E) {
                            float t = ((px - ed.x0) * ed.dx + (py - ed.y0) * ed.dy) / ed.len2;
                            t = std::min(1.0f, std::max(0.0f, t));
                            float qx = ed.x0 + t * ed.dx - px, qy = ed.y0 + t * ed.dy - py;
                            best = std::min(best, qx * qx + qy * qy);
                        }
                        v = -std::sqrt(best);
                    }
                    if (v <= e) continue;
                    const int x = b0 + k;
                    hr[x] = 255;
                    ar[x] = ramp(v);
                    first = std::min(first, x);
                    last = std::max(last, x + 1);
                }
            };
            band(x0, i0 - 1);
            if (i0 <= i1) {
                const int c0 = std::max(i0, wx), c1 = std::min(i1, wx + WW - 1);
                if (c0 <= c1) {
                    std::memset(hr + c0, 255, c1 - c0 + 1);
                    std::memset(ar + c0, 255, c1 - c0 + 1);
                }
                first = std::min(first, i0);
                last = std::max(last, i1 + 1);
            }
            band(std::max(i1 + 1, x0), x1);
        }
        if (spans) { spans[2 * y] = first < last ? first : 0; spans[2 * y + 1] = first < last ? last : 0; }
    }
}

extern "C" int fsx_hull_mask(fsx_view hard, fsx_view alpha, int32_t *spans, const float *xy, int n, double ox,
                             double oy, double erode, double feather) {
    FSX_GUARD("mask", {
        hull_rows(hard, alpha, spans, xy, n, ox, oy, erode, feather, hard.width, 0, 0);
        return 0;
    })
}

extern "C" int fsx_hull_mask_window(fsx_view hard, fsx_view alpha, const float *xy, int n, double ox, double oy,
                                    double erode, double feather, int frame_w, int wx, int wy) {
    FSX_GUARD("mask", {
        if (wx < 0 || wy < 0 || wx + hard.width > frame_w || !same_size(hard, alpha))
            return fsx::fail(FS_ERR_INTERNAL, "mask: the window is not inside the frame");
        hull_rows(hard, alpha, nullptr, xy, n, ox, oy, erode, feather, frame_w, wx, wy);
        return 0;
    })
}

// The mouth interior removed from hard and alpha: the polygon filled, grown by `radius` and
// blurred by `sigma`, all within the mouth's own box (not the whole region).
extern "C" int fsx_mouth_cut(fsx_view hard, fsx_view alpha, const float *xy, int n, double ox, double oy,
                             int radius, double sigma) {
    FSX_GUARD("mask", {
        float x0 = 1e30f, y0 = 1e30f, x1 = -1e30f, y1 = -1e30f;
        for (int i = 0; i < n; ++i) {
            x0 = std::min(x0, (float)(xy[2 * i] - ox)); x1 = std::max(x1, (float)(xy[2 * i] - ox));
            y0 = std::min(y0, (float)(xy[2 * i + 1] - oy)); y1 = std::max(y1, (float)(xy[2 * i + 1] - oy));
        }
        const int m = radius + (int)std::ceil(3 * sigma) + 3;
        cv::Rect box((int)std::floor(x0) - m, (int)std::floor(y0) - m, 0, 0);
        box.width = (int)std::ceil(x1) + m + 1 - box.x;
        box.height = (int)std::ceil(y1) + m + 1 - box.y;
        box &= cv::Rect(0, 0, hard.width, hard.height);
        if (box.area() == 0) return 0;
        cv::Mat k = cv::Mat::zeros(box.size(), CV_8U);
        std::vector<std::vector<cv::Point>> polys{points(xy, n, ox + box.x, oy + box.y)};
        cv::fillPoly(k, polys, cv::Scalar(255), cv::LINE_AA, 4);
        if (radius > 0)
            cv::dilate(k, k, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * radius + 1, 2 * radius + 1)));
        if (sigma >= 4 && k.rows >= 16 && k.cols >= 16) {
            // A wide feather is smooth at half resolution: blurred there (a quarter of the
            // pixels, half the taps) and interpolated back. On a 613-px face (sigma 6.1) this
            // was most of the mask stage at full resolution.
            cv::Mat half;
            cv::resize(k, half, cv::Size((k.cols + 1) / 2, (k.rows + 1) / 2), 0, 0, cv::INTER_AREA);
            cv::GaussianBlur(half, half, cv::Size(0, 0), sigma / 2, sigma / 2, cv::BORDER_REPLICATE);
            cv::resize(half, k, k.size(), 0, 0, cv::INTER_LINEAR);
        } else if (sigma > 0) {
            cv::GaussianBlur(k, k, cv::Size(0, 0), sigma, sigma, cv::BORDER_REPLICATE);
        }
        cv::Mat inv;
        cv::bitwise_not(k, inv);
        cv::Mat h = fsx::mat(hard)(box), a = fsx::mat(alpha)(box);
        cv::multiply(h, inv, h, 1.0 / 255.0);
        cv::multiply(a, inv, a, 1.0 / 255.0);
        return 0;
    })
}

// ---- occluders: what covers the face, by a robust colour model of the face's own skin ----
//
// Worked at the reduced size of `samples` (the caller picks ~150 px across the face: the mask is
// smooth there anyway), then resized to the region. The skin model comes from small patches of
// the sample regions: each patch gives its median colour, the patches far from the patches'
// median chroma are dropped (an occluder over some samples), the lightness is fitted by a plane
// over the rest (the face's own shading). A pixel is compared by its chroma (a, b) and by its
// lightness relative to the plane (weighed less).
namespace {
// The k-th smallest of n values (0-based) by counting, for a few values (a patch's): the value
// with k of the others below it (ties counted), what nth_element finds, in vector loops.
float kth_small(const float *v, int n, int k) {
    for (int i = 0; i < n; ++i) {
        int less = 0, same = 0;
        for (int j = 0; j < n; ++j) { less += v[j] < v[i]; same += v[j] == v[i]; }
        if (less <= k && k < less + same) return v[i];
    }
    return v[k];  // not reached (finite values)
}
// The median (the upper one of an even count); reorders v (its values stay).
float median_n(float *v, int n) {
    if (n == 0) return 0;
    if (n <= 64) return kth_small(v, n, n / 2);
    std::nth_element(v, v + n / 2, v + n);
    return v[n / 2];
}
float median_in(std::vector<float> &v) { return median_n(v.data(), (int)v.size()); }
float median_of(std::vector<float> v) { return median_in(v); }
// Scaled median absolute deviation from m (≈ σ for a Gaussian), in `d`'s storage.
float mad_of(const std::vector<float> &v, float m, std::vector<float> &d) {
    d.resize(v.size());
    for (size_t i = 0; i < v.size(); ++i) d[i] = std::abs(v[i] - m);
    return 1.4826f * median_in(d);
}
// The same, replacing v's values by the deviations.
float mad_in(std::vector<float> &v, float m) {
    for (float &x : v) x = std::abs(x - m);
    return 1.4826f * median_in(v);
}
// The f x f block means of src's top-left f·dst.cols x f·dst.rows part into dst (8-bit, Cn 1 or 3
// channels), for dst's row y, columns [x0, x1): what cv::resize(INTER_AREA) gives for an integer
// factor, without its cost for factors above 2 (its generic path). The f rows are summed by
// column, then f of those sums from every column on (both vector loops), of which each pixel's
// first is kept and mapped by `mean` (a sum's saturate_cast<uchar>(sum · 1/f²) in float, as OpenCV's).
template <int Cn, typename Acc>
void block_row(const cv::Mat &src, cv::Mat &dst, int f, int y, int x0, int x1, const uchar *mean, std::vector<Acc> &buf) {
    if (x1 <= x0) return;
    const int n = (x1 - x0) * f * Cn, m = n - (f - 1) * Cn;
    buf.resize(2 * (size_t)n);
    Acc *__restrict a = buf.data(), *__restrict h = a + n;
    const uchar *__restrict s = src.ptr<uchar>(y * f) + x0 * f * Cn;
    for (int i = 0; i < n; ++i) a[i] = s[i];
    for (int k = 1; k < f; ++k) {
        s = src.ptr<uchar>(y * f + k) + x0 * f * Cn;
        for (int i = 0; i < n; ++i) a[i] = (Acc)(a[i] + s[i]);
    }
    for (int i = 0; i < m; ++i) h[i] = a[i];
    for (int j = 1; j < f; ++j) {
        const Acc *__restrict q = a + j * Cn;
        for (int i = 0; i < m; ++i) h[i] = (Acc)(h[i] + q[i]);
    }
    uchar *__restrict d = dst.ptr<uchar>(y) + x0 * Cn;
    for (int x = 0; x < x1 - x0; ++x)
        for (int c = 0; c < Cn; ++c) d[x * Cn + c] = mean[h[x * f * Cn + c]];
}
// The block means of dst's rows [y0, y1), columns [x0(y), x1(y)) (`cols`). f 2: cv::resize over the
// whole (its vector body rounds halves up, its tail to even: which pixel gets which depends on
// the row's length, so only the whole is exact); f 1: a copy.
template <typename Cols>
void block_mean(const cv::Mat &src, cv::Mat &dst, int f, int y0, int y1, Cols cols) {
    if (f <= 2) {
        cv::resize(src(cv::Rect(0, 0, dst.cols * f, dst.rows * f)), dst, dst.size(), 0, 0, cv::INTER_AREA);
        return;
    }
    thread_local std::vector<uint16_t> b16;
    thread_local std::vector<int> b32;
    thread_local std::vector<uchar> mean;  // by sum, for factor mean_f
    thread_local int mean_f = 0;
    if (mean_f != f) {
        mean.resize((size_t)f * f * 255 + 1);
        const float scale = 1.f / (float)(f * f);  // as OpenCV's
        for (size_t s = 0; s < mean.size(); ++s) mean[s] = cv::saturate_cast<uchar>((float)s * scale);
        mean_f = f;
    }
    const bool colour = src.channels() == 3;
    for (int y = y0; y < y1; ++y) {
        int x0, x1;
        cols(y, x0, x1);
        if (f <= 16)  // f rows of 255 fit 16 bits
            colour ? block_row<3>(src, dst, f, y, x0, x1, mean.data(), b16) : block_row<1>(src, dst, f, y, x0, x1, mean.data(), b16);
        else
            colour ? block_row<3>(src, dst, f, y, x0, x1, mean.data(), b32) : block_row<1>(src, dst, f, y, x0, x1, mean.data(), b32);
    }
}
// A w x h matrix of `type` over this thread's scratch storage `slot` (what the last user left in it).
cv::Mat scratch(int slot, cv::Size size, int type) {
    thread_local std::vector<uchar> buffers[9];
    std::vector<uchar> &b = buffers[slot];
    const size_t bytes = (size_t)size.area() * CV_ELEM_SIZE(type);
    if (b.size() < bytes) b.resize(bytes);
    return cv::Mat(size, type, b.data());
}
struct Patch { float x, y, L, a, b; };
}  // namespace

extern "C" int fsx_occlusion_mask(fsx_view img, fsx_view face, fsx_view samples, fsx_view features,
                                  const fsx_occlusion_params *prm, fsx_view out, int32_t box[4]) {
    FSX_GUARD("occlusion mask", {
        const fsx_occlusion_params &P = *prm;
        cv::Mat O = fsx::mat(out), S = fsx::mat(samples), X = fsx::mat(features);
        box[0] = box[1] = box[2] = box[3] = 0;  // nothing (out not written)
        // The reduced size is the region's divided by an integer factor f (rounded down): the
        // region's top-left f·w × f·h part is averaged by f × f blocks (OpenCV's fast path); the
        // few columns and rows left over lie in the region's padding, outside the face.
        const cv::Size small = S.size();
        const int f = std::max(1, img.width / std::max(1, small.width));
        if (small.width * f > img.width || small.width * f + f <= img.width || small.height * f > img.height ||
            small.height * f + f <= img.height)
            return fsx::fail(FS_ERR_INTERNAL, "occlusion mask: the samples' size is not the region's divided by an integer");
        const cv::Rect part(0, 0, small.width * f, small.height * f);
        // The face at the reduced size; everything else is needed only where it is over half in
        // the face (F > 127), so only in F's box with 2 more pixels of margin (`crop`; what
        // lies outside it counts nowhere, and the 2 x 2 opening sees zeros there as it would).
        cv::Mat F = scratch(0, small, CV_8U), bgr = scratch(1, small, CV_8UC3);
        block_mean(fsx::mat(face), F, f, 0, small.height, [&](int, int &x0, int &x1) { x0 = 0; x1 = small.width; });
        const cv::Rect face_box = cv::boundingRect(F > 127);
        if (face_box.area() == 0) return 0;
        const cv::Rect crop = cv::Rect(face_box.x - 2, face_box.y - 2, face_box.width + 4, face_box.height + 4) &
                              cv::Rect(cv::Point(0, 0), small);
        const int cx1 = crop.x + crop.width, cy1 = crop.y + crop.height;
        // Colour and Lab are read only in the face (F > 127): per row of the crop, from its first
        // such pixel to its last (`in`; an empty row gives an empty span).
        std::vector<int> in(2 * small.height, 0);
        for (int y = crop.y; y < cy1; ++y) {
            const uchar *fr = F.ptr<uchar>(y);
            int x0 = crop.x, x1 = cx1;
            while (x0 < x1 && fr[x0] <= 127) ++x0;
            while (x1 > x0 && fr[x1 - 1] <= 127) --x1;
            in[2 * y] = x0; in[2 * y + 1] = x1;
        }
        block_mean(fsx::mat(img), bgr, f, crop.y, cy1, [&](int y, int &x0, int &x1) { x0 = in[2 * y]; x1 = in[2 * y + 1]; });
        // Lab of those spans, one plane per channel (the planes' other pixels are never read).
        cv::Mat L = scratch(2, small, CV_32F), A = scratch(3, small, CV_32F), B = scratch(4, small, CV_32F);
        thread_local fsx::LabRow w;
        for (int y = crop.y; y < cy1; ++y) {
            const int x0 = in[2 * y], x1 = in[2 * y + 1];
            if (x1 <= x0) continue;
            fsx::row_to_lab(bgr.ptr<uchar>(y) + 3 * x0, x1 - x0, 3, false, w);
            std::copy(w.L.begin(), w.L.end(), L.ptr<float>(y) + x0);
            std::copy(w.A.begin(), w.A.end(), A.ptr<float>(y) + x0);
            std::copy(w.B.begin(), w.B.end(), B.ptr<float>(y) + x0);
        }
        // The sample pixels (in the samples, not a feature, in the face) of the crop: 1, else 0.
        cv::Mat smp = scratch(8, crop.size(), CV_8U);
        for (int y = crop.y; y < cy1; ++y) {
            const uchar *__restrict s = S.ptr<uchar>(y) + crop.x, *__restrict x = X.ptr<uchar>(y) + crop.x,
                                    *__restrict fr = F.ptr<uchar>(y) + crop.x;
            uchar *__restrict o = smp.ptr<uchar>(y - crop.y);
            for (int i = 0, w = crop.width; i < w; ++i) o[i] = (s[i] > 127) & (x[i] == 0) & (fr[i] > 127);
        }
        auto sample = [&](int y, int x) { return smp.at<uchar>(y - crop.y, x - crop.x) != 0; };
        // Patches of the sample regions (inside the face, not a feature): their median colours.
        // The patches of the whole region's grid, in its order, that meet the crop.
        const int ps = std::max(2, (int)std::lround(P.patch));
        std::vector<Patch> patches;
        std::vector<float> pl(ps * ps), pa(ps * ps), pb(ps * ps);
        for (int y0 = crop.y / ps * ps; y0 < cy1 && y0 + ps <= small.height; y0 += ps)
            for (int x0 = crop.x / ps * ps; x0 < cx1 && x0 + ps <= small.width; x0 += ps) {
                const int ya = std::max(y0, crop.y), yb = std::min(y0 + ps, cy1);
                const int xa = std::max(x0, crop.x), xb = std::min(x0 + ps, cx1);
                int k = 0;
                for (int y = ya; y < yb; ++y) {
                    const uchar *m = smp.ptr<uchar>(y - crop.y) - crop.x;
                    for (int x = xa; x < xb; ++x) k += m[x];
                }
                if (k * 2 < ps * ps) continue;  // mostly outside the samples
                k = 0;
                for (int y = ya; y < yb; ++y) {
                    const uchar *m = smp.ptr<uchar>(y - crop.y) - crop.x;
                    const float *l = L.ptr<float>(y), *a = A.ptr<float>(y), *b = B.ptr<float>(y);
                    for (int x = xa; x < xb; ++x)
                        if (m[x]) { pl[k] = l[x]; pa[k] = a[x]; pb[k] = b[x]; ++k; }
                }
                patches.push_back({x0 + ps * 0.5f, y0 + ps * 0.5f, median_n(pl.data(), k), median_n(pa.data(), k),
                                   median_n(pb.data(), k)});
            }
        if (patches.size() < 6) return 0;  // no skin to model: nothing is called an occluder
        // The majority cluster: patches within 2.5 robust σ of the median chroma (at least 3 units).
        std::vector<float> va, vb;
        for (const Patch &q : patches) { va.push_back(q.a); vb.push_back(q.b); }
        float ma = median_in(va), mb = median_in(vb);
        std::vector<float> dist;
        for (const Patch &q : patches) dist.push_back(std::hypot(q.a - ma, q.b - mb));
        const float reach = std::max(3.0f, 2.5f * 1.4826f * median_of(dist));
        std::vector<Patch> skin;
        for (size_t i = 0; i < patches.size(); ++i)
            if (dist[i] <= reach) skin.push_back(patches[i]);
        if (skin.size() < 6) return 0;
        // Lightness: a plane L = c0 + c1 x + c2 y over the skin patches, refitted once without
        // the patches that miss it by more than 2.5 robust σ (highlights, a dark occluder).
        std::vector<float> vl;
        for (const Patch &q : skin) vl.push_back(q.L);
        cv::Vec3d c(median_in(vl), 0, 0);  // flat, if the fit fails
        std::vector<char> use(skin.size(), 1);
        std::vector<float> res, dev;
        for (int pass = 0; pass < 2; ++pass) {
            cv::Matx33d M = cv::Matx33d::zeros();
            cv::Vec3d r(0, 0, 0);
            for (size_t i = 0; i < skin.size(); ++i) {
                if (!use[i]) continue;
                cv::Vec3d u(1, skin[i].x, skin[i].y);
                M += u * u.t();
                r += u * skin[i].L;
            }
            cv::Mat sol;
            if (!cv::solve(cv::Mat(M), cv::Mat(r), sol, cv::DECOMP_SVD)) break;
            c = cv::Vec3d(sol.at<double>(0), sol.at<double>(1), sol.at<double>(2));
            res.clear();
            for (const Patch &q : skin) res.push_back(q.L - (float)(c[0] + c[1] * q.x + c[2] * q.y));
            const float s = std::max(2.0f, mad_of(res, 0, dev));
            for (size_t i = 0; i < skin.size(); ++i) use[i] = std::abs(res[i]) <= 2.5f * s;
        }
        // The model: the skin's chroma (median over the skin patches).
        va.clear(); vb.clear();
        for (const Patch &q : skin) { va.push_back(q.a); vb.push_back(q.b); }
        ma = median_in(va); mb = median_in(vb);
        // Per-pixel spread of the sample pixels around the model (every other pixel of every other
        // row), each channel floored.
        std::vector<float> ra, rb, rl;
        const size_t most = (size_t)((crop.width + 1) / 2) * ((crop.height + 1) / 2);
        ra.reserve(most); rb.reserve(most); rl.reserve(most);
        for (int y = (crop.y + 1) / 2 * 2; y < cy1; y += 2)  // the even rows and columns in the crop
            for (int x = (crop.x + 1) / 2 * 2; x < cx1; x += 2)
                if (sample(y, x)) {
                    ra.push_back(A.at<float>(y, x) - ma);
                    rb.push_back(B.at<float>(y, x) - mb);
                    rl.push_back(L.at<float>(y, x) - (float)(c[0] + c[1] * x + c[2] * y));
                }
        const float ia = 1 / std::max((float)P.min_sigma_ab, mad_in(ra, 0));
        const float ib = 1 / std::max((float)P.min_sigma_ab, mad_in(rb, 0));
        const float il = (float)P.light_weight / std::max((float)P.min_sigma_l, mad_in(rl, 0));
        // Candidates: inside the face and far from the skin (features included: see below).
        cv::Mat cand = scratch(5, small, CV_8U);
        cand.setTo(0);
        const float t2 = (float)(P.threshold * P.threshold);
        for (int y = crop.y; y < cy1; ++y) {  // the row's span (a vector loop)
            const uchar *__restrict fr = F.ptr<uchar>(y);
            const float *__restrict l = L.ptr<float>(y), *__restrict a = A.ptr<float>(y), *__restrict b = B.ptr<float>(y);
            uchar *__restrict cr = cand.ptr<uchar>(y);
            const int x0 = in[2 * y], x1 = in[2 * y + 1];
            for (int x = x0; x < x1; ++x) {
                const float za = (a[x] - ma) * ia, zb = (b[x] - mb) * ib;
                const float zl = (l[x] - (float)(c[0] + c[1] * x + c[2] * y)) * il;
                cr[x] = fr[x] > 127 && za * za + zb * zb + zl * zl > t2 ? 255 : 0;
            }
        }
        // (On the crop: a view, the opening reads the zeros around it as it would in the whole.)
        cv::Mat cc = cand(crop);
        cv::morphologyEx(cc, cc, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2, 2)));
        // A component is an occluder when at least min_area of its pixels lie outside the facial
        // features and they outnumber its pixels in the eyes, lips and nostrils (features 255)
        // plus a quarter of those in the brows (features 128: an occluder low on the forehead lies
        // mostly there): the features' own pixels (with the lashes' and folds' bits that spill
        // out) stay features; a glasses frame or an object over an eye or a brow is taken whole,
        // inside the feature too.
        cv::Mat labels = scratch(6, crop.size(), CV_32S);
        const int n = cv::connectedComponents(cc, labels, 8, CV_32S);  // the crop's pixels
        std::vector<int> outside(n, 0), inside(n, 0);
        for (int y = 0; y < crop.height; ++y) {
            const int *lr = labels.ptr<int>(y);
            const uchar *xr = X.ptr<uchar>(crop.y + y) + crop.x;
            for (int x = 0; x < crop.width; ++x) {
                const int l = lr[x];
                if (l == 0) continue;  // not a candidate
                if (xr[x] == 0) outside[l] += 4;
                else inside[l] += xr[x] == 255 ? 4 : 1;  // in quarters
            }
        }
        std::vector<uchar> keep(n, 0);
        for (int l = 1; l < n; ++l) keep[l] = outside[l] >= 4 * P.min_area && outside[l] >= inside[l] ? 255 : 0;
        cv::Mat occ = scratch(7, small, CV_8U);
        occ.setTo(0);
        const uchar *k = keep.data();
        for (int y = 0, w = crop.width; y < crop.height; ++y) {
            const int *__restrict lr = labels.ptr<int>(y);
            uchar *__restrict o = occ.ptr<uchar>(crop.y + y) + crop.x;
            for (int x = 0; x < w; ++x) o[x] = k[lr[x]];
        }
        const cv::Rect found = cv::boundingRect(occ(crop)) + crop.tl();
        if (found.area() == 0) return 0;  // nothing covers the face
        // Grown by margin (the occluder's own soft edge stays the target's), then a ramp outwards
        // only (255 on the grown occluder, falling to 0 over ~2 ramp), and resized to the region.
        // Both over the occluders' box grown by what the two kernels reach (and 2), where all
        // else is 0: the dilation (a maximum) is the same over a view; the blur is over the view
        // taken alone (BORDER_ISOLATED: as over a whole image, OpenCV then takes the same path as
        // over the whole, whose results differ by up to 2 levels from its path for a view).
        const int m = (int)std::lround(P.margin);
        const int g = std::max(m, 0) + (P.ramp > 0 ? (int)std::ceil(3 * P.ramp) + 1 : 0) + 2;
        const cv::Rect grow = cv::Rect(found.x - g, found.y - g, found.width + 2 * g, found.height + 2 * g) &
                              cv::Rect(cv::Point(0, 0), small);
        cv::Mat og = occ(grow);
        if (m > 0) cv::dilate(og, og, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * m + 1, 2 * m + 1)));
        if (P.ramp > 0) {
            cv::Mat soft;
            cv::GaussianBlur(og, soft, cv::Size(0, 0), P.ramp, P.ramp, cv::BORDER_REPLICATE | cv::BORDER_ISOLATED);
            cv::max(og, soft * 2, og);
        }
        // Resized only around the occluders: their box at the reduced size with one more row and
        // column of zeros on each side (within it). The bilinear weights depend only on a pixel's
        // place within its f × f block, so inside the box this is the whole resize's result;
        // outside it that resize reads only zeros.
        cv::Rect nz = cv::boundingRect(og) + grow.tl();
        nz = cv::Rect(nz.x - 1, nz.y - 1, nz.width + 2, nz.height + 2) & cv::Rect(cv::Point(0, 0), small);
        const cv::Rect big(nz.x * f, nz.y * f, nz.width * f, nz.height * f);
        cv::Mat up = O(big);
        cv::resize(occ(nz), up, big.size(), 0, 0, cv::INTER_LINEAR);
        box[0] = big.x; box[1] = big.y; box[2] = big.width; box[3] = big.height;
        return 0;
    })
}
