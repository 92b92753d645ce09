// Pixel operations over caller-owned buffers: format conversion, resizing, warping, drawing.
#include "cv_common.hpp"
#include <cmath>
#include <cstring>
#include <vector>
#include <opencv2/imgproc.hpp>

namespace {
// cv::cvtColor code from format a to format b (both 1..5, different), or -1.
int conversion_code(int a, int b) {
    static const int table[6][6] = {
        /* from\to  -,  GRAY,               BGR,              RGB,              BGRA,              RGBA */
        {-1, -1, -1, -1, -1, -1},
        {-1, -1, cv::COLOR_GRAY2BGR, cv::COLOR_GRAY2RGB, cv::COLOR_GRAY2BGRA, cv::COLOR_GRAY2RGBA},
        {-1, cv::COLOR_BGR2GRAY, -1, cv::COLOR_BGR2RGB, cv::COLOR_BGR2BGRA, cv::COLOR_BGR2RGBA},
        {-1, cv::COLOR_RGB2GRAY, cv::COLOR_RGB2BGR, -1, cv::COLOR_RGB2BGRA, cv::COLOR_RGB2RGBA},
        {-1, cv::COLOR_BGRA2GRAY, cv::COLOR_BGRA2BGR, cv::COLOR_BGRA2RGB, -1, cv::COLOR_BGRA2RGBA},
        {-1, cv::COLOR_RGBA2GRAY, cv::COLOR_RGBA2BGR, cv::COLOR_RGBA2RGB, cv::COLOR_RGBA2BGRA, -1},
    };
    if (a < 1 || a > 5 || b < 1 || b > 5) return -1;
    return table[a][b];
}

// A shrink by area (cv::INTER_AREA's weights) of a grey image, for the detector's scans at a
// scale below 1 (a tracker's periodic scan of a 720p frame at ~0.44). OpenCV's INTER_AREA at a
// non-integer scale is its generic path (a table of weights walked pixel by pixel, in colour
// before the grey conversion: 5.6 ms CPU for a 720p frame to 566x318); this one converts to grey
// first and weighs the rows, vectorised across a whole row, then the columns with a fixed number
// of taps: 0.9 ms with the conversion. The same weights as OpenCV's computeResizeAreaTab; the
// sums in float in another order (rows first), so a pixel may differ by 1 from cv::resize of the
// same grey image (20 of 180k pixels of that frame), and by 1 from the colour-then-grey shrink
// (5 %: the grey conversion rounds before the average instead of after).
struct AreaTab {
    std::vector<int> first;  // the first source pixel of each output
    std::vector<float> w;    // taps weights per output (zero-padded), summing to 1
    int taps = 0;
};

// The source pixels each of n outputs covers when `size` pixels shrink to n (n < size).
AreaTab area_tab(int size, int n) {
    const double scale = 1.0 / ((double)n / size);  // as cv::resize computes it
    struct Span { double f1, f2, cell; int s1, s2, lo, hi; };
    std::vector<Span> spans(n);
    AreaTab t;
    for (int i = 0; i < n; i++) {
        Span &p = spans[i];
        p.f1 = i * scale;
        p.f2 = p.f1 + scale;
        p.cell = std::min(scale, size - p.f1);
        p.s2 = std::min((int)std::floor(p.f2), size - 1);
        p.s1 = std::min((int)std::ceil(p.f1), p.s2);
        p.lo = p.s1 - p.f1 > 1e-3 ? p.s1 - 1 : p.s1;
        p.hi = p.f2 - p.s2 > 1e-3 ? p.s2 : p.s2 - 1;
        t.taps = std::max(t.taps, p.hi - p.lo + 1);
    }
    t.first.resize(n);
    t.w.assign((size_t)n * t.taps, 0.f);
    for (int i = 0; i < n; i++) {
        const Span &p = spans[i];
        const int first = std::max(0, std::min(p.lo, size - t.taps));
        float *w = &t.w[(size_t)i * t.taps];
        t.first[i] = first;
        if (p.s1 - p.f1 > 1e-3) w[p.s1 - 1 - first] = (float)((p.s1 - p.f1) / p.cell);
        for (int x = p.s1; x < p.s2; x++) w[x - first] = (float)(1.0 / p.cell);
        if (p.f2 - p.s2 > 1e-3) w[p.s2 - first] = (float)(std::min(std::min(p.f2 - p.s2, 1.0), p.cell) / p.cell);
    }
    return t;
}

// One output row from the rows' weighted sum `a` (Taps 0: tx.taps, not known at compile time).
template <int Taps> void area_columns(const AreaTab &tx, const float *a, uint8_t *d, int w) {
    const int taps = Taps ? Taps : tx.taps;
    for (int x = 0; x < w; x++) {
        const float *wx = &tx.w[(size_t)x * taps];
        const float *p = a + tx.first[x];
        float v = 0;
        for (int k = 0; k < taps; k++) v += wx[k] * p[k];
        const int r = (int)lrintf(v);
        d[x] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
    }
}

void area_shrink_gray(const cv::Mat &src, cv::Mat &dst) {
    const int W = src.cols, H = src.rows, w = dst.cols, h = dst.rows;
    const AreaTab tx = area_tab(W, w), ty = area_tab(H, h);
    std::vector<float> acc(W);
    float *__restrict a = acc.data();
    for (int y = 0; y < h; y++) {
        const float *wy = &ty.w[(size_t)y * ty.taps];
        const uint8_t *__restrict s0 = src.ptr<uint8_t>(ty.first[y]);
        for (int x = 0; x < W; x++) a[x] = wy[0] * s0[x];
        for (int k = 1; k < ty.taps; k++) {
            if (wy[k] == 0.f) continue;
            const uint8_t *__restrict s = src.ptr<uint8_t>(ty.first[y] + k);
            const float c = wy[k];
            for (int x = 0; x < W; x++) a[x] += c * s[x];
        }
        uint8_t *d = dst.ptr<uint8_t>(y);
        switch (tx.taps) {
        case 3: area_columns<3>(tx, a, d, w); break;
        case 4: area_columns<4>(tx, a, d, w); break;
        case 5: area_columns<5>(tx, a, d, w); break;
        default: area_columns<0>(tx, a, d, w); break;
        }
    }
}
}  // namespace

