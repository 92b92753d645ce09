/*
 * test_faceswap.c — a C11 test suite for libfaceswap's public C interface (include/faceswap.h).
 *
 *   cc -std=c11 -Wall -Wextra -Werror -I include Tests/c/test_faceswap.c \
 *      -L .build/release -lfaceswap -lm -pthread -o test_faceswap
 *   LD_LIBRARY_PATH=.build/release ./test_faceswap ../shared/data
 *
 * argv[1] is the shared data folder (it holds faces/fr_obama1.jpg, ...). The program writes its
 * temporary files to a fresh mkdtemp() folder under $TMPDIR (or /tmp) and removes them at the end.
 * FS_TEST_VERBOSE=1 prints every check and every error message the library gave.
 * Every model file is required (make test installs them): the 68- and 5-point predictors, the CNN
 * detector, the Haar cascade and the face-recognition ResNet; a missing one is a failure, not a skip.
 *
 * Groups of note: "bad-input-table" runs Tests/c/bad_input_table.h, one row per bad input of every
 * function in faceswap.h (run.sh checks that every header function has rows; --list-table-functions
 * prints the table's functions); "bounds-memory" and "bounds-disk-full" run child copies of this
 * program (--child peak ..., --child diskfull ...) to measure the peak memory of a refused
 * 60000x60000 JPEG and to write into a full 64 KB tmpfs (a private mount namespace, when mounts are
 * allowed) and under RLIMIT_FSIZE; FS_DISKFULL_METHODS=tmpfs or fsize runs one method only.
 *
 * It prints one summary line "N passed, M failed" and exits 1 on any failure.
 * The test itself must stay free of undefined behaviour: it runs under valgrind and ASan.
 */
#define _GNU_SOURCE /* unshare, CLONE_NEWNS, wait4; implies _POSIX_C_SOURCE 200809L */

#include "faceswap.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------ */
/* Tiny test framework                                                                         */
/* ------------------------------------------------------------------------------------------ */

static int g_passed, g_failed;
static int g_group_passed, g_group_failed;
static const char *g_group = "";
static bool g_verbose;

static void check_impl(bool ok, int line, const char *expr, const char *fmt, ...) {
    if (ok) {
        g_passed++;
        g_group_passed++;
        if (g_verbose) printf("    ok   %s\n", expr);
        return;
    }
    g_failed++;
    g_group_failed++;
    printf("    FAIL [%s] test_faceswap.c:%d: %s", g_group, line, expr);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        printf(" -- ");
        vprintf(fmt, ap);
        va_end(ap);
    }
    printf("\n");
    fflush(stdout);
}

/* CHECK(cond) and CHECKF(cond, "fmt", args...) */
#define CHECK(cond) check_impl((cond) ? true : false, __LINE__, #cond, NULL)
#define CHECKF(cond, ...) check_impl((cond) ? true : false, __LINE__, #cond, __VA_ARGS__)

static const char *status_name(fs_status s) {
    static const char *names[] = {"FS_OK", "FS_ERR_INVALID_ARGUMENT", "FS_ERR_UNSUPPORTED",
                                  "FS_ERR_TOO_LARGE", "FS_ERR_DECODE", "FS_ERR_IO", "FS_ERR_MODEL",
                                  "FS_ERR_NO_FACE", "FS_ERR_OUT_OF_MEMORY", "FS_ERR_CANCELLED",
                                  "FS_ERR_BUFFER_TOO_SMALL", "FS_ERR_INTERNAL"};
    unsigned i = (unsigned)s;
    return i < sizeof names / sizeof names[0] ? names[i] : "(unknown status)";
}

/* Checks that a call returned `want` (or `want2` when it is not -1); a non-OK status must come
 * with a non-empty fs_last_error_message(). Returns the status the call gave. */
static fs_status expect_status_impl(fs_status got, int want, int want2, const char *expr, int line) {
    /* Copy the message before any other fs_ call: the pointer lives until the next one. */
    char msg[1024];
    const char *m = fs_last_error_message();
    if (m) {
        snprintf(msg, sizeof msg, "%s", m);
    } else {
        msg[0] = '\0';
    }
    bool status_ok = (int)got == want || (want2 >= 0 && (int)got == want2);
    bool message_ok = got == FS_OK || (m != NULL && msg[0] != '\0');
    if (status_ok && message_ok) {
        g_passed++;
        g_group_passed++;
        if (g_verbose) {
            if (got == FS_OK)
                printf("    ok   %s -> FS_OK\n", expr);
            else
                printf("    ok   %s -> %s: %s\n", expr, status_name(got), msg);
        }
        return got;
    }
    g_failed++;
    g_group_failed++;
    if (!status_ok) {
        printf("    FAIL [%s] test_faceswap.c:%d: %s -> %s (%d), expected %s%s%s; message: \"%s\"%s\n",
               g_group, line, expr, status_name(got), (int)got, status_name((fs_status)want),
               want2 >= 0 ? " or " : "", want2 >= 0 ? status_name((fs_status)want2) : "", msg,
               m == NULL ? " (NULL pointer)" : "");
    } else {
        printf("    FAIL [%s] test_faceswap.c:%d: %s -> %s but fs_last_error_message() is %s\n",
               g_group, line, expr, status_name(got), m == NULL ? "NULL" : "empty");
    }
    fflush(stdout);
    return got;
}

#define EXPECT_ST(want, call) expect_status_impl((call), (int)(want), -1, #call, __LINE__)
#define EXPECT_ST2(want, want2, call) expect_status_impl((call), (int)(want), (int)(want2), #call, __LINE__)
static bool is_ok(fs_status s) { return s == FS_OK; }
/* true when the call gave FS_OK (usable as a statement or a condition). */
#define EXPECT_OK(call) is_ok(EXPECT_ST(FS_OK, call))

static void group_begin(const char *name, const char *what) {
    g_group = name;
    g_group_passed = g_group_failed = 0;
    printf("[%s] %s\n", name, what);
    fflush(stdout);
}

static void group_end(void) {
    printf("[%s] %d passed, %d failed\n", g_group, g_group_passed, g_group_failed);
    fflush(stdout);
}

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static const char *g_data_dir;
static char g_tmp_dir[512];

static void data_path(char *buf, size_t n, const char *name) {
    snprintf(buf, n, "%s/faces/%s", g_data_dir, name);
}

static void tmp_path(char *buf, size_t n, const char *name) {
    snprintf(buf, n, "%s/%s", g_tmp_dir, name);
}

static unsigned char *read_whole_file(const char *path, size_t *size) {
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *buf = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            unsigned char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    bool err = ferror(f) != 0;
    fclose(f);
    if (err || len == 0) {
        free(buf);
        return NULL;
    }
    *size = len;
    return buf;
}

static bool write_whole_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fwrite(data, 1, n, f) == n;
    ok = (fclose(f) == 0) && ok;
    return ok;
}

static int count_dir_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    }
    closedir(d);
    return n;
}

/* Removes path and, if it is a folder, everything in it. */
static void remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        char p[2048];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            remove_tree(p);
        }
        closedir(d);
    }
    rmdir(path);
}

static void remove_tmp_dir(void) {
    if (g_tmp_dir[0]) remove_tree(g_tmp_dir);
}

static int bytes_per_pixel(fs_pixel_format f) {
    switch (f) {
    case FS_FORMAT_GRAY8: return 1;
    case FS_FORMAT_BGR8:
    case FS_FORMAT_RGB8: return 3;
    case FS_FORMAT_BGRA8:
    case FS_FORMAT_RGBA8: return 4;
    default: return 0;
    }
}

static const char *format_name(fs_pixel_format f) {
    switch (f) {
    case FS_FORMAT_GRAY8: return "GRAY8";
    case FS_FORMAT_BGR8: return "BGR8";
    case FS_FORMAT_RGB8: return "RGB8";
    case FS_FORMAT_BGRA8: return "BGRA8";
    case FS_FORMAT_RGBA8: return "RGBA8";
    default: return "?";
    }
}

static const fs_pixel_format k_formats[5] = {FS_FORMAT_GRAY8, FS_FORMAT_BGR8, FS_FORMAT_RGB8,
                                             FS_FORMAT_BGRA8, FS_FORMAT_RGBA8};

static bool has_alpha(fs_pixel_format f) { return f == FS_FORMAT_BGRA8 || f == FS_FORMAT_RGBA8; }

typedef struct rgba { int r, g, b, a; } rgba;

static const unsigned char *pixel_ptr(const fs_image_view *v, int x, int y) {
    return (const unsigned char *)v->data + (size_t)y * v->stride + (size_t)x * (size_t)bytes_per_pixel(v->format);
}

/* A pixel as R, G, B, A (grey as g, g, g; no alpha as 255). */
static rgba pixel_get(const fs_image_view *v, int x, int y) {
    const unsigned char *p = pixel_ptr(v, x, y);
    rgba c = {0, 0, 0, 255};
    switch (v->format) {
    case FS_FORMAT_GRAY8: c.r = c.g = c.b = p[0]; break;
    case FS_FORMAT_BGR8: c.b = p[0]; c.g = p[1]; c.r = p[2]; break;
    case FS_FORMAT_RGB8: c.r = p[0]; c.g = p[1]; c.b = p[2]; break;
    case FS_FORMAT_BGRA8: c.b = p[0]; c.g = p[1]; c.r = p[2]; c.a = p[3]; break;
    case FS_FORMAT_RGBA8: c.r = p[0]; c.g = p[1]; c.b = p[2]; c.a = p[3]; break;
    default: break;
    }
    return c;
}

/* Writes raw bytes for R, G, B, A into a pixel of format f (grey takes r). */
static void pixel_set(unsigned char *p, fs_pixel_format f, int r, int g, int b, int a) {
    switch (f) {
    case FS_FORMAT_GRAY8: p[0] = (unsigned char)r; break;
    case FS_FORMAT_BGR8: p[0] = (unsigned char)b; p[1] = (unsigned char)g; p[2] = (unsigned char)r; break;
    case FS_FORMAT_RGB8: p[0] = (unsigned char)r; p[1] = (unsigned char)g; p[2] = (unsigned char)b; break;
    case FS_FORMAT_BGRA8:
        p[0] = (unsigned char)b; p[1] = (unsigned char)g; p[2] = (unsigned char)r; p[3] = (unsigned char)a;
        break;
    case FS_FORMAT_RGBA8:
        p[0] = (unsigned char)r; p[1] = (unsigned char)g; p[2] = (unsigned char)b; p[3] = (unsigned char)a;
        break;
    default: break;
    }
}

/* A synthetic picture: every channel different and varying with x and y. */
static rgba gradient_at(int x, int y) {
    rgba c;
    c.r = (x * 13 + y * 7 + 5) & 255;
    c.g = (x * 3 + y * 17 + 90) & 255;
    c.b = (x * 29 + y * 5 + 180) & 255;
    c.a = (x * 11 + y * 23 + 40) & 255;
    return c;
}

/* A smooth picture, for JPEG (which is lossy on sharp detail). */
static rgba smooth_at(int x, int y) {
    rgba c;
    c.r = 40 + x * 2;
    c.g = 60 + y * 2;
    c.b = 200 - x - y;
    c.a = 255;
    return c;
}

/* Fills a caller buffer of w × h pixels, `stride` bytes a row, in format f; padding bytes 0xEE. */
static unsigned char *make_pixels(int w, int h, size_t stride, fs_pixel_format f, rgba (*fn)(int, int)) {
    unsigned char *buf = malloc(stride * (size_t)h);
    if (!buf) return NULL;
    memset(buf, 0xEE, stride * (size_t)h);
    int bpp = bytes_per_pixel(f);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            rgba c = fn(x, y);
            pixel_set(buf + (size_t)y * stride + (size_t)x * (size_t)bpp, f, c.r, c.g, c.b, c.a);
        }
    return buf;
}

/* A new library image of the given picture, or NULL (already counted as a failure). */
static fs_image *make_image(int w, int h, fs_pixel_format f, rgba (*fn)(int, int)) {
    size_t stride = (size_t)w * (size_t)bytes_per_pixel(f) + 3;
    unsigned char *buf = make_pixels(w, h, stride, f, fn);
    if (!buf) return NULL;
    fs_image_view v = {buf, w, h, stride, f};
    fs_image *img = NULL;
    EXPECT_ST(FS_OK, fs_image_from_view(&v, &img));
    free(buf);
    return img;
}

static bool get_view(const fs_image *img, fs_image_view *v) {
    memset(v, 0, sizeof *v);
    return img != NULL && EXPECT_OK(fs_image_get_view(img, v));
}

static fs_image *load_image(const char *name) {
    char p[1024];
    data_path(p, sizeof p, name);
    fs_image *img = NULL;
    fs_status s = fs_image_load(p, &img);
    CHECKF(s == FS_OK && img != NULL, "fs_image_load(%s) gave %s: %s", p, status_name(s), fs_last_error_message());
    return s == FS_OK ? img : NULL;
}

static fs_point mean_points(const fs_point *p, int first, int last) {
    fs_point m = {0, 0};
    for (int i = first; i <= last; i++) {
        m.x += p[i].x;
        m.y += p[i].y;
    }
    m.x /= (float)(last - first + 1);
    m.y /= (float)(last - first + 1);
    return m;
}

static double dist(fs_point a, fs_point b) { return hypot((double)a.x - b.x, (double)a.y - b.y); }

static bool close_to(double a, double b, double tol) { return fabs(a - b) <= tol; }

/* Options as every caller gets them: filled by the library at this program's sizeof through the
 * header's FS_*_OPTIONS_INIT macros (a by-value return here is within this program, not the ABI). */
#define DEFINE_OPTIONS_DEFAULTS(fn, type, MACRO)                                                           \
    static type fn(void) {                                                                              \
        type o;                                                                                         \
        memset(&o, 0xA5, sizeof o);                                                                     \
        fs_status st = MACRO(&o);                                                                       \
        CHECKF(st == FS_OK && o.struct_size == sizeof o, #MACRO ": %s, struct_size %u (sizeof %zu)",   \
               status_name(st), (unsigned)o.struct_size, sizeof o);                                     \
        return o;                                                                                       \
    }
DEFINE_OPTIONS_DEFAULTS(detector_defaults, fs_detector_options, FS_DETECTOR_OPTIONS_INIT)
DEFINE_OPTIONS_DEFAULTS(swap_defaults, fs_swap_options, FS_SWAP_OPTIONS_INIT)
DEFINE_OPTIONS_DEFAULTS(stream_defaults, fs_stream_options, FS_STREAM_OPTIONS_INIT)
DEFINE_OPTIONS_DEFAULTS(video_defaults, fs_video_options, FS_VIDEO_OPTIONS_INIT)
DEFINE_OPTIONS_DEFAULTS(reenact_defaults, fs_reenact_options, FS_REENACT_OPTIONS_INIT)
DEFINE_OPTIONS_DEFAULTS(extract_defaults, fs_extract_options, FS_EXTRACT_OPTIONS_INIT)
DEFINE_OPTIONS_DEFAULTS(train_defaults, fs_train_options, FS_TRAIN_OPTIONS_INIT)
#undef DEFINE_OPTIONS_DEFAULTS

/* Finds the SOFn segment of a JPEG in memory; returns the offset of its 0xFF or 0. */
static size_t find_sof(const unsigned char *b, size_t n) {
    size_t i = 2;
    while (i + 4 <= n) {
        if (b[i] != 0xFF) return 0;
        unsigned m = b[i + 1];
        if (m == 0xFF) {
            i++;
            continue;
        }
        if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) {
            i += 2;
            continue;
        }
        size_t len = ((size_t)b[i + 2] << 8) | b[i + 3];
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) return i + 9 <= n ? i : 0;
        if (m == 0xDA || m == 0xD9) return 0;
        i += 2 + len;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Groups                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static void test_version(void) {
    group_begin("version", "FS_ABI_COMPATIBLE(), fs_abi_version, fs_version == FS_VERSION_NUMBER, "
                           "fs_version_string matches the FS_VERSION_* macros");
    CHECK(FS_ABI_COMPATIBLE());
    CHECK(fs_abi_version() == FS_ABI_VERSION);
    CHECKF(fs_version() == FS_VERSION_NUMBER, "fs_version() = %u, header %d", fs_version(), FS_VERSION_NUMBER);
    CHECK(FS_VERSION_NUMBER == FS_VERSION_MAJOR * 10000 + FS_VERSION_MINOR * 100 + FS_VERSION_PATCH);
    char want[64];
    snprintf(want, sizeof want, "%d.%d.%d", FS_VERSION_MAJOR, FS_VERSION_MINOR, FS_VERSION_PATCH);
    const char *vs = fs_version_string();
    CHECK(vs != NULL);
    CHECKF(vs != NULL && strcmp(vs, want) == 0, "fs_version_string() = \"%s\", want \"%s\"", vs ? vs : "(null)", want);
    CHECK(fs_version_string() == vs); /* static */
    group_end();
}

static bool all_bytes(const void *p, size_t n, unsigned char v) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != v) return false;
    return true;
}

/* One options struct's fs_*_options_init: exactly `size` bytes written (the defaults truncated, struct_size =
 * size; zeros past the library's struct for a larger, newer caller's struct), nothing past them; NULL and sizes
 * 0, 4, 7, FS_STRUCT_SIZE_MAX + 1 and SIZE_MAX refused with a message naming the function and argument, and
 * nothing written. */
