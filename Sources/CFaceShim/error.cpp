#include "common.hpp"
#include <cstring>

static thread_local std::string t_error;
static thread_local int t_status = 0;

extern "C" void fsx_set_status(int status) { t_status = status; }
extern "C" int fsx_last_status(void) { return t_status ? t_status : FS_ERR_INTERNAL; }

extern "C" void fsx_set_error(const char *message) {
    try {
        t_error = message ? message : "";
    } catch (...) {
        // Out of memory while storing a message: keep the old one rather than throw.
    }
}

extern "C" const char *fsx_error(void) { return t_error.c_str(); }

extern "C" int fsx_cpu_supported(void) {
#if defined(FS_SHIM_NEEDS_AVX2) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
#else
    return 1;
#endif
}

extern "C" const char *fsx_cpu_requirement(void) {
#if defined(FS_SHIM_NEEDS_AVX2)
    return "this build of libfaceswap needs an x86-64-v3 CPU (AVX2 and FMA); rebuild with "
           "FS_PORTABLE=1 for older processors";
#else
    return "";
#endif
}
