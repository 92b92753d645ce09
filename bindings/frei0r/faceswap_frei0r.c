/*
 * faceswap_frei0r.c — a frei0r filter ("faceswap") over libfaceswap's C API.
 *
 * Puts the face of one photo onto every face of each frame, with the library's video stream
 * (detection every N frames, landmark tracking in between, a One-Euro filter on the landmarks,
 * scene-cut resets). This file holds no image logic and no table of the library's names,
 * defaults or ranges: it maps frei0r parameters to libfaceswap options (names read by
 * fs_enum_parse, each number's default and range from fs_option_find) and frames to
 * fs_stream_push_view().
 *
 * Parameters, in index order (ffmpeg's filter_params lists them by position, separated by '|'):
 *   0 source          STRING  path of the face photo (required), or of a learned model (.fsm,
 *                             made by `faceswap train`): then person A's faces become B's
 *   1 mode            STRING  fs_swap_options.mode: a name fs_enum_parse reads (affine, delaunay;
 *                             aliases and any case too)               (default: the library's)
 *   2 blend           STRING  fs_swap_options.blend (alpha, poisson, ...) (default: the library's)
 *   3 color           STRING  fs_swap_options.color (none, mean, ...)     (default: the library's)
 *                             (an empty string, as in "face.jpg||alpha", means the default)
 *   4 expression      DOUBLE  fs_swap_options.expression: frei0r's 0..1 maps linearly onto the
 *                             option's range (fs_option_find; today 0-1, so v itself)
 *   5 detect_interval DOUBLE  fs_stream_options.detect_interval: run the detector every N frames.
 *                             Values in [0, 1) are frei0r's normalised scale, mapped linearly onto
 *                             the option's range (today 1-1000: 1 + round(v * 999)); values >= 1
 *                             are frames as written (ffmpeg passes numbers as written).
 *                             The library checks the ranges; its message goes to stderr.
 *   6 smoothing       BOOL    One-Euro filter on the landmarks (on: the library's default cutoff
 *                             and beta; off: no filter). ffmpeg spells it y / n.
 *   7 time_unit       STRING  auto | s | ms: the unit of the host's frame time. frei0r says
 *                             seconds, but ffmpeg passes milliseconds. auto: the first positive
 *                             step between two frames decides (>= 1 means milliseconds).
 *   8 fps             DOUBLE  frames per second to assume when the host's frame times are
 *                             unusable (0: 30, with a note on stderr). ffmpeg 5.x passes no
 *                             valid time when it re-aligns a frame for frei0r (it loses the pts);
 *                             the smoothing filter needs the time between frames.
 *   9 reverse         BOOL    with a learned model: B's faces become A's (default n)
 *  10 threads         DOUBLE  fs_stream_options.threads: threads a frame may use to swap its
 *                             faces at the same time (0: every core, the library's default;
 *                             1: ffmpeg's filter thread only). As detect_interval: 1 and above
 *                             are threads as written, [0, 1) frei0r's scale onto the range.
 *  11 occlusion       BOOL    fs_swap_options.occlusion: keep what covers the face (glasses,
 *                             hands, hair) in front of it (default: the library's, off)
 *  12 edge_color      DOUBLE  fs_swap_options.edge_color: colour and light matched at the face's
 *                             edge; frei0r's 0..1 onto the option's range (today 0-1, so v)
 *  13 skin_texture    DOUBLE  fs_swap_options.skin_texture: the target's fine skin texture kept
 *                             under the source's features; 0..1 onto the range (today 0-1, so v)
 *
 * e.g.  ffmpeg -i in.mp4 -vf "frei0r=faceswap:/path/face.jpg|delaunay|multiband|reinhard|0.5|5|y,format=yuv420p" out.mp4
 *
 * ffmpeg before 6.1 (libavfilter 9.12) hands frei0r frames whose rows are padded to the CPU's
 * alignment (64 bytes with AVX-512) although frei0r promises width*4 bytes per row; such frames
 * cannot be read correctly. The plugin then passes them through and says so once; pad the width
 * to a multiple of 16 around it:  -vf "pad=ceil(iw/16)*16:ih,frei0r=faceswap:...,crop=W:H:0:0"
 *
 * Errors never stop the host: the frame passes through unchanged and one line naming what to fix
 * goes to stderr (once per distinct problem), e.g.
 *   faceswap frei0r: cannot load source '/x/face.jpg': fs_image_load: cannot open ...
 *   faceswap frei0r: parameter 2 (blend): fs_enum_parse: unknown blend mode 'foo': use alpha, ...
 */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include <frei0r.h>