#define CHECK_OPTIONS_INIT(type, init_fn)                                                                        \
    do {                                                                                                         \
        struct { type o; unsigned char canary[64]; } w;                                                          \
        unsigned char full[sizeof(type)];                                                                        \
        memset(&w, 0x5A, sizeof w);                                                                              \
        if (EXPECT_OK(init_fn(&w.o, sizeof w.o)))                                                                \
            CHECKF(w.o.struct_size == sizeof(type) && all_bytes(w.canary, sizeof w.canary, 0x5A),                \
                   #init_fn "(sizeof): struct_size %u, bytes past the struct written %d", (unsigned)w.o.struct_size, \
                   !all_bytes(w.canary, sizeof w.canary, 0x5A));                                                 \
        memcpy(full, &w.o, sizeof full);                                                                         \
        memset(&w, 0x5A, sizeof w);                                                                              \
        (void)init_fn(&w.o, sizeof w.o);                                                                         \
        CHECKF(memcmp(full, &w.o, sizeof full) == 0, #init_fn ": two calls wrote different bytes");              \
        const size_t sizes[] = {8, 12, sizeof(type) / 2, sizeof(type) - 4};                                      \
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {                                            \
            size_t n = sizes[i];                                                                                 \
            memset(&w, 0x5A, sizeof w);                                                                          \
            if (!EXPECT_OK(init_fn(&w.o, n))) continue;                                                          \
            const unsigned char *b = (const unsigned char *)&w;                                                  \
            CHECKF(w.o.struct_size == n, #init_fn "(%zu): struct_size %u", n, (unsigned)w.o.struct_size);       \
            CHECKF(memcmp(b + 4, full + 4, n - 4) == 0, #init_fn "(%zu): not the defaults' first bytes", n);     \
            CHECKF(all_bytes(b + n, sizeof w - n, 0x5A), #init_fn "(%zu): wrote past the caller's size", n);     \
        }                                                                                                        \
        memset(&w, 0x5A, sizeof w); /* a newer caller: 32 more bytes than this library knows */                  \
        if (EXPECT_OK(init_fn(&w.o, sizeof(type) + 32))) {                                                       \
            const unsigned char *b = (const unsigned char *)&w;                                                  \
            CHECKF(w.o.struct_size == sizeof(type) + 32 && memcmp(b + 4, full + 4, sizeof(type) - 4) == 0 &&     \
                       all_bytes(b + sizeof(type), 32, 0) && all_bytes(b + sizeof(type) + 32, sizeof w - sizeof(type) - 32, 0x5A), \
                   #init_fn "(sizeof + 32): struct_size %u; the defaults, then 32 zero bytes, nothing past them",    \
                   (unsigned)w.o.struct_size);                                                                   \
        }                                                                                                        \
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, init_fn(NULL, sizeof(type)));                                        \
        CHECKF(strcmp(fs_last_error_message(), #init_fn ": options is NULL") == 0, "\"%s\"", fs_last_error_message()); \
        const size_t bad[] = {0, 4, 7, (size_t)FS_STRUCT_SIZE_MAX + 1, SIZE_MAX};                                \
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {                                                \
            memset(&w, 0x5A, sizeof w);                                                                          \
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, init_fn(&w.o, bad[i]));                                           \
            const char *msg = fs_last_error_message();                                                           \
            CHECKF(strncmp(msg, #init_fn ": size ", strlen(#init_fn) + 7) == 0 && strstr(msg, "sizeof") != NULL, \
                   #init_fn "(%zu): \"%s\"", bad[i], msg);                                                       \
            CHECKF(all_bytes(&w, sizeof w, 0x5A), #init_fn "(%zu): a refused call wrote", bad[i]);               \
        }                                                                                                        \
    } while (0)

static void test_options_init(void) {
    group_begin("options-init", "every fs_*_options_init writes exactly the caller's size: the defaults (two calls "
                                "agree), struct_size = size, for sizeof, 8, 12, half and sizeof - 4 nothing past "
                                "size; sizeof + 32 (a newer caller) gets 32 zero bytes after the defaults; NULL, "
                                "0, 4, 7, FS_STRUCT_SIZE_MAX + 1, SIZE_MAX -> INVALID_ARGUMENT naming the "
                                "function and argument, nothing written; the FS_*_OPTIONS_INIT macros pass sizeof");
    CHECK_OPTIONS_INIT(fs_detector_options, fs_detector_options_init);
    CHECK_OPTIONS_INIT(fs_swap_options, fs_swap_options_init);
    CHECK_OPTIONS_INIT(fs_stream_options, fs_stream_options_init);
    CHECK_OPTIONS_INIT(fs_video_options, fs_video_options_init);
    CHECK_OPTIONS_INIT(fs_reenact_options, fs_reenact_options_init);
    CHECK_OPTIONS_INIT(fs_extract_options, fs_extract_options_init);
    CHECK_OPTIONS_INIT(fs_train_options, fs_train_options_init);
    /* The macros pass the caller's sizeof. */
    struct { fs_video_options o; unsigned char canary[16]; } v;
    memset(&v, 0x5A, sizeof v);
    CHECK(FS_VIDEO_OPTIONS_INIT(&v.o) == FS_OK && v.o.struct_size == sizeof v.o && all_bytes(v.canary, 16, 0x5A));
    group_end();
}
#undef CHECK_OPTIONS_INIT

static void test_status_strings(void) {
    group_begin("status", "fs_status_string for every status (its FS_ name first) and for 999 "
                          "(\"unknown status\"); never NULL");
    for (int s = FS_OK; s <= FS_ERR_INTERNAL; s++) {
        const char *str = fs_status_string((fs_status)s);
        const char *name = status_name((fs_status)s);
        CHECKF(str != NULL && str[0] != '\0', "status %d", s);
        CHECKF(str != NULL && strncmp(str, name, strlen(name)) == 0 &&
                   (str[strlen(name)] == ':' || str[strlen(name)] == '\0'),
               "fs_status_string(%d) = \"%s\" does not start with %s", s, str ? str : "(null)", name);
    }
    const char *unknown = fs_status_string((fs_status)999);
    CHECK(unknown != NULL && unknown[0] != '\0');
    CHECKF(unknown != NULL && strcmp(unknown, "unknown status") == 0, "got \"%s\"", unknown ? unknown : "(null)");
    const char *unknown12 = fs_status_string((fs_status)(FS_ERR_INTERNAL + 1));
    CHECK(unknown12 != NULL && strcmp(unknown12, "unknown status") == 0);
    group_end();
}

static void test_models(void) {
    group_begin("models", "fs_model_find: finds the 68-point model, BUFFER_TOO_SMALL leaves buf "
                          "untouched, MODEL for a missing name, NULL arguments");
    char buf[4096];
    if (EXPECT_OK(fs_model_find("shape_predictor_68_face_landmarks.dat", buf, sizeof buf))) {
        size_t n = strnlen(buf, sizeof buf);
        CHECK(n > 0 && n < sizeof buf);
        CHECKF(n >= strlen("shape_predictor_68_face_landmarks.dat") &&
                   strcmp(buf + n - strlen("shape_predictor_68_face_landmarks.dat"),
                          "shape_predictor_68_face_landmarks.dat") == 0,
               "path \"%s\"", buf);
        FILE *f = fopen(buf, "rb");
        CHECKF(f != NULL, "cannot open \"%s\"", buf);
        if (f) fclose(f);

        /* Exactly the right size works; one byte less does not. */
        char *exact = malloc(n + 1);
        if (exact) {
            EXPECT_ST(FS_OK, fs_model_find("shape_predictor_68_face_landmarks.dat", exact, n + 1));
            CHECK(memcmp(exact, buf, n + 1) == 0);
            memset(exact, 'X', n + 1);
            EXPECT_ST(FS_ERR_BUFFER_TOO_SMALL, fs_model_find("shape_predictor_68_face_landmarks.dat", exact, n));
            bool untouched = true;
            for (size_t i = 0; i < n + 1; i++) untouched = untouched && exact[i] == 'X';
            CHECKF(untouched, "buffer was written on BUFFER_TOO_SMALL");
            free(exact);
        }
    }
    char small[4];
    memset(small, 'X', sizeof small);
    EXPECT_ST(FS_ERR_BUFFER_TOO_SMALL, fs_model_find("shape_predictor_68_face_landmarks.dat", small, sizeof small));
    CHECK(small[0] == 'X' && small[3] == 'X');
    EXPECT_ST(FS_ERR_BUFFER_TOO_SMALL, fs_model_find("shape_predictor_68_face_landmarks.dat", small, 0));
    EXPECT_ST(FS_ERR_MODEL, fs_model_find("no_such_model_file_0123.dat", buf, sizeof buf));
    CHECKF(strstr(fs_last_error_message(), "faceswap/models") != NULL,
           "the MODEL message should list where it looked: \"%s\"", fs_last_error_message());
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_model_find(NULL, buf, sizeof buf));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_model_find("shape_predictor_68_face_landmarks.dat", NULL, 100));
    group_end();
}

/* ---- faces ---- */

static void check_face_geometry(const fs_face *f, const char *label, int img_w, int img_h) {
    const float eps = 0.5f;
    CHECKF(f->rect.width > 0 && f->rect.height > 0, "%s rect %gx%g", label, f->rect.width, f->rect.height);
    CHECKF(f->rect.x + f->rect.width > 0 && f->rect.y + f->rect.height > 0 && f->rect.x < (float)img_w &&
               f->rect.y < (float)img_h,
           "%s rect is outside the %dx%d image", label, img_w, img_h);
    CHECKF(isfinite(f->score), "%s score %g", label, f->score);
    CHECKF(close_to(f->box.width, f->box.height, 1e-3 * f->box.width), "%s box %gx%g is not square", label,
           f->box.width, f->box.height);
    CHECKF(f->box.x <= f->rect.x + eps && f->box.y <= f->rect.y + eps &&
               f->box.x + f->box.width >= f->rect.x + f->rect.width - eps &&
               f->box.y + f->box.height >= f->rect.y + f->rect.height - eps,
           "%s box (%g,%g %gx%g) does not contain rect (%g,%g %gx%g)", label, f->box.x, f->box.y,
           f->box.width, f->box.height, f->rect.x, f->rect.y, f->rect.width, f->rect.height);
    /* Centred on the face, side (1 + margin) × face size with the default margin 0.5. */
    double bcx = f->box.x + f->box.width / 2.0, bcy = f->box.y + f->box.height / 2.0;
    double rcx = f->rect.x + f->rect.width / 2.0, rcy = f->rect.y + f->rect.height / 2.0;
    CHECKF(fabs(bcx - rcx) <= 0.05 * f->box.width && fabs(bcy - rcy) <= 0.05 * f->box.width,
           "%s box centre (%g,%g) is not the rect's (%g,%g)", label, bcx, bcy, rcx, rcy);
    double face_side = f->rect.width > f->rect.height ? f->rect.width : f->rect.height;
    CHECKF(f->box.width >= 1.3 * face_side && f->box.width <= 1.7 * face_side,
           "%s box side %g vs face %g (margin 0.5 wants about 1.5x)", label, f->box.width, face_side);
}

static void check_landmarks(const fs_face *f, const char *label) {
    CHECKF(f->num_landmarks == 68, "%s num_landmarks = %d", label, (int)f->num_landmarks);
    if (f->num_landmarks != 68) return;
    int outside = 0, nonfinite = 0;
    for (int i = 0; i < 68; i++) {
        fs_point p = f->landmarks[i];
        if (!isfinite(p.x) || !isfinite(p.y)) nonfinite++;
        if (p.x < f->box.x || p.x > f->box.x + f->box.width || p.y < f->box.y || p.y > f->box.y + f->box.height)
            outside++;
    }
    CHECKF(nonfinite == 0, "%s %d landmarks are not finite", label, nonfinite);
    CHECKF(outside == 0, "%s %d landmarks lie outside the box", label, outside);
    fs_point le = mean_points(f->landmarks, 36, 41), re = mean_points(f->landmarks, 42, 47);
    fs_point nose = f->landmarks[30];
    CHECKF(le.x < re.x, "%s eye centres not left/right ordered: %g %g", label, le.x, re.x);
    CHECKF(nose.x > le.x && nose.x < re.x, "%s nose tip x %g not between eyes %g..%g", label, nose.x, le.x, re.x);
    CHECKF(nose.y > le.y && nose.y > re.y, "%s nose tip y %g not below eyes %g %g", label, nose.y, le.y, re.y);
    double iod = dist(le, re) / f->rect.width;
    CHECKF(iod >= 0.25 && iod <= 0.6, "%s inter-ocular distance %.3f of rect width", label, iod);
    /* Mouth (48-67) below the nose tip, chin (8) below the mouth. */
    fs_point mouth = mean_points(f->landmarks, 48, 67);
    CHECKF(mouth.y > nose.y && f->landmarks[8].y > mouth.y, "%s mouth %g / chin %g order", label, mouth.y,
           f->landmarks[8].y);
}

typedef struct shared_models {
    fs_detector *det;        /* default options */
    fs_detector *det_up1;    /* upsample = 1 */
    fs_landmarker *lm;       /* 68 points */
    fs_image *obama;         /* fr_obama1.jpg */
    fs_image *two;           /* fr_two_people_obama_biden.jpg */
    fs_face obama_face;      /* with landmarks */
    bool have_obama_face;
    fs_detector *two_det;    /* the detector that finds both faces in `two` */
} shared_models;

static void test_detect(shared_models *m) {
    group_begin("detect", "real photos: fr_obama1 (1 face), fr_two_people_obama_biden (2), "
                          "dlib_dogs_noface (0, FS_OK); square box containing the rect; 68 landmarks "
                          "inside the box; eyes ordered, nose tip between and below; inter-ocular "
                          "distance 0.25-0.6 of the rect width; fit keeps box/rect/score");
    fs_detector_options o = detector_defaults();
    CHECK(o.struct_size == sizeof(fs_detector_options));
    CHECK(o.backend == FS_DETECTOR_HOG);
    CHECK(o.model_path == NULL);
    CHECK(o.upsample == 0 && o.min_face_size == 80 && o.downscale == 0.0f && o.margin == 0.5f &&
          o.threshold == 0.0f && o.max_faces == 0);

    m->det = (fs_detector *)&m; /* not a handle: must be overwritten */
    if (!EXPECT_OK(fs_detector_create(&o, &m->det))) {
        m->det = NULL;
    }
    CHECK(m->det != NULL);
    m->lm = NULL;
    EXPECT_ST(FS_OK, fs_landmarker_create(NULL, &m->lm));
    CHECK(m->lm != NULL);
    CHECK(fs_landmarker_num_points(m->lm) == 68);

    m->obama = load_image("fr_obama1.jpg");
    m->two = load_image("fr_two_people_obama_biden.jpg");
    fs_image *dogs = load_image("dlib_dogs_noface.jpg");
    fs_image_view v;
    if (get_view(m->obama, &v)) {
        CHECKF(v.width == 1480 && v.height == 832 && v.format == FS_FORMAT_BGR8, "obama %dx%d %s", (int)v.width,
               (int)v.height, format_name(v.format));
        CHECK(v.data != NULL && v.stride >= (size_t)v.width * 3);
    }

    if (m->det && m->lm && m->obama) {
        fs_face faces[4];
        memset(faces, 0, sizeof faces);
        size_t count = 99;
        if (EXPECT_OK(fs_detect(m->det, m->obama, faces, 4, &count))) {
            CHECKF(count == 1, "fr_obama1: %zu faces", count);
            if (count >= 1) {
                fs_face f = faces[0];
                CHECK(f.num_landmarks == 0);
                check_face_geometry(&f, "obama", 1480, 832);
                fs_rect rect0 = f.rect, box0 = f.box;
                float score0 = f.score;
                if (EXPECT_OK(fs_landmarks_fit(m->lm, m->obama, &f))) {
                    check_landmarks(&f, "obama");
                    CHECK(memcmp(&rect0, &f.rect, sizeof rect0) == 0 && memcmp(&box0, &f.box, sizeof box0) == 0 &&
                          score0 == f.score);
                    m->obama_face = f;
                    m->have_obama_face = f.num_landmarks == 68;
                }
            }
        }
    }

    if (m->det && m->lm && m->two) {
        fs_face faces[4];
        memset(faces, 0, sizeof faces);
        size_t count = 0;
        m->two_det = m->det;
        EXPECT_OK(fs_detect(m->det, m->two, faces, 4, &count));
        if (count != 2) {
            printf("    note: default options found %zu faces in fr_two_people_obama_biden; trying upsample=1\n", count);
            fs_detector_options o1 = detector_defaults();
            o1.upsample = 1;
            if (EXPECT_OK(fs_detector_create(&o1, &m->det_up1))) {
                m->two_det = m->det_up1;
                EXPECT_OK(fs_detect(m->det_up1, m->two, faces, 4, &count));
            }
        }
        CHECKF(count == 2, "fr_two_people_obama_biden: %zu faces", count);
        if (count == 2) {
            CHECKF(faces[0].rect.width * faces[0].rect.height >= faces[1].rect.width * faces[1].rect.height,
                   "not largest first");
            for (int i = 0; i < 2; i++) {
                char label[32];
                snprintf(label, sizeof label, "two[%d]", i);
                check_face_geometry(&faces[i], label, 1126, 661);
                if (EXPECT_OK(fs_landmarks_fit(m->lm, m->two, &faces[i]))) check_landmarks(&faces[i], label);
            }
            /* Two different people: the rects do not overlap much. */
            double dx = (faces[0].rect.x + faces[0].rect.width / 2) - (faces[1].rect.x + faces[1].rect.width / 2);
            CHECK(fabs(dx) > faces[0].rect.width * 0.5);
        }
    }

    if (m->det && dogs) {
        size_t count = 99;
        fs_face faces[2];
        EXPECT_ST(FS_OK, fs_detect(m->det, dogs, faces, 2, &count));
        CHECKF(count == 0, "dogs: %zu faces", count);
    }

    /* The same photo in other pixel formats gives the same one face. */
    if (m->det && m->obama && m->have_obama_face) {
        fs_pixel_format fmts[2] = {FS_FORMAT_GRAY8, FS_FORMAT_RGBA8};
        for (int i = 0; i < 2; i++) {
            fs_image *c = NULL;
            if (!EXPECT_OK(fs_image_convert(m->obama, fmts[i], &c))) continue;
            fs_face f;
            size_t count = 0;
            if (EXPECT_OK(fs_detect(m->det, c, &f, 1, &count))) {
                CHECKF(count == 1, "%s: %zu faces", format_name(fmts[i]), count);
                if (count == 1)
                    CHECKF(fabs(f.rect.x - m->obama_face.rect.x) < 4 && fabs(f.rect.width - m->obama_face.rect.width) < 4,
                           "%s rect differs from BGR8's", format_name(fmts[i]));
            }
            fs_image_free(c);
        }
    }

    /* max_faces keeps the largest. */
    if (m->two && m->two_det) {
        fs_detector_options o2 = detector_defaults();
        o2.upsample = (m->two_det == m->det_up1) ? 1 : 0;
        o2.max_faces = 1;
        fs_detector *d1 = NULL;
        if (EXPECT_OK(fs_detector_create(&o2, &d1))) {
            size_t count = 0;
            fs_face f;
            EXPECT_OK(fs_detect(d1, m->two, &f, 1, &count));
            CHECKF(count == 1, "max_faces 1 gave %zu", count);
            fs_detector_free(d1);
        }
    }

    /* Tiny images: no face, no error. */
    if (m->det) {
        fs_image *tiny = NULL;
        if (EXPECT_OK(fs_image_create(1, 1, FS_FORMAT_GRAY8, &tiny))) {
            size_t count = 99;
            EXPECT_ST(FS_OK, fs_detect(m->det, tiny, NULL, 0, &count));
            CHECK(count == 0);
            fs_image_free(tiny);
        }
    }

    /* fs_landmarks_fit on odd rectangles: empty or non-finite ones are refused; one off the
     * image still gives 68 finite points (dlib extrapolates). */
    if (m->lm && m->obama) {
        fs_rect bad_rects[3] = {{100, 100, 0, 0}, {NAN, 0, 50, 50}, {0, 0, INFINITY, 50}};
        for (int i = 0; i < 3; i++) {
            fs_face f;
            memset(&f, 0, sizeof f);
            f.rect = f.box = bad_rects[i];
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_landmarks_fit(m->lm, m->obama, &f));
            CHECK(f.num_landmarks == 0);
        }
        fs_face f;
        memset(&f, 0, sizeof f);
        f.rect = f.box = (fs_rect){-500, -500, 50, 50};
        if (EXPECT_OK(fs_landmarks_fit(m->lm, m->obama, &f))) {
            int finite = 0;
            for (int i = 0; i < f.num_landmarks && i < FS_MAX_LANDMARKS; i++)
                finite += isfinite(f.landmarks[i].x) && isfinite(f.landmarks[i].y);
            CHECK(f.num_landmarks == 68 && finite == 68);
        }
    }

    /* The OpenCV Haar backend, when its cascade is installed: finds the face HOG found. */
    char haar[4096];
    if (m->obama && m->have_obama_face &&
        fs_model_find("haarcascade_frontalface_default.xml", haar, sizeof haar) == FS_OK) {
        fs_detector_options oh = detector_defaults();
        oh.backend = FS_DETECTOR_HAAR;
        fs_detector *dh = NULL;
        if (EXPECT_OK(fs_detector_create(&oh, &dh))) {
            fs_face hf[8];
            size_t count = 0;
            if (EXPECT_OK(fs_detect(dh, m->obama, hf, 8, &count))) {
                CHECKF(count >= 1, "Haar found %zu faces", count);
                fs_rect r = m->obama_face.rect;
                double cx = r.x + r.width / 2, cy = r.y + r.height / 2;
                bool found = false;
                for (size_t i = 0; i < count && i < 8; i++)
                    found = found || (cx > hf[i].rect.x && cx < hf[i].rect.x + hf[i].rect.width && cy > hf[i].rect.y &&
                                      cy < hf[i].rect.y + hf[i].rect.height);
                CHECKF(found, "no Haar rectangle contains the HOG face's centre");
                if (count >= 1) check_face_geometry(&hf[0], "haar", 1480, 832);
            }
            fs_detector_free(dh);
        }
    } else {
        CHECKF(false, "model file haarcascade_frontalface_default.xml not found (make test installs it): Haar checks not run");
    }

    /* A 5-point predictor, when installed. */
    char p5[4096];
    if (fs_model_find("shape_predictor_5_face_landmarks.dat", p5, sizeof p5) == FS_OK && m->have_obama_face) {
        fs_landmarker *lm5 = NULL;
        if (EXPECT_OK(fs_landmarker_create(p5, &lm5))) {
            CHECK(fs_landmarker_num_points(lm5) == 5);
            fs_face f = m->obama_face;
            f.num_landmarks = 0;
            if (EXPECT_OK(fs_landmarks_fit(lm5, m->obama, &f))) {
                CHECK(f.num_landmarks == 5);
                fs_affine t;
                EXPECT_OK(fs_align_transform(&f, 256, 0.25f, &t));
            }
            /* A freed handle is refused. */
            uintptr_t stale = (uintptr_t)lm5;
            fs_landmarker_free(lm5);
            lm5 = NULL;
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_landmarks_fit((const fs_landmarker *)stale, m->obama, &f));
            CHECK(fs_landmarker_num_points((const fs_landmarker *)stale) == 0);
        }
    } else {
        CHECKF(false, "model file shape_predictor_5_face_landmarks.dat not found (make test installs it): 5-point checks not run");
    }
    fs_image_free(dogs);
    group_end();
}

static void test_capacity(shared_models *m) {
    group_begin("capacity", "fs_detect: capacity 0 with faces NULL gives FS_OK and the count; "
                            "capacity 1 on the two-face image writes 1 face, count 2, the rest untouched");
    if (!m->two_det || !m->two) {
        CHECKF(false, "no detector/image from the detect group");
        group_end();
        return;
    }
    size_t count = 77;
    EXPECT_ST(FS_OK, fs_detect(m->two_det, m->two, NULL, 0, &count));
    CHECKF(count == 2, "count %zu", count);

    fs_face all[2];
    memset(all, 0, sizeof all);
    count = 0;
    EXPECT_ST(FS_OK, fs_detect(m->two_det, m->two, all, 2, &count));

    fs_face faces[2];
    memset(faces, 0xAB, sizeof faces);
    fs_face sentinel;
    memset(&sentinel, 0xAB, sizeof sentinel);
    count = 0;
    EXPECT_ST(FS_OK, fs_detect(m->two_det, m->two, faces, 1, &count));
    CHECKF(count == 2, "count %zu", count);
    CHECK(faces[0].rect.width > 0 && faces[0].num_landmarks == 0);
    CHECK(memcmp(&faces[0].rect, &all[0].rect, sizeof(fs_rect)) == 0); /* the largest */
    CHECKF(memcmp(&faces[1], &sentinel, sizeof sentinel) == 0, "faces[1] was written past capacity");

    /* capacity > 0 with faces NULL is an argument error. */
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detect(m->two_det, m->two, NULL, 1, &count));
    group_end();
}

static void test_align(shared_models *m) {
    group_begin("align", "fs_align_transform(256, 0.25) + fs_affine_apply put the eyes within 3% of the "
                         "template's; the transform is a similarity; invert∘transform = identity; "
                         "fs_align_crop gives 256x256 of the same format; template fits [p·s,(1−p)·s]; "
                         "crop direction and border replication on a synthetic image");
    fs_point tmpl[FS_MAX_LANDMARKS];
    if (EXPECT_OK(fs_align_template(256, 0.25f, tmpl))) {
        float minx = 1e9f, maxx = -1e9f, miny = 1e9f, maxy = -1e9f;
        for (int i = 17; i < 68; i++) {
            if (tmpl[i].x < minx) minx = tmpl[i].x;
            if (tmpl[i].x > maxx) maxx = tmpl[i].x;
            if (tmpl[i].y < miny) miny = tmpl[i].y;
            if (tmpl[i].y > maxy) maxy = tmpl[i].y;
        }
        CHECKF(minx >= 63.5f && maxx <= 192.5f && miny >= 63.5f && maxy <= 192.5f,
               "inner points span x %g..%g y %g..%g, want inside 64..192", minx, maxx, miny, maxy);
        CHECKF(close_to(maxx - minx, 128, 0.5) || close_to(maxy - miny, 128, 0.5), "span %g x %g", maxx - minx,
               maxy - miny);
        CHECKF(close_to((minx + maxx) / 2, 128, 0.5) && close_to((miny + maxy) / 2, 128, 0.5), "not centred");
        fs_point tle = mean_points(tmpl, 36, 41), tre = mean_points(tmpl, 42, 47);
        CHECK(tle.x < tre.x && close_to(tle.y, tre.y, 1.0));
        CHECK(tmpl[30].y > tle.y && tmpl[30].x > tle.x && tmpl[30].x < tre.x);
    }
    fs_point t0[FS_MAX_LANDMARKS];
    EXPECT_OK(fs_align_template(256, 0.0f, t0));
    EXPECT_OK(fs_align_template(8, 0.45f, t0));
    EXPECT_OK(fs_align_template(4096, 0.25f, t0));

    if (m->have_obama_face) {
        fs_affine t;
        if (EXPECT_OK(fs_align_transform(&m->obama_face, 256, 0.25f, &t))) {
            /* Similarity: [a -b; b a]. */
            double s = hypot(t.m[0], t.m[3]);
            CHECKF(s > 0 && close_to(t.m[0], t.m[4], 1e-9 * s + 1e-12) && close_to(t.m[1], -t.m[3], 1e-9 * s + 1e-12),
                   "not a similarity: %g %g %g %g", t.m[0], t.m[1], t.m[3], t.m[4]);
            fs_point pts[FS_MAX_LANDMARKS];
            memcpy(pts, m->obama_face.landmarks, sizeof pts);
            if (EXPECT_OK(fs_affine_apply(&t, pts, 68))) {
                fs_point le = mean_points(pts, 36, 41), re = mean_points(pts, 42, 47);
                fs_point tle = mean_points(tmpl, 36, 41), tre = mean_points(tmpl, 42, 47);
                CHECKF(dist(le, tle) < 0.03 * 256, "left eye off by %.2f px", dist(le, tle));
                CHECKF(dist(re, tre) < 0.03 * 256, "right eye off by %.2f px", dist(re, tre));
                int inside = 0;
                for (int i = 0; i < 68; i++) inside += pts[i].x >= 0 && pts[i].x < 256 && pts[i].y >= 0 && pts[i].y < 256;
                CHECKF(inside == 68, "%d of 68 aligned landmarks inside the crop", inside);
            }
            fs_affine ti;
            if (EXPECT_OK(fs_affine_invert(&t, &ti))) {
                /* Composition in double: ti ∘ t = identity. */
                double c[6] = {
                    ti.m[0] * t.m[0] + ti.m[1] * t.m[3],           ti.m[0] * t.m[1] + ti.m[1] * t.m[4],
                    ti.m[0] * t.m[2] + ti.m[1] * t.m[5] + ti.m[2], ti.m[3] * t.m[0] + ti.m[4] * t.m[3],
                    ti.m[3] * t.m[1] + ti.m[4] * t.m[4],           ti.m[3] * t.m[2] + ti.m[4] * t.m[5] + ti.m[5]};
                double id[6] = {1, 0, 0, 0, 1, 0};
                double worst = 0;
                for (int i = 0; i < 6; i++)
                    if (fabs(c[i] - id[i]) > worst) worst = fabs(c[i] - id[i]);
                CHECKF(worst < 1e-6, "inverse∘transform differs from identity by %g", worst);
                fs_point probe[4] = {{0, 0}, {1479, 831}, {700.5f, 300.25f}, {m->obama_face.landmarks[30].x, m->obama_face.landmarks[30].y}};
                fs_point orig[4];
                memcpy(orig, probe, sizeof orig);
                EXPECT_OK(fs_affine_apply(&t, probe, 4));
                EXPECT_OK(fs_affine_apply(&ti, probe, 4));
                double err = 0;
                for (int i = 0; i < 4; i++)
                    if (dist(probe[i], orig[i]) > err) err = dist(probe[i], orig[i]);
                CHECKF(err < 1e-3, "round trip error %g px", err);
            }
            fs_image *crop = NULL;
            if (EXPECT_OK(fs_align_crop(m->obama, &t, 256, &crop))) {
                fs_image_view cv;
                if (get_view(crop, &cv)) {
                    CHECK(cv.width == 256 && cv.height == 256 && cv.format == FS_FORMAT_BGR8 && cv.stride >= 256 * 3);
                    /* Not a flat colour: a face is in it. */
                    long sum = 0, sum2 = 0;
                    for (int y = 0; y < 256; y += 4)
                        for (int x = 0; x < 256; x += 4) {
                            int g = pixel_get(&cv, x, y).g;
                            sum += g;
                            sum2 += (long)g * g;
                        }
                    double n = 64.0 * 64.0, mean = (double)sum / n, var = (double)sum2 / n - mean * mean;
                    CHECKF(var > 100, "crop variance %g", var);
                }
                fs_image_free(crop);
            }
            /* A GRAY8 source gives a GRAY8 crop. */
            fs_image *gray = NULL;
            if (EXPECT_OK(fs_image_convert(m->obama, FS_FORMAT_GRAY8, &gray))) {
                fs_image *gc = NULL;
                if (EXPECT_OK(fs_align_crop(gray, &t, 128, &gc))) {
                    fs_image_view gv;
                    if (get_view(gc, &gv)) CHECK(gv.width == 128 && gv.height == 128 && gv.format == FS_FORMAT_GRAY8);
                    fs_image_free(gc);
                }
                fs_image_free(gray);
            }
        }
    } else {
        CHECKF(false, "no fitted face from the detect group");
    }

    /* Crop direction (transform maps image → crop) and replicated border, exactly. */
    fs_image *g = make_image(64, 48, FS_FORMAT_RGB8, gradient_at);
    if (g) {
        fs_affine shift = {{1, 0, -5, 0, 1, -3}}; /* crop(x, y) = image(x + 5, y + 3) */
        fs_image *c = NULL;
        if (EXPECT_OK(fs_align_crop(g, &shift, 32, &c))) {
            fs_image_view cv;
            if (get_view(c, &cv)) {
                int bad = 0;
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++) {
                        rgba a = pixel_get(&cv, x, y), b = gradient_at(x + 5, y + 3);
                        bad += a.r != b.r || a.g != b.g || a.b != b.b;
                    }
                CHECKF(bad == 0 && cv.format == FS_FORMAT_RGB8, "%d pixels differ from the shifted image", bad);
            }
            fs_image_free(c);
        }
        fs_affine ident = {{1, 0, 0, 0, 1, 0}};
        c = NULL;
        if (EXPECT_OK(fs_align_crop(g, &ident, 80, &c))) {
            fs_image_view cv;
            if (get_view(c, &cv)) {
                rgba a = pixel_get(&cv, 75, 10), b = gradient_at(63, 10);
                rgba a2 = pixel_get(&cv, 20, 70), b2 = gradient_at(20, 47);
                CHECKF(a.r == b.r && a.g == b.g && a.b == b.b && a2.r == b2.r && a2.g == b2.g && a2.b == b2.b,
                       "border not replicated");
            }
            fs_image_free(c);
        }
        fs_image_free(g);
    }
    /* fs_affine_apply with count 0 touches nothing. */
    {
        fs_affine ident = {{1, 0, 0, 0, 1, 0}};
        fs_point p = {1, 2};
        EXPECT_OK(fs_affine_apply(&ident, &p, 0));
        CHECK(p.x == 1 && p.y == 2);
        fs_affine sc = {{2, 0, 1, 0, 3, -1}};
        EXPECT_OK(fs_affine_apply(&sc, &p, 1));
        CHECK(p.x == 3 && p.y == 5);
    }
    group_end();
}

/* ---- images ---- */

static void test_image_roundtrips(void) {
    group_begin("images", "fs_image_from_view (5 formats, padded stride) copies; fs_image_create "
                          "zeroes; fs_image_convert between all 25 format pairs (BGR (10,20,30) -> "
                          "RGB (30,20,10), GRAY ~ 0.299R+0.587G+0.114B); PNG encode/decode exact; "
                          "JPEG within tolerance and channel order kept; save/load to a temp path; "
                          "atomic save leaves no stray files; fs_image_wrap sees the caller's memory");
    const int W = 37, H = 23;

    /* from_view and get_view, every format, with a padded stride. */
    fs_image *imgs[5] = {NULL, NULL, NULL, NULL, NULL};
    for (int fi = 0; fi < 5; fi++) {
        fs_pixel_format f = k_formats[fi];
        size_t stride = (size_t)W * (size_t)bytes_per_pixel(f) + 7;
        unsigned char *buf = make_pixels(W, H, stride, f, gradient_at);
        if (!buf) continue;
        fs_image_view in = {buf, W, H, stride, f};
        if (EXPECT_OK(fs_image_from_view(&in, &imgs[fi]))) {
            memset(buf, 0, stride * H); /* a copy: the image must not change */
            fs_image_view v;
            if (get_view(imgs[fi], &v)) {
                CHECKF(v.width == W && v.height == H && v.format == f && v.stride >= (size_t)W * (size_t)bytes_per_pixel(f) &&
                           v.data != NULL && v.data != (void *)buf,
                       "%s view %dx%d %s stride %zu", format_name(f), (int)v.width, (int)v.height, format_name(v.format), v.stride);
                int bad = 0;
                for (int y = 0; y < H; y++)
                    for (int x = 0; x < W; x++) {
                        rgba a = pixel_get(&v, x, y), b = gradient_at(x, y);
                        if (f == FS_FORMAT_GRAY8) b.g = b.b = b.r;
                        if (!has_alpha(f)) b.a = 255;
                        bad += a.r != b.r || a.g != b.g || a.b != b.b || a.a != b.a;
                    }
                CHECKF(bad == 0, "%s: %d pixels differ after from_view", format_name(f), bad);
            }
        }
        free(buf);
    }

    /* fs_image_create: zeroed, tight. */
    for (int fi = 0; fi < 5; fi++) {
        fs_image *z = NULL;
        if (!EXPECT_OK(fs_image_create(W, H, k_formats[fi], &z))) continue;
        fs_image_view v;
        if (get_view(z, &v)) {
            CHECK(v.width == W && v.height == H && v.format == k_formats[fi]);
            int nonzero = 0;
            for (int y = 0; y < H; y++)
                for (int i = 0; i < W * bytes_per_pixel(k_formats[fi]); i++)
                    nonzero += ((const unsigned char *)v.data)[(size_t)y * v.stride + (size_t)i] != 0;
            CHECKF(nonzero == 0, "%s: %d non-zero bytes", format_name(k_formats[fi]), nonzero);
        }
        fs_image_free(z);
    }

    /* Known pixel: BGR (10, 20, 30). */
    {
        unsigned char px[4 * 3 * 3];
        for (int i = 0; i < 12; i++) {
            px[i * 3] = 10;
            px[i * 3 + 1] = 20;
            px[i * 3 + 2] = 30;
        }
        fs_image_view v = {px, 4, 3, 12, FS_FORMAT_BGR8};
        fs_image *bgr = NULL;
        if (EXPECT_OK(fs_image_from_view(&v, &bgr))) {
            fs_image *c = NULL;
            fs_image_view cv;
            if (EXPECT_OK(fs_image_convert(bgr, FS_FORMAT_RGB8, &c)) && get_view(c, &cv)) {
                const unsigned char *p = pixel_ptr(&cv, 2, 1);
                CHECKF(p[0] == 30 && p[1] == 20 && p[2] == 10, "RGB (%d,%d,%d)", p[0], p[1], p[2]);
            }
            fs_image_free(c);
            c = NULL;
            if (EXPECT_OK(fs_image_convert(bgr, FS_FORMAT_GRAY8, &c)) && get_view(c, &cv)) {
                const unsigned char *p = pixel_ptr(&cv, 3, 2);
                double want = 0.299 * 30 + 0.587 * 20 + 0.114 * 10;
                CHECKF(fabs(p[0] - want) <= 1.0, "GRAY %d, want %.2f", p[0], want);
            }
            fs_image_free(c);
            c = NULL;
            if (EXPECT_OK(fs_image_convert(bgr, FS_FORMAT_RGBA8, &c)) && get_view(c, &cv)) {
                const unsigned char *p = pixel_ptr(&cv, 0, 0);
                CHECKF(p[0] == 30 && p[1] == 20 && p[2] == 10 && p[3] == 255, "RGBA (%d,%d,%d,%d)", p[0], p[1], p[2], p[3]);
            }
            fs_image_free(c);
            c = NULL;
            if (EXPECT_OK(fs_image_convert(bgr, FS_FORMAT_BGRA8, &c)) && get_view(c, &cv)) {
                const unsigned char *p = pixel_ptr(&cv, 1, 1);
                CHECKF(p[0] == 10 && p[1] == 20 && p[2] == 30 && p[3] == 255, "BGRA (%d,%d,%d,%d)", p[0], p[1], p[2], p[3]);
            }
            fs_image_free(c);
            fs_image_free(bgr);
        }
    }

    /* Every pair of formats, every pixel. */
    for (int si = 0; si < 5; si++) {
        if (!imgs[si]) continue;
        fs_image_view sv;
        if (!get_view(imgs[si], &sv)) continue;
        for (int di = 0; di < 5; di++) {
            fs_pixel_format s = k_formats[si], d = k_formats[di];
            fs_image *c = NULL;
            if (!EXPECT_OK(fs_image_convert(imgs[si], d, &c))) continue;
            fs_image_view dv;
            if (get_view(c, &dv)) {
                int bad = 0;
                for (int y = 0; y < H; y++)
                    for (int x = 0; x < W; x++) {
                        rgba a = pixel_get(&sv, x, y), b = pixel_get(&dv, x, y);
                        if (d == FS_FORMAT_GRAY8 && s != FS_FORMAT_GRAY8) {
                            double want = 0.299 * a.r + 0.587 * a.g + 0.114 * a.b;
                            bad += fabs(b.r - want) > 1.0;
                        } else {
                            int wa = has_alpha(d) ? (has_alpha(s) ? a.a : 255) : 255;
                            bad += a.r != b.r || a.g != b.g || a.b != b.b || b.a != wa;
                        }
                    }
                CHECKF(dv.width == W && dv.height == H && dv.format == d && bad == 0, "%s -> %s: %d pixels wrong",
                       format_name(s), format_name(d), bad);
            }
            fs_image_free(c);
        }
    }

    /* PNG: encode -> decode exact (decoding gives BGR8, or BGRA8 with alpha). */
    for (int fi = 0; fi < 5; fi++) {
        if (!imgs[fi]) continue;
        fs_pixel_format f = k_formats[fi];
        void *data = NULL;
        size_t size = 0;
        if (!EXPECT_OK(fs_image_encode(imgs[fi], FS_CODEC_PNG, 0, &data, &size))) continue;
        CHECK(data != NULL && size > 8 && memcmp(data, "\x89PNG", 4) == 0);
        fs_image *back = NULL;
        if (data && EXPECT_OK(fs_image_decode(data, size, &back))) {
            fs_image_view bv, sv;
            if (get_view(back, &bv) && get_view(imgs[fi], &sv)) {
                fs_pixel_format want = has_alpha(f) ? FS_FORMAT_BGRA8 : FS_FORMAT_BGR8;
                int bad = 0;
                for (int y = 0; y < H && bv.width == W && bv.height == H; y++)
                    for (int x = 0; x < W; x++) {
                        rgba a = pixel_get(&sv, x, y), b = pixel_get(&bv, x, y);
                        bad += a.r != b.r || a.g != b.g || a.b != b.b || a.a != b.a;
                    }
                CHECKF(bv.width == W && bv.height == H && bv.format == want && bad == 0,
                       "PNG %s -> decoded %dx%d %s, %d pixels differ", format_name(f), (int)bv.width, (int)bv.height,
                       format_name(bv.format), bad);
            }
            fs_image_free(back);
        }
        fs_free(data);
    }

    /* JPEG: smooth picture, every format; and a solid colour keeps its channel order. */
    for (int fi = 0; fi < 5; fi++) {
        fs_pixel_format f = k_formats[fi];
        fs_image *src = make_image(48, 40, f, smooth_at);
        if (!src) continue;
        void *data = NULL;
        size_t size = 0;
        if (EXPECT_OK(fs_image_encode(src, FS_CODEC_JPEG, 95, &data, &size))) {
            CHECK(data != NULL && size > 3 && memcmp(data, "\xFF\xD8\xFF", 3) == 0);
            fs_image *back = NULL;
            if (data && EXPECT_OK(fs_image_decode(data, size, &back))) {
                fs_image_view bv, sv;
                if (get_view(back, &bv) && get_view(src, &sv) && bv.width == 48 && bv.height == 40) {
                    double err = 0;
                    int maxerr = 0;
                    for (int y = 0; y < 40; y++)
                        for (int x = 0; x < 48; x++) {
                            rgba a = pixel_get(&sv, x, y), b = pixel_get(&bv, x, y);
                            int e = abs(a.r - b.r) + abs(a.g - b.g) + abs(a.b - b.b);
                            err += e;
                            if (abs(a.r - b.r) > maxerr) maxerr = abs(a.r - b.r);
                            if (abs(a.g - b.g) > maxerr) maxerr = abs(a.g - b.g);
                            if (abs(a.b - b.b) > maxerr) maxerr = abs(a.b - b.b);
                        }
                    err /= 48.0 * 40.0 * 3.0;
                    CHECKF(bv.format == FS_FORMAT_BGR8 && err < 3.0 && maxerr < 24,
                           "JPEG %s: decoded %s, mean error %.2f, max %d", format_name(f), format_name(bv.format), err, maxerr);
                } else {
                    CHECKF(false, "JPEG %s: decoded size %dx%d", format_name(f), (int)bv.width, (int)bv.height);
                }
                fs_image_free(back);
            }
            fs_free(data);
        }
        fs_image_free(src);
    }
    {
        /* A solid orange given as RGB8 comes back as BGR (B small, R large). */
        unsigned char px[16 * 16 * 3];
        for (int i = 0; i < 256; i++) {
            px[i * 3] = 220;
            px[i * 3 + 1] = 120;
            px[i * 3 + 2] = 20;
        }
        fs_image_view v = {px, 16, 16, 48, FS_FORMAT_RGB8};
        fs_image *rgb = NULL;
        if (EXPECT_OK(fs_image_from_view(&v, &rgb))) {
            void *data = NULL;
            size_t size = 0;
            if (EXPECT_OK(fs_image_encode(rgb, FS_CODEC_JPEG, 0, &data, &size))) {
                fs_image *back = NULL;
                fs_image_view bv;
                if (EXPECT_OK(fs_image_decode(data, size, &back)) && get_view(back, &bv)) {
                    const unsigned char *p = pixel_ptr(&bv, 8, 8);
                    CHECKF(abs(p[0] - 20) <= 6 && abs(p[1] - 120) <= 6 && abs(p[2] - 220) <= 6,
                           "decoded BGR (%d,%d,%d), want about (20,120,220)", p[0], p[1], p[2]);
                }
                fs_image_free(back);
                fs_free(data);
            }
            fs_image_free(rgb);
        }
    }

    /* Save and load back through a temp folder; atomic writes leave no stray files. */
    if (imgs[1]) {
        char p_png[1024], p_jpg[1024], p_noext[1024];
        tmp_path(p_png, sizeof p_png, "roundtrip.png");
        tmp_path(p_jpg, sizeof p_jpg, "roundtrip.JPEG");
        tmp_path(p_noext, sizeof p_noext, "roundtrip_noext");
        int before = count_dir_entries(g_tmp_dir);
        fs_image_view sv;
        get_view(imgs[1], &sv);
        if (EXPECT_OK(fs_image_save(imgs[1], p_png, FS_CODEC_AUTO, 0))) {
            CHECKF(count_dir_entries(g_tmp_dir) == before + 1, "%d entries after one save, had %d",
                   count_dir_entries(g_tmp_dir), before);
            fs_image *back = NULL;
            fs_image_view bv;
            if (EXPECT_OK(fs_image_load(p_png, &back)) && get_view(back, &bv)) {
                int bad = 0;
                for (int y = 0; y < H && bv.width == W && bv.height == H; y++)
                    bad += memcmp(pixel_ptr(&bv, 0, y), pixel_ptr(&sv, 0, y), (size_t)W * 3) != 0;
                CHECKF(bv.width == W && bv.height == H && bv.format == FS_FORMAT_BGR8 && bad == 0, "saved PNG differs");
            }
            fs_image_free(back);
            /* Overwrite: still one file. */
            EXPECT_OK(fs_image_save(imgs[1], p_png, FS_CODEC_PNG, 0));
            CHECK(count_dir_entries(g_tmp_dir) == before + 1);
        }
        if (EXPECT_OK(fs_image_save(imgs[1], p_jpg, FS_CODEC_AUTO, 90))) {
            fs_image *back = NULL;
            size_t n = 0;
            unsigned char *raw = read_whole_file(p_jpg, &n);
            CHECK(raw != NULL && n > 3 && raw[0] == 0xFF && raw[1] == 0xD8);
            free(raw);
            fs_image_view bv;
            if (EXPECT_OK(fs_image_load(p_jpg, &back)) && get_view(back, &bv))
                CHECK(bv.width == W && bv.height == H && bv.format == FS_FORMAT_BGR8);
            fs_image_free(back);
        }
        /* Explicit codec: no extension needed. */
        if (EXPECT_OK(fs_image_save(imgs[1], p_noext, FS_CODEC_PNG, 0))) {
            size_t n = 0;
            unsigned char *raw = read_whole_file(p_noext, &n);
            CHECK(raw != NULL && n > 4 && memcmp(raw, "\x89PNG", 4) == 0);
            free(raw);
        }
        CHECKF(count_dir_entries(g_tmp_dir) == before + 3, "%d entries, want %d (stray temporary files?)",
               count_dir_entries(g_tmp_dir), before + 3);
        /* fs_image_decode of a file's bytes = fs_image_load of the file. */
        size_t n = 0;
        unsigned char *raw = read_whole_file(p_png, &n);
        fs_image *a = NULL, *b = NULL;
        fs_image_view av, bv;
        if (raw && EXPECT_OK(fs_image_decode(raw, n, &a)) && EXPECT_OK(fs_image_load(p_png, &b)) && get_view(a, &av) &&
            get_view(b, &bv)) {
            int bad = 0;
            for (int y = 0; y < H; y++) bad += memcmp(pixel_ptr(&av, 0, y), pixel_ptr(&bv, 0, y), (size_t)W * 3) != 0;
            CHECK(bad == 0);
        }
        fs_image_free(a);
        fs_image_free(b);
        free(raw);
    }

    /* CMYK JPEG from the data set decodes to BGR8. */
    {
        fs_image *cmyk = load_image("rcv_one_face_cmyk.jpg");
        fs_image_view v;
        if (get_view(cmyk, &v)) CHECK(v.format == FS_FORMAT_BGR8 && v.width > 0 && v.height > 0);
        fs_image_free(cmyk);
    }

    /* fs_image_wrap sees (and is) the caller's memory. */
    {
        const int w = 8, h = 6;
        size_t stride = (size_t)w * 4 + 12;
        unsigned char *buf = make_pixels(w, h, stride, FS_FORMAT_RGBA8, gradient_at);
        fs_image_view in = {buf, w, h, stride, FS_FORMAT_RGBA8};
        fs_image *wr = NULL;
        if (buf && EXPECT_OK(fs_image_wrap(&in, &wr))) {
            fs_image_view v;
            if (get_view(wr, &v)) {
                CHECK(v.data == (void *)buf && v.stride == stride && v.width == w && v.height == h &&
                      v.format == FS_FORMAT_RGBA8);
                buf[3 * stride + 5 * 4 + 0] = 201;
                buf[3 * stride + 5 * 4 + 3] = 7;
                rgba c = pixel_get(&v, 5, 3);
                CHECK(c.r == 201 && c.a == 7);
            }
            /* The library reads the caller's current pixels. */
            fs_image *c = NULL;
            fs_image_view cv;
            if (EXPECT_OK(fs_image_convert(wr, FS_FORMAT_BGRA8, &c)) && get_view(c, &cv)) {
                rgba p = pixel_get(&cv, 5, 3);
                CHECKF(p.r == 201 && p.a == 7, "converted wrapped pixel (%d,..,%d)", p.r, p.a);
            }
            fs_image_free(c);
            fs_image_free(wr);
            /* Freeing the wrapper leaves the caller's buffer alone. */
            CHECK(buf[3 * stride + 5 * 4 + 0] == 201);
        }
        free(buf);
    }

    for (int fi = 0; fi < 5; fi++) fs_image_free(imgs[fi]);
    group_end();
}

/* ---- bad input ---- */

typedef struct jpegs {
    unsigned char *obama; /* progressive */
    size_t obama_size;
    unsigned char *two;   /* baseline */
    size_t two_size;
} jpegs;

static void test_null_arguments(shared_models *m) {
    group_begin("null-args", "NULL for every pointer argument of every function (each out-pointer, "
                             "handle and input): INVALID_ARGUMENT with a message, outs set to NULL; "
                             "*_free(NULL) and fs_free(NULL) are no-ops");
    char path[1024];
    data_path(path, sizeof path, "fr_obama1.jpg");
    fs_image *img = m->obama;
    fs_image *small = NULL;
    EXPECT_OK(fs_image_create(16, 16, FS_FORMAT_BGR8, &small));
    fs_image *out = NULL;
    unsigned char px[48] = {0};
    fs_image_view view = {px, 4, 4, 12, FS_FORMAT_BGR8};
    fs_image_view vout;
    char buf[256];
    fs_face face;
    memset(&face, 0, sizeof face);
    fs_face faces[2];
    size_t count = 0;
    fs_affine t = {{1, 0, 0, 0, 1, 0}}, tout;
    fs_point pts[FS_MAX_LANDMARKS];
    memset(pts, 0, sizeof pts);
    void *data = NULL;
    size_t size = 0;
    fs_detector_options o = detector_defaults();

    /* fs_image_load */
    out = (fs_image *)&out;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_load(NULL, &out));
    CHECKF(out == NULL, "fs_image_load failure leaves *out non-NULL");
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_load(path, NULL));
    /* fs_image_decode */
    out = (fs_image *)&out;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_decode(NULL, 100, &out));
    CHECK(out == NULL);
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_decode(px, sizeof px, NULL));
    /* fs_image_from_view / fs_image_wrap */
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_from_view(NULL, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_from_view(&view, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_wrap(NULL, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_wrap(&view, NULL));
    {
        fs_image_view nodata = view;
        nodata.data = NULL;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_from_view(&nodata, &out));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_wrap(&nodata, &out));
    }
    /* fs_image_create / convert / get_view */
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_create(4, 4, FS_FORMAT_BGR8, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_convert(NULL, FS_FORMAT_RGB8, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_convert(small, FS_FORMAT_RGB8, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_get_view(NULL, &vout));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_get_view(small, NULL));
    /* fs_image_encode / save */
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_encode(NULL, FS_CODEC_PNG, 0, &data, &size));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_encode(small, FS_CODEC_PNG, 0, NULL, &size));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_encode(small, FS_CODEC_PNG, 0, &data, NULL));
    CHECK(data == NULL); /* nothing leaked into our pointer */
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_save(NULL, "/tmp/never_written.png", FS_CODEC_AUTO, 0));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_save(small, NULL, FS_CODEC_PNG, 0));
    /* fs_model_find */
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_model_find(NULL, buf, sizeof buf));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_model_find("shape_predictor_68_face_landmarks.dat", NULL, sizeof buf));
    /* fs_detector_create / fs_detect */
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detector_create(&o, NULL));
    {
        /* NULL options: the header says "pass a pointer"; either defaults or an argument error. */
        fs_detector *d = NULL;
        if (EXPECT_ST2(FS_ERR_INVALID_ARGUMENT, FS_OK, fs_detector_create(NULL, &d)) == FS_OK) fs_detector_free(d);
    }
    if (m->det) {
        count = 5;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detect(NULL, small, faces, 2, &count));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detect(m->det, NULL, faces, 2, &count));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detect(m->det, small, NULL, 2, &count));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detect(m->det, small, faces, 2, NULL));
    }
    /* fs_landmarker_create / num_points / fit */
    {
        char p68[4096];
        if (fs_model_find("shape_predictor_68_face_landmarks.dat", p68, sizeof p68) == FS_OK)
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_landmarker_create(p68, NULL));
        else
            CHECKF(false, "68-point model not found");
    }
    CHECK(fs_landmarker_num_points(NULL) == 0);
    if (m->lm && m->have_obama_face) {
        face = m->obama_face;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_landmarks_fit(NULL, img, &face));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_landmarks_fit(m->lm, NULL, &face));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_landmarks_fit(m->lm, img, NULL));
        CHECK(memcmp(&face, &m->obama_face, sizeof face) == 0); /* untouched on failure */
    }
    /* Alignment */
    if (m->have_obama_face) {
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(NULL, 256, 0.25f, &tout));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&m->obama_face, 256, 0.25f, NULL));
    }
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_template(256, 0.25f, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_crop(NULL, &t, 64, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_crop(small, NULL, 64, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_crop(small, &t, 64, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_affine_invert(NULL, &tout));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_affine_invert(&t, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_affine_apply(NULL, pts, 68));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_affine_apply(&t, NULL, 68));
    /* Frees of NULL. */
    fs_image_free(NULL);
    fs_detector_free(NULL);
    fs_landmarker_free(NULL);
    fs_free(NULL);
    CHECK(true); /* reached: the frees of NULL did not crash */
    fs_image_free(small);
    group_end();
}

static void test_bad_sizes_and_data(shared_models *m, const jpegs *j) {
    group_begin("bad-input", "zero/negative/huge sizes (40000 wide, 20000x20000, one past the limits), "
                             "short stride, unknown format 99, unknown codec, bad JPEG quality; empty "
                             "data, truncated JPEG (first half), corrupt JPEG (SOI + garbage), a text "
                             "file, SOF patched to 60000x60000 -> TOO_LARGE, PNG IHDR patched too; "
                             "missing file / directory / unwritable path -> IO; bad alignment values");
    fs_image *out = NULL;
    unsigned char px[64] = {0};

    /* fs_image_create sizes. */
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_create(0, 10, FS_FORMAT_BGR8, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_create(10, 0, FS_FORMAT_BGR8, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_create(-5, 10, FS_FORMAT_BGR8, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_create(10, -1, FS_FORMAT_GRAY8, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_create(INT32_MIN, INT32_MIN, FS_FORMAT_GRAY8, &out));
    EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_create(40000, 10, FS_FORMAT_BGR8, &out));
    EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_create(10, 40000, FS_FORMAT_BGR8, &out));
    EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_create(20000, 20000, FS_FORMAT_BGR8, &out));
    EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_create(FS_MAX_IMAGE_SIDE + 1, 1, FS_FORMAT_GRAY8, &out));
    EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_create(16385, 16385, FS_FORMAT_GRAY8, &out)); /* > 2^28 pixels */
    EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_create(INT32_MAX, INT32_MAX, FS_FORMAT_RGBA8, &out));
    EXPECT_ST(FS_ERR_UNSUPPORTED, fs_image_create(4, 4, (fs_pixel_format)99, &out));
    EXPECT_ST(FS_ERR_UNSUPPORTED, fs_image_create(4, 4, (fs_pixel_format)0, &out));
    {
        /* The largest side is allowed (1 row). */
        fs_image *wide = NULL;
        if (EXPECT_OK(fs_image_create(FS_MAX_IMAGE_SIDE, 1, FS_FORMAT_GRAY8, &wide))) fs_image_free(wide);
    }
    CHECK(out == NULL);

    /* Views: sizes are checked before any pixel is read (px holds only 64 bytes). */
    fs_image_view v = {px, 40000, 1, 120000, FS_FORMAT_BGR8};
    EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_from_view(&v, &out));
    EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_wrap(&v, &out));
    v = (fs_image_view){px, 20000, 20000, 60000, FS_FORMAT_BGR8};
    EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_from_view(&v, &out));
    EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_wrap(&v, &out));
    v = (fs_image_view){px, 0, 4, 12, FS_FORMAT_BGR8};
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_from_view(&v, &out));
    v = (fs_image_view){px, 4, -4, 12, FS_FORMAT_BGR8};
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_from_view(&v, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_wrap(&v, &out));
    v = (fs_image_view){px, 4, 4, 11, FS_FORMAT_BGR8}; /* a row is 12 bytes */
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_from_view(&v, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_wrap(&v, &out));
    v = (fs_image_view){px, 4, 4, 0, FS_FORMAT_GRAY8};
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_from_view(&v, &out));
    v = (fs_image_view){px, 4, 4, SIZE_MAX, FS_FORMAT_GRAY8};
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_from_view(&v, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_wrap(&v, &out));
    v = (fs_image_view){px, 4, 4, 16, (fs_pixel_format)99};
    EXPECT_ST(FS_ERR_UNSUPPORTED, fs_image_from_view(&v, &out));
    EXPECT_ST(FS_ERR_UNSUPPORTED, fs_image_wrap(&v, &out));
    CHECK(out == NULL);

    /* Convert / encode / save options. */
    fs_image *small = NULL;
    EXPECT_OK(fs_image_create(8, 8, FS_FORMAT_BGR8, &small));
    EXPECT_ST(FS_ERR_UNSUPPORTED, fs_image_convert(small, (fs_pixel_format)99, &out));
    CHECK(out == NULL);
    {
        void *data = NULL;
        size_t size = 0;
        EXPECT_ST(FS_ERR_UNSUPPORTED, fs_image_encode(small, (fs_codec)99, 0, &data, &size));
        EXPECT_ST2(FS_ERR_INVALID_ARGUMENT, FS_ERR_UNSUPPORTED, fs_image_encode(small, FS_CODEC_AUTO, 0, &data, &size));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_encode(small, FS_CODEC_JPEG, 101, &data, &size));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_encode(small, FS_CODEC_JPEG, -1, &data, &size));
        CHECK(data == NULL);
        if (EXPECT_OK(fs_image_encode(small, FS_CODEC_JPEG, 1, &data, &size))) fs_free(data);
        data = NULL;
        if (EXPECT_OK(fs_image_encode(small, FS_CODEC_JPEG, 100, &data, &size))) fs_free(data);
    }
    {
        char p[1024];
        tmp_path(p, sizeof p, "unknown_extension.bmp");
        EXPECT_ST(FS_ERR_UNSUPPORTED, fs_image_save(small, p, FS_CODEC_AUTO, 0));
        tmp_path(p, sizeof p, "no_extension");
        EXPECT_ST(FS_ERR_UNSUPPORTED, fs_image_save(small, p, FS_CODEC_AUTO, 0));
        tmp_path(p, sizeof p, "bad_quality.jpg");
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_save(small, p, FS_CODEC_AUTO, 101));
        EXPECT_ST(FS_ERR_IO, fs_image_save(small, "/nonexistent_dir_fs_test/x.png", FS_CODEC_AUTO, 0));
        EXPECT_ST(FS_ERR_IO, fs_image_save(small, g_tmp_dir, FS_CODEC_PNG, 0)); /* a directory */
        EXPECT_ST(FS_ERR_UNSUPPORTED, fs_image_save(small, p, (fs_codec)99, 0));
    }

    /* Decoding bad data. */
    out = (fs_image *)&out;
    EXPECT_ST(FS_ERR_DECODE, fs_image_decode(px, 0, &out));
    CHECK(out == NULL);
    EXPECT_ST(FS_ERR_DECODE, fs_image_decode(NULL, 0, &out));
    {
        static const unsigned char soi_only[3] = {0xFF, 0xD8, 0xFF};
        EXPECT_ST(FS_ERR_DECODE, fs_image_decode(soi_only, sizeof soi_only, &out));
        unsigned char corrupt[4096];
        corrupt[0] = 0xFF;
        corrupt[1] = 0xD8;
        uint32_t s = 12345;
        for (size_t i = 2; i < sizeof corrupt; i++) {
            s = s * 1103515245u + 12345u;
            corrupt[i] = (unsigned char)(s >> 16);
        }
        corrupt[2] = 0xFF;
        corrupt[3] = 0xC0; /* SOF0 with a garbage body */
        EXPECT_ST(FS_ERR_DECODE, fs_image_decode(corrupt, sizeof corrupt, &out));
        corrupt[3] = 0x17;
        EXPECT_ST(FS_ERR_DECODE, fs_image_decode(corrupt, sizeof corrupt, &out));
        static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
        EXPECT_ST(FS_ERR_DECODE, fs_image_decode(png_sig, sizeof png_sig, &out));
        static const char text[] = "Hello, this is plain text and not an image.\n";
        EXPECT_ST(FS_ERR_DECODE, fs_image_decode(text, sizeof text - 1, &out));
        CHECK(out == NULL);
    }
    if (j->obama && j->two) {
        EXPECT_ST(FS_ERR_DECODE, fs_image_decode(j->obama, j->obama_size / 2, &out)); /* progressive */
        EXPECT_ST(FS_ERR_DECODE, fs_image_decode(j->two, j->two_size / 2, &out));     /* baseline */
        EXPECT_ST(FS_ERR_DECODE, fs_image_decode(j->two, 200, &out));                 /* headers only */
        CHECK(out == NULL);
        /* SOF declares 60000 x 60000: refused from the header. */
        const unsigned char *srcs[2] = {j->two, j->obama};
        size_t sizes[2] = {j->two_size, j->obama_size};
        const char *names[2] = {"baseline SOF0", "progressive SOF2"};
        for (int i = 0; i < 2; i++) {
            unsigned char *patched = malloc(sizes[i]);
            if (!patched) continue;
            memcpy(patched, srcs[i], sizes[i]);
            size_t sof = find_sof(patched, sizes[i]);
            CHECKF(sof != 0, "no SOF in %s", names[i]);
            if (sof) {
                patched[sof + 5] = 0xEA; /* height 60000 = 0xEA60 */
                patched[sof + 6] = 0x60;
                patched[sof + 7] = 0xEA; /* width */
                patched[sof + 8] = 0x60;
                out = (fs_image *)&out;
                EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_decode(patched, sizes[i], &out));
                CHECK(out == NULL);
                /* And the same through a file. */
                char p[1024];
                tmp_path(p, sizeof p, i == 0 ? "huge_sof0.jpg" : "huge_sof2.jpg");
                if (write_whole_file(p, patched, sizes[i])) EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_load(p, &out));
                /* 40000 x 100: over the side limit although few pixels. */
                patched[sof + 5] = 0x00;
                patched[sof + 6] = 0x64;
                patched[sof + 7] = 0x9C; /* 40000 = 0x9C40 */
                patched[sof + 8] = 0x40;
                EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_decode(patched, sizes[i], &out));
            }
            free(patched);
        }
    } else {
        CHECKF(false, "could not read the JPEG files into memory");
    }
    {
        /* A PNG whose IHDR says 60000 x 60000. */
        void *data = NULL;
        size_t size = 0;
        if (EXPECT_OK(fs_image_encode(small, FS_CODEC_PNG, 0, &data, &size)) && size > 24) {
            EXPECT_ST(FS_ERR_DECODE, fs_image_decode(data, size / 2, &out)); /* truncated PNG */
            unsigned char *p = data;
            p[16] = 0; p[17] = 0; p[18] = 0xEA; p[19] = 0x60;
            p[20] = 0; p[21] = 0; p[22] = 0xEA; p[23] = 0x60;
            EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_decode(data, size, &out));
        }
        fs_free(data);
    }

    /* Files. */
    {
        char p[1024];
        out = (fs_image *)&out;
        EXPECT_ST(FS_ERR_IO, fs_image_load("/nonexistent_dir_fs_test/missing.jpg", &out));
        CHECK(out == NULL);
        data_path(p, sizeof p, "no_such_photo_0123.jpg");
        EXPECT_ST(FS_ERR_IO, fs_image_load(p, &out));
        CHECKF(strstr(fs_last_error_message(), "no_such_photo_0123.jpg") != NULL, "message does not name the file: \"%s\"",
               fs_last_error_message());
        EXPECT_ST(FS_ERR_IO, fs_image_load(g_tmp_dir, &out)); /* a directory */
        EXPECT_ST(FS_ERR_IO, fs_image_load("", &out));
        tmp_path(p, sizeof p, "notes.txt");
        static const char text[] = "These are some notes.\nNot an image at all.\n";
        if (write_whole_file(p, text, sizeof text - 1)) EXPECT_ST(FS_ERR_DECODE, fs_image_load(p, &out));
        tmp_path(p, sizeof p, "empty.jpg");
        if (write_whole_file(p, "", 0)) EXPECT_ST(FS_ERR_DECODE, fs_image_load(p, &out));
        if (j->two) {
            tmp_path(p, sizeof p, "truncated.jpg");
            if (write_whole_file(p, j->two, j->two_size / 2)) EXPECT_ST(FS_ERR_DECODE, fs_image_load(p, &out));
        }
        CHECK(out == NULL);
    }

    /* Alignment values. */
    {
        fs_affine t;
        fs_point pts[FS_MAX_LANDMARKS];
        fs_face f;
        memset(&f, 0, sizeof f);
        f.rect = (fs_rect){10, 10, 50, 50};
        f.box = f.rect;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 256, 0.25f, &t)); /* no landmarks */
        if (m->have_obama_face) {
            f = m->obama_face;
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 7, 0.25f, &t));
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 4097, 0.25f, &t));
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, -256, 0.25f, &t));
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 256, -0.1f, &t));
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 256, 0.46f, &t));
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 256, NAN, &t));
            f.num_landmarks = 69;
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 256, 0.25f, &t));
            f.num_landmarks = -1;
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 256, 0.25f, &t));
            f.num_landmarks = 17; /* neither 68 nor 5 */
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 256, 0.25f, &t));
            f = m->obama_face;
            f.landmarks[40].x = NAN;
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 256, 0.25f, &t));
            /* All landmarks on one point: no similarity exists. */
            f = m->obama_face;
            for (int i = 0; i < 68; i++) f.landmarks[i] = (fs_point){100, 100};
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 256, 0.25f, &t));
            /* fs_landmarks_fit refuses a face whose num_landmarks is out of range. */
            if (m->lm && m->obama) {
                f = m->obama_face;
                f.num_landmarks = 1000;
                EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_landmarks_fit(m->lm, m->obama, &f));
            }
        }
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_template(7, 0.25f, pts));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_template(4097, 0.25f, pts));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_template(256, 0.5f, pts));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_template(256, -0.01f, pts));
        fs_affine ident = {{1, 0, 0, 0, 1, 0}}, singular = {{0, 0, 5, 0, 0, 7}}, rank1 = {{1, 2, 0, 2, 4, 0}};
        fs_affine nan_t = {{1, 0, NAN, 0, 1, 0}}, inf_t = {{INFINITY, 0, 0, 0, 1, 0}};
        fs_affine sentinel = {{42, 42, 42, 42, 42, 42}};
        t = sentinel;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_affine_invert(&singular, &t));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_affine_invert(&rank1, &t));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_affine_invert(&nan_t, &t));
        CHECKF(memcmp(&t, &sentinel, sizeof t) == 0, "fs_affine_invert wrote *out on failure");
        pts[0] = (fs_point){3, 4};
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_affine_apply(&inf_t, pts, 1));
        CHECK(pts[0].x == 3 && pts[0].y == 4);
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_affine_apply(&ident, pts, SIZE_MAX)); /* absurd count */
        out = (fs_image *)&out;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_crop(small, &ident, 7, &out));
        CHECK(out == NULL);
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_crop(small, &ident, 0, &out));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_crop(small, &ident, -64, &out));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_crop(small, &nan_t, 64, &out));
    }
    fs_image_free(small);
    group_end();
}

