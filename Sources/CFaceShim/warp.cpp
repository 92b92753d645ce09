// Conversion by geometry: Delaunay triangulation and the piecewise-affine (or global) warp of
// the source face onto the target's landmarks, done as one cv::remap over a map filled per
// triangle.
#include "cv_common.hpp"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>
#if defined(__AVX2__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <opencv2/imgproc.hpp>

extern "C" int fsx_delaunay(const float *xy, int n, double w, double h, int *tri, int capacity,
                            int *count) {
    FSX_GUARD("delaunay", {
        (void)w; (void)h;
        float x0 = xy[0], y0 = xy[1], x1 = xy[0], y1 = xy[1];
        for (int i = 1; i < n; ++i) {
            x0 = std::min(x0, xy[2 * i]); x1 = std::max(x1, xy[2 * i]);
            y0 = std::min(y0, xy[2 * i + 1]); y1 = std::max(y1, xy[2 * i + 1]);
        }
        cv::Rect bounds((int)std::floor(x0) - 2, (int)std::floor(y0) - 2,
                        (int)std::ceil(x1 - x0) + 5, (int)std::ceil(y1 - y0) + 5);
        cv::Subdiv2D sub(bounds);
        for (int i = 0; i < n; ++i) sub.insert(cv::Point2f(xy[2 * i], xy[2 * i + 1]));
        std::vector<cv::Vec6f> list;
        sub.getTriangleList(list);
        auto index_of = [&](float px, float py) {
            for (int i = 0; i < n; ++i)
                if (xy[2 * i] == px && xy[2 * i + 1] == py) return i;
            return -1;
        };
        int k = 0;
        for (const auto &t : list) {
            int a = index_of(t[0], t[1]), b = index_of(t[2], t[3]), c = index_of(t[4], t[5]);
            if (a < 0 || b < 0 || c < 0) continue;  // a corner of Subdiv2D's outer triangle
            if (k < capacity) { tri[3 * k] = a; tri[3 * k + 1] = b; tri[3 * k + 2] = c; }
            ++k;
        }
        *count = k;
        return 0;
    })
}

