// Conversion by geometry: Delaunay triangulation and the piecewise-affine (or global) warp of
// the source face onto the target's landmarks, done as one cv::remap over a map filled per
// triangle.
#include "cv_common.hpp"
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
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
        // A triangle corner's point: the first i whose coordinates equal it (a repeated point is
        // one vertex), found in the points sorted by (x, y, i) (not-a-number coordinates equal
        // nothing, so they are left out) instead of a scan of all n per corner.
        std::vector<int> order;
        order.reserve(n);
        for (int i = 0; i < n; ++i)
            if (!std::isnan(xy[2 * i]) && !std::isnan(xy[2 * i + 1])) order.push_back(i);
        auto before = [&](int i, float px, float py) {
            return xy[2 * i] < px || (xy[2 * i] == px && xy[2 * i + 1] < py);
        };
        std::sort(order.begin(), order.end(), [&](int i, int j) {
            return before(i, xy[2 * j], xy[2 * j + 1]) || (!before(j, xy[2 * i], xy[2 * i + 1]) && i < j);
        });
        auto index_of = [&](float px, float py) {
            const auto it = std::lower_bound(order.begin(), order.end(), 0, [&](int i, int) { return before(i, px, py); });
            return it != order.end() && xy[2 * *it] == px && xy[2 * *it + 1] == py ? *it : -1;
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

// ---- worker threads kept between calls (a reenactor's warp, one frame after another) ----
//
// Started as calls first want them (never more than threads - 1) and kept, idle, until freed.
// A call's body runs on the caller and on the workers that wake while work is left; the call
// returns once every thread that took part is out of it. On a loaded machine a worker that is
// preempted holding a chunk of rows keeps the caller waiting for its time slice (measured:
// 720x720 reenactor warp, load ~5 on 2 cores, median 2.0 ms alone, 6-7 ms with one helper), so
// the helpers are used only while they pay: the seconds per unit of work of calls with and
// without them are averaged, the cheaper way taken, the other retried every 16th call.
struct fsx_workers {
    explicit fsx_workers(int threads) : limit_(std::max(threads, 1) - 1) {}
    ~fsx_workers() {
        {
            std::lock_guard<std::mutex> lock(mu_);
            stop_ = true;
        }
        wake_.notify_all();
        for (auto &t : threads_) t.join();
    }

    // body() on up to `want` threads (the caller's among them); `work`: the call's size, for the
    // cost per unit. One call at a time (later callers wait).
    void run(const std::function<void()> &body, int want, double work) {
        std::lock_guard<std::mutex> one(call_);
        const int helpers = std::min(want - 1, limit_);
        const bool helped = helpers > 0 && choose();
        const auto t0 = std::chrono::steady_clock::now();
        if (helped) {
            while ((int)threads_.size() < helpers) {
                try { threads_.emplace_back([this] { loop(); }); }
                catch (...) { break; }  // a thread that cannot be started leaves its share to the others
            }
            {
                std::lock_guard<std::mutex> lock(mu_);
                job_ = &body;
                slots_ = helpers;
                ++generation_;
            }
            wake_.notify_all();
        }
        body();
        if (helped) {
            std::unique_lock<std::mutex> lock(mu_);
            job_ = nullptr;
            done_.wait(lock, [this] { return active_ == 0; });
        }
        if (helpers > 0 && work > 0) {
            const double c = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / work;
            double &avg = cost_[helped ? 1 : 0];
            avg = avg < 0 ? c : 0.7 * avg + 0.3 * c;
        }
    }

  private:
    // Helped or not: each way tried first, then the cheaper one, the other every 16th call.
    bool choose() {
        ++calls_;
        if (cost_[1] < 0) return true;
        if (cost_[0] < 0) return false;
        const bool cheaper = cost_[1] <= cost_[0];
        return calls_ % 16 == 0 ? !cheaper : cheaper;
    }
    void loop() {
        std::unique_lock<std::mutex> lock(mu_);
        uint64_t seen = generation_;
        for (;;) {
            wake_.wait(lock, [&] { return stop_ || (job_ && generation_ != seen && slots_ > 0); });
            if (stop_) return;
            seen = generation_;
            --slots_;
            ++active_;
            const std::function<void()> *job = job_;
            lock.unlock();
            (*job)();  // catches its own exceptions
            lock.lock();
            if (--active_ == 0) done_.notify_all();
        }
    }
    const int limit_;
    std::vector<std::thread> threads_;
    std::mutex call_, mu_;
    std::condition_variable wake_, done_;
    const std::function<void()> *job_ = nullptr;
    uint64_t generation_ = 0;
    int slots_ = 0, active_ = 0;
    bool stop_ = false;
    double cost_[2] = {-1, -1};  // seconds per unit of work: alone, helped (-1: not yet measured)
    unsigned calls_ = 0;
};

// ---- the piecewise-affine warp, row by row, only where the face mask needs pixels ----
//
// Each triangle's extent on a row is found from its three edge lines; its pixels are sampled
// (bilinear, fixed point) through its own affine map, with no map images. Pixels of the span
// that no triangle covers use `base`. A sample outside the source zeroes hard and alpha there.
namespace {
// Edge k: a[k] x + b[k] y + c[k] >= 0 inside (a fourth edge 0 x + 0 y + 1, always inside, pads
// them to four lanes).
struct Tri { alignas(16) float a[4], b[4], c[4]; double m[6]; float y0, y1; };

// A run's map on row y as the sampling loops evaluate it: source x = ax * x + cx, y = ay * x + cy.
struct RunMap {
    float ax, cx, ay, cy;
    RunMap(const double m[6], int y)
        : ax((float)m[0]), cx((float)(m[1] * y + m[2])), ay((float)m[3]), cy((float)(m[4] * y + m[5])) {}
};

#ifdef __AVX2__
// Eight 3-channel pixels at source positions (sx, sy), all with sx in [0, sw - 2) and sy in
// [0, sh - 1) (so an 8-byte load at the left-hand tap, which holds the right-hand one, stays
// inside its row), bilinear with 7-bit weights; the first k (1..8) stored at out. Each pixel's
// two taps of a row come in one 8-byte load, spread to 16-bit pairs (left, right) per channel
// and weighted by one pmaddwd: pixels (j, j + 4) share a vector, one per 128-bit lane, so the
// weights are an in-lane broadcast and the packed result is in pixel order.
inline void sample8(const uchar *base, size_t stride, __m256 sx, __m256 sy, uchar *out, int k) {
    const __m256i k128 = _mm256_set1_epi32(128), round = _mm256_set1_epi32(1 << 13);
    // B0 B1 G0 G1 R0 R1 0 0 (16-bit) of the first / second 64-bit word of a 128-bit lane.
    const __m256i spread0 = _mm256_setr_epi8(0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1,
                                             0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1);
    const __m256i spread1 = _mm256_setr_epi8(8, -1, 11, -1, 9, -1, 12, -1, 10, -1, 13, -1, -1, -1, -1, -1,
                                             8, -1, 11, -1, 9, -1, 12, -1, 10, -1, 13, -1, -1, -1, -1, -1);
    const __m128i pack = _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
    const __m256i ix = _mm256_cvttps_epi32(sx), iy = _mm256_cvttps_epi32(sy);
    const __m256i wx = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_sub_ps(sx, _mm256_cvtepi32_ps(ix)), _mm256_set1_ps(128)));
    const __m256i wy = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_sub_ps(sy, _mm256_cvtepi32_ps(iy)), _mm256_set1_ps(128)));
    // 16-bit weight pairs (left, right) of the top and bottom rows: (128 - wx, wx) times 128 - wy
    // and wy (each at most 128 * 128, inside int16).
    const __m256i pairx = _mm256_or_si256(_mm256_sub_epi32(k128, wx), _mm256_slli_epi32(wx, 16));
    const __m256i wy0 = _mm256_sub_epi32(k128, wy);
    const __m256i wtop = _mm256_mullo_epi16(pairx, _mm256_or_si256(wy0, _mm256_slli_epi32(wy0, 16)));
    const __m256i wbot = _mm256_mullo_epi16(pairx, _mm256_or_si256(wy, _mm256_slli_epi32(wy, 16)));
    // Each pixel's two taps of a row: one 8-byte load at its left-hand tap (plain loads, the
    // offsets taken out two at a time: on the AMD EPYC cheaper than 64-bit gathers).
    const __m256i off = _mm256_add_epi32(_mm256_mullo_epi32(iy, _mm256_set1_epi32((int)stride)), _mm256_add_epi32(ix, _mm256_add_epi32(ix, ix)));
    const __m128i olo = _mm256_castsi256_si128(off), ohi = _mm256_extracti128_si256(off, 1);
    const uint64_t o01 = (uint64_t)_mm_cvtsi128_si64(olo), o23 = (uint64_t)_mm_extract_epi64(olo, 1),
                   o45 = (uint64_t)_mm_cvtsi128_si64(ohi), o67 = (uint64_t)_mm_extract_epi64(ohi, 1);
    const uchar *p[8] = {base + (int32_t)(uint32_t)o01, base + (int32_t)(o01 >> 32), base + (int32_t)(uint32_t)o23,
                         base + (int32_t)(o23 >> 32), base + (int32_t)(uint32_t)o45, base + (int32_t)(o45 >> 32),
                         base + (int32_t)(uint32_t)o67, base + (int32_t)(o67 >> 32)};
    auto at = [&](int i, size_t down) {
        long long v;
        std::memcpy(&v, p[i] + down, 8);
        return v;
    };
    const __m256i tA = _mm256_setr_epi64x(at(0, 0), at(1, 0), at(4, 0), at(5, 0)),
                  tB = _mm256_setr_epi64x(at(2, 0), at(3, 0), at(6, 0), at(7, 0));
    const __m256i bA = _mm256_setr_epi64x(at(0, stride), at(1, stride), at(4, stride), at(5, stride)),
                  bB = _mm256_setr_epi64x(at(2, stride), at(3, stride), at(6, stride), at(7, stride));
    auto taps = [&](__m256i top, __m256i bot, const __m256i &spread, __m256i wt, __m256i wb) {
        const __m256i v = _mm256_add_epi32(_mm256_madd_epi16(_mm256_shuffle_epi8(top, spread), wt),
                                           _mm256_madd_epi16(_mm256_shuffle_epi8(bot, spread), wb));
        return _mm256_srli_epi32(_mm256_add_epi32(v, round), 14);
    };
    const __m256i p0 = taps(tA, bA, spread0, _mm256_shuffle_epi32(wtop, 0x00), _mm256_shuffle_epi32(wbot, 0x00));
    const __m256i p1 = taps(tA, bA, spread1, _mm256_shuffle_epi32(wtop, 0x55), _mm256_shuffle_epi32(wbot, 0x55));
    const __m256i p2 = taps(tB, bB, spread0, _mm256_shuffle_epi32(wtop, 0xAA), _mm256_shuffle_epi32(wbot, 0xAA));
    const __m256i p3 = taps(tB, bB, spread1, _mm256_shuffle_epi32(wtop, 0xFF), _mm256_shuffle_epi32(wbot, 0xFF));
    // B,G,R,0 words of pixels 0..7 in order (lane 0: 0-3, lane 1: 4-7) -> 24 bytes, stored
    // exactly (neighbours may belong to another run).
    const __m256i px = _mm256_packus_epi16(_mm256_packus_epi32(p0, p1), _mm256_packus_epi32(p2, p3));
    const __m128i lo = _mm_shuffle_epi8(_mm256_castsi256_si128(px), pack);
    const __m128i hi = _mm_shuffle_epi8(_mm256_extracti128_si256(px, 1), pack);
    if (k < 8) {
        alignas(16) uchar tmp[32];
        _mm_store_si128((__m128i *)tmp, lo);
        _mm_storeu_si128((__m128i *)(tmp + 12), hi);
        std::memcpy(out, tmp, 3 * k);
        return;
    }
    _mm_storel_epi64((__m128i *)out, lo);
    const int32_t lo2 = _mm_extract_epi32(lo, 2);
    std::memcpy(out + 8, &lo2, 4);
    _mm_storel_epi64((__m128i *)(out + 12), hi);
    const int32_t hi2 = _mm_extract_epi32(hi, 2);
    std::memcpy(out + 20, &hi2, 4);
}