static void test_models_and_options(void) {
    group_begin("bad-models", "missing model path -> MODEL (*out NULL); garbage and text model files -> "
                              "MODEL; a model of the wrong kind -> MODEL; options struct_size 0/4 -> "
                              "INVALID_ARGUMENT; upsample 9/-1, downscale 2.0/-0.5/NaN, margin -1/NaN, "
                              "min_face_size -5, max_faces -1, threshold NaN -> INVALID_ARGUMENT naming "
                              "the option; backend 99 -> UNSUPPORTED; an older, smaller struct works");
    char garbage[1024], text[1024];
    tmp_path(garbage, sizeof garbage, "garbage_model.dat");
    tmp_path(text, sizeof text, "text_model.dat");
    {
        unsigned char junk[8192];
        uint32_t s = 777;
        for (size_t i = 0; i < sizeof junk; i++) {
            s = s * 1664525u + 1013904223u;
            junk[i] = (unsigned char)(s >> 24);
        }
        CHECK(write_whole_file(garbage, junk, sizeof junk));
        static const char t[] = "this is not a dlib model\n";
        CHECK(write_whole_file(text, t, sizeof t - 1));
    }

    fs_landmarker *lm = (fs_landmarker *)&lm;
    EXPECT_ST(FS_ERR_MODEL, fs_landmarker_create("/nonexistent_dir_fs_test/shape_predictor.dat", &lm));
    CHECK(lm == NULL);
    lm = (fs_landmarker *)&lm;
    EXPECT_ST(FS_ERR_MODEL, fs_landmarker_create(garbage, &lm));
    CHECK(lm == NULL);
    EXPECT_ST(FS_ERR_MODEL, fs_landmarker_create(text, &lm));
    EXPECT_ST(FS_ERR_MODEL, fs_landmarker_create(g_tmp_dir, &lm)); /* a directory */
    {
        char empty[1024];
        tmp_path(empty, sizeof empty, "empty_model.dat");
        if (write_whole_file(empty, "", 0)) EXPECT_ST(FS_ERR_MODEL, fs_landmarker_create(empty, &lm));
    }
    char other[4096];
    if (fs_model_find("mmod_human_face_detector.dat", other, sizeof other) == FS_OK) {
        EXPECT_ST(FS_ERR_MODEL, fs_landmarker_create(other, &lm)); /* a CNN detector, not a predictor */
    } else {
        CHECKF(false, "model file mmod_human_face_detector.dat not found (make test installs it): wrong-kind model check not run");
    }
    CHECK(lm == NULL);

    fs_detector *det = (fs_detector *)&det;
    fs_detector_options o = detector_defaults();
    o.backend = FS_DETECTOR_CNN;
    o.model_path = "/nonexistent_dir_fs_test/mmod_human_face_detector.dat";
    EXPECT_ST(FS_ERR_MODEL, fs_detector_create(&o, &det));
    CHECK(det == NULL);
    o.model_path = garbage;
    EXPECT_ST(FS_ERR_MODEL, fs_detector_create(&o, &det));
    o.model_path = text;
    EXPECT_ST(FS_ERR_MODEL, fs_detector_create(&o, &det));
    char p68[4096];
    if (fs_model_find("shape_predictor_68_face_landmarks.dat", p68, sizeof p68) == FS_OK) {
        o.model_path = p68; /* a shape predictor, not a CNN */
        EXPECT_ST(FS_ERR_MODEL, fs_detector_create(&o, &det));
    }
    o = detector_defaults();
    o.backend = FS_DETECTOR_HAAR;
    o.model_path = "/nonexistent_dir_fs_test/haarcascade_frontalface_default.xml";
    EXPECT_ST(FS_ERR_MODEL, fs_detector_create(&o, &det));
    o.model_path = garbage;
    EXPECT_ST(FS_ERR_MODEL, fs_detector_create(&o, &det));
    o.model_path = text;
    EXPECT_ST(FS_ERR_MODEL, fs_detector_create(&o, &det));
    CHECK(det == NULL);

    /* Options. */
    struct {
        const char *name;
        const char *field;
        fs_detector_options o;
    } bad[12];
    int nbad = 0;
#define BAD(label, fieldname, stmt)                       \
    do {                                                  \
        bad[nbad].name = label;                           \
        bad[nbad].field = fieldname;                      \
        bad[nbad].o = detector_defaults();      \
        { fs_detector_options *op = &bad[nbad].o; stmt; } \
        nbad++;                                           \
    } while (0)
    BAD("upsample 9", "upsample", op->upsample = 9);
    BAD("upsample -1", "upsample", op->upsample = -1);
    BAD("downscale 2.0", "downscale", op->downscale = 2.0f);
    BAD("downscale -0.5", "downscale", op->downscale = -0.5f);
    BAD("downscale NaN", "downscale", op->downscale = NAN);
    BAD("margin -1", "margin", op->margin = -1.0f);
    BAD("margin NaN", "margin", op->margin = NAN);
    BAD("min_face_size -5", "min_face_size", op->min_face_size = -5);
    BAD("max_faces -1", "max_faces", op->max_faces = -1);
    BAD("threshold NaN", "threshold", op->threshold = NAN);
#undef BAD
    for (int i = 0; i < nbad; i++) {
        det = (fs_detector *)&det;
        fs_status s = EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detector_create(&bad[i].o, &det));
        CHECKF(det == NULL, "%s: *out not NULL", bad[i].name);
        if (s == FS_OK && det) fs_detector_free(det);
        if (s == FS_ERR_INVALID_ARGUMENT)
            CHECKF(strstr(fs_last_error_message(), bad[i].field) != NULL, "%s: message does not name %s: \"%s\"",
                   bad[i].name, bad[i].field, fs_last_error_message());
    }
    o = detector_defaults();
    o.backend = (fs_detector_backend)99;
    det = NULL;
    if (EXPECT_ST(FS_ERR_UNSUPPORTED, fs_detector_create(&o, &det)) == FS_OK) fs_detector_free(det);
    o = detector_defaults();
    o.struct_size = 0;
    det = (fs_detector *)&det;
    if (EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detector_create(&o, &det)) == FS_OK) fs_detector_free(det);
    CHECK(det == NULL);
    o.struct_size = 4;
    det = NULL;
    if (EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detector_create(&o, &det)) == FS_OK) fs_detector_free(det);
    /* An older caller: the struct ends before max_faces (and its garbage is not read). */
    o = detector_defaults();
    o.struct_size = (uint32_t)offsetof(fs_detector_options, max_faces);
    o.max_faces = -12345;
    det = NULL;
    if (EXPECT_OK(fs_detector_create(&o, &det))) {
        CHECK(det != NULL);
        fs_detector_free(det);
    }
    group_end();
}

static void test_handles(shared_models *m) {
    group_begin("handles", "wrong-kind handles (an fs_image cast to fs_detector, ...), a foreign "
                           "pointer, and freed handles give INVALID_ARGUMENT; a wrong-kind or "
                           "double free is ignored");
    fs_image *img = NULL;
    EXPECT_OK(fs_image_create(32, 32, FS_FORMAT_BGR8, &img));
    fs_face faces[2];
    size_t count = 0;
    fs_image_view v;
    if (img) {
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detect((const fs_detector *)img, img, faces, 2, &count));
        if (m->det) {
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detect(m->det, (const fs_image *)m->det, faces, 2, &count));
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_get_view((const fs_image *)m->det, &v));
            fs_face f = m->obama_face;
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_landmarks_fit((const fs_landmarker *)m->det, img, &f));
            CHECK(fs_landmarker_num_points((const fs_landmarker *)m->det) == 0);
            /* Freeing a detector as an image must not free it. */
            fs_image_free((fs_image *)m->det);
            fs_landmarker_free((fs_landmarker *)m->det);
            EXPECT_OK(fs_detect(m->det, img, faces, 2, &count));
        }
        if (m->lm) {
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detect((const fs_detector *)m->lm, img, faces, 2, &count));
            CHECK(fs_landmarker_num_points((const fs_landmarker *)img) == 0);
        }
        /* Pointers the library never made. */
        static max_align_t local; /* aligned for any type: the cast itself is well-defined */
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_get_view((const fs_image *)&local, &v));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_get_view((const fs_image *)(uintptr_t)0x10, &v));
        fs_image *conv = (fs_image *)&conv;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_convert((const fs_image *)&local, FS_FORMAT_RGB8, &conv));
        CHECK(conv == NULL);
    }

    /* A freed image. */
    if (img) {
        uintptr_t stale = (uintptr_t)img;
        fs_image_free(img);
        img = NULL;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_get_view((const fs_image *)stale, &v));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_encode((const fs_image *)stale, FS_CODEC_PNG, 0, &(void *){NULL}, &(size_t){0}));
        if (m->det) EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detect(m->det, (const fs_image *)stale, faces, 2, &count));
        fs_image_free((fs_image *)stale); /* double free: ignored */
        CHECK(true);
    }
    /* A freed detector. */
    {
        fs_detector_options o = detector_defaults();
        fs_detector *d = NULL;
        fs_image *probe = NULL;
        EXPECT_OK(fs_image_create(16, 16, FS_FORMAT_GRAY8, &probe));
        if (EXPECT_OK(fs_detector_create(&o, &d)) && probe) {
            EXPECT_OK(fs_detect(d, probe, faces, 2, &count));
            CHECK(count == 0);
            uintptr_t stale = (uintptr_t)d;
            fs_detector_free(d);
            d = NULL;
            count = 99;
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detect((const fs_detector *)stale, probe, faces, 2, &count));
            fs_detector_free((fs_detector *)stale);
            CHECK(true);
        }
        fs_image_free(probe);
    }
    group_end();
}

/* ---- threads ---- */

typedef struct thread_arg {
    const fs_detector *det;
    const fs_image *img;
    size_t count;
    fs_face face;
    fs_status status;
    char initial_message[256];
    char message[256];
} thread_arg;

static void *thread_main(void *p) {
    thread_arg *a = p;
    snprintf(a->initial_message, sizeof a->initial_message, "%s", fs_last_error_message());
    a->status = fs_detect(a->det, a->img, &a->face, 1, &a->count);
    fs_image *out = NULL;
    (void)fs_image_load("/nonexistent_dir_fs_test/thread.jpg", &out);
    snprintf(a->message, sizeof a->message, "%s", fs_last_error_message());
    return NULL;
}

static void test_threads(shared_models *m) {
    group_begin("threads", "two threads detect on one shared detector and get the same face; "
                           "fs_last_error_message is per thread (\"\" in a new thread)");
    fs_image *out = NULL;
    EXPECT_ST(FS_ERR_IO, fs_image_load("/nonexistent_dir_fs_test/main_thread.png", &out));
    char main_msg[512];
    snprintf(main_msg, sizeof main_msg, "%s", fs_last_error_message());
    if (!m->det || !m->obama || !m->have_obama_face) {
        CHECKF(false, "no detector/image");
        group_end();
        return;
    }
    thread_arg args[2];
    pthread_t th[2];
    bool started[2] = {false, false};
    for (int i = 0; i < 2; i++) {
        memset(&args[i], 0, sizeof args[i]);
        args[i].det = m->det;
        args[i].img = m->obama;
        started[i] = pthread_create(&th[i], NULL, thread_main, &args[i]) == 0;
        CHECK(started[i]);
    }
    for (int i = 0; i < 2; i++) {
        if (!started[i]) continue;
        pthread_join(th[i], NULL);
        CHECKF(args[i].status == FS_OK && args[i].count == 1, "thread %d: %s, %zu faces", i, status_name(args[i].status),
               args[i].count);
        CHECK(memcmp(&args[i].face.rect, &m->obama_face.rect, sizeof(fs_rect)) == 0);
        CHECKF(args[i].initial_message[0] == '\0', "thread %d starts with message \"%s\"", i, args[i].initial_message);
        CHECK(strstr(args[i].message, "thread.jpg") != NULL);
    }
    CHECKF(strcmp(fs_last_error_message(), main_msg) == 0, "main thread's message changed to \"%s\"", fs_last_error_message());
    group_end();
}

/* ------------------------------------------------------------------------------------------ */
/* Swapping: helpers                                                                           */
/* ------------------------------------------------------------------------------------------ */

typedef struct swap_ctx {
    fs_recognizer *rec;        /* NULL when dlib_face_recognition_resnet_model_v1.dat is not installed */
    char rec_path[4096];
    fs_swapper *sw;            /* default options over m->det, m->lm and rec */
    fs_swapper *sw_norec;      /* default options, no recognizer */
    fs_source *src;            /* fr_obama1.jpg's face, prepared by sw */
    fs_face src_face;          /* fs_detect + fs_landmarks_fit on fr_obama1.jpg directly */
    bool have_src_face;
    fs_image *biden;           /* fr_biden2.jpg: the target */
    fs_face biden_face;        /* its face, with landmarks */
    bool have_biden_face;
    fs_image *result;          /* fs_swap(sw, src, biden) */
    fs_image *mask;
    float emb_src[FS_EMBEDDING_SIZE];   /* Obama in fr_obama1.jpg */
    float emb_biden[FS_EMBEDDING_SIZE]; /* Biden in fr_biden2.jpg */
    bool have_emb;
} swap_ctx;

/* Detects the faces of img (largest first, at most cap) and fits landmarks to all of them.
 * Returns how many faces were found (may exceed cap) or 0 on any failure (counted). */
static size_t detect_fit(const fs_detector *det, const fs_landmarker *lm, const fs_image *img, fs_face *faces,
                         size_t cap) {
    if (!det || !lm || !img) return 0;
    size_t count = 0;
    memset(faces, 0, cap * sizeof *faces);
    if (!EXPECT_OK(fs_detect(det, img, faces, cap, &count))) return 0;
    for (size_t i = 0; i < count && i < cap; i++)
        if (!EXPECT_OK(fs_landmarks_fit(lm, img, &faces[i]))) return 0;
    return count;
}

static fs_point rect_centre(fs_rect r) {
    fs_point p = {r.x + r.width / 2, r.y + r.height / 2};
    return p;
}

static double inter_ocular(const fs_face *f) {
    return dist(mean_points(f->landmarks, 36, 41), mean_points(f->landmarks, 42, 47));
}

/* Mean distance of the 68 landmarks of a and b. */
static double landmark_mean_error(const fs_face *a, const fs_face *b) {
    double s = 0;
    for (int i = 0; i < 68; i++) s += dist(a->landmarks[i], b->landmarks[i]);
    return s / 68.0;
}

/* A library-owned copy of img's pixels. */
static fs_image *copy_image(const fs_image *img) {
    fs_image_view v;
    if (!get_view(img, &v)) return NULL;
    fs_image *c = NULL;
    if (!EXPECT_OK(fs_image_from_view(&v, &c))) return NULL;
    return c;
}

static bool views_identical(const fs_image_view *a, const fs_image_view *b) {
    if (a->width != b->width || a->height != b->height || a->format != b->format) return false;
    size_t row = (size_t)a->width * (size_t)bytes_per_pixel(a->format);
    for (int y = 0; y < a->height; y++)
        if (memcmp((const unsigned char *)a->data + (size_t)y * a->stride,
                   (const unsigned char *)b->data + (size_t)y * b->stride, row) != 0)
            return false;
    return true;
}

/* Same size, format and pixel bytes (stride padding aside). */
static bool images_identical(const fs_image *a, const fs_image *b) {
    fs_image_view va, vb;
    if (!get_view(a, &va) || !get_view(b, &vb)) return false;
    return views_identical(&va, &vb);
}

static bool all_zero(const fs_image *gray) {
    fs_image_view v;
    if (!get_view(gray, &v)) return false;
    size_t row = (size_t)v.width * (size_t)bytes_per_pixel(v.format);
    for (int y = 0; y < v.height; y++) {
        const unsigned char *p = (const unsigned char *)v.data + (size_t)y * v.stride;
        for (size_t i = 0; i < row; i++)
            if (p[i] != 0) return false;
    }
    return true;
}

/* How a swap result differs from its target, pixel by pixel, and where the mask is. */
typedef struct swap_diff {
    long outside_changed;    /* pixels where mask == 0 that differ from the target */
    long inside;             /* pixels where mask > 200 */
    double inside_mad;       /* mean |result - target| over those pixels' colour bytes */
    long changed;            /* pixels that differ at all */
    long masked;             /* pixels where mask > 0 */
    long alpha_changed;      /* 4-byte formats: pixels whose alpha byte differs */
    int bx0, by0, bx1, by1;  /* bounding box (inclusive) of the changed pixels; bx1 < 0 when none */
    int mx0, my0, mx1, my1;  /* bounding box of mask > 0 */
} swap_diff;

/* target and result: same size and format; mask GRAY8 of that size or NULL (all 0). */
static bool diff_views(const fs_image_view *t, const fs_image_view *r, const fs_image_view *mk, swap_diff *d) {
    memset(d, 0, sizeof *d);
    d->bx0 = d->by0 = d->mx0 = d->my0 = INT32_MAX;
    d->bx1 = d->by1 = d->mx1 = d->my1 = -1;
    if (t->width != r->width || t->height != r->height || t->format != r->format) return false;
    if (mk && (mk->format != FS_FORMAT_GRAY8 || mk->width != t->width || mk->height != t->height)) return false;
    int bpp = bytes_per_pixel(t->format);
    int colour = bpp == 4 ? 3 : bpp;
    double sum = 0;
    for (int y = 0; y < t->height; y++)
        for (int x = 0; x < t->width; x++) {
            const unsigned char *pt = pixel_ptr(t, x, y), *pr = pixel_ptr(r, x, y);
            int mv = mk ? *pixel_ptr(mk, x, y) : 0;
            bool changed = memcmp(pt, pr, (size_t)bpp) != 0;
            if (changed) {
                d->changed++;
                if (x < d->bx0) d->bx0 = x;
                if (x > d->bx1) d->bx1 = x;
                if (y < d->by0) d->by0 = y;
                if (y > d->by1) d->by1 = y;
                if (mv == 0) d->outside_changed++;
            }
            if (bpp == 4 && pt[3] != pr[3]) d->alpha_changed++;
            if (mv > 0) {
                d->masked++;
                if (x < d->mx0) d->mx0 = x;
                if (x > d->mx1) d->mx1 = x;
                if (y < d->my0) d->my0 = y;
                if (y > d->my1) d->my1 = y;
            }
            if (mv > 200) {
                d->inside++;
                for (int c = 0; c < colour; c++) sum += abs((int)pt[c] - (int)pr[c]);
            }
        }
    d->inside_mad = d->inside ? sum / ((double)d->inside * colour) : 0;
    return true;
}

static bool diff_images(const fs_image *target, const fs_image *result, const fs_image *mask, swap_diff *d) {
    fs_image_view t, r, mk;
    memset(d, 0, sizeof *d);
    if (!get_view(target, &t) || !get_view(result, &r)) return false;
    if (mask && !get_view(mask, &mk)) return false;
    return diff_views(&t, &r, mask ? &mk : NULL, d);
}

/* The inclusive pixel box x0..x1, y0..y1 lies inside r (to the pixel). */
static bool box_inside(int x0, int y0, int x1, int y1, fs_rect r) {
    return x0 >= (int)floor(r.x) && y0 >= (int)floor(r.y) && x1 <= (int)ceil(r.x + r.width) &&
           y1 <= (int)ceil(r.y + r.height);
}

/* How many pixels inside r (clipped to the image) differ between target and result; -1 on error. */
static long count_changed_in(const fs_image *target, const fs_image *result, fs_rect r) {
    fs_image_view t, v;
    if (!get_view(target, &t) || !get_view(result, &v)) return -1;
    if (t.width != v.width || t.height != v.height || t.format != v.format) return -1;
    int x0 = (int)floor(r.x), y0 = (int)floor(r.y), x1 = (int)ceil(r.x + r.width), y1 = (int)ceil(r.y + r.height);
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > t.width) x1 = t.width;
    if (y1 > t.height) y1 = t.height;
    long n = 0;
    size_t bpp = (size_t)bytes_per_pixel(t.format);
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) n += memcmp(pixel_ptr(&t, x, y), pixel_ptr(&v, x, y), bpp) != 0;
    return n;
}

static fs_swapper *new_swapper(const fs_detector *det, const fs_landmarker *lm, const fs_recognizer *rec,
                               const fs_swap_options *o) {
    fs_swapper *sw = NULL;
    if (!det || !lm) return NULL;
    if (!EXPECT_OK(fs_swapper_create(det, lm, rec, o, &sw))) return NULL;
    CHECK(sw != NULL);
    return sw;
}

static fs_source *new_source(const fs_swapper *sw, const fs_image *img, int32_t index) {
    fs_source *src = NULL;
    if (!sw || !img) return NULL;
    if (!EXPECT_OK(fs_source_prepare(sw, img, index, &src))) return NULL;
    CHECK(src != NULL);
    return src;
}

/* A malloc'ed copy of img's pixels with `pad` extra bytes (0xEE) per row; *view describes it. */
static unsigned char *caller_copy(const fs_image *img, size_t pad, fs_image_view *view) {
    fs_image_view v;
    if (!get_view(img, &v)) return NULL;
    size_t row = (size_t)v.width * (size_t)bytes_per_pixel(v.format);
    size_t stride = row + pad;
    unsigned char *buf = malloc(stride * (size_t)v.height);
    if (!buf) return NULL;
    memset(buf, 0xEE, stride * (size_t)v.height);
    for (int y = 0; y < v.height; y++)
        memcpy(buf + (size_t)y * stride, (const unsigned char *)v.data + (size_t)y * v.stride, row);
    *view = v;
    view->data = buf;
    view->stride = stride;
    return buf;
}

static bool padding_intact(const fs_image_view *v, size_t pad) {
    size_t row = (size_t)v->width * (size_t)bytes_per_pixel(v->format);
    for (int y = 0; y < v->height; y++) {
        const unsigned char *p = (const unsigned char *)v->data + (size_t)y * v->stride + row;
        for (size_t i = 0; i < pad; i++)
            if (p[i] != 0xEE) return false;
    }
    return true;
}

/* ------------------------------------------------------------------------------------------ */
/* Swapping: groups                                                                            */
/* ------------------------------------------------------------------------------------------ */

static void test_swap_defaults(void) {
    group_begin("swap-options", "FS_SWAP_OPTIONS_INIT: struct_size = sizeof, DELAUNAY, REINHARD, "
                                "MULTIBAND, expression 0.6, forehead 0.1, erode 0.04, feather 0.06, "
                                "keep_mouth 1, face_index -1, keep_unmatched 0, use_reference 0, "
                                "identity_threshold 0.6");
    fs_swap_options o = swap_defaults();
    CHECKF(o.struct_size == sizeof(fs_swap_options), "struct_size %u, sizeof %zu", (unsigned)o.struct_size,
           sizeof(fs_swap_options));
    CHECKF(o.mode == FS_CONVERT_DELAUNAY, "mode %d", (int)o.mode);
    CHECKF(o.color == FS_COLOR_REINHARD, "color %d", (int)o.color);
    CHECKF(o.blend == FS_BLEND_MULTIBAND, "blend %d", (int)o.blend);
    CHECKF(close_to(o.expression, 0.6, 1e-6), "expression %g", o.expression);
    CHECKF(close_to(o.forehead, 0.1, 1e-6), "forehead %g", o.forehead);
    CHECKF(close_to(o.erode, 0.04, 1e-6), "erode %g", o.erode);
    CHECKF(close_to(o.feather, 0.06, 1e-6), "feather %g", o.feather);
    CHECKF(o.keep_mouth == 1, "keep_mouth %d", (int)o.keep_mouth);
    CHECKF(o.face_index == -1, "face_index %d", (int)o.face_index);
    CHECKF(o.keep_unmatched == 0, "keep_unmatched %d", (int)o.keep_unmatched);
    CHECKF(o.use_reference == 0, "use_reference %d", (int)o.use_reference);
    CHECKF(close_to(o.identity_threshold, 0.6, 1e-6), "identity_threshold %g", o.identity_threshold);
    int finite = 0;
    for (int i = 0; i < FS_EMBEDDING_SIZE; i++) finite += isfinite(o.reference[i]) ? 1 : 0;
    CHECKF(finite == FS_EMBEDDING_SIZE, "%d of the default reference's values are finite", finite);
    group_end();
}

static void test_swap_source(shared_models *m, swap_ctx *s) {
    group_begin("swap-source", "recognizer (when its model is installed), swapper over the detector and "
                               "landmarker; fs_source_prepare(fr_obama1.jpg, 0); fs_source_get_face gives "
                               "68 landmarks, rect and box in the source image's coordinates = fs_detect + "
                               "fs_landmarks_fit on it within 0.5 px; the source image may be freed");
    if (fs_model_find("dlib_face_recognition_resnet_model_v1.dat", s->rec_path, sizeof s->rec_path) == FS_OK) {
        s->rec = (fs_recognizer *)&s->rec; /* not a handle: must be overwritten */
        if (!EXPECT_OK(fs_recognizer_create(s->rec_path, &s->rec))) s->rec = NULL;
        CHECK(s->rec != NULL);
    } else {
        s->rec_path[0] = '\0';
        CHECKF(false, "model file dlib_face_recognition_resnet_model_v1.dat not found (make test installs it): identity checks not run");
    }
    if (!m->det || !m->lm) {
        CHECKF(false, "no detector/landmarker from the detect group");
        group_end();
        return;
    }
    s->sw = (fs_swapper *)&s->sw;
    if (!EXPECT_OK(fs_swapper_create(m->det, m->lm, s->rec, NULL, &s->sw))) s->sw = NULL;
    CHECK(s->sw != NULL);
    if (s->rec) {
        s->sw_norec = new_swapper(m->det, m->lm, NULL, NULL);
    } else {
        s->sw_norec = s->sw; /* the same handle; freed once */
    }

    /* The source image, loaded here and freed after preparing: the source keeps what it needs. */
    fs_image *obama = load_image("fr_obama1.jpg");
    fs_face faces[4];
    if (obama && detect_fit(m->det, m->lm, obama, faces, 4) == 1) {
        s->src_face = faces[0];
        s->have_src_face = faces[0].num_landmarks == 68;
    }
    CHECK(s->have_src_face);
    if (s->sw && obama) {
        s->src = (fs_source *)&s->src;
        if (!EXPECT_OK(fs_source_prepare(s->sw, obama, 0, &s->src))) s->src = NULL;
        CHECK(s->src != NULL);
    }
    if (s->rec && obama && s->have_src_face) {
        EXPECT_OK(fs_face_embedding(s->rec, obama, &s->src_face, s->emb_src));
    }
    fs_image_free(obama);
    obama = NULL;

    if (s->src && s->have_src_face) {
        fs_face f;
        memset(&f, 0xAB, sizeof f);
        if (EXPECT_OK(fs_source_get_face(s->src, &f))) {
            CHECKF(f.num_landmarks == 68, "num_landmarks %d", (int)f.num_landmarks);
            double worst = 0;
            for (int i = 0; i < 68 && f.num_landmarks == 68; i++) {
                double d = dist(f.landmarks[i], s->src_face.landmarks[i]);
                if (!(d <= worst)) worst = d; /* NaN sticks */
            }
            CHECKF(worst <= 0.5, "a source landmark is %.3f px from fs_detect + fs_landmarks_fit's", worst);
            CHECKF(close_to(f.rect.x, s->src_face.rect.x, 0.5) && close_to(f.rect.y, s->src_face.rect.y, 0.5) &&
                       close_to(f.rect.width, s->src_face.rect.width, 0.5) &&
                       close_to(f.rect.height, s->src_face.rect.height, 0.5),
                   "rect (%g,%g %gx%g) vs (%g,%g %gx%g)", f.rect.x, f.rect.y, f.rect.width, f.rect.height,
                   s->src_face.rect.x, s->src_face.rect.y, s->src_face.rect.width, s->src_face.rect.height);
            CHECKF(close_to(f.box.x, s->src_face.box.x, 0.5) && close_to(f.box.y, s->src_face.box.y, 0.5) &&
                       close_to(f.box.width, s->src_face.box.width, 0.5),
                   "box (%g,%g %gx%g) vs (%g,%g %gx%g)", f.box.x, f.box.y, f.box.width, f.box.height,
                   s->src_face.box.x, s->src_face.box.y, s->src_face.box.width, s->src_face.box.height);
            check_landmarks(&f, "source");
            /* Twice gives the same. */
            fs_face g;
            memset(&g, 0, sizeof g);
            EXPECT_OK(fs_source_get_face(s->src, &g));
            CHECK(memcmp(&g.landmarks, &f.landmarks, sizeof f.landmarks) == 0);
        }
    }

    /* The target: fr_biden2.jpg, one face. */
    s->biden = load_image("fr_biden2.jpg");
    if (s->biden) {
        size_t n = detect_fit(m->det, m->lm, s->biden, faces, 4);
        CHECKF(n == 1, "fr_biden2: %zu faces", n);
        if (n >= 1) {
            s->biden_face = faces[0];
            s->have_biden_face = faces[0].num_landmarks == 68;
        }
        if (s->rec && s->have_biden_face) {
            s->have_emb = EXPECT_OK(fs_face_embedding(s->rec, s->biden, &s->biden_face, s->emb_biden));
            if (s->have_emb) {
                float d = fs_embedding_distance(s->emb_src, s->emb_biden);
                CHECKF(d > 0.6f, "Obama and Biden are only %.3f apart", d);
            }
        }
    }
    group_end();
}

