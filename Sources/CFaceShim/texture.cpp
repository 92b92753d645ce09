// Skin texture: the target's fine detail (a high-pass band) in place of the warped source's on
// the face's skin (fs_swap_options.skin_texture).
#include "cv_common.hpp"
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

// face += k · (hp(ref) − hp(face)), hp(x) = x − Gaussian_sigma(x), k = weight / 255 · strength,
// per channel, only in the box of weight's nonzero pixels (the blur reads 3 sigma around it).
extern "C" int fsx_skin_texture(fsx_view face, fsx_view ref, fsx_view weight, double sigma, double strength) {
    FSX_GUARD("skin texture", {
        const int n = fsx::channels_of(face.format);
        if (face.width != ref.width || face.height != ref.height || face.width != weight.width ||
            face.height != weight.height || n != fsx::channels_of(ref.format) || fsx::channels_of(weight.format) != 1)
            return fsx::fail(FS_ERR_INTERNAL, "skin texture: the face, the target region and the weight differ in size or channels");
        if (!(sigma > 0) || !(strength > 0)) return 0;
        const cv::Mat W = fsx::mat(weight);
        const cv::Rect inner = cv::boundingRect(W);  // the nonzero pixels' box
        if (inner.area() == 0) return 0;
        // The box widened by the blur's reach, clipped to the region.
        const int r = (int)std::ceil(3 * sigma) + 1;
        const cv::Rect outer = cv::Rect(inner.x - r, inner.y - r, inner.width + 2 * r, inner.height + 2 * r) &
                               cv::Rect(0, 0, face.width, face.height);
        // The blurs on the bytes (OpenCV's fixed-point 8-bit Gaussian: several times faster than
        // on floats; the low band rounded to whole levels, well under the band's own spread).
        // (F is read at each pixel before that pixel is written.)
        const cv::Mat F = fsx::mat(face)(outer), R = fsx::mat(ref)(outer);
        cv::Mat bF, bR;
        cv::GaussianBlur(F, bF, cv::Size(0, 0), sigma, sigma, cv::BORDER_REPLICATE);
        cv::GaussianBlur(R, bR, cv::Size(0, 0), sigma, sigma, cv::BORDER_REPLICATE);
        const float s = (float)(std::min(1.0, strength) / 255.0);
        for (int y = inner.y; y < inner.y + inner.height; ++y) {
            const uchar *w = W.ptr<uchar>(y);
            uchar *out = (uchar *)face.data + y * face.stride;
            const int oy = y - outer.y;
            const uchar *f = F.ptr<uchar>(oy), *bf = bF.ptr<uchar>(oy), *g = R.ptr<uchar>(oy), *bg = bR.ptr<uchar>(oy);
            for (int x = inner.x; x < inner.x + inner.width; ++x) {
                if (!w[x]) continue;
                const float k = w[x] * s;
                const int o = (x - outer.x) * n;
                for (int c = 0; c < n; ++c) {
                    // The source's low band plus, by k, the target's fine detail instead of its own.
                    const int detail = ((int)g[o + c] - bg[o + c]) - ((int)f[o + c] - bf[o + c]);
                    out[x * n + c] = cv::saturate_cast<uchar>(f[o + c] + k * detail);
                }
            }
        }
        return 0;
    })
}