#include <faceswap.h>

#include <dlfcn.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLUGIN_PREFIX "faceswap frei0r: "

enum {
    P_SOURCE = 0,
    P_MODE,
    P_BLEND,
    P_COLOR,
    P_EXPRESSION,
    P_DETECT_INTERVAL,
    P_SMOOTHING,
    P_TIME_UNIT,
    P_FPS,
    P_REVERSE,
    P_THREADS,
    P_OCCLUSION,
    P_EDGE_COLOR,
    P_SKIN_TEXTURE,
    P_COUNT
};

/* The parameters that are libfaceswap options, described by the library (fs_option_find) once,
 * at f0r_init: their explanations are built from the description (names, range, default). */
typedef struct {
    int index;                /* P_... */
    const char *param;        /* the frei0r parameter's name */
    fs_options_kind kind;     /* the options struct ... */
    const char *option;       /* ... and the field, as the library names it */
    const char *lead;         /* the explanation's opening words */
    fs_option_info info;      /* the library's description */
    int described;            /* info is valid */
    char explanation[512];
} library_param;

static library_param library_params[] = {
    {P_MODE, "mode", FS_OPTIONS_SWAP, "mode", "Conversion", {0}, 0, ""},
    {P_BLEND, "blend", FS_OPTIONS_SWAP, "blend", "Blending", {0}, 0, ""},
    {P_COLOR, "color", FS_OPTIONS_SWAP, "color", "Colour correction", {0}, 0, ""},
    {P_EXPRESSION, "expression", FS_OPTIONS_SWAP, "expression",
     "Expression: how far eyes, brows, nose and mouth follow the video's expression", {0}, 0, ""},
    {P_DETECT_INTERVAL, "detect_interval", FS_OPTIONS_STREAM, "detect_interval",
     "Detect interval: run the face detector every N frames", {0}, 0, ""},
    {P_THREADS, "threads", FS_OPTIONS_STREAM, "threads",
     "Threads: how many a frame may use to swap its faces at once (0: every core)", {0}, 0, ""},
    {P_OCCLUSION, "occlusion", FS_OPTIONS_SWAP, "occlusion",
     "Occlusion: keep what covers the face (glasses, hands, hair) in front of it", {0}, 0, ""},
    {P_EDGE_COLOR, "edge_color", FS_OPTIONS_SWAP, "edge_color",
     "Edge colour: match the colour and light at the face's edge", {0}, 0, ""},
    {P_SKIN_TEXTURE, "skin_texture", FS_OPTIONS_SWAP, "skin_texture",
     "Skin texture: keep the target's fine skin texture under the source's features", {0}, 0, ""},
};
#define LIBRARY_PARAM_COUNT (sizeof library_params / sizeof library_params[0])

static library_param *library_param_at(int index) {
    for (size_t i = 0; i < LIBRARY_PARAM_COUNT; i++)
        if (library_params[i].index == index) return &library_params[i];
    return NULL;
}

/* frei0r's 0..1 onto the option's range [min, max], rounded for an INT option. */
static double from_unit(const fs_option_info *o, double v) {
    double x = o->min + v * (o->max - o->min);
    return o->type == FS_OPTION_INT ? round(x) : x;
}

/* A value of the option's range as frei0r's 0..1. */
static double to_unit(const fs_option_info *o, double x) {
    return o->max > o->min ? (x - o->min) / (o->max - o->min) : 0;
}

/* The canonical name of the option's default value (an ENUM option), or "". */
static const char *default_name(const library_param *p) {
    const char *name = p->described ? fs_enum_name(p->info.enum_kind, (int32_t)p->info.default_value) : NULL;
    return name ? name : "";
}

