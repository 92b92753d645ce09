// faceswap-floor: the same OpenCV / dlib calls the library makes, straight from C++, built with the
// shim's compiler flags — the floor the library's own figures are compared with.
// Usage: faceswap-floor IMAGE.jpg [runs] [scale]   |   faceswap-floor train [steps] [batch]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <fstream>
#include <functional>
#include <iterator>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>
#include <string>
#include <vector>

static double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

static double median_of(int runs, const std::function<void()> &body) {
    body();
    std::vector<double> t;
    for (int i = 0; i < runs; ++i) {
        double a = now();
        body();
        t.push_back(now() - a);
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2] * 1000;
}

// The face swap made of the same library calls, written the way a C++ programmer would: both
// images decoded, faces found and fitted, a Delaunay mesh (Subdiv2D), the source warped triangle
// by triangle (warpAffine of each triangle's box + a triangle mask), the hull mask feathered with
// a distance transform, Reinhard colour in 8-bit Lab, a multiband blend over the face's box, and
// JPEG encoding.
template <typename Detect>
static void swap_floor(const char *target_path, const std::vector<uchar> &src_bytes, Detect &detect,
                       dlib::shape_predictor &sp, double scale, int runs) {
    std::ifstream f(target_path, std::ios::binary);
    std::vector<uchar> dst_bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto landmarks = [&](const cv::Mat &img) {
        std::vector<cv::Point2f> pts;
        auto found = detect(img);
        if (found.empty()) return pts;
        dlib::rectangle r(found[0].left() / scale, found[0].top() / scale, found[0].right() / scale,
                          found[0].bottom() / scale);
        auto shape = sp(dlib::cv_image<dlib::bgr_pixel>(img), r);
        for (unsigned i = 0; i < shape.num_parts(); ++i) pts.emplace_back(shape.part(i).x(), shape.part(i).y());
        return pts;
    };
    std::vector<double> t_all, t_face;
    for (int it = 0; it <= runs; ++it) {
        double a = now();
        cv::Mat src = cv::imdecode(src_bytes, cv::IMREAD_COLOR), dst = cv::imdecode(dst_bytes, cv::IMREAD_COLOR);
        auto sp_pts = landmarks(src), dp_pts = landmarks(dst);
        if (sp_pts.size() != 68 || dp_pts.size() != 68) { std::printf("swap floor: no face\n"); return; }
        double b = now();
        std::vector<int> hull_idx;
        cv::convexHull(dp_pts, hull_idx);
        std::vector<cv::Point> hull;
        for (int i : hull_idx) hull.push_back(dp_pts[i]);
        cv::Rect roi = cv::boundingRect(hull) & cv::Rect(0, 0, dst.cols, dst.rows);
        cv::Subdiv2D sub(cv::Rect(roi.x - 1, roi.y - 1, roi.width + 2, roi.height + 2));
        for (auto &p : dp_pts) sub.insert(p);
        std::vector<cv::Vec6f> tris;
        sub.getTriangleList(tris);
        cv::Mat warped(roi.size(), CV_8UC3, cv::Scalar::all(0));
        for (auto &t : tris) {
            cv::Point2f d[3] = {{t[0], t[1]}, {t[2], t[3]}, {t[4], t[5]}}, s[3];
            bool ok = true;
            for (int j = 0; j < 3 && ok; ++j) {
                auto it2 = std::find(dp_pts.begin(), dp_pts.end(), d[j]);
                if (it2 == dp_pts.end()) ok = false;
                else s[j] = sp_pts[it2 - dp_pts.begin()];
                d[j] -= cv::Point2f(roi.x, roi.y);
            }
            if (!ok) continue;
            cv::Rect box = cv::boundingRect(std::vector<cv::Point2f>(d, d + 3)) & cv::Rect(0, 0, roi.width, roi.height);
            if (box.area() == 0) continue;
            cv::Point2f dl[3];
            for (int j = 0; j < 3; ++j) dl[j] = d[j] - cv::Point2f(box.x, box.y);
            cv::Mat patch;
            cv::warpAffine(src, patch, cv::getAffineTransform(s, dl), box.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
            cv::Mat tm(box.size(), CV_8U, cv::Scalar(0));
            std::vector<cv::Point> tp{dl[0], dl[1], dl[2]};
            cv::fillConvexPoly(tm, tp, cv::Scalar(255));
            patch.copyTo(warped(box), tm);
        }
        cv::Mat outline(roi.size(), CV_8U, cv::Scalar(0)), dist, alpha;
        std::vector<cv::Point> local;
        for (auto &p : hull) local.push_back(p - roi.tl());
        cv::fillConvexPoly(outline, local, cv::Scalar(255));
        cv::distanceTransform(outline, dist, cv::DIST_L2, cv::DIST_MASK_3);
        dist.convertTo(alpha, CV_32F, 1.0 / 20);
        cv::min(alpha, 1.0, alpha);
        cv::Mat lab_s, lab_d, target = dst(roi);
        cv::cvtColor(warped, lab_s, cv::COLOR_BGR2Lab);
        cv::cvtColor(target, lab_d, cv::COLOR_BGR2Lab);
        cv::Scalar ms, ss, md, sd;
        cv::meanStdDev(lab_s, ms, ss, outline);
        cv::meanStdDev(lab_d, md, sd, outline);
        std::vector<cv::Mat> ch;
        cv::split(lab_s, ch);
        for (int c = 0; c < 3; ++c) ch[c].convertTo(ch[c], CV_8U, sd[c] / std::max(ss[c], 1e-6), md[c] - ms[c] * sd[c] / std::max(ss[c], 1e-6));
        cv::merge(ch, lab_s);
        cv::cvtColor(lab_s, warped, cv::COLOR_Lab2BGR);
        cv::Mat fs, fd;
        warped.convertTo(fs, CV_32F);
        target.convertTo(fd, CV_32F);
        std::vector<cv::Mat> gs{fs - fd}, gm{alpha};
        for (int l = 0; l < 5; ++l) { cv::Mat x, y; cv::pyrDown(gs.back(), x); cv::pyrDown(gm.back(), y); gs.push_back(x); gm.push_back(y); }
        auto w3 = [](const cv::Mat &m) { cv::Mat o; cv::merge(std::vector<cv::Mat>(3, m), o); return o; };
        cv::Mat out = gs[5].mul(w3(gm[5]));
        for (int l = 4; l >= 0; --l) {
            cv::Mat up, uo;
            cv::pyrUp(gs[l + 1], up, gs[l].size());
            cv::pyrUp(out, uo, gs[l].size());
            out = uo + (gs[l] - up).mul(w3(gm[l]));
        }
        cv::Mat res = fd + out;
        res.convertTo(target, CV_8U);
        double c = now();
        std::vector<uchar> enc;
        cv::imencode(".jpg", dst, enc);
        double e = now();
        if (it > 0) { t_all.push_back(e - a); t_face.push_back(c - b); }
    }
    std::sort(t_all.begin(), t_all.end());
    std::sort(t_face.begin(), t_face.end());
    std::printf("  swap floor, %s as target: end to end %.1f ms (warp+mask+colour+multiband %.1f ms)\n",
                target_path, t_all[t_all.size() / 2] * 1000, t_face[t_face.size() / 2] * 1000);
}

int train_floor(int argc, char **argv);

int main(int argc, char **argv) {
    if (argc >= 2 && std::string(argv[1]) == "train") return train_floor(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: faceswap-floor IMAGE.jpg [runs=30] [scale=0.25] [TARGET.jpg]\n");
        return 2;
    }
    int runs = argc > 2 ? std::atoi(argv[2]) : 30;
    double scale = argc > 3 ? std::atof(argv[3]) : 0.25;
    std::ifstream f(argv[1], std::ios::binary);
    std::vector<uchar> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (bytes.empty()) { std::fprintf(stderr, "cannot read %s\n", argv[1]); return 1; }

    double t = now();
    dlib::frontal_face_detector detector = dlib::get_frontal_face_detector();
    double t_det = now() - t;
    t = now();
    dlib::shape_predictor sp;
    dlib::deserialize("/usr/share/dlib/shape_predictor_68_face_landmarks.dat") >> sp;
    double t_sp = now() - t;

    cv::Mat img = cv::imdecode(bytes, cv::IMREAD_COLOR);
    auto detect = [&](const cv::Mat &im) {
        cv::Mat small, grey;
        cv::resize(im, small, cv::Size(), scale, scale, cv::INTER_AREA);
        cv::cvtColor(small, grey, cv::COLOR_BGR2GRAY);
        return detector(dlib::cv_image<unsigned char>(grey));
    };
    auto faces = detect(img);
    if (faces.empty()) { std::printf("no face found\n"); return 1; }
    dlib::rectangle r(faces[0].left() / scale, faces[0].top() / scale, faces[0].right() / scale,
                      faces[0].bottom() / scale);

    double d_decode = median_of(runs, [&] { cv::Mat m = cv::imdecode(bytes, cv::IMREAD_COLOR); });
    double d_detect = median_of(runs, [&] { detect(img); });
    double d_sp = median_of(runs, [&] { sp(dlib::cv_image<dlib::bgr_pixel>(img), r); });
    double d_all = median_of(runs, [&] {
        cv::Mat m = cv::imdecode(bytes, cv::IMREAD_COLOR);
        for (auto &d : detect(m)) {
            dlib::rectangle rr(d.left() / scale, d.top() / scale, d.right() / scale, d.bottom() / scale);
            sp(dlib::cv_image<dlib::bgr_pixel>(m), rr);
        }
    });
    std::printf("floor (direct C++ calls), %s %dx%d, scan scale %.3g, medians of %d runs\n", argv[1],
                img.cols, img.rows, scale, runs);
    std::printf("  handle creation: HOG detector %.1f ms, 68-point model %.1f ms\n", t_det * 1000, t_sp * 1000);
    std::printf("  decode (cv::imdecode)   %.1f ms\n", d_decode);
    std::printf("  detect                  %.1f ms\n", d_detect);
    std::printf("  68 landmarks            %.1f ms\n", d_sp);
    std::printf("  decode+detect+landmarks %.1f ms\n", d_all);
    // Records for faceswap-bench's ratios ("@ key milliseconds").
    std::printf("@ decode %.4f\n@ detect %.4f\n@ landmarks68 %.4f\n@ hog_create %.4f\n@ sp68_create %.4f\n", d_decode,
                d_detect, d_sp, t_det * 1000, t_sp * 1000);
    if (argc > 4) swap_floor(argv[4], bytes, detect, sp, scale, runs);
    return 0;
}
