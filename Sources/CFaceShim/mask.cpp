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

extern "C" int fsx_mask_subtract(fsx_view mask, fsx_view other) {
    FSX_GUARD("mask", {
        cv::Mat m = fsx::mat(mask), inv;
        cv::bitwise_not(fsx::mat(other), inv);
        cv::multiply(m, inv, m, 1.0 / 255.0);
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

extern "C" int fsx_hull_mask(fsx_view hard, fsx_view alpha, int32_t *spans, const float *xy, int n, double ox,
                             double oy, double erode, double feather) {
    FSX_GUARD("mask", {
        const int W = hard.width, H = hard.height;
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
        std::vector<float> dist(W);
        for (int y = 0; y < H; ++y) {
            uchar *hr = (uchar *)hard.data + y * hard.stride, *ar = (uchar *)alpha.data + y * alpha.stride;
            std::memset(hr, 0, W);
            std::memset(ar, 0, W);
            int32_t first = W, last = 0;
            if (E.size() >= 3) {
                float olo, ohi, ilo, ihi;
                interval(E, (float)y, e - 1e-3f, olo, ohi);  // candidates: a superset (mitred corners)
                interval(E, (float)y, e + f, ilo, ihi);                      // fully inside
                int x0 = std::max(0, (int)std::ceil(olo)), x1 = std::min(W - 1, (int)std::floor(ohi));
                int i0 = std::max(x0, (int)std::ceil(ilo)), i1 = std::min(x1, (int)std::floor(ihi));
                if (i0 > i1) { i0 = x1 + 1; i1 = x1; }  // no fully-inside run: one band
                auto band = [&](int b0, int b1) {  // [b0, b1]
                    if (b0 > b1) return;
                    const int len = b1 - b0 + 1;
                    float *d = dist.data();
                    for (int k = 0; k < len; ++k) d[k] = 1e30f;
                    for (const HullEdge &ed : E) {
                        const float k0 = ed.a * b0 + ed.b * y + ed.c, s = ed.a;
                        for (int k = 0; k < len; ++k) d[k] = std::min(d[k], k0 + s * k);
                    }
                    for (int k = 0; k < len; ++k) {
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
                        float t = (v - e) / f;
                        ar[x] = t >= 1 ? 255 : (uchar)(255.0f * t * t * (3 - 2 * t) + 0.5f);
                        first = std::min(first, x);
                        last = std::max(last, x + 1);
                    }
                };
                band(x0, i0 - 1);
                if (i0 <= i1) {
                    std::memset(hr + i0, 255, i1 - i0 + 1);
                    std::memset(ar + i0, 255, i1 - i0 + 1);
                    first = std::min(first, i0);
                    last = std::max(last, i1 + 1);
                }
                band(std::max(i1 + 1, x0), x1);
            }
            if (spans) { spans[2 * y] = first < last ? first : 0; spans[2 * y + 1] = first < last ? last : 0; }
        }
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
        if (sigma > 0) cv::GaussianBlur(k, k, cv::Size(0, 0), sigma, sigma, cv::BORDER_REPLICATE);
        cv::Mat inv;
        cv::bitwise_not(k, inv);
        cv::Mat h = fsx::mat(hard)(box), a = fsx::mat(alpha)(box);
        cv::multiply(h, inv, h, 1.0 / 255.0);
        cv::multiply(a, inv, a, 1.0 / 255.0);
        return 0;
    })
}

// ---- occluders: what covers the face, by a robust colour model of the face's own skin ----
namespace {
// Median and scaled MAD (≈ σ for a Gaussian) of v; v is reordered.
void robust(std::vector<float> &v, float &med, float &sigma) {
    auto mid = v.begin() + v.size() / 2;
    std::nth_element(v.begin(), mid, v.end());
    med = *mid;
    for (float &x : v) x = std::abs(x - med);
    std::nth_element(v.begin(), mid, v.end());
    sigma = 1.4826f * *mid;
}
}  // namespace

extern "C" int fsx_occlusion_mask(fsx_view img, fsx_view face, fsx_view samples, fsx_view features, double threshold,
                                  double light_weight, const double min_sigma[3], double min_area, int margin,
                                  double sigma, fsx_view out) {
    FSX_GUARD("occlusion mask", {
        cv::Mat bgr = fsx::mat(img), F = fsx::mat(face), S = fsx::mat(samples), X = fsx::mat(features), O = fsx::mat(out);
        O.setTo(0);
        cv::Mat f32, lab;
        bgr.convertTo(f32, CV_32F, 1.0 / 255);
        cv::cvtColor(f32, lab, cv::COLOR_BGR2Lab);  // L 0..100, a and b signed
        // The skin model: per-channel median and MAD over the sample regions (robust to an
        // occluder covering part of them, and to the face's own highlights and shadows).
        std::vector<float> ch[3];
        for (int y = 0; y < lab.rows; ++y) {
            const cv::Vec3f *p = lab.ptr<cv::Vec3f>(y);
            const uchar *s = S.ptr<uchar>(y), *x = X.ptr<uchar>(y);
            for (int i = 0; i < lab.cols; ++i)
                if (s[i] > 127 && x[i] <= 127)
                    for (int c = 0; c < 3; ++c) ch[c].push_back(p[i][c]);
        }
        if (ch[0].size() < 16) return 0;  // no skin to model: nothing is called an occluder
        float med[3], inv[3];
        for (int c = 0; c < 3; ++c) {
            float sd;
            robust(ch[c], med[c], sd);
            inv[c] = 1.0f / std::max(sd, (float)min_sigma[c]);
        }
        inv[0] *= (float)light_weight;  // lightness varies with shading: weighed less than colour
        // Candidates: inside the face, not a facial feature, farther than threshold from the skin.
        cv::Mat cand(lab.size(), CV_8U, cv::Scalar(0));
        const float t2 = (float)(threshold * threshold);
        for (int y = 0; y < lab.rows; ++y) {
            const cv::Vec3f *p = lab.ptr<cv::Vec3f>(y);
            const uchar *f = F.ptr<uchar>(y), *x = X.ptr<uchar>(y);
            uchar *c = cand.ptr<uchar>(y);
            for (int i = 0; i < lab.cols; ++i) {
                if (f[i] <= 127 || x[i] > 127) continue;
                float d = 0;
                for (int k = 0; k < 3; ++k) { float z = (p[i][k] - med[k]) * inv[k]; d += z * z; }
                c[i] = d > t2 ? 255 : 0;
            }
        }
        // Clean: an opening by 1 px removes single-pixel noise, then components smaller than
        // min_area px are dropped (skin texture, pores); thin long ones (glasses frames) stay.
        cv::morphologyEx(cand, cand, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));
        cv::Mat labels, stats, centroids;
        int n = cv::connectedComponentsWithStats(cand, labels, stats, centroids, 8, CV_32S);
        std::vector<uchar> keep(n, 0);
        for (int k = 1; k < n; ++k) keep[k] = stats.at<int>(k, cv::CC_STAT_AREA) >= min_area ? 255 : 0;
        for (int y = 0; y < O.rows; ++y) {
            const int *l = labels.ptr<int>(y);
            uchar *o = O.ptr<uchar>(y);
            for (int i = 0; i < O.cols; ++i) o[i] = keep[l[i]];
        }
        // Grown by margin (the occluder's own soft edge stays the target's), then a ramp outwards
        // only: out is 255 on the grown occluder and falls to 0 over ~2 sigma into the face.
        if (margin > 0) cv::dilate(O, O, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * margin + 1, 2 * margin + 1)));
        if (sigma > 0) {
            cv::Mat soft;
            cv::GaussianBlur(O, soft, cv::Size(0, 0), sigma, sigma, cv::BORDER_REPLICATE);
            cv::max(O, soft * 2, O);  // ×2: the blur is 128 at the edge; 255 there, fading outwards
        }
        return 0;
    })
}