// A run inside sample8's bounds whose map stays within 1/512 px of one whole-pixel shift (the
// triangles between the reenactor's fixed ring and the image border, mapped onto themselves up
// to rounding): sample8 would give each pixel one tap's weight whole (its 7-bit weights round
// to 0 or 128), the pixel at that shift, so the run is a copy. Copies it and says so. sx and
// sy are within a float's rounding of linear in x, so the ends decide.
inline bool near_copy_run(const fsx_view &src, uchar *out, const RunMap &r, int xa, int xb, int y) {
    const float sx0 = std::fma(r.ax, (float)xa, r.cx), sx1 = std::fma(r.ax, (float)(xb - 1), r.cx);
    const float sy0 = std::fma(r.ay, (float)xa, r.cy), sy1 = std::fma(r.ay, (float)(xb - 1), r.cy);
    const float dx = std::nearbyint(sx0 - (float)xa), dy = std::nearbyint(sy0 - (float)y), tol = 1.0f / 512;
    if (!(std::fabs(sx0 - ((float)xa + dx)) <= tol && std::fabs(sx1 - ((float)(xb - 1) + dx)) <= tol &&
          std::fabs(sy0 - ((float)y + dy)) <= tol && std::fabs(sy1 - ((float)y + dy)) <= tol))
        return false;
    std::memcpy(out + (size_t)xa * 3, (const uchar *)src.data + (size_t)(y + (int)dy) * src.stride + (size_t)(xa + (int)dx) * 3,
                (size_t)(xb - xa) * 3);
    return true;
}

