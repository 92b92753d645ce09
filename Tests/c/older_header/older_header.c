/*
 * older_header.c — a caller built against an OLDER faceswap.h, run against the current library.
 *
 * Compiled (by Tests/c/older_header/run.sh, with -fsanitize=address,undefined) against the copy of
 * include/faceswap.h that make_older_header.py makes: every struct with struct_size is cut to its
 * first fields, as if this program predated the fields added since. It checks that
 *   (a) the library writes nothing past the caller's structs: each struct sits in a wrapper with
 *       canary bytes right after it, checked after every *_options_init and every call that fills
 *       an output struct;
 *   (b) the fields this program does not know take the library's defaults: every handle made with
 *       the short options behaves exactly as one made with NULL options (the library's defaults):
 *       the same faces, the same swapped pixels, the same tracked landmarks, the same reenacted
 *       frames, the same extraction and video statistics; the canary bytes (0x5A, invalid for most
 *       fields) are never read as options;
 *   (c) struct_size inside the caller's struct is the caller's size after init and after every call
 *       that fills an output struct (fs_train_progress, which the library hands out, carries the
 *       library's own size, at least the caller's).
 * Only fields that every plausible older layout keeps are named here (the first few of each struct).
 *
 *   older_header DATA_DIR     (DATA_DIR holds faces/ and videos/)
 * Prints one line per failed check and a summary; exits 1 on any failure.
 */
#define _POSIX_C_SOURCE 200809L

#include "faceswap.h" /* the generated older copy */

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CANARY 0x5A
#define CANARY_BYTES 64

static int g_passed, g_failed;
static const char *g_data;
static char g_tmp[512];

static void check_impl(bool ok, int line, const char *fmt, ...) {
    if (ok) {
        g_passed++;
        return;
    }
    g_failed++;
    va_list ap;
    va_start(ap, fmt);
    printf("    FAIL older_header.c:%d: ", line);
    vprintf(fmt, ap);
    printf(" (last error: \"%s\")\n", fs_last_error_message());
    va_end(ap);
    fflush(stdout);
}
#define CHECK(cond, ...) check_impl((cond) ? true : false, __LINE__, __VA_ARGS__)

static bool call_ok_impl(fs_status st, int line, const char *expr) {
    check_impl(st == FS_OK, line, "%s -> %s", expr, fs_status_string(st));
    return st == FS_OK;
}
/* The call gives FS_OK (a check); usable as a condition. */
#define CALL_OK(call) call_ok_impl((call), __LINE__, #call)

static bool all_bytes(const void *p, size_t n, unsigned char v) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != v) return false;
    return true;
}

/* A struct of this (older) header followed by canary bytes. */
#define WRAPPED(T) struct { T v; unsigned char canary[CANARY_BYTES]; }
#define WRAP_RESET(w) memset(&(w), CANARY, sizeof(w))
/* (a) and (c): nothing past the struct was written and struct_size is the caller's size. */
#define CHECK_WRAPPED(w, what)                                                                                  \
    do {                                                                                                        \
        CHECK(all_bytes((w).canary, CANARY_BYTES, CANARY), "%s: the library wrote past the caller's %zu-byte struct", \
              what, sizeof (w).v);                                                                              \
        CHECK((w).v.struct_size == sizeof (w).v, "%s: struct_size %u, the caller's sizeof %zu", what,          \
              (unsigned)(w).v.struct_size, sizeof (w).v);                                                       \
    } while (0)

static fs_image *load(const char *dir, const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", g_data, dir, name);
    fs_image *img = NULL;
    CHECK(fs_image_load(path, &img) == FS_OK, "fs_image_load %s", path);
    return img;
}

