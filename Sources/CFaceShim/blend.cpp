// Blending the converted face into the target: feathered alpha, Poisson (a fast membrane
// solution, and OpenCV's exact seamlessClone), multiband (Laplacian pyramids).
#include "cv_common.hpp"
#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>

namespace {

// out = dst + (res - dst) * w/255 where w > 0; dst untouched where w == 0.
void composite(const cv::Mat &res, cv::Mat &dst, const cv::Mat &w) {
    const int ch = dst.channels();
    for (int y = 0; y < dst.rows; ++y) {
        const float *r = res.ptr<float>(y);
        const uchar *a = w.ptr<uchar>(y);
        uchar *d = dst.ptr<uchar>(y);
        for (int x = 0; x < dst.cols; ++x) {
            if (!a[x]) continue;
            float t = a[x] * (1.0f / 255.0f);
            for (int c = 0; c < ch; ++c) {
                float v = d[x * ch + c] + (r[x * ch + c] - d[x * ch + c]) * t;
                d[x * ch + c] = cv::saturate_cast<uchar>(v);
            }
        }
    }
}

// Reduces two images together `times` levels down the Gaussian pyramid.
void pyr_down_both(cv::Mat &a, cv::Mat &b, int times) {
    for (int i = 0; i < times; ++i) {
        cv::Mat x, y;
        cv::pyrDown(a, x);
        cv::pyrDown(b, y);
        a = x;
        b = y;
    }
}

int levels_for(const cv::Size &s) {
    int n = 0, m = std::min(s.width, s.height);
    while (m >= 16 && n < 5) { m /= 2; ++n; }
    return n;
}

// Multiband (Burt & Adelson), in two bands: with δ = S − D, the detail band δ − low(δ) is blended
// by the sharp alpha and the low band low(δ) — δ reduced `levels` times by the Gaussian pyramid —
// by the alpha reduced the same way, so colour and shading blend over a wide zone and edges over
// a narrow one. (A full pyramid's middle bands add little here and cost a full-resolution pass
// each.) Returns R − D weighted so that R = D exactly where alpha == 0.
void multiband_into(const cv::Mat &src, cv::Mat &dst, const cv::Mat &alpha) {
    const int levels = levels_for(src.size());
    const int ch = src.channels();
    cv::Mat delta;
    cv::subtract(src, dst, delta, cv::noArray(), CV_16S);
    cv::Mat low = delta, beta = alpha;
    pyr_down_both(low, beta, levels);
    cv::Mat lowf, betaf, lowUp, betaUp;
    low.convertTo(lowf, CV_32F);
    beta.convertTo(betaf, CV_32F, 1.0 / 255);
    cv::resize(lowf, lowUp, src.size(), 0, 0, cv::INTER_LINEAR);
    cv::resize(betaf, betaUp, src.size(), 0, 0, cv::INTER_LINEAR);
    for (int y = 0; y < dst.rows; ++y) {
        const uchar *a = alpha.ptr<uchar>(y);
        const short *dl = delta.ptr<short>(y);
        const float *lo = lowUp.ptr<float>(y), *be = betaUp.ptr<float>(y);
        uchar *d = dst.ptr<uchar>(y);
        for (int x = 0; x < dst.cols; ++x) {
            if (!a[x]) continue;
            const float al = a[x] * (1.0f / 255.0f);
            // Fade the low band in over the feather so nothing jumps where alpha reaches 0.
            const float g = std::min(1.0f, 4.0f * al);
            const float wl = (be[x] - al) * g;
            for (int c = 0; c < ch; ++c) {
                const int k = x * ch + c;
                d[k] = cv::saturate_cast<uchar>(d[k] + al * dl[k] + wl * lo[k]);
            }
        }
    }
}

// Poisson by membrane: the Poisson solution with src's gradients is src plus the harmonic
// membrane that takes the boundary differences (dst − src) into the mask. The membrane is
// smooth, so it is built at a quarter of the resolution by pull-push interpolation from the ring
// just outside the mask (a smooth stand-in for the harmonic solve, as in convolution-pyramid
// cloning) and scaled back up. Adds the membrane to src and composites by alpha into dst.
void membrane_into(const cv::Mat &src, cv::Mat &dst, const cv::Mat &hard, const cv::Mat &alpha) {
    const int ch = src.channels();
    cv::Mat inside, grown, ring;
    cv::compare(hard, 127, inside, cv::CMP_GT);
    cv::dilate(inside, grown, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(7, 7)));
    ring = grown & ~inside;
    cv::Mat diff;
    cv::subtract(dst, src, diff, ring, CV_16S);  // zero off the ring
    int shrink = std::min(src.cols, src.rows) >= 128 ? 2 : 0;
    cv::Mat V, W;
    diff.convertTo(V, CV_32F);
    ring.convertTo(W, CV_32F, 1.0 / 255);
    pyr_down_both(V, W, shrink);
    std::vector<cv::Mat> Vs{V}, Ws{W};
    while (std::min(Vs.back().cols, Vs.back().rows) > 2) {
        cv::Mat v, w;
        cv::pyrDown(Vs.back(), v);
        cv::pyrDown(Ws.back(), w);
        Vs.push_back(v);
        Ws.push_back(w);
    }
    auto spread = [ch](const cv::Mat &w) { cv::Mat o; cv::merge(std::vector<cv::Mat>(ch, w), o); return o; };
    cv::Mat est;
    cv::divide(Vs.back(), spread(cv::max(Ws.back(), 1e-6)), est);
    for (int i = (int)Vs.size() - 2; i >= 0; --i) {
        cv::Mat up, here;
        cv::pyrUp(est, up, Vs[i].size());
        cv::Mat wl = spread(cv::min(Ws[i] * 4.0f, 1.0f));
        cv::divide(Vs[i], spread(cv::max(Ws[i], 1e-6)), here);
        est = here.mul(wl) + up.mul(cv::Scalar::all(1) - wl);
    }
    cv::Mat M;
    cv::resize(est, M, src.size(), 0, 0, cv::INTER_LINEAR);
    for (int y = 0; y < dst.rows; ++y) {
        const uchar *a = alpha.ptr<uchar>(y), *s = src.ptr<uchar>(y);
        const float *m = M.ptr<float>(y);
        uchar *d = dst.ptr<uchar>(y);
        for (int x = 0; x < dst.cols; ++x) {
            if (!a[x]) continue;
            const float t = a[x] * (1.0f / 255.0f);
            for (int c = 0; c < ch; ++c) {
                const int k = x * ch + c;
                d[k] = cv::saturate_cast<uchar>(d[k] + (s[k] + m[k] - d[k]) * t);
            }
        }
    }
}
}  // namespace