// Whether every pixel of [xa, xb) samples where sample8 may: sx in [0, sw - 2), sy in [0, sh - 1).
// sx and sy are monotonic in x (one correctly rounded fma each), so the ends decide.
inline bool inside8(const RunMap &r, int xa, int xb, int sw, int sh) {
    const float lx = (float)(sw - 2), ly = (float)(sh - 1);
    const float sx0 = std::fma(r.ax, (float)xa, r.cx), sx1 = std::fma(r.ax, (float)(xb - 1), r.cx);
    const float sy0 = std::fma(r.ay, (float)xa, r.cy), sy1 = std::fma(r.ay, (float)(xb - 1), r.cy);
    return sw >= 3 && sh >= 2 && sx0 >= 0 && sx1 >= 0 && sy0 >= 0 && sy1 >= 0 && sx0 < lx && sx1 < lx && sy0 < ly && sy1 < ly;
}
#endif

// A whole-pixel shift that samples inside for the whole run (the reenactor's still background,
// whose triangles map onto themselves): every tap but one has weight 0 whatever the path, so the
// run is a copy. Copies it and says so.
template <int CH>
inline bool copy_run(const fsx_view &src, uchar *out, const RunMap &r, int xa, int xb) {
    if (!(r.ax == 1.0f && r.ay == 0.0f && r.cx == std::floor(r.cx) && r.cy == std::floor(r.cy) && xa < xb)) return false;
    const float sx0 = xa + r.cx, sx1 = (xb - 1) + r.cx;
    if (!(sx0 >= 0 && sx1 <= (float)(src.width - 1) && r.cy >= 0 && r.cy <= (float)(src.height - 1))) return false;
    std::memcpy(out + (size_t)xa * CH, (const uchar *)src.data + (size_t)r.cy * src.stride + (size_t)sx0 * CH, (size_t)(xb - xa) * CH);
    return true;
}

