/*
 * test_bad_input_table.c — the group "bad-input-table": every exported function, every kind of bad
 * argument, one row each. The rows are in bad_input_table.h; this file holds what they use (the
 * bt_ctx fixtures c, made by bt_setup; the STALE_* handles; the bt_* helpers a row calls), runs
 * each row and checks the conventions on its status, message and outputs. A row that needs a new
 * helper gets it here, next to the others.
 */
#include "harness.h"

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

/* An array of image handles for fs_image_montage. */
#define BT_IMAGES(...) ((const fs_image *const[]){__VA_ARGS__})
#define BT_REENACTORS(...) ((fs_reenactor *const[]){__VA_ARGS__})

static max_align_t bt_foreign; /* a pointer the library never made */

/* One of each options struct. */
typedef union bt_options {
    fs_detector_options d;
    fs_swap_options s;
    fs_stream_options st;
    fs_video_options v;
    fs_reenact_options r;
    fs_extract_options e;
    fs_train_options t;
} bt_options;
static const char bt_text[] = "Hello, this is plain text and not an image.\n";

typedef struct bt_ctx {
    /* live fixtures: borrowed from the group's fixture (FX_SWAP), or made (and freed) by the table */
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
    fs_model *gan_model;       /* an untrained landmark GAN of c->ex_b (fs_reenactor_create_model) */
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
    float gen_points[136];       /* fs_model_generate's input: 68 points inside a 64-px crop */
    fs_video_stats o_vstats;     /* likewise */
    fs_extract_stats o_estats;   /* likewise */
    bt_options o_opt;            /* what the *_options_init rows fill (all of it the pattern before) */
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
    for (int k = FS_ENUM_STATUS; k <= FS_ENUM_MODEL_KIND; k++) {
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
#include "option_fields.h" /* k_<kind>_fields: generated from the header by option_fields.py */
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
    bt_options d, s, st, v, r, e, t;
    FS_DETECTOR_OPTIONS_INIT(&d.d);
    FS_SWAP_OPTIONS_INIT(&s.s);
    FS_STREAM_OPTIONS_INIT(&st.st);
    FS_VIDEO_OPTIONS_INIT(&v.v);
    FS_REENACT_OPTIONS_INIT(&r.r);
    FS_EXTRACT_OPTIONS_INIT(&e.e);
    FS_TRAIN_OPTIONS_INIT(&t.t);
#define N(a) (sizeof a / sizeof a[0])
    return bt_options_kind_ok(describe, FS_OPTIONS_DETECTOR, &d.d, k_detector_fields, N(k_detector_fields)) &&
           bt_options_kind_ok(describe, FS_OPTIONS_SWAP, &s.s, k_swap_fields, N(k_swap_fields)) &&
           bt_options_kind_ok(describe, FS_OPTIONS_STREAM, &st.st, k_stream_fields, N(k_stream_fields)) &&
           bt_options_kind_ok(describe, FS_OPTIONS_VIDEO, &v.v, k_video_fields, N(k_video_fields)) &&
           bt_options_kind_ok(describe, FS_OPTIONS_REENACT, &r.r, k_reenact_fields, N(k_reenact_fields)) &&
           bt_options_kind_ok(describe, FS_OPTIONS_EXTRACT, &e.e, k_extract_fields, N(k_extract_fields)) &&
           bt_options_kind_ok(describe, FS_OPTIONS_TRAIN, &t.t, k_train_fields, N(k_train_fields));
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

/* fs_reference_embedding equals what a caller gets by hand: detect, fit the largest face, embed. */
/* fs_option_check accepts the default of every number option of every struct (fs_option_describe's). */
static bool bt_option_defaults_checked_ok(fs_status (*check_fn)(fs_options_kind, const char *, double)) {
    for (int k = FS_OPTIONS_DETECTOR; k <= FS_OPTIONS_TRAIN; k++) {
        size_t n = 0;
        fs_option_info info = {.struct_size = sizeof info};
        for (size_t i = 0; fs_option_describe((fs_options_kind)k, i, &info, &n) == FS_OK && i < n; i++) {
            if (info.type == FS_OPTION_STRING) continue;
            if (check_fn((fs_options_kind)k, info.name, info.default_value) != FS_OK) {
                fprintf(stderr, "    kind %d: %s default %g refused: %s\n", k, info.name, info.default_value, fs_last_error_message());
                return false;
            }
        }
    }
    return true;
}

static bool bt_reference_embedding_ok(bt_ctx *c, fs_status (*ref)(const fs_recognizer *, const fs_detector *,
                                                                   const fs_landmarker *, const fs_image *, int32_t, float *)) {
    if (!c->rec) return false;
    fs_face faces[4];
    size_t n = 0;
    float by_hand[FS_EMBEDDING_SIZE], got[FS_EMBEDDING_SIZE];
    if (fs_detect(c->det, c->obama, faces, 4, &n) != FS_OK || n < 1) return false;
    if (fs_landmarks_fit(c->lm, c->obama, &faces[0]) != FS_OK) return false;
    if (fs_face_embedding(c->rec, c->obama, &faces[0], by_hand) != FS_OK) return false;
    if (ref(c->rec, c->det, c->lm, c->obama, 0, got) != FS_OK) return false;
    return fs_embedding_distance(by_hand, got) < 1e-5f;
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
    return o.backend == FS_DETECTOR_HOG && o.model_path == NULL && o.upsample == -1 && o.min_face_size == 80 &&
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

static bool bt_setup(bt_ctx *c, const fixture *fx) {
    const jpegs *j = &fx->jpeg;
    c->det = fx->det;
    c->lm = fx->lm;
    c->rec = fx->rec;
    c->sw = fx->sw;
    c->src = fx->src;
    c->obama = fx->obama;
    c->biden = fx->biden;
    c->face = fx->obama_face;
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
    if (c->rec) EXPECT_OK(fs_recognizer_create(fx->rec_path, &rec2));
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
        char gan_path[1024];
        tmp_path(gan_path, sizeof gan_path, "bt_gan.fsg");
        to.method = FS_MODEL_LANDMARK_GAN;
        if (c->model && EXPECT_OK(fs_trainer_create(NULL, c->ex_b, gan_path, &to, &t0))) {
            if (EXPECT_OK(fs_trainer_save(t0))) EXPECT_OK(fs_model_load(gan_path, &c->gan_model));
            fs_trainer_free(t0);
        }
        join_path(c->model_trunc, sizeof c->model_trunc, c->dir, "model_truncated.fsm");
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
    join_path(c->missing, sizeof c->missing, c->dir, "no_such_photo_0123.jpg");
    join_path(c->text, sizeof c->text, c->dir, "notes.txt");
    ok = ok && write_whole_file(c->text, bt_text, strlen(bt_text));
    join_path(c->notdir, sizeof c->notdir, c->text, "x.jpg");
    {
        char name[301];
        memset(name, 'a', sizeof name - 1);
        name[sizeof name - 1] = '\0';
        join_path(c->longpath, sizeof c->longpath, c->dir, name); /* a name over NAME_MAX (255) */
    }
    join_path(c->empty, sizeof c->empty, c->dir, "empty.jpg");
    ok = ok && write_whole_file(c->empty, "", 0);
    join_path(c->jpg_trunc, sizeof c->jpg_trunc, c->dir, "truncated.jpg");
    ok = ok && write_whole_file(c->jpg_trunc, c->two, c->two_size / 2);
    join_path(c->jpg_trunc_prog, sizeof c->jpg_trunc_prog, c->dir, "truncated_progressive.jpg");
    ok = ok && write_whole_file(c->jpg_trunc_prog, c->prog, c->prog_size / 2);
    join_path(c->jpg_corrupt, sizeof c->jpg_corrupt, c->dir, "corrupt.jpg");
    ok = ok && write_whole_file(c->jpg_corrupt, c->corrupt, sizeof c->corrupt);
    join_path(c->jpg_huge0, sizeof c->jpg_huge0, c->dir, "huge_sof0.jpg");
    ok = ok && write_whole_file(c->jpg_huge0, c->huge0, c->two_size);
    join_path(c->jpg_huge2, sizeof c->jpg_huge2, c->dir, "huge_sof2.jpg");
    ok = ok && write_whole_file(c->jpg_huge2, c->huge2, c->prog_size);
    join_path(c->png_trunc_path, sizeof c->png_trunc_path, c->dir, "truncated.png");
    ok = ok && write_whole_file(c->png_trunc_path, c->png, c->png_size / 2);
    join_path(c->png_huge_path, sizeof c->png_huge_path, c->dir, "huge.png");
    ok = ok && write_whole_file(c->png_huge_path, c->png_huge, c->png_size);
    join_path(c->png_zero_path, sizeof c->png_zero_path, c->dir, "zero.png");
    ok = ok && write_whole_file(c->png_zero_path, c->png_zero, c->png_size);
    join_path(c->iout_png, sizeof c->iout_png, c->idir, "out.png");
    join_path(c->iout_jpg, sizeof c->iout_jpg, c->idir, "out.jpg");
    join_path(c->iout_bmp, sizeof c->iout_bmp, c->idir, "unknown_extension.bmp");
    join_path(c->iout_noext, sizeof c->iout_noext, c->idir, "no_extension");
    tmp_path(c->iout_nodir, sizeof c->iout_nodir, "no_such_folder_0123/out.png");
    join_path(c->idir_as_file, sizeof c->idir_as_file, c->idir, "folder.png");
    ok = ok && mkdir(c->idir_as_file, 0755) == 0;
    join_path(c->inotdir, sizeof c->inotdir, c->text, "out.png");
    /* Models. */
    join_path(c->missing_model, sizeof c->missing_model, c->dir, "no_such_model_0123.dat");
    join_path(c->garbage, sizeof c->garbage, c->dir, "garbage_model.dat");
    ok = ok && write_whole_file(c->garbage, c->corrupt2 + 4, sizeof c->corrupt2 - 4);
    join_path(c->text_model, sizeof c->text_model, c->dir, "text_model.dat");
    ok = ok && write_whole_file(c->text_model, "this is not a model\n", 20);
    char p[4096];
    join_path(c->trunc68, sizeof c->trunc68, c->dir, "shape_predictor_68_truncated.dat");
    if (fs_model_find(BT_P68, p, sizeof p) != FS_OK || !copy_prefix(p, c->trunc68, 65536)) c->trunc68[0] = '\0';
    join_path(c->trunc_rec, sizeof c->trunc_rec, c->dir, "resnet_truncated.dat");
    if (!fx->rec_path[0] || !copy_prefix(fx->rec_path, c->trunc_rec, 65536)) c->trunc_rec[0] = '\0';
    join_path(c->trunc_cnn, sizeof c->trunc_cnn, c->dir, "mmod_truncated.dat");
    if (!c->pcnn[0] || !copy_prefix(c->pcnn, c->trunc_cnn, 65536)) c->trunc_cnn[0] = '\0';
    join_path(c->trunc_haar, sizeof c->trunc_haar, c->dir, "haar_truncated.xml");
    if (!c->phaar[0] || !copy_prefix(c->phaar, c->trunc_haar, 4096)) c->trunc_haar[0] = '\0';
    /* Videos. */
    video_path(c->vin, sizeof c->vin, "vr_face5.mp4");
    video_path(c->vmissing, sizeof c->vmissing, "no_such_clip_0123.mp4");
    join_path(c->vtext, sizeof c->vtext, c->dir, "not_a_video.mp4");
    ok = ok && write_whole_file(c->vtext, bt_text, strlen(bt_text));
    join_path(c->vtrunc, sizeof c->vtrunc, c->dir, "truncated.mp4");
    long long vsize = 0;
    ok = ok && file_exists(c->vin, &vsize) && copy_prefix(c->vin, c->vtrunc, (size_t)vsize / 2);
    join_path(c->vzero, sizeof c->vzero, c->dir, "zero_frames.y4m");
    ok = ok && write_y4m(c->vzero, 64, 64, 0, 0, 0);
    join_path(c->vtrunc_frame, sizeof c->vtrunc_frame, c->dir, "truncated_frame.y4m");
    ok = ok && write_y4m(c->vtrunc_frame, 64, 64, 1, 100, 0);
    join_path(c->vcorrupt, sizeof c->vcorrupt, c->dir, "corrupt_stream.mp4");
    ok = ok && write_zeroed_mdat(c->vin, c->vcorrupt);
    join_path(c->vaudio, sizeof c->vaudio, c->dir, "audio_only.wav");
    ok = ok && write_wav(c->vaudio);
    join_path(c->vout, sizeof c->vout, c->vdir, "out.mp4");
    join_path(c->vout_xyz, sizeof c->vout_xyz, c->vdir, "out.xyz");
    join_path(c->vout_noext, sizeof c->vout_noext, c->vdir, "out");
    tmp_path(c->vout_nodir, sizeof c->vout_nodir, "no_such_folder_0123/out.mp4");
    {
        unsigned char fake[4096]; /* the model file's magic, then garbage */
        memcpy(fake, c->corrupt2, sizeof fake);
        memcpy(fake, "FSMODEL", 7);
        join_path(c->model_fake, sizeof c->model_fake, c->dir, "fake.fsm");
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
    fs_model_free(c->gan_model);
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
    for (int i = 0; i < 136; i++) c->gen_points[i] = 16.0f + (float)(i % 32);
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
        snprintf(why + strlen(why), n - strlen(why), "; %s is %zu, not 0", &token[1], c->field)
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

GROUP(group_bad_input_table, "bad-input-table", FX_SWAP | FX_JPEGS,
      "one table row per bad input of every function in faceswap.h: NULL for each "
      "pointer, zero/negative/huge sizes, wrong strides and formats, freed-twice, "
      "freed and wrong-kind handles, corrupt and truncated images, model files and "
      "videos, 0-frame and undecodable videos, cancelling callbacks: each gives its "
      "status and a message naming the function and the bad argument; outputs NULL/0, "
      "struct outputs and targets untouched, no file left; no-op rows for functions "
      "without a failure mode") {
    bt_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        CHECKF(false, "out of memory");
        return;
    }
    const char *names[128];
    size_t nfn = bt_functions(names, 128);
    int passed = 0, failed = 0;
    if (bt_setup(c, fx)) {
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
            check_impl(ok, "bad_input_table.h", r->line, label, "%s", ok ? "" : why + 2);
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
}

/* The names of the table's functions, one a line (for run.sh's check against the header). */
int list_table_functions(void) {
    const char *names[128];
    size_t n = bt_functions(names, 128);
    for (size_t i = 0; i < n; i++) printf("%s\n", names[i]);
    return 0;
}