static void test_swap_main(shared_models *m, swap_ctx *s) {
    group_begin("swap", "fs_swap fr_obama1 -> fr_biden2: the target's size and format, 1 face swapped, a "
                        "GRAY8 mask of the target's size; pixels with mask == 0 byte-identical to the "
                        "target; mean |diff| > 5 where mask > 200; the target unchanged; landmarks "
                        "re-detected on the result within 5% of the target's inter-ocular distance; with "
                        "the recognizer the result is nearer the source than the target; NULL mask and "
                        "faces_swapped give the same pixels");
    if (!s->sw || !s->src || !s->biden || !s->have_biden_face) {
        CHECKF(false, "no swapper/source/target from the swap-source group");
        group_end();
        return;
    }
    fs_image *before = copy_image(s->biden);
    fs_image *out = (fs_image *)&out, *mask = (fs_image *)&mask;
    size_t n = 99;
    if (!EXPECT_OK(fs_swap(s->sw, s->src, s->biden, &out, &mask, &n))) {
        fs_image_free(before);
        group_end();
        return;
    }
    CHECK(out != NULL && out != s->biden && mask != NULL && mask != out);
    CHECKF(n == 1, "faces_swapped %zu", n);
    fs_image_view tv, rv, mv;
    if (get_view(s->biden, &tv) && get_view(out, &rv) && get_view(mask, &mv)) {
        CHECKF(rv.width == tv.width && rv.height == tv.height && rv.format == tv.format, "result %dx%d %s, target %dx%d %s",
               (int)rv.width, (int)rv.height, format_name(rv.format), (int)tv.width, (int)tv.height,
               format_name(tv.format));
        CHECKF(mv.width == tv.width && mv.height == tv.height && mv.format == FS_FORMAT_GRAY8, "mask %dx%d %s",
               (int)mv.width, (int)mv.height, format_name(mv.format));
        swap_diff d;
        if (diff_views(&tv, &rv, &mv, &d)) {
            CHECKF(d.outside_changed == 0, "%ld pixels with mask 0 differ from the target", d.outside_changed);
            CHECKF(d.inside > 1000, "only %ld pixels with mask > 200", d.inside);
            CHECKF(d.inside_mad > 5, "mean |diff| where mask > 200 is %.2f: the face did not change", d.inside_mad);
            /* The mask lies around the target's face. */
            CHECKF(d.masked > 0 && box_inside(d.mx0, d.my0, d.mx1, d.my1, s->biden_face.box),
                   "mask spans x %d..%d y %d..%d, the face's box is (%g,%g %gx%g)", d.mx0, d.mx1, d.my0, d.my1,
                   s->biden_face.box.x, s->biden_face.box.y, s->biden_face.box.width, s->biden_face.box.height);
        }
    }
    CHECKF(before && images_identical(before, s->biden), "fs_swap changed its target");

    /* Re-detect on the result. */
    fs_face rf[4];
    size_t rn = detect_fit(m->det, m->lm, out, rf, 4);
    CHECKF(rn == 1, "%zu faces re-detected in the result", rn);
    if (rn >= 1) {
        size_t best = 0;
        fs_point tc = rect_centre(s->biden_face.rect);
        for (size_t i = 1; i < rn && i < 4; i++)
            if (dist(rect_centre(rf[i].rect), tc) < dist(rect_centre(rf[best].rect), tc)) best = i;
        double err = landmark_mean_error(&rf[best], &s->biden_face), iod = inter_ocular(&s->biden_face);
        CHECKF(err < 0.05 * iod, "re-detected landmarks are %.2f px off on average (%.1f%% of the %.1f px "
               "inter-ocular distance)", err, 100 * err / iod, iod);
        if (s->rec && s->have_emb) {
            float e[FS_EMBEDDING_SIZE];
            if (EXPECT_OK(fs_face_embedding(s->rec, out, &rf[best], e))) {
                float ds = fs_embedding_distance(e, s->emb_src), dt = fs_embedding_distance(e, s->emb_biden);
                CHECKF(ds < dt, "result->source %.3f, result->target %.3f", ds, dt);
                printf("    identity: result->source %.3f, result->target %.3f\n", ds, dt);
            }
        }
    }

    /* mask and faces_swapped NULL: the same result. */
    fs_image *out2 = NULL;
    if (EXPECT_OK(fs_swap(s->sw, s->src, s->biden, &out2, NULL, NULL))) {
        CHECKF(images_identical(out, out2), "a second fs_swap (mask NULL) gave different pixels");
        fs_image_free(out2);
    }
    s->result = out;
    s->mask = mask;
    fs_image_free(before);
    group_end();
}

static void test_swap_eval(shared_models *m, swap_ctx *s) {
    group_begin("swap-eval", "fs_eval_swap on the swap result: landmark_error < 0.05, changed_outside == 0, "
                             "seam_score 0.8..1.25, redetected 1; identity fields finite (source nearer) "
                             "with the recognizer, NaN without; the target as its own result; sizes that "
                             "differ -> INVALID_ARGUMENT; a target without a face -> NO_FACE; metrics->struct_size "
                             "0/4/7/too large -> INVALID_ARGUMENT, untouched; an older, smaller struct gets only its bytes");
    if (!s->result || !m->obama) {
        CHECKF(false, "no swap result from the swap group");
        group_end();
        return;
    }
    fs_swap_metrics mt;
    mt.struct_size = sizeof mt;
    mt.identity_to_source = mt.identity_to_target = mt.landmark_error = mt.changed_outside = mt.seam_score = -7;
    mt.redetected = -7;
    if (EXPECT_OK(fs_eval_swap(s->sw, m->obama, s->biden, s->result, &mt))) {
        CHECKF(mt.struct_size == sizeof mt, "struct_size %u after the call", (unsigned)mt.struct_size);
        printf("    metrics: identity_to_source %.3f identity_to_target %.3f landmark_error %.4f changed_outside "
               "%g seam_score %.3f redetected %d\n",
               mt.identity_to_source, mt.identity_to_target, mt.landmark_error, mt.changed_outside, mt.seam_score,
               (int)mt.redetected);
        CHECKF(mt.landmark_error >= 0 && mt.landmark_error < 0.05, "landmark_error %g", mt.landmark_error);
        CHECKF(mt.changed_outside == 0, "changed_outside %g", mt.changed_outside);
        CHECKF(mt.seam_score >= 0.8 && mt.seam_score <= 1.25, "seam_score %g", mt.seam_score);
        CHECKF(mt.redetected == 1, "redetected %d", (int)mt.redetected);
        if (s->rec) {
            CHECKF(isfinite(mt.identity_to_source) && isfinite(mt.identity_to_target), "identity %g %g",
                   mt.identity_to_source, mt.identity_to_target);
            CHECKF(mt.identity_to_source < mt.identity_to_target, "identity_to_source %g >= identity_to_target %g",
                   mt.identity_to_source, mt.identity_to_target);
        } else {
            CHECKF(isnan(mt.identity_to_source) && isnan(mt.identity_to_target), "identity %g %g without a recognizer",
                   mt.identity_to_source, mt.identity_to_target);
        }
    }
    if (s->rec && s->sw_norec && s->sw_norec != s->sw) {
        fs_swap_metrics m2;
        memset(&m2, 0, sizeof m2);
        m2.struct_size = sizeof m2;
        if (EXPECT_OK(fs_eval_swap(s->sw_norec, m->obama, s->biden, s->result, &m2))) {
            CHECKF(isnan(m2.identity_to_source) && isnan(m2.identity_to_target), "identity %g %g without a recognizer",
                   m2.identity_to_source, m2.identity_to_target);
            CHECKF(close_to(m2.landmark_error, mt.landmark_error, 1e-9) && m2.changed_outside == mt.changed_outside &&
                       close_to(m2.seam_score, mt.seam_score, 1e-9) && m2.redetected == mt.redetected,
                   "metrics without the recognizer differ: %g %g %g %d", m2.landmark_error, m2.changed_outside,
                   m2.seam_score, (int)m2.redetected);
        }
    }
    /* No swap at all: the target as the result. */
    fs_swap_metrics m3;
    memset(&m3, 0, sizeof m3);
    m3.struct_size = sizeof m3;
    if (EXPECT_OK(fs_eval_swap(s->sw, m->obama, s->biden, s->biden, &m3))) {
        CHECKF(m3.landmark_error < 0.01 && m3.changed_outside == 0 && m3.redetected == 1,
               "unchanged target: landmark_error %g changed_outside %g redetected %d", m3.landmark_error,
               m3.changed_outside, (int)m3.redetected);
        CHECKF(close_to(m3.seam_score, 1.0, 1e-6), "unchanged target: seam_score %g", m3.seam_score);
        if (s->rec)
            CHECKF(m3.identity_to_target < 0.01 && m3.identity_to_source > m3.identity_to_target,
                   "unchanged target: identity_to_target %g, identity_to_source %g", m3.identity_to_target,
                   m3.identity_to_source);
    }
    fs_image *small = NULL, *dogs = load_image("dlib_dogs_noface.jpg");
    EXPECT_OK(fs_image_create(64, 64, FS_FORMAT_BGR8, &small));
    if (small) EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_eval_swap(s->sw, m->obama, s->biden, small, &mt));
    if (dogs) EXPECT_ST(FS_ERR_NO_FACE, fs_eval_swap(s->sw, m->obama, dogs, dogs, &mt));
    /* The caller's struct_size: 0, below the first field, over FS_STRUCT_SIZE_MAX -> refused, untouched; a
     * smaller (older) struct gets only its bytes, struct_size kept. */
    {
        struct { fs_swap_metrics m; unsigned char canary[64]; } w;
        const uint32_t sizes[] = {0, 4, 7, FS_STRUCT_SIZE_MAX + 1, 0xFFFFFFFFu};
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            memset(&w, 0x5A, sizeof w);
            w.m.struct_size = sizes[i];
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_eval_swap(s->sw, m->obama, s->biden, s->result, &w.m));
            CHECKF(strstr(fs_last_error_message(), "metrics->struct_size") != NULL, "struct_size %u: \"%s\"",
                   (unsigned)sizes[i], fs_last_error_message());
            bool untouched = w.m.struct_size == sizes[i];
            for (size_t k = 4; k < sizeof w; k++) untouched = untouched && ((unsigned char *)&w)[k] == 0x5A;
            CHECKF(untouched, "struct_size %u: a refused metrics struct was written", (unsigned)sizes[i]);
        }
        memset(&w, 0x5A, sizeof w);
        w.m.struct_size = (uint32_t)offsetof(fs_swap_metrics, identity_to_target); /* ends after identity_to_source */
        if (EXPECT_OK(fs_eval_swap(s->sw, m->obama, s->biden, s->result, &w.m))) {
            CHECKF(w.m.struct_size == offsetof(fs_swap_metrics, identity_to_target), "struct_size %u",
                   (unsigned)w.m.struct_size);
            CHECKF(w.m.redetected == 1 && (close_to(w.m.identity_to_source, mt.identity_to_source, 1e-9) ||
                                           (isnan(w.m.identity_to_source) && isnan(mt.identity_to_source))),
                   "redetected %d, identity_to_source %g", (int)w.m.redetected, w.m.identity_to_source);
            bool untouched = true;
            for (size_t k = offsetof(fs_swap_metrics, identity_to_target); k < sizeof w; k++)
                untouched = untouched && ((unsigned char *)&w)[k] == 0x5A;
            CHECKF(untouched, "bytes past the caller's struct_size were written");
        }
    }
    fs_image_free(small);
    fs_image_free(dogs);
    group_end();
}

static void test_swap_modes(shared_models *m) {
    group_begin("swap-modes", "sn_adele_2016 -> fr_rose_leslie2 with every conversion x colour x blend mode "
                              "(2 x 4 x 4): FS_OK, 1 face, pixels with mask 0 identical, the face changed; "
                              "RGB8, BGRA8, RGBA8 and GRAY8 targets keep their format, the pixels outside "
                              "the mask and (4-byte formats) every alpha byte");
    fs_image *adele = load_image("sn_adele_2016.jpg"), *rose = load_image("fr_rose_leslie2.jpg");
    if (!adele || !rose || !m->det || !m->lm) {
        fs_image_free(adele);
        fs_image_free(rose);
        group_end();
        return;
    }
    static const char *mode_names[] = {"AFFINE", "DELAUNAY"};
    static const char *color_names[] = {"NONE", "MEAN", "REINHARD", "HISTOGRAM"};
    static const char *blend_names[] = {"ALPHA", "POISSON", "MULTIBAND", "POISSON_EXACT"};
    int combos_ok = 0;
    for (int mode = 0; mode < 2; mode++)
        for (int color = 0; color < 4; color++)
            for (int blend = 0; blend < 4; blend++) {
                char label[96];
                snprintf(label, sizeof label, "%s/%s/%s", mode_names[mode], color_names[color], blend_names[blend]);
                fs_swap_options o = swap_defaults();
                o.mode = (fs_convert_mode)mode;
                o.color = (fs_color_mode)color;
                o.blend = (fs_blend_mode)blend;
                fs_swapper *sw = new_swapper(m->det, m->lm, NULL, &o);
                fs_source *src = new_source(sw, adele, 0);
                fs_image *out = NULL, *mask = NULL;
                size_t n = 0;
                fs_status st = src ? fs_swap(sw, src, rose, &out, &mask, &n) : FS_ERR_INTERNAL;
                CHECKF(st == FS_OK, "%s: %s: %s", label, status_name(st), fs_last_error_message());
                if (st == FS_OK) {
                    swap_diff d;
                    bool ok = diff_images(rose, out, mask, &d);
                    CHECKF(ok, "%s: result or mask of the wrong size or format", label);
                    CHECKF(n == 1, "%s: %zu faces swapped", label, n);
                    CHECKF(ok && d.outside_changed == 0, "%s: %ld pixels with mask 0 differ", label, d.outside_changed);
                    CHECKF(ok && d.inside > 1000 && d.inside_mad > 5, "%s: %ld pixels with mask > 200, mean |diff| %.2f",
                           label, d.inside, d.inside_mad);
                    combos_ok += ok && n == 1 && d.outside_changed == 0 && d.inside_mad > 5;
                }
                fs_image_free(out);
                fs_image_free(mask);
                fs_source_free(src);
                fs_swapper_free(sw);
            }
    printf("    %d of 32 mode combinations passed every check\n", combos_ok);

    /* Other pixel formats of the target, default options. */
    fs_swapper *sw = new_swapper(m->det, m->lm, NULL, NULL);
    fs_source *src = new_source(sw, adele, 0);
    fs_pixel_format fmts[4] = {FS_FORMAT_RGB8, FS_FORMAT_BGRA8, FS_FORMAT_RGBA8, FS_FORMAT_GRAY8};
    for (int i = 0; i < 4 && src; i++) {
        fs_image *t = NULL, *out = NULL, *mask = NULL;
        if (!EXPECT_OK(fs_image_convert(rose, fmts[i], &t))) continue;
        size_t n = 0;
        fs_status st = fs_swap(sw, src, t, &out, &mask, &n);
        CHECKF(st == FS_OK, "%s target: %s: %s", format_name(fmts[i]), status_name(st), fs_last_error_message());
        if (st == FS_OK) {
            fs_image_view rv;
            if (get_view(out, &rv))
                CHECKF(rv.format == fmts[i], "%s target gave a %s result", format_name(fmts[i]), format_name(rv.format));
            swap_diff d;
            bool ok = diff_images(t, out, mask, &d);
            CHECKF(ok && n == 1, "%s target: %zu faces", format_name(fmts[i]), n);
            CHECKF(ok && d.outside_changed == 0, "%s target: %ld pixels with mask 0 differ", format_name(fmts[i]),
                   d.outside_changed);
            CHECKF(ok && d.inside_mad > 5, "%s target: mean |diff| %.2f where mask > 200", format_name(fmts[i]),
                   d.inside_mad);
            if (has_alpha(fmts[i]))
                CHECKF(ok && d.alpha_changed == 0, "%s target: %ld alpha bytes changed", format_name(fmts[i]),
                       d.alpha_changed);
        }
        fs_image_free(out);
        fs_image_free(mask);
        fs_image_free(t);
    }
    fs_source_free(src);
    fs_swapper_free(sw);
    fs_image_free(adele);
    fs_image_free(rose);
    group_end();
}

static void test_swap_inplace(swap_ctx *s) {
    group_begin("swap-inplace", "fs_swap_inplace on an fs_image_wrap of a caller buffer (padded stride): "
                                "1 face; the buffer equals fs_swap's result byte for byte (so changed "
                                "inside the face, not outside); row padding untouched; faces_swapped NULL "
                                "works");
    if (!s->result || !s->mask) {
        CHECKF(false, "no swap result from the swap group");
        group_end();
        return;
    }
    for (int pass = 0; pass < 2; pass++) {
        fs_image_view v;
        unsigned char *buf = caller_copy(s->biden, 13, &v);
        if (!buf) continue;
        fs_image *w = (fs_image *)&w;
        if (EXPECT_OK(fs_image_wrap(&v, &w))) {
            size_t n = 99;
            if (EXPECT_OK(fs_swap_inplace(s->sw, s->src, w, pass == 0 ? &n : NULL))) {
                if (pass == 0) CHECKF(n == 1, "faces_swapped %zu", n);
                fs_image_view rv, tv, mv;
                if (get_view(s->result, &rv) && get_view(s->biden, &tv) && get_view(s->mask, &mv)) {
                    CHECKF(views_identical(&v, &rv), "pass %d: the caller's buffer differs from fs_swap's result", pass);
                    swap_diff d;
                    if (diff_views(&tv, &v, &mv, &d)) {
                        CHECKF(d.outside_changed == 0, "%ld pixels outside the mask changed", d.outside_changed);
                        CHECKF(d.inside_mad > 5, "mean |diff| %.2f inside the face", d.inside_mad);
                    }
                }
                CHECKF(padding_intact(&v, 13), "pass %d: the row padding was written", pass);
            }
            fs_image_free(w);
        }
        free(buf);
    }
    group_end();
}

static void test_swap_face(shared_models *m, swap_ctx *s) {
    group_begin("swap-face", "fs_swap_face with the landmarks of fs_detect + fs_landmarks_fit gives fs_swap's "
                             "pixels on the one-face target; 0, 5, -1 or 99 landmarks -> INVALID_ARGUMENT and "
                             "the target untouched");
    (void)m;
    if (!s->result || !s->have_biden_face) {
        CHECKF(false, "no swap result from the swap group");
        group_end();
        return;
    }
    fs_image *t = copy_image(s->biden);
    if (t && EXPECT_OK(fs_swap_face(s->sw, s->src, t, &s->biden_face)))
        CHECKF(images_identical(t, s->result), "fs_swap_face's pixels differ from fs_swap's");
    fs_image_free(t);

    t = copy_image(s->biden);
    int32_t counts[4] = {0, 5, -1, 99};
    for (int i = 0; i < 4 && t; i++) {
        fs_face f = s->biden_face;
        f.num_landmarks = counts[i];
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_face(s->sw, s->src, t, &f));
    }
    if (t) CHECKF(images_identical(t, s->biden), "a failed fs_swap_face wrote into the target");
    fs_image_free(t);
    group_end();
}

static void test_swap_index(shared_models *m, swap_ctx *s) {
    group_begin("swap-index", "face_index on fr_two_people_obama_biden: -1 swaps 2 faces, 0 swaps 1 (the "
                              "largest), 5 -> NO_FACE (*out NULL), keep_unmatched with 5 -> FS_OK, 0 faces, "
                              "the image unchanged and an all-zero mask");
    (void)s;
    if (!m->two_det || !m->two || !m->lm || !m->obama) {
        CHECKF(false, "no detector/image from the detect group");
        group_end();
        return;
    }
    fs_face faces[4];
    size_t nf = detect_fit(m->two_det, m->lm, m->two, faces, 4);
    CHECKF(nf == 2, "%zu faces in fr_two_people_obama_biden", nf);
    int32_t idx[4] = {-1, 0, 5, 5};
    int32_t keep[4] = {0, 0, 0, 1};
    for (int i = 0; i < 4; i++) {
        fs_swap_options o = swap_defaults();
        o.face_index = idx[i];
        o.keep_unmatched = keep[i];
        fs_swapper *sw = new_swapper(m->two_det, m->lm, NULL, &o);
        fs_source *src = new_source(sw, m->obama, 0);
        if (!src) {
            fs_swapper_free(sw);
            continue;
        }
        fs_image *out = NULL, *mask = NULL;
        size_t n = 99;
        if (i == 2) {
            out = (fs_image *)&out;
            EXPECT_ST(FS_ERR_NO_FACE, fs_swap(sw, src, m->two, &out, &mask, &n));
            CHECKF(out == NULL, "*out is not NULL after NO_FACE");
            out = NULL;
        } else if (EXPECT_OK(fs_swap(sw, src, m->two, &out, &mask, &n))) {
            swap_diff d;
            bool ok = diff_images(m->two, out, mask, &d);
            CHECK(ok);
            CHECKF(ok && d.outside_changed == 0, "face_index %d: %ld pixels with mask 0 differ", (int)idx[i],
                   d.outside_changed);
            if (i == 0) {
                CHECKF(n == 2, "face_index -1: %zu faces swapped", n);
                for (size_t k = 0; k < nf && k < 2; k++)
                    CHECKF(count_changed_in(m->two, out, faces[k].rect) > 100, "face %zu was not changed", k);
            } else if (i == 1) {
                CHECKF(n == 1, "face_index 0: %zu faces swapped", n);
                if (nf == 2) {
                    CHECKF(ok && d.changed > 0 && box_inside(d.bx0, d.by0, d.bx1, d.by1, faces[0].box),
                           "changes span x %d..%d y %d..%d, outside the largest face's box", d.bx0, d.bx1, d.by0, d.by1);
                    CHECKF(count_changed_in(m->two, out, faces[1].rect) == 0, "the smaller face changed");
                }
            } else {
                CHECKF(n == 0, "keep_unmatched: %zu faces swapped", n);
                CHECKF(out != m->two && images_identical(out, m->two), "keep_unmatched: the result is not an unchanged copy");
                CHECKF(mask != NULL && all_zero(mask), "keep_unmatched: the mask is missing or not all zero");
            }
        }
        fs_image_free(out);
        fs_image_free(mask);
        fs_source_free(src);
        fs_swapper_free(sw);
    }
    group_end();
}

static void test_swap_noface(shared_models *m, swap_ctx *s) {
    group_begin("swap-noface", "a target without a face (dlib_dogs_noface): fs_swap and fs_swap_inplace -> "
                               "NO_FACE with a message, the buffer untouched; keep_unmatched -> FS_OK, 0 "
                               "faces, an unchanged copy; a source image without a face -> NO_FACE; "
                               "source face_index 3 or -1 on a one-face image -> INVALID_ARGUMENT; index 1 of "
                               "the two-face image is the smaller face");
    fs_image *dogs = load_image("dlib_dogs_noface.jpg");
    if (!dogs || !s->sw || !s->src) {
        fs_image_free(dogs);
        group_end();
        return;
    }
    fs_image *out = NULL, *mask = NULL;
    size_t n = 99;
    EXPECT_ST(FS_ERR_NO_FACE, fs_swap(s->sw, s->src, dogs, &out, &mask, &n));
    CHECKF(strstr(fs_last_error_message(), "fs_swap") != NULL, "message \"%s\"", fs_last_error_message());
    CHECK(out == NULL && mask == NULL);
    CHECKF(n == 99 || n == 0, "faces_swapped %zu after NO_FACE", n);
    {
        fs_image_view v;
        unsigned char *buf = caller_copy(dogs, 5, &v);
        fs_image *w = NULL;
        if (buf && EXPECT_OK(fs_image_wrap(&v, &w))) {
            EXPECT_ST(FS_ERR_NO_FACE, fs_swap_inplace(s->sw, s->src, w, &n));
            fs_image_view dv;
            if (get_view(dogs, &dv)) CHECKF(views_identical(&v, &dv), "fs_swap_inplace wrote into a no-face target");
            fs_image_free(w);
        }
        free(buf);
    }

    fs_swap_options o = swap_defaults();
    o.keep_unmatched = 1;
    fs_swapper *keep = new_swapper(m->det, m->lm, NULL, &o);
    fs_source *ksrc = new_source(keep, m->obama, 0);
    if (ksrc) {
        n = 99;
        if (EXPECT_OK(fs_swap(keep, ksrc, dogs, &out, &mask, &n))) {
            CHECKF(n == 0, "%zu faces swapped", n);
            CHECKF(out != NULL && out != dogs && images_identical(out, dogs), "not an unchanged copy");
            CHECKF(mask != NULL && all_zero(mask), "mask missing or not all zero");
            fs_image_free(out);
            fs_image_free(mask);
            out = mask = NULL;
        }
        fs_image *c = copy_image(dogs);
        n = 99;
        if (c && EXPECT_OK(fs_swap_inplace(keep, ksrc, c, &n))) {
            CHECK(n == 0);
            CHECK(images_identical(c, dogs));
        }
        fs_image_free(c);
    }
    fs_source_free(ksrc);
    fs_swapper_free(keep);

    /* Sources. */
    fs_source *bad = (fs_source *)&bad;
    EXPECT_ST(FS_ERR_NO_FACE, fs_source_prepare(s->sw, dogs, 0, &bad));
    CHECK(bad == NULL);
    if (m->obama) {
        bad = (fs_source *)&bad;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_prepare(s->sw, m->obama, 3, &bad));
        CHECK(bad == NULL);
        bad = NULL;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_prepare(s->sw, m->obama, 1, &bad));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_prepare(s->sw, m->obama, -1, &bad));
        CHECK(bad == NULL);
    }
    if (m->two && m->two_det) {
        fs_face faces[4];
        size_t nf = detect_fit(m->two_det, m->lm, m->two, faces, 4);
        fs_swapper *sw2 = new_swapper(m->two_det, m->lm, NULL, NULL);
        fs_source *s1 = new_source(sw2, m->two, 1);
        fs_face f;
        if (s1 && nf == 2 && EXPECT_OK(fs_source_get_face(s1, &f)))
            CHECKF(f.num_landmarks == 68 && landmark_mean_error(&f, &faces[1]) < 0.5,
                   "source index 1 is not the smaller face");
        fs_source_free(s1);
        fs_swapper_free(sw2);
    }
    fs_image_free(dogs);
    group_end();
}

static void test_swap_reference(shared_models *m, swap_ctx *s) {
    group_begin("swap-reference", "use_reference without a recognizer -> MODEL; with the recognizer and "
                                  "Biden's embedding from fr_biden2: exactly 1 face of "
                                  "fr_two_people_obama_biden is swapped, the right-hand one (Biden's box holds "
                                  "every changed pixel, Obama's none); threshold 0.01 -> NO_FACE; a NaN "
                                  "reference -> INVALID_ARGUMENT (ignored when use_reference is 0)");
    fs_swap_options o = swap_defaults();
    o.use_reference = 1;
    fs_swapper *sw = (fs_swapper *)&sw;
    if (m->det && m->lm) {
        EXPECT_ST(FS_ERR_MODEL, fs_swapper_create(m->det, m->lm, NULL, &o, &sw));
        CHECK(sw == NULL);
    }
    if (!s->rec || !s->have_emb || !m->two || !m->two_det) {
        CHECKF(false, "no recognizer (dlib_face_recognition_resnet_model_v1.dat, installed by make test): identity selection checks not run");
        group_end();
        return;
    }
    fs_face faces[4];
    size_t nf = detect_fit(m->two_det, m->lm, m->two, faces, 4);
    if (nf != 2) {
        CHECKF(false, "%zu faces in fr_two_people_obama_biden", nf);
        group_end();
        return;
    }
    int right = rect_centre(faces[0].rect).x > rect_centre(faces[1].rect).x ? 0 : 1, left = 1 - right;
    float e_right[FS_EMBEDDING_SIZE], e_left[FS_EMBEDDING_SIZE];
    if (EXPECT_OK(fs_face_embedding(s->rec, m->two, &faces[right], e_right)) &&
        EXPECT_OK(fs_face_embedding(s->rec, m->two, &faces[left], e_left))) {
        float dr = fs_embedding_distance(e_right, s->emb_biden), dl = fs_embedding_distance(e_left, s->emb_biden);
        CHECKF(dr < 0.6f && dl > 0.6f, "premise: the right-hand face is %.3f from Biden, the left %.3f", dr, dl);
    }
    memcpy(o.reference, s->emb_biden, sizeof o.reference);
    sw = new_swapper(m->two_det, m->lm, s->rec, &o);
    fs_source *src = new_source(sw, m->obama, 0);
    if (src) {
        fs_image *out = NULL, *mask = NULL;
        size_t n = 99;
        if (EXPECT_OK(fs_swap(sw, src, m->two, &out, &mask, &n))) {
            CHECKF(n == 1, "%zu faces swapped", n);
            swap_diff d;
            if (diff_images(m->two, out, mask, &d)) {
                CHECKF(d.changed > 1000, "only %ld pixels changed", d.changed);
                CHECKF(box_inside(d.bx0, d.by0, d.bx1, d.by1, faces[right].box),
                       "changes span x %d..%d y %d..%d; Biden's box is (%g,%g %gx%g)", d.bx0, d.bx1, d.by0, d.by1,
                       faces[right].box.x, faces[right].box.y, faces[right].box.width, faces[right].box.height);
                CHECKF(d.outside_changed == 0, "%ld pixels with mask 0 differ", d.outside_changed);
            }
            long in_left = count_changed_in(m->two, out, faces[left].box);
            CHECKF(in_left == 0, "%ld pixels changed in Obama's box", in_left);
        }
        fs_image_free(out);
        fs_image_free(mask);
    }
    fs_source_free(src);
    fs_swapper_free(sw);

    /* Nobody within 0.01. */
    o.identity_threshold = 0.01f;
    sw = new_swapper(m->two_det, m->lm, s->rec, &o);
    src = new_source(sw, m->obama, 0);
    if (src) {
        fs_image *out = (fs_image *)&out;
        EXPECT_ST(FS_ERR_NO_FACE, fs_swap(sw, src, m->two, &out, NULL, NULL));
        CHECK(out == NULL);
    }
    fs_source_free(src);
    fs_swapper_free(sw);

    /* A NaN in the reference. */
    o = swap_defaults();
    o.use_reference = 1;
    memcpy(o.reference, s->emb_biden, sizeof o.reference);
    o.reference[17] = NAN;
    sw = (fs_swapper *)&sw;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create(m->two_det, m->lm, s->rec, &o, &sw));
    CHECK(sw == NULL);
    o.use_reference = 0;
    sw = new_swapper(m->two_det, m->lm, s->rec, &o);
    fs_swapper_free(sw);
    group_end();
}

/* ---- colour sets, embeddings ---- */

static rgba shift_a1(int x, int y) { return (rgba){80 + (x + y) % 5, 60 + y, 40 + x, 5 + 10 * x}; }
static rgba shift_a2(int x, int y) { (void)x; (void)y; return (rgba){90, 70, 50, 200}; }
static rgba shift_b1(int x, int y) { return (rgba){30 + x, 100 + 2 * y, 120 + x, 255}; }
static rgba shift_b2(int x, int y) { (void)x; (void)y; return (rgba){60, 110, 140, 255}; }

/* Per byte-position means (channel 0..3) over every pixel of a set; false when unreadable. */
static bool set_means(const fs_image *const *set, size_t n, double mean[4]) {
    double sum[4] = {0, 0, 0, 0};
    double pixels = 0;
    for (size_t i = 0; i < n; i++) {
        fs_image_view v;
        if (!get_view(set[i], &v)) return false;
        int bpp = bytes_per_pixel(v.format);
        for (int y = 0; y < v.height; y++)
            for (int x = 0; x < v.width; x++) {
                const unsigned char *p = pixel_ptr(&v, x, y);
                for (int c = 0; c < bpp; c++) sum[c] += p[c];
            }
        pixels += (double)v.width * v.height;
    }
    for (int c = 0; c < 4; c++) mean[c] = pixels > 0 ? sum[c] / pixels : 0;
    return true;
}

/* The byte differences of every pixel to pixel (0, 0) changed by more than 1 somewhere. */
static int structure_changed(const fs_image *before, const fs_image *after, int channels) {
    fs_image_view a, b;
    if (!get_view(before, &a) || !get_view(after, &b)) return -1;
    int bad = 0;
    for (int y = 0; y < a.height; y++)
        for (int x = 0; x < a.width; x++)
            for (int c = 0; c < channels; c++) {
                int da = (int)pixel_ptr(&a, x, y)[c] - (int)pixel_ptr(&a, 0, 0)[c];
                int db = (int)pixel_ptr(&b, x, y)[c] - (int)pixel_ptr(&b, 0, 0)[c];
                bad += abs(da - db) > 1;
            }
    return bad;
}

static void test_mean_shift(void) {
    group_begin("mean-shift", "fs_color_mean_shift on synthetic BGR8 and RGBA8 sets (gradients and "
                              "constants, no clipping): set A's per-channel mean = set B's within 0.51, "
                              "A's structure kept within 1, B and A's alpha unchanged; NULL set or entry, "
                              "empty set -> INVALID_ARGUMENT; GRAY8 in a set, all-GRAY8 sets, BGR8 with "
                              "RGB8 -> UNSUPPORTED; A untouched on failure");
    fs_pixel_format fmts[2] = {FS_FORMAT_BGR8, FS_FORMAT_RGBA8};
    for (int k = 0; k < 2; k++) {
        fs_pixel_format f = fmts[k];
        fs_image *a[2] = {make_image(10, 8, f, shift_a1), make_image(6, 6, f, shift_a2)};
        const fs_image *b[2] = {make_image(12, 5, f, shift_b1), make_image(7, 3, f, shift_b2)};
        fs_image *a0[2] = {a[0] ? copy_image(a[0]) : NULL, a[1] ? copy_image(a[1]) : NULL};
        fs_image *b0[2] = {b[0] ? copy_image(b[0]) : NULL, b[1] ? copy_image(b[1]) : NULL};
        if (a[0] && a[1] && b[0] && b[1] && a0[0] && a0[1] && b0[0] && b0[1]) {
            double ma[4], mb[4], after[4];
            set_means((const fs_image *const *)a0, 2, ma);
            set_means(b, 2, mb);
            if (EXPECT_OK(fs_color_mean_shift(a, 2, b, 2)) && set_means((const fs_image *const *)a, 2, after)) {
                int colour = 3;
                for (int c = 0; c < colour; c++)
                    CHECKF(close_to(after[c], mb[c], 0.51), "%s channel %d: mean of A %.3f (was %.3f), of B %.3f",
                           format_name(f), c, after[c], ma[c], mb[c]);
                CHECKF(structure_changed(a0[0], a[0], colour) == 0, "%s: A[0]'s gradient changed", format_name(f));
                CHECKF(structure_changed(a0[1], a[1], colour) == 0, "%s: A[1] is no longer constant", format_name(f));
                CHECKF(images_identical(b[0], b0[0]) && images_identical(b[1], b0[1]), "%s: set B changed", format_name(f));
                if (has_alpha(f)) {
                    CHECKF(close_to(after[3], ma[3], 1e-9), "%s: A's alpha mean %.3f, was %.3f", format_name(f), after[3],
                           ma[3]);
                }
            }
        }
        for (int i = 0; i < 2; i++) {
            fs_image_free(a[i]);
            fs_image_free((fs_image *)b[i]);
            fs_image_free(a0[i]);
            fs_image_free(b0[i]);
        }
    }

    /* Errors; set A must be left untouched. */
    fs_image *a1 = make_image(10, 8, FS_FORMAT_BGR8, shift_a1), *orig = a1 ? copy_image(a1) : NULL;
    fs_image *b1 = make_image(12, 5, FS_FORMAT_BGR8, shift_b1);
    fs_image *rgb = make_image(12, 5, FS_FORMAT_RGB8, shift_b1);
    fs_image *gray = make_image(9, 9, FS_FORMAT_GRAY8, shift_b1), *gray2 = make_image(9, 9, FS_FORMAT_GRAY8, shift_a1);
    if (a1 && orig && b1 && rgb && gray && gray2) {
        fs_image *sa[2] = {a1, NULL};
        const fs_image *sb[2] = {b1, NULL};
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(sa, 2, sb, 1));    /* NULL entry in A */
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(sa, 1, sb, 2));    /* NULL entry in B */
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(sa, 0, sb, 1));    /* empty A */
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(sa, 1, sb, 0));    /* empty B */
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(NULL, 1, sb, 1));  /* NULL set A */
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(sa, 1, NULL, 1));  /* NULL set B */
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(NULL, 0, NULL, 0));
        fs_image *mixed_a[2] = {a1, gray};
        EXPECT_ST(FS_ERR_UNSUPPORTED, fs_color_mean_shift(mixed_a, 2, sb, 1));   /* GRAY8 in A */
        const fs_image *mixed_b[2] = {b1, gray};
        EXPECT_ST(FS_ERR_UNSUPPORTED, fs_color_mean_shift(sa, 1, mixed_b, 2));   /* GRAY8 in B */
        fs_image *ga[1] = {gray2};
        const fs_image *gb[1] = {gray};
        EXPECT_ST(FS_ERR_UNSUPPORTED, fs_color_mean_shift(ga, 1, gb, 1));        /* grey sets */
        const fs_image *rb[1] = {rgb};
        EXPECT_ST(FS_ERR_UNSUPPORTED, fs_color_mean_shift(sa, 1, rb, 1));        /* BGR8 with RGB8 */
        fs_image *ab[2] = {a1, rgb};
        EXPECT_ST(FS_ERR_UNSUPPORTED, fs_color_mean_shift(ab, 2, sb, 1));        /* mixed within A */
        CHECKF(images_identical(a1, orig), "a failed fs_color_mean_shift changed set A");
        /* A freed image and a handle of another kind in a set. */
        fs_image *tmp = make_image(4, 4, FS_FORMAT_BGR8, shift_b2);
        if (tmp) {
            uintptr_t stale = (uintptr_t)tmp;
            fs_image_free(tmp);
            const fs_image *fb[1] = {(const fs_image *)stale};
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(sa, 1, fb, 1));
        }
        fs_detector_options o = detector_defaults();
        fs_detector *d = NULL;
        if (EXPECT_OK(fs_detector_create(&o, &d))) {
            fs_image *wa[1] = {(fs_image *)d};
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(wa, 1, sb, 1));
            fs_detector_free(d);
        }
        CHECK(images_identical(a1, orig));
        /* One image shifted towards itself: unchanged. */
        const fs_image *self[1] = {a1};
        if (EXPECT_OK(fs_color_mean_shift(sa, 1, self, 1))) CHECKF(images_identical(a1, orig), "shift towards itself changed A");
    }
    fs_image_free(a1);
    fs_image_free(orig);
    fs_image_free(b1);
    fs_image_free(rgb);
    fs_image_free(gray);
    fs_image_free(gray2);
    group_end();
}

