// OpenCV modules loaded on first use rather than linked (cv_common.hpp: open_cv_module).
#include "cv_common.hpp"
#include <cstdio>
#include <dlfcn.h>
#include <opencv2/core/version.hpp>

namespace fsx {

std::string cv_module_soname(const char *module) {
    // The soname OpenCV gives its modules: libopencv_<module>.so.<major><minor, two digits> (406 for 4.6).
    char buf[96];
    snprintf(buf, sizeof buf, "libopencv_%s.so.%d%02d", module, CV_VERSION_MAJOR, CV_VERSION_MINOR);
    return buf;
}

void *open_cv_module(const char *module, std::string &why) {
    const std::string name = cv_module_soname(module);
    // First next to the libopencv_core this library is linked with (the same OpenCV build, even
    // outside the search path), then by name through the normal search path.
    void *lib = nullptr;
    auto attempt = [&](const std::string &path) {
        if ((lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL))) return;
        const char *e = dlerror();
        std::string msg = e ? e : path + ": not found";
        if (why.find(msg) == std::string::npos) why += (why.empty() ? "" : "; ") + msg;
    };
    Dl_info info{};
    if (dladdr(reinterpret_cast<void *>(&cv::getVersionString), &info) && info.dli_fname) {
        std::string core = info.dli_fname;
        size_t slash = core.rfind('/');
        if (slash != std::string::npos) attempt(core.substr(0, slash + 1) + name);
    }
    if (!lib) attempt(name);
    return lib;
}

}  // namespace fsx
