// dlib's HOG + linear SVM frontal face detector.
#include "cv_common.hpp"
#include "pool.hpp"
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv/cv_image.h>

using Hog = dlib::frontal_face_detector;

extern "C" void *fsx_hog_create(void) {
    FSX_GUARD_PTR("HOG detector", FS_ERR_MODEL, {
        return new fsx::Pool<Hog>(std::make_unique<Hog>(dlib::get_frontal_face_detector()));
    })
}

extern "C" int fsx_hog_detect(void *det, fsx_view gray, double threshold, fsx_box *boxes,
                              int capacity, int *count) {
    FSX_GUARD("detect (HOG)", {
        cv::Mat m = fsx::mat(gray);
        dlib::cv_image<unsigned char> img(m);
        std::vector<dlib::rect_detection> found;
        static_cast<fsx::Pool<Hog> *>(det)->with([&](Hog &d) {
            d(img, found, threshold);
            return 0;
        });
        *count = (int)found.size();
        for (int i = 0; i < (int)found.size() && i < capacity; ++i) {
            const auto &r = found[i].rect;
            boxes[i] = {(double)r.left(), (double)r.top(), (double)r.width(), (double)r.height(),
                        found[i].detection_confidence};
        }
        return 0;
    })
}

extern "C" void fsx_hog_free(void *det) { delete static_cast<fsx::Pool<Hog> *>(det); }
