/*
 * harness.h — what every file of the C test program (test_faceswap) shares: the checks, the
 * groups, the fixtures the runner makes for a group, and the helpers.
 *
 * The program tests libfaceswap's public C interface (include/faceswap.h). Its files:
 *
 *   harness.h     this file
 *   runner.c      main(): the groups in the order they run, --group/--list, the summary line;
 *                 the checks (CHECK/CHECKF/EXPECT_ST) and their counts
 *   fixtures.c    fixture_open/fixture_close: the detector, photos, swapper, ... a group asks for
 *   helpers.c     files, pixels, images, faces, videos: small functions the groups share
 *   test_*.c      the groups, one file per area (test_swap.c: the swap-* groups, ...)
 *   bad_input_table.h  the rows of the "bad-input-table" group (test_bad_input_table.c)
 *
 * A group is written as
 *
 *     GROUP(group_capacity, "capacity", FX_MODELS, "what it checks, printed before it runs") {
 *         ... CHECK(...), EXPECT_ST(FS_ERR_..., call), using fx->det, fx->two, ...
 *     }
 *
 * and listed in runner.c (GROUPS). The runner makes the fixtures the group names (FX_*) fresh
 * before it and frees them after it: no group sees another's handles, files or state, so any
 * group runs alone (test_faceswap --group NAME DATA_DIR). Each group also gets its own empty
 * temporary folder (g_tmp_dir), removed after it. The groups that test how these objects are made
 * make them themselves, with checks: detect (FX_MODELS' parts) and swap-source (FX_SWAP's) into
 * their fx, freed by the runner as usual; swap its own result and mask.
 *
 * The program must stay free of undefined behaviour: it runs under valgrind and ASan/UBSan.
 */
#ifndef FS_CTEST_HARNESS_H
#define FS_CTEST_HARNESS_H

#define _GNU_SOURCE /* unshare, CLONE_NEWNS, wait4, strsignal; implies _POSIX_C_SOURCE 200809L */

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
/* Checks (runner.c)                                                                          */
/* ------------------------------------------------------------------------------------------ */

/* CHECK(cond) and CHECKF(cond, "fmt", args...): one check, counted; a failure prints
 * "    FAIL [group] file.c:line: cond -- message". */
#define CHECK(cond) check_impl((cond) ? true : false, __FILE__, __LINE__, #cond, NULL)
#define CHECKF(cond, ...) check_impl((cond) ? true : false, __FILE__, __LINE__, #cond, __VA_ARGS__)
/* EXPECT_ST(want, call): the call returned `want`, and a non-OK status came with a non-empty
 * fs_last_error_message(). Gives the status the call returned. */
#define EXPECT_ST(want, call) expect_status_impl((call), (int)(want), #call, __FILE__, __LINE__)
/* An options struct filled by its *_options_init: struct_size is this program's sizeof. */
#define CHECK_STRUCT_SIZE(o) \
    CHECKF((o).struct_size == sizeof(o), "struct_size %u, sizeof %zu", (unsigned)(o).struct_size, sizeof(o))
/* true when the call gave FS_OK (usable as a statement or a condition). */
#define EXPECT_OK(call) is_ok(EXPECT_ST(FS_OK, call))
static inline bool is_ok(fs_status s) { return s == FS_OK; }

void check_impl(bool ok, const char *file, int line, const char *expr, const char *fmt, ...);
fs_status expect_status_impl(fs_status got, int want, const char *expr, const char *file, int line);
/* "FS_ERR_DECODE" for FS_ERR_DECODE. */
const char *status_name(fs_status s);

/* The counts: of the whole run and of the group running. */
void counts_get(int *passed, int *failed);
void counts_add(int passed, int failed); /* checks a child process ran (bounds-disk-full) */
void group_start(const char *name, const char *what);
void group_finish(void);
const char *group_name(void);

/* ------------------------------------------------------------------------------------------ */
/* Groups and fixtures (runner.c, fixtures.c)                                                  */
/* ------------------------------------------------------------------------------------------ */

typedef struct jpegs {
    unsigned char *obama; /* fr_obama1.jpg: progressive */
    size_t obama_size;
    unsigned char *two;   /* fr_two_people_obama_biden.jpg: baseline */
    size_t two_size;
} jpegs;

/* What a group may ask the runner for. Each flag includes what it builds on. */
enum {
    FX_NONE = 0,
    FX_MODELS = 1 << 0,             /* det, lm, obama + obama_face, two + two_det */
    FX_SWAP = (1 << 1) | FX_MODELS, /* rec, sw, sw_norec, src, biden + biden_face, the embeddings */
    FX_RESULT = (1 << 2) | FX_SWAP, /* result and mask of fs_swap(sw, src, biden) */
    FX_JPEGS = 1 << 3               /* jpeg: the bytes of two JPEG files */
};

