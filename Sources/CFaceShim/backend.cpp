// backend.cpp — what runs the learned networks (dlib's DNN: the autoencoder, the recognizer's
// ResNet, the CNN detector): a CUDA device when the shim was compiled against a dlib built with
// CUDA (the build switch FS_DLIB_CUDA=1, see the README's "GPU build"), else the CPU through the
// BLAS that libblas.so.3 resolves to (Debian's alternatives: OpenBLAS or the reference BLAS).
#include "common.hpp"
#include <dlfcn.h>
#include <dlib/config.h>  // DLIB_USE_CUDA, as the dlib we compile against was built
#include <dlib/revision.h>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(FS_DLIB_CUDA) && !defined(DLIB_USE_CUDA)
#error "FS_DLIB_CUDA=1, but the dlib found (FS_DLIB_PREFIX/include/dlib/config.h) was built without CUDA"
#endif
#ifdef DLIB_USE_CUDA
#include <dlib/cuda/cuda_dlib.h>
#else
extern "C" void cblas_sgemm();  // only its address: which file the dynamic linker took it from
#endif

namespace {
// "dlib 19.24.0"
std::string dlib_version() {
    return "dlib " + std::to_string(DLIB_MAJOR_VERSION) + "." + std::to_string(DLIB_MINOR_VERSION) + "." +
           std::to_string(DLIB_PATCH_VERSION);
}
}  // namespace

extern "C" int fsx_dnn_backend(char *out, size_t size, int *is_cuda) {
    FSX_GUARD("network backend", {
        std::string text;
#ifdef DLIB_USE_CUDA
        *is_cuda = 1;
        int devices = dlib::cuda::get_num_devices();  // throws without a driver: the guard reports it
        text = "cuda: " + std::to_string(devices) + " device(s)";
        if (devices > 0) text += ", device 0 " + dlib::cuda::get_device_name(0);
        text += " (" + dlib_version() + " built with CUDA and cuDNN)";
#else
        *is_cuda = 0;
        Dl_info info{};
        std::string blas = "(not found)";
        if (dladdr(reinterpret_cast<void *>(&cblas_sgemm), &info) && info.dli_fname) {
            char real[PATH_MAX];
            blas = realpath(info.dli_fname, real) ? real : info.dli_fname;
        }
        text = "cpu: BLAS " + blas + " (" + dlib_version() + ")";
#endif
        std::snprintf(out, size, "%s", text.c_str());
        return 0;
    })
}
