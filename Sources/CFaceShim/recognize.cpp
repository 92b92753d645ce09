// dlib's face-recognition ResNet (dlib_face_recognition_resnet_model_v1.dat): 128-D embeddings
// whose Euclidean distance is < 0.6 for the same person. The network of dlib's
// dnn_face_recognition_ex example.
#include "cv_common.hpp"
#include "pool.hpp"
#include <dlib/dnn.h>
#include <dlib/image_transforms.h>
#include <dlib/opencv/cv_image.h>

namespace {
using namespace dlib;
template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual = add_prev1<block<N, BN, 1, tag1<SUBNET>>>;
template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual_down = add_prev2<avg_pool<2, 2, 2, 2, skip1<tag2<block<N, BN, 2, tag1<SUBNET>>>>>>;
template <int N, template <typename> class BN, int stride, typename SUBNET>
using block = BN<con<N, 3, 3, 1, 1, relu<BN<con<N, 3, 3, stride, stride, SUBNET>>>>>;
template <int N, typename SUBNET> using ares = relu<residual<block, N, affine, SUBNET>>;
template <int N, typename SUBNET> using ares_down = relu<residual_down<block, N, affine, SUBNET>>;
template <typename SUBNET> using alevel0 = ares_down<256, SUBNET>;
template <typename SUBNET> using alevel1 = ares<256, ares<256, ares_down<256, SUBNET>>>;
template <typename SUBNET> using alevel2 = ares<128, ares<128, ares_down<128, SUBNET>>>;
template <typename SUBNET> using alevel3 = ares<64, ares<64, ares<64, ares_down<64, SUBNET>>>>;
template <typename SUBNET> using alevel4 = ares<32, ares<32, ares<32, SUBNET>>>;
using Net = loss_metric<fc_no_bias<128, avg_pool_everything<alevel0<alevel1<alevel2<alevel3<alevel4<
    max_pool<3, 3, 2, 2, relu<affine<con<32, 7, 7, 2, 2, input_rgb_image_sized<150>>>>>>>>>>>>>;
}  // namespace

extern "C" void *fsx_frnet_create(const char *model_path) {
    FSX_GUARD_PTR("face recognition model", FS_ERR_MODEL, {
        auto net = std::make_unique<Net>();
        dlib::deserialize(model_path) >> *net;
        return new fsx::Pool<Net>(std::move(net));
    })
}

extern "C" int fsx_frnet_embed(void *handle, fsx_view bgr, const float *xy, int n, float out[128]) {
    FSX_GUARD("face embedding", {
        cv::Mat m = fsx::mat(bgr);
        std::vector<dlib::point> parts;
        long x0 = LONG_MAX, y0 = LONG_MAX, x1 = LONG_MIN, y1 = LONG_MIN;
        for (int i = 0; i < n; ++i) {
            dlib::point p(std::lround(xy[2 * i]), std::lround(xy[2 * i + 1]));
            parts.push_back(p);
            x0 = std::min(x0, p.x()); y0 = std::min(y0, p.y());
            x1 = std::max(x1, p.x()); y1 = std::max(y1, p.y());
        }
        dlib::full_object_detection shape(dlib::rectangle(x0, y0, x1, y1), parts);
        dlib::matrix<dlib::rgb_pixel> chip;
        dlib::extract_image_chip(dlib::cv_image<dlib::bgr_pixel>(m),
                                 dlib::get_face_chip_details(shape, 150, 0.25), chip);
        dlib::matrix<float, 0, 1> e = static_cast<fsx::Pool<Net> *>(handle)->with(
            [&](Net &net) { return net(chip); });
        for (int i = 0; i < 128; ++i) out[i] = e(i);
        return 0;
    })
}

extern "C" void fsx_frnet_free(void *net) { delete static_cast<fsx::Pool<Net> *>(net); }
