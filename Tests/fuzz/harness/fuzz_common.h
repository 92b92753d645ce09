/* Shared by the libFuzzer harnesses in this folder: contract checks that turn a broken promise of
 * include/faceswap.h into a crash libFuzzer reports (with the message and the input). */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H
#include <faceswap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* run.sh passes -close_fd_mask=2 (OpenCV's codecs print to stderr on every corrupt file), so the
 * harness keeps its own copy of stderr for the messages below; fuzz_init() makes it. */
static FILE *fuzz_err;
static inline void fuzz_init(void) {
    if (!fuzz_err) {
        int fd = dup(2);
        fuzz_err = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!fuzz_err) fuzz_err = stderr;
    }
}

#define FUZZ_CHECK(cond, ...)                                                                   \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            FILE *e_ = fuzz_err ? fuzz_err : stderr;                                            \
            fprintf(e_, "fuzz contract violated at %s:%d: %s\n  ", __FILE__, __LINE__, #cond);   \
            fprintf(e_, __VA_ARGS__);                                                           \
            fprintf(e_, "\n  last error: %s\n", fs_last_error_message());                       \
            fflush(e_);                                                                         \
            abort();                                                                            \
        }                                                                                       \
    } while (0)

/* Every status is one of the header's, and a failure comes with a message. */
static inline void fuzz_check_status(fs_status st, const char *call) {
    FUZZ_CHECK(st <= FS_ERR_INTERNAL, "%s returned an unknown status %d", call, (int)st);
    FUZZ_CHECK(st != FS_ERR_INTERNAL, "%s: FS_ERR_INTERNAL means a bug", call);
    if (st != FS_OK) {
        const char *m = fs_last_error_message();
        FUZZ_CHECK(m && *m, "%s failed (%s) without a message", call, fs_status_string(st));
    }
}

/* A little-endian reader over the fuzz input; past the end it gives zeros. */
typedef struct { const uint8_t *p; size_t n; } fuzz_reader;
static inline uint8_t fuzz_u8(fuzz_reader *r) {
    if (!r->n) return 0;
    r->n--;
    return *r->p++;
}
static inline uint16_t fuzz_u16(fuzz_reader *r) { uint16_t lo = fuzz_u8(r); return (uint16_t)(lo | (fuzz_u8(r) << 8)); }
static inline uint32_t fuzz_u32(fuzz_reader *r) { uint32_t lo = fuzz_u16(r); return lo | ((uint32_t)fuzz_u16(r) << 16); }
static inline float fuzz_f32(fuzz_reader *r) { uint32_t v = fuzz_u32(r); float f; memcpy(&f, &v, 4); return f; }
static inline double fuzz_f64(fuzz_reader *r) {
    uint64_t v = fuzz_u32(r);
    v |= (uint64_t)fuzz_u32(r) << 32;
    double d;
    memcpy(&d, &v, 8);
    return d;
}

static inline int fuzz_bytes_per_pixel(fs_pixel_format f) {
    switch (f) {
    case FS_FORMAT_GRAY8: return 1;
    case FS_FORMAT_BGR8: case FS_FORMAT_RGB8: return 3;
    case FS_FORMAT_BGRA8: case FS_FORMAT_RGBA8: return 4;
    default: return 0;
    }
}

/* Reads every byte of an image's pixels (ASan checks the whole buffer) and checks its view. */
static inline unsigned fuzz_touch_image(const fs_image *img) {
    fs_image_view v;
    fs_status st = fs_image_get_view(img, &v);
    FUZZ_CHECK(st == FS_OK, "fs_image_get_view failed on a live image");
    int bpp = fuzz_bytes_per_pixel(v.format);
    FUZZ_CHECK(bpp > 0, "image has unknown format %d", (int)v.format);
    FUZZ_CHECK(v.width > 0 && v.height > 0 && v.width <= FS_MAX_IMAGE_SIDE && v.height <= FS_MAX_IMAGE_SIDE &&
                   (uint64_t)v.width * (uint64_t)v.height <= FS_MAX_IMAGE_PIXELS,
               "image size %dx%d outside the limits", v.width, v.height);
    FUZZ_CHECK(v.stride >= (size_t)v.width * bpp, "stride %zu < %d*%d", v.stride, v.width, bpp);
    unsigned sum = 0;
    for (int32_t y = 0; y < v.height; y++) {
        const uint8_t *row = (const uint8_t *)v.data + (size_t)y * v.stride;
        for (size_t x = 0; x < (size_t)v.width * bpp; x++) sum += row[x];
    }
    return sum;
}
#endif
