// The fsx_v* functions of fs_shim.h, forwarded to the video module (libfaceswap-video.so, the
// only user of ffmpeg's libraries), loaded on the first video call: see video_module.h.
//
// Where: next to the file this code was loaded from (libfaceswap.so, or a program that links the
// core: the CLI, the bench, the test bundle), found with dladdr; next to that file's target if it
// was reached through a symbolic link; in ../lib from it (the CLI installed in <prefix>/bin, the
// module in <prefix>/lib); then by its plain name through the normal search path (LD_LIBRARY_PATH,
// the ld.so cache). A missing or unloadable module is an FS_ERR_UNSUPPORTED error on each video
// call, saying what to install; nothing else of the library is affected.
#include "common.hpp"
#include "video_module.h"
#include <dlfcn.h>
#include <link.h>
extern "C" {  // the versions only (for the package names in a message): nothing of ffmpeg is linked
#include <libavcodec/version.h>
#include <libavformat/version.h>
#include <libswscale/version.h>
}
#include <cstdlib>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

struct Module {
    const fsx_video_module *api = nullptr;
    std::string error;  // why it could not be loaded (empty when loaded)
};

const fsx_video_host kHost = {FSX_VIDEO_MODULE_ABI, fsx_set_status, fsx_set_error};

std::string loaded_from() {  // the file this code was loaded from ("" if unknown)
    Dl_info info{};
    link_map *lm = nullptr;
    if (!dladdr1(reinterpret_cast<void *>(&fsx_vreader_open), &info, reinterpret_cast<void **>(&lm),
                 RTLD_DL_LINKMAP))
        return "";
    if (lm && lm->l_name && *lm->l_name) return lm->l_name;
    // The main program (the CLI, the bench, a test bundle): its link map has no name, and dladdr's
    // is how it was started (maybe found on PATH: no folder).
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) return std::string(exe, (size_t)n);
    return info.dli_fname ? info.dli_fname : "";
}

// What to install when the module is there but ffmpeg's libraries are not (the versions it was
// built against: the Debian/Ubuntu package names).
std::string ffmpeg_hint() {
    return "it needs ffmpeg's libavformat, libavcodec, libswscale and libavutil (Debian/Ubuntu: apt-get install "
           "libavformat" + std::to_string(LIBAVFORMAT_VERSION_MAJOR) + " libavcodec" +
           std::to_string(LIBAVCODEC_VERSION_MAJOR) + " libswscale" + std::to_string(LIBSWSCALE_VERSION_MAJOR) + ")";
}

Module load() {
    Module m;
    const std::string name = FSX_VIDEO_MODULE_FILE;
    const std::string self = loaded_from();
    const size_t slash = self.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : self.substr(0, slash + 1);
    std::vector<std::string> candidates;
    if (!dir.empty()) candidates = {dir + name, dir + "../lib/" + name};
    if (char *real = realpath(self.c_str(), nullptr)) {  // reached through a symbolic link: its target's folder too
        std::string r = real;
        free(real);
        std::string rdir = r.substr(0, r.rfind('/') + 1);
        if (rdir != dir) candidates.insert(candidates.begin() + 1, rdir + name);
    }
    candidates.push_back(name);

    std::string unloadable, foreign;  // the loader's messages for a module that is there; the wrong modules
    auto add = [](std::string &list, const std::string &msg) {
        if (list.find(msg) == std::string::npos) list += (list.empty() ? "" : "; ") + msg;
    };
    for (const std::string &path : candidates) {
        const bool by_path = path.find('/') != std::string::npos;
        if (by_path && access(path.c_str(), F_OK) != 0) continue;
        void *lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            const char *e = dlerror();
            std::string msg = e ? e : path + ": cannot be loaded";
            // By name, "libfaceswap-video.so: cannot open shared object file" is just "not there".
            if (by_path || msg.compare(0, name.size() + 1, name + ":") != 0) add(unloadable, msg);
            continue;
        }
        auto entry = reinterpret_cast<fsx_video_module_entry>(dlsym(lib, FSX_VIDEO_MODULE_ENTRY));
        const fsx_video_module *api = entry ? entry(&kHost) : nullptr;
        if (!api || api->abi != FSX_VIDEO_MODULE_ABI || api->version != FS_VERSION_NUMBER ||
            api->view_size != (int)sizeof(fsx_view) || api->info_size != (int)sizeof(fsx_video_info)) {
            Dl_info info{};
            add(foreign, std::string(entry && dladdr(reinterpret_cast<void *>(entry), &info) && info.dli_fname
                                         ? info.dli_fname : path));
            dlclose(lib);
            continue;
        }
        m.api = api;  // kept loaded for the life of the process
        return m;
    }
    if (!unloadable.empty())
        m.error = "the video module " + name + " could not be loaded (" + unloadable + "): " + ffmpeg_hint();
    else if (!foreign.empty())
        m.error = foreign + " is not the video module of this libfaceswap " +
                  std::to_string(FS_VERSION_MAJOR) + "." + std::to_string(FS_VERSION_MINOR) + "." +
                  std::to_string(FS_VERSION_PATCH) + " (another version or build): install the library and " +
                  name + " together";
    else
        m.error = "video support needs " + name + " next to " + (self.empty() ? "libfaceswap.so" : self) +
                  " (looked there" + (dir.empty() ? "" : ", in " + dir + "../lib") +
                  " and on the library search path); make build makes it, make install installs it with the library";
    return m;
}

// Loaded once, on first use, by whichever thread comes first (a function-local static's
// initialisation is thread-safe); a failure is remembered too.
const fsx_video_module *module() {
    static const Module m = load();
    if (!m.api) fsx::fail(FS_ERR_UNSUPPORTED, m.error);
    return m.api;
}

}  // namespace

extern "C" void *fsx_vreader_open(const char *path, fsx_video_info *info, int threads) {
    const fsx_video_module *v = module();
    return v ? v->reader_open(path, info, threads) : nullptr;
}

extern "C" int fsx_vreader_next(void *reader, fsx_view dst, int64_t *pts, int64_t *duration, double *seconds,
                                int *eof, void **decoded) {
    const fsx_video_module *v = module();
    return v ? v->reader_next(reader, dst, pts, duration, seconds, eof, decoded) : FS_ERR_UNSUPPORTED;
}

// A decoded picture exists only if the module was loaded.
extern "C" void fsx_vframe_free(void *decoded) {
    if (decoded) module()->frame_free(decoded);
}

// A reader or writer exists only if the module was loaded: without it there is nothing to close.
extern "C" void fsx_vreader_close(void *reader) {
    if (reader) module()->reader_close(reader);
}

extern "C" void *fsx_vwriter_open(const char *path, void *reader, int width, int height, int crf,
                                   const char *preset, int threads, int audio) {
    const fsx_video_module *v = module();
    return v ? v->writer_open(path, reader, width, height, crf, preset, threads, audio) : nullptr;
}

extern "C" int fsx_vwriter_write(void *writer, fsx_view frame, void *decoded, const int32_t *regions, int nregions,
                                 int64_t pts, int64_t duration) {
    const fsx_video_module *v = module();
    return v ? v->writer_write(writer, frame, decoded, regions, nregions, pts, duration) : FS_ERR_UNSUPPORTED;
}

extern "C" int fsx_vwriter_finish(void *writer) {
    const fsx_video_module *v = module();
    return v ? v->writer_finish(writer) : FS_ERR_UNSUPPORTED;
}

extern "C" void fsx_vwriter_abort(void *writer) {
    if (writer) module()->writer_abort(writer);
}
