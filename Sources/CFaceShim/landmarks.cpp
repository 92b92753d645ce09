// dlib's shape predictor (68- or 5-point ensemble of regression trees).
#include "cv_common.hpp"
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <fstream>

using SP = dlib::shape_predictor;

extern "C" void *fsx_sp_load(const char *model_path) {
    FSX_GUARD_PTR("landmark model", fsx::MODEL, {
        auto sp = std::make_unique<SP>();
        dlib::deserialize(model_path) >> *sp;
        if (sp->num_parts() == 0) {
            fsx::fail(fsx::MODEL, std::string("'") + model_path + "' has no landmark points");
            return nullptr;
        }
        return sp.release();
    })
}

extern "C" int fsx_sp_num_parts(const void *sp) {
    return (int)static_cast<const SP *>(sp)->num_parts();
}

template <typename Pixel>
static dlib::full_object_detection fit(const SP &sp, const cv::Mat &m, const dlib::rectangle &r) {
    return sp(dlib::cv_image<Pixel>(m), r);
}

extern "C" int fsx_sp_fit(const void *handle, fsx_view img, const fsx_box *rect, float *xy) {
    FSX_GUARD("landmarks", {
        const SP &sp = *static_cast<const SP *>(handle);
        cv::Mat m = fsx::mat(img);
        dlib::rectangle r((long)std::lround(rect->x), (long)std::lround(rect->y),
                          (long)std::lround(rect->x + rect->w) - 1,
                          (long)std::lround(rect->y + rect->h) - 1);
        dlib::full_object_detection shape;
        switch (fsx::channels_of(img.format)) {
        case 1: shape = fit<unsigned char>(sp, m, r); break;
        case 3: shape = fit<dlib::bgr_pixel>(sp, m, r); break;  // intensity = (r+g+b)/3: order-free
        default: shape = fit<dlib::bgr_alpha_pixel>(sp, m, r); break;
        }
        for (unsigned long i = 0; i < shape.num_parts(); ++i) {
            xy[2 * i] = (float)shape.part(i).x();
            xy[2 * i + 1] = (float)shape.part(i).y();
        }
        return 0;
    })
}

extern "C" int fsx_sp_mean_shape(const char *model_path, float *xy, int capacity, int *parts) {
    FSX_GUARD("landmark model", {
        std::ifstream in(model_path, std::ios::binary);
        if (!in) return fsx::fail(fsx::MODEL, std::string("cannot open '") + model_path + "'");
        int version = 0;
        dlib::matrix<float, 0, 1> initial;
        dlib::deserialize(version, in);
        dlib::deserialize(initial, in);
        *parts = (int)(initial.size() / 2);
        for (long i = 0; i < initial.size() && i < 2 * capacity; ++i) xy[i] = initial(i);
        return 0;
    })
}

extern "C" void fsx_sp_free(void *sp) { delete static_cast<SP *>(sp); }
