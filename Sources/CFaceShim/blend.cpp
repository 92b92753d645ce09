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

int levels_for(const cv::Size &s) {
    int n = 0, m = std::min(s.width, s.height);
    while (m >= 16 && n < 5) { m /= 2; ++n; }
    return n;
}

// Multiband (Burt & Adelson): each band of the Laplacian pyramid blended by the mask blurred to
// that band's scale. Since the pyramid is linear, blend(S, D) = D + collapse(G(m) · L(S − D)):
// one Laplacian pyramid (of the difference) instead of two.
cv::Mat multiband(const cv::Mat &src, const cv::Mat &dst, const cv::Mat &alpha) {
    int levels = levels_for(src.size());
    cv::Mat s, d, m;
    src.convertTo(s, CV_32F);
    dst.convertTo(d, CV_32F);
    alpha.convertTo(m, CV_32F, 1.0 / 255);
    std::vector<cv::Mat> g{s - d}, gm{m};
    for (int i = 0; i < levels; ++i) {
        cv::Mat a, c;
        cv::pyrDown(g.back(), a);
        cv::pyrDown(gm.back(), c);
        g.push_back(a);
        gm.push_back(c);
    }
    const int ch = s.channels();
    auto weigh = [ch](const cv::Mat &band, const cv::Mat &w) {
        cv::Mat w3;
        if (ch == 1) w3 = w;
        else cv::merge(std::vector<cv::Mat>(ch, w), w3);
        return band.mul(w3);
    };
    cv::Mat out = weigh(g[levels], gm[levels]);
    for (int i = levels - 1; i >= 0; --i) {
        cv::Mat up, uo;
        cv::pyrUp(g[i + 1], up, g[i].size());
        cv::pyrUp(out, uo, g[i].size());
        out = uo + weigh(g[i] - up, gm[i]);
    }
    return d + out;
}

// Poisson by membrane: result = src + M, where M interpolates (dst - src) from the ring just
// outside the mask into it (pull-push over a pyramid). The Poisson solution with src's gradients
// is exactly src plus the harmonic membrane of those boundary differences; the pull-push
// interpolant is a smooth stand-in for it that costs a few pyramid passes instead of a solve.
cv::Mat membrane(const cv::Mat &src, const cv::Mat &dst, const cv::Mat &hard) {
    cv::Mat s, d, diff;
    src.convertTo(s, CV_32F);
    dst.convertTo(d, CV_32F);
    diff = d - s;
    cv::Mat inside, ring, grown;
    cv::compare(hard, 127, inside, cv::CMP_GT);
    cv::dilate(inside, grown, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5)));
    ring = grown & ~inside;
    cv::Mat w;
    ring.convertTo(w, CV_32F, 1.0 / 255);
    const int ch = diff.channels();
    cv::Mat w3;
    cv::merge(std::vector<cv::Mat>(ch, w), w3);
    std::vector<cv::Mat> V{diff.mul(w3)}, W{w};
    while (std::min(V.back().cols, V.back().rows) > 2) {
        cv::Mat v, ww;
        cv::pyrDown(V.back(), v);
        cv::pyrDown(W.back(), ww);
        V.push_back(v); W.push_back(ww);
    }
    // Push: from the coarsest level down, fill where the weight is small.
    cv::Mat est;
    {
        cv::Mat wc;
        cv::merge(std::vector<cv::Mat>(ch, cv::max(W.back(), 1e-6)), wc);
        cv::divide(V.back(), wc, est);
    }
    for (int i = (int)V.size() - 2; i >= 0; --i) {
        cv::Mat up;
        cv::pyrUp(est, up, V[i].size());
        cv::Mat wl = cv::min(W[i] * 4.0f, 1.0f), wl3, safe, here;
        cv::merge(std::vector<cv::Mat>(ch, wl), wl3);
        cv::merge(std::vector<cv::Mat>(ch, cv::max(W[i], 1e-6)), safe);
        cv::divide(V[i], safe, here);
        est = here.mul(wl3) + up.mul(cv::Scalar::all(1) - wl3);
    }
    return s + est;
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
        case 1: {
            cv::Mat res = membrane(s, d, fsx::mat(hard));
            composite(res, d, a);
            return 0;
        }
        case 2: {
            cv::Mat res = multiband(s, d, a);
            // Fade the pyramid's result in over the feather, so that pixels with alpha == 0
            // stay exactly the target's and nothing jumps at the edge of the support.
            cv::Mat w;
            a.convertTo(w, CV_8U, 4.0);
            composite(res, d, w);
            return 0;
        }
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
            return fsx::fail(fsx::UNSUPPORTED, "unknown blend mode");
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