// The run [xa, xb) of a row sampled through map r (the callers try copy_run first).
template <int CH>
inline void sample_run(const fsx_view &src, uchar *out, const RunMap &r, int xa, int xb, uchar *hr, uchar *ar) {
    const int sw = src.width, sh = src.height;
    const float maxx = (float)(sw - 1), maxy = (float)(sh - 1);
    const float ax = r.ax, cx = r.cx, ay = r.ay, cy = r.cy;
    const uchar *base = (const uchar *)src.data;
    int x = xa;
#ifdef __AVX2__
    if (CH == 3 && sw >= 3 && sh >= 2) {
        // Eight pixels at a time, where all eight taps lie inside sample8's bounds; any other
        // group, and the rest of the run after it, goes through the loop below. (Its weights
        // round half up where these round half to even: a tail pixel done here rather than there
        // may differ by a level.)
        const __m256 lane = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
        const __m256 vax = _mm256_set1_ps(ax), vcx = _mm256_set1_ps(cx), vay = _mm256_set1_ps(ay), vcy = _mm256_set1_ps(cy);
        const __m256 lim_x = _mm256_set1_ps((float)(sw - 2)), lim_y = _mm256_set1_ps((float)(sh - 1)), zero = _mm256_setzero_ps();
        for (; x < xb; x += 8) {
            // A run's last k < 8 pixels: the spare lanes repeat its last pixel; k are stored.
            const int k = std::min(8, xb - x);
            const __m256 xs = _mm256_min_ps(_mm256_add_ps(_mm256_set1_ps((float)x), lane), _mm256_set1_ps((float)(xb - 1)));
            const __m256 sx = _mm256_fmadd_ps(vax, xs, vcx), sy = _mm256_fmadd_ps(vay, xs, vcy);
            const __m256 ok = _mm256_and_ps(_mm256_and_ps(_mm256_cmp_ps(sx, zero, _CMP_GE_OQ), _mm256_cmp_ps(sy, zero, _CMP_GE_OQ)),
                                            _mm256_and_ps(_mm256_cmp_ps(sx, lim_x, _CMP_LT_OQ), _mm256_cmp_ps(sy, lim_y, _CMP_LT_OQ)));
            if (_mm256_movemask_ps(ok) != 0xFF) break;
            sample8(base, src.stride, sx, sy, out + x * 3, k);
            if (k < 8) { x = xb; break; }
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

// The triangles crossing each row (y0 <= y <= y1), in their order: first[y] .. first[y + 1] of
// list. (A bound that is not a number excludes no row, as a comparison with it would not.)
inline void rows_of(const std::vector<Tri> &tris, int H, std::vector<int> &first, std::vector<int> &list) {
    std::vector<int> from(tris.size()), to(tris.size());
    first.assign(H + 1, 0);
    for (size_t i = 0; i < tris.size(); ++i) {
        const float y0 = tris[i].y0, y1 = tris[i].y1;
        const float lo = std::isnan(y0) ? 0.0f : std::ceil(std::max(y0, 0.0f));
        const float hi = std::isnan(y1) ? (float)(H - 1) : std::floor(std::min(y1, (float)(H - 1)));
        from[i] = (int)std::min(lo, (float)H);
        to[i] = hi < (float)from[i] ? from[i] : (int)hi + 1;
        for (int y = from[i]; y < to[i]; ++y) ++first[y + 1];
    }
    for (int y = 0; y < H; ++y) first[y + 1] += first[y];
    list.assign(first[H], 0);
    std::vector<int> fill(first.begin(), first.end() - 1);
    for (size_t i = 0; i < tris.size(); ++i)
        for (int y = from[i]; y < to[i]; ++y) list[fill[y]++] = (int)i;
}

// The columns [xa, xb) of triangle t on row fy within [x0, x1) (xa >= xb: none).
inline void extent(const Tri &t, float fy, int x0, int x1, int &xa, int &xb) {
    float lo = (float)x0, hi = (float)(x1 - 1);
#ifdef __AVX2__
    // The three edges at once, each lane as the loop below computes it (c by one fma, as the
    // compiler contracts it there): an edge's bound -c / a joins lo (a > 0) or hi (a < 0) by
    // max or min, a bound that is not a number leaving them as they are; a level edge (|a| at
    // most 1e-7) with c < 0 excludes the row. Max and min of the lanes are the loop's results
    // in any order, as no lane's value is not a number.
    const __m128 a = _mm_load_ps(t.a), c = _mm_fmadd_ps(_mm_load_ps(t.b), _mm_set1_ps(fy), _mm_load_ps(t.c));
    const __m128 q = _mm_div_ps(_mm_xor_ps(c, _mm_set1_ps(-0.0f)), a);
    const __m128 pos = _mm_cmpgt_ps(a, _mm_set1_ps(1e-7f)), neg = _mm_cmplt_ps(a, _mm_set1_ps(-1e-7f));
    if (_mm_movemask_ps(_mm_andnot_ps(_mm_or_ps(pos, neg), _mm_cmplt_ps(c, _mm_setzero_ps())))) { xa = xb = 0; return; }
    const __m128 vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
    __m128 l = _mm_blendv_ps(vlo, _mm_max_ps(q, vlo), pos), h = _mm_blendv_ps(vhi, _mm_min_ps(q, vhi), neg);
    l = _mm_max_ps(l, _mm_movehl_ps(l, l)); l = _mm_max_ps(l, _mm_shuffle_ps(l, l, 1));
    h = _mm_min_ps(h, _mm_movehl_ps(h, h)); h = _mm_min_ps(h, _mm_shuffle_ps(h, h, 1));
    lo = _mm_cvtss_f32(l); hi = _mm_cvtss_f32(h);
#else
    for (int k = 0; k < 3; ++k) {
        const float a = t.a[k], c = t.b[k] * fy + t.c[k];
        if (a > 1e-7f) lo = std::max(lo, -c / a);
        else if (a < -1e-7f) hi = std::min(hi, -c / a);
        else if (c < 0) { xa = xb = 0; return; }
    }
#endif
    xa = (int)std::ceil(lo), xb = (int)std::floor(hi) + 1;
}

// The end of the run of `value` in owner from e (< x1): the first column at or after e, below
// x1, that holds another (x1: none).
inline int same_to(const int16_t *owner, int e, int x1, int16_t value) {
#ifdef __AVX2__
    const __m128i v = _mm_set1_epi16(value);
    while (e + 8 <= x1 && _mm_movemask_epi8(_mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(owner + e)), v)) == 0xFFFF) e += 8;
#endif
    while (e < x1 && owner[e] == value) ++e;
    return e;
}

// Rows are shared among threads in chunks of this many, each taken by the first thread free
// (rows are independent).
constexpr int kBandRows = 8;

template <int CH>
void warp_rows(const fsx_view &src, fsx_view &dst, fsx_view &hard, fsx_view &alpha, const int32_t *spans, int margin,
               const double base[6], const std::vector<Tri> &tris, const std::vector<int> &first,
               const std::vector<int> &list, std::atomic<int> &next) {
    const int W = dst.width, H = dst.height;
    // Which run wrote each column last: kUncovered (none: `base` fills it), kDone (written
    // already), or an index into `maps` (a run inside sample8's bounds, sampled once all the
    // row's runs are known, eight columns at a time across runs: most runs are short).
    constexpr int kUncovered = -1, kDone = -2;
    std::vector<int16_t> owner(W + 8);
    std::vector<RunMap> maps;
    maps.reserve(64);
    for (int y = 0, end = 0; y < H; ++y) {
        if (y == end) {  // the next chunk of rows no thread has taken
            y = next.fetch_add(kBandRows);
            if (y >= H) break;
            end = std::min(y + kBandRows, H);
        }
        int x0, x1;
        fsx::row_span(spans, y, W, margin, x0, x1);
        if (x0 >= x1) continue;
        uchar *out = (uchar *)dst.data + y * dst.stride;
        uchar *hr = hard.data ? (uchar *)hard.data + y * hard.stride : nullptr;
        uchar *ar = alpha.data ? (uchar *)alpha.data + y * alpha.stride : nullptr;
        std::fill(owner.begin() + x0, owner.begin() + x1, kUncovered);
        maps.clear();
        const float fy = (float)y;
        for (int j = first[y]; j < first[y + 1]; ++j) {
            const Tri &t = tris[list[j]];
            int xa, xb;
            extent(t, fy, x0, x1, xa, xb);
            if (xa >= xb) continue;
#ifdef __AVX2__
            if (CH == 3) {
                const RunMap r(t.m, y);
                if (!copy_run<CH>(src, out, r, xa, xb)) {
                    if (inside8(r, xa, xb, src.width, src.height)) {
                        // Every group of this run would go through sample8 with this map: a copy,
                        // or deferred.
                        if (near_copy_run(src, out, r, xa, xb, y)) {
                            std::fill(owner.begin() + xa, owner.begin() + xb, kDone);
                            continue;
                        }
                        if (maps.size() < 32000) {
                            std::fill(owner.begin() + xa, owner.begin() + xb, (int16_t)maps.size());
                            maps.push_back(r);
                            continue;
                        }
                    }
                    sample_run<CH>(src, out, r, xa, xb, hr, ar);
                }
                std::fill(owner.begin() + xa, owner.begin() + xb, kDone);
                continue;
            }
#endif
            const RunMap r(t.m, y);
            if (!copy_run<CH>(src, out, r, xa, xb)) sample_run<CH>(src, out, r, xa, xb, hr, ar);
            std::fill(owner.begin() + xa, owner.begin() + xb, kDone);
        }
        for (int x = x0; x < x1;) {
            const int o = owner[x];
            int e = x + 1;
            if (o == kDone) {
                e = same_to(owner.data(), e, x1, kDone);
            } else if (o == kUncovered) {  // what no triangle covered: the global map
                e = same_to(owner.data(), e, x1, kUncovered);
                const RunMap r(base, y);
                if (!copy_run<CH>(src, out, r, x, e)) sample_run<CH>(src, out, r, x, e, hr, ar);
            } else {
#ifdef __AVX2__
                // Deferred columns, eight at a time, each lane through its own run's map; a
                // group's spare lanes repeat its last deferred column (as sample_run's do).
                const __m256 xs = _mm256_add_ps(_mm256_set1_ps((float)x), _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7));
                __m256 sx, sy;
                const __m128i own = _mm_loadu_si128((const __m128i *)(owner.data() + x));
                if (x + 8 <= x1 && _mm_movemask_epi8(_mm_cmpeq_epi16(own, _mm_set1_epi16((int16_t)o))) == 0xFFFF) {
                    const RunMap &r = maps[o];
                    sx = _mm256_fmadd_ps(_mm256_set1_ps(r.ax), xs, _mm256_set1_ps(r.cx));
                    sy = _mm256_fmadd_ps(_mm256_set1_ps(r.ay), xs, _mm256_set1_ps(r.cy));
                    e = x + 8;
                } else if (x + 8 <= x1 && (_mm_movemask_epi8(own) & 0xAAAA) == 0) {
                    // Eight deferred columns of several runs: each lane's map (four floats) loaded
                    // by its run's index and the eight turned into ax, cx, ay, cy vectors.
                    static_assert(sizeof(RunMap) == 4 * sizeof(float), "RunMap: four floats");
                    const float *m = &maps.data()->ax;
                    __m128 r[8];
                    for (int i = 0; i < 8; ++i) r[i] = _mm_loadu_ps(m + 4 * owner[x + i]);
                    _MM_TRANSPOSE4_PS(r[0], r[1], r[2], r[3]);
                    _MM_TRANSPOSE4_PS(r[4], r[5], r[6], r[7]);
                    sx = _mm256_fmadd_ps(_mm256_set_m128(r[4], r[0]), xs, _mm256_set_m128(r[5], r[1]));
                    sy = _mm256_fmadd_ps(_mm256_set_m128(r[6], r[2]), xs, _mm256_set_m128(r[7], r[3]));
                    e = x + 8;
                } else {
                    while (e < x1 && e < x + 8 && owner[e] >= 0) ++e;
                    alignas(32) float vax[8], vcx[8], vay[8], vcy[8], vxs[8];
                    for (int i = 0; i < 8; ++i) {
                        const int c = std::min(x + i, e - 1);
                        const RunMap &r = maps[owner[c]];
                        vax[i] = r.ax; vcx[i] = r.cx; vay[i] = r.ay; vcy[i] = r.cy; vxs[i] = (float)c;
                    }
                    sx = _mm256_fmadd_ps(_mm256_load_ps(vax), _mm256_load_ps(vxs), _mm256_load_ps(vcx));
                    sy = _mm256_fmadd_ps(_mm256_load_ps(vay), _mm256_load_ps(vxs), _mm256_load_ps(vcy));
                }
                sample8((const uchar *)src.data, src.stride, sx, sy, out + x * 3, e - x);
#endif
            }
            x = e;
        }
    }
}