/* Made by fixture_open for one group, freed by fixture_close after it. Complete when the group
 * runs: the runner does not run a group whose fixtures could not be made (a failure). */
typedef struct fixture {
    /* FX_MODELS */
    fs_detector *det;        /* default options */
    fs_landmarker *lm;       /* the 68-point model */
    fs_image *obama;         /* fr_obama1.jpg: one face */
    fs_face obama_face;      /* its face (fs_detect + fs_landmarks_fit), 68 landmarks */
    fs_image *two;           /* fr_two_people_obama_biden.jpg: two faces */
    fs_detector *two_det;    /* a detector that finds both: det, or det_up1 */
    fs_detector *det_up1;    /* upsample 1; made only when det finds fewer than two in `two` */
    /* FX_SWAP */
    fs_recognizer *rec;      /* dlib_face_recognition_resnet_model_v1.dat */
    char rec_path[4096];
    fs_swapper *sw;          /* default options over det, lm and rec */
    fs_swapper *sw_norec;    /* default options, no recognizer */
    fs_source *src;          /* obama's face, prepared by sw */
    fs_image *biden;         /* fr_biden2.jpg: the target, one face */
    fs_face biden_face;      /* its face, 68 landmarks */
    float emb_src[FS_EMBEDDING_SIZE];   /* Obama in fr_obama1.jpg (obama_face) */
    float emb_biden[FS_EMBEDDING_SIZE]; /* Biden in fr_biden2.jpg (biden_face) */
    /* FX_RESULT */
    fs_image *result;        /* fs_swap(sw, src, biden) */
    fs_image *mask;
    /* FX_JPEGS */
    jpegs jpeg;
} fixture;

/* Makes what `needs` names (fx zeroed first); a part that cannot be made is a failed check.
 * Returns whether everything was made. fixture_close frees whatever was made. */
bool fixture_open(fixture *fx, unsigned needs);
void fixture_close(fixture *fx);

typedef struct test_group {
    const char *name;         /* for --group and the output: "swap-modes" */
    const char *what;         /* what it checks, printed before it runs */
    unsigned needs;           /* FX_* */
    void (*run)(fixture *fx);
} test_group;

