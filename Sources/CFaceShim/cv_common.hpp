// cv::Mat views over caller-owned pixels.
#pragma once
#include "common.hpp"
#include <opencv2/core.hpp>

namespace fsx {

inline cv::Mat mat(const fsx_view &v) {
    int ch = channels_of(v.format);
    return cv::Mat(v.height, v.width, CV_8UC(ch), v.data, v.stride);
}

}  // namespace fsx