static bool same_pixels(const fs_image *a, const fs_image *b) {
    fs_image_view va, vb;
    if (!a || !b || fs_image_get_view(a, &va) != FS_OK || fs_image_get_view(b, &vb) != FS_OK) return false;
    if (va.width != vb.width || va.height != vb.height || va.format != vb.format) return false;
    size_t row = (size_t)va.width * (va.format == FS_FORMAT_GRAY8 ? 1 : va.format <= FS_FORMAT_RGB8 ? 3 : 4);
    for (int y = 0; y < va.height; y++)
        if (memcmp((const unsigned char *)va.data + (size_t)y * va.stride,
                   (const unsigned char *)vb.data + (size_t)y * vb.stride, row) != 0)
            return false;
    return true;
}

static void tmp_path(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", g_tmp, name); }

static void remove_tree(const char *path) {
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            remove_tree(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* ---- (a), (c) and the kept fields' defaults right after *_options_init ---- */

static void test_init(void) {
    printf("[init] every *_options_init at this program's (older, smaller) sizeof\n");
    WRAPPED(fs_detector_options) d;
    WRAP_RESET(d);
    CALL_OK(FS_DETECTOR_OPTIONS_INIT(&d.v));
    CHECK_WRAPPED(d, "fs_detector_options_init");
    CHECK(d.v.backend == FS_DETECTOR_HOG && d.v.model_path == NULL && d.v.upsample == -1, "detector defaults");
    WRAPPED(fs_swap_options) s;
    WRAP_RESET(s);
    CALL_OK(FS_SWAP_OPTIONS_INIT(&s.v));
    CHECK_WRAPPED(s, "fs_swap_options_init");
    CHECK(s.v.mode == FS_CONVERT_DELAUNAY && s.v.color == FS_COLOR_REINHARD && s.v.blend == FS_BLEND_MULTIBAND,
          "swap defaults");
    WRAPPED(fs_stream_options) st;
    WRAP_RESET(st);
    CALL_OK(FS_STREAM_OPTIONS_INIT(&st.v));
    CHECK_WRAPPED(st, "fs_stream_options_init");
    CHECK(st.v.detect_interval == 5, "stream defaults: detect_interval %d", (int)st.v.detect_interval);
    WRAPPED(fs_video_options) v;
    WRAP_RESET(v);
    CALL_OK(FS_VIDEO_OPTIONS_INIT(&v.v));
    CHECK_WRAPPED(v, "fs_video_options_init");
    CHECK(v.v.crf == 18, "video defaults: crf %d", (int)v.v.crf);
    WRAPPED(fs_reenact_options) r;
    WRAP_RESET(r);
    CALL_OK(FS_REENACT_OPTIONS_INIT(&r.v));
    CHECK_WRAPPED(r, "fs_reenact_options_init");
    CHECK(r.v.expression == 1.0f, "reenact defaults: expression %g", (double)r.v.expression);
    WRAPPED(fs_extract_options) e;
    WRAP_RESET(e);
    CALL_OK(FS_EXTRACT_OPTIONS_INIT(&e.v));
    CHECK_WRAPPED(e, "fs_extract_options_init");
    CHECK(e.v.size == 256, "extract defaults: size %d", (int)e.v.size);
    WRAPPED(fs_train_options) t;
    WRAP_RESET(t);
    CALL_OK(FS_TRAIN_OPTIONS_INIT(&t.v));
    CHECK_WRAPPED(t, "fs_train_options_init");
    CHECK(t.v.size == 64 && t.v.batch == 16, "train defaults: size %d, batch %d", (int)t.v.size, (int)t.v.batch);
    printf("    sizes here (older): detector %zu, swap %zu, stream %zu, video %zu, reenact %zu, extract %zu, train %zu\n",
           sizeof d.v, sizeof s.v, sizeof st.v, sizeof v.v, sizeof r.v, sizeof e.v, sizeof t.v);
}

/* ---- (b): handles made with the short options behave as with the library's defaults ---- */

typedef struct world {
    fs_detector *det_old, *det_def;
    fs_landmarker *lm;
    fs_swapper *sw_old, *sw_def;
    fs_source *src_old, *src_def;
    fs_image *obama, *two, *biden;
} world;

static void test_detect_swap_eval(world *w) {
    printf("[detect, swap, eval] short fs_detector_options and fs_swap_options vs NULL (the defaults)\n");
    WRAPPED(fs_detector_options) d;
    WRAP_RESET(d);
    FS_DETECTOR_OPTIONS_INIT(&d.v);
    CALL_OK(fs_detector_create(&d.v, &w->det_old));
    CALL_OK(fs_detector_create(NULL, &w->det_def));
    CALL_OK(fs_landmarker_create(NULL, &w->lm));
    if (!w->det_old || !w->det_def || !w->lm || !w->two || !w->obama) return;
    /* downscale, margin, threshold, max_faces are not in this header: the same faces as the defaults. */
    fs_face a[8], b[8];
    size_t na = 0, nb = 0;
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    CHECK(fs_detect(w->det_old, w->two, a, 8, &na) == FS_OK && fs_detect(w->det_def, w->two, b, 8, &nb) == FS_OK,
          "fs_detect");
    CHECK(na == 2 && nb == 2 && memcmp(a, b, sizeof a) == 0, "faces: %zu with the short options, %zu with the "
          "defaults, identical %d", na, nb, memcmp(a, b, sizeof a) == 0);

    WRAPPED(fs_swap_options) s;
    WRAP_RESET(s);
    FS_SWAP_OPTIONS_INIT(&s.v);
    CALL_OK(fs_swapper_create(w->det_old, w->lm, NULL, &s.v, &w->sw_old));
    CALL_OK(fs_swapper_create(w->det_def, w->lm, NULL, NULL, &w->sw_def));
    if (!w->sw_old || !w->sw_def) return;
    CALL_OK(fs_source_prepare(w->sw_old, w->obama, 0, &w->src_old));
    CALL_OK(fs_source_prepare(w->sw_def, w->obama, 0, &w->src_def));
    if (!w->src_old || !w->src_def) return;
    /* face_index (-1: every face), keep_unmatched, the reference ... are not in this header. */
    fs_image *ro = NULL, *rd = NULL;
    size_t fo = 0, fd = 0;
    CALL_OK(fs_swap(w->sw_old, w->src_old, w->two, &ro, NULL, &fo));
    CALL_OK(fs_swap(w->sw_def, w->src_def, w->two, &rd, NULL, &fd));
    CHECK(fo == 2 && fd == 2, "faces swapped: %zu with the short options, %zu with the defaults", fo, fd);
    CHECK(same_pixels(ro, rd), "the swapped pixels differ from the defaults'");

    fs_image *dogs = load("faces", "dlib_dogs_noface.jpg");
    fs_image *tmp = NULL;
    if (dogs) /* keep_unmatched's default 0: a target without a face is NO_FACE */
        CHECK(fs_swap(w->sw_old, w->src_old, dogs, &tmp, NULL, NULL) == FS_ERR_NO_FACE, "no face -> NO_FACE");
    fs_image_free(tmp);
    fs_image_free(dogs);

    WRAPPED(fs_swap_metrics) m;
    WRAP_RESET(m);
    m.v.struct_size = sizeof m.v;
    if (ro && CALL_OK(fs_eval_swap(w->sw_old, w->obama, w->two, ro, &m.v))) {
        CHECK_WRAPPED(m, "fs_eval_swap");
        CHECK(m.v.redetected == 1, "metrics: redetected %d", (int)m.v.redetected);
    }
    fs_image_free(ro);
    fs_image_free(rd);
}

static void test_stream(world *w) {
    printf("[stream] short fs_stream_options vs NULL: the same tracked landmarks over 4 frames\n");
    if (!w->sw_old || !w->src_old || !w->biden) return;
    WRAPPED(fs_stream_options) st;
    WRAP_RESET(st);
    FS_STREAM_OPTIONS_INIT(&st.v);
    fs_stream *a = NULL, *b = NULL;
    /* beta and scene_cut are not in this header. */
    if (!CALL_OK(fs_stream_create(w->sw_old, w->src_old, &st.v, &a)) ||
        !CALL_OK(fs_stream_create(w->sw_def, w->src_def, NULL, &b))) {
        fs_stream_free(a);
        return;
    }
    const fs_image *frames[4] = {w->biden, w->obama, w->obama, w->biden};
    for (int i = 0; i < 4; i++) {
        fs_image *fa = NULL, *fb = NULL;
        fs_image_view v;
        if (fs_image_get_view(frames[i], &v) != FS_OK || fs_image_from_view(&v, &fa) != FS_OK ||
            fs_image_from_view(&v, &fb) != FS_OK) {
            CHECK(false, "copying frame %d", i);
        } else {
            size_t na = 0, nb = 0;
            fs_face fca[4], fcb[4];
            memset(fca, 0, sizeof fca);
            memset(fcb, 0, sizeof fcb);
            CALL_OK(fs_stream_push(a, fa, i / 25.0, &na));
            CALL_OK(fs_stream_push(b, fb, i / 25.0, &nb));
            size_t ca = 0, cb = 0;
            CALL_OK(fs_stream_get_faces(a, fca, 4, &ca));
            CALL_OK(fs_stream_get_faces(b, fcb, 4, &cb));
            CHECK(na == 1 && nb == 1 && ca == cb && memcmp(fca, fcb, sizeof fca) == 0 && same_pixels(fa, fb),
                  "frame %d: %zu/%zu faces swapped, %zu/%zu tracked; landmarks and pixels as the defaults'", i, na, nb,
                  ca, cb);
        }
        fs_image_free(fa);
        fs_image_free(fb);
    }
    fs_stream_free(a);
    fs_stream_free(b);
}

static void test_video(world *w) {
    printf("[video] fs_video_swap of vr_face5 with short fs_video_options (and ->stream) and a short fs_video_stats\n");
    if (!w->sw_old || !w->src_old) return;
    char in[1024], out_old[1024], out_def[1024];
    snprintf(in, sizeof in, "%s/videos/vr_face5.mp4", g_data);
    tmp_path(out_old, sizeof out_old, "old.mp4");
    tmp_path(out_def, sizeof out_def, "defaults.mp4");
    WRAPPED(fs_stream_options) st;
    WRAP_RESET(st);
    FS_STREAM_OPTIONS_INIT(&st.v);
    WRAPPED(fs_video_options) v;
    WRAP_RESET(v);
    FS_VIDEO_OPTIONS_INIT(&v.v);
    v.v.stream = &st.v; /* a short fs_stream_options through the pointer; preset is not in this header */
    WRAPPED(fs_video_stats) so, sd;
    WRAP_RESET(so);
    WRAP_RESET(sd);
    so.v.struct_size = sizeof so.v;
    sd.v.struct_size = sizeof sd.v;
    if (CALL_OK(fs_video_swap(w->sw_old, w->src_old, in, out_old, &v.v, NULL, NULL, &so.v))) {
        CHECK_WRAPPED(so, "fs_video_swap stats");
        CHECK(so.v.frames == 122, "frames %lld", (long long)so.v.frames);
    }
    if (CALL_OK(fs_video_swap(w->sw_def, w->src_def, in, out_def, NULL, NULL, NULL, &sd.v)))
        CHECK(so.v.frames == sd.v.frames && so.v.frames_with_faces == sd.v.frames_with_faces,
              "frames with faces: %lld with the short options, %lld with the defaults", (long long)so.v.frames_with_faces,
              (long long)sd.v.frames_with_faces);
    CHECK(all_bytes(st.canary, CANARY_BYTES, CANARY) && all_bytes(v.canary, CANARY_BYTES, CANARY),
          "the options' canaries changed");
}

static void test_reenact(world *w) {
    printf("[reenact] short fs_reenact_options (no side_by_side, no stream) vs NULL; fs_reenact_video stats\n");
    if (!w->det_old || !w->lm || !w->biden || !w->obama || !w->two) return;
    WRAPPED(fs_reenact_options) r;
    WRAP_RESET(r);
    FS_REENACT_OPTIONS_INIT(&r.v);
    fs_reenactor *a = NULL, *b = NULL;
    if (!CALL_OK(fs_reenactor_create(w->det_old, w->lm, w->biden, &r.v, &a)) ||
        !CALL_OK(fs_reenactor_create(w->det_def, w->lm, w->biden, NULL, &b))) {
        fs_reenactor_free(a);
        return;
    }
    const fs_image *drivers[3] = {w->obama, w->obama, w->two};
    for (int i = 0; i < 3; i++) {
        fs_image *oa = NULL, *ob = NULL;
        CALL_OK(fs_reenactor_push(a, drivers[i], i / 25.0, &oa));
        CALL_OK(fs_reenactor_push(b, drivers[i], i / 25.0, &ob));
        CHECK(same_pixels(oa, ob), "driver frame %d: the reenacted frame differs from the defaults'", i);
        fs_image_free(oa);
        fs_image_free(ob);
    }
    char in[1024], out[1024];
    snprintf(in, sizeof in, "%s/videos/vr_face5.mp4", g_data);
    tmp_path(out, sizeof out, "reenact_old.mp4");
    WRAPPED(fs_video_stats) s;
    WRAP_RESET(s);
    s.v.struct_size = sizeof s.v;
    if (CALL_OK(fs_reenact_video(a, in, out, &r.v, NULL, NULL, &s.v))) {
        CHECK_WRAPPED(s, "fs_reenact_video stats");
        CHECK(s.v.frames == 122, "frames %lld", (long long)s.v.frames);
    }
    CHECK(all_bytes(r.canary, CANARY_BYTES, CANARY), "the options' canary changed");
    fs_reenactor_free(a);
    fs_reenactor_free(b);
}

static bool extract_one(world *w, const char *photo, const char *dir, const fs_extract_options *o, fs_extract_stats *st) {
    char in[1024], out[1024];
    snprintf(in, sizeof in, "%s/faces/%s", g_data, photo);
    tmp_path(out, sizeof out, dir);
    const char *inputs[1] = {in};
    return CALL_OK(fs_extract(w->det_old, w->lm, inputs, 1, out, o, NULL, NULL, st));
}

static int g_progress_calls;
static bool g_progress_ok = true;
static int train_progress(void *user, const fs_train_progress *p) {
    (void)user;
    g_progress_calls++;
    /* The library's struct: its struct_size is the library's own sizeof, at least this header's. */
    g_progress_ok = g_progress_ok && p->struct_size >= sizeof *p && p->iteration >= 1;
    return 0;
}

static void test_learned(world *w) {
    printf("[extract, train, model] short fs_extract_options, fs_extract_stats, fs_train_options, fs_model_info\n");
    if (!w->det_old || !w->lm) return;
    WRAPPED(fs_extract_options) e;
    WRAP_RESET(e);
    FS_EXTRACT_OPTIONS_INIT(&e.v);
    e.v.size = 64; /* duplicate_distance, every_nth_frame, max_faces are not in this header */
    WRAPPED(fs_extract_stats) sa, sb, sd;
    WRAP_RESET(sa);
    WRAP_RESET(sb);
    WRAP_RESET(sd);
    sa.v.struct_size = sizeof sa.v;
    sb.v.struct_size = sizeof sb.v;
    sd.v.struct_size = sizeof sd.v;
    bool ok = extract_one(w, "fr_obama1.jpg", "faces_a", &e.v, &sa.v) &&
              extract_one(w, "fr_biden2.jpg", "faces_b", &e.v, &sb.v);
    CHECK_WRAPPED(sa, "fs_extract stats");
    CHECK_WRAPPED(sb, "fs_extract stats");
    CHECK(sa.v.frames == 1 && sa.v.frames_with_one_face == 1 && sb.v.frames_with_one_face == 1,
          "extraction: %lld frames, %lld with one face", (long long)sa.v.frames, (long long)sa.v.frames_with_one_face);
    /* The defaults (NULL options) on the two-face photo vs the short options: max_faces 1 either way. */
    WRAPPED(fs_extract_stats) s2;
    WRAP_RESET(s2);
    s2.v.struct_size = sizeof s2.v;
    if (extract_one(w, "fr_two_people_obama_biden.jpg", "faces_two_old", &e.v, &s2.v) &&
        extract_one(w, "fr_two_people_obama_biden.jpg", "faces_two_def", NULL, &sd.v)) {
        CHECK_WRAPPED(s2, "fs_extract stats");
        CHECK(s2.v.frames_with_more_faces == 1 && sd.v.frames_with_more_faces == 1 && s2.v.frames == sd.v.frames,
              "two faces: %lld/%lld frames with more faces", (long long)s2.v.frames_with_more_faces,
              (long long)sd.v.frames_with_more_faces);
    }
    CHECK(all_bytes(e.canary, CANARY_BYTES, CANARY), "the options' canary changed");
    if (!ok) return;

    WRAPPED(fs_train_options) t;
    WRAP_RESET(t);
    FS_TRAIN_OPTIONS_INIT(&t.v);
    t.v.batch = 1; /* augment, checkpoint_every, preview_every, resume, preview_dir, names: not in this header */
    char a[1024], b[1024], model[1024];
    tmp_path(a, sizeof a, "faces_a");
    tmp_path(b, sizeof b, "faces_b");
    tmp_path(model, sizeof model, "model.fsm");
    fs_trainer *tr = NULL;
    if (!CALL_OK(fs_trainer_create(a, b, model, &t.v, &tr))) return;
    CALL_OK(fs_trainer_run(tr, 1, 0, train_progress, NULL));
    CHECK(g_progress_calls == 1 && g_progress_ok, "progress: %d calls, struct_size and iteration ok %d",
          g_progress_calls, (int)g_progress_ok);
    fs_trainer_free(tr);
    CHECK(all_bytes(t.canary, CANARY_BYTES, CANARY), "the options' canary changed");
    fs_model *m = NULL;
    if (!CALL_OK(fs_model_load(model, &m))) return;
    WRAPPED(fs_model_info) i;
    WRAP_RESET(i);
    i.v.struct_size = sizeof i.v;
    if (CALL_OK(fs_model_get_info(m, &i.v))) {
        CHECK_WRAPPED(i, "fs_model_get_info");
        CHECK(i.v.size == 64 && i.v.iterations == 1, "model: size %d, iterations %lld", (int)i.v.size,
              (long long)i.v.iterations);
    }
    fs_model_free(m);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
        return 2;
    }
    g_data = argv[1];
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("older-header: a caller built against a faceswap.h whose growable structs are cut short, on libfaceswap %s "
           "(ABI %d)\n", fs_version_string(), fs_abi_version());
    CHECK(FS_ABI_COMPATIBLE(), "ABI %d, header %d", fs_abi_version(), FS_ABI_VERSION);
    const char *tmpdir = getenv("TMPDIR");
    snprintf(g_tmp, sizeof g_tmp, "%s/fs_older_header.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(g_tmp)) {
        perror("mkdtemp");
        return 2;
    }
    test_init();
    world w;
    memset(&w, 0, sizeof w);
    w.obama = load("faces", "fr_obama1.jpg");
    w.two = load("faces", "fr_two_people_obama_biden.jpg");
    w.biden = load("faces", "fr_biden2.jpg");
    test_detect_swap_eval(&w);
    test_stream(&w);
    test_video(&w);
    test_reenact(&w);
    test_learned(&w);
    fs_source_free(w.src_old);
    fs_source_free(w.src_def);
    fs_swapper_free(w.sw_old);
    fs_swapper_free(w.sw_def);
    fs_landmarker_free(w.lm);
    fs_detector_free(w.det_old);
    fs_detector_free(w.det_def);
    fs_image_free(w.obama);
    fs_image_free(w.two);
    fs_image_free(w.biden);
    remove_tree(g_tmp);
    printf("older-header: %d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}
