// Blending the converted face into the target: feathered alpha, Poisson (a fast membrane
// solution, and OpenCV's exact seamlessClone), multiband (Laplacian pyramids).
#include "cv_common.hpp"
#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>
#if defined(__SSSE3__) && defined(__POPCNT__)
#include <nmmintrin.h>
#include <tmmintrin.h>
#endif

namespace {

// out = dst + (res - dst) * w/255 where w > 0; dst untouched where w == 0.
void composite(const cv::Mat &res, cv::Mat &dst, const cv::Mat &w) {
    const int ch = dst.channels();
    for (int y = 0; y < dst.rows; ++y) {
        const float *r = res.ptr<float>(y);
        const uchar *a = w.ptr<uchar>(y);
        uchar *d = dst.ptr<uchar>(y);
        for (int x = 0; x < dst.cols; ++x) {
            if (!a[x]) continue;
            float t = a[x] * (1.0f / 255.0f);
            for (int c = 0; c < ch; ++c) {
                float v = d[x * ch + c] + (r[x * ch + c] - d[x * ch + c]) * t;
                d[x * ch + c] = cv::saturate_cast<uchar>(v);
            }
        }
    }
}

// Reduces two images together `times` levels down the Gaussian pyramid.
void pyr_down_both(cv::Mat &a, cv::Mat &b, int times) {
    for (int i = 0; i < times; ++i) {
        cv::Mat x, y;
        cv::pyrDown(a, x);
        cv::pyrDown(b, y);
        a = x;
        b = y;
    }
}

int levels_for(const cv::Size &s) {
    int n = 0, m = std::min(s.width, s.height);
    while (m >= 16 && n < 5) { m /= 2; ++n; }
    return n;
}

// Multiband (Burt & Adelson), in two bands: with δ = S − D, the detail band δ − low(δ) is blended
// by the sharp alpha and the low band low(δ) — δ reduced `levels` times by the Gaussian pyramid —
// by the alpha reduced the same way, so colour and shading blend over a wide zone and edges over
// a narrow one. (A full pyramid's middle bands add little here and cost a full-resolution pass
// each.) Returns R − D weighted so that R = D exactly where alpha == 0.
void multiband_into(const cv::Mat &src, cv::Mat &dst, const cv::Mat &alpha) {
    const int levels = levels_for(src.size());
    const int ch = src.channels();
    cv::Mat delta;
    cv::subtract(src, dst, delta, cv::noArray(), CV_16S);
    cv::Mat low = delta, beta = alpha;
    pyr_down_both(low, beta, levels);
    cv::Mat lowf, betaf, lowUp, betaUp;
    low.convertTo(lowf, CV_32F);
    beta.convertTo(betaf, CV_32F, 1.0 / 255);
    cv::resize(lowf, lowUp, src.size(), 0, 0, cv::INTER_LINEAR);
    cv::resize(betaf, betaUp, src.size(), 0, 0, cv::INTER_LINEAR);
    for (int y = 0; y < dst.rows; ++y) {
        const uchar *a = alpha.ptr<uchar>(y);
        const short *dl = delta.ptr<short>(y);
        const float *lo = lowUp.ptr<float>(y), *be = betaUp.ptr<float>(y);
        uchar *d = dst.ptr<uchar>(y);
        for (int x = 0; x < dst.cols; ++x) {
            if (!a[x]) continue;
            const float al = a[x] * (1.0f / 255.0f);
            // Fade the low band in over the feather so nothing jumps where alpha reaches 0.
            const float g = std::min(1.0f, 4.0f * al);
            const float wl = (be[x] - al) * g;
            for (int c = 0; c < ch; ++c) {
                const int k = x * ch + c;
                d[k] = cv::saturate_cast<uchar>(d[k] + al * dl[k] + wl * lo[k]);
            }
        }
    }
}

// Poisson by membrane: the Poisson solution with src's gradients is src plus the harmonic
// membrane that takes the boundary differences (dst − src) into the mask. The membrane is
// smooth, so it is built at a quarter of the resolution by pull-push interpolation from the ring
// just outside the mask (a smooth stand-in for the harmonic solve, as in convolution-pyramid
// cloning) and scaled back up. Adds the membrane to src and composites by alpha into dst.
void membrane_into(const cv::Mat &src, cv::Mat &dst, const cv::Mat &hard, const cv::Mat &alpha) {
    const int ch = src.channels();
    cv::Mat inside, grown, ring;
    cv::compare(hard, 127, inside, cv::CMP_GT);
    cv::dilate(inside, grown, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(7, 7)));
    ring = grown & ~inside;
    cv::Mat diff;
    cv::subtract(dst, src, diff, ring, CV_16S);  // zero off the ring
    int shrink = std::min(src.cols, src.rows) >= 128 ? 2 : 0;
    cv::Mat V, W;
    diff.convertTo(V, CV_32F);
    ring.convertTo(W, CV_32F, 1.0 / 255);
    pyr_down_both(V, W, shrink);
    std::vector<cv::Mat> Vs{V}, Ws{W};
    while (std::min(Vs.back().cols, Vs.back().rows) > 2) {
        cv::Mat v, w;
        cv::pyrDown(Vs.back(), v);
        cv::pyrDown(Ws.back(), w);
        Vs.push_back(v);
        Ws.push_back(w);
    }
    auto spread = [ch](const cv::Mat &w) { cv::Mat o; cv::merge(std::vector<cv::Mat>(ch, w), o); return o; };
    cv::Mat est;
    cv::divide(Vs.back(), spread(cv::max(Ws.back(), 1e-6)), est);
    for (int i = (int)Vs.size() - 2; i >= 0; --i) {
        cv::Mat up, here;
        cv::pyrUp(est, up, Vs[i].size());
        cv::Mat wl = spread(cv::min(Ws[i] * 4.0f, 1.0f));
        cv::divide(Vs[i], spread(cv::max(Ws[i], 1e-6)), here);
        est = here.mul(wl) + up.mul(cv::Scalar::all(1) - wl);
    }
    cv::Mat M;
    cv::resize(est, M, src.size(), 0, 0, cv::INTER_LINEAR);
    for (int y = 0; y < dst.rows; ++y) {
        const uchar *a = alpha.ptr<uchar>(y), *s = src.ptr<uchar>(y);
        const float *m = M.ptr<float>(y);
        uchar *d = dst.ptr<uchar>(y);
        for (int x = 0; x < dst.cols; ++x) {
            if (!a[x]) continue;
            const float t = a[x] * (1.0f / 255.0f);
            for (int c = 0; c < ch; ++c) {
                const int k = x * ch + c;
                d[k] = cv::saturate_cast<uchar>(d[k] + (s[k] + m[k] - d[k]) * t);
            }
        }
    }
}
}  // namespace

