// Conversion by geometry: Delaunay triangulation and the piecewise-affine (or global) warp of
// the source face onto the target's landmarks, done as one cv::remap over a map filled per
// triangle.
#include "cv_common.hpp"
#include <cmath>
#include <opencv2/imgproc.hpp>

extern "C" int fsx_delaunay(const float *xy, int n, double w, double h, int *tri, int capacity,
                            int *count) {
    FSX_GUARD("delaunay", {
        (void)w; (void)h;
        float x0 = xy[0], y0 = xy[1], x1 = xy[0], y1 = xy[1];
        for (int i = 1; i < n; ++i) {
            x0 = std::min(x0, xy[2 * i]); x1 = std::max(x1, xy[2 * i]);
            y0 = std::min(y0, xy[2 * i + 1]); y1 = std::max(y1, xy[2 * i + 1]);
        }
        cv::Rect bounds((int)std::floor(x0) - 2, (int)std::floor(y0) - 2,
                        (int)std::ceil(x1 - x0) + 5, (int)std::ceil(y1 - y0) + 5);
        cv::Subdiv2D sub(bounds);
        for (int i = 0; i < n; ++i) sub.insert(cv::Point2f(xy[2 * i], xy[2 * i + 1]));
        std::vector<cv::Vec6f> list;
        sub.getTriangleList(list);
        auto index_of = [&](float px, float py) {
            for (int i = 0; i < n; ++i)
                if (xy[2 * i] == px && xy[2 * i + 1] == py) return i;
            return -1;
        };
        int k = 0;
        for (const auto &t : list) {
            int a = index_of(t[0], t[1]), b = index_of(t[2], t[3]), c = index_of(t[4], t[5]);
            if (a < 0 || b < 0 || c < 0) continue;  // a corner of Subdiv2D's outer triangle
            if (k < capacity) { tri[3 * k] = a; tri[3 * k + 1] = b; tri[3 * k + 2] = c; }
            ++k;
        }
        *count = k;
        return 0;
    })
}

extern "C" int fsx_warp_piecewise(fsx_view src, fsx_view dst, fsx_view valid, double ox, double oy,
                                  const double base[6], const float *src_xy, const float *dst_xy,
                                  const int *tri, int ntri) {
    FSX_GUARD("warp", {
        const int W = dst.width, H = dst.height;
        cv::Mat mapx(H, W, CV_32F), mapy(H, W, CV_32F);
        for (int y = 0; y < H; ++y) {
            float *mx = mapx.ptr<float>(y), *my = mapy.ptr<float>(y);
            double ty = y + oy;
            for (int x = 0; x < W; ++x) {
                double tx = x + ox;
                mx[x] = (float)(base[0] * tx + base[1] * ty + base[2]);
                my[x] = (float)(base[3] * tx + base[4] * ty + base[5]);
            }
        }
        for (int k = 0; k < ntri; ++k) {
            const int *t = tri + 3 * k;
            cv::Point2f d[3], s[3];
            for (int j = 0; j < 3; ++j) {
                d[j] = cv::Point2f(dst_xy[2 * t[j]] - (float)ox, dst_xy[2 * t[j] + 1] - (float)oy);
                s[j] = cv::Point2f(src_xy[2 * t[j]], src_xy[2 * t[j] + 1]);
            }
            double area = (d[1].x - d[0].x) * (d[2].y - d[0].y) - (d[2].x - d[0].x) * (d[1].y - d[0].y);
            if (std::fabs(area) < 1e-6) continue;
            cv::Mat A = cv::getAffineTransform(d, s);  // ROI pixel -> source pixel
            const double *a = A.ptr<double>(0), *b = A.ptr<double>(1);
            int bx0 = std::max(0, (int)std::floor(std::min({d[0].x, d[1].x, d[2].x})));
            int bx1 = std::min(W - 1, (int)std::ceil(std::max({d[0].x, d[1].x, d[2].x})));
            int by0 = std::max(0, (int)std::floor(std::min({d[0].y, d[1].y, d[2].y})));
            int by1 = std::min(H - 1, (int)std::ceil(std::max({d[0].y, d[1].y, d[2].y})));
            const double eps = -1e-3 * std::fabs(area);
            for (int y = by0; y <= by1; ++y) {
                float *mx = mapx.ptr<float>(y), *my = mapy.ptr<float>(y);
                for (int x = bx0; x <= bx1; ++x) {
                    // Barycentric signs: inside when all three edge functions share area's sign.
                    double w0 = (d[1].x - x) * (d[2].y - y) - (d[2].x - x) * (d[1].y - y);
                    double w1 = (d[2].x - x) * (d[0].y - y) - (d[0].x - x) * (d[2].y - y);
                    double w2 = (d[0].x - x) * (d[1].y - y) - (d[1].x - x) * (d[0].y - y);
                    if (area < 0) { w0 = -w0; w1 = -w1; w2 = -w2; }
                    if (w0 < eps || w1 < eps || w2 < eps) continue;
                    mx[x] = (float)(a[0] * x + a[1] * y + a[2]);
                    my[x] = (float)(b[0] * x + b[1] * y + b[2]);
                }
            }
        }
        cv::Mat s = fsx::mat(src), d = fsx::mat(dst);
        cv::remap(s, d, mapx, mapy, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
        if (valid.data) {
            cv::Mat v = fsx::mat(valid);
            const float maxx = (float)(src.width - 1), maxy = (float)(src.height - 1);
            for (int y = 0; y < H; ++y) {
                const float *mx = mapx.ptr<float>(y), *my = mapy.ptr<float>(y);
                uchar *vr = v.ptr<uchar>(y);
                for (int x = 0; x < W; ++x)
                    vr[x] = (mx[x] >= 0 && my[x] >= 0 && mx[x] <= maxx && my[x] <= maxy) ? 255 : 0;
            }
        }
        return 0;
    })
}
