// Masks: hulls, polygons, erosion/dilation, feathering.
#include "cv_common.hpp"
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

extern "C" int fsx_fill_poly(fsx_view mask, const float *xy, int n, double ox, double oy, int value) {
    FSX_GUARD("mask", {
        cv::Mat m = fsx::mat(mask);
        std::vector<std::vector<cv::Point>> polys{points(xy, n, ox, oy)};
        cv::fillPoly(m, polys, cv::Scalar(value), cv::LINE_AA, 4);
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

extern "C" int fsx_feather(fsx_view outline, fsx_view hard, fsx_view alpha, double erode, double feather) {
    FSX_GUARD("feather", {
        cv::Mat bin = fsx::mat(outline) > 127, din, sd;
        cv::distanceTransform(bin, din, cv::DIST_L2, cv::DIST_MASK_3);
        if (erode < 0) {
            cv::Mat dout;
            cv::distanceTransform(~bin, dout, cv::DIST_L2, cv::DIST_MASK_3);
            sd = din - dout;
        } else {
            sd = din;
        }
        cv::Mat h = fsx::mat(hard), a = fsx::mat(alpha);
        const float e = (float)erode, inv = feather > 0 ? (float)(1.0 / feather) : 1e6f;
        for (int y = 0; y < sd.rows; ++y) {
            const float *d = sd.ptr<float>(y);
            uchar *hr = h.ptr<uchar>(y), *ar = a.ptr<uchar>(y);
            for (int x = 0; x < sd.cols; ++x) {
                float t = (d[x] - e) * inv;
                hr[x] = d[x] > e ? 255 : 0;
                if (t <= 0) { ar[x] = 0; continue; }
                if (t >= 1) { ar[x] = 255; continue; }
                ar[x] = (uchar)(255.0f * t * t * (3 - 2 * t) + 0.5f);  // smoothstep
            }
        }
        return 0;
    })
}