static void test_embeddings(shared_models *m, swap_ctx *s) {
    group_begin("embedding", "fs_embedding_distance: NULL either side -> NaN; x with itself 0; (0,..) to "
                             "(3,4,0,..) = 5, symmetric; recognizer embeddings of one face are "
                             "deterministic; a face without landmarks -> INVALID_ARGUMENT");
    float z[FS_EMBEDDING_SIZE], t[FS_EMBEDDING_SIZE];
    memset(z, 0, sizeof z);
    memset(t, 0, sizeof t);
    t[0] = 3;
    t[1] = 4;
    CHECK(isnan(fs_embedding_distance(NULL, t)));
    CHECK(isnan(fs_embedding_distance(t, NULL)));
    CHECK(isnan(fs_embedding_distance(NULL, NULL)));
    CHECK(fs_embedding_distance(t, t) == 0.0f);
    CHECKF(close_to(fs_embedding_distance(z, t), 5.0, 1e-5), "%g", fs_embedding_distance(z, t));
    CHECK(fs_embedding_distance(z, t) == fs_embedding_distance(t, z));
    float v[FS_EMBEDDING_SIZE];
    for (int i = 0; i < FS_EMBEDDING_SIZE; i++) v[i] = (float)(i % 7) * 0.01f - 0.03f;
    CHECK(fs_embedding_distance(v, v) == 0.0f);
    if (s->rec && s->have_emb && m->obama && s->have_src_face) {
        CHECK(fs_embedding_distance(s->emb_src, s->emb_src) == 0.0f);
        float e[FS_EMBEDDING_SIZE];
        if (EXPECT_OK(fs_face_embedding(s->rec, m->obama, &s->src_face, e)))
            CHECKF(fs_embedding_distance(e, s->emb_src) < 1e-6f, "the same face embeds %g apart",
                   fs_embedding_distance(e, s->emb_src));
        fs_face bare = s->src_face;
        bare.num_landmarks = 0;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_face_embedding(s->rec, m->obama, &bare, e));
        CHECK(close_to(fs_embedding_distance(s->emb_src, s->emb_biden), fs_embedding_distance(s->emb_biden, s->emb_src), 1e-6));
    } else {
        CHECKF(false, "no recognizer (dlib_face_recognition_resnet_model_v1.dat, installed by make test): embedding checks on faces not run");
    }
    group_end();
}

/* ---- bad input to the swapping API ---- */

static void test_swap_null_args(shared_models *m, swap_ctx *s) {
    group_begin("swap-null-args", "NULL for every pointer argument of every swapping function -> "
                                  "INVALID_ARGUMENT with a message (outs NULL, targets untouched); the "
                                  "optional recognizer and options may be NULL; *_free(NULL) are no-ops");
    if (!s->sw || !s->src || !s->biden || !s->have_biden_face || !m->obama) {
        CHECKF(false, "no swapper/source/target from the swap groups");
        group_end();
        return;
    }
    fs_image *t = copy_image(s->biden);
    fs_face face = s->biden_face;
    float emb[FS_EMBEDDING_SIZE];
    fs_swap_metrics mt = {.struct_size = sizeof mt};
    fs_swap_options o = swap_defaults();
    size_t n = 0;

    if (s->rec_path[0]) EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_recognizer_create(s->rec_path, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_face_embedding(NULL, m->obama, &face, emb));
    if (s->rec) {
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_face_embedding(s->rec, NULL, &face, emb));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_face_embedding(s->rec, m->obama, NULL, emb));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_face_embedding(s->rec, m->obama, &face, NULL));
    }

    fs_swapper *sw = (fs_swapper *)&sw;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create(NULL, m->lm, NULL, &o, &sw));
    CHECK(sw == NULL);
    sw = (fs_swapper *)&sw;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create(m->det, NULL, NULL, &o, &sw));
    CHECK(sw == NULL);
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create(m->det, m->lm, s->rec, &o, NULL));
    sw = NULL;
    if (EXPECT_OK(fs_swapper_create(m->det, m->lm, NULL, NULL, &sw))) { /* both optional */
        CHECK(sw != NULL);
        fs_swapper_free(sw);
    }

    fs_source *src = (fs_source *)&src;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_prepare(NULL, m->obama, 0, &src));
    CHECK(src == NULL);
    src = (fs_source *)&src;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_prepare(s->sw, NULL, 0, &src));
    CHECK(src == NULL);
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_prepare(s->sw, m->obama, 0, NULL));
    fs_face f;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_get_face(NULL, &f));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_get_face(s->src, NULL));

    fs_image *out = (fs_image *)&out, *mask = NULL;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap(NULL, s->src, t, &out, &mask, &n));
    CHECK(out == NULL && mask == NULL);
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap(s->sw, NULL, t, &out, &mask, &n));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap(s->sw, s->src, NULL, &out, &mask, &n));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap(s->sw, s->src, t, NULL, &mask, &n));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap(s->sw, s->src, t, NULL, NULL, NULL));
    CHECK(out == NULL && mask == NULL);

    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_inplace(NULL, s->src, t, &n));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_inplace(s->sw, NULL, t, &n));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_inplace(s->sw, s->src, NULL, &n));

    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_face(NULL, s->src, t, &face));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_face(s->sw, NULL, t, &face));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_face(s->sw, s->src, NULL, &face));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_face(s->sw, s->src, t, NULL));
    if (t) CHECKF(images_identical(t, s->biden), "a failing call wrote into the target");

    fs_image *one[1] = {t};
    const fs_image *cone[1] = {s->biden};
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(NULL, 1, cone, 1));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(one, 1, NULL, 1));

    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_eval_swap(NULL, m->obama, s->biden, t, &mt));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_eval_swap(s->sw, NULL, s->biden, t, &mt));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_eval_swap(s->sw, m->obama, NULL, t, &mt));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_eval_swap(s->sw, m->obama, s->biden, NULL, &mt));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_eval_swap(s->sw, m->obama, s->biden, t, NULL));

    fs_recognizer_free(NULL);
    fs_swapper_free(NULL);
    fs_source_free(NULL);
    CHECK(true); /* reached */
    fs_image_free(t);
    group_end();
}

static void test_swap_handles(shared_models *m, swap_ctx *s) {
    group_begin("swap-handles", "wrong-kind handles (an fs_image as fs_swapper, an fs_swapper as fs_source, "
                                "...) and freed sources and swappers -> INVALID_ARGUMENT; wrong-kind and "
                                "double frees are ignored; a swapper outlives the detector it was made with");
    if (!s->sw || !s->src || !s->biden || !m->obama || !m->det || !m->lm) {
        CHECKF(false, "no swapper/source/target from the swap groups");
        group_end();
        return;
    }
    fs_image *img = NULL, *t = copy_image(s->biden);
    EXPECT_OK(fs_image_create(32, 32, FS_FORMAT_BGR8, &img));
    fs_face face = s->biden_face, f;
    fs_image *out = NULL;
    fs_source *src = NULL;
    fs_swapper *sw = NULL;
    size_t n = 0;
    float emb[FS_EMBEDDING_SIZE];
    fs_swap_metrics mt = {.struct_size = sizeof mt};
    if (img && t) {
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_prepare((const fs_swapper *)img, m->obama, 0, &src));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_prepare((const fs_swapper *)s->src, m->obama, 0, &src));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_prepare(s->sw, (const fs_image *)s->src, 0, &src));
        CHECK(src == NULL);
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap(s->sw, (const fs_source *)s->sw, t, &out, NULL, NULL));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap(s->sw, (const fs_source *)img, t, &out, NULL, NULL));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap((const fs_swapper *)s->src, s->src, t, &out, NULL, NULL));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap(s->sw, s->src, (const fs_image *)s->sw, &out, NULL, NULL));
        CHECK(out == NULL);
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_inplace(s->sw, s->src, (fs_image *)s->src, &n));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_inplace((const fs_swapper *)m->det, s->src, t, &n));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_face(s->sw, (const fs_source *)m->lm, t, &face));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_get_face((const fs_source *)img, &f));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_get_face((const fs_source *)s->sw, &f));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create((const fs_detector *)m->lm, m->lm, NULL, NULL, &sw));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create(m->det, (const fs_landmarker *)m->det, NULL, NULL, &sw));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create(m->det, m->lm, (const fs_recognizer *)m->det, NULL, &sw));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create(m->det, m->lm, (const fs_recognizer *)img, NULL, &sw));
        CHECK(sw == NULL);
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_face_embedding((const fs_recognizer *)s->sw, m->obama, &face, emb));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_eval_swap((const fs_swapper *)m->det, m->obama, s->biden, t, &mt));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_eval_swap(s->sw, (const fs_image *)s->src, s->biden, t, &mt));
        CHECKF(images_identical(t, s->biden), "a failing call wrote into the target");

        /* Wrong-kind frees are ignored: the handles still work. */
        fs_source_free((fs_source *)s->sw);
        fs_swapper_free((fs_swapper *)s->src);
        fs_recognizer_free((fs_recognizer *)s->sw);
        fs_image_free((fs_image *)s->src);
        fs_swapper_free((fs_swapper *)img);
        EXPECT_OK(fs_source_get_face(s->src, &f));
        EXPECT_ST(FS_ERR_NO_FACE, fs_source_prepare(s->sw, img, 0, &src)); /* the swapper is live */
        CHECK(src == NULL);
    }

    /* A freed source. */
    fs_source *s2 = new_source(s->sw, m->obama, 0);
    if (s2 && t) {
        uintptr_t stale = (uintptr_t)s2;
        fs_source_free(s2);
        s2 = NULL;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_get_face((const fs_source *)stale, &f));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap(s->sw, (const fs_source *)stale, t, &out, NULL, NULL));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_inplace(s->sw, (const fs_source *)stale, t, &n));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_face(s->sw, (const fs_source *)stale, t, &face));
        fs_source_free((fs_source *)stale); /* double free: ignored */
        CHECK(out == NULL);
        CHECKF(images_identical(t, s->biden), "a freed source wrote into the target");
    }
    /* A freed swapper; a swapper whose detector was freed. */
    {
        fs_detector_options o = detector_defaults();
        fs_detector *d = NULL;
        if (EXPECT_OK(fs_detector_create(&o, &d))) {
            fs_swapper *sw2 = new_swapper(d, m->lm, NULL, NULL);
            fs_detector_free(d); /* the swapper keeps its own reference */
            d = NULL;
            fs_source *s3 = new_source(sw2, m->obama, 0);
            CHECKF(s3 != NULL, "a swapper whose detector handle was freed cannot prepare a source");
            fs_source_free(s3);
            if (sw2) {
                uintptr_t stale = (uintptr_t)sw2;
                fs_swapper_free(sw2);
                sw2 = NULL;
                EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_prepare((const fs_swapper *)stale, m->obama, 0, &src));
                EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap((const fs_swapper *)stale, s->src, s->biden, &out, NULL, NULL));
                fs_swapper_free((fs_swapper *)stale);
                CHECK(true);
            }
        }
    }
    fs_image_free(img);
    fs_image_free(t);
    group_end();
}

/* Accepts the option's C name or the same words with spaces ("face_index" or "face index"). */
static bool message_names(const char *msg, const char *field) {
    char spaced[64];
    snprintf(spaced, sizeof spaced, "%s", field);
    for (char *p = spaced; *p; p++)
        if (*p == '_') *p = ' ';
    return strstr(msg, field) != NULL || strstr(msg, spaced) != NULL;
}

static void test_swap_bad_options(shared_models *m, swap_ctx *s) {
    group_begin("swap-bad-options", "fs_swapper_create: struct_size 0/4 -> INVALID_ARGUMENT; mode 7, colour 9, "
                                    "blend 9 -> UNSUPPORTED; feather 0.9/-0.1/NaN, expression 2/-0.1, erode 1/-0.5, "
                                    "forehead 1.5, face_index -5, identity_threshold 0/-1/NaN -> INVALID_ARGUMENT "
                                    "naming the option (*out NULL); the range ends work; an older, smaller "
                                    "struct works with the defaults; a 5-point landmarker -> UNSUPPORTED");
    (void)s;
    if (!m->det || !m->lm) {
        CHECKF(false, "no detector/landmarker");
        group_end();
        return;
    }
    fs_swap_options o = swap_defaults();
    fs_swapper *sw = (fs_swapper *)&sw;
    o.struct_size = 0;
    if (EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create(m->det, m->lm, NULL, &o, &sw)) == FS_OK) fs_swapper_free(sw);
    CHECK(sw == NULL);
    o.struct_size = 4;
    sw = NULL;
    if (EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create(m->det, m->lm, NULL, &o, &sw)) == FS_OK) fs_swapper_free(sw);

    struct {
        const char *name;
        const char *field;
        fs_status want;
        fs_swap_options o;
    } bad[20];
    int nbad = 0;
#define BAD(label, fieldname, status, stmt)              \
    do {                                                 \
        bad[nbad].name = label;                          \
        bad[nbad].field = fieldname;                     \
        bad[nbad].want = status;                         \
        bad[nbad].o = swap_defaults();         \
        { fs_swap_options *op = &bad[nbad].o; stmt; }    \
        nbad++;                                          \
    } while (0)
    BAD("mode 7", "mode", FS_ERR_UNSUPPORTED, op->mode = (fs_convert_mode)7);
    BAD("color 9", "colour", FS_ERR_UNSUPPORTED, op->color = (fs_color_mode)9);
    BAD("blend 9", "blend", FS_ERR_UNSUPPORTED, op->blend = (fs_blend_mode)9);
    BAD("feather 0.9", "feather", FS_ERR_INVALID_ARGUMENT, op->feather = 0.9f);
    BAD("feather -0.1", "feather", FS_ERR_INVALID_ARGUMENT, op->feather = -0.1f);
    BAD("feather NaN", "feather", FS_ERR_INVALID_ARGUMENT, op->feather = NAN);
    BAD("expression 2", "expression", FS_ERR_INVALID_ARGUMENT, op->expression = 2.0f);
    BAD("expression -0.1", "expression", FS_ERR_INVALID_ARGUMENT, op->expression = -0.1f);
    BAD("erode 1", "erode", FS_ERR_INVALID_ARGUMENT, op->erode = 1.0f);
    BAD("erode -0.5", "erode", FS_ERR_INVALID_ARGUMENT, op->erode = -0.5f);
    BAD("forehead 1.5", "forehead", FS_ERR_INVALID_ARGUMENT, op->forehead = 1.5f);
    BAD("face_index -5", "face_index", FS_ERR_INVALID_ARGUMENT, op->face_index = -5);
    BAD("identity_threshold 0", "identity_threshold", FS_ERR_INVALID_ARGUMENT, op->identity_threshold = 0.0f);
    BAD("identity_threshold -1", "identity_threshold", FS_ERR_INVALID_ARGUMENT, op->identity_threshold = -1.0f);
    BAD("identity_threshold NaN", "identity_threshold", FS_ERR_INVALID_ARGUMENT, op->identity_threshold = NAN);
#undef BAD
    for (int i = 0; i < nbad; i++) {
        sw = (fs_swapper *)&sw;
        fs_status st = EXPECT_ST(bad[i].want, fs_swapper_create(m->det, m->lm, NULL, &bad[i].o, &sw));
        CHECKF(st != FS_OK || sw == NULL, "%s: *out not NULL", bad[i].name);
        if (st == FS_OK) {
            fs_swapper_free(sw);
            sw = NULL;
        }
        if (st == bad[i].want && st != FS_OK) {
            const char *msg = fs_last_error_message();
            bool named = message_names(msg, bad[i].field) || (strcmp(bad[i].field, "colour") == 0 && strstr(msg, "color"));
            CHECKF(named, "%s: the message does not name %s: \"%s\"", bad[i].name, bad[i].field, msg);
        }
    }
    /* The ends of the documented ranges. */
    struct {
        const char *name;
        fs_swap_options o;
    } good[10];
    int ngood = 0;
#define GOOD(label, stmt)                              \
    do {                                               \
        good[ngood].name = label;                      \
        good[ngood].o = swap_defaults();     \
        { fs_swap_options *op = &good[ngood].o; stmt; } \
        ngood++;                                       \
    } while (0)
    GOOD("feather 0", op->feather = 0.0f);
    GOOD("feather 0.5", op->feather = 0.5f);
    GOOD("erode -0.3", op->erode = -0.3f);
    GOOD("erode 0.3", op->erode = 0.3f);
    GOOD("expression 0", op->expression = 0.0f);
    GOOD("expression 1", op->expression = 1.0f);
    GOOD("forehead 0", op->forehead = 0.0f);
    GOOD("forehead 1", op->forehead = 1.0f);
    GOOD("face_index 3", op->face_index = 3);
    GOOD("keep_mouth 0, POISSON_EXACT, HISTOGRAM, AFFINE",
         (op->keep_mouth = 0, op->blend = FS_BLEND_POISSON_EXACT, op->color = FS_COLOR_HISTOGRAM, op->mode = FS_CONVERT_AFFINE));
#undef GOOD
    for (int i = 0; i < ngood; i++) {
        sw = NULL;
        fs_status st = fs_swapper_create(m->det, m->lm, NULL, &good[i].o, &sw);
        CHECKF(st == FS_OK && sw != NULL, "%s: %s: %s", good[i].name, status_name(st), fs_last_error_message());
        fs_swapper_free(sw);
    }

    /* An older caller: the struct ends before keep_unmatched; what lies after is not read. */
    o = swap_defaults();
    o.struct_size = (uint32_t)offsetof(fs_swap_options, keep_unmatched);
    o.keep_unmatched = 1;
    o.use_reference = 1;            /* would be MODEL without a recognizer */
    o.identity_threshold = -1.0f;   /* would be INVALID_ARGUMENT */
    sw = NULL;
    if (EXPECT_OK(fs_swapper_create(m->det, m->lm, NULL, &o, &sw))) {
        fs_image *dogs = load_image("dlib_dogs_noface.jpg");
        fs_source *src = m->obama ? new_source(sw, m->obama, 0) : NULL;
        fs_image *out = NULL;
        if (dogs && src) EXPECT_ST(FS_ERR_NO_FACE, fs_swap(sw, src, dogs, &out, NULL, NULL)); /* keep_unmatched 0 */
        fs_image_free(out);
        fs_source_free(src);
        fs_image_free(dogs);
        fs_swapper_free(sw);
    }

    /* A 5-point landmarker cannot drive a swap. */
    char p5[4096];
    if (fs_model_find("shape_predictor_5_face_landmarks.dat", p5, sizeof p5) == FS_OK) {
        fs_landmarker *lm5 = NULL;
        if (EXPECT_OK(fs_landmarker_create(p5, &lm5))) {
            sw = (fs_swapper *)&sw;
            if (EXPECT_ST(FS_ERR_UNSUPPORTED, fs_swapper_create(m->det, lm5, NULL, NULL, &sw)) == FS_OK) fs_swapper_free(sw);
            CHECK(sw == NULL);
            fs_landmarker_free(lm5);
        }
    } else {
        CHECKF(false, "model file shape_predictor_5_face_landmarks.dat not found (make test installs it): 5-point swapper check not run");
    }
    group_end();
}

/* ---- swapping from threads ---- */

typedef struct swap_thread_arg {
    const fs_swapper *sw;
    const fs_source *src;
    const fs_image *target;
    fs_image *out;
    size_t n;
    fs_status status;
} swap_thread_arg;

static void *swap_thread_main(void *p) {
    swap_thread_arg *a = p;
    a->status = fs_swap(a->sw, a->src, a->target, &a->out, NULL, &a->n);
    return NULL;
}

static void test_swap_threads(swap_ctx *s) {
    group_begin("swap-threads", "two threads fs_swap with one shared swapper and source onto one target: both "
                                "give fs_swap's single-threaded result");
    if (!s->result) {
        CHECKF(false, "no swap result from the swap group");
        group_end();
        return;
    }
    swap_thread_arg args[2];
    pthread_t th[2];
    bool started[2] = {false, false};
    for (int i = 0; i < 2; i++) {
        memset(&args[i], 0, sizeof args[i]);
        args[i].sw = s->sw;
        args[i].src = s->src;
        args[i].target = s->biden;
        started[i] = pthread_create(&th[i], NULL, swap_thread_main, &args[i]) == 0;
        CHECK(started[i]);
    }
    for (int i = 0; i < 2; i++) {
        if (!started[i]) continue;
        pthread_join(th[i], NULL);
        CHECKF(args[i].status == FS_OK && args[i].n == 1, "thread %d: %s, %zu faces", i, status_name(args[i].status),
               args[i].n);
        if (args[i].status == FS_OK) CHECKF(images_identical(args[i].out, s->result), "thread %d: different pixels", i);
        fs_image_free(args[i].out);
    }
    group_end();
}

/* ------------------------------------------------------------------------------------------ */
/* Video: streams, video files, reenactment                                                    */
/* ------------------------------------------------------------------------------------------ */

static void video_path(char *buf, size_t n, const char *name) {
    snprintf(buf, n, "%s/videos/%s", g_data_dir, name);
}

static bool file_exists(const char *path, long long *size) {
    struct stat st;
    if (stat(path, &st) != 0) return false;
    if (size) *size = (long long)st.st_size;
    return true;
}

/* The names in dir, each followed by '\n' (at most n - 1 bytes). */
static void dir_snapshot(const char *dir, char *buf, size_t n) {
    buf[0] = '\0';
    DIR *d = opendir(dir);
    if (!d) return;
    size_t len = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        int w = snprintf(buf + len, n - len, "%s\n", e->d_name);
        if (w < 0 || (size_t)w >= n - len) break;
        len += (size_t)w;
    }
    closedir(d);
}

/* The first entry of dir that is not in snapshot (into name), or false when there is none. */
static bool dir_new_entry(const char *dir, const char *snapshot, char *name, size_t n) {
    DIR *d = opendir(dir);
    if (!d) return false;
    bool found = false;
    struct dirent *e;
    char line[300];
    while (!found && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(line, sizeof line, "%s\n", e->d_name);
        bool listed = strncmp(snapshot, line, strlen(line)) == 0;
        if (!listed) {
            char nl_line[302];
            snprintf(nl_line, sizeof nl_line, "\n%s", line);
            listed = strstr(snapshot, nl_line) != NULL;
        }
        if (!listed) {
            snprintf(name, n, "%s", e->d_name);
            found = true;
        }
    }
    closedir(d);
    return found;
}

/* Pixels of a and b (same size and format) that differ outside r; -1 when they cannot be compared. */
static long changed_outside_rect(const fs_image_view *a, const fs_image_view *b, fs_rect r) {
    if (a->width != b->width || a->height != b->height || a->format != b->format) return -1;
    size_t bpp = (size_t)bytes_per_pixel(a->format);
    int x0 = (int)floor(r.x), y0 = (int)floor(r.y), x1 = (int)ceil(r.x + r.width), y1 = (int)ceil(r.y + r.height);
    long n = 0;
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++) {
            if (x >= x0 && x < x1 && y >= y0 && y < y1) continue;
            n += memcmp(pixel_ptr(a, x, y), pixel_ptr(b, x, y), bpp) != 0;
        }
    return n;
}

static long changed_pixels(const fs_image_view *a, const fs_image_view *b) {
    fs_rect none = {0, 0, 0, 0};
    return changed_outside_rect(a, b, none);
}

/* Mean absolute difference of the bytes of a and b over a's width × height (b at least as large,
 * same format); -1 when they cannot be compared. */
static double mean_abs_diff(const fs_image_view *a, const fs_image_view *b) {
    if (a->format != b->format || b->width < a->width || b->height < a->height) return -1;
    size_t row = (size_t)a->width * (size_t)bytes_per_pixel(a->format);
    double sum = 0;
    for (int y = 0; y < a->height; y++) {
        const unsigned char *pa = (const unsigned char *)a->data + (size_t)y * a->stride;
        const unsigned char *pb = (const unsigned char *)b->data + (size_t)y * b->stride;
        for (size_t i = 0; i < row; i++) sum += abs((int)pa[i] - (int)pb[i]);
    }
    return sum / ((double)row * (double)a->height);
}

/* a equals the top-left a->width × a->height of b, byte for byte (same format). */
static bool view_is_crop_of(const fs_image_view *a, const fs_image_view *b) {
    if (a->format != b->format || b->width < a->width || b->height < a->height) return false;
    size_t row = (size_t)a->width * (size_t)bytes_per_pixel(a->format);
    for (int y = 0; y < a->height; y++)
        if (memcmp((const unsigned char *)a->data + (size_t)y * a->stride,
                   (const unsigned char *)b->data + (size_t)y * b->stride, row) != 0)
            return false;
    return true;
}

static bool stream_options_are_defaults(const fs_stream_options *o, const char *label) {
    bool ok = o->struct_size == sizeof(fs_stream_options) && o->detect_interval == 5 && close_to(o->min_cutoff, 2, 1e-6) &&
              close_to(o->beta, 8, 1e-6) && close_to(o->scene_cut, 28, 1e-6);
    CHECKF(ok, "%s: struct_size %u (sizeof %zu), detect_interval %d, min_cutoff %g, beta %g, scene_cut %g", label,
           (unsigned)o->struct_size, sizeof(fs_stream_options), (int)o->detect_interval, o->min_cutoff, o->beta,
           o->scene_cut);
    return ok;
}

typedef struct progress_rec {
    int calls;
    int64_t first_done, last_done, last_total;
    bool increasing;     /* every done larger than the one before */
    bool total_ok;       /* total 0 or >= done */
    int64_t cancel_at;   /* return 1 once done >= this (-1: never) */
} progress_rec;

static void progress_init(progress_rec *p, int64_t cancel_at) {
    memset(p, 0, sizeof *p);
    p->increasing = p->total_ok = true;
    p->first_done = p->last_done = -1;
    p->cancel_at = cancel_at;
}

static int progress_cb(void *user, int64_t done, int64_t total) {
    progress_rec *p = user;
    if (p->calls > 0 && done <= p->last_done) p->increasing = false;
    if (total != 0 && total < done) p->total_ok = false;
    if (p->calls == 0) p->first_done = done;
    p->calls++;
    p->last_done = done;
    p->last_total = total;
    return p->cancel_at >= 0 && done >= p->cancel_at ? 1 : 0;
}

static void test_stream(shared_models *m, swap_ctx *s) {
    group_begin("stream", "FS_STREAM_OPTIONS_INIT (5, 2, 8, 28, struct_size); 10 copies of fr_biden2 as RGBA8 "
                          "through fs_stream_push_view (caller buffer, padded stride) and fs_stream_push: 1 face "
                          "each, pixels outside the grown detector box unchanged, padding intact; "
                          "fs_stream_get_faces: 1 face, 68 finite landmarks within 5% of the inter-ocular "
                          "distance of fs_landmarks_fit's; a frame without a face -> FS_OK, 0 faces, unchanged; "
                          "reset/flush; NULL pointers, bad options, wrong-kind and freed handles -> "
                          "INVALID_ARGUMENT");
    fs_stream_options d = stream_defaults();
    stream_options_are_defaults(&d, "FS_STREAM_OPTIONS_INIT");
    if (!s->sw || !s->src || !s->biden || !m->det || !m->lm) {
        CHECKF(false, "no swapper/source/target from the swap groups");
        group_end();
        return;
    }
    fs_image *rgba = NULL, *dogs = load_image("dlib_dogs_noface.jpg");
    EXPECT_OK(fs_image_convert(s->biden, FS_FORMAT_RGBA8, &rgba));
    fs_stream *st = (fs_stream *)&st; /* not a handle: must be overwritten */
    if (!rgba || !dogs || !EXPECT_OK(fs_stream_create(s->sw, s->src, &d, &st))) {
        fs_image_free(rgba);
        fs_image_free(dogs);
        group_end();
        return;
    }
    CHECK(st != NULL);
    /* The reference: fs_detect + fs_landmarks_fit on the same (unswapped) frame. */
    fs_face ref[4];
    size_t nref = detect_fit(m->det, m->lm, rgba, ref, 4);
    CHECKF(nref == 1, "fs_detect found %zu faces in the RGBA8 frame", nref);
    fs_image_view orig;
    if (nref >= 1 && get_view(rgba, &orig)) {
        /* The box grown by 10% per side: the swap's feathered mask stays inside it. */
        fs_rect far = ref[0].box;
        far.x -= 0.1f * far.width;
        far.y -= 0.1f * far.height;
        far.width *= 1.2f;
        far.height *= 1.2f;
        int bad_count = 0, bad_outside = 0, unchanged = 0, bad_padding = 0;
        for (int i = 0; i < 10; i++) {
            size_t n = 99;
            fs_image_view fv;
            fs_status st_push;
            unsigned char *buf = NULL;
            fs_image *frame = NULL;
            if (i % 2 == 0) {
                buf = caller_copy(rgba, 16, &fv);
                if (!buf) continue;
                st_push = EXPECT_ST(FS_OK, fs_stream_push_view(st, &fv, i / 25.0, &n));
                if (!padding_intact(&fv, 16)) bad_padding++;
            } else {
                frame = copy_image(rgba);
                if (!frame) continue;
                st_push = EXPECT_ST(FS_OK, fs_stream_push(st, frame, i / 25.0, &n));
                if (!get_view(frame, &fv)) {
                    fs_image_free(frame);
                    continue;
                }
            }
            if (st_push == FS_OK) {
                if (n != 1) bad_count++;
                long out = changed_outside_rect(&orig, &fv, far), all = changed_pixels(&orig, &fv);
                if (out != 0) {
                    bad_outside++;
                    printf("    frame %d: %ld pixels changed outside the grown box\n", i, out);
                }
                if (all < 1000) unchanged++;
            }
            free(buf);
            fs_image_free(frame);
        }
        CHECKF(bad_count == 0, "%d of 10 frames did not report 1 face swapped", bad_count);
        CHECKF(bad_outside == 0, "%d of 10 frames changed pixels outside the grown detector box", bad_outside);
        CHECKF(unchanged == 0, "%d of 10 frames changed fewer than 1000 pixels (face not swapped)", unchanged);
        CHECKF(bad_padding == 0, "fs_stream_push_view wrote into the stride padding of %d frames", bad_padding);

        fs_face faces[4];
        size_t cnt = 99;
        if (EXPECT_OK(fs_stream_get_faces(st, faces, 4, &cnt))) {
            CHECKF(cnt == 1, "fs_stream_get_faces gave %zu faces", cnt);
            if (cnt >= 1) {
                CHECKF(faces[0].num_landmarks == 68, "num_landmarks %d", (int)faces[0].num_landmarks);
                int nonfinite = 0;
                for (int k = 0; k < 68; k++)
                    if (!isfinite(faces[0].landmarks[k].x) || !isfinite(faces[0].landmarks[k].y)) nonfinite++;
                CHECKF(nonfinite == 0, "%d landmarks are not finite", nonfinite);
                if (faces[0].num_landmarks == 68 && nonfinite == 0) {
                    double err = landmark_mean_error(&faces[0], &ref[0]), iod = inter_ocular(&ref[0]), worst = 0;
                    for (int k = 0; k < 68; k++) {
                        double dk = dist(faces[0].landmarks[k], ref[0].landmarks[k]);
                        if (dk > worst) worst = dk;
                    }
                    CHECKF(err < 0.05 * iod, "stream landmarks %.2f px off fs_landmarks_fit's on average (%.1f%% of "
                           "the %.1f px inter-ocular distance; worst point %.2f px)", err, 100 * err / iod, iod, worst);
                }
            }
        }
        /* capacity 0, faces NULL: the count only. */
        cnt = 99;
        EXPECT_OK(fs_stream_get_faces(st, NULL, 0, &cnt));
        CHECKF(cnt == 1, "capacity 0 gave count %zu", cnt);
    }

    /* A frame without a face. */
    fs_image *dogs_copy = copy_image(dogs);
    size_t n = 99;
    if (dogs_copy && EXPECT_OK(fs_stream_push(st, dogs_copy, -1, &n))) {
        CHECKF(n == 0, "a frame without a face: %zu faces swapped", n);
        CHECKF(images_identical(dogs_copy, dogs), "a frame without a face was changed");
        size_t cnt = 99;
        fs_face faces[2];
        EXPECT_OK(fs_stream_get_faces(st, faces, 2, &cnt));
        CHECKF(cnt == 0, "fs_stream_get_faces after a frame without a face: %zu faces", cnt);
    }
    EXPECT_OK(fs_stream_reset(st));
    EXPECT_OK(fs_stream_flush(st));
    /* After reset, a frame is swapped again; faces_swapped NULL is allowed. */
    fs_image *again = copy_image(rgba);
    if (again) {
        EXPECT_OK(fs_stream_push(st, again, -1, NULL));
        CHECKF(!images_identical(again, rgba), "after fs_stream_reset the face was not swapped");
    }
    fs_image_view gv;
    if (get_view(rgba, &gv)) EXPECT_OK(fs_stream_push_view(st, &gv, -1, NULL));
    fs_image_free(rgba);
    rgba = NULL;

    /* NULL pointers. */
    fs_image_view dv;
    fs_image *t = copy_image(dogs);
    if (t && get_view(t, &dv)) {
        fs_face faces[2];
        size_t cnt = 0;
        n = 99;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_push(NULL, t, 0, &n));
        CHECKF(n == 0, "count %zu after a failing fs_stream_push", n);
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_push(st, NULL, 0, &n));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_push_view(NULL, &dv, 0, &n));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_push_view(st, NULL, 0, &n));
        fs_image_view nodata = dv;
        nodata.data = NULL;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_push_view(st, &nodata, 0, &n));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_get_faces(NULL, faces, 2, &cnt));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_get_faces(st, faces, 2, NULL));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_reset(NULL));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_flush(NULL));
        fs_stream *o = (fs_stream *)&o;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_create(NULL, s->src, &d, &o));
        CHECK(o == NULL);
        o = (fs_stream *)&o;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_create(s->sw, NULL, &d, &o));
        CHECK(o == NULL);
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_create(s->sw, s->src, &d, NULL));
        CHECKF(images_identical(t, dogs), "a failing call wrote into the frame");
    }
    fs_stream_free(NULL);

    /* Bad options. */
    {
        struct { const char *what; fs_stream_options o; } bad[4];
        for (int i = 0; i < 4; i++) bad[i].o = stream_defaults();
        bad[0].what = "struct_size 0";
        bad[0].o.struct_size = 0;
        bad[1].what = "detect_interval 0";
        bad[1].o.detect_interval = 0;
        bad[2].what = "min_cutoff -1";
        bad[2].o.min_cutoff = -1;
        bad[3].what = "scene_cut 0";
        bad[3].o.scene_cut = 0;
        for (int i = 0; i < 4; i++) {
            fs_stream *o = (fs_stream *)&o;
            fs_status r = fs_stream_create(s->sw, s->src, &bad[i].o, &o);
            CHECKF(r == FS_ERR_INVALID_ARGUMENT && o == NULL && fs_last_error_message()[0] != '\0',
                   "fs_stream_create with %s gave %s (out %s): \"%s\"", bad[i].what, status_name(r),
                   o ? "not NULL" : "NULL", fs_last_error_message());
            if (r == FS_OK) fs_stream_free(o);
        }
        fs_stream_options ok0 = stream_defaults();
        ok0.min_cutoff = 0; /* documented: turns the filter off */
        fs_stream *o = NULL;
        if (EXPECT_OK(fs_stream_create(s->sw, s->src, &ok0, &o))) fs_stream_free(o);
    }

    /* Wrong-kind handles; a freed stream. */
    if (t) {
        n = 99;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_push((fs_stream *)s->sw, t, 0, &n));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_push((fs_stream *)s->src, t, 0, &n));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_reset((fs_stream *)s->sw));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_push(st, (fs_image *)st, 0, &n));
        fs_stream *o = NULL;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_create((const fs_swapper *)s->src, s->src, NULL, &o));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_create(s->sw, (const fs_source *)s->sw, NULL, &o));
        CHECK(o == NULL);
        fs_stream_free((fs_stream *)s->sw); /* wrong kind: ignored */
        fs_stream *s2 = NULL;
        if (EXPECT_OK(fs_stream_create(s->sw, s->src, NULL, &s2))) {
            uintptr_t stale = (uintptr_t)s2;
            fs_stream_free(s2);
            s2 = NULL;
            size_t cnt = 0;
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_push((fs_stream *)stale, t, 0, &n));
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_get_faces((const fs_stream *)stale, NULL, 0, &cnt));
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_reset((fs_stream *)stale));
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_flush((fs_stream *)stale));
            fs_stream_free((fs_stream *)stale); /* double free: ignored */
        }
        /* The swapper still works after the wrong-kind free. */
        fs_source *src2 = NULL;
        EXPECT_ST(FS_ERR_NO_FACE, fs_source_prepare(s->sw, dogs, 0, &src2));
        CHECKF(images_identical(t, dogs), "a failing call wrote into the frame");
    }
    fs_stream_free(st);
    fs_image_free(t);
    fs_image_free(dogs_copy);
    fs_image_free(again);
    fs_image_free(dogs);
    group_end();
}

