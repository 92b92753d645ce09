// faceswap-floor: the same OpenCV / dlib calls the library makes, straight from C++, built with the
// shim's compiler flags — the floor the library's own figures are compared with.
// Usage: faceswap-floor IMAGE.jpg [runs] [scale]   |   faceswap-floor train [steps] [batch]
//        faceswap-floor track CLIP [N=5] [scale=0.25] [passes=5] [whole_every=4]
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

// dlib's HOG faces of `im` shrunk by `s` (INTER_AREA, grey), in `im`'s coordinates.
static std::vector<dlib::rectangle> hog_faces(dlib::frontal_face_detector &detector, const cv::Mat &im, double s) {
    cv::Mat small, grey;
    cv::resize(im, small, cv::Size(), s, s, cv::INTER_AREA);
    cv::cvtColor(small, grey, cv::COLOR_BGR2GRAY);
    std::vector<dlib::rectangle> found;
    for (const auto &f : detector(dlib::cv_image<unsigned char>(grey)))
        found.emplace_back(f.left() / s, f.top() / s, f.right() / s, f.bottom() / s);
    return found;
}

// The face swap made of the same library calls, written the way a C++ programmer would: both
// images decoded, faces found and fitted, a Delaunay mesh (Subdiv2D), the source warped triangle
// by triangle (warpAffine of each triangle's box + a triangle mask), the hull mask feathered with
// a distance transform, Reinhard colour in 8-bit Lab, a multiband blend over the face's box, and
// JPEG encoding.
template <typename Detect>
static void swap_floor(const char *target_path, const std::vector<uchar> &src_bytes, Detect &detect,
                       dlib::shape_predictor &sp, int runs) {
    std::ifstream f(target_path, std::ios::binary);
    std::vector<uchar> dst_bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto landmarks = [&](const cv::Mat &img) {
        std::vector<cv::Point2f> pts;
        auto found = detect(img);
        if (found.empty()) return pts;
        auto shape = sp(dlib::cv_image<dlib::bgr_pixel>(img), found[0]);
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

// The tracking step's floor: a video's frames (decoded by the ffmpeg program to BGR, kept in memory)
// through the plainest tracker — HOG every N-th frame, one 68-point fit per frame in the last
// detector rectangle. As the library's tracker scans (FaceTracker), while a face is held three
// scans in `whole_every` look only at a window around it (its rectangle grown by 0.3 of its side
// each way, shrunk so that a face of 0.7 of its side meets dlib's 80-px window), the others at the
// whole frame shrunk to `scale` (INTER_AREA, grey); a window without a face drops it, and the next
// frame scans the whole frame. The median over `passes` passes of the time per frame:
// detect ÷ N + one 68-point fit.
static int track_floor(int argc, char **argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: faceswap-floor track CLIP [N=5] [scale=0.25] [passes=5] [whole_every=4]\n");
        return 2;
    }
    const std::string clip = argv[2];
    const int interval = std::max(1, argc > 3 ? std::atoi(argv[3]) : 5);
    const double scale = argc > 4 ? std::atof(argv[4]) : 0.25;
    const int passes = std::max(1, argc > 5 ? std::atoi(argv[5]) : 5);
    const int whole_every = std::max(1, argc > 6 ? std::atoi(argv[6]) : 4);
    // Frame size from ffprobe, frames from ffmpeg (rawvideo bgr24 on a pipe).
    int w = 0, h = 0;
    {
        std::string probe = "ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0:s=x '" + clip + "'";
        FILE *p = popen(probe.c_str(), "r");
        if (!p || std::fscanf(p, "%dx%d", &w, &h) != 2) { std::fprintf(stderr, "cannot probe %s\n", clip.c_str()); if (p) pclose(p); return 1; }
        pclose(p);
    }
    std::vector<cv::Mat> frames;
    {
        std::string dec = "ffmpeg -nostdin -v error -i '" + clip + "' -f rawvideo -pix_fmt bgr24 -";
        FILE *p = popen(dec.c_str(), "r");
        if (!p) return 1;
        for (;;) {
            cv::Mat m(h, w, CV_8UC3);
            if (std::fread(m.data, 1, m.total() * 3, p) != m.total() * 3) break;
            frames.push_back(m);
        }
        pclose(p);
    }
    if (frames.empty()) { std::fprintf(stderr, "no frames in %s\n", clip.c_str()); return 1; }
    dlib::frontal_face_detector detector = dlib::get_frontal_face_detector();
    dlib::shape_predictor sp;
    dlib::deserialize("/usr/share/dlib/shape_predictor_68_face_landmarks.dat") >> sp;
    auto detect = [&](const cv::Mat &im, double s) { return hog_faces(detector, im, s); };
    std::vector<double> per_frame, det_each, fit_each;
    int fitted = 0;
    for (int pass = 0; pass <= passes; ++pass) {  // pass 0 warms up
        bool have = false;
        dlib::rectangle r;
        double t_det = 0, t_fit = 0;
        int n_det = 0, n_fit = 0, since_whole = 0;
        double a = now();
        for (size_t i = 0; i < frames.size(); ++i) {
            if (i % interval == 0 || !have) {
                double d0 = now();
                std::vector<dlib::rectangle> found;
                if (have && ++since_whole < whole_every) {
                    const cv::Rect box((int)r.left(), (int)r.top(), (int)r.width(), (int)r.height());
                    const int m = (int)std::ceil(0.3 * std::max(box.width, box.height));
                    const cv::Rect win = cv::Rect(box.x - m, box.y - m, box.width + 2 * m, box.height + 2 * m) &
                                         cv::Rect(0, 0, w, h);
                    const double s = std::min(1.0, 80.0 / (0.7 * std::min(box.width, box.height)));
                    for (auto f : detect(frames[i](win), s)) found.push_back(dlib::translate_rect(f, win.x, win.y));
                    have = !found.empty();
                } else {
                    since_whole = 0;
                    found = detect(frames[i], scale);
                    if (!found.empty()) have = true;
                }
                t_det += now() - d0;
                ++n_det;
                if (!found.empty()) r = found[0];
            }
            if (have) {
                double f0 = now();
                auto shape = sp(dlib::cv_image<dlib::bgr_pixel>(frames[i]), r);
                t_fit += now() - f0;
                ++n_fit;
                (void)shape;
            }
        }
        double all = now() - a;
        if (pass == 0) continue;
        per_frame.push_back(all / frames.size());
        det_each.push_back(n_det ? t_det / n_det : 0);
        fit_each.push_back(n_fit ? t_fit / n_fit : 0);
        fitted = n_fit;
    }
    auto med = [](std::vector<double> v) { std::sort(v.begin(), v.end()); return v[v.size() / 2] * 1000; };
    std::printf("tracking floor (direct C++ calls), %s %dx%d, %zu frames: HOG every %d frames (at scale %.3g on the whole "
                "frame, %d scans in %d only around the face) + one 68-point fit per frame (%d of %zu frames fitted), "
                "medians of %d passes\n",
                clip.c_str(), w, h, frames.size(), interval, scale, whole_every - 1, whole_every, fitted, frames.size(),
                passes);
    std::printf("  detect %.2f ms each, 68 landmarks %.2f ms each; per frame %.2f ms\n", med(det_each), med(fit_each),
                med(per_frame));
    std::printf("@ tracking %.4f\n@ track_detect %.4f\n@ track_fit %.4f\n", med(per_frame), med(det_each), med(fit_each));
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && std::string(argv[1]) == "train") return train_floor(argc, argv);
    if (argc >= 2 && std::string(argv[1]) == "track") return track_floor(argc, argv);
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
    auto detect = [&](const cv::Mat &im) { return hog_faces(detector, im, scale); };
    auto faces = detect(img);
    if (faces.empty()) { std::printf("no face found\n"); return 1; }
    const dlib::rectangle r = faces[0];

    double d_decode = median_of(runs, [&] { cv::Mat m = cv::imdecode(bytes, cv::IMREAD_COLOR); });
    double d_detect = median_of(runs, [&] { detect(img); });
    double d_sp = median_of(runs, [&] { sp(dlib::cv_image<dlib::bgr_pixel>(img), r); });
    double d_all = median_of(runs, [&] {
        cv::Mat m = cv::imdecode(bytes, cv::IMREAD_COLOR);
        for (auto &d : detect(m)) sp(dlib::cv_image<dlib::bgr_pixel>(m), d);
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
    if (argc > 4) swap_floor(argv[4], bytes, detect, sp, runs);
    return 0;
}