// warp_rows over all rows, by the caller and, when `workers` is given, up to threads - 1 of them
// (they take chunks of rows as they come free). The output is the same whatever the count.
template <int CH>
void warp_all(const fsx_view &src, fsx_view &dst, fsx_view &hard, fsx_view &alpha, const int32_t *spans, int margin,
              const double base[6], const std::vector<Tri> &tris, fsx_workers *workers) {
    std::vector<int> first, list;
    rows_of(tris, dst.height, first, list);
    std::atomic<int> next{0};
    std::mutex failed;
    std::exception_ptr error;
    const std::function<void()> body = [&] {
        try { warp_rows<CH>(src, dst, hard, alpha, spans, margin, base, tris, first, list, next); }
        catch (...) {
            std::lock_guard<std::mutex> lock(failed);
            if (!error) error = std::current_exception();
            next.store(dst.height);  // the others stop at their next chunk
        }
    };
    // At least two chunks of rows and 64k pixels a thread: below that, waking one costs more.
    const long pixels = (long)dst.width * dst.height;
    const int n = std::max(1, std::min((dst.height + kBandRows - 1) / (2 * kBandRows), (int)(pixels / 65536)));
    if (workers) workers->run(body, n, (double)pixels);
    else body();
    if (error) std::rethrow_exception(error);
}
}  // namespace

