// OpenCV's Haar cascade detector (opencv-data's haarcascade_frontalface_default.xml).
#include "cv_common.hpp"
#include "pool.hpp"
#include <opencv2/objdetect.hpp>

using Cascade = cv::CascadeClassifier;

extern "C" void *fsx_haar_create(const char *cascade_path) {
    FSX_GUARD_PTR("Haar cascade", fsx::MODEL, {
        auto c = std::make_unique<Cascade>();
        if (!c->load(cascade_path) || c->empty()) {
            fsx::fail(fsx::MODEL, std::string("'") + cascade_path +
                                      "' is not an OpenCV cascade classifier file");
            return nullptr;
        }
        return new fsx::Pool<Cascade>(std::move(c));
    })
}

extern "C" int fsx_haar_detect(void *det, fsx_view gray, int min_size, fsx_box *boxes,
                               int capacity, int *count) {
    FSX_GUARD("detect (Haar)", {
        cv::Mat m = fsx::mat(gray);
        std::vector<cv::Rect> found;
        std::vector<int> neighbours;
        static_cast<fsx::Pool<Cascade> *>(det)->with([&](Cascade &c) {
            c.detectMultiScale(m, found, neighbours, 1.1, 3, 0, cv::Size(min_size, min_size));
            return 0;
        });
        *count = (int)found.size();
        for (int i = 0; i < (int)found.size() && i < capacity; ++i) {
            const auto &r = found[i];
            double score = i < (int)neighbours.size() ? neighbours[i] : 0;
            boxes[i] = {(double)r.x, (double)r.y, (double)r.width, (double)r.height, score};
        }
        return 0;
    })
}

extern "C" void fsx_haar_free(void *det) { delete static_cast<fsx::Pool<Cascade> *>(det); }