static void test_video(swap_ctx *s) {
    group_begin("video", "FS_VIDEO_OPTIONS_INIT; fs_video_swap of videos/vr_face5.mp4 (122 frames, audio) to "
                         "a .mp4: FS_OK, 122 frames, >= 110 with faces, the file written, progress increasing to "
                         "122; options/progress/stats NULL; cancel at 10 -> CANCELLED and no file left; missing "
                         "input -> IO/DECODE naming it; a text file -> DECODE; .xyz -> UNSUPPORTED; preset "
                         "\"nope\", a bad options->stream, stats->struct_size 0 and NULL arguments -> "
                         "INVALID_ARGUMENT; stats filled with struct_size = sizeof, untouched on failure");
    fs_video_options vo = video_defaults();
    CHECKF(vo.struct_size == sizeof(fs_video_options), "struct_size %u, sizeof %zu", (unsigned)vo.struct_size,
           sizeof(fs_video_options));
    CHECKF(vo.crf == 18, "crf %d", (int)vo.crf);
    CHECKF(vo.preset == NULL, "preset \"%s\"", vo.preset ? vo.preset : "");
    CHECKF(vo.stream == NULL, "stream %p: the default is NULL (the stream defaults)", (const void *)vo.stream);
    fs_stream_options vso = stream_defaults(); /* explicit stream options, through the pointer */
    vso.detect_interval = 3;
    vo.stream = &vso;
    if (!s->sw || !s->src) {
        CHECKF(false, "no swapper/source from the swap groups");
        group_end();
        return;
    }
    char in[1024], out[1024], snap[8192], extra[256];
    video_path(in, sizeof in, "vr_face5.mp4");
    long long size = 0;
    if (!file_exists(in, NULL)) {
        CHECKF(false, "missing %s", in);
        group_end();
        return;
    }
    tmp_path(out, sizeof out, "swap_face5.mp4");
    progress_rec pr;
    progress_init(&pr, -1);
    fs_video_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    if (EXPECT_OK(fs_video_swap(s->sw, s->src, in, out, &vo, progress_cb, &pr, &stats))) {
        CHECKF(stats.struct_size == sizeof stats, "stats.struct_size %u", (unsigned)stats.struct_size);
        CHECKF(stats.frames == 122, "stats.frames %lld", (long long)stats.frames);
        CHECKF(stats.frames_with_faces >= 110 && stats.frames_with_faces <= stats.frames, "frames_with_faces %lld",
               (long long)stats.frames_with_faces);
        CHECKF(stats.scene_cuts >= 0 && stats.seconds > 0, "scene_cuts %lld, seconds %g", (long long)stats.scene_cuts,
               stats.seconds);
        CHECKF(file_exists(out, &size) && size > 0, "%s: exists %d, %lld bytes", out, file_exists(out, NULL), size);
        CHECKF(pr.calls > 0 && pr.increasing, "progress: %d calls, increasing %d", pr.calls, (int)pr.increasing);
        CHECKF(pr.last_done == 122, "progress: last done %lld (total %lld)", (long long)pr.last_done,
               (long long)pr.last_total);
        CHECKF(pr.total_ok, "progress: a total below done");
        printf("    vr_face5: %lld frames, %lld with faces, %lld scene cuts, %.2f s, %lld bytes\n",
               (long long)stats.frames, (long long)stats.frames_with_faces, (long long)stats.scene_cuts, stats.seconds,
               size);
    }
    /* options, progress and stats NULL. */
    tmp_path(out, sizeof out, "swap_face5_defaults.mkv");
    size = 0;
    if (EXPECT_OK(fs_video_swap(s->sw, s->src, in, out, NULL, NULL, NULL, NULL)))
        CHECKF(file_exists(out, &size) && size > 0, "%s: %lld bytes", out, size);

    /* Cancel at 10: CANCELLED, no output, no temporary file left. */
    dir_snapshot(g_tmp_dir, snap, sizeof snap);
    tmp_path(out, sizeof out, "swap_cancelled.mp4");
    progress_init(&pr, 10);
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    EXPECT_ST(FS_ERR_CANCELLED, fs_video_swap(s->sw, s->src, in, out, &vo, progress_cb, &pr, &stats));
    CHECKF(stats.frames == 0 && stats.struct_size == sizeof stats, "a cancelled fs_video_swap wrote stats");
    CHECKF(pr.last_done == 10, "progress called up to %lld after asking to cancel at 10", (long long)pr.last_done);
    CHECKF(!file_exists(out, NULL), "a cancelled fs_video_swap left %s", out);
    CHECKF(!dir_new_entry(g_tmp_dir, snap, extra, sizeof extra), "a cancelled fs_video_swap left \"%s\" in %s",
           extra, g_tmp_dir);

    /* Bad inputs. */
    tmp_path(out, sizeof out, "swap_bad.mp4");
    char missing[1024], text[1024];
    video_path(missing, sizeof missing, "no_such_clip_0123.mp4");
    EXPECT_ST2(FS_ERR_IO, FS_ERR_DECODE, fs_video_swap(s->sw, s->src, missing, out, NULL, NULL, NULL, NULL));
    CHECKF(strstr(fs_last_error_message(), "no_such_clip_0123.mp4") != NULL, "the message does not name the path: \"%s\"",
           fs_last_error_message());
    tmp_path(text, sizeof text, "not_a_video.mp4");
    const char *words = "this is a text file, not a video\n";
    CHECK(write_whole_file(text, words, strlen(words)));
    dir_snapshot(g_tmp_dir, snap, sizeof snap);
    EXPECT_ST(FS_ERR_DECODE, fs_video_swap(s->sw, s->src, text, out, NULL, NULL, NULL, NULL));
    char xyz[1024];
    tmp_path(xyz, sizeof xyz, "swap_out.xyz");
    EXPECT_ST(FS_ERR_UNSUPPORTED, fs_video_swap(s->sw, s->src, in, xyz, NULL, NULL, NULL, NULL));
    CHECKF(!file_exists(xyz, NULL), "an unsupported output extension left %s", xyz);
    fs_video_options bad = video_defaults();
    bad.preset = "nope";
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_video_swap(s->sw, s->src, in, out, &bad, NULL, NULL, NULL));
    bad = video_defaults();
    fs_stream_options bad_stream = stream_defaults();
    bad_stream.detect_interval = 0;
    bad.stream = &bad_stream;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_video_swap(s->sw, s->src, in, out, &bad, NULL, NULL, NULL));
    CHECKF(strstr(fs_last_error_message(), "detect_interval") != NULL, "\"%s\"", fs_last_error_message());
    bad_stream = stream_defaults();
    bad_stream.struct_size = 0;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_video_swap(s->sw, s->src, in, out, &bad, NULL, NULL, NULL));
    CHECKF(strstr(fs_last_error_message(), "options->stream") != NULL, "\"%s\"", fs_last_error_message());
    memset(&stats, 0x5A, sizeof stats);
    stats.struct_size = 0;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_video_swap(s->sw, s->src, in, out, NULL, NULL, NULL, &stats));
    CHECKF(strstr(fs_last_error_message(), "stats->struct_size is 0") != NULL, "\"%s\"", fs_last_error_message());
    CHECKF(stats.struct_size == 0 && stats.frames == (int64_t)0x5A5A5A5A5A5A5A5A, "a refused stats struct was written");
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_video_swap(NULL, s->src, in, out, NULL, NULL, NULL, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_video_swap(s->sw, NULL, in, out, NULL, NULL, NULL, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_video_swap(s->sw, s->src, NULL, out, NULL, NULL, NULL, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_video_swap(s->sw, s->src, in, NULL, NULL, NULL, NULL, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_video_swap((const fs_swapper *)s->src, s->src, in, out, NULL, NULL, NULL, NULL));
    CHECKF(!file_exists(out, NULL), "a failing fs_video_swap left %s", out);
    CHECKF(!dir_new_entry(g_tmp_dir, snap, extra, sizeof extra), "a failing fs_video_swap left \"%s\" in %s", extra,
           g_tmp_dir);
    group_end();
}

static void test_reenact(shared_models *m, swap_ctx *s) {
    group_begin("reenact", "FS_REENACT_OPTIONS_INIT (1, 1, 1, 0, stream defaults); a reenactor of fr_biden2 "
                           "cropped to 1199x1199: outputs BGR8 1198x1198; the first driving frame (neutral) gives "
                           "the photo within 3 levels; a frame without a face gives the photo unchanged; reset; "
                           "no-face photo -> NO_FACE; 5-point landmarker -> UNSUPPORTED; expression 3, "
                           "head_motion 2, struct_size 0, NULL and wrong-kind arguments -> INVALID_ARGUMENT; "
                           "fs_reenact_video of vr_face5 (plain and side by side) -> 122 frames; cancel -> "
                           "CANCELLED and no file left");
    fs_reenact_options d = reenact_defaults();
    CHECKF(d.struct_size == sizeof(fs_reenact_options), "struct_size %u, sizeof %zu", (unsigned)d.struct_size,
           sizeof(fs_reenact_options));
    CHECKF(close_to(d.expression, 1, 1e-6) && close_to(d.head_motion, 1, 1e-6) && d.mouth_fill == 1 &&
               d.side_by_side == 0,
           "expression %g, head_motion %g, mouth_fill %d, side_by_side %d", d.expression, d.head_motion,
           (int)d.mouth_fill, (int)d.side_by_side);
    CHECKF(d.stream == NULL, "stream %p: the default is NULL (the stream defaults)", (const void *)d.stream);
    fs_stream_options dstream = stream_defaults(); /* the stream defaults, given explicitly */
    d.stream = &dstream;
    if (!s->biden || !m->det || !m->lm || !m->obama || !m->two) {
        CHECKF(false, "no detector/landmarker/photos from the earlier groups");
        group_end();
        return;
    }
    /* An odd-sized photo: fr_biden2 without its last row and column (1199 x 1199). */
    fs_image_view bv, pv;
    fs_image *photo = NULL, *dogs = load_image("dlib_dogs_noface.jpg"), *waving = load_image("fr_obama_and_biden_waving.jpg");
    if (get_view(s->biden, &bv)) {
        fs_image_view odd = bv;
        odd.width = bv.width - 1 + (bv.width % 2);   /* odd */
        odd.height = bv.height - 1 + (bv.height % 2);
        EXPECT_OK(fs_image_from_view(&odd, &photo));
    }
    fs_reenactor *r = (fs_reenactor *)&r;
    if (!photo || !dogs || !waving || !get_view(photo, &pv) || !EXPECT_OK(fs_reenactor_create(m->det, m->lm, photo, &d, &r))) {
        fs_image_free(photo);
        fs_image_free(dogs);
        fs_image_free(waving);
        group_end();
        return;
    }
    CHECK(r != NULL);
    const int ew = pv.width & ~1, eh = pv.height & ~1;
    const fs_image *drivers[6] = {m->obama, m->obama, m->two, waving, m->obama, dogs};
    const char *names[6] = {"fr_obama1 (neutral)", "fr_obama1", "fr_two_people_obama_biden",
                            "fr_obama_and_biden_waving", "fr_obama1", "dlib_dogs_noface"};
    for (int i = 0; i < 6; i++) {
        fs_image *o = (fs_image *)&o;
        if (!EXPECT_OK(fs_reenactor_push(r, drivers[i], i / 25.0, &o))) continue;
        fs_image_view ov;
        if (o && get_view(o, &ov)) {
            CHECKF(ov.width == ew && ov.height == eh && ov.format == FS_FORMAT_BGR8, "%s: output %dx%d %s, want %dx%d BGR8",
                   names[i], (int)ov.width, (int)ov.height, format_name(ov.format), ew, eh);
            if (ov.width == ew && ov.height == eh && ov.format == pv.format) {
                double mad = mean_abs_diff(&ov, &pv);
                if (i == 0 || i == 1) CHECKF(mad >= 0 && mad < 3, "%s: mean |output - photo| = %.2f", names[i], mad);
                if (i == 5) CHECKF(view_is_crop_of(&ov, &pv), "%s: the photo changed (mean |diff| %.2f)", names[i], mad);
                if (g_verbose) printf("    %s: mean |output - photo| %.2f\n", names[i], mad);
            }
        }
        fs_image_free(o);
    }
    EXPECT_OK(fs_reenactor_reset(r));
    {
        fs_image *o = NULL;
        fs_image_view ov;
        if (EXPECT_OK(fs_reenactor_push(r, dogs, -1, &o)) && get_view(o, &ov))
            CHECKF(ov.width == ew && ov.height == eh && view_is_crop_of(&ov, &pv),
                   "after reset, a frame without a face did not give the photo");
        fs_image_free(o);
        o = NULL;
        if (EXPECT_OK(fs_reenactor_push(r, m->two, -1, &o)) && get_view(o, &ov)) {
            double mad = mean_abs_diff(&ov, &pv);
            CHECKF(mad >= 0 && mad < 3, "after reset, the new neutral frame: mean |output - photo| = %.2f", mad);
        }
        fs_image_free(o);
    }

    /* Creation errors. */
    {
        fs_reenactor *o = (fs_reenactor *)&o;
        EXPECT_ST(FS_ERR_NO_FACE, fs_reenactor_create(m->det, m->lm, dogs, NULL, &o));
        CHECK(o == NULL);
        char p5[4096];
        if (fs_model_find("shape_predictor_5_face_landmarks.dat", p5, sizeof p5) == FS_OK) {
            fs_landmarker *lm5 = NULL;
            if (EXPECT_OK(fs_landmarker_create(p5, &lm5))) {
                o = (fs_reenactor *)&o;
                EXPECT_ST(FS_ERR_UNSUPPORTED, fs_reenactor_create(m->det, lm5, photo, NULL, &o));
                CHECK(o == NULL);
                fs_landmarker_free(lm5);
            }
        } else {
            CHECKF(false, "model file shape_predictor_5_face_landmarks.dat not found (make test installs it): 5-point check not run");
        }
        struct { const char *what; fs_reenact_options o; } bad[6];
        for (int i = 0; i < 6; i++) bad[i].o = reenact_defaults();
        fs_stream_options bad_stream = stream_defaults(), bad_stream_size = stream_defaults();
        bad_stream.detect_interval = 0;
        bad_stream_size.struct_size = 0;
        bad[0].what = "expression 3";
        bad[0].o.expression = 3;
        bad[1].what = "head_motion 2";
        bad[1].o.head_motion = 2;
        bad[2].what = "struct_size 0";
        bad[2].o.struct_size = 0;
        bad[3].what = "expression -0.5";
        bad[3].o.expression = -0.5f;
        bad[4].what = "stream->detect_interval 0";
        bad[4].o.stream = &bad_stream;
        bad[5].what = "stream->struct_size 0";
        bad[5].o.stream = &bad_stream_size;
        for (int i = 0; i < 6; i++) {
            o = (fs_reenactor *)&o;
            fs_status st = fs_reenactor_create(m->det, m->lm, photo, &bad[i].o, &o);
            CHECKF(st == FS_ERR_INVALID_ARGUMENT && o == NULL && fs_last_error_message()[0] != '\0',
                   "fs_reenactor_create with %s gave %s (out %s): \"%s\"", bad[i].what, status_name(st),
                   o ? "not NULL" : "NULL", fs_last_error_message());
            if (st == FS_OK) fs_reenactor_free(o);
        }
        o = (fs_reenactor *)&o;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_create(NULL, m->lm, photo, NULL, &o));
        CHECK(o == NULL);
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_create(m->det, NULL, photo, NULL, &o));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_create(m->det, m->lm, NULL, NULL, &o));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_create(m->det, m->lm, photo, NULL, NULL));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_create((const fs_detector *)m->lm, m->lm, photo, NULL, &o));
        CHECK(o == NULL);
        fs_image *img = (fs_image *)&img;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_push(NULL, m->obama, 0, &img));
        CHECK(img == NULL);
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_push(r, NULL, 0, &img));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_push(r, m->obama, 0, NULL));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_push((fs_reenactor *)m->det, m->obama, 0, &img));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_reset(NULL));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_reset((fs_reenactor *)m->lm));
        CHECK(img == NULL);
        fs_reenactor_free(NULL);
    }

    /* Whole videos. */
    char in[1024], out[1024], snap[8192], extra[256];
    video_path(in, sizeof in, "vr_face5.mp4");
    fs_video_stats stats;
    long long size = 0;
    tmp_path(out, sizeof out, "reenact_face5.mp4");
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    progress_rec pr;
    progress_init(&pr, -1);
    if (EXPECT_OK(fs_reenact_video(r, in, out, NULL, progress_cb, &pr, &stats))) {
        CHECKF(stats.frames == 122, "stats.frames %lld", (long long)stats.frames);
        CHECKF(stats.frames_with_faces >= 110 && stats.frames_with_faces <= stats.frames, "frames_with_faces %lld",
               (long long)stats.frames_with_faces);
        CHECKF(file_exists(out, &size) && size > 0, "%s: %lld bytes", out, size);
        CHECKF(pr.calls > 0 && pr.increasing && pr.last_done == 122, "progress: %d calls, increasing %d, last %lld",
               pr.calls, (int)pr.increasing, (long long)pr.last_done);
    }
    fs_reenact_options sbs = reenact_defaults();
    sbs.side_by_side = 1;
    tmp_path(out, sizeof out, "reenact_face5_sbs.mp4");
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    size = 0;
    if (EXPECT_OK(fs_reenact_video(r, in, out, &sbs, NULL, NULL, &stats))) {
        CHECKF(stats.frames == 122, "side by side: stats.frames %lld", (long long)stats.frames);
        CHECKF(file_exists(out, &size) && size > 0, "%s: %lld bytes", out, size);
    }
    dir_snapshot(g_tmp_dir, snap, sizeof snap);
    tmp_path(out, sizeof out, "reenact_cancelled.mp4");
    progress_init(&pr, 10);
    EXPECT_ST(FS_ERR_CANCELLED, fs_reenact_video(r, in, out, NULL, progress_cb, &pr, NULL));
    CHECKF(!file_exists(out, NULL), "a cancelled fs_reenact_video left %s", out);
    CHECKF(!dir_new_entry(g_tmp_dir, snap, extra, sizeof extra), "a cancelled fs_reenact_video left \"%s\" in %s",
           extra, g_tmp_dir);
    char missing[1024];
    video_path(missing, sizeof missing, "no_such_clip_0123.mp4");
    EXPECT_ST2(FS_ERR_IO, FS_ERR_DECODE, fs_reenact_video(r, missing, out, NULL, NULL, NULL, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenact_video(NULL, in, out, NULL, NULL, NULL, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenact_video(r, NULL, out, NULL, NULL, NULL, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenact_video(r, in, NULL, NULL, NULL, NULL, NULL));
    CHECKF(!file_exists(out, NULL), "a failing fs_reenact_video left %s", out);
    CHECKF(!dir_new_entry(g_tmp_dir, snap, extra, sizeof extra), "a failing fs_reenact_video left \"%s\" in %s",
           extra, g_tmp_dir);

    /* A freed reenactor. */
    uintptr_t stale = (uintptr_t)r;
    fs_reenactor_free(r);
    r = NULL;
    fs_image *img = NULL;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_push((fs_reenactor *)stale, m->obama, 0, &img));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_reset((fs_reenactor *)stale));
    fs_reenactor_free((fs_reenactor *)stale); /* double free: ignored */
    CHECK(img == NULL);
    fs_image_free(photo);
    fs_image_free(dogs);
    fs_image_free(waving);
    group_end();
}

/* ------------------------------------------------------------------------------------------ */
/* The bad-input table: every exported function, every kind of bad argument, one row each      */
/* ------------------------------------------------------------------------------------------ */

#define BT_P68 "shape_predictor_68_face_landmarks.dat"
#define BT_SKIP (-1)  /* the row's fixture (a model file, or one the table makes) is missing: a failure */
#define BT_FALSE (-2) /* a value row's condition was false */
#define BT_IS(cond) ((cond) ? (int)FS_OK : BT_FALSE)
#define BT_NEED(p, call) ((p) ? (int)(call) : BT_SKIP)
/* FS_OK when the call leaves the thread's error message as it was (a no-op). */
#define BT_KEEPS_MSG(call) (bt_prime_message("fs_image_create"), (void)(call), bt_message_primed() ? (int)FS_OK : BT_FALSE)
/* Handles freed before the call. Images, streams, reenactors and trainers are made and freed by
 * the row itself (nothing registers a new handle in between, so the address cannot come back to
 * life); the others were freed at set-up while another handle keeps their objects, hence their
 * addresses, alive: an fs_stream (c->pin) its swapper, source, detector, landmarker and
 * recognizer, a learned swapper (c->pin_learned) its model. */
#define STALE_IMG ((fs_image *)bt_stale_image())
#define STALE_STREAM ((fs_stream *)bt_stale_stream(c))
#define STALE_RE ((fs_reenactor *)bt_stale_reenactor(c))
#define STALE_DET ((fs_detector *)c->stale_det)
#define STALE_LM ((fs_landmarker *)c->stale_lm)
#define STALE_REC ((fs_recognizer *)c->stale_rec)
#define STALE_SW ((fs_swapper *)c->stale_sw)
#define STALE_SRC ((fs_source *)c->stale_src)
#define STALE_MODEL ((fs_model *)c->stale_model)
#define STALE_TRAINER ((fs_trainer *)bt_stale_trainer(c))

static max_align_t bt_foreign; /* a pointer the library never made */
static const char bt_text[] = "Hello, this is plain text and not an image.\n";

typedef struct bt_ctx {
    /* live fixtures: borrowed from the earlier groups, or made (and freed) by the table */
    fs_detector *det, *det_up1;
    fs_landmarker *lm, *lm5;
    fs_recognizer *rec;
    fs_swapper *sw, *sw_idx3;
    fs_source *src;
    fs_stream *st;
    fs_reenactor *re;
    fs_image *obama, *img, *gray, *rgb, *blank, *photo, *target, *wide, *tiny;
    const fs_image *biden;
    fs_face face, noface, fit;
    /* freed handles, their objects kept by pin */
    uintptr_t stale_det, stale_lm, stale_rec, stale_sw, stale_src;
    fs_stream *pin;
    /* argument values */
    fs_affine ident, singular, rank1, tiny_t, nan_t, inf_t;
    fs_point pts[FS_MAX_LANDMARKS];
    float emb[FS_EMBEDDING_SIZE];
    unsigned char px[64], zeros[64], corrupt[4096], corrupt2[4096];
    fs_image_view view;
    fs_detector_options dopt;
    fs_swap_options sopt;
    fs_stream_options stopt;
    fs_video_options vopt;
    fs_reenact_options ropt;
    fs_image *set_a[1], *set_a_null[2], *set_tmp[1], *set_gray[1];
    const fs_image *set_b[1], *set_b_null[1], *set_b_det[1], *set_rgb[1];
    int progress_calls;
    /* learned conversion: extracted faces, a model (trained 0 iterations), a trainer */
    fs_model *model;
    uintptr_t stale_model;     /* kept alive by pin_learned */
    fs_swapper *pin_learned;
    fs_trainer *trainer;
    fs_extract_options eopt;
    fs_train_options topt;
    char ex_a[1024], ex_b[1024], ex_out[1024], ex_empty[1024], ex_missing[1024], model_path[1024], train_path[1024],
        stale_train_path[1024], model_trunc[1024], model_fake[1024], photo_path[1024];
    const char *ex_in[1], *ex_in_null[1], *ex_in_missing[1], *ex_in_text[1], *ex_in_trunc[1], *ex_in_emptydir[1];
    /* data in memory */
    unsigned char *two, *prog, *huge0, *huge2, *wide0, *jpg_w0, *png, *png_huge, *png_zero;
    size_t two_size, prog_size, png_size;
    /* files and folders */
    char dir[1024], idir[1024], vdir[1024];
    char missing[1024], notdir[1024], longpath[5000], text[1024], empty[1024];
    char jpg_trunc[1024], jpg_trunc_prog[1024], jpg_corrupt[1024], jpg_huge0[1024], jpg_huge2[1024];
    char png_trunc_path[1024], png_huge_path[1024], png_zero_path[1024];
    char iout_png[1024], iout_jpg[1024], iout_bmp[1024], iout_noext[1024], iout_nodir[1024], idir_as_file[1024],
        inotdir[1024];
    char missing_model[1024], garbage[1024], text_model[1024], trunc68[1024], trunc_rec[1024], trunc_cnn[1024],
        trunc_haar[1024], p5[4096], pcnn[4096], phaar[4096];
    char vin[1024], vmissing[1024], vtext[1024], vtrunc[1024], vzero[1024], vtrunc_frame[1024], vcorrupt[1024],
        vaudio[1024];
    char vout[1024], vout_xyz[1024], vout_noext[1024], vout_nodir[1024];
    /* outputs: set to sentinels before each row, checked after a failing one */
    fs_image *o_img, *o_mask;
    void *o_data;
    size_t o_size, o_count;
    fs_detector *o_det;
    fs_landmarker *o_lm;
    fs_recognizer *o_rec;
    fs_swapper *o_sw;
    fs_source *o_src;
    fs_stream *o_st;
    fs_reenactor *o_re;
    fs_model *o_model;
    fs_trainer *o_tr;
    int64_t o_iter;
    fs_model_info o_minfo;       /* struct_size = sizeof, the rest the pattern */
    fs_video_stats o_vstats;     /* likewise */
    fs_extract_stats o_estats;   /* likewise */
    union {                      /* what the *_options_init rows fill (all of it the pattern before) */
        fs_detector_options d;
        fs_swap_options s;
        fs_stream_options st;
        fs_video_options v;
        fs_reenact_options r;
        fs_extract_options e;
        fs_train_options t;
    } o_opt;
    fs_affine o_affine;
    fs_image_view o_view;
    fs_face o_face, o_faces[4];
    fs_swap_metrics o_metrics;   /* struct_size = sizeof, the rest the pattern */
    fs_point o_points[FS_MAX_LANDMARKS];
    float o_emb[FS_EMBEDDING_SIZE];
    char o_buf[4096];
    int32_t o_i32;               /* fs_enum_parse / fs_enum_value_at: the pattern before */
    fs_option_info o_oinfo;      /* struct_size = sizeof, the rest the pattern */
} bt_ctx;

/* ---- helpers the rows call ---- */

static char g_primed[512];

/* Leaves a known message on this thread: a failure of a function other than `fn`. */
static void bt_prime_message(const char *fn) {
    if (strcmp(fn, "fs_model_find") == 0) {
        fs_image *o = NULL;
        (void)fs_image_create(0, 0, FS_FORMAT_GRAY8, &o);
    } else {
        (void)fs_model_find(NULL, NULL, 0);
    }
    snprintf(g_primed, sizeof g_primed, "%s", fs_last_error_message());
}

static bool bt_message_primed(void) { return g_primed[0] != '\0' && strcmp(fs_last_error_message(), g_primed) == 0; }

static uintptr_t bt_stale_image(void) {
    fs_image *i = NULL;
    if (fs_image_create(8, 8, FS_FORMAT_BGR8, &i) != FS_OK) return 0;
    uintptr_t u = (uintptr_t)i;
    fs_image_free(i);
    return u;
}

static uintptr_t bt_stale_stream(bt_ctx *c) {
    fs_stream *s = NULL;
    if (fs_stream_create(c->sw, c->src, NULL, &s) != FS_OK) return 0;
    uintptr_t u = (uintptr_t)s;
    fs_stream_free(s);
    return u;
}

static uintptr_t bt_stale_reenactor(bt_ctx *c) {
    fs_reenactor *r = NULL;
    if (fs_reenactor_create(c->det, c->lm, c->photo, NULL, &r) != FS_OK) return 0;
    uintptr_t u = (uintptr_t)r;
    fs_reenactor_free(r);
    return u;
}

/* Cheap training: batch 1, no augmentation, no automatic checkpoints or previews. */
static fs_train_options bt_train_options(void) {
    fs_train_options o = train_defaults();
    o.batch = 1;
    o.augment = 0;
    o.checkpoint_every = 0;
    o.preview_every = 0;
    return o;
}

static uintptr_t bt_stale_trainer(bt_ctx *c) {
    fs_trainer *t = NULL;
    fs_train_options o = bt_train_options();
    if (fs_trainer_create(c->ex_a, c->ex_b, c->stale_train_path, &o, &t) != FS_OK) return 0;
    uintptr_t u = (uintptr_t)t;
    fs_trainer_free(t);
    return u;
}

static bool bt_trainer_free_twice(bt_ctx *c, void (*free_fn)(fs_trainer *)) {
    uintptr_t u = bt_stale_trainer(c);
    if (!u) return false;
    free_fn((fs_trainer *)u);
    int64_t it = 0;
    return fs_trainer_get_iteration((const fs_trainer *)u, &it) == FS_ERR_INVALID_ARGUMENT;
}

static int bt_train_cancel(void *user, const fs_train_progress *p) {
    (void)p;
    ++*(int *)user;
    return 1;
}

static fs_extract_options *bt_eopt(bt_ctx *c) { c->eopt = extract_defaults(); return &c->eopt; }
static fs_train_options *bt_topt(bt_ctx *c) { c->topt = bt_train_options(); return &c->topt; }

static bool bt_extract_defaults_ok(fs_extract_options o) {
    return o.size == 256 && o.padding == 0.25f && o.min_sharpness == 20.0f && o.duplicate_distance == 2.0f &&
           o.every_nth_frame == 1 && o.max_faces == 1;
}

static bool bt_train_defaults_ok(fs_train_options o) {
    return o.size == 64 && o.batch == 16 && o.augment == 1 && o.checkpoint_every == 250 && o.preview_every == 100 &&
           o.resume == 0 && o.preview_dir == NULL && o.name_a == NULL && o.name_b == NULL && o.learning_rate > 0;
}

static bool bt_model_info_ok(bt_ctx *c, fs_status (*get_info)(const fs_model *, fs_model_info *)) {
    fs_model_info i;
    memset(&i, 0, sizeof i);
    i.struct_size = sizeof i;
    return get_info(c->model, &i) == FS_OK && i.struct_size == sizeof i && i.size == 64 && i.bottleneck == 512 &&
           strcmp(i.name_a, "A") == 0 && strcmp(i.name_b, "B") == 0 && i.has_training_state == 1;
}

/* A caller whose fs_model_info ends after name_a: the library fills those bytes only. */
static bool bt_model_info_prefix_ok(bt_ctx *c, fs_status (*get_info)(const fs_model *, fs_model_info *)) {
    struct { fs_model_info i; unsigned char canary[16]; } w;
    const size_t n = offsetof(fs_model_info, name_b);
    memset(&w, 0x5A, sizeof w);
    w.i.struct_size = (uint32_t)n;
    if (get_info(c->model, &w.i) != FS_OK || w.i.struct_size != n || w.i.size != 64 || strcmp(w.i.name_a, "A") != 0)
        return false;
    const unsigned char *b = (const unsigned char *)&w;
    for (size_t k = n; k < sizeof w; k++)
        if (b[k] != 0x5A) return false;
    return true;
}

static fs_image_view *bt_view(bt_ctx *c) {
    c->view = (fs_image_view){c->px, 4, 4, 12, FS_FORMAT_BGR8};
    return &c->view;
}

static fs_face *bt_face(bt_ctx *c) {
    c->fit = c->face;
    return &c->fit;
}

static fs_face *bt_face_collapsed(bt_ctx *c) {
    c->fit = c->face;
    for (int i = 0; i < FS_MAX_LANDMARKS; i++) c->fit.landmarks[i] = (fs_point){100, 100};
    return &c->fit;
}

static fs_detector_options *bt_dopt(bt_ctx *c) { c->dopt = detector_defaults(); return &c->dopt; }
static fs_swap_options *bt_sopt(bt_ctx *c) { c->sopt = swap_defaults(); return &c->sopt; }
static fs_stream_options *bt_stopt(bt_ctx *c) { c->stopt = stream_defaults(); return &c->stopt; }
static fs_video_options *bt_vopt(bt_ctx *c) { c->vopt = video_defaults(); return &c->vopt; }
static fs_reenact_options *bt_ropt(bt_ctx *c) { c->ropt = reenact_defaults(); return &c->ropt; }

static int bt_cancel(void *user, int64_t done, int64_t total) {
    (void)done;
    (void)total;
    ++*(int *)user;
    return 1;
}

static bool bt_version_string_ok(const char *(*version_string)(void)) {
    char want[64];
    snprintf(want, sizeof want, "%d.%d.%d", FS_VERSION_MAJOR, FS_VERSION_MINOR, FS_VERSION_PATCH);
    const char *v = version_string();
    return v != NULL && strcmp(v, want) == 0;
}

static bool bt_status_strings_ok(const char *(*status_string)(fs_status)) {
    for (int s = FS_OK; s <= FS_ERR_INTERNAL; s++) {
        const char *str = status_string((fs_status)s), *name = status_name((fs_status)s);
        size_t n = strlen(name);
        if (!str || strncmp(str, name, n) != 0 || (str[n] != ':' && str[n] != '\0')) return false;
    }
    return true;
}

static bool bt_last_error_exact(const char *(*last_error_message)(void)) {
    fs_image *o = NULL;
    if (fs_image_load(NULL, &o) != FS_ERR_INVALID_ARGUMENT) return false;
    const char *m = last_error_message();
    return m != NULL && strcmp(m, "fs_image_load: path is NULL") == 0 && last_error_message() == m;
}

static void *bt_thread_message(void *p) {
    const char *m = fs_last_error_message();
    *(bool *)p = m != NULL && m[0] == '\0';
    return NULL;
}

static bool bt_last_error_per_thread(const char *(*last_error_message)(void)) {
    (void)fs_model_find(NULL, NULL, 0); /* a message on this thread */
    bool empty = false;
    pthread_t t;
    if (pthread_create(&t, NULL, bt_thread_message, &empty) != 0) return false;
    pthread_join(t, NULL);
    return empty && strstr(last_error_message(), "fs_model_find") != NULL;
}

/* Every canonical name and the aliases the header names parse to their value, in any case and
 * with '_' for '-'; fs_enum_name gives the canonical name back. */
