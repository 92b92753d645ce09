// Colour correction of the warped source towards the target, measured inside the face mask.
#include "cv_common.hpp"
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

// Reinhard et al. (2001): match mean and standard deviation per channel in Lab. 8-bit Lab
// (OpenCV's table-driven conversion) and statistics over every second pixel keep it cheap.
void reinhard(cv::Mat &src, const cv::Mat &ref, const cv::Mat &m, bool rgb) {
    cv::Mat s, ss, rs, ms, r_half;
    cv::cvtColor(src, s, rgb ? cv::COLOR_RGB2Lab : cv::COLOR_BGR2Lab);
    cv::resize(s, ss, cv::Size(), 0.5, 0.5, cv::INTER_NEAREST);
    cv::resize(ref, r_half, ss.size(), 0, 0, cv::INTER_NEAREST);
    cv::cvtColor(r_half, rs, rgb ? cv::COLOR_RGB2Lab : cv::COLOR_BGR2Lab);
    cv::resize(m, ms, ss.size(), 0, 0, cv::INTER_NEAREST);
    if (cv::countNonZero(ms) < 16) return;
    cv::Scalar mu_s, sd_s, mu_r, sd_r;
    cv::meanStdDev(ss, mu_s, sd_s, ms);
    cv::meanStdDev(rs, mu_r, sd_r, ms);
    uchar lut[3][256];
    for (int c = 0; c < 3; ++c) {
        double gain = sd_s[c] > 1e-6 ? sd_r[c] / sd_s[c] : 1.0;
        gain = std::min(3.0, std::max(1.0 / 3.0, gain));
        for (int v = 0; v < 256; ++v) lut[c][v] = cv::saturate_cast<uchar>((v - mu_s[c]) * gain + mu_r[c]);
    }
    cv::Mat lutm(1, 256, CV_8UC3);
    for (int v = 0; v < 256; ++v) lutm.at<cv::Vec3b>(v) = cv::Vec3b(lut[0][v], lut[1][v], lut[2][v]);
    cv::LUT(s, lutm, s);
    cv::cvtColor(s, src, rgb ? cv::COLOR_Lab2RGB : cv::COLOR_Lab2BGR);
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
        bool rgb = src.format == 3 || src.format == 5;
        switch (mode) {
        case 1: mean_shift(s, r, m); break;
        case 2: reinhard(s, r, m, rgb); break;
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
