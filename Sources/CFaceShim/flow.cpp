// Dense optical flow for measurements (the stream's jitter, issue 11): pyramidal, iterative
// Lucas–Kanade with a Gaussian window, made of OpenCV imgproc calls only (the library does not
// link OpenCV's video module). Sub-pixel accurate for the small motions it is used on.
// The flow is taken on the images' texture (each minus its Gaussian blur, σ = 6 px: the
// structure–texture split robust flow methods use), so that a smooth change of brightness or
// colour is not read as motion; that change is measured on its own, as the flicker (the mean
// absolute change of the blurred grey images).
#include "cv_common.hpp"
#include <opencv2/imgproc.hpp>
#include <cmath>
#include <vector>

namespace {

cv::Mat grey_float(const fsx_view &v) {
    cv::Mat m = fsx::mat(v), g, f;
    switch (fsx::channels_of(v.format)) {
    case 1: g = m; break;
    case 3: cv::cvtColor(m, g, v.format == 3 ? cv::COLOR_RGB2GRAY : cv::COLOR_BGR2GRAY); break;
    default: cv::cvtColor(m, g, v.format == 5 ? cv::COLOR_RGBA2GRAY : cv::COLOR_BGRA2GRAY); break;
    }
    g.convertTo(f, CV_32F);
    return f;
}

// Flow u, v (pixels) such that b(x + u, y + v) ≈ a(x, y).
void flow_lk(const cv::Mat &a0, const cv::Mat &b0, cv::Mat &u, cv::Mat &v) {
    std::vector<cv::Mat> pa{a0}, pb{b0};
    while ((int)pa.size() < 4 && std::min(pa.back().cols, pa.back().rows) >= 48) {
        cv::Mat x, y;
        cv::pyrDown(pa.back(), x);
        cv::pyrDown(pb.back(), y);
        pa.push_back(x);
        pb.push_back(y);
    }
    const double sigma = 2.0, lambda = 0.5;  // window; regulariser (grey levels² per pixel²)
    for (int level = (int)pa.size() - 1; level >= 0; --level) {
        const cv::Mat &a = pa[level], &b = pb[level];
        if (u.empty()) {
            u = cv::Mat::zeros(a.size(), CV_32F);
            v = cv::Mat::zeros(a.size(), CV_32F);
        } else {
            cv::Mat uu, vv;
            cv::resize(u, uu, a.size(), 0, 0, cv::INTER_LINEAR);
            cv::resize(v, vv, a.size(), 0, 0, cv::INTER_LINEAR);
            u = uu * 2;
            v = vv * 2;
        }
        cv::Mat ix, iy, ixx, ixy, iyy;
        cv::Sobel(a, ix, CV_32F, 1, 0, 3, 1.0 / 8);
        cv::Sobel(a, iy, CV_32F, 0, 1, 3, 1.0 / 8);
        cv::GaussianBlur(ix.mul(ix), ixx, cv::Size(), sigma);
        cv::GaussianBlur(ix.mul(iy), ixy, cv::Size(), sigma);
        cv::GaussianBlur(iy.mul(iy), iyy, cv::Size(), sigma);
        ixx += lambda;
        iyy += lambda;
        cv::Mat det = ixx.mul(iyy) - ixy.mul(ixy);
        cv::Mat mx(a.size(), CV_32F), my(a.size(), CV_32F);
        for (int it = 0; it < 5; ++it) {
            for (int y = 0; y < a.rows; ++y) {
                const float *pu = u.ptr<float>(y), *pv = v.ptr<float>(y);
                float *px = mx.ptr<float>(y), *py = my.ptr<float>(y);
                for (int x = 0; x < a.cols; ++x) px[x] = x + pu[x], py[x] = y + pv[x];
            }
            cv::Mat bw, bx, by;
            cv::remap(b, bw, mx, my, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
            cv::Mat t = bw - a;
            cv::GaussianBlur(ix.mul(t), bx, cv::Size(), sigma);
            cv::GaussianBlur(iy.mul(t), by, cv::Size(), sigma);
            // Solve [ixx ixy; ixy iyy] d = -[bx; by].
            cv::Mat du = (ixy.mul(by) - iyy.mul(bx)) / det;
            cv::Mat dv = (ixy.mul(bx) - ixx.mul(by)) / det;
            u += du;
            v += dv;
        }
    }
}

}  // namespace

extern "C" int fsx_flow_mean(fsx_view a, fsx_view b, const fsx_view *mask, double *mean_magnitude, double *mean_dx,
                             double *mean_dy, double *flicker) {
    FSX_GUARD("optical flow", {
        if (a.width != b.width || a.height != b.height || a.width < 8 || a.height < 8)
            return fsx::fail(FS_ERR_INVALID_ARGUMENT, "optical flow: the images differ in size or are too small");
        if (mask && (mask->width != a.width || mask->height != a.height || mask->format != 1))
            return fsx::fail(FS_ERR_INVALID_ARGUMENT, "optical flow: the mask must be GRAY8 of the images' size");
        cv::Mat u, v, ga = grey_float(a), gb = grey_float(b), la, lb;
        cv::GaussianBlur(ga, la, cv::Size(), 6.0);
        cv::GaussianBlur(gb, lb, cv::Size(), 6.0);
        flow_lk(ga - la, gb - lb, u, v);
        cv::Mat m = mask ? fsx::mat(*mask) : cv::Mat();
        double sum = 0, sx = 0, sy = 0, fl = 0;
        long n = 0;
        for (int y = 0; y < u.rows; ++y) {
            const float *pu = u.ptr<float>(y), *pv = v.ptr<float>(y);
            const uchar *pm = m.empty() ? nullptr : m.ptr<uchar>(y);
            const float *pa = la.ptr<float>(y), *pb = lb.ptr<float>(y);
            for (int x = 0; x < u.cols; ++x) {
                if (pm && !pm[x]) continue;
                sum += std::sqrt((double)pu[x] * pu[x] + (double)pv[x] * pv[x]);
                fl += std::fabs((double)pa[x] - pb[x]);
                sx += pu[x];
                sy += pv[x];
                ++n;
            }
        }
        *mean_magnitude = n ? sum / n : 0;
        if (mean_dx) *mean_dx = n ? sx / n : 0;
        if (mean_dy) *mean_dy = n ? sy / n : 0;
        if (flicker) *flicker = n ? fl / n : 0;
        return 0;
    })
}