extern "C" int fsx_blend(fsx_view src, fsx_view dst, fsx_view alpha, fsx_view hard, int mode) {
    FSX_GUARD("blend", {
        cv::Mat s = fsx::mat(src), d = fsx::mat(dst), a = fsx::mat(alpha);
        switch (mode) {
        case 0: {
            cv::Mat f;
            s.convertTo(f, CV_32F);
            composite(f, d, a);
            return 0;
        }
        case 1:
            membrane_into(s, d, fsx::mat(hard), a);
            return 0;
        case 2:
            multiband_into(s, d, a);
            return 0;
        case 3: {
            cv::Mat h = fsx::mat(hard).clone();
            if (h.rows < 8 || h.cols < 8) return 0;
            // seamlessClone needs the mask off the image border.
            h.row(0).setTo(0); h.row(1).setTo(0); h.row(h.rows - 1).setTo(0); h.row(h.rows - 2).setTo(0);
            h.col(0).setTo(0); h.col(1).setTo(0); h.col(h.cols - 1).setTo(0); h.col(h.cols - 2).setTo(0);
            cv::Rect box = cv::boundingRect(h);
            if (box.area() == 0) return 0;
            cv::Mat s3 = s, d3 = d;
            if (s.channels() == 4) { cv::cvtColor(s, s3, cv::COLOR_BGRA2BGR); cv::cvtColor(d, d3, cv::COLOR_BGRA2BGR); }
            cv::Point centre(box.x + box.width / 2, box.y + box.height / 2);
            cv::Mat out;
            cv::seamlessClone(s3, d3, h, centre, out, cv::NORMAL_CLONE);
            cv::Mat f;
            out.convertTo(f, CV_32F);
            if (s.channels() == 4) { cv::Mat t; cv::cvtColor(out, t, cv::COLOR_BGR2BGRA); t.convertTo(f, CV_32F); }
            composite(f, d, a);
            return 0;
        }
        default:
            return fsx::fail(FS_ERR_UNSUPPORTED, "unknown blend mode");
        }
    })
}

