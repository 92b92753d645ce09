/* The video module's entry table: the one symbol libfaceswap-video.so exports.
 *
 * Video files go through ffmpeg's libavformat/libavcodec/libswscale/libavutil. Linked into
 * libfaceswap.so they cost ~40 ms of dynamic loading at every start of every process, video or
 * not, so the code that calls them (Sources/FaceSwapVideo) is a module of its own that the shim
 * loads with dlopen on the first video call (video_loader.cpp). The loader defines the fsx_v*
 * functions of fs_shim.h and forwards them through this table.
 *
 * The module reports errors through the host's fsx_set_status/fsx_set_error (the calling thread's
 * status and message, as everywhere in the shim), handed to it in fsx_video_host. Not a public
 * interface: both sides come from the same source tree; FSX_VIDEO_MODULE_ABI changes whenever this
 * table or a struct it passes (fsx_view, fsx_video_info) changes, and the loader refuses a module
 * built for another ABI, another library version or other struct sizes. */
#pragma once
#include "fs_shim.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FSX_VIDEO_MODULE_ABI 3  /* 2: writer_open's audio; 3: decoded pictures kept outside swapped regions */
#define FSX_VIDEO_MODULE_FILE "libfaceswap-video.so"
#define FSX_VIDEO_MODULE_ENTRY "fsx_video_module_v1"

typedef struct fsx_video_host {
    int abi; /* FSX_VIDEO_MODULE_ABI */
    void (*set_status)(int status);
    void (*set_error)(const char *message);
} fsx_video_host;

typedef struct fsx_video_module {
    int abi;                  /* FSX_VIDEO_MODULE_ABI */
    int version;              /* FS_VERSION_NUMBER of the header it was built with */
    int view_size, info_size; /* sizeof(fsx_view), sizeof(fsx_video_info) */
    void *(*reader_open)(const char *path, fsx_video_info *info, int threads);
    int (*reader_next)(void *reader, fsx_view dst, int64_t *pts, int64_t *duration, double *seconds, int *eof,
                       void **decoded);
    void (*reader_close)(void *reader);
    void *(*writer_open)(const char *path, void *reader, int width, int height, int crf, const char *preset,
                         int threads, int audio);
    int (*writer_write)(void *writer, fsx_view frame, void *decoded, const int32_t *regions, int nregions,
                        int64_t pts, int64_t duration);
    int (*writer_finish)(void *writer);
    void (*writer_abort)(void *writer);
    void (*frame_free)(void *decoded);
} fsx_video_module;

/* The module's entry (FSX_VIDEO_MODULE_ENTRY): records the host's error functions and returns the
 * table, or NULL if host->abi is not the module's. */
typedef const fsx_video_module *(*fsx_video_module_entry)(const fsx_video_host *host);

#ifdef __cplusplus
}
#endif
