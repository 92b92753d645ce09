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