// ---- the piecewise-affine warp, row by row, only where the face mask needs pixels ----
//
// Each triangle's extent on a row is found from its three edge lines; its pixels are sampled
// (bilinear, fixed point) through its own affine map, with no map images. Pixels of the span
// that no triangle covers use `base`. A sample outside the source zeroes hard and alpha there.
namespace {
struct Tri { float e[3][3]; double m[6]; float y0, y1; };  // e: edge a x + b y + c >= 0 inside

template <int CH>
inline void sample_run(const fsx_view &src, uchar *out, const double m[6], int xa, int xb, int y, uchar *hr,
                       uchar *ar) {
    const int sw = src.width, sh = src.height;
    const float maxx = (float)(sw - 1), maxy = (float)(sh - 1);
    const float ax = (float)m[0], cx = (float)(m[1] * y + m[2]), ay = (float)m[3], cy = (float)(m[4] * y + m[5]);
    const uchar *base = (const uchar *)src.data;
    int x = xa;
#ifdef __AVX2__
    if (CH == 3 && sw >= 3 && sh >= 2) {
        // Eight pixels at a time by gathers, where all eight taps lie inside (and a 4-byte load at
        // the right-hand tap stays inside its row); any other group goes through the loop below.
        // (Its weights round half up where these round half to even: a tail pixel done here
        // rather than there may differ by a level.)
        const __m256 lane = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
        const __m256 vax = _mm256_set1_ps(ax), vcx = _mm256_set1_ps(cx), vay = _mm256_set1_ps(ay), vcy = _mm256_set1_ps(cy);
        const __m256 lim_x = _mm256_set1_ps((float)(sw - 2)), lim_y = _mm256_set1_ps((float)(sh - 1)), zero = _mm256_setzero_ps();
        const __m256i stride = _mm256_set1_epi32((int)src.stride), three = _mm256_set1_epi32(3);
        const __m256i k128 = _mm256_set1_epi32(128), byte = _mm256_set1_epi32(255), round = _mm256_set1_epi32(1 << 13);
        const __m128i pack = _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
        const int *ibase = (const int *)base;
        for (; x < xb; x += 8) {
            // A run's last k < 8 pixels: the spare lanes repeat its last pixel; k are stored.
            const int k = std::min(8, xb - x);
            const __m256 xs = _mm256_min_ps(_mm256_add_ps(_mm256_set1_ps((float)x), lane), _mm256_set1_ps((float)(xb - 1)));
            const __m256 sx = _mm256_fmadd_ps(vax, xs, vcx), sy = _mm256_fmadd_ps(vay, xs, vcy);
            const __m256 ok = _mm256_and_ps(_mm256_and_ps(_mm256_cmp_ps(sx, zero, _CMP_GE_OQ), _mm256_cmp_ps(sy, zero, _CMP_GE_OQ)),
                                            _mm256_and_ps(_mm256_cmp_ps(sx, lim_x, _CMP_LT_OQ), _mm256_cmp_ps(sy, lim_y, _CMP_LT_OQ)));
            if (_mm256_movemask_ps(ok) != 0xFF) break;
            const __m256i ix = _mm256_cvttps_epi32(sx), iy = _mm256_cvttps_epi32(sy);
            const __m256i wx = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_sub_ps(sx, _mm256_cvtepi32_ps(ix)), _mm256_set1_ps(128)));
            const __m256i wy = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_sub_ps(sy, _mm256_cvtepi32_ps(iy)), _mm256_set1_ps(128)));
            const __m256i wx0 = _mm256_sub_epi32(k128, wx), wy0 = _mm256_sub_epi32(k128, wy);
            const __m256i w00 = _mm256_mullo_epi32(wx0, wy0), w01 = _mm256_mullo_epi32(wx, wy0);
            const __m256i w10 = _mm256_mullo_epi32(wx0, wy), w11 = _mm256_mullo_epi32(wx, wy);
            const __m256i off = _mm256_add_epi32(_mm256_mullo_epi32(iy, stride), _mm256_mullo_epi32(ix, three));
            const __m256i g00 = _mm256_i32gather_epi32(ibase, off, 1);
            const __m256i g01 = _mm256_i32gather_epi32(ibase, _mm256_add_epi32(off, three), 1);
            const __m256i g10 = _mm256_i32gather_epi32(ibase, _mm256_add_epi32(off, stride), 1);
            const __m256i g11 = _mm256_i32gather_epi32(ibase, _mm256_add_epi32(_mm256_add_epi32(off, stride), three), 1);
            __m256i px = _mm256_setzero_si256();
            for (int c = 0; c < 3; ++c) {
                const __m128i sh = _mm_cvtsi32_si128(8 * c);
                __m256i v = _mm256_mullo_epi32(_mm256_and_si256(_mm256_srl_epi32(g00, sh), byte), w00);
                v = _mm256_add_epi32(v, _mm256_mullo_epi32(_mm256_and_si256(_mm256_srl_epi32(g01, sh), byte), w01));
                v = _mm256_add_epi32(v, _mm256_mullo_epi32(_mm256_and_si256(_mm256_srl_epi32(g10, sh), byte), w10));
                v = _mm256_add_epi32(v, _mm256_mullo_epi32(_mm256_and_si256(_mm256_srl_epi32(g11, sh), byte), w11));
                v = _mm256_srli_epi32(_mm256_add_epi32(v, round), 14);
                px = _mm256_or_si256(px, _mm256_sll_epi32(v, sh));
            }
            // Eight B,G,R,0 words -> 24 bytes, stored exactly (neighbours may belong to another run).
            const __m128i lo = _mm_shuffle_epi8(_mm256_castsi256_si128(px), pack);
            const __m128i hi = _mm_shuffle_epi8(_mm256_extracti128_si256(px, 1), pack);
            uchar *o = out + x * 3;
            if (k < 8) {
                alignas(16) uchar tmp[32];
                _mm_store_si128((__m128i *)tmp, lo);
                _mm_storeu_si128((__m128i *)(tmp + 12), hi);
                std::memcpy(o, tmp, 3 * k);
                x = xb;
                break;
            }
            _mm_storel_epi64((__m128i *)o, lo);
            const int32_t lo2 = _mm_extract_epi32(lo, 2);
            std::memcpy(o + 8, &lo2, 4);
            _mm_storel_epi64((__m128i *)(o + 12), hi);
            const int32_t hi2 = _mm_extract_epi32(hi, 2);
            std::memcpy(o + 20, &hi2, 4);
        }
    }