extern "C" int fsx_gradient_on(fsx_view img, fsx_view band, double *mean, double *n) {
    FSX_GUARD("gradient", {
        cv::Mat m = fsx::mat(img), g, gx, gy, mag;
        if (m.channels() == 1) g = m;
        else cv::cvtColor(m, g, m.channels() == 3 ? cv::COLOR_BGR2GRAY : cv::COLOR_BGRA2GRAY);
        cv::Sobel(g, gx, CV_32F, 1, 0);
        cv::Sobel(g, gy, CV_32F, 0, 1);
        cv::magnitude(gx, gy, mag);
        cv::Mat b = fsx::mat(band) > 0;
        *n = cv::countNonZero(b);
        *mean = *n > 0 ? cv::mean(mag, b)[0] : 0;
        return 0;
    })
}

extern "C" int fsx_count_diff(fsx_view a, fsx_view b, fsx_view mask, double *differ, double *total) {
    FSX_GUARD("compare", {
        cv::Mat d;
        cv::absdiff(fsx::mat(a), fsx::mat(b), d);
        if (d.channels() > 1) {
            cv::Mat r = d.reshape(1, d.rows * d.cols);
            cv::reduce(r, r, 1, cv::REDUCE_MAX);
            d = r.reshape(1, a.height);
        }
        cv::Mat nz = d > 0;
        if (mask.data) {
            cv::Mat k = fsx::mat(mask) > 0;
            *total = cv::countNonZero(k);
            *differ = cv::countNonZero(nz & k);
        } else {
            *total = (double)d.total();
            *differ = cv::countNonZero(nz);
        }
        return 0;
    })
}

