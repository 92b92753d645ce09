// libfaceswap-video.so's entry: the table of video.cpp's functions (see video_module.h), and the
// error reporting of common.hpp (fsx_set_status/fsx_set_error) forwarded to the host that loaded
// the module. Everything here is hidden (-fvisibility=hidden and the version script module.map)
// but the entry.
#include "video_module.h"
#include "../../include/faceswap.h"

namespace {
const fsx_video_host *g_host = nullptr;
}

extern "C" void fsx_set_status(int status) {
    if (g_host) g_host->set_status(status);
}

extern "C" void fsx_set_error(const char *message) {
    if (g_host) g_host->set_error(message);
}

extern "C" __attribute__((visibility("default"))) const fsx_video_module *
fsx_video_module_v1(const fsx_video_host *host) {
    static const fsx_video_module table = {
        FSX_VIDEO_MODULE_ABI, FS_VERSION_NUMBER, (int)sizeof(fsx_view), (int)sizeof(fsx_video_info),
        fsx_vreader_open,     fsx_vreader_next,  fsx_vreader_close,     fsx_vwriter_open,
        fsx_vwriter_write,    fsx_vwriter_finish, fsx_vwriter_abort,    fsx_vframe_free,
    };
    if (!host || host->abi != FSX_VIDEO_MODULE_ABI || !host->set_status || !host->set_error) return nullptr;
    g_host = host;
    return &table;
}