#endif
    for (; x < xb; ++x) {
        float sx = ax * x + cx, sy = ay * x + cy;
        if (!(sx >= 0 && sy >= 0 && sx <= maxx && sy <= maxy)) {
            if (hr) hr[x] = 0;
            if (ar) ar[x] = 0;
            sx = std::min(std::max(sx, 0.0f), maxx);
            sy = std::min(std::max(sy, 0.0f), maxy);
        }
        int ix = (int)sx, iy = (int)sy;
        int ix1 = ix < sw - 1 ? 1 : 0;
        size_t iy1 = iy < sh - 1 ? src.stride : 0;
        const uchar *p = base + (size_t)iy * src.stride + (size_t)ix * CH;
#ifdef __SSE2__
        if (CH >= 3 && (CH == 4 || iy < sh - 2 || ix < sw - 2)) {
            // Four taps as 16-bit lanes, weights with 7 fractional bits: two pmaddwd per pixel.
            // (For 3 channels the 4-byte loads read one byte past a pixel, never past the image.)
            const int wx = (int)((sx - ix) * 128 + 0.5f), wy = (int)((sy - iy) * 128 + 0.5f);
            const short w00 = (short)((128 - wx) * (128 - wy)), w01 = (short)(wx * (128 - wy));
            const short w10 = (short)((128 - wx) * wy), w11 = (short)(wx * wy);
            int32_t a, b, c, d;
            std::memcpy(&a, p, 4); std::memcpy(&b, p + ix1 * CH, 4);
            std::memcpy(&c, p + iy1, 4); std::memcpy(&d, p + iy1 + ix1 * CH, 4);
            const __m128i z = _mm_setzero_si128();
            __m128i top = _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(a), z), _mm_unpacklo_epi8(_mm_cvtsi32_si128(b), z));
            __m128i bot = _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(c), z), _mm_unpacklo_epi8(_mm_cvtsi32_si128(d), z));
            __m128i sum = _mm_add_epi32(_mm_madd_epi16(top, _mm_set1_epi32((w01 << 16) | (uint16_t)w00)),
                                        _mm_madd_epi16(bot, _mm_set1_epi32((w11 << 16) | (uint16_t)w10)));
            sum = _mm_srli_epi32(_mm_add_epi32(sum, _mm_set1_epi32(1 << 13)), 14);
            sum = _mm_packus_epi16(_mm_packs_epi32(sum, z), z);
            const int32_t v = _mm_cvtsi128_si32(sum);
            uchar *o = out + x * CH;
            if (CH == 4) std::memcpy(o, &v, 4);
            else { o[0] = (uchar)v; o[1] = (uchar)(v >> 8); o[2] = (uchar)(v >> 16); }
            continue;
        }
#endif
        int wx = (int)((sx - ix) * 256 + 0.5f), wy = (int)((sy - iy) * 256 + 0.5f);
        const int w00 = (256 - wx) * (256 - wy), w01 = wx * (256 - wy), w10 = (256 - wx) * wy, w11 = wx * wy;
        uchar *o = out + x * CH;
        for (int c = 0; c < CH; ++c)
            o[c] = (uchar)((p[c] * w00 + p[ix1 * CH + c] * w01 + p[iy1 + c] * w10 + p[iy1 + ix1 * CH + c] * w11 +
                            32768) >> 16);
    }
}

template <int CH>
void warp_rows(const fsx_view &src, fsx_view &dst, fsx_view &hard, fsx_view &alpha, const int32_t *spans, int margin,
               const double base[6], const std::vector<Tri> &tris) {
    const int W = dst.width, H = dst.height;
    std::vector<uchar> covered(W);
    for (int y = 0; y < H; ++y) {
        int x0, x1;
        fsx::row_span(spans, y, W, margin, x0, x1);
        if (x0 >= x1) continue;
        uchar *out = (uchar *)dst.data + y * dst.stride;
        uchar *hr = hard.data ? (uchar *)hard.data + y * hard.stride : nullptr;
        uchar *ar = alpha.data ? (uchar *)alpha.data + y * alpha.stride : nullptr;
        std::fill(covered.begin() + x0, covered.begin() + x1, 0);
        const float fy = (float)y;
        for (const Tri &t : tris) {
            if (fy < t.y0 || fy > t.y1) continue;
            float lo = (float)x0, hi = (float)(x1 - 1);
            bool empty = false;
            for (int k = 0; k < 3 && !empty; ++k) {
                const float a = t.e[k][0], c = t.e[k][1] * fy + t.e[k][2];
                if (a > 1e-7f) lo = std::max(lo, -c / a);
                else if (a < -1e-7f) hi = std::min(hi, -c / a);
                else if (c < 0) empty = true;
            }
            if (empty) continue;
            int xa = (int)std::ceil(lo), xb = (int)std::floor(hi) + 1;
            if (xa >= xb) continue;
            sample_run<CH>(src, out, t.m, xa, xb, y, hr, ar);
            std::memset(covered.data() + xa, 1, xb - xa);
        }
        for (int x = x0; x < x1;) {  // what no triangle covered: the global map
            // The next uncovered column (memchr: the row is mostly covered), then its run.
            const void *z = std::memchr(covered.data() + x, 0, x1 - x);
            if (!z) break;
            x = (int)((const uchar *)z - covered.data());
            int e = x + 1;
            while (e < x1 && !covered[e]) ++e;
            sample_run<CH>(src, out, base, x, e, y, hr, ar);
            x = e;
        }
    }
}
}  // namespace

