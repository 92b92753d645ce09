// Formats other than JPEG through OpenCV imgcodecs, normalised to 8-bit GRAY/BGR/BGRA.
//
// imgcodecs is loaded with dlopen on the first call, not linked: it pulls in GDAL, OpenEXR,
// GDCM and ~115 other libraries (~90 ms of dynamic loading at every process start), and most
// callers only ever read and write JPEG (codec_jpeg.cpp, libjpeg directly). Only the two entry
// points used here are resolved, by their (Itanium C++ ABI) mangled names.
#include "cv_common.hpp"
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/core/version.hpp>
#include <opencv2/imgcodecs.hpp>  // the IMREAD_/IMWRITE_ constants only: no function of it is called directly
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

namespace {

using imdecode_fn = cv::Mat (*)(cv::InputArray, int);
using imencode_fn = bool (*)(const cv::String &, cv::InputArray, std::vector<uchar> &, const std::vector<int> &);

struct Imgcodecs {
    imdecode_fn imdecode = nullptr;
    imencode_fn imencode = nullptr;
    std::string error;  // why it could not be loaded (empty when loaded)
};

Imgcodecs load() {
    Imgcodecs c;
    const std::string name = fsx::cv_module_soname("imgcodecs");
    std::string why;  // the loader's message(s), each once
    void *lib = fsx::open_cv_module("imgcodecs", why);
    if (!lib) {
        c.error = "reading and writing images other than JPEG needs OpenCV's imgcodecs library (" + name +
                  "), which could not be loaded (" + why + "); install it (Debian/Ubuntu: apt-get install libopencv-imgcodecs" +
                  std::to_string(CV_VERSION_MAJOR * 100 + CV_VERSION_MINOR) + ")";
        return c;
    }
    // cv::imdecode(cv::_InputArray const&, int)
    c.imdecode = reinterpret_cast<imdecode_fn>(dlsym(lib, "_ZN2cv8imdecodeERKNS_11_InputArrayEi"));
    // cv::imencode(std::string const&, cv::_InputArray const&, std::vector<uchar>&, std::vector<int> const&)
    c.imencode = reinterpret_cast<imencode_fn>(dlsym(
        lib, "_ZN2cv8imencodeERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEERKNS_11_InputArrayERSt6vector"
             "IhSaIhEERKSB_IiSaIiEE"));
    if (!c.imdecode || !c.imencode) {
        c.error = "OpenCV's imgcodecs library (" + name + ") lacks cv::imdecode or cv::imencode "
                  "(built with another C++ ABI?): images other than JPEG cannot be read or written";
        c.imdecode = nullptr;
        c.imencode = nullptr;
        dlclose(lib);
    }
    return c;
}

// Loaded once, on first use, by whichever thread comes first (a function-local static's
// initialisation is thread-safe); a failure is remembered too.
const Imgcodecs &imgcodecs() {
    static const Imgcodecs c = [] {
        cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
        return load();
    }();
    return c;
}

}  // namespace

extern "C" int fsx_cv_decode(const uint8_t *data, size_t size, void **handle, int32_t *width,
                             int32_t *height, int32_t *format) {
    FSX_GUARD("decode", {
        const Imgcodecs &codecs = imgcodecs();
        if (!codecs.imdecode) return fsx::fail(FS_ERR_UNSUPPORTED, codecs.error);
        cv::Mat raw;
        try {
            raw = codecs.imdecode(cv::Mat(1, (int)size, CV_8UC1, (void *)data),
                               cv::IMREAD_UNCHANGED | cv::IMREAD_IGNORE_ORIENTATION);
        } catch (const cv::Exception &e) {
            // imdecode asserts on what the file says (e.g. a header over OpenCV's own size limit,
            // far beyond FS_MAX_IMAGE_SIDE): the data's fault, not the library's.
            if (e.func == "validateInputImageSize")
                return fsx::fail(FS_ERR_TOO_LARGE, "the image's header gives a size over the limit (" + e.err + ")");
            return fsx::fail(FS_ERR_DECODE, "corrupt image data (" + e.err + ")");
        }
        if (raw.empty())
            return fsx::fail(FS_ERR_DECODE, "not a readable image (unknown format, or corrupt or "
                                          "truncated data)");
        cv::Mat m8;
        if (raw.depth() == CV_8U) m8 = raw;
        else if (raw.depth() == CV_16U) raw.convertTo(m8, CV_8U, 1.0 / 257.0);
        else if (raw.depth() == CV_32F || raw.depth() == CV_64F) raw.convertTo(m8, CV_8U, 255.0);
        else raw.convertTo(m8, CV_8U);
        auto *out = new cv::Mat();
        switch (m8.channels()) {
        case 1: cv::cvtColor(m8, *out, cv::COLOR_GRAY2BGR); *format = 2; break;
        case 2: {  // grey + alpha
            std::vector<cv::Mat> planes;
            cv::split(m8, planes);
            cv::merge(std::vector<cv::Mat>{planes[0], planes[0], planes[0], planes[1]}, *out);
            *format = 4;
            break;
        }
        case 3: *out = m8; *format = 2; break;
        case 4: *out = m8; *format = 4; break;
        default:
            delete out;
            return fsx::fail(FS_ERR_UNSUPPORTED, "image has an unsupported channel count");
        }
        *width = out->cols;
        *height = out->rows;
        *handle = out;
        return 0;
    })
}

extern "C" int fsx_decoded_copy(void *handle, fsx_view dst) {
    FSX_GUARD("decode", {
        auto *m = static_cast<cv::Mat *>(handle);
        cv::Mat d = fsx::mat(dst);
        if (d.size() != m->size() || d.type() != m->type())
            return fsx::fail(FS_ERR_INTERNAL, "decode: destination does not match");
        m->copyTo(d);
        return 0;
    })
}

extern "C" void fsx_decoded_free(void *handle) { delete static_cast<cv::Mat *>(handle); }

extern "C" int fsx_png_encode(fsx_view src, uint8_t **out, size_t *out_size) {
    FSX_GUARD("PNG encode", {
        const Imgcodecs &codecs = imgcodecs();
        if (!codecs.imencode) return fsx::fail(FS_ERR_UNSUPPORTED, codecs.error);
        std::vector<uchar> buf;
        std::vector<int> params{cv::IMWRITE_PNG_COMPRESSION, 3};
        if (!codecs.imencode(".png", fsx::mat(src), buf, params))
            return fsx::fail(FS_ERR_INTERNAL, "PNG encode failed");
        auto *p = (uint8_t *)malloc(buf.size() ? buf.size() : 1);
        if (!p) return fsx::fail(FS_ERR_OUT_OF_MEMORY, "PNG encode: out of memory");
        memcpy(p, buf.data(), buf.size());
        *out = p;
        *out_size = buf.size();
        return 0;
    })
}
