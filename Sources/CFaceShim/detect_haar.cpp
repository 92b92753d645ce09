// OpenCV's Haar cascade detector (opencv-data's haarcascade_frontalface_default.xml).
#include "cv_common.hpp"
#include "pool.hpp"
#include <opencv2/objdetect.hpp>

using Cascade = cv::CascadeClassifier;

namespace {
struct ReloadFailed : std::runtime_error {
    using std::runtime_error::runtime_error;
};
}  // namespace

extern "C" void *fsx_haar_create(const char *cascade_path) {
    FSX_GUARD_PTR("Haar cascade", FS_ERR_MODEL, {
        auto c = std::make_unique<Cascade>();
        if (!c->load(cascade_path) || c->empty()) {
            fsx::fail(FS_ERR_MODEL, std::string("'") + cascade_path +
                                      "' is not an OpenCV cascade classifier file");
            return nullptr;
        }
        // Not a copy per worker: copies of a CascadeClassifier share one implementation (a cv::Ptr)
        // whose scan keeps per-image state, so concurrent detectMultiScale calls on copies race
        // (wrong or lost faces). Each further worker loads its own from the file.
        std::string path = cascade_path;
        return new fsx::Pool<Cascade>(std::move(c), [path]() -> std::unique_ptr<Cascade> {
            auto w = std::make_unique<Cascade>();
            if (!w->load(path) || w->empty())
                throw ReloadFailed("cannot load the Haar cascade '" + path + "' again for a concurrent call");
            return w;
        });
    })
}

extern "C" int fsx_haar_detect(void *det, fsx_view gray, int min_size, fsx_box *boxes,
                               int capacity, int *count) {
    FSX_GUARD("detect (Haar)", {
        cv::Mat m = fsx::mat(gray);
        std::vector<cv::Rect> found;
        std::vector<int> neighbours;
        try {
            static_cast<fsx::Pool<Cascade> *>(det)->with([&](Cascade &c) {
                c.detectMultiScale(m, found, neighbours, 1.1, 3, 0, cv::Size(min_size, min_size));
                return 0;
            });
        } catch (const ReloadFailed &e) {
            return fsx::fail(FS_ERR_MODEL, std::string("detect (Haar): ") + e.what());
        }
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
