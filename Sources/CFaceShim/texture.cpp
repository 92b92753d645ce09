// Skin texture: the target's fine detail (a high-pass band) in place of the warped source's on
// the face's skin (fs_swap_options.skin_texture).
#include "cv_common.hpp"
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

// face += k · (hp(ref) − hp(face)), hp(x) = x − Gaussian_sigma(x), k = weight / 255 · strength,
// per channel, only in the box of weight's nonzero pixels (the blur reads 3 sigma around it).
// With a detail image (a learned face's person's own face, warped onto it): its band where
// detail_weight is set, scaled to the target's band energy there, and the target's for the rest.
extern "C" int fsx_skin_texture(fsx_view face, fsx_view ref, fsx_view weight, fsx_view detail, fsx_view detail_weight,
                                double sigma, double strength) {
    FSX_GUARD("skin texture", {
        const int n = fsx::channels_of(face.format);
        const bool has = detail.data != nullptr;
        auto same = [&](const fsx_view &v, int ch) {
            return v.width == face.width && v.height == face.height && fsx::channels_of(v.format) == ch;
        };
        if (!same(ref, n) || !same(weight, 1) || (has && (!same(detail, n) || !same(detail_weight, 1))))
            return fsx::fail(FS_ERR_INTERNAL, "skin texture: the face, the target region, the detail and the weights differ in size or channels");
        if (!(sigma > 0) || !(strength > 0)) return 0;
        const cv::Mat W = fsx::mat(weight), D = has ? fsx::mat(detail_weight) : cv::Mat();
        const cv::Rect inner = cv::boundingRect(W) | (has ? cv::boundingRect(D) : cv::Rect());  // nonzero pixels' box
        if (inner.area() == 0) return 0;
        // The box widened by the blur's reach, clipped to the region.
        const int r = (int)std::ceil(3 * sigma) + 1;
        const cv::Rect outer = cv::Rect(inner.x - r, inner.y - r, inner.width + 2 * r, inner.height + 2 * r) &
                               cv::Rect(0, 0, face.width, face.height);
        // The bands in 1/64 levels, blurred in 16-bit fixed point (several times faster than on
        // floats). Not on the bytes: the 8-bit Gaussian rounds each low band to whole levels,
        // noise that a soft target's own band does not have (on the first learned pair, 0.20.0,
        // it took the face's 3x3 Laplacian variance to 1.15x the target's; 1.06x without it).
        // (F is read at each pixel before that pixel is written.)
        const cv::Mat F = fsx::mat(face)(outer), R = fsx::mat(ref)(outer), E = has ? fsx::mat(detail)(outer) : cv::Mat();
        auto highPass = [&](const cv::Mat &x, cv::Mat *lowOut = nullptr) {  // x: CV_16S
            cv::Mat low;
            cv::GaussianBlur(x, low, cv::Size(2 * r - 1, 2 * r - 1), sigma, sigma, cv::BORDER_REPLICATE);
            if (lowOut) *lowOut = low;
            return cv::Mat(x - low);
        };
        auto band = [&](const cv::Mat &m, cv::Mat *lowOut = nullptr) {
            cv::Mat x;
            m.convertTo(x, CV_16S, 64);
            return highPass(x, lowOut);
        };
        // Without a detail image the result is the face plus the weighted difference of the two
        // bands, and the band is linear (the blur and its replicated border are): the band of
        // R - F, one blur instead of two (hD; hF and hR stay empty). 64 (R - F) fits in 16 bits.
        cv::Mat lowF, hF, hR, hE, hD;  // lowF: the face's low band, in 1/64 levels (read with a detail image)
        if (has) {
            hF = band(F, &lowF), hR = band(R), hE = band(E);
        } else {
            cv::Mat d;
            cv::addWeighted(R, 64, F, -64, 0, d, CV_16S);
            hD = highPass(d);
        }
        // kE: the detail's band scaled to the target's band energy where the detail is taken
        // (never enlarged). kT: how much of the target's band comes in too, counted at the
        // finest scale, where sharpness shows (the 3x3 Laplacian of the channels' sum, the
        // light: a compressed frame's colour noise is not detail the eye reads): a detail face
        // enlarged onto a larger face has its band's energy but not its finest part, and the
        // source's own low band (a decoder's edges) has some; the target's band supplies the
        // energy the two leave of the target's own.
        float kE = 0, kT = 1;
        if (has) {
            auto laplacian = [n](const cv::Mat &m) {  // of the channels' sum, float
                cv::Mat f, out;
                m.convertTo(f, CV_32F);
                cv::transform(f, f, cv::Mat::ones(1, n, CV_32F));
                cv::Laplacian(f, out, CV_32F, 1, 1, 0, cv::BORDER_REPLICATE);
                return out;
            };
            const cv::Mat lR = laplacian(R), lE = laplacian(E), lF = laplacian(lowF);
            double eT = 0, eE = 0, finT = 0, finE = 0, finF = 0;
            for (int y = inner.y; y < inner.y + inner.height; ++y) {
                const uchar *d = D.ptr<uchar>(y);
                const int oy = y - outer.y;
                const short *t = hR.ptr<short>(oy), *e = hE.ptr<short>(oy);
                const float *fr = lR.ptr<float>(oy), *fe = lE.ptr<float>(oy), *ff = lF.ptr<float>(oy);
                for (int x = inner.x; x < inner.x + inner.width; ++x) {
                    if (d[x] <= 127) continue;
                    const int o = (x - outer.x) * n, ox = x - outer.x;
                    double st = 0, se = 0;
                    for (int c = 0; c < n; ++c) {
                        st += t[o + c];
                        se += e[o + c];
                    }
                    eT += st * st;
                    eE += se * se;
                    finT += (double)fr[ox] * fr[ox];
                    finE += (double)fe[ox] * fe[ox];
                    finF += (double)ff[ox] * ff[ox] / 4096;  // lowF is in 1/64 levels
                }
            }
            if (eE > 0) {
                kE = (float)std::min(1.0, std::sqrt(eT / eE));
                kT = finT > 0 ? (float)std::sqrt(std::max(0.0, 1 - (finF + kE * kE * finE) / finT)) : 0.f;
            }
        }
        const float s = (float)(std::min(1.0, strength) / 255.0 / 64);
        for (int y = inner.y; y < inner.y + inner.height; ++y) {
            const uchar *w = W.ptr<uchar>(y), *dw = has ? D.ptr<uchar>(y) : nullptr;
            uchar *out = (uchar *)face.data + y * face.stride;
            const int oy = y - outer.y;
            if (!has) {  // F + wT (hR - hF), as hD
                const short *dd = hD.ptr<short>(oy);
                for (int x = inner.x; x < inner.x + inner.width; ++x) {
                    const float wT = w[x] * s;
                    if (wT == 0) continue;
                    const int o = (x - outer.x) * n;
                    for (int c = 0; c < n; ++c) out[x * n + c] = cv::saturate_cast<uchar>(out[x * n + c] + wT * dd[o + c]);
                }
                continue;
            }
            const short *f = hF.ptr<short>(oy), *g = hR.ptr<short>(oy), *e = hE.ptr<short>(oy);
            for (int x = inner.x; x < inner.x + inner.width; ++x) {
                const float wT = w[x] * s * kT, wE = dw[x] * s * kE;
                if (wT == 0 && wE == 0) continue;
                // The source's band is replaced as far as either band comes in.
                const float wF = std::max(dw[x] * s, wT);
                const int o = (x - outer.x) * n;
                for (int c = 0; c < n; ++c) {
                    float v = out[x * n + c] + wT * g[o + c] - wF * f[o + c];
                    if (wE != 0) v += wE * e[o + c];
                    out[x * n + c] = cv::saturate_cast<uchar>(v);
                }
            }
        }
        return 0;
    })
}
