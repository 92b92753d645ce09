// cv::Mat views over caller-owned pixels.
#pragma once
#include "common.hpp"
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>
#include <opencv2/core.hpp>

namespace fsx {

inline cv::Mat mat(const fsx_view &v) {
    int ch = channels_of(v.format);
    return cv::Mat(v.height, v.width, CV_8UC(ch), v.data, v.stride);
}

// Row y's columns [x0, x1) of a region's row spans (see fs_shim.h), widened by margin and clipped
// to [0, W); spans NULL: the whole row; an empty row gives x0 == x1.
inline void row_span(const int32_t *spans, int y, int W, int margin, int &x0, int &x1) {
    if (!spans) { x0 = 0; x1 = W; return; }
    if (spans[2 * y] >= spans[2 * y + 1]) { x0 = x1 = 0; return; }
    x0 = std::max(0, spans[2 * y] - margin);
    x1 = std::min(W, spans[2 * y + 1] + margin);
}

// CIE Lab (D65, L 0..100) of n 8-bit pixels (ch 3 or 4, BGR or RGB order) into w.L/A/B, by
// small tables and vectorisable float code (colour.cpp).
struct LabRow {
    std::vector<float> r, g, b, L, A, B;
    void resize(int n) { r.resize(n); g.resize(n); b.resize(n); L.resize(n); A.resize(n); B.resize(n); }
};
void row_to_lab(const uint8_t *p, int n, int ch, bool rgb, LabRow &w);

// OpenCV modules that would cost every process start their dynamic loading are opened on first
// use instead of linked (cv_module.cpp): imgcodecs (codec_cv.cpp), objdetect (detect_haar.cpp).
// The module's soname for the OpenCV this library was built with ("imgcodecs" ->
// libopencv_imgcodecs.so.406).
std::string cv_module_soname(const char *module);
// dlopen of that module, first next to the linked libopencv_core, then by name; nullptr with the
// loader's messages appended to `why` when it cannot be opened.
void *open_cv_module(const char *module, std::string &why);

}  // namespace fsx