namespace {
int warp(fsx_view src, fsx_view dst, fsx_view hard, fsx_view alpha, const int32_t *spans, int margin, double ox,
         double oy, const double base[6], const float *src_xy, const float *dst_xy, const int *tri, int ntri,
         fsx_workers *workers) {
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
                T.a[j] = a / len; T.b[j] = bb / len; T.c[j] = -(a * p.x + bb * p.y) / len + 1e-3f;
            }
            T.a[3] = 0; T.b[3] = 0; T.c[3] = 1;
            T.y0 = std::min({d[0].y, d[1].y, d[2].y}) - 1;
            T.y1 = std::max({d[0].y, d[1].y, d[2].y}) + 1;
            tris.push_back(T);
        }
        switch (fsx::channels_of(src.format)) {
        case 1: warp_all<1>(src, dst, hard, alpha, spans, margin, b, tris, workers); break;
        case 3: warp_all<3>(src, dst, hard, alpha, spans, margin, b, tris, workers); break;
        case 4: warp_all<4>(src, dst, hard, alpha, spans, margin, b, tris, workers); break;
        default: return fsx::fail(FS_ERR_UNSUPPORTED, "warp: unsupported pixel format");
        }
        return 0;
    })
}
}  // namespace

extern "C" int fsx_warp_rows(fsx_view src, fsx_view dst, fsx_view hard, fsx_view alpha, const int32_t *spans,
                             int margin, double ox, double oy, const double base[6], const float *src_xy,
                             const float *dst_xy, const int *tri, int ntri) {
    return warp(src, dst, hard, alpha, spans, margin, ox, oy, base, src_xy, dst_xy, tri, ntri, nullptr);
}

// The whole region: fsx_warp_rows over every row, valid (may have NULL data) set to 255 and
// cleared where the sample falls outside src.
extern "C" int fsx_warp_piecewise(fsx_view src, fsx_view dst, fsx_view valid, double ox, double oy,
                                  const double base[6], const float *src_xy, const float *dst_xy,
                                  const int *tri, int ntri, fsx_workers *workers) {
    FSX_GUARD("warp", {
        if (valid.data) fsx::mat(valid).setTo(255);
        return warp(src, dst, valid, fsx_view{}, nullptr, 0, ox, oy, base, src_xy, dst_xy, tri, ntri, workers);
    })
}

extern "C" fsx_workers *fsx_workers_create(int threads) {
    try { return new fsx_workers(threads); }
    catch (...) { return nullptr; }
}

extern "C" void fsx_workers_free(fsx_workers *workers) { delete workers; }