/* Defines `const test_group id` and starts its body, a function of `fixture *fx`. */
#define GROUP(id, name, needs, what)                      \
    static void id##_run(fixture *fx);                    \
    const test_group id = {name, what, needs, id##_run}; \
    static void id##_run(__attribute__((unused)) fixture *fx)

/* Entry points the runner calls besides the groups. */
int list_table_functions(void);              /* test_bad_input_table.c: --list-table-functions */
int bounds_child_main(int argc, char **argv); /* test_bounds.c: --child ... */

/* ------------------------------------------------------------------------------------------ */
/* Read-only settings (runner.c)                                                               */
/* ------------------------------------------------------------------------------------------ */

extern const char *g_data_dir; /* the test data folder (faces/, videos/) */
extern char g_tmp_dir[512];    /* the running group's own temporary folder */
extern bool g_verbose;         /* FS_TEST_VERBOSE=1: every check and every library message */
extern char g_self[4096];      /* this program, for the child processes of test_bounds.c */

/* ------------------------------------------------------------------------------------------ */
/* Helpers (helpers.c)                                                                         */
/* ------------------------------------------------------------------------------------------ */

/* ---- files and folders ---- */
void data_path(char *buf, size_t n, const char *name);  /* DATA/faces/name */
void video_path(char *buf, size_t n, const char *name); /* DATA/videos/name */
void tmp_path(char *buf, size_t n, const char *name);   /* the group's temporary folder/name */
void join_path(char *buf, size_t n, const char *dir, const char *name);
unsigned char *read_whole_file(const char *path, size_t *size); /* NULL when unreadable or empty */
bool write_whole_file(const char *path, const void *data, size_t n);
bool file_exists(const char *path, long long *size);
int count_dir_entries(const char *dir);                 /* -1 when it cannot be read */
void remove_tree(const char *path);
/* The names in dir, each followed by '\n'; the first entry not in such a snapshot. */
void dir_snapshot(const char *dir, char *buf, size_t n);
bool dir_new_entry(const char *dir, const char *snapshot, char *name, size_t n);
/* A YUV4MPEG2 clip of w x h, `frames` frames of noise from seed (0: black), its last frame cut to
 * last_frame_bytes. */
bool write_y4m(const char *path, int w, int h, int frames, size_t last_frame_bytes, uint32_t seed);
/* The offset of a JPEG's SOFn segment, or 0; a malloc'ed copy whose SOF says w x h (NULL if none). */
size_t find_sof(const unsigned char *b, size_t n);
unsigned char *patched_sof(const unsigned char *src, size_t n, int w, int h);

/* ---- pixels ---- */
typedef struct rgba { int r, g, b, a; } rgba;
extern const fs_pixel_format k_formats[5];
int bytes_per_pixel(fs_pixel_format f);
const char *format_name(fs_pixel_format f);
bool has_alpha(fs_pixel_format f);
const unsigned char *pixel_ptr(const fs_image_view *v, int x, int y);
rgba pixel_get(const fs_image_view *v, int x, int y);  /* grey as g, g, g; no alpha as 255 */
void pixel_set(unsigned char *p, fs_pixel_format f, int r, int g, int b, int a);
rgba gradient_at(int x, int y); /* every channel different, varying with x and y */
rgba smooth_at(int x, int y);   /* smooth, for JPEG */

/* ---- images (these count checks: a failing call is a failed check) ---- */
unsigned char *make_pixels(int w, int h, size_t stride, fs_pixel_format f, rgba (*fn)(int, int));
fs_image *make_image(int w, int h, fs_pixel_format f, rgba (*fn)(int, int));
bool get_view(const fs_image *img, fs_image_view *v);
fs_image *load_image(const char *name); /* from DATA/faces */
fs_image *copy_image(const fs_image *img);
bool views_identical(const fs_image_view *a, const fs_image_view *b);
bool images_identical(const fs_image *a, const fs_image *b);
bool all_zero(const fs_image *gray);
/* A malloc'ed copy of img's pixels with `pad` bytes (0xEE) after each row; *view describes it. */
unsigned char *caller_copy(const fs_image *img, size_t pad, fs_image_view *view);
bool padding_intact(const fs_image_view *v, size_t pad);
/* Pixels of a and b that differ outside r (-1 when not comparable); that differ at all. */
long changed_outside_rect(const fs_image_view *a, const fs_image_view *b, fs_rect r);
long changed_pixels(const fs_image_view *a, const fs_image_view *b);
/* Over a's width x height (b at least as large, same format): mean |a - b|, or -1; a == b's corner. */
double mean_abs_diff(const fs_image_view *a, const fs_image_view *b);
bool view_is_crop_of(const fs_image_view *a, const fs_image_view *b);

/* ---- geometry and faces ---- */
fs_point mean_points(const fs_point *p, int first, int last);
double dist(fs_point a, fs_point b);
bool close_to(double a, double b, double tol);
fs_point rect_centre(fs_rect r);
double inter_ocular(const fs_face *f);
double landmark_mean_error(const fs_face *a, const fs_face *b);
void check_face_geometry(const fs_face *f, const char *label, int img_w, int img_h);
void check_landmarks(const fs_face *f, const char *label);
/* fs_detect + fs_landmarks_fit on every face (largest first, at most cap): how many were found
 * (may exceed cap), 0 on a failure (counted). */
size_t detect_fit(const fs_detector *det, const fs_landmarker *lm, const fs_image *img, fs_face *faces, size_t cap);

/* ---- swapping ---- */
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
bool diff_views(const fs_image_view *t, const fs_image_view *r, const fs_image_view *mk, swap_diff *d);
bool diff_images(const fs_image *target, const fs_image *result, const fs_image *mask, swap_diff *d);
bool box_inside(int x0, int y0, int x1, int y1, fs_rect r);
long count_changed_in(const fs_image *target, const fs_image *result, fs_rect r);
fs_swapper *new_swapper(const fs_detector *det, const fs_landmarker *lm, const fs_recognizer *rec,
                        const fs_swap_options *o);
fs_source *new_source(const fs_swapper *sw, const fs_image *img, int32_t index);

/* ---- options as every caller gets them: FS_*_OPTIONS_INIT, checked (one check each) ---- */
fs_detector_options detector_defaults(void);
fs_swap_options swap_defaults(void);
fs_stream_options stream_defaults(void);
fs_video_options video_defaults(void);
fs_reenact_options reenact_defaults(void);
fs_extract_options extract_defaults(void);
fs_train_options train_defaults(void);

/* ---- progress callbacks ---- */
typedef struct progress_rec {
    int calls;
    int64_t first_done, last_done, last_total;
    bool increasing;     /* every done larger than the one before */
    bool total_ok;       /* total 0 or >= done */
    int64_t cancel_at;   /* return 1 once done >= this (-1: never) */
} progress_rec;
void progress_init(progress_rec *p, int64_t cancel_at);
int progress_cb(void *user, int64_t done, int64_t total);

#endif
