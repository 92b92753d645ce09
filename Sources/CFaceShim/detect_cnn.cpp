// dlib's MMOD CNN face detector (mmod_human_face_detector.dat), the network of dlib's
// dnn_mmod_face_detection_ex example.
#include "cv_common.hpp"
#include "pool.hpp"
#include <dlib/dnn.h>
#include <dlib/opencv/cv_image.h>

namespace {
using namespace dlib;
template <long N, typename S> using con5d = con<N, 5, 5, 2, 2, S>;
template <long N, typename S> using con5 = con<N, 5, 5, 1, 1, S>;
template <typename S>
using downsampler = relu<affine<con5d<32, relu<affine<con5d<32, relu<affine<con5d<16, S>>>>>>>>>;
template <typename S> using rcon5 = relu<affine<con5<45, S>>>;
using Net = loss_mmod<con<1, 9, 9, 1, 1, rcon5<rcon5<rcon5<downsampler<input_rgb_image_pyramid<pyramid_down<6>>>>>>>>;
}  // namespace

extern "C" void *fsx_cnn_create(const char *model_path) {
    FSX_GUARD_PTR("CNN detector model", FS_ERR_MODEL, {
        auto net = std::make_unique<Net>();
        dlib::deserialize(model_path) >> *net;
        return new fsx::Pool<Net>(std::move(net));
    })
}

extern "C" int fsx_cnn_detect(void *det, fsx_view bgr, double threshold, fsx_box *boxes,
                              int capacity, int *count) {
    FSX_GUARD("detect (CNN)", {
        cv::Mat m = fsx::mat(bgr);
        dlib::matrix<dlib::rgb_pixel> img;
        dlib::assign_image(img, dlib::cv_image<dlib::bgr_pixel>(m));
        std::vector<dlib::mmod_rect> found = static_cast<fsx::Pool<Net> *>(det)->with(
            [&](Net &net) { return net.process(img, threshold); });
        *count = (int)found.size();
        for (int i = 0; i < (int)found.size() && i < capacity; ++i) {
            const auto &r = found[i].rect;
            boxes[i] = {(double)r.left(), (double)r.top(), (double)r.width(), (double)r.height(),
                        found[i].detection_confidence};
        }
        return 0;
    })
}

extern "C" void fsx_cnn_free(void *det) { delete static_cast<fsx::Pool<Net> *>(det); }
