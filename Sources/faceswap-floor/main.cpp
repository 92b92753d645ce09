// faceswap-floor: the same OpenCV / dlib calls the library makes, straight from C++, built with the
// shim's compiler flags — the floor the library's own figures are compared with.
// Usage: faceswap-floor IMAGE.jpg [runs] [scale]
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

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: faceswap-floor IMAGE.jpg [runs=30] [scale=0.25]\n");
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
    return 0;
}