static void describe(library_param *p) {
    memset(&p->info, 0, sizeof p->info);
    p->info.struct_size = sizeof p->info;
    p->described = fs_option_find(p->kind, p->option, &p->info) == FS_OK;
    if (!p->described) {
        snprintf(p->explanation, sizeof p->explanation, "%s (libfaceswap does not describe %s: %s)", p->lead,
                 p->option, fs_last_error_message());
        return;
    }
    const fs_option_info *o = &p->info;
    if (o->type == FS_OPTION_ENUM) {
        size_t n = 0, used = (size_t)snprintf(p->explanation, sizeof p->explanation, "%s:", p->lead);
        int32_t value;
        for (size_t i = 0; fs_enum_value_at(o->enum_kind, i, &value, &n) == FS_OK && i < n; i++) {
            const char *name = fs_enum_name(o->enum_kind, value);
            if (used < sizeof p->explanation)
                used += (size_t)snprintf(p->explanation + used, sizeof p->explanation - used, "%s %s",
                                         i ? " |" : "", name ? name : "?");
        }
        if (used < sizeof p->explanation)
            snprintf(p->explanation + used, sizeof p->explanation - used, " (default %s)", default_name(p));
    } else {
        snprintf(p->explanation, sizeof p->explanation, "%s: %g\u2013%g, default %g (0\u20131 maps onto that range%s)",
                 p->lead, o->min, o->max, o->default_value,
                 p->index == P_DETECT_INTERVAL ? "; 1 and above are frames as written"
                 : p->index == P_THREADS     ? "; 1 and above are threads as written"
                                             : "");
    }
}

/* seconds per host time unit; 0 = decide from the first step */
typedef struct {
    const char *name;
    int value;
} name_value;

static const name_value time_units[] = {{"auto", 0}, {"s", 1}, {"ms", 1000}, {NULL, 0}};

static int value_of(const name_value *table, const char *name, int *value) {
    for (; table->name; table++)
        if (strcmp(table->name, name) == 0) {
            *value = table->value;
            return 1;
        }
    return 0;
}

/* What each parameter change forces to be rebuilt. */
enum { DIRTY_STREAM = 1, DIRTY_SOURCE = 2, DIRTY_SWAPPER = 4 };

typedef struct {
    unsigned width, height;
    /* parameters as set (strings owned) */
    char *source_path;
    char *mode, *blend, *color, *time_unit;
    double expression, detect_interval, smoothing, fps, reverse, threads, occlusion, edge_color, skin_texture;
    int dirty;
    /* libfaceswap objects, built lazily on update */
    fs_detector *detector;
    fs_landmarker *landmarker;
    fs_swapper *swapper;
    fs_model *model;          /* source is a .fsm learned model */
    fs_source *source;
    fs_stream *stream;
    int ready;                /* the stream is built and usable */
    int push_failed;          /* a frame failed on this stream (reported once) */
    char *last_error;         /* the last line printed, so a problem is reported once */
    /* host time → seconds since the stream started */
    int have_t0;              /* a frame has been pushed since the stream (re)started */
    int have_last_t;          /* last_t holds a usable host time */
    double last_t, seconds, seconds_per_unit; /* seconds_per_unit 0: not known yet (auto) */
    int noted_fps;            /* the note about assumed frame times was printed */
} instance;

static char *dup_string(const char *s) {
    size_t n = strlen(s ? s : "") + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s ? s : "", n);
    return d;
}