extern "C" void *fsx_scratch(int slot, size_t bytes, int zero) {
    try {
        thread_local std::vector<unsigned char> buffers[8];
        if (slot < 0 || slot >= 8) return nullptr;
        std::vector<unsigned char> &b = buffers[slot];
        if (b.size() < bytes) {
            b.clear();
            b.shrink_to_fit();  // give the old block back first
            b.resize(bytes);    // zeroed
        } else if (zero) {
            std::memset(b.data(), 0, bytes);
        }
        return b.data();
    } catch (...) {
        return nullptr;  // out of memory
    }
}

extern "C" int fsx_convert(fsx_view src, fsx_view dst) {
    FSX_GUARD("convert", {
        cv::Mat s = fsx::mat(src), d = fsx::mat(dst);
        if (src.format == dst.format) {
            s.copyTo(d);
            return 0;
        }
        int code = conversion_code(src.format, dst.format);
        if (code < 0) return fsx::fail(FS_ERR_UNSUPPORTED, "convert: unsupported pixel formats");
        cv::cvtColor(s, d, code);
        return 0;
    })
}

extern "C" int fsx_resize(fsx_view src, fsx_view dst) {
    FSX_GUARD("resize", {
        cv::Mat s = fsx::mat(src), d = fsx::mat(dst);
        bool shrink = dst.width < src.width && dst.height < src.height;
        cv::resize(s, d, d.size(), 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
        return 0;
    })
}

extern "C" int fsx_resize_gray(fsx_view src, fsx_view dst) {
    FSX_GUARD("resize", {
        cv::Mat s = fsx::mat(src), d = fsx::mat(dst);
        bool same = dst.width == src.width && dst.height == src.height;
        bool shrink = dst.width < src.width && dst.height < src.height;
        int interp = shrink ? cv::INTER_AREA : cv::INTER_LINEAR;
        // OpenCV's INTER_AREA at a whole-number scale is its fast path (kept); other shrinks
        // are area_shrink_gray's, on the grey image.
        bool whole = dst.width > 0 && dst.height > 0 && src.width % dst.width == 0 && src.height % dst.height == 0;
        if (shrink && !whole) {
            cv::Mat grey;
            if (src.format == 1) grey = s;
            else cv::cvtColor(s, grey, conversion_code(src.format, 1));
            area_shrink_gray(grey, d);
            return 0;
        }
        if (src.format == 1) {
            if (same) s.copyTo(d);
            else cv::resize(s, d, d.size(), 0, 0, interp);
            return 0;
        }
        int code = conversion_code(src.format, 1);
        if (same) {
            cv::cvtColor(s, d, code);
        } else if (shrink) {  // shrink in colour first: less to convert
            cv::Mat small;
            cv::resize(s, small, d.size(), 0, 0, interp);
            cv::cvtColor(small, d, code);
        } else {  // enlarge after converting: less to resize
            cv::Mat grey;
            cv::cvtColor(s, grey, code);
            cv::resize(grey, d, d.size(), 0, 0, interp);
        }
        return 0;
    })
}

extern "C" int fsx_warp_affine(fsx_view src, fsx_view dst, const double m[6]) {
    FSX_GUARD("warp", {
        cv::Mat s = fsx::mat(src), d = fsx::mat(dst);
        cv::Mat M(2, 3, CV_64F, (void *)m);
        cv::warpAffine(s, d, M, d.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
        return 0;
    })
}

extern "C" int fsx_orient(fsx_view src, fsx_view dst, int orientation) {
    FSX_GUARD("orient", {
        cv::Mat s = fsx::mat(src), d = fsx::mat(dst);
        switch (orientation) {
        case 2: cv::flip(s, d, 1); break;
        case 3: cv::rotate(s, d, cv::ROTATE_180); break;
        case 4: cv::flip(s, d, 0); break;
        case 5: cv::transpose(s, d); break;
        case 6: cv::rotate(s, d, cv::ROTATE_90_CLOCKWISE); break;
        case 7: { cv::Mat t; cv::transpose(s, t); cv::flip(t, d, -1); break; }
        case 8: cv::rotate(s, d, cv::ROTATE_90_COUNTERCLOCKWISE); break;
        default: s.copyTo(d); break;
        }
        return 0;
    })
}

static cv::Scalar colour(const fsx_view &img, const uint8_t bgr[3]) {
    bool rgb = img.format == 3 || img.format == 5;
    cv::Scalar c = rgb ? cv::Scalar(bgr[2], bgr[1], bgr[0], 255) : cv::Scalar(bgr[0], bgr[1], bgr[2], 255);
    if (img.format == 1) c = cv::Scalar((bgr[0] + bgr[1] + bgr[2]) / 3);
    return c;
}

extern "C" int fsx_draw_rect(fsx_view img, double x, double y, double w, double h,
                             const uint8_t bgr[3], int thickness) {
    FSX_GUARD("draw", {
        cv::Mat m = fsx::mat(img);
        cv::rectangle(m, cv::Rect2d(x, y, w, h), colour(img, bgr), thickness, cv::LINE_AA);
        return 0;
    })
}

extern "C" int fsx_draw_points(fsx_view img, const float *xy, int count, double radius,
                               const uint8_t bgr[3]) {
    FSX_GUARD("draw", {
        cv::Mat m = fsx::mat(img);
        cv::Scalar c = colour(img, bgr);
        const int shift = 4;  // sub-pixel centres
        for (int i = 0; i < count; ++i) {
            cv::Point p(cvRound(xy[2 * i] * (1 << shift)), cvRound(xy[2 * i + 1] * (1 << shift)));
            cv::circle(m, p, cvRound(radius * (1 << shift)), c, cv::FILLED, cv::LINE_AA, shift);
        }
        return 0;
    })
}

extern "C" int fsx_write_colour(fsx_view src, fsx_view dst) {
    FSX_GUARD("convert", {
        if (dst.format == 4 || dst.format == 5) {
            if (src.format != 2 || src.width != dst.width || src.height != dst.height)
                return fsx::fail(FS_ERR_INVALID_ARGUMENT, "write colour: a BGR8 source of the target's size");
            // Three bytes of each pixel, in place: no converted copy, no generic channel mixer
            // (a swapped face's region of a video's RGBA frame, every frame: issue 11 item 2).
            const int r = dst.format == 5 ? 0 : 2, b = 2 - r;
            for (int y = 0; y < src.height; ++y) {
                const uint8_t *s = static_cast<const uint8_t *>(src.data) + size_t(y) * src.stride;
                uint8_t *d = static_cast<uint8_t *>(dst.data) + size_t(y) * dst.stride;
                for (int x = 0; x < src.width; ++x, s += 3, d += 4) {
                    d[b] = s[0];
                    d[1] = s[1];
                    d[r] = s[2];
                }
            }
            return 0;
        }
        return fsx_convert(src, dst);
    })
}

extern "C" int fsx_draw_polyline(fsx_view img, const float *xy, int count, const uint8_t bgr[3], int thickness) {
    FSX_GUARD("draw", {
        cv::Mat m = fsx::mat(img);
        const int shift = 4;
        std::vector<cv::Point> pts;
        pts.reserve(size_t(std::max(count, 0)));
        for (int i = 0; i < count; ++i)
            pts.emplace_back(cvRound(xy[2 * i] * (1 << shift)), cvRound(xy[2 * i + 1] * (1 << shift)));
        if (!pts.empty()) cv::polylines(m, pts, false, colour(img, bgr), thickness, cv::LINE_AA, shift);
        return 0;
    })
}

extern "C" int fsx_draw_text(fsx_view img, const char *text, double x, double y, double scale, const uint8_t bgr[3]) {
    FSX_GUARD("draw", {
        cv::Mat m = fsx::mat(img);
        cv::putText(m, text, cv::Point(cvRound(x), cvRound(y)), cv::FONT_HERSHEY_SIMPLEX, scale, colour(img, bgr),
                    1, cv::LINE_AA);
        return 0;
    })
}

extern "C" int fsx_remap(fsx_view src, fsx_view dst, const float *map_xy) {
    FSX_GUARD("remap", {
        if (src.format != dst.format) return fsx::fail(FS_ERR_INVALID_ARGUMENT, "remap: formats differ");
        cv::Mat map(dst.height, dst.width, CV_32FC2, const_cast<float *>(map_xy));
        cv::Mat out = fsx::mat(dst);
        cv::remap(fsx::mat(src), out, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
        return 0;
    })
}

extern "C" int fsx_sharpness(fsx_view gray, double *variance) {
    FSX_GUARD("sharpness", {
        cv::Mat lap;
        cv::Laplacian(fsx::mat(gray), lap, CV_32F);
        cv::Scalar mean, dev;
        cv::meanStdDev(lap, mean, dev);
        *variance = dev[0] * dev[0];
        return 0;
    })
}