typedef fs_status (*bt_parse_fn)(fs_enum_kind, const char *, int32_t *);
static bool bt_enum_parse_ok(bt_parse_fn parse) {
    static const struct { fs_enum_kind kind; const char *name; int32_t value; } cases[] = {
        {FS_ENUM_STATUS, "no-face", FS_ERR_NO_FACE}, {FS_ENUM_STATUS, "NO_FACE", FS_ERR_NO_FACE},
        {FS_ENUM_PIXEL_FORMAT, "bgr8", FS_FORMAT_BGR8}, {FS_ENUM_PIXEL_FORMAT, "grey", FS_FORMAT_GRAY8},
        {FS_ENUM_PIXEL_FORMAT, "RGBA", FS_FORMAT_RGBA8}, {FS_ENUM_CODEC, "jpg", FS_CODEC_JPEG},
        {FS_ENUM_CODEC, "PNG", FS_CODEC_PNG}, {FS_ENUM_DETECTOR_BACKEND, "mmod", FS_DETECTOR_CNN},
        {FS_ENUM_DETECTOR_BACKEND, "Haar", FS_DETECTOR_HAAR}, {FS_ENUM_CONVERT_MODE, "delaunay", FS_CONVERT_DELAUNAY},
        {FS_ENUM_COLOR_MODE, "histogram", FS_COLOR_HISTOGRAM}, {FS_ENUM_COLOR_MODE, "hist", FS_COLOR_HISTOGRAM},
        {FS_ENUM_BLEND_MODE, "poisson_exact", FS_BLEND_POISSON_EXACT}, {FS_ENUM_BLEND_MODE, "Poisson-Exact", FS_BLEND_POISSON_EXACT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int32_t v = -99;
        if (parse(cases[i].kind, cases[i].name, &v) != FS_OK || v != cases[i].value) return false;
    }
    for (int k = FS_ENUM_STATUS; k <= FS_ENUM_BLEND_MODE; k++) {
        size_t n = 0;
        int32_t v;
        for (size_t i = 0; fs_enum_value_at((fs_enum_kind)k, i, &v, &n) == FS_OK; i++) {
            const char *name = fs_enum_name((fs_enum_kind)k, v);
            int32_t back = -99;
            if (!name || parse((fs_enum_kind)k, name, &back) != FS_OK || back != v) return false;
        }
    }
    return true;
}

/* Each kind lists exactly the values the header declares, in order. */
typedef fs_status (*bt_value_at_fn)(fs_enum_kind, size_t, int32_t *, size_t *);
static bool bt_enum_lists_ok(bt_value_at_fn value_at) {
    static const int32_t status[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, formats[] = {1, 2, 3, 4, 5},
                         codecs[] = {0, 1, 2}, backends[] = {0, 1, 2}, modes[] = {0, 1}, colors[] = {0, 1, 2, 3},
                         blends[] = {0, 1, 2, 3};
    static const struct { const int32_t *v; size_t n; } want[] = {
        {status, 12}, {formats, 5}, {codecs, 3}, {backends, 3}, {modes, 2}, {colors, 4}, {blends, 4}};
    for (int k = 0; k < 7; k++) {
        size_t n = 0;
        int32_t v;
        if (value_at((fs_enum_kind)(k + 1), 0, &v, &n) != FS_OK || n != want[k].n) return false;
        for (size_t i = 0; i < n; i++)
            if (value_at((fs_enum_kind)(k + 1), i, &v, NULL) != FS_OK || v != want[k].v[i]) return false;
    }
    return true;
}

/* The header's plain-value fields of each options struct, by name, with their offsets: the
 * ground truth fs_option_describe must agree with (names, order, types, and defaults equal to
 * what *_options_init writes). */
typedef struct { const char *name; size_t offset; char type; } bt_field;  /* i: int32, f: float, e: enum, s: string */
#define BT_F(T, f, t) {#f, offsetof(T, f), t}
static const bt_field k_detector_fields[] = {
    BT_F(fs_detector_options, backend, 'e'), BT_F(fs_detector_options, upsample, 'i'),
    BT_F(fs_detector_options, min_face_size, 'i'), BT_F(fs_detector_options, downscale, 'f'),
    BT_F(fs_detector_options, margin, 'f'), BT_F(fs_detector_options, threshold, 'f'),
    BT_F(fs_detector_options, max_faces, 'i')};
static const bt_field k_swap_fields[] = {
    BT_F(fs_swap_options, mode, 'e'), BT_F(fs_swap_options, color, 'e'), BT_F(fs_swap_options, blend, 'e'),
    BT_F(fs_swap_options, expression, 'f'), BT_F(fs_swap_options, forehead, 'f'), BT_F(fs_swap_options, erode, 'f'),
    BT_F(fs_swap_options, feather, 'f'), BT_F(fs_swap_options, keep_mouth, 'i'), BT_F(fs_swap_options, face_index, 'i'),
    BT_F(fs_swap_options, keep_unmatched, 'i'), BT_F(fs_swap_options, identity_threshold, 'f'),
    BT_F(fs_swap_options, use_model_mask, 'i'), BT_F(fs_swap_options, keep_model_shape, 'i')};
static const bt_field k_stream_fields[] = {
    BT_F(fs_stream_options, detect_interval, 'i'), BT_F(fs_stream_options, min_cutoff, 'f'),
    BT_F(fs_stream_options, beta, 'f'), BT_F(fs_stream_options, scene_cut, 'f')};
static const bt_field k_video_fields[] = {BT_F(fs_video_options, crf, 'i'), BT_F(fs_video_options, preset, 's')};
static const bt_field k_reenact_fields[] = {
    BT_F(fs_reenact_options, expression, 'f'), BT_F(fs_reenact_options, head_motion, 'f'),
    BT_F(fs_reenact_options, mouth_fill, 'i'), BT_F(fs_reenact_options, side_by_side, 'i')};
static const bt_field k_extract_fields[] = {
    BT_F(fs_extract_options, size, 'i'), BT_F(fs_extract_options, padding, 'f'),
    BT_F(fs_extract_options, min_sharpness, 'f'), BT_F(fs_extract_options, duplicate_distance, 'f'),
    BT_F(fs_extract_options, every_nth_frame, 'i'), BT_F(fs_extract_options, max_faces, 'i')};
static const bt_field k_train_fields[] = {
    BT_F(fs_train_options, size, 'i'), BT_F(fs_train_options, batch, 'i'), BT_F(fs_train_options, learning_rate, 'f'),
    BT_F(fs_train_options, l1_weight, 'f'), BT_F(fs_train_options, ssim_weight, 'f'), BT_F(fs_train_options, mask_weight, 'f'),
    BT_F(fs_train_options, gan_weight, 'f'), BT_F(fs_train_options, background_weight, 'f'),
    BT_F(fs_train_options, augment, 'i'), BT_F(fs_train_options, checkpoint_every, 'i'),
    BT_F(fs_train_options, preview_every, 'i'), BT_F(fs_train_options, resume, 'i')};
#undef BT_F

typedef fs_status (*bt_describe_fn)(fs_options_kind, size_t, fs_option_info *, size_t *);
static bool bt_options_kind_ok(bt_describe_fn describe, fs_options_kind kind, const void *defaults, const bt_field *fields, size_t nfields) {
    size_t n = 0;
    fs_option_info info = {.struct_size = sizeof info};
    if (describe(kind, 0, &info, &n) != FS_OK || n != nfields) {
        fprintf(stderr, "    kind %d: %zu options listed, the header has %zu plain fields\n", (int)kind, n, nfields);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (describe(kind, i, &info, NULL) != FS_OK || info.struct_size != sizeof info) return false;
        const bt_field *f = &fields[i];
        const unsigned char *p = (const unsigned char *)defaults + f->offset;
        double def = 0;
        fs_option_type want = FS_OPTION_INT;
        switch (f->type) {
        case 'i': { int32_t v; memcpy(&v, p, 4); def = v; want = info.type == FS_OPTION_BOOL ? FS_OPTION_BOOL : FS_OPTION_INT; break; }
        case 'e': { int32_t v; memcpy(&v, p, 4); def = v; want = FS_OPTION_ENUM; break; }
        case 'f': { float v; memcpy(&v, p, 4); def = v; want = FS_OPTION_FLOAT; break; }
        case 's': want = FS_OPTION_STRING; break;
        }
        bool ok = strcmp(info.name, f->name) == 0 && info.type == want && info.summary && info.summary[0];
        if (ok && f->type == 's') ok = info.default_string != NULL;  /* a NULL field means this default */
        else if (ok) {
            ok = fabs(info.default_value - def) <= 1e-6 * fmax(1, fabs(def));
            bool in_range = (info.min_exclusive ? def > info.min : def >= info.min) &&
                            (info.max_exclusive ? def < info.max : def <= info.max);
            if (info.type == FS_OPTION_ENUM) in_range = fs_enum_name(info.enum_kind, (int32_t)def) != NULL;
            if (info.has_special && def == info.special) in_range = true;
            ok = ok && in_range;
        }
        if (!ok) {
            fprintf(stderr, "    kind %d option %zu: library '%s' type %d default %g [%g, %g]; header '%s' default %g\n", (int)kind,
                    i, info.name, (int)info.type, info.default_value, info.min, info.max, f->name, def);
            return false;
        }
    }
    return true;
}

static bool bt_options_described_ok(bt_describe_fn describe) {
    fs_detector_options d;
    fs_swap_options s;
    fs_stream_options st;
    fs_video_options v;
    fs_reenact_options r;
    fs_extract_options e;
    fs_train_options t;
    FS_DETECTOR_OPTIONS_INIT(&d);
    FS_SWAP_OPTIONS_INIT(&s);
    FS_STREAM_OPTIONS_INIT(&st);
    FS_VIDEO_OPTIONS_INIT(&v);
    FS_REENACT_OPTIONS_INIT(&r);
    FS_EXTRACT_OPTIONS_INIT(&e);
    FS_TRAIN_OPTIONS_INIT(&t);
#define N(a) (sizeof a / sizeof a[0])
    return bt_options_kind_ok(describe, FS_OPTIONS_DETECTOR, &d, k_detector_fields, N(k_detector_fields)) &&
           bt_options_kind_ok(describe, FS_OPTIONS_SWAP, &s, k_swap_fields, N(k_swap_fields)) &&
           bt_options_kind_ok(describe, FS_OPTIONS_STREAM, &st, k_stream_fields, N(k_stream_fields)) &&
           bt_options_kind_ok(describe, FS_OPTIONS_VIDEO, &v, k_video_fields, N(k_video_fields)) &&
           bt_options_kind_ok(describe, FS_OPTIONS_REENACT, &r, k_reenact_fields, N(k_reenact_fields)) &&
           bt_options_kind_ok(describe, FS_OPTIONS_EXTRACT, &e, k_extract_fields, N(k_extract_fields)) &&
           bt_options_kind_ok(describe, FS_OPTIONS_TRAIN, &t, k_train_fields, N(k_train_fields));
#undef N
}

/* A caller that knows only struct_size and type (8 bytes) gets exactly those. */
static bool bt_option_info_short_ok(bt_describe_fn describe) {
    struct { fs_option_info info; } w;
    memset(&w, 0x5A, sizeof w);
    w.info.struct_size = 8;
    if (describe(FS_OPTIONS_SWAP, 3, &w.info, NULL) != FS_OK) return false;
    if (w.info.struct_size != 8 || w.info.type != FS_OPTION_FLOAT) return false;
    const unsigned char *b = (const unsigned char *)&w.info;
    for (size_t i = 8; i < sizeof w.info; i++)
        if (b[i] != 0x5A) return false;
    return true;
}

static bool bt_option_find_ok(fs_status (*find)(fs_options_kind, const char *, fs_option_info *)) {
    fs_option_info i = {.struct_size = sizeof i};
    if (find(FS_OPTIONS_SWAP, "expression", &i) != FS_OK) return false;
    fs_option_info b = {.struct_size = sizeof b};
    if (find(FS_OPTIONS_SWAP, "blend", &b) != FS_OK) return false;
    return strcmp(i.name, "expression") == 0 && i.type == FS_OPTION_FLOAT && fabs(i.default_value - 0.6) < 1e-6 &&
           i.min == 0 && i.max == 1 && !i.min_exclusive && !i.max_exclusive && b.type == FS_OPTION_ENUM &&
           b.enum_kind == FS_ENUM_BLEND_MODE && (int32_t)b.default_value == FS_BLEND_MULTIBAND;
}

static bool bt_encode_and_free(bt_ctx *c, void (*free_fn)(void *)) {
    void *data = NULL;
    size_t size = 0;
    if (fs_image_encode(c->img, FS_CODEC_PNG, 0, &data, &size) != FS_OK || !data || size == 0) return false;
    free_fn(data);
    return true;
}

static bool bt_image_free_twice(void (*free_fn)(fs_image *)) {
    fs_image *i = NULL;
    if (fs_image_create(8, 8, FS_FORMAT_GRAY8, &i) != FS_OK) return false;
    uintptr_t u = (uintptr_t)i;
    free_fn(i);
    free_fn((fs_image *)u);
    fs_image_view v;
    return fs_image_get_view((const fs_image *)u, &v) == FS_ERR_INVALID_ARGUMENT;
}

static bool bt_stream_free_twice(bt_ctx *c, void (*free_fn)(fs_stream *)) {
    uintptr_t u = bt_stale_stream(c);
    if (!u) return false;
    free_fn((fs_stream *)u);
    return fs_stream_reset((fs_stream *)u) == FS_ERR_INVALID_ARGUMENT;
}

static bool bt_reenactor_free_twice(bt_ctx *c, void (*free_fn)(fs_reenactor *)) {
    uintptr_t u = bt_stale_reenactor(c);
    if (!u) return false;
    free_fn((fs_reenactor *)u);
    return fs_reenactor_reset((fs_reenactor *)u) == FS_ERR_INVALID_ARGUMENT;
}

static bool bt_detector_defaults_ok(fs_detector_options o) {
    return o.backend == FS_DETECTOR_HOG && o.model_path == NULL && o.upsample == 0 && o.min_face_size == 80 &&
           o.downscale == 0.0f && o.margin == 0.5f && o.threshold == 0.0f && o.max_faces == 0;
}

static bool bt_swap_defaults_ok(fs_swap_options o) {
    return o.mode == FS_CONVERT_DELAUNAY && o.color == FS_COLOR_REINHARD && o.blend == FS_BLEND_MULTIBAND &&
           o.face_index == -1 && o.keep_mouth == 1 && o.keep_unmatched == 0 && o.use_reference == 0 &&
           close_to(o.identity_threshold, 0.6, 1e-6);
}

static bool bt_stream_defaults_ok(fs_stream_options o) {
    return o.struct_size == sizeof(fs_stream_options) && o.detect_interval == 5 && close_to(o.min_cutoff, 2, 1e-6) &&
           close_to(o.beta, 8, 1e-6) && close_to(o.scene_cut, 28, 1e-6);
}

static bool bt_video_defaults_ok(fs_video_options o) {
    return o.struct_size == sizeof(fs_video_options) && o.crf == 18 && o.preset == NULL && o.stream == NULL;
}

static bool bt_reenact_defaults_ok(fs_reenact_options o) {
    return o.struct_size == sizeof(fs_reenact_options) && o.expression == 1.0f && o.head_motion == 1.0f &&
           o.mouth_fill == 1 && o.side_by_side == 0 && o.stream == NULL;
}

static bool bt_untouched(const void *p, size_t n); /* every byte is the pattern the outputs are reset to */

/* ---- the table ---- */

#define BT_CAT2(a, b) a##b
#define BT_CAT(a, b) BT_CAT2(a, b)
#define ROW(fn, what, want, msg, ...) \
    static int BT_CAT(bt_row_, __LINE__)(bt_ctx * c) { (void)c; return (int)(__VA_ARGS__); }
#include "bad_input_table.h"
#undef ROW

typedef struct bt_case {
    const char *fn;     /* the function the row is about */
    const char *what;   /* the case */
    int (*thunk)(bt_ctx *);
    fs_status want;
    const char *msg;    /* '|'-separated parts the message must all contain; NULL for FS_OK rows */
    const char *expr;   /* the call as written */
    int line;           /* in bad_input_table.h */
} bt_case;

#define ROW(fn, what, want, msg, ...) {#fn, what, BT_CAT(bt_row_, __LINE__), want, msg, #__VA_ARGS__, __LINE__},
static const bt_case k_bt_cases[] = {
#include "bad_input_table.h"
};
#undef ROW
#define BT_NCASES (sizeof k_bt_cases / sizeof k_bt_cases[0])

/* The distinct function names of the table, in first-row order; returns how many. */
static size_t bt_functions(const char **names, size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < BT_NCASES; i++) {
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++) seen = strcmp(names[k], k_bt_cases[i].fn) == 0;
        if (!seen && n < cap) names[n++] = k_bt_cases[i].fn;
    }
    return n;
}

/* ---- fixtures ---- */

static bool write_y4m(const char *path, int w, int h, int frames, size_t last_frame_bytes, uint32_t seed) {
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fprintf(f, "YUV4MPEG2 W%d H%d F25:1 Ip A1:1 C420jpeg\n", w, h) > 0;
    size_t frame = (size_t)w * (size_t)h * 3 / 2;
    unsigned char *buf = calloc(frame, 1);
    ok = ok && buf != NULL;
    for (int i = 0; ok && i < frames; i++) {
        for (size_t k = 0; seed && k < frame; k++) {
            seed = seed * 1664525u + 1013904223u;
            buf[k] = (unsigned char)(seed >> 24);
        }
        size_t n = i == frames - 1 && last_frame_bytes < frame ? last_frame_bytes : frame;
        ok = fputs("FRAME\n", f) >= 0 && fwrite(buf, 1, n, f) == n;
    }
    free(buf);
    return (fclose(f) == 0) && ok;
}

static bool write_wav(const char *path) {
    unsigned char h[44];
    const uint32_t samples = 8000, data = 2 * samples;
    memcpy(h, "RIFF", 4);
    uint32_t v32[] = {36 + data};
    memcpy(h + 4, v32, 4);
    memcpy(h + 8, "WAVEfmt ", 8);
    uint32_t fmt_size = 16, rate = 8000, bytes_per_s = 16000;
    uint16_t pcm = 1, channels = 1, align = 2, bits = 16;
    memcpy(h + 16, &fmt_size, 4);
    memcpy(h + 20, &pcm, 2);
    memcpy(h + 22, &channels, 2);
    memcpy(h + 24, &rate, 4);
    memcpy(h + 28, &bytes_per_s, 4);
    memcpy(h + 32, &align, 2);
    memcpy(h + 34, &bits, 2);
    memcpy(h + 36, "data", 4);
    memcpy(h + 40, &data, 4);
    unsigned char *all = calloc(1, sizeof h + data);
    if (!all) return false;
    memcpy(all, h, sizeof h);
    bool ok = write_whole_file(path, all, sizeof h + data);
    free(all);
    return ok;
}

/* An MP4 whose mdat box (the coded frames) is all zeros: the container opens, nothing decodes. */
static bool write_zeroed_mdat(const char *from, const char *to) {
    size_t n = 0;
    unsigned char *b = read_whole_file(from, &n);
    if (!b) return false;
    bool found = false;
    for (size_t i = 0; i + 8 <= n;) {
        size_t len = ((size_t)b[i] << 24) | ((size_t)b[i + 1] << 16) | ((size_t)b[i + 2] << 8) | b[i + 3];
        if (len < 8 || i + len > n) break;
        if (memcmp(b + i + 4, "mdat", 4) == 0) {
            memset(b + i + 8, 0, len - 8);
            found = true;
        }
        i += len;
    }
    bool ok = found && write_whole_file(to, b, n);
    free(b);
    return ok;
}

/* The first `keep` bytes of a file into another (0 when it cannot). */
static bool copy_prefix(const char *from, const char *to, size_t keep) {
    FILE *f = fopen(from, "rb");
    if (!f) return false;
    unsigned char *buf = malloc(keep);
    size_t got = buf ? fread(buf, 1, keep, f) : 0;
    fclose(f);
    bool ok = got == keep && write_whole_file(to, buf, keep);
    free(buf);
    return ok;
}

static unsigned char *patched_sof(const unsigned char *src, size_t n, int w, int h) {
    unsigned char *p = malloc(n);
    if (!p) return NULL;
    memcpy(p, src, n);
    size_t sof = find_sof(p, n);
    if (!sof) {
        free(p);
        return NULL;
    }
    p[sof + 5] = (unsigned char)(h >> 8);
    p[sof + 6] = (unsigned char)h;
    p[sof + 7] = (unsigned char)(w >> 8);
    p[sof + 8] = (unsigned char)w;
    return p;
}

static void bt_path(char *buf, size_t n, const char *dir, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }

static bool bt_setup(bt_ctx *c, shared_models *m, swap_ctx *s, const jpegs *j) {
    c->det = m->det;
    c->lm = m->lm;
    c->rec = s->rec;
    c->sw = s->sw;
    c->src = s->src;
    c->obama = m->obama;
    c->biden = s->biden;
    c->face = m->obama_face;
    if (!c->det || !c->lm || !c->sw || !c->src || !c->obama || !c->biden || !m->have_obama_face ||
        !j->two || !j->obama) {
        CHECKF(false, "fixtures from the earlier groups are missing");
        return false;
    }
    tmp_path(c->dir, sizeof c->dir, "bt");
    tmp_path(c->idir, sizeof c->idir, "bt_images");
    tmp_path(c->vdir, sizeof c->vdir, "bt_videos");
    if (mkdir(c->dir, 0755) != 0 || mkdir(c->idir, 0755) != 0 || mkdir(c->vdir, 0755) != 0) {
        CHECKF(false, "cannot create the table's folders: %s", strerror(errno));
        return false;
    }

    /* Images. */
    c->img = make_image(32, 32, FS_FORMAT_BGR8, gradient_at);
    c->gray = make_image(32, 32, FS_FORMAT_GRAY8, gradient_at);
    c->rgb = make_image(32, 32, FS_FORMAT_RGB8, gradient_at);
    EXPECT_OK(fs_image_create(64, 64, FS_FORMAT_BGR8, &c->blank));
    EXPECT_OK(fs_image_create(16400, 4, FS_FORMAT_GRAY8, &c->wide)); /* x2 upsampled: over the side limit */
    EXPECT_OK(fs_image_create(10, 10, FS_FORMAT_BGR8, &c->tiny));
    c->target = copy_image(c->biden);
    /* A small photo with one face: fr_obama1's face aligned into 320 x 320. */
    fs_affine t;
    if (EXPECT_OK(fs_align_transform(&c->face, 320, 0.25f, &t))) EXPECT_OK(fs_align_crop(c->obama, &t, 320, &c->photo));
    if (!c->img || !c->gray || !c->rgb || !c->blank || !c->wide || !c->tiny || !c->target || !c->photo) return false;
    size_t nf = 0;
    EXPECT_OK(fs_detect(c->det, c->photo, NULL, 0, &nf));
    CHECKF(nf == 1, "the 320x320 photo has %zu faces, want 1", nf);
    memset(&c->noface, 0, sizeof c->noface);
    c->noface.rect = c->noface.box = (fs_rect){10, 10, 50, 50};

    /* Handles the table owns. */
    fs_detector_options up1 = detector_defaults();
    up1.upsample = 1;
    EXPECT_OK(fs_detector_create(&up1, &c->det_up1));
    fs_swap_options so = swap_defaults();
    so.face_index = 3;
    EXPECT_OK(fs_swapper_create(c->det, c->lm, NULL, &so, &c->sw_idx3));
    EXPECT_OK(fs_stream_create(c->sw, c->src, NULL, &c->st));
    EXPECT_OK(fs_reenactor_create(c->det, c->lm, c->photo, NULL, &c->re));
    if (fs_model_find("shape_predictor_5_face_landmarks.dat", c->p5, sizeof c->p5) == FS_OK)
        EXPECT_OK(fs_landmarker_create(c->p5, &c->lm5));
    else
        c->p5[0] = '\0';
    if (fs_model_find("mmod_human_face_detector.dat", c->pcnn, sizeof c->pcnn) != FS_OK) c->pcnn[0] = '\0';
    if (fs_model_find("haarcascade_frontalface_default.xml", c->phaar, sizeof c->phaar) != FS_OK) c->phaar[0] = '\0';
    if (!c->sw_idx3 || !c->st || !c->re || !c->det_up1) return false;

    /* Freed handles whose objects stay alive: pin (a stream) keeps sw2 and src2, sw2 keeps det2,
     * lm2 and rec2; their handles are freed. */
    fs_detector *det2 = NULL;
    fs_landmarker *lm2 = NULL;
    fs_recognizer *rec2 = NULL;
    fs_swapper *sw2 = NULL;
    fs_source *src2 = NULL;
    EXPECT_OK(fs_detector_create(NULL, &det2));
    EXPECT_OK(fs_landmarker_create(NULL, &lm2));
    if (c->rec) EXPECT_OK(fs_recognizer_create(s->rec_path, &rec2));
    if (det2 && lm2) EXPECT_OK(fs_swapper_create(det2, lm2, rec2, NULL, &sw2));
    if (sw2) EXPECT_OK(fs_source_prepare(sw2, c->photo, 0, &src2));
    if (src2) EXPECT_OK(fs_stream_create(sw2, src2, NULL, &c->pin));
    if (!c->pin) return false;
    c->stale_det = (uintptr_t)det2;
    c->stale_lm = (uintptr_t)lm2;
    c->stale_rec = (uintptr_t)rec2;
    c->stale_sw = (uintptr_t)sw2;
    c->stale_src = (uintptr_t)src2;
    fs_detector_free(det2);
    fs_landmarker_free(lm2);
    fs_recognizer_free(rec2);
    fs_swapper_free(sw2);
    fs_source_free(src2);

    /* Learned conversion: one photo per person extracted at 64 px, an untrained model saved and
     * loaded twice (one copy freed while a learned swapper keeps it), a live trainer. */
    tmp_path(c->ex_a, sizeof c->ex_a, "bt_faces_a");
    tmp_path(c->ex_b, sizeof c->ex_b, "bt_faces_b");
    tmp_path(c->ex_out, sizeof c->ex_out, "bt_extract");
    tmp_path(c->ex_empty, sizeof c->ex_empty, "bt_no_faces");
    tmp_path(c->ex_missing, sizeof c->ex_missing, "no_such_folder_0123");
    tmp_path(c->model_path, sizeof c->model_path, "bt_model.fsm");
    tmp_path(c->train_path, sizeof c->train_path, "bt_training.fsm");
    tmp_path(c->stale_train_path, sizeof c->stale_train_path, "bt_stale_training.fsm");
    {
        char pa[1024], pb[1024];
        data_path(pa, sizeof pa, "fr_obama1.jpg");
        data_path(pb, sizeof pb, "fr_biden2.jpg");
        const char *in_a[1] = {pa}, *in_b[1] = {pb};
        fs_extract_options eo = extract_defaults();
        eo.size = 64;
        fs_train_options to = bt_train_options();
        fs_trainer *t0 = NULL;
        fs_model *m2 = NULL;
        if (mkdir(c->ex_empty, 0755) == 0 && EXPECT_OK(fs_extract(c->det, c->lm, in_a, 1, c->ex_a, &eo, NULL, NULL, NULL)) &&
            EXPECT_OK(fs_extract(c->det, c->lm, in_b, 1, c->ex_b, &eo, NULL, NULL, NULL)) &&
            EXPECT_OK(fs_trainer_create(c->ex_a, c->ex_b, c->model_path, &to, &t0)) && EXPECT_OK(fs_trainer_save(t0)) &&
            EXPECT_OK(fs_model_load(c->model_path, &c->model)) && EXPECT_OK(fs_model_load(c->model_path, &m2)) &&
            EXPECT_OK(fs_swapper_create_learned(c->det, c->lm, m2, 0, NULL, &c->pin_learned))) {
            c->stale_model = (uintptr_t)m2;
        }
        fs_model_free(m2); /* with pin_learned made, its object lives on: a freed handle */
        fs_trainer_free(t0);
        if (c->ex_a[0]) EXPECT_OK(fs_trainer_create(c->ex_a, c->ex_b, c->train_path, &to, &c->trainer));
        bt_path(c->model_trunc, sizeof c->model_trunc, c->dir, "model_truncated.fsm");
        if (!c->model || !copy_prefix(c->model_path, c->model_trunc, 65536)) c->model_trunc[0] = '\0';
    }

    /* Values. */
    c->ident = (fs_affine){{1, 0, 0, 0, 1, 0}};
    c->singular = (fs_affine){{0, 0, 5, 0, 0, 7}};
    c->rank1 = (fs_affine){{1, 2, 0, 2, 4, 0}};
    c->tiny_t = (fs_affine){{1e-300, 0, 0, 0, 1e-300, 0}};
    c->nan_t = (fs_affine){{1, 0, NAN, 0, 1, 0}};
    c->inf_t = (fs_affine){{INFINITY, 0, 0, 0, 1, 0}};
    for (int i = 0; i < FS_MAX_LANDMARKS; i++) c->pts[i] = (fs_point){(float)i, (float)(2 * i)};
    for (int i = 0; i < FS_EMBEDDING_SIZE; i++) c->emb[i] = (float)i / 128.0f;
    c->set_a[0] = c->img;
    c->set_a_null[0] = c->img;
    c->set_a_null[1] = NULL;
    c->set_gray[0] = c->gray;
    c->set_b[0] = c->img;
    c->set_b_null[0] = NULL;
    c->set_b_det[0] = (const fs_image *)c->det;
    c->set_rgb[0] = c->rgb;
    uint32_t r = 12345;
    for (size_t i = 0; i < sizeof c->corrupt; i++) {
        r = r * 1103515245u + 12345u;
        c->corrupt[i] = c->corrupt2[i] = (unsigned char)(r >> 16);
    }
    c->corrupt[0] = c->corrupt2[0] = 0xFF;
    c->corrupt[1] = c->corrupt2[1] = 0xD8;
    c->corrupt[2] = c->corrupt2[2] = 0xFF;
    c->corrupt[3] = 0xC0; /* SOF0 with a garbage body */
    c->corrupt2[3] = 0x17;

    /* Image data. */
    c->two = j->two;
    c->two_size = j->two_size;
    c->prog = j->obama;
    c->prog_size = j->obama_size;
    c->huge0 = patched_sof(j->two, j->two_size, 60000, 60000);
    c->huge2 = patched_sof(j->obama, j->obama_size, 60000, 60000);
    c->wide0 = patched_sof(j->two, j->two_size, 40000, 100);
    c->jpg_w0 = patched_sof(j->two, j->two_size, 0, 100);
    void *png = NULL;
    if (!EXPECT_OK(fs_image_encode(c->img, FS_CODEC_PNG, 0, &png, &c->png_size))) return false;
    c->png = png;
    c->png_huge = malloc(c->png_size);
    c->png_zero = malloc(c->png_size);
    if (!c->huge0 || !c->huge2 || !c->wide0 || !c->jpg_w0 || !c->png_huge || !c->png_zero || c->png_size < 24) {
        CHECKF(false, "cannot build the patched JPEG/PNG data");
        return false;
    }
    memcpy(c->png_huge, c->png, c->png_size);
    memcpy(c->png_zero, c->png, c->png_size);
    static const unsigned char ihdr_huge[8] = {0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60};
    static const unsigned char ihdr_zero[8] = {0, 0, 0, 0, 0, 0, 0, 16};
    memcpy(c->png_huge + 16, ihdr_huge, 8);
    memcpy(c->png_zero + 16, ihdr_zero, 8);

    /* Files. */
    bool ok = true;
    bt_path(c->missing, sizeof c->missing, c->dir, "no_such_photo_0123.jpg");
    bt_path(c->text, sizeof c->text, c->dir, "notes.txt");
    ok = ok && write_whole_file(c->text, bt_text, strlen(bt_text));
    bt_path(c->notdir, sizeof c->notdir, c->text, "x.jpg");
    {
        char name[301];
        memset(name, 'a', sizeof name - 1);
        name[sizeof name - 1] = '\0';
        bt_path(c->longpath, sizeof c->longpath, c->dir, name); /* a name over NAME_MAX (255) */
    }
    bt_path(c->empty, sizeof c->empty, c->dir, "empty.jpg");
    ok = ok && write_whole_file(c->empty, "", 0);
    bt_path(c->jpg_trunc, sizeof c->jpg_trunc, c->dir, "truncated.jpg");
    ok = ok && write_whole_file(c->jpg_trunc, c->two, c->two_size / 2);
    bt_path(c->jpg_trunc_prog, sizeof c->jpg_trunc_prog, c->dir, "truncated_progressive.jpg");
    ok = ok && write_whole_file(c->jpg_trunc_prog, c->prog, c->prog_size / 2);
    bt_path(c->jpg_corrupt, sizeof c->jpg_corrupt, c->dir, "corrupt.jpg");
    ok = ok && write_whole_file(c->jpg_corrupt, c->corrupt, sizeof c->corrupt);
    bt_path(c->jpg_huge0, sizeof c->jpg_huge0, c->dir, "huge_sof0.jpg");
    ok = ok && write_whole_file(c->jpg_huge0, c->huge0, c->two_size);
    bt_path(c->jpg_huge2, sizeof c->jpg_huge2, c->dir, "huge_sof2.jpg");
    ok = ok && write_whole_file(c->jpg_huge2, c->huge2, c->prog_size);
    bt_path(c->png_trunc_path, sizeof c->png_trunc_path, c->dir, "truncated.png");
    ok = ok && write_whole_file(c->png_trunc_path, c->png, c->png_size / 2);
    bt_path(c->png_huge_path, sizeof c->png_huge_path, c->dir, "huge.png");
    ok = ok && write_whole_file(c->png_huge_path, c->png_huge, c->png_size);
    bt_path(c->png_zero_path, sizeof c->png_zero_path, c->dir, "zero.png");
    ok = ok && write_whole_file(c->png_zero_path, c->png_zero, c->png_size);
    bt_path(c->iout_png, sizeof c->iout_png, c->idir, "out.png");
    bt_path(c->iout_jpg, sizeof c->iout_jpg, c->idir, "out.jpg");
    bt_path(c->iout_bmp, sizeof c->iout_bmp, c->idir, "unknown_extension.bmp");
    bt_path(c->iout_noext, sizeof c->iout_noext, c->idir, "no_extension");
    tmp_path(c->iout_nodir, sizeof c->iout_nodir, "no_such_folder_0123/out.png");
    bt_path(c->idir_as_file, sizeof c->idir_as_file, c->idir, "folder.png");
    ok = ok && mkdir(c->idir_as_file, 0755) == 0;
    bt_path(c->inotdir, sizeof c->inotdir, c->text, "out.png");
    /* Models. */
    bt_path(c->missing_model, sizeof c->missing_model, c->dir, "no_such_model_0123.dat");
    bt_path(c->garbage, sizeof c->garbage, c->dir, "garbage_model.dat");
    ok = ok && write_whole_file(c->garbage, c->corrupt2 + 4, sizeof c->corrupt2 - 4);
    bt_path(c->text_model, sizeof c->text_model, c->dir, "text_model.dat");
    ok = ok && write_whole_file(c->text_model, "this is not a model\n", 20);
    char p[4096];
    bt_path(c->trunc68, sizeof c->trunc68, c->dir, "shape_predictor_68_truncated.dat");
    if (fs_model_find(BT_P68, p, sizeof p) != FS_OK || !copy_prefix(p, c->trunc68, 65536)) c->trunc68[0] = '\0';
    bt_path(c->trunc_rec, sizeof c->trunc_rec, c->dir, "resnet_truncated.dat");
    if (!s->rec_path[0] || !copy_prefix(s->rec_path, c->trunc_rec, 65536)) c->trunc_rec[0] = '\0';
    bt_path(c->trunc_cnn, sizeof c->trunc_cnn, c->dir, "mmod_truncated.dat");
    if (!c->pcnn[0] || !copy_prefix(c->pcnn, c->trunc_cnn, 65536)) c->trunc_cnn[0] = '\0';
    bt_path(c->trunc_haar, sizeof c->trunc_haar, c->dir, "haar_truncated.xml");
    if (!c->phaar[0] || !copy_prefix(c->phaar, c->trunc_haar, 4096)) c->trunc_haar[0] = '\0';
    /* Videos. */
    video_path(c->vin, sizeof c->vin, "vr_face5.mp4");
    video_path(c->vmissing, sizeof c->vmissing, "no_such_clip_0123.mp4");
    bt_path(c->vtext, sizeof c->vtext, c->dir, "not_a_video.mp4");
    ok = ok && write_whole_file(c->vtext, bt_text, strlen(bt_text));
    bt_path(c->vtrunc, sizeof c->vtrunc, c->dir, "truncated.mp4");
    long long vsize = 0;
    ok = ok && file_exists(c->vin, &vsize) && copy_prefix(c->vin, c->vtrunc, (size_t)vsize / 2);
    bt_path(c->vzero, sizeof c->vzero, c->dir, "zero_frames.y4m");
    ok = ok && write_y4m(c->vzero, 64, 64, 0, 0, 0);
    bt_path(c->vtrunc_frame, sizeof c->vtrunc_frame, c->dir, "truncated_frame.y4m");
    ok = ok && write_y4m(c->vtrunc_frame, 64, 64, 1, 100, 0);
    bt_path(c->vcorrupt, sizeof c->vcorrupt, c->dir, "corrupt_stream.mp4");
    ok = ok && write_zeroed_mdat(c->vin, c->vcorrupt);
    bt_path(c->vaudio, sizeof c->vaudio, c->dir, "audio_only.wav");
    ok = ok && write_wav(c->vaudio);
    bt_path(c->vout, sizeof c->vout, c->vdir, "out.mp4");
    bt_path(c->vout_xyz, sizeof c->vout_xyz, c->vdir, "out.xyz");
    bt_path(c->vout_noext, sizeof c->vout_noext, c->vdir, "out");
    tmp_path(c->vout_nodir, sizeof c->vout_nodir, "no_such_folder_0123/out.mp4");
    {
        unsigned char fake[4096]; /* the model file's magic, then garbage */
        memcpy(fake, c->corrupt2, sizeof fake);
        memcpy(fake, "FSMODEL", 7);
        bt_path(c->model_fake, sizeof c->model_fake, c->dir, "fake.fsm");
        ok = ok && write_whole_file(c->model_fake, fake, sizeof fake);
    }
    data_path(c->photo_path, sizeof c->photo_path, "fr_obama1.jpg");
    c->ex_in[0] = c->photo_path;
    c->ex_in_null[0] = NULL;
    c->ex_in_missing[0] = c->missing;
    c->ex_in_text[0] = c->text;
    c->ex_in_trunc[0] = c->jpg_trunc;
    c->ex_in_emptydir[0] = c->ex_empty;
    CHECKF(ok, "cannot write the table's input files in %s", c->dir);
    return ok;
}

static void bt_teardown(bt_ctx *c) {
    fs_trainer_free(c->trainer);
    fs_swapper_free(c->pin_learned);
    fs_model_free(c->model);
    fs_stream_free(c->pin);
    fs_stream_free(c->st);
    fs_reenactor_free(c->re);
    fs_swapper_free(c->sw_idx3);
    fs_detector_free(c->det_up1);
    fs_landmarker_free(c->lm5);
    fs_image_free(c->img);
    fs_image_free(c->gray);
    fs_image_free(c->rgb);
    fs_image_free(c->blank);
    fs_image_free(c->wide);
    fs_image_free(c->tiny);
    fs_image_free(c->target);
    fs_image_free(c->photo);
    free(c->huge0);
    free(c->huge2);
    free(c->wide0);
    free(c->jpg_w0);
    fs_free(c->png);
    free(c->png_huge);
    free(c->png_zero);
}

/* ---- one row ---- */

static const unsigned char k_bt_pattern = 0x5A;

static void bt_reset_outputs(bt_ctx *c) {
    c->o_img = (fs_image *)&c->o_img;
    c->o_mask = (fs_image *)&c->o_mask;
    c->o_data = &c->o_data;
    c->o_size = 99;
    c->o_count = 99;
    c->o_det = (fs_detector *)&c->o_det;
    c->o_lm = (fs_landmarker *)&c->o_lm;
    c->o_rec = (fs_recognizer *)&c->o_rec;
    c->o_sw = (fs_swapper *)&c->o_sw;
    c->o_src = (fs_source *)&c->o_src;
    c->o_st = (fs_stream *)&c->o_st;
    c->o_re = (fs_reenactor *)&c->o_re;
    c->o_model = (fs_model *)&c->o_model;
    c->o_tr = (fs_trainer *)&c->o_tr;
    memset(&c->o_iter, k_bt_pattern, sizeof c->o_iter);
    memset(&c->o_minfo, k_bt_pattern, sizeof c->o_minfo);
    c->o_minfo.struct_size = sizeof c->o_minfo;
    memset(&c->o_vstats, k_bt_pattern, sizeof c->o_vstats);
    c->o_vstats.struct_size = sizeof c->o_vstats;
    memset(&c->o_estats, k_bt_pattern, sizeof c->o_estats);
    c->o_estats.struct_size = sizeof c->o_estats;
    memset(&c->o_opt, k_bt_pattern, sizeof c->o_opt);
    memset(&c->o_affine, k_bt_pattern, sizeof c->o_affine);
    memset(&c->o_view, k_bt_pattern, sizeof c->o_view);
    memset(&c->o_face, k_bt_pattern, sizeof c->o_face);
    memset(c->o_faces, k_bt_pattern, sizeof c->o_faces);
    memset(&c->o_metrics, k_bt_pattern, sizeof c->o_metrics);
    c->o_metrics.struct_size = sizeof c->o_metrics;
    memset(c->o_points, k_bt_pattern, sizeof c->o_points);
    memset(c->o_emb, k_bt_pattern, sizeof c->o_emb);
    memset(c->o_buf, k_bt_pattern, sizeof c->o_buf);
    memset(&c->o_i32, k_bt_pattern, sizeof c->o_i32);
    memset(&c->o_oinfo, k_bt_pattern, sizeof c->o_oinfo);
    c->o_oinfo.struct_size = sizeof c->o_oinfo;
    c->progress_calls = 0;
}

/* Frees whatever a row made (an FS_OK row, or a row that wrongly succeeded). */
static void bt_release_outputs(bt_ctx *c) {
    if (c->o_img != (fs_image *)&c->o_img) fs_image_free(c->o_img);
    if (c->o_mask != (fs_image *)&c->o_mask) fs_image_free(c->o_mask);
    if (c->o_data != &c->o_data) fs_free(c->o_data);
    if (c->o_det != (fs_detector *)&c->o_det) fs_detector_free(c->o_det);
    if (c->o_lm != (fs_landmarker *)&c->o_lm) fs_landmarker_free(c->o_lm);
    if (c->o_rec != (fs_recognizer *)&c->o_rec) fs_recognizer_free(c->o_rec);
    if (c->o_sw != (fs_swapper *)&c->o_sw) fs_swapper_free(c->o_sw);
    if (c->o_src != (fs_source *)&c->o_src) fs_source_free(c->o_src);
    if (c->o_st != (fs_stream *)&c->o_st) fs_stream_free(c->o_st);
    if (c->o_re != (fs_reenactor *)&c->o_re) fs_reenactor_free(c->o_re);
    if (c->o_model != (fs_model *)&c->o_model) fs_model_free(c->o_model);
    if (c->o_tr != (fs_trainer *)&c->o_tr) fs_trainer_free(c->o_tr);
}

static bool bt_untouched(const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != k_bt_pattern) return false;
    return true;
}