// ---- blending on the face's rows only ----
namespace {
template <int CH>
void alpha_rows(const fsx_view &s, fsx_view &d, const fsx_view &a, const int32_t *spans) {
    for (int y = 0; y < d.height; ++y) {
        int x0, x1;
        fsx::row_span(spans, y, d.width, 0, x0, x1);
        const uchar *sp = (const uchar *)s.data + y * s.stride, *ap = (const uchar *)a.data + y * a.stride;
        uchar *dp = (uchar *)d.data + y * d.stride;
        for (int x = x0; x < x1; ++x) {
            const int w = ap[x];
            if (!w) continue;
            for (int c = 0; c < CH; ++c) {
                const int k = x * CH + c;
                dp[k] = (uchar)((dp[k] * (255 - w) + sp[k] * w + 127) / 255);
            }
        }
    }
}

// The multiband composite of pixels [xs, xe) of a row, between two low-band cells c0 and c1
// (CH low-band channels, then Σ h, then the reduced alpha β): with t the column's weight,
// al = alpha / 255, wl = (β − al) · min(1, 4 al) (the low band faded in over the feather),
// d += al (s − d) + wl · low, rounded to nearest (even) and clamped as cv::saturate_cast.
template <int CH>
inline void composite_run(uchar *__restrict dp, const uchar *__restrict sp, const uchar *__restrict ap,
                          const float *__restrict xw, int xs, int xe, const float *c0, const float *c1) {
    float lo0[CH], dlo[CH];
    for (int c = 0; c < CH; ++c) { lo0[c] = c0[c]; dlo[c] = c1[c] - c0[c]; }
    const float be0 = c0[CH + 1], dbe = c1[CH + 1] - c0[CH + 1];
    for (int x = xs; x < xe; ++x) {
        const float t = xw[x], al = ap[x] * (1.0f / 255.0f);
        const float wl = (be0 + dbe * t - al) * std::min(1.0f, 4.0f * al);
        for (int c = 0; c < CH; ++c) {
            const int k = x * CH + c;
            const float v = dp[k] + al * (sp[k] - dp[k]) + wl * (lo0[c] + dlo[c] * t);
            dp[k] = (uchar)(int)__builtin_rintf(std::min(255.0f, std::max(0.0f, v)));
        }
    }
}

// The multiband sums of a block's 3-channel pixels [x, xe), eight at a time while eight remain:
// acc[c] += Σ in·(s − d) per channel, acc[3] += Σ in, acc[4] += Σ in·alpha with in = hard > 127
// (integer sums: the same as the pixel loop). Each channel's eight bytes of s and of d, and alpha,
// masked by in, are summed by psadbw (Σ in·s − Σ in·d = Σ in·(s − d)), in by a bit count.
// Returns the first pixel not summed.
inline int block_sums_bgr(const uchar *sp, const uchar *dp, const uchar *ap, const uchar *hp, int x, int xe,
                          int acc[5]) {
#if defined(__SSSE3__) && defined(__POPCNT__)
    if (x + 8 > xe) return x;
    // pshufb: bytes B0..B7 G0..G7 from the first 16 (lo) and the last 8 (hi) of 24; R0..R7 likewise.
    const __m128i bg_lo = _mm_setr_epi8(0, 3, 6, 9, 12, 15, -1, -1, 1, 4, 7, 10, 13, -1, -1, -1);
    const __m128i bg_hi = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, 2, 5, -1, -1, -1, -1, -1, 0, 3, 6);
    const __m128i r_lo = _mm_setr_epi8(2, 5, 8, 11, 14, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i r_hi = _mm_setr_epi8(-1, -1, -1, -1, -1, 1, 4, 7, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i zero = _mm_setzero_si128();
    __m128i bg = zero, r = zero, al = zero;  // Σ s − Σ d per channel (64-bit lanes: B, G / R), Σ alpha
    int n = 0;
    for (; x + 8 <= xe; x += 8) {
        const __m128i h8 = _mm_cmplt_epi8(_mm_loadl_epi64((const __m128i *)(hp + x)), zero);  // 0xFF where hard > 127
        const __m128i in2 = _mm_unpacklo_epi64(h8, h8);
        auto sums = [&](const uchar *p, __m128i &bgs, __m128i &rs) {
            const __m128i v0 = _mm_loadu_si128((const __m128i *)(p + 3 * x)), v1 = _mm_loadl_epi64((const __m128i *)(p + 3 * x + 16));
            bgs = _mm_sad_epu8(_mm_and_si128(_mm_or_si128(_mm_shuffle_epi8(v0, bg_lo), _mm_shuffle_epi8(v1, bg_hi)), in2), zero);
            rs = _mm_sad_epu8(_mm_and_si128(_mm_or_si128(_mm_shuffle_epi8(v0, r_lo), _mm_shuffle_epi8(v1, r_hi)), h8), zero);
        };
        __m128i sbg, sr, dbg, dr;
        sums(sp, sbg, sr);
        sums(dp, dbg, dr);
        bg = _mm_add_epi64(bg, _mm_sub_epi64(sbg, dbg));
        r = _mm_add_epi64(r, _mm_sub_epi64(sr, dr));
        al = _mm_add_epi64(al, _mm_sad_epu8(_mm_and_si128(_mm_loadl_epi64((const __m128i *)(ap + x)), h8), zero));
        n += _mm_popcnt_u32((unsigned)_mm_movemask_epi8(h8) & 0xFF);
    }
    acc[0] += (int)_mm_cvtsi128_si64(bg);
    acc[1] += (int)_mm_cvtsi128_si64(_mm_unpackhi_epi64(bg, bg));
    acc[2] += (int)_mm_cvtsi128_si64(r);
    acc[3] += n;
    acc[4] += (int)_mm_cvtsi128_si64(al);
#else
    (void)sp; (void)dp; (void)ap; (void)hp; (void)xe; (void)acc;
#endif
    return x;
}

// Multiband in two bands, as multiband_into above, with the low band taken over the face only:
// low(δ·h) / low(h), δ = S − D and h the hard mask, so the two backgrounds around the face do not
// leak into it. The reduction is one pass over the face's rows into blocks of 2^(levels−2) px,
// then two Gaussian pyramid steps on the small images; the low band and the reduced alpha are
// interpolated back bilinearly, one row at a time. The blocks sit on a grid fixed in the image
// (the region's origin is (ox, oy)), so a face that moves does not see its low band re-sampled.
template <int CH>
void multiband_rows(const fsx_view &s, fsx_view &d, const fsx_view &a, const fsx_view &h, const int32_t *spans,
                    int ox, int oy) {
    const int W = d.width, H = d.height;
    const int levels = levels_for(cv::Size(W, H));
    if (levels < 2) { alpha_rows<CH>(s, d, a, spans); return; }
    const int B = 1 << (levels - 2), G = 4 * B;  // block and low-band cell sizes, in pixels
    const int dx = ((ox % G) + G) % G, dy = ((oy % G) + G) % G;  // the region's offset in its first cell
    const int gw = (dx + W + G - 1) / G * 4, gh = (dy + H + G - 1) / G * 4;
    cv::Mat sum(gh, gw, CV_32FC(CH + 2), cv::Scalar::all(0));  // Σ δ·h per channel, Σ h, Σ alpha
    for (int y = 0; y < H; ++y) {
        int x0, x1;
        fsx::row_span(spans, y, W, 0, x0, x1);
        const uchar *sp = (const uchar *)s.data + y * s.stride, *dp = (const uchar *)d.data + y * d.stride;
        const uchar *ap = (const uchar *)a.data + y * a.stride, *hp = (const uchar *)h.data + y * h.stride;
        float *row = sum.ptr<float>((y + dy) / B);
        for (int cx = (x0 + dx) / B; cx * B - dx < x1; ++cx) {  // one block of B columns at a time, summed in registers
            int acc[CH + 2] = {0};
            const int xa = std::max(x0, cx * B - dx), xb = std::min(x1, cx * B + B - dx);
            int x = xa;
            if constexpr (CH == 3) x = block_sums_bgr(sp, dp, ap, hp, xa, xb, acc);
            for (; x < xb; ++x) {
                const int in = hp[x] > 127;
                for (int c = 0; c < CH; ++c) acc[c] += in * (sp[x * CH + c] - dp[x * CH + c]);
                acc[CH] += in;
                acc[CH + 1] += in * ap[x];
            }
            float *cell = row + cx * (CH + 2);
            for (int c = 0; c < CH + 1; ++c) cell[c] += (float)acc[c];
            cell[CH + 1] += acc[CH + 1] * (1.0f / 255.0f);
        }
    }
    sum *= 1.0 / (B * B);
    cv::Mat low = sum;
    for (int i = 0; i < 2; ++i) { cv::Mat t; cv::pyrDown(low, t); low = t; }
    // Normalise: the low band is δ's mean over the face's pixels nearby.
    const int lw = low.cols, lh = low.rows;
    for (int y = 0; y < lh; ++y) {
        float *p = low.ptr<float>(y);
        for (int x = 0; x < lw; ++x, p += CH + 2) {
            const float wgt = p[CH];
            for (int c = 0; c < CH; ++c) p[c] = wgt > 1e-4f ? p[c] / wgt : 0.0f;
        }
    }
    // Bilinear back up (cell centres at the middle of each G × G square), one row at a time.
    const float sx = 1.0f / G, sy = 1.0f / G;
    std::vector<float> vrow((size_t)lw * (CH + 2));
    std::vector<int> xi(W);
    std::vector<float> xw(W);
    for (int x = 0; x < W; ++x) {
        float fx = std::max(0.0f, (x + dx + 0.5f) * sx - 0.5f);
        int i = std::min((int)fx, lw - 1);
        xi[x] = i;
        xw[x] = i < lw - 1 ? fx - i : 0.0f;
    }
    std::vector<int> stretch_end(W);  // the first column after x whose grid column differs (W: none)
    for (int x = W - 1; x >= 0; --x) stretch_end[x] = x + 1 < W && xi[x + 1] == xi[x] ? stretch_end[x + 1] : x + 1;
    const int C2 = CH + 2;
    for (int y = 0; y < H; ++y) {
        int x0, x1;
        fsx::row_span(spans, y, W, 0, x0, x1);
        if (x0 >= x1) continue;
        float fy = std::max(0.0f, (y + dy + 0.5f) * sy - 0.5f);
        int j = std::min((int)fy, lh - 1), j1 = std::min(j + 1, lh - 1);
        float wy = j1 > j ? fy - j : 0.0f;
        const float *r0 = low.ptr<float>(j), *r1 = low.ptr<float>(j1);
        for (int k = 0; k < lw * C2; ++k) vrow[k] = r0[k] + (r1[k] - r0[k]) * wy;
        const uchar *sp = (const uchar *)s.data + y * s.stride, *ap = (const uchar *)a.data + y * a.stride;
        uchar *dp = (uchar *)d.data + y * d.stride;
        // One grid column's stretch of the row at a time (xi is non-decreasing): its two cells are
        // fixed there, so the loop below has no branch and the compiler vectorises it. Where alpha
        // is 0 it leaves the pixel as it is (al = wl = 0); where alpha is full and the low-band
        // term is under half a level it gives the source pixel itself.
        for (int xs = x0; xs < x1;) {
            const int i = xi[xs];
            const int xe = std::min(stretch_end[xs], x1);
            const float *c0 = &vrow[i * C2], *c1 = i < lw - 1 ? c0 + C2 : c0;
            composite_run<CH>(dp, sp, ap, xw.data(), xs, xe, c0, c1);
            xs = xe;
        }
    }
}
}  // namespace

extern "C" int fsx_blend_rows(fsx_view src, fsx_view dst, fsx_view alpha, fsx_view hard, const int32_t *spans,
                              int ox, int oy, int mode) {
    FSX_GUARD("blend", {
        const int ch = fsx::channels_of(dst.format);
        if (mode == 0 || mode == 2) {
            switch (ch) {
            case 1: mode == 0 ? alpha_rows<1>(src, dst, alpha, spans) : multiband_rows<1>(src, dst, alpha, hard, spans, ox, oy); return 0;
            case 3: mode == 0 ? alpha_rows<3>(src, dst, alpha, spans) : multiband_rows<3>(src, dst, alpha, hard, spans, ox, oy); return 0;
            case 4: mode == 0 ? alpha_rows<4>(src, dst, alpha, spans) : multiband_rows<4>(src, dst, alpha, hard, spans, ox, oy); return 0;
            default: break;
            }
        }
        return fsx_blend(src, dst, alpha, hard, mode);
    })
}