/* Prints one line to stderr unless it is the same line as last time. */
static void report(instance *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(instance *in, const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (in->last_error && strcmp(in->last_error, line) == 0) return;
    fprintf(stderr, PLUGIN_PREFIX "%s\n", line);
    fflush(stderr);
    free(in->last_error);
    in->last_error = dup_string(line);
}

/* The library's message for the failing call, copied before anything else runs. */
static const char *why(fs_status st) {
    static _Thread_local char buf[768];
    const char *m = fs_last_error_message();
    snprintf(buf, sizeof buf, "%s", (m && *m) ? m : fs_status_string(st));
    return buf;
}

/* ---------------------------------------------------------------------------------------- */
/* frei0r entry points                                                                       */
/* ---------------------------------------------------------------------------------------- */

int f0r_init(void) {
    for (size_t i = 0; i < LIBRARY_PARAM_COUNT; i++) describe(&library_params[i]);
    return 1;
}

void f0r_deinit(void) {}

void f0r_get_plugin_info(f0r_plugin_info_t *info) {
    info->name = "faceswap";
    info->author = "libfaceswap";
    info->plugin_type = F0R_PLUGIN_TYPE_FILTER;
    info->color_model = F0R_COLOR_MODEL_RGBA8888;
    info->frei0r_version = FREI0R_MAJOR_VERSION;
    info->major_version = FS_VERSION_MAJOR;
    info->minor_version = FS_VERSION_MINOR;
    info->num_params = P_COUNT;
    info->explanation = "Swaps the face of a photo onto the faces of the video (libfaceswap)";
}

void f0r_get_param_info(f0r_param_info_t *info, int index) {
    switch (index) {
    case P_SOURCE:
        info->name = "source";
        info->type = F0R_PARAM_STRING;
        info->explanation = "Path of the photo whose face is put onto the video, or of a learned "
                            "model (.fsm): then A's faces become B's";
        break;
    case P_MODE:
    case P_BLEND:
    case P_COLOR:
    case P_EXPRESSION:
    case P_DETECT_INTERVAL:
    case P_THREADS:
    case P_OCCLUSION:
    case P_EDGE_COLOR:
    case P_SKIN_TEXTURE: {
        library_param *p = library_param_at(index);
        if (!p->explanation[0]) describe(p); /* a host that skipped f0r_init */
        info->name = p->param;
        info->type = index == P_OCCLUSION ? F0R_PARAM_BOOL
                     : index == P_MODE || index == P_BLEND || index == P_COLOR ? F0R_PARAM_STRING
                                                                              : F0R_PARAM_DOUBLE;
        info->explanation = p->explanation;
        break;
    }
    case P_SMOOTHING:
        info->name = "smoothing";
        info->type = F0R_PARAM_BOOL;
        info->explanation = "One-Euro filter on the landmarks (steadier faces)";
        break;
    case P_TIME_UNIT:
        info->name = "time_unit";
        info->type = F0R_PARAM_STRING;
        info->explanation = "Unit of the host's frame time: auto | s | ms (ffmpeg passes ms)";
        break;
    case P_FPS:
        info->name = "fps";
        info->type = F0R_PARAM_DOUBLE;
        info->explanation = "Frame rate to assume when the host gives no usable frame times (0: 30)";
        break;
    case P_REVERSE:
        info->name = "reverse";
        info->type = F0R_PARAM_BOOL;
        info->explanation = "With a learned model: turn B's faces into A's";
        break;
    default:
        break;
    }
}

/* The library's default name of an enum parameter (e.g. "multiband"), or "" if it was not described. */
static const char *fallback_name(int index) { return default_name(library_param_at(index)); }

/* The library's defaults, filled at this plugin's sizeof (fails only for a NULL or impossible size). */
static fs_status swap_defaults(fs_swap_options *o) {
    memset(o, 0, sizeof *o);
    return FS_SWAP_OPTIONS_INIT(o);
}

static fs_status stream_defaults(fs_stream_options *o) {
    memset(o, 0, sizeof *o);
    return FS_STREAM_OPTIONS_INIT(o);
}

f0r_instance_t f0r_construct(unsigned int width, unsigned int height) {
    fs_stream_options st;
    if (stream_defaults(&st) != FS_OK) return NULL;
    instance *in = calloc(1, sizeof *in);
    if (!in) return NULL;
    in->width = width;
    in->height = height;
    in->source_path = dup_string("");
    in->mode = dup_string(fallback_name(P_MODE));
    in->blend = dup_string(fallback_name(P_BLEND));
    in->color = dup_string(fallback_name(P_COLOR));
    in->time_unit = dup_string("auto");
    /* the library's defaults as frei0r's 0..1 on each option's range */
    const library_param *e = library_param_at(P_EXPRESSION), *d = library_param_at(P_DETECT_INTERVAL);
    in->expression = e->described ? to_unit(&e->info, e->info.default_value) : 0;
    in->detect_interval = d->described ? to_unit(&d->info, d->info.default_value) : 0;
    const library_param *t = library_param_at(P_THREADS);
    in->threads = t->described ? to_unit(&t->info, t->info.default_value) : 0;
    const library_param *oc = library_param_at(P_OCCLUSION), *ec = library_param_at(P_EDGE_COLOR);
    in->occlusion = oc->described && oc->info.default_value != 0 ? 1.0 : 0.0;
    in->edge_color = ec->described ? to_unit(&ec->info, ec->info.default_value) : 0;
    const library_param *sk = library_param_at(P_SKIN_TEXTURE);
    in->skin_texture = sk->described ? to_unit(&sk->info, sk->info.default_value) : 0;
    in->smoothing = st.min_cutoff > 0 ? 1.0 : 0.0;
    in->dirty = DIRTY_SWAPPER | DIRTY_SOURCE | DIRTY_STREAM;
    if (!in->source_path || !in->mode || !in->blend || !in->color || !in->time_unit) {
        free(in->source_path), free(in->mode), free(in->blend), free(in->color), free(in->time_unit);
        free(in);
        return NULL;
    }
    return in;
}

static void drop(instance *in, int what) {
    if (what & (DIRTY_STREAM | DIRTY_SOURCE | DIRTY_SWAPPER)) {
        fs_stream_free(in->stream);
        in->stream = NULL;
        in->ready = 0;
        in->have_t0 = 0;
        in->push_failed = 0;
    }
    if (what & (DIRTY_SOURCE | DIRTY_SWAPPER)) {
        fs_source_free(in->source);
        in->source = NULL;
    }
    if (what & DIRTY_SWAPPER) {
        fs_swapper_free(in->swapper);
        in->swapper = NULL;
        fs_model_free(in->model);
        in->model = NULL;
    }
}

void f0r_destruct(f0r_instance_t instance_) {
    instance *in = instance_;
    if (!in) return;
    drop(in, DIRTY_SWAPPER);
    fs_landmarker_free(in->landmarker);
    fs_detector_free(in->detector);
    free(in->source_path);
    free(in->mode);
    free(in->blend);
    free(in->color);
    free(in->time_unit);
    free(in->last_error);
    free(in);
}

/* An empty string (e.g. "a.jpg||alpha" in ffmpeg) means the default (fallback). */
static void set_string(instance *in, char **field, f0r_param_t param, int dirty, const char *fallback) {
    const char *value = param ? *(const char *const *)param : NULL;
    if (!value || !*value) value = fallback;
    if (strcmp(*field, value) == 0) return;
    char *copy = dup_string(value);
    if (!copy) return;
    free(*field);
    *field = copy;
    in->dirty |= dirty;
}

static void set_double(instance *in, double *field, f0r_param_t param, int dirty) {
    if (!param) return;
    double v = *(const double *)param;
    if (v == *field || (isnan(v) && isnan(*field))) return;
    *field = v;
    in->dirty |= dirty;
}

void f0r_set_param_value(f0r_instance_t instance_, f0r_param_t param, int index) {
    instance *in = instance_;
    if (!in) return;
    switch (index) {
    case P_SOURCE: set_string(in, &in->source_path, param, DIRTY_SOURCE | DIRTY_SWAPPER, ""); break;
    case P_MODE: set_string(in, &in->mode, param, DIRTY_SWAPPER, fallback_name(P_MODE)); break;
    case P_BLEND: set_string(in, &in->blend, param, DIRTY_SWAPPER, fallback_name(P_BLEND)); break;
    case P_COLOR: set_string(in, &in->color, param, DIRTY_SWAPPER, fallback_name(P_COLOR)); break;
    case P_EXPRESSION: set_double(in, &in->expression, param, DIRTY_SWAPPER); break;
    case P_DETECT_INTERVAL: set_double(in, &in->detect_interval, param, DIRTY_STREAM); break;
    case P_SMOOTHING: set_double(in, &in->smoothing, param, DIRTY_STREAM); break;
    case P_TIME_UNIT: set_string(in, &in->time_unit, param, DIRTY_STREAM, "auto"); break;
    case P_FPS: set_double(in, &in->fps, param, DIRTY_STREAM); break;
    case P_REVERSE: set_double(in, &in->reverse, param, DIRTY_SWAPPER); break;
    case P_THREADS: set_double(in, &in->threads, param, DIRTY_STREAM); break;
    case P_OCCLUSION: set_double(in, &in->occlusion, param, DIRTY_SWAPPER); break;
    case P_EDGE_COLOR: set_double(in, &in->edge_color, param, DIRTY_SWAPPER); break;
    case P_SKIN_TEXTURE: set_double(in, &in->skin_texture, param, DIRTY_SWAPPER); break;
    default: break;
    }
}

void f0r_get_param_value(f0r_instance_t instance_, f0r_param_t param, int index) {
    instance *in = instance_;
    if (!in || !param) return;
    switch (index) {
    case P_SOURCE: *(char **)param = in->source_path; break;
    case P_MODE: *(char **)param = in->mode; break;
    case P_BLEND: *(char **)param = in->blend; break;
    case P_COLOR: *(char **)param = in->color; break;
    case P_EXPRESSION: *(double *)param = in->expression; break;
    case P_DETECT_INTERVAL: *(double *)param = in->detect_interval; break;
    case P_SMOOTHING: *(double *)param = in->smoothing; break;
    case P_TIME_UNIT: *(char **)param = in->time_unit; break;
    case P_FPS: *(double *)param = in->fps; break;
    case P_REVERSE: *(double *)param = in->reverse; break;
    case P_THREADS: *(double *)param = in->threads; break;
    case P_OCCLUSION: *(double *)param = in->occlusion; break;
    case P_EDGE_COLOR: *(double *)param = in->edge_color; break;
    case P_SKIN_TEXTURE: *(double *)param = in->skin_texture; break;
    default: break;
    }
}

/* An enum parameter's value by its name, read by the library (fs_enum_parse, with the enum its
 * option takes); 0 after reporting the library's message. */
static int parse_name(instance *in, int index, const char *name, int32_t *value) {
    const library_param *p = library_param_at(index);
    fs_status st = p->described ? fs_enum_parse(p->info.enum_kind, name, value) : FS_ERR_UNSUPPORTED;
    if (st != FS_OK) report(in, "parameter %d (%s): %s", index, p->param, p->described ? why(st) : p->explanation);
    return st == FS_OK;
}

/* A number parameter as the option's value: frei0r's 0..1 on the option's range (a value outside
 * 0..1 lands outside the range, which the library refuses), except detect_interval and threads
 * >= 1 (or negative): frames or threads as written. The library checks the result's range when the swapper or the
 * stream is made. 0 after a report when the option is not described or the value is no number. */
static int option_value(instance *in, int index, double v, double *out) {
    const library_param *p = library_param_at(index);
    if (!p->described) {
        report(in, "parameter %d (%s): %s", index, p->param, p->explanation);
        return 0;
    }
    if (!isfinite(v)) {
        report(in, "parameter %d (%s) is %g, not a number", index, p->param, v);
        return 0;
    }
    if ((index == P_DETECT_INTERVAL || index == P_THREADS) && !(v >= 0 && v < 1)) {
        *out = fmax(INT32_MIN, fmin(INT32_MAX, round(v))); /* as written; out of range: the library says so */
        return 1;
    }
    *out = from_unit(&p->info, v);
    return 1;
}

/* 1 when the host is an ffmpeg whose frei0r wrapper pads rows of this width (see the top). */
static int host_pads_rows(unsigned width) {
    static int old_ffmpeg = -1; /* the host does not change: look once */
    if (old_ffmpeg < 0) {
        unsigned (*avfilter_version)(void) = NULL;
        *(void **)&avfilter_version = dlsym(RTLD_DEFAULT, "avfilter_version"); /* POSIX's idiom */
        old_ffmpeg = avfilter_version && avfilter_version() < ((9u << 16) | (12u << 8) | 100u);
    }
    return old_ffmpeg && (width * 4) % 64 != 0;
}

/* Builds what the parameters need; 1 when the stream is usable. Reports the first problem. */
static int prepare(instance *in) {
    if (!FS_ABI_COMPATIBLE()) {
        report(in, "libfaceswap has ABI %d but this plugin was built for ABI %d: rebuild the plugin "
                   "against the installed faceswap.h",
               fs_abi_version(), FS_ABI_VERSION);
        return 0;
    }
    if (host_pads_rows(in->width)) {
        report(in, "this ffmpeg pads the rows of a %u-pixel-wide frame, which frei0r cannot see: frames "
                   "pass through unchanged. Pad the width to a multiple of 16 around the filter: "
                   "-vf \"pad=ceil(iw/16)*16:ih,frei0r=faceswap:...,crop=%u:%u:0:0\"",
               in->width, in->width, in->height);
        return 0;
    }
    if (!in->dirty && in->ready) return 1;
    if (!in->dirty && !in->ready) return 0; /* the same failing settings: reported already */

    /* Read every parameter before building anything; the library checks the ranges when the
     * swapper and the stream are made, and its message is reported. */
    fs_swap_options so;
    fs_status st;
    if ((st = swap_defaults(&so)) != FS_OK) {
        report(in, "cannot get the swap defaults: %s", why(st));
        goto failed;
    }
    int32_t mode, blend, color;
    double expression, interval, threads, edge_color, skin_texture;
    if (!parse_name(in, P_MODE, in->mode, &mode) || !parse_name(in, P_BLEND, in->blend, &blend) ||
        !parse_name(in, P_COLOR, in->color, &color) ||
        !option_value(in, P_EXPRESSION, in->expression, &expression) ||
        !option_value(in, P_DETECT_INTERVAL, in->detect_interval, &interval) ||
        !option_value(in, P_THREADS, in->threads, &threads) ||
        !option_value(in, P_EDGE_COLOR, in->edge_color, &edge_color) ||
        !option_value(in, P_SKIN_TEXTURE, in->skin_texture, &skin_texture))
        goto failed;
    so.mode = (fs_convert_mode)mode;
    so.blend = (fs_blend_mode)blend;
    so.color = (fs_color_mode)color;
    so.expression = (float)expression;
    so.occlusion = in->occlusion >= 0.5;
    so.edge_color = (float)edge_color;
    so.skin_texture = (float)skin_texture;
    int unit;
    if (!value_of(time_units, in->time_unit, &unit)) {
        report(in, "unknown time_unit '%s': use auto, s or ms", in->time_unit);
        goto failed;
    }
    if (!(in->fps >= 0 && in->fps <= 1000)) {
        report(in, "fps %g is outside 0..1000 (0: assume 30)", in->fps);
        goto failed;
    }
    if (!in->source_path[0]) {
        report(in, "no source photo: give its path as the first parameter, e.g. "
                   "frei0r=faceswap:/path/to/face.jpg");
        goto failed;
    }

    if (!in->detector && (st = fs_detector_create(NULL, &in->detector)) != FS_OK) {
        report(in, "cannot create the face detector: %s", why(st));
        goto failed;
    }
    if (!in->landmarker && (st = fs_landmarker_create(NULL, &in->landmarker)) != FS_OK) {
        report(in, "cannot load the landmark model: %s", why(st));
        goto failed;
    }
    drop(in, in->dirty);
    size_t n = strlen(in->source_path);
    /* .fsm: the autoencoder; .fsg: the landmark GAN (train-gan); both are fs_model files */
    int learned = n > 4 && (strcmp(in->source_path + n - 4, ".fsm") == 0 || strcmp(in->source_path + n - 4, ".fsg") == 0);
    if (learned && !in->model && (st = fs_model_load(in->source_path, &in->model)) != FS_OK) {
        report(in, "cannot load model '%s': %s", in->source_path, why(st));
        goto failed;
    }
    if (!in->swapper) {
        st = learned ? fs_swapper_create_learned(in->detector, in->landmarker, in->model, in->reverse >= 0.5, &so,
                                                 &in->swapper)
                     : fs_swapper_create(in->detector, in->landmarker, NULL, &so, &in->swapper);
        if (st != FS_OK) {
            report(in, "bad swap settings: %s", why(st));
            goto failed;
        }
    }
    if (!learned && !in->source) {
        fs_image *photo = NULL;
        if ((st = fs_image_load(in->source_path, &photo)) != FS_OK) {
            report(in, "cannot load source '%s': %s", in->source_path, why(st));
            goto failed;
        }
        st = fs_source_prepare(in->swapper, photo, 0, &in->source);
        fs_image_free(photo);
        if (st != FS_OK) {
            report(in, "cannot use source '%s': %s", in->source_path, why(st));
            goto failed;
        }
    }
    fs_stream_options so2;
    if ((st = stream_defaults(&so2)) != FS_OK) {
        report(in, "cannot get the stream defaults: %s", why(st));
        goto failed;
    }
    so2.detect_interval = (int32_t)interval;
    so2.threads = (int32_t)threads;
    if (in->smoothing < 0.5) so2.min_cutoff = 0;
    if ((st = fs_stream_create(in->swapper, in->source, &so2, &in->stream)) != FS_OK) {
        report(in, "cannot start the frame stream: %s", why(st));
        goto failed;
    }
    in->seconds_per_unit = unit ? 1.0 / unit : 0;
    in->have_t0 = 0;
    in->dirty = 0;
    in->ready = 1;
    free(in->last_error); /* a later problem is new: report it */
    in->last_error = NULL;
    return 1;

failed:
    in->dirty = 0;
    in->ready = 0;
    return 0;
}

/* A host time that says something: ffmpeg 5.x passes AV_NOPTS_VALUE scaled (about -7e17). */
static int usable_time(double t) { return isfinite(t) && fabs(t) < 1e12; }

/* The frame's time in seconds since the stream started (the filter needs only the steps).
 * Usable, increasing host times are scaled to seconds; a time going back is a seek (the tracks
 * restart); a missing or repeated time advances by one frame at the fps parameter. */
static double stream_seconds(instance *in, double t) {
    int usable = usable_time(t);
    if (usable && in->have_last_t && t < in->last_t) { /* the host went back: a seek */
        fs_stream_reset(in->stream);
        in->have_t0 = 0;
    }
    if (!in->have_t0) {
        in->have_t0 = 1;
        in->have_last_t = usable;
        in->last_t = t;
        in->seconds = 0;
        if (strcmp(in->time_unit, "auto") == 0) in->seconds_per_unit = 0;
        return 0;
    }
    if (usable && in->have_last_t && t > in->last_t) {
        if (in->seconds_per_unit == 0) in->seconds_per_unit = (t - in->last_t) >= 1 ? 0.001 : 1;
        in->seconds += (t - in->last_t) * in->seconds_per_unit;
    } else {
        if (in->fps <= 0 && in->smoothing >= 0.5 && !in->noted_fps) {
            fprintf(stderr, PLUGIN_PREFIX "note: the host gives no usable frame times; the smoothing "
                                          "assumes 30 frames per second (set the fps parameter, the "
                                          "9th, to the video's rate)\n");
            in->noted_fps = 1;
        }
        in->seconds += 1.0 / (in->fps > 0 ? in->fps : 30);
    }
    in->have_last_t = usable;
    if (usable) in->last_t = t;
    return in->seconds;
}

void f0r_update(f0r_instance_t instance_, double time, const uint32_t *inframe, uint32_t *outframe) {
    instance *in = instance_;
    if (!in || !inframe || !outframe) return;
    size_t bytes = (size_t)in->width * in->height * 4;
    if (outframe != inframe) memcpy(outframe, inframe, bytes);
    if (!prepare(in)) return;

    fs_image_view view = {outframe, (int32_t)in->width, (int32_t)in->height, (size_t)in->width * 4,
                          FS_FORMAT_RGBA8};
    fs_status st = fs_stream_push_view(in->stream, &view, stream_seconds(in, time), NULL);
    if (st != FS_OK) {
        if (!in->push_failed) /* once per stream: a persistent failure would flood the log */
            report(in, "cannot swap the frame at time %g (it and any such frame pass through "
                       "unchanged): %s", time, why(st));
        in->push_failed = 1;
        /* The frame may be half-written: give the host the input instead. */
        if (outframe != inframe) memcpy(outframe, inframe, bytes);
    }
}