extern "C" int fsx_blend(fsx_view src, fsx_view dst, fsx_view alpha, fsx_view hard, int mode) {
    FSX_GUARD("blend", {
        cv::Mat s = fsx::mat(src), d = fsx::mat(dst), a = fsx::mat(alpha);
        switch (mode) {
        case 0: {
            cv::Mat f;
            s.convertTo(f, CV_32F);
            composite(f, d, a);
            return 0;
        }
        case 1:
            membrane_into(s, d, fsx::mat(hard), a);
            return 0;
        case 2:
            multiband_into(s, d, a);
            return 0;
        case 3: {
            cv::Mat h = fsx::mat(hard).clone();
            if (h.rows < 8 || h.cols < 8) return 0;
            // seamlessClone needs the mask off the image border.
            h.row(0).setTo(0); h.row(1).setTo(0); h.row(h.rows - 1).setTo(0); h.row(h.rows - 2).setTo(0);
            h.col(0).setTo(0); h.col(1).setTo(0); h.col(h.cols - 1).setTo(0); h.col(h.cols - 2).setTo(0);
            cv::Rect box = cv::boundingRect(h);
            if (box.area() == 0) return 0;
            cv::Mat s3 = s, d3 = d;
            if (s.channels() == 4) { cv::cvtColor(s, s3, cv::COLOR_BGRA2BGR); cv::cvtColor(d, d3, cv::COLOR_BGRA2BGR); }
            cv::Point centre(box.x + box.width / 2, box.y + box.height / 2);
            cv::Mat out;
            cv::seamlessClone(s3, d3, h, centre, out, cv::NORMAL_CLONE);
            cv::Mat f;
            out.convertTo(f, CV_32F);
            if (s.channels() == 4) { cv::Mat t; cv::cvtColor(out, t, cv::COLOR_BGR2BGRA); t.convertTo(f, CV_32F); }
            composite(f, d, a);
            return 0;
        }
        default:
            return fsx::fail(FS_ERR_UNSUPPORTED, "unknown blend mode");
        }
    })
}

extern "C" int fsx_gradient_on(fsx_view img, fsx_view band, double *mean, double *n) {
    FSX_GUARD("gradient", {
        cv::Mat m = fsx::mat(img), g, gx, gy, mag;
        if (m.channels() == 1) g = m;
        else cv::cvtColor(m, g, m.channels() == 3 ? cv::COLOR_BGR2GRAY : cv::COLOR_BGRA2GRAY);
        cv::Sobel(g, gx, CV_32F, 1, 0);
        cv::Sobel(g, gy, CV_32F, 0, 1);
        cv::magnitude(gx, gy, mag);
        cv::Mat b = fsx::mat(band) > 0;
        *n = cv::countNonZero(b);
        *mean = *n > 0 ? cv::mean(mag, b)[0] : 0;
        return 0;
    })
}

extern "C" int fsx_count_diff(fsx_view a, fsx_view b, fsx_view mask, double *differ, double *total) {
    FSX_GUARD("compare", {
        cv::Mat d;
        cv::absdiff(fsx::mat(a), fsx::mat(b), d);
        if (d.channels() > 1) {
            cv::Mat r = d.reshape(1, d.rows * d.cols);
            cv::reduce(r, r, 1, cv::REDUCE_MAX);
            d = r.reshape(1, a.height);
        }
        cv::Mat nz = d > 0;
        if (mask.data) {
            cv::Mat k = fsx::mat(mask) > 0;
            *total = cv::countNonZero(k);
            *differ = cv::countNonZero(nz & k);
        } else {
            *total = (double)d.total();
            *differ = cv::countNonZero(nz);
        }
        return 0;
    })
}