extern "C" int fsx_warp_rows(fsx_view src, fsx_view dst, fsx_view hard, fsx_view alpha, const int32_t *spans,
                             int margin, double ox, double oy, const double base[6], const float *src_xy,
                             const float *dst_xy, const int *tri, int ntri) {
    FSX_GUARD("warp", {
        if (src.format != dst.format) return fsx::fail(FS_ERR_INVALID_ARGUMENT, "warp: source and output formats differ");
        // base maps target coordinates; rows and columns here are region coordinates.
        const double b[6] = {base[0], base[1], base[0] * ox + base[1] * oy + base[2],
                             base[3], base[4], base[3] * ox + base[4] * oy + base[5]};
        std::vector<Tri> tris;
        for (int k = 0; k < ntri; ++k) {
            const int *t = tri + 3 * k;
            cv::Point2f d[3], s[3];
            for (int j = 0; j < 3; ++j) {
                d[j] = cv::Point2f(dst_xy[2 * t[j]] - (float)ox, dst_xy[2 * t[j] + 1] - (float)oy);
                s[j] = cv::Point2f(src_xy[2 * t[j]], src_xy[2 * t[j] + 1]);
            }
            double area = (d[1].x - d[0].x) * (d[2].y - d[0].y) - (d[2].x - d[0].x) * (d[1].y - d[0].y);
            if (std::fabs(area) < 1e-6) continue;
            Tri T;
            cv::Mat A = cv::getAffineTransform(d, s);
            for (int j = 0; j < 6; ++j) T.m[j] = A.at<double>(j / 3, j % 3);
            // Edge j (opposite vertex j): positive inside; a small tolerance closes seams.
            const float sign = area > 0 ? 1.0f : -1.0f;
            for (int j = 0; j < 3; ++j) {
                const cv::Point2f &p = d[(j + 1) % 3], &q = d[(j + 2) % 3];
                float a = -(q.y - p.y) * sign, bb = (q.x - p.x) * sign;
                float len = std::sqrt(a * a + bb * bb);
                T.e[j][0] = a / len; T.e[j][1] = bb / len; T.e[j][2] = -(a * p.x + bb * p.y) / len + 1e-3f;
            }
            T.y0 = std::min({d[0].y, d[1].y, d[2].y}) - 1;
            T.y1 = std::max({d[0].y, d[1].y, d[2].y}) + 1;
            tris.push_back(T);
        }
        switch (fsx::channels_of(src.format)) {
        case 1: warp_rows<1>(src, dst, hard, alpha, spans, margin, b, tris); break;
        case 3: warp_rows<3>(src, dst, hard, alpha, spans, margin, b, tris); break;
        case 4: warp_rows<4>(src, dst, hard, alpha, spans, margin, b, tris); break;
        default: return fsx::fail(FS_ERR_UNSUPPORTED, "warp: unsupported pixel format");
        }
        return 0;
    })
}

// The whole region: fsx_warp_rows over every row, valid (may have NULL data) set to 255 and
// cleared where the sample falls outside src.
extern "C" int fsx_warp_piecewise(fsx_view src, fsx_view dst, fsx_view valid, double ox, double oy,
                                  const double base[6], const float *src_xy, const float *dst_xy,
                                  const int *tri, int ntri) {
    FSX_GUARD("warp", {
        if (valid.data) fsx::mat(valid).setTo(255);
        return fsx_warp_rows(src, dst, valid, fsx_view{}, nullptr, 0, ox, oy, base, src_xy, dst_xy, tri, ntri);
    })
}