/* token occurs in s as a whole name (not followed by a letter, digit or '_'). */
static bool bt_mentions(const char *s, const char *token) {
    size_t n = strlen(token);
    for (const char *p = strstr(s, token); p; p = strstr(p + 1, token)) {
        char next = p[n];
        bool ident = (next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') || (next >= '0' && next <= '9') ||
                     next == '_';
        if (!ident) return true;
    }
    return false;
}

/* Appends to why (as "; ...") every way a failing row broke the conventions on outputs. */
static void bt_check_failure_outputs(bt_ctx *c, const bt_case *r, char *why, size_t n) {
    const char *e = r->expr;
#define BT_OUT_NULL(token, field)                                                                       \
    if (bt_mentions(e, token) && c->field != NULL)                                                           \
        snprintf(why + strlen(why), n - strlen(why), "; %s was not set to NULL", &token[1])
#define BT_OUT_ZERO(token, field)                                                                       \
    if (bt_mentions(e, token) && c->field != 0)                                                              \
        snprintf(why + strlen(why), n - strlen(why), "; %s is %zu, not 0", token + 1, c->field)
#define BT_OUT_KEPT(token, field)                                                                       \
    if (bt_mentions(e, token) && !bt_untouched(&c->field, sizeof c->field))                                 \
        snprintf(why + strlen(why), n - strlen(why), "; %s was written", token)
/* An output struct the caller sized: everything after its struct_size. */
#define BT_OUT_KEPT_SIZED(token, field)                                                                 \
    if (bt_mentions(e, token) && !bt_untouched((const unsigned char *)&c->field + 4, sizeof c->field - 4))  \
        snprintf(why + strlen(why), n - strlen(why), "; %s was written", token)
    BT_OUT_NULL("&c->o_img", o_img);
    BT_OUT_NULL("&c->o_mask", o_mask);
    BT_OUT_NULL("&c->o_data", o_data);
    BT_OUT_NULL("&c->o_det", o_det);
    BT_OUT_NULL("&c->o_lm", o_lm);
    BT_OUT_NULL("&c->o_rec", o_rec);
    BT_OUT_NULL("&c->o_sw", o_sw);
    BT_OUT_NULL("&c->o_src", o_src);
    BT_OUT_NULL("&c->o_st", o_st);
    BT_OUT_NULL("&c->o_re", o_re);
    BT_OUT_NULL("&c->o_model", o_model);
    BT_OUT_NULL("&c->o_tr", o_tr);
    BT_OUT_KEPT("c->o_iter", o_iter);
    BT_OUT_KEPT_SIZED("c->o_minfo", o_minfo);
    BT_OUT_KEPT_SIZED("c->o_vstats", o_vstats);
    BT_OUT_KEPT_SIZED("c->o_estats", o_estats);
    BT_OUT_KEPT("c->o_opt", o_opt);
    BT_OUT_ZERO("&c->o_size", o_size);
    BT_OUT_ZERO("&c->o_count", o_count);
    BT_OUT_KEPT("c->o_affine", o_affine);
    BT_OUT_KEPT("c->o_view", o_view);
    BT_OUT_KEPT("c->o_face", o_face);
    BT_OUT_KEPT("c->o_faces", o_faces);
    BT_OUT_KEPT_SIZED("c->o_metrics", o_metrics);
    BT_OUT_KEPT("c->o_points", o_points);
    BT_OUT_KEPT("c->o_emb", o_emb);
    BT_OUT_KEPT("c->o_buf", o_buf);
    BT_OUT_KEPT("c->o_i32", o_i32);
    BT_OUT_KEPT_SIZED("c->o_oinfo", o_oinfo);
#undef BT_OUT_NULL
#undef BT_OUT_ZERO
#undef BT_OUT_KEPT
#undef BT_OUT_KEPT_SIZED
    if (bt_mentions(e, "c->target") && !images_identical(c->target, c->biden)) {
        snprintf(why + strlen(why), n - strlen(why), "; the target's pixels changed");
        fs_image_free(c->target);
        c->target = copy_image(c->biden);
    }
    if ((bt_mentions(e, "bt_cancel") || bt_mentions(e, "bt_train_cancel")) && c->progress_calls != 1)
        snprintf(why + strlen(why), n - strlen(why), "; progress was called %d times after asking to cancel",
                 c->progress_calls);
}

/* Every '|'-separated part of want is in msg. */
static bool bt_message_has(const char *msg, const char *want, char *missing, size_t n) {
    const char *p = want;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        char part[256];
        snprintf(part, sizeof part, "%.*s", (int)len, p);
        if (!strstr(msg, part)) {
            snprintf(missing, n, "%s", part);
            return false;
        }
        p += len + (bar ? 1 : 0);
    }
    return true;
}

static void test_bad_input_table(shared_models *m, swap_ctx *s, const jpegs *j) {
    group_begin("bad-input-table", "one table row per bad input of every function in faceswap.h: NULL for each "
                                   "pointer, zero/negative/huge sizes, wrong strides and formats, freed-twice, "
                                   "freed and wrong-kind handles, corrupt and truncated images, model files and "
                                   "videos, 0-frame and undecodable videos, cancelling callbacks: each gives its "
                                   "status and a message naming the function and the bad argument; outputs NULL/0, "
                                   "struct outputs and targets untouched, no file left; no-op rows for functions "
                                   "without a failure mode");
    bt_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        CHECKF(false, "out of memory");
        group_end();
        return;
    }
    const char *names[128];
    size_t nfn = bt_functions(names, 128);
    int passed = 0, failed = 0;
    if (bt_setup(c, m, s, j)) {
        for (size_t i = 0; i < BT_NCASES; i++) {
            const bt_case *r = &k_bt_cases[i];
            char why[4096] = "", msg[2048] = "";
            if (!bt_mentions(r->expr, r->fn)) snprintf(why, sizeof why, "; the row's call does not mention %s", r->fn);
            int idir_before = count_dir_entries(c->idir);
            bt_prime_message(r->fn);
            bt_reset_outputs(c);
            int got = r->thunk(c);
            snprintf(msg, sizeof msg, "%s", fs_last_error_message());
            if (got == BT_SKIP) {
                snprintf(why + strlen(why), sizeof why - strlen(why), "; not run: a fixture it needs is missing "
                         "(a model file, which make test installs, or a fixture the table could not make)");
            } else if (r->want == FS_OK) {
                if (got == BT_FALSE)
                    snprintf(why + strlen(why), sizeof why - strlen(why), "; the condition is false");
                else if (got != FS_OK)
                    snprintf(why + strlen(why), sizeof why - strlen(why), "; got %s: \"%s\"",
                             status_name((fs_status)got), msg);
            } else if (got != (int)r->want) {
                snprintf(why + strlen(why), sizeof why - strlen(why), "; got %s \"%s\", want %s",
                         got == BT_FALSE ? "a false condition" : status_name((fs_status)got),
                         got == FS_OK ? "" : msg, status_name(r->want));
            } else {
                size_t fl = strlen(r->fn);
                char missing[256];
                if (bt_message_primed() || msg[0] == '\0')
                    snprintf(why + strlen(why), sizeof why - strlen(why), "; no new error message (still \"%s\")",
                             msg);
                else if (strncmp(msg, r->fn, fl) != 0 || msg[fl] != ':')
                    snprintf(why + strlen(why), sizeof why - strlen(why), "; the message \"%s\" does not start "
                             "with \"%s: \"", msg, r->fn);
                else if (r->msg && !bt_message_has(msg, r->msg, missing, sizeof missing))
                    snprintf(why + strlen(why), sizeof why - strlen(why), "; the message \"%s\" lacks \"%s\"", msg,
                             missing);
                bt_check_failure_outputs(c, r, why, sizeof why);
            }
            bt_release_outputs(c);
            /* No file may be left by a failing call (nor by a wrongly succeeding one). */
            int left = count_dir_entries(c->vdir);
            if (left != 0) {
                snprintf(why + strlen(why), sizeof why - strlen(why), "; %d file(s) left in %s", left, c->vdir);
                unlink(c->vout);
                unlink(c->vout_xyz);
                unlink(c->vout_noext);
            }
            if (count_dir_entries(c->idir) != idir_before) {
                snprintf(why + strlen(why), sizeof why - strlen(why), "; a file was left in %s", c->idir);
                unlink(c->iout_png);
                unlink(c->iout_jpg);
            }
            bool ok = why[0] == '\0';
            char label[512];
            snprintf(label, sizeof label, "bad_input_table.h:%d %s: %s", r->line, r->fn, r->what);
            check_impl(ok, r->line, label, "%s", ok ? "" : why + 2);
            if (ok) {
                passed++;
                if (g_verbose && r->want != FS_OK) printf("         -> %s: %s\n", status_name(r->want), msg);
            } else {
                failed++;
            }
        }
    } else {
        failed = (int)BT_NCASES;
        CHECKF(false, "the table's fixtures could not be made; its %zu rows did not run", BT_NCASES);
    }
    bt_teardown(c);
    free(c);
    printf("    bad-input table: %zu cases over %zu functions: %d passed", BT_NCASES, nfn, passed);
    if (failed) printf(", %d failed", failed);
    printf("\n");
    group_end();
}

/* ------------------------------------------------------------------------------------------ */
/* Resource bounds: peak memory of a refused huge JPEG, disk full while writing                */
/* ------------------------------------------------------------------------------------------ */

extern char **environ;
static char g_self[4096]; /* this program, for the child processes */

typedef struct child_result {
    bool ran;
    int exit_code;       /* -1 when killed by a signal */
    int signal;
    long maxrss_kb;      /* getrusage of the child (wait4) */
    char out[65536];     /* its standard output */
} child_result;

/* Runs this program again with argv (argv[0] is replaced), its stdout captured. posix_spawn: the
 * child does not copy our pages, so its peak resident size is its own (plus our peak at the time,
 * which Linux carries over exec; hence the memory children run before any model is loaded). */
static bool run_child(const char *const *args, child_result *r) {
    memset(r, 0, sizeof *r);
    char *argv[16];
    size_t n = 0;
    argv[n++] = g_self;
    for (size_t i = 1; args[i] && n < 15; i++) argv[n++] = (char *)args[i];
    argv[n] = NULL;
    int fds[2];
    if (pipe(fds) != 0) return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    fflush(stdout);
    pid_t pid;
    int e = posix_spawn(&pid, g_self, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (e != 0) {
        close(fds[0]);
        snprintf(r->out, sizeof r->out, "posix_spawn(%s): %s", g_self, strerror(e));
        return false;
    }
    size_t len = 0;
    for (;;) {
        ssize_t got = read(fds[0], r->out + len, sizeof r->out - 1 - len);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        len += (size_t)got;
        if (len == sizeof r->out - 1) { /* keep draining */
            char sink[4096];
            while (read(fds[0], sink, sizeof sink) > 0) {}
            break;
        }
    }
    r->out[len] = '\0';
    close(fds[0]);
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {}
    r->ran = true;
    r->maxrss_kb = ru.ru_maxrss;
    if (WIFEXITED(status)) {
        r->exit_code = WEXITSTATUS(status);
    } else {
        r->exit_code = -1;
        r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    return true;
}

static long proc_status_kb(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long v = -1;
    size_t n = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0) {
            v = strtol(line + n, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* --child peak MODE FILE: MODE baseline (read the file, call fs_version), decode (and
 * fs_image_decode it) or load (fs_image_load it instead). Prints one line. */
static int child_peak(const char *mode, const char *file) {
    size_t n = 0;
    unsigned char *bytes = read_whole_file(file, &n);
    unsigned v = fs_version();
    fs_status st = FS_OK;
    fs_image *img = NULL;
    if (strcmp(mode, "decode") == 0) st = fs_image_decode(bytes, n, &img);
    else if (strcmp(mode, "load") == 0) st = fs_image_load(file, &img);
    char msg[512] = "";
    if (st != FS_OK) snprintf(msg, sizeof msg, "%s", fs_last_error_message());
    fs_image_view view;
    int w = 0, h = 0;
    if (img && fs_image_get_view(img, &view) == FS_OK) {
        w = view.width;
        h = view.height;
    }
    printf("peak status=%d version=%u bytes=%zu size=%dx%d hwm_kb=%ld vmpeak_kb=%ld msg=%s\n", (int)st, v, n, w, h,
           proc_status_kb("VmHWM:"), proc_status_kb("VmPeak:"), msg);
    fs_image_free(img);
    free(bytes);
    return 0;
}

typedef struct peak_run {
    child_result r;
    int status;
    long hwm_kb, vmpeak_kb;
    char msg[512];
    bool parsed;
} peak_run;

static void run_peak(const char *mode, const char *file, peak_run *p) {
    memset(p, 0, sizeof *p);
    const char *args[] = {"", "--child", "peak", mode, file, NULL};
    if (!run_child(args, &p->r) || p->r.exit_code != 0) return;
    const char *line = strstr(p->r.out, "peak status=");
    if (!line) return;
    p->parsed = sscanf(line, "peak status=%d version=%*u bytes=%*u size=%*dx%*d hwm_kb=%ld vmpeak_kb=%ld", &p->status,
                       &p->hwm_kb, &p->vmpeak_kb) == 3;
    const char *m = strstr(line, "msg=");
    if (m) {
        snprintf(p->msg, sizeof p->msg, "%s", m + 4);
        p->msg[strcspn(p->msg, "\n")] = '\0';
    }
}

static double mb(long kb) { return (double)kb / 1024.0; }

static void test_bounds_memory(const jpegs *j) {
    group_begin("bounds-memory", "a JPEG whose SOF declares 60000x60000 (baseline SOF0, progressive SOF2) is "
                                 "refused from its header: FS_ERR_TOO_LARGE through fs_image_decode and "
                                 "fs_image_load with peak memory < 100 MB, measured in child processes (wait4's "
                                 "ru_maxrss; VmHWM, VmPeak) against the same child without the decode; a "
                                 "2048x2048 control decode shows that the measurement sees decoded pixels");
#if defined(__SANITIZE_ADDRESS__)
    const bool asan = true; /* shadow memory: absolute sizes mean nothing, deltas still do */
#else
    const bool asan = false;
#endif
    const long limit_kb = 100 * 1024;
    char dir[1024], f0[1024], f2[1024], fc[1024];
    tmp_path(dir, sizeof dir, "bounds_memory");
    bt_path(f0, sizeof f0, dir, "huge_sof0.jpg");
    bt_path(f2, sizeof f2, dir, "huge_sof2.jpg");
    bt_path(fc, sizeof fc, dir, "control_2048.jpg");
    unsigned char *h0 = j->two ? patched_sof(j->two, j->two_size, 60000, 60000) : NULL;
    unsigned char *h2 = j->obama ? patched_sof(j->obama, j->obama_size, 60000, 60000) : NULL;
    bool files = mkdir(dir, 0755) == 0 && h0 && h2 && write_whole_file(f0, h0, j->two_size) &&
                 write_whole_file(f2, h2, j->obama_size);
    free(h0);
    free(h2);
    if (!files || !g_self[0]) {
        CHECKF(false, "cannot write the patched JPEGs (or find this program: \"%s\")", g_self);
        group_end();
        return;
    }
    peak_run base, runs[4];
    const char *labels[4] = {"SOF0 fs_image_decode", "SOF0 fs_image_load", "SOF2 fs_image_decode",
                             "SOF2 fs_image_load"};
    run_peak("baseline", f0, &base);
    run_peak("decode", f0, &runs[0]);
    run_peak("load", f0, &runs[1]);
    run_peak("decode", f2, &runs[2]);
    run_peak("load", f2, &runs[3]);
    CHECKF(base.parsed && base.status == FS_OK, "baseline child: exit %d, output \"%s\"", base.r.exit_code, base.r.out);
    printf("    peak memory of the child (MB): wait4 ru_maxrss / VmHWM / VmPeak\n");
    printf("      %-40s %7.1f / %7.1f / %8.1f\n", "baseline (library loaded, file read)", mb(base.r.maxrss_kb), mb(base.hwm_kb),
           mb(base.vmpeak_kb));
    for (int i = 0; i < 4; i++) {
        peak_run *p = &runs[i];
        CHECKF(p->parsed, "%s child: exit %d (signal %d), output \"%s\"", labels[i], p->r.exit_code, p->r.signal,
               p->r.out);
        if (!p->parsed || !base.parsed) continue;
        CHECKF(p->status == FS_ERR_TOO_LARGE, "%s: status %s, message \"%s\"", labels[i],
               status_name((fs_status)p->status), p->msg);
        CHECKF(strstr(p->msg, "60000") != NULL && strstr(p->msg, "over the limit") != NULL,
               "%s: the message does not give the size and the limit: \"%s\"", labels[i], p->msg);
        long d_rss = p->r.maxrss_kb - base.r.maxrss_kb, d_hwm = p->hwm_kb - base.hwm_kb,
             d_peak = p->vmpeak_kb - base.vmpeak_kb;
        char label[64];
        snprintf(label, sizeof label, "60000x60000 %s", labels[i]);
        printf("      %-40s %7.1f / %7.1f / %8.1f   (%+.1f / %+.1f / %+.1f over the baseline)\n", label,
               mb(p->r.maxrss_kb), mb(p->hwm_kb), mb(p->vmpeak_kb), mb(d_rss), mb(d_hwm), mb(d_peak));
        CHECKF(d_rss < limit_kb && d_hwm < limit_kb, "%s: the decode's own peak is %.1f MB (ru_maxrss) / %.1f MB "
               "(VmHWM)", labels[i], mb(d_rss), mb(d_hwm));
        CHECKF(d_peak < limit_kb, "%s: %.1f MB more address space reserved than the baseline (pixels allocated?)",
               labels[i], mb(d_peak));
        if (!asan) CHECKF(p->hwm_kb < limit_kb, "%s: peak memory %.1f MB (VmHWM): not under 100 MB", labels[i], mb(p->hwm_kb));
        /* ru_maxrss also holds our own peak at the spawn (Linux keeps it across exec): meaningful
         * on its own only while that is small (not under valgrind, which forks a large process). */
        if (!asan && base.r.maxrss_kb < limit_kb)
            CHECKF(p->r.maxrss_kb < limit_kb, "%s: peak memory %.1f MB (ru_maxrss): not under 100 MB", labels[i],
                   mb(p->r.maxrss_kb));
    }
    /* Control: a real 2048 x 2048 decode (12 MB of pixels) must show up in the same measurement. */
    fs_image *ctl = NULL;
    void *data = NULL;
    size_t size = 0;
    if (EXPECT_OK(fs_image_create(2048, 2048, FS_FORMAT_BGR8, &ctl)) &&
        EXPECT_OK(fs_image_encode(ctl, FS_CODEC_JPEG, 90, &data, &size)) && write_whole_file(fc, data, size)) {
        peak_run p;
        run_peak("decode", fc, &p);
        CHECKF(p.parsed && p.status == FS_OK, "control child: status %d, output \"%s\"", p.status, p.r.out);
        if (p.parsed && base.parsed) {
            long d_hwm = p.hwm_kb - base.hwm_kb;
            printf("      %-40s %7.1f / %7.1f / %8.1f   (%+.1f VmHWM: the 12 MB of pixels are seen)\n",
                   "control 2048x2048 fs_image_decode", mb(p.r.maxrss_kb), mb(p.hwm_kb), mb(p.vmpeak_kb), mb(d_hwm));
            CHECKF(d_hwm >= 10 * 1024, "the control decode added only %.1f MB: the measurement does not see pixels",
                   mb(d_hwm));
        }
    }
    fs_free(data);
    fs_image_free(ctl);
    group_end();
}

/* ---- disk full ---- */

static bool file_has(const char *path, const void *data, size_t n) {
    size_t got = 0;
    unsigned char *b = read_whole_file(path, &got);
    bool same = b != NULL && got == n && memcmp(b, data, n) == 0;
    free(b);
    return same;
}

/* The entries of dir other than the `keep` names (NULL-terminated), joined into buf. */
static int dir_extra_entries(const char *dir, const char *const *keep, char *buf, size_t n) {
    buf[0] = '\0';
    DIR *d = opendir(dir);
    if (!d) return -1;
    int extra = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        bool kept = false;
        for (size_t i = 0; keep[i] && !kept; i++) kept = strcmp(keep[i], e->d_name) == 0;
        if (kept) continue;
        extra++;
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", len ? ", " : "", e->d_name);
    }
    closedir(d);
    return extra;
}

static bool write_text_file(const char *path, const char *text) { return write_whole_file(path, text, strlen(text)); }

static bool enter_private_mount_namespace(char *why, size_t n) {
    if (unshare(CLONE_NEWNS) != 0) {
        int e = errno;
        uid_t uid = getuid();
        gid_t gid = getgid();
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
            snprintf(why, n, "unshare(CLONE_NEWNS): %s; with CLONE_NEWUSER: %s", strerror(e), strerror(errno));
            return false;
        }
        char map[64];
        snprintf(map, sizeof map, "0 %u 1\n", (unsigned)uid);
        bool ok = write_text_file("/proc/self/setgroups", "deny") && write_text_file("/proc/self/uid_map", map);
        snprintf(map, sizeof map, "0 %u 1\n", (unsigned)gid);
        if (!ok || !write_text_file("/proc/self/gid_map", map)) {
            snprintf(why, n, "cannot map our user into the new user namespace");
            return false;
        }
    }
    /* Nothing mounted from here on may propagate back to the parent's namespace. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        snprintf(why, n, "mount --make-rprivate /: %s", strerror(errno));
        return false;
    }
    return true;
}

/* --child diskfull METHOD DATA DIR: METHOD tmpfs (a 64 KB tmpfs at DIR/full in a private mount
 * namespace: ENOSPC) or fsize (RLIMIT_FSIZE: EFBIG, SIGXFSZ ignored). Writes images and videos
 * bigger than the room left, over older files and to new paths, and checks: a non-OK status whose
 * message names the write failure, no output and no temporary file left, older files intact.
 * Exits 3 when the method is not available here; prints "child-checks: P passed, F failed". */
static int child_disk_full(const char *method, const char *data, const char *dir) {
    g_data_dir = data;
    g_verbose = false;
    bool tmpfs = strcmp(method, "tmpfs") == 0;
    g_group = tmpfs ? "disk-full/tmpfs" : "disk-full/fsize";
    char full[1024], why[512] = "";
    bt_path(full, sizeof full, dir, "full");
    if (mkdir(full, 0755) != 0 && errno != EEXIST) {
        printf("unavailable: mkdir %s: %s\n", full, strerror(errno));
        return 3;
    }
    if (tmpfs) {
        if (!enter_private_mount_namespace(why, sizeof why)) {
            printf("unavailable: %s\n", why);
            return 3;
        }
        if (mount("fs_ctest_full", full, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755") != 0) {
            printf("unavailable: mount -t tmpfs -o size=64k: %s\n", strerror(errno));
            return 3;
        }
        struct statvfs sv;
        if (statvfs(full, &sv) == 0)
            printf("    %s: a tmpfs of %lu KB at %s (private mount namespace)\n", g_group,
                   (unsigned long)(sv.f_blocks * sv.f_frsize / 1024), full);
    } else {
        signal(SIGXFSZ, SIG_IGN);
    }
    const int want_errno = tmpfs ? ENOSPC : EFBIG;
    const char *want_text = strerror(want_errno);

    /* Fixtures (before any limit). */
    char p[1024];
    fs_detector *det = NULL;
    fs_landmarker *lm = NULL;
    fs_swapper *sw = NULL;
    fs_source *src = NULL;
    fs_reenactor *re = NULL;
    fs_image *photo = NULL, *noise = NULL;
    EXPECT_OK(fs_detector_create(NULL, &det));
    EXPECT_OK(fs_landmarker_create(NULL, &lm));
    if (det && lm) EXPECT_OK(fs_swapper_create(det, lm, NULL, NULL, &sw));
    data_path(p, sizeof p, "fr_obama1.jpg");
    EXPECT_OK(fs_image_load(p, &photo));
    if (sw && photo) EXPECT_OK(fs_source_prepare(sw, photo, 0, &src));
    if (det && lm && photo) EXPECT_OK(fs_reenactor_create(det, lm, photo, NULL, &re));
    unsigned char *px = malloc(512 * 512 * 3);
    if (px) {
        uint32_t s = 99;
        for (size_t i = 0; i < 512 * 512 * 3; i++) {
            s = s * 1664525u + 1013904223u;
            px[i] = (unsigned char)(s >> 24);
        }
        fs_image_view v = {px, 512, 512, 512 * 3, FS_FORMAT_BGR8};
        EXPECT_OK(fs_image_from_view(&v, &noise));
        free(px);
    }
    char vin[1024];
    video_path(vin, sizeof vin, "vr_face5.mp4");
    if (!sw || !src || !re || !noise) {
        CHECKF(false, "the child's fixtures could not be made");
        printf("child-checks: %d passed, %d failed\n", g_passed, g_failed);
        return 1;
    }

    char old[4096];
    for (size_t i = 0; i < sizeof old; i++) old[i] = (char)('A' + i % 26);
    old[sizeof old - 1] = '\n';
    const char *keep[] = {"old.png", "old.mp4", "old_reenact.mp4", NULL};
    char old_png[1024], old_mp4[1024], old_re[1024], new_jpg[1024], new_mp4[1024], new_re[1024], extra[1024];
    bt_path(old_png, sizeof old_png, full, "old.png");
    bt_path(old_mp4, sizeof old_mp4, full, "old.mp4");
    bt_path(old_re, sizeof old_re, full, "old_reenact.mp4");
    bt_path(new_jpg, sizeof new_jpg, full, "new.jpg");
    bt_path(new_mp4, sizeof new_mp4, full, "new.mp4");
    bt_path(new_re, sizeof new_re, full, "new_reenact.mp4");
    bool olds = write_whole_file(old_png, old, sizeof old) && write_whole_file(old_mp4, old, sizeof old) &&
                write_whole_file(old_re, old, sizeof old);
    CHECKF(olds, "cannot write the older files into %s", full);

    if (!tmpfs) {
        /* The exact edge: a limit one byte under the output's size, so that only its last write
         * fails (then, one byte more: it fits, proving the limit is the only cause). */
        struct rlimit rl;
        getrlimit(RLIMIT_FSIZE, &rl);
        void *enc = NULL;
        size_t enc_size = 0;
        char edge[1024];
        bt_path(edge, sizeof edge, full, "edge.png");
        if (EXPECT_OK(fs_image_encode(noise, FS_CODEC_PNG, 0, &enc, &enc_size))) {
            rl.rlim_cur = (rlim_t)enc_size - 1;
            setrlimit(RLIMIT_FSIZE, &rl);
            fs_status st = EXPECT_ST(FS_ERR_IO, fs_image_save(noise, edge, FS_CODEC_PNG, 0));
            if (st == FS_ERR_IO)
                CHECKF(strstr(fs_last_error_message(), want_text) != NULL, "edge PNG: the message does not say \"%s\": "
                       "\"%s\"", want_text, fs_last_error_message());
            CHECKF(!file_exists(edge, NULL) && dir_extra_entries(full, keep, extra, sizeof extra) == 0,
                   "edge PNG (limit = size - 1): left \"%s\"", file_exists(edge, NULL) ? "edge.png" : extra);
            rl.rlim_cur = (rlim_t)enc_size;
            setrlimit(RLIMIT_FSIZE, &rl);
            long long got = 0;
            if (EXPECT_OK(fs_image_save(noise, edge, FS_CODEC_PNG, 0)))
                CHECKF(file_exists(edge, &got) && got == (long long)enc_size, "edge PNG at limit = size: %lld bytes, "
                       "want %zu", got, enc_size);
            unlink(edge);
            printf("    %s: PNG of %zu bytes: limit %zu -> IO, limit %zu -> written\n", g_group, enc_size,
                   enc_size - 1, enc_size);
        }
        fs_free(enc);
        /* The same for a video whose trailer (the moov box, written last) no longer fits. */
        char clip[1024], probe[1024];
        bt_path(clip, sizeof clip, dir, "noise_12x192.y4m");
        bt_path(probe, sizeof probe, full, "edge.mp4");
        rl.rlim_cur = RLIM_INFINITY;
        setrlimit(RLIMIT_FSIZE, &rl);
        long long vsize = 0;
        if (write_y4m(clip, 192, 192, 12, (size_t)-1, 7) &&
            EXPECT_OK(fs_video_swap(sw, src, clip, probe, NULL, NULL, NULL, NULL)) && file_exists(probe, &vsize)) {
            unlink(probe);
            rl.rlim_cur = (rlim_t)vsize - 1;
            setrlimit(RLIMIT_FSIZE, &rl);
            fs_status st = EXPECT_ST(FS_ERR_IO, fs_video_swap(sw, src, clip, probe, NULL, NULL, NULL, NULL));
            if (st == FS_ERR_IO)
                CHECKF(strstr(fs_last_error_message(), want_text) != NULL && strstr(fs_last_error_message(), "edge.mp4"),
                       "edge video: the message does not name the file and \"%s\": \"%s\"", want_text,
                       fs_last_error_message());
            CHECKF(!file_exists(probe, NULL) && dir_extra_entries(full, keep, extra, sizeof extra) == 0,
                   "edge video (limit = size - 1): left \"%s\"", file_exists(probe, NULL) ? "edge.mp4" : extra);
            printf("    %s: video of %lld bytes: limit %lld -> %s\n", g_group, vsize, vsize - 1, status_name(st));
        }
        unlink(probe);
        unlink(clip);
        rl.rlim_cur = 64 * 1024;
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) {
            CHECKF(false, "setrlimit(RLIMIT_FSIZE, 64 KB): %s", strerror(errno));
        } else {
            printf("    %s: RLIMIT_FSIZE 64 KB (SIGXFSZ ignored)\n", g_group);
        }
    }

    struct {
        const char *what;
        const char *path;
        bool older;
    } cases[6] = {
        {"fs_image_save PNG over an older file", old_png, true},
        {"fs_image_save JPEG to a new path", new_jpg, false},
        {"fs_video_swap over an older file", old_mp4, true},
        {"fs_video_swap to a new path", new_mp4, false},
        {"fs_reenact_video over an older file", old_re, true},
        {"fs_reenact_video to a new path", new_re, false},
    };
    for (int i = 0; i < 6; i++) {
        fs_status st;
        if (i == 0) st = fs_image_save(noise, cases[i].path, FS_CODEC_AUTO, 0);
        else if (i == 1) st = fs_image_save(noise, cases[i].path, FS_CODEC_AUTO, 100);
        else if (i < 4) st = fs_video_swap(sw, src, vin, cases[i].path, NULL, NULL, NULL, NULL);
        else st = fs_reenact_video(re, vin, cases[i].path, NULL, NULL, NULL, NULL);
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", st == FS_OK ? "" : fs_last_error_message());
        const char *name = strrchr(cases[i].path, '/') + 1;
        CHECKF(st == FS_ERR_IO, "%s: %s \"%s\", want FS_ERR_IO", cases[i].what, status_name(st), msg);
        CHECKF(st == FS_OK || (strstr(msg, want_text) && strstr(msg, name)),
               "%s: the message does not name the file and the write failure (\"%s\"): \"%s\"", cases[i].what,
               want_text, msg);
        if (cases[i].older)
            CHECKF(file_has(cases[i].path, old, sizeof old), "%s: the older file was changed or removed", cases[i].what);
        else
            CHECKF(!file_exists(cases[i].path, NULL), "%s: %s was left", cases[i].what, name);
        int n = dir_extra_entries(full, keep, extra, sizeof extra);
        CHECKF(n == 0, "%s: left in the folder: %s", cases[i].what, extra);
        if (st != FS_OK || g_verbose) printf("    %s: %s -> %s: %s\n", g_group, cases[i].what, status_name(st), msg);
        if (n > 0 || (!cases[i].older && file_exists(cases[i].path, NULL))) {
            unlink(cases[i].path); /* do not let one failure cascade */
            DIR *d = opendir(full);
            struct dirent *e;
            while (d && (e = readdir(d)) != NULL) {
                bool kept = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
                for (size_t k = 0; keep[k] && !kept; k++) kept = strcmp(keep[k], e->d_name) == 0;
                if (!kept) {
                    char q[2048];
                    snprintf(q, sizeof q, "%s/%s", full, e->d_name);
                    unlink(q);
                }
            }
            if (d) closedir(d);
        }
    }
    fs_reenactor_free(re);
    fs_source_free(src);
    fs_swapper_free(sw);
    fs_landmarker_free(lm);
    fs_detector_free(det);
    fs_image_free(photo);
    fs_image_free(noise);
    for (size_t i = 0; keep[i]; i++) {
        bt_path(p, sizeof p, full, keep[i]);
        unlink(p);
    }
    printf("child-checks: %d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}

static bool mounted_at(const char *path) {
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (!f) return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        char *mp = strchr(line, ' ');
        for (int k = 0; mp && k < 3; k++) mp = strchr(mp + 1, ' ');
        if (mp) found = strncmp(mp + 1, path, strlen(path)) == 0 && mp[1 + strlen(path)] == ' ';
    }
    fclose(f);
    return found;
}

static void test_bounds_disk_full(void) {
    group_begin("bounds-disk-full", "disk full while writing: fs_image_save (PNG over an older file, JPEG to a "
                                    "new path), fs_video_swap and fs_reenact_video (over an older file, to a new "
                                    "path) into a 64 KB tmpfs (ENOSPC; private mount namespace in a child) and under "
                                    "RLIMIT_FSIZE 64 KB (EFBIG) with the exact edge (limit = size - 1): FS_ERR_IO "
                                    "naming the file and the failure, no output, no temporary file, older files "
                                    "intact. FS_DISKFULL_METHODS=tmpfs|fsize picks one");
    const char *env = getenv("FS_DISKFULL_METHODS");
    const char *methods = env && env[0] ? env : "tmpfs,fsize";
    const char *all[2] = {"tmpfs", "fsize"};
    char ran[64] = "";
    bool tmpfs_unavailable = false;
    for (int i = 0; i < 2; i++) {
        if (!strstr(methods, all[i]) && !(i == 1 && tmpfs_unavailable)) continue;
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/diskfull_%s", g_tmp_dir, all[i]);
        if (mkdir(dir, 0755) != 0) {
            CHECKF(false, "mkdir %s: %s", dir, strerror(errno));
            continue;
        }
        child_result *r = malloc(sizeof *r);
        if (!r) continue;
        const char *args[] = {"", "--child", "diskfull", all[i], g_data_dir, dir, NULL};
        bool spawned = run_child(args, r);
        if (spawned && r->exit_code == 3) {
            printf("    %s: not available here: %s", all[i], r->out);
            if (i == 0) {
                tmpfs_unavailable = true;
                printf("    falling back to RLIMIT_FSIZE\n");
            }
            free(r);
            continue;
        }
        /* The child's report, then its tally. */
        int cp = 0, cf = 0;
        char *tally = strstr(r->out, "child-checks: ");
        bool parsed = tally && sscanf(tally, "child-checks: %d passed, %d failed", &cp, &cf) == 2;
        if (tally) *tally = '\0';
        fputs(r->out, stdout);
        CHECKF(spawned && parsed && r->exit_code >= 0, "the %s child: exit %d, signal %d (%s)", all[i], r->exit_code,
               r->signal, r->signal ? strsignal(r->signal) : "no report");
        g_passed += cp;
        g_group_passed += cp;
        g_failed += cf;
        g_group_failed += cf;
        snprintf(ran + strlen(ran), sizeof ran - strlen(ran), "%s%s", ran[0] ? " and " : "",
                 i == 0 ? "tmpfs (ENOSPC)" : "RLIMIT_FSIZE (EFBIG)");
        /* Nothing of the child's mount is visible here, and it left nothing behind. */
        char full[1024];
        bt_path(full, sizeof full, dir, "full");
        CHECKF(!mounted_at(full), "%s is mounted in our namespace", full);
        CHECKF(count_dir_entries(full) <= 0, "%s is not empty after the child", full);
        free(r);
    }
    printf("    disk-full methods run: %s\n", ran[0] ? ran : "none");
    CHECKF(ran[0] != '\0', "no disk-full method could run");
    group_end();
}

/* The names of the table's functions, one a line (for run.sh's check against the header). */
static int list_table_functions(void) {
    const char *names[128];
    size_t n = bt_functions(names, 128);
    for (size_t i = 0; i < n; i++) printf("%s\n", names[i]);
    return 0;
}

static int child_main(int argc, char **argv) {
    if (argc >= 5 && strcmp(argv[2], "peak") == 0) return child_peak(argv[3], argv[4]);
    if (argc >= 6 && strcmp(argv[2], "diskfull") == 0) return child_disk_full(argv[3], argv[4], argv[5]);
    fprintf(stderr, "usage: %s --child peak baseline|decode|load FILE | --child diskfull tmpfs|fsize DATA DIR\n", argv[0]);
    return 2;
}

/* ------------------------------------------------------------------------------------------ */

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 2 && strcmp(argv[1], "--list-table-functions") == 0) return list_table_functions();
    ssize_t self_len = readlink("/proc/self/exe", g_self, sizeof g_self - 1);
    if (self_len > 0) g_self[self_len] = '\0';
    if (argc >= 2 && strcmp(argv[1], "--child") == 0) return child_main(argc, argv);
    const char *verbose = getenv("FS_TEST_VERBOSE");
    g_verbose = verbose && verbose[0] && strcmp(verbose, "0") != 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s SHARED_DATA_DIR   (the folder holding faces/fr_obama1.jpg)\n", argv[0]);
        return 2;
    }
    g_data_dir = argv[1];

    /* Before anything fails, the message is "". */
    {
        const char *first = fs_last_error_message();
        group_begin("startup", "fs_last_error_message() is \"\" before any error; shared data present");
        CHECK(first != NULL && first[0] == '\0');
        char p[1024];
        data_path(p, sizeof p, "fr_obama1.jpg");
        struct stat st;
        CHECKF(stat(p, &st) == 0, "missing %s", p);
        group_end();
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(g_tmp_dir, sizeof g_tmp_dir, "%s/fs_ctest.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(g_tmp_dir)) {
        fprintf(stderr, "mkdtemp(%s): %s\n", g_tmp_dir, strerror(errno));
        return 2;
    }

    jpegs j;
    memset(&j, 0, sizeof j);
    {
        char p[1024];
        data_path(p, sizeof p, "fr_obama1.jpg");
        j.obama = read_whole_file(p, &j.obama_size);
        data_path(p, sizeof p, "fr_two_people_obama_biden.jpg");
        j.two = read_whole_file(p, &j.two_size);
    }

    /* First, while this process is still small: Linux carries our peak size into the children
     * that measure theirs. */
    test_bounds_memory(&j);

    shared_models m;
    memset(&m, 0, sizeof m);

    test_version();
    test_options_init();
    test_status_strings();
    test_models();
    test_detect(&m);
    test_capacity(&m);
    test_align(&m);
    test_image_roundtrips();
    test_null_arguments(&m);
    test_bad_sizes_and_data(&m, &j);
    test_models_and_options();
    test_handles(&m);
    test_threads(&m);

    swap_ctx s;
    memset(&s, 0, sizeof s);
    test_swap_defaults();
    test_swap_source(&m, &s);
    test_swap_main(&m, &s);
    test_swap_eval(&m, &s);
    test_swap_modes(&m);
    test_swap_inplace(&s);
    test_swap_face(&m, &s);
    test_swap_index(&m, &s);
    test_swap_noface(&m, &s);
    test_swap_reference(&m, &s);
    test_mean_shift();
    test_embeddings(&m, &s);
    test_swap_null_args(&m, &s);
    test_swap_handles(&m, &s);
    test_swap_bad_options(&m, &s);
    test_swap_threads(&s);
    test_stream(&m, &s);
    test_video(&s);
    test_reenact(&m, &s);
    test_bad_input_table(&m, &s, &j);
    test_bounds_disk_full();

    fs_image_free(s.result);
    fs_image_free(s.mask);
    fs_image_free(s.biden);
    fs_source_free(s.src);
    if (s.sw_norec != s.sw) fs_swapper_free(s.sw_norec);
    fs_swapper_free(s.sw);
    fs_recognizer_free(s.rec);
    fs_detector_free(m.det);
    fs_detector_free(m.det_up1);
    fs_landmarker_free(m.lm);
    fs_image_free(m.obama);
    fs_image_free(m.two);
    free(j.obama);
    free(j.two);
    remove_tmp_dir();

    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
