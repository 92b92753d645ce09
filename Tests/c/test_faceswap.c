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
 *
 * It prints one summary line "N passed, M failed" and exits 1 on any failure.
 * The test itself must stay free of undefined behaviour: it runs under valgrind and ASan.
 */
#define _POSIX_C_SOURCE 200809L

#include "faceswap.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static void remove_tmp_dir(void) {
    if (!g_tmp_dir[0]) return;
    DIR *d = opendir(g_tmp_dir);
    if (d) {
        struct dirent *e;
        char p[1024];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            snprintf(p, sizeof p, "%s/%s", g_tmp_dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(g_tmp_dir);
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
    fs_detector_options o = fs_detector_default_options();
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
            fs_detector_options o1 = fs_detector_default_options();
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
        fs_detector_options o2 = fs_detector_default_options();
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
        fs_detector_options oh = fs_detector_default_options();
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
        printf("    note: haarcascade_frontalface_default.xml not found; Haar checks skipped\n");
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
        printf("    note: shape_predictor_5_face_landmarks.dat not found; 5-point checks skipped\n");
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
    fs_detector_options o = fs_detector_default_options();

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
        printf("    note: mmod_human_face_detector.dat not found; wrong-kind model check skipped\n");
    }
    CHECK(lm == NULL);

    fs_detector *det = (fs_detector *)&det;
    fs_detector_options o = fs_detector_default_options();
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
    o = fs_detector_default_options();
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
        bad[nbad].o = fs_detector_default_options();      \
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
    o = fs_detector_default_options();
    o.backend = (fs_detector_backend)99;
    det = NULL;
    if (EXPECT_ST(FS_ERR_UNSUPPORTED, fs_detector_create(&o, &det)) == FS_OK) fs_detector_free(det);
    o = fs_detector_default_options();
    o.struct_size = 0;
    det = (fs_detector *)&det;
    if (EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detector_create(&o, &det)) == FS_OK) fs_detector_free(det);
    CHECK(det == NULL);
    o.struct_size = 4;
    det = NULL;
    if (EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detector_create(&o, &det)) == FS_OK) fs_detector_free(det);
    /* An older caller: the struct ends before max_faces (and its garbage is not read). */
    o = fs_detector_default_options();
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
        fs_detector_options o = fs_detector_default_options();
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

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
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

    shared_models m;
    memset(&m, 0, sizeof m);

    test_version();
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
