/*
 * harness.c — runs the "Face swap" OBS filter (bindings/obs) inside the real libobs, for
 * Tests/obs/run.sh. Headless: libobs-opengl on an X display (run.sh starts Xvfb; Mesa's llvmpipe
 * renders), so the filter runs where it runs in OBS: on libobs's graphics thread, in
 * libobs's own asynchronous-filter chain, as the frame is prepared for the GPU.
 *
 * How frames are seen. libobs calls the filter_video callbacks of a source's asynchronous
 * filters one after another on each new frame. The harness registers two small types of its own:
 * "fs_test_camera", an asynchronous video source it feeds with obs_source_output_video (what a
 * camera plug-in does), and "fs_test_probe", a filter that copies each frame it is handed to a
 * file. The chain is probe "in" -> faceswap_filter -> probe "out": "in" sees exactly what the
 * filter gets, "out" exactly what it returns (what libobs uploads and renders). Frames are fed
 * one at a time, each after "out" has seen the previous one, so none is dropped and the frame
 * order is the input's. The time between "in" and "out" of a frame is the filter's time.
 * Optionally the rendered program output (obs_add_raw_video_callback, BGRA) of chosen frames is
 * saved too, to check that what the GPU shows is the filtered frame.
 *
 * Commands (key=value arguments; every command prints "ok   - ..." / "FAIL - ..." lines and
 * exits non-zero on a failure or a setup error):
 *   describe module=SO data=DIR
 *       loads the module; checks the filter type, its flags, its name from the locale, and
 *       that its defaults, lists and ranges are the library's own (fs_option_find,
 *       fs_enum_value_at, called here directly).
 *   run module=SO data=DIR input=RAW informat=i420|rgba size=WxH frames=N fps=F format=FMT
 *       out=RAW [in=RAW] [timing=FILE] [render=i,j,... render_out=RAW] [log=FILE]
 *       [set:KEY=VALUE ...] [change_at=K change:KEY=VALUE ...] [expect=ready|error|info]
 *       feeds N frames of RAW (packed I420 or RGBA) converted to FMT (from I420: i420, nv12,
 *       i422, i444, yuy2, uyvy, yvyu, y800, p010; from RGBA: rgba, bgra, bgrx, bgr3) through the chain with the filter's settings set:..., writes what "out"
 *       (and "in") saw, packed, and the filter's time per frame in microseconds. change_at=K
 *       applies change:... before frame K and waits for the new stream. expect says what the
 *       filter's status should be once built (default ready).
 *   media module=SO data=DIR plugins=DIR clip=MP4 size=WxH out=RAW in=RAW meta=FILE
 *       [speed=PERCENT] [set:KEY=VALUE ...]
 *       plays the clip with Debian's media source (obs-ffmpeg's "ffmpeg_source") through the
 *       chain in real time, and writes the frames with a line per frame in meta (format, frame
 *       timestamp).
 *   reference input=RAW size=WxH frames=N fps=F out=RAW source=PHOTO [KEY=VALUE ...]
 *       no OBS: libfaceswap's own stream (fs_stream_push_view) over the same packed RGBA frames,
 *       with the frame times the filter computes, and options set the way a front end sets
 *       them (names read by fs_enum_parse; mode, blend, color, expression, face_index,
 *       detect_interval, min_cutoff, beta).
 *   layout bin=PATTERN data=PATTERN
 *       adds the module search path as OBS's front end does for ~/.config/obs-studio/plugins,
 *       finds "faceswap-obs" there with obs_find_modules2, loads it from where it was found and
 *       checks that its locale (data folder) is read.
 */
#include <obs-module.h>
#include <obs-nix-platform.h>
#include <obs.h>
#include <util/base.h>
#include <util/platform.h>

#include <faceswap.h>

#include <X11/Xlib.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- results --------------------------------------------------------------------------------- */

static int failures;

static void check(int good, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int good, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("%s", good ? "ok   - " : "FAIL - ");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
    if (!good) failures++;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL - harness: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    exit(1);
}

/* ---- arguments: key=value ---------------------------------------------------------------------- */

static int argc_;
static char **argv_;

static const char *arg(const char *key, const char *fallback) {
    size_t n = strlen(key);
    for (int i = 2; i < argc_; i++)
        if (strncmp(argv_[i], key, n) == 0 && argv_[i][n] == '=') return argv_[i] + n + 1;
    if (!fallback) die("missing argument %s=...", key);
    return fallback;
}

/* Applies every "PREFIX:key=value" argument to settings (numbers as numbers). */
static void apply_settings(obs_data_t *settings, const char *prefix) {
    size_t n = strlen(prefix);
    for (int i = 2; i < argc_; i++) {
        if (strncmp(argv_[i], prefix, n) != 0) continue;
        char key[128];
        const char *kv = argv_[i] + n, *eq = strchr(kv, '=');
        if (!eq || (size_t)(eq - kv) >= sizeof key) die("bad setting '%s'", argv_[i]);
        memcpy(key, kv, (size_t)(eq - kv));
        key[eq - kv] = 0;
        const char *v = eq + 1;
        char *end;
        double d = strtod(v, &end);
        if (*v && !*end && (strcmp(key, "expression") == 0 || strcmp(key, "min_cutoff") == 0 || strcmp(key, "beta") == 0 ||
                        strcmp(key, "edge_color") == 0 || strcmp(key, "skin_texture") == 0))
            obs_data_set_double(settings, key, d);
        else if (*v && !*end)
            obs_data_set_int(settings, key, (long long)d);
        else if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
            obs_data_set_bool(settings, key, v[0] == 't');
        else
            obs_data_set_string(settings, key, v);
    }
}

/* ---- OBS's log: kept in a file, and to stderr with VERBOSE=1 -------------------------------------- */

static FILE *log_file;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void log_handler(int level, const char *fmt, va_list args, void *param) {
    (void)param;
    char line[4096];
    vsnprintf(line, sizeof line, fmt, args);
    pthread_mutex_lock(&log_lock);
    if (log_file) fprintf(log_file, "%d: %s\n", level, line), fflush(log_file);
    if (getenv("VERBOSE")) fprintf(stderr, "obs %d: %s\n", level, line);
    pthread_mutex_unlock(&log_lock);
}

/* ---- frames: plane geometry and packing ----------------------------------------------------------- */

/* Bytes per row and rows of each plane of a w × h frame; returns the number of planes. */
static int planes_of(enum video_format f, uint32_t w, uint32_t h, uint32_t row[4], uint32_t rows[4]) {
    uint32_t cw = (w + 1) / 2, ch = (h + 1) / 2;
    switch (f) {
    case VIDEO_FORMAT_I420: row[0] = w, rows[0] = h, row[1] = row[2] = cw, rows[1] = rows[2] = ch; return 3;
    case VIDEO_FORMAT_NV12: row[0] = w, rows[0] = h, row[1] = 2 * cw, rows[1] = ch; return 2;
    case VIDEO_FORMAT_P010: row[0] = 2 * w, rows[0] = h, row[1] = 4 * cw, rows[1] = ch; return 2;
    case VIDEO_FORMAT_I422: row[0] = w, rows[0] = h, row[1] = row[2] = cw, rows[1] = rows[2] = h; return 3;
    case VIDEO_FORMAT_I444: row[0] = row[1] = row[2] = w, rows[0] = rows[1] = rows[2] = h; return 3;
    case VIDEO_FORMAT_YUY2:
    case VIDEO_FORMAT_UYVY:
    case VIDEO_FORMAT_YVYU: row[0] = 4 * cw, rows[0] = h; return 1;
    case VIDEO_FORMAT_Y800: row[0] = w, rows[0] = h; return 1;
    case VIDEO_FORMAT_BGR3: row[0] = 3 * w, rows[0] = h; return 1;
    case VIDEO_FORMAT_RGBA:
    case VIDEO_FORMAT_BGRA:
    case VIDEO_FORMAT_BGRX: row[0] = 4 * w, rows[0] = h; return 1;
    default: return 0;
    }
}

static size_t packed_size(enum video_format f, uint32_t w, uint32_t h) {
    uint32_t row[4], rows[4];
    size_t n = 0;
    for (int p = 0, k = planes_of(f, w, h, row, rows); p < k; p++) n += (size_t)row[p] * rows[p];
    return n;
}

static void write_packed(FILE *out, const struct obs_source_frame *frame) {
    uint32_t row[4], rows[4];
    int k = planes_of(frame->format, frame->width, frame->height, row, rows);
    for (int p = 0; p < k; p++)
        for (uint32_t y = 0; y < rows[p]; y++) fwrite(frame->data[p] + (size_t)y * frame->linesize[p], 1, row[p], out);
}

static enum video_format format_named(const char *name) {
    if (!strcmp(name, "i420")) return VIDEO_FORMAT_I420;
    if (!strcmp(name, "nv12")) return VIDEO_FORMAT_NV12;
    if (!strcmp(name, "rgba")) return VIDEO_FORMAT_RGBA;
    if (!strcmp(name, "bgra")) return VIDEO_FORMAT_BGRA;
    if (!strcmp(name, "bgrx")) return VIDEO_FORMAT_BGRX;
    if (!strcmp(name, "p010")) return VIDEO_FORMAT_P010;
    if (!strcmp(name, "i422")) return VIDEO_FORMAT_I422;
    if (!strcmp(name, "i444")) return VIDEO_FORMAT_I444;
    if (!strcmp(name, "yuy2")) return VIDEO_FORMAT_YUY2;
    if (!strcmp(name, "uyvy")) return VIDEO_FORMAT_UYVY;
    if (!strcmp(name, "yvyu")) return VIDEO_FORMAT_YVYU;
    if (!strcmp(name, "y800")) return VIDEO_FORMAT_Y800;
    if (!strcmp(name, "bgr3")) return VIDEO_FORMAT_BGR3;
    die("unknown format '%s'", name);
}

/* One input frame (packed I420 or RGBA) converted to the pushed format, in buf (planes packed).
 * From I420, the 4:2:2 and 4:4:4 formats repeat each chroma sample over its 2×2 block: the
 * filter then sees the same colours as from the I420 frame. */
static void convert_input(const uint8_t *in, int in_rgba, enum video_format f, uint32_t w, uint32_t h, uint8_t *buf) {
    size_t ysize = (size_t)w * h, csize = (size_t)((w + 1) / 2) * ((h + 1) / 2);
    const uint8_t *Y = in, *U = in + ysize, *V = U + csize;
    switch (f) {
    case VIDEO_FORMAT_I420: memcpy(buf, in, ysize + 2 * csize); break;
    case VIDEO_FORMAT_NV12:
        memcpy(buf, Y, ysize);
        for (size_t i = 0; i < csize; i++) buf[ysize + 2 * i] = U[i], buf[ysize + 2 * i + 1] = V[i];
        break;
    case VIDEO_FORMAT_P010: /* 10 bits in the high bits of 16, little-endian */
        for (size_t i = 0; i < ysize; i++) buf[2 * i] = 0, buf[2 * i + 1] = Y[i];
        for (size_t i = 0; i < csize; i++)
            buf[2 * ysize + 4 * i] = 0, buf[2 * ysize + 4 * i + 1] = U[i], buf[2 * ysize + 4 * i + 2] = 0,
                                  buf[2 * ysize + 4 * i + 3] = V[i];
        break;
    case VIDEO_FORMAT_I422:
    case VIDEO_FORMAT_I444: {
        int sx = f == VIDEO_FORMAT_I422 ? 0 : 1; /* chroma columns: I422 keeps I420's, I444 repeats */
        size_t cwo = sx ? w : (w + 1) / 2;
        memcpy(buf, Y, ysize);
        for (uint32_t y = 0; y < h; y++)
            for (size_t x = 0; x < cwo; x++) {
                size_t src = (size_t)(y / 2) * ((w + 1) / 2) + (sx ? x / 2 : x);
                buf[ysize + y * cwo + x] = U[src];
                buf[ysize + (size_t)h * cwo + y * cwo + x] = V[src];
            }
        break;
    }
    case VIDEO_FORMAT_YUY2:
    case VIDEO_FORMAT_UYVY:
    case VIDEO_FORMAT_YVYU: {
        /* byte offsets of Y0, U, Y1, V in each 4-byte pair of pixels */
        const int o[3][4] = {{0, 1, 2, 3}, {1, 0, 3, 2}, {0, 3, 2, 1}};
        const int *k = o[f == VIDEO_FORMAT_YUY2 ? 0 : f == VIDEO_FORMAT_UYVY ? 1 : 2];
        size_t cw = (w + 1) / 2;
        for (uint32_t y = 0; y < h; y++)
            for (size_t cx = 0; cx < cw; cx++) {
                uint8_t *q = buf + (size_t)y * 4 * cw + 4 * cx;
                size_t x1 = 2 * cx + 1 < w ? 2 * cx + 1 : 2 * cx;
                q[k[0]] = Y[(size_t)y * w + 2 * cx], q[k[2]] = Y[(size_t)y * w + x1];
                q[k[1]] = U[(size_t)(y / 2) * cw + cx], q[k[3]] = V[(size_t)(y / 2) * cw + cx];
            }
        break;
    }
    case VIDEO_FORMAT_Y800: memcpy(buf, Y, ysize); break;
    case VIDEO_FORMAT_BGR3:
        for (size_t i = 0; i < ysize; i++) buf[3 * i] = in[4 * i + 2], buf[3 * i + 1] = in[4 * i + 1], buf[3 * i + 2] = in[4 * i];
        break;
    case VIDEO_FORMAT_RGBA: memcpy(buf, in, ysize * 4); break;
    case VIDEO_FORMAT_BGRA:
    case VIDEO_FORMAT_BGRX:
        for (size_t i = 0; i < ysize; i++) {
            buf[4 * i] = in[4 * i + 2], buf[4 * i + 1] = in[4 * i + 1], buf[4 * i + 2] = in[4 * i];
            buf[4 * i + 3] = f == VIDEO_FORMAT_BGRX ? 0 : in[4 * i + 3]; /* X: not read by OBS */
        }
        break;
    default: die("cannot make format %d", f);
    }
    (void)in_rgba;
}

/* ---- the harness's own source and probe types ----------------------------------------------------- */

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    long count;         /* frames seen */
    FILE *out;          /* packed frames (may be NULL) */
    FILE *meta;         /* a line per frame (may be NULL) */
    uint64_t *seen_ns;  /* os_gettime_ns() when frame i was seen */
    long capacity;
} recorder;

static recorder recorders[2]; /* 0: "in", 1: "out" */

static void *probe_create(obs_data_t *settings, obs_source_t *source) {
    (void)source;
    return &recorders[obs_data_get_int(settings, "slot") ? 1 : 0];
}
static void probe_destroy(void *data) { (void)data; }
static const char *probe_name(void *type_data) { (void)type_data; return "test probe"; }

static struct obs_source_frame *probe_video(void *data, struct obs_source_frame *frame) {
    recorder *r = data;
    uint64_t now = os_gettime_ns();
    pthread_mutex_lock(&r->lock);
    if (r->count < r->capacity) r->seen_ns[r->count] = now;
    if (r->out) write_packed(r->out, frame);
    if (r->meta)
        fprintf(r->meta, "%s %u %u %llu\n", get_video_format_name(frame->format), frame->width, frame->height,
                (unsigned long long)frame->timestamp);
    r->count++;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    return frame;
}

static void *camera_create(obs_data_t *settings, obs_source_t *source) {
    (void)settings;
    return source;
}
static void camera_destroy(void *data) { (void)data; }
static const char *camera_name(void *type_data) { (void)type_data; return "test camera"; }

static void register_test_types(void) {
    static struct obs_source_info camera = {
        .id = "fs_test_camera",
        .type = OBS_SOURCE_TYPE_INPUT,
        .output_flags = OBS_SOURCE_ASYNC_VIDEO,
        .get_name = camera_name,
        .create = camera_create,
        .destroy = camera_destroy,
    };
    static struct obs_source_info probe = {
        .id = "fs_test_probe",
        .type = OBS_SOURCE_TYPE_FILTER,
        .output_flags = OBS_SOURCE_ASYNC_VIDEO,
        .get_name = probe_name,
        .create = probe_create,
        .destroy = probe_destroy,
        .filter_video = probe_video,
    };
    obs_register_source(&camera);
    obs_register_source(&probe);
    for (int i = 0; i < 2; i++) {
        pthread_mutex_init(&recorders[i].lock, NULL);
        pthread_cond_init(&recorders[i].cond, NULL);
    }
}

/* Waits until recorder r has seen `count` frames; 0 on time-out. */
static int wait_frames(recorder *r, long count, double seconds) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += (time_t)seconds;
    int ok = 1;
    pthread_mutex_lock(&r->lock);
    while (r->count < count && ok) ok = pthread_cond_timedwait(&r->cond, &r->lock, &deadline) == 0;
    ok = r->count >= count;
    pthread_mutex_unlock(&r->lock);
    return ok;
}

/* ---- the rendered program output --------------------------------------------------------------- */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    long count;
    uint8_t *bgra;
    uint32_t w, h;
} rendered = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, NULL, 0, 0};

static void raw_video(void *param, struct video_data *frame) {
    (void)param;
    pthread_mutex_lock(&rendered.lock);
    for (uint32_t y = 0; y < rendered.h; y++)
        memcpy(rendered.bgra + (size_t)y * rendered.w * 4, frame->data[0] + (size_t)y * frame->linesize[0], rendered.w * 4);
    rendered.count++;
    pthread_cond_broadcast(&rendered.cond);
    pthread_mutex_unlock(&rendered.lock);
}

/* ---- OBS set-up ----------------------------------------------------------------------------- */

static void start_obs(uint32_t w, uint32_t h) {
    const char *log_path = arg("log", "");
    if (*log_path && !(log_file = fopen(log_path, "w"))) die("cannot write %s", log_path);
    base_set_log_handler(log_handler, NULL);
    Display *display = XOpenDisplay(NULL);
    if (!display) die("no X display (DISPLAY=%s): run under xvfb-run or start Xvfb", getenv("DISPLAY") ? getenv("DISPLAY") : "");
    obs_set_nix_platform(OBS_NIX_PLATFORM_X11_EGL);
    obs_set_nix_platform_display(display);
    if (!obs_startup("en-US", NULL, NULL)) die("obs_startup failed");
    struct obs_video_info ovi = {
        .graphics_module = "libobs-opengl",
        .fps_num = 30,
        .fps_den = 1,
        .base_width = w,
        .base_height = h,
        .output_width = w,
        .output_height = h,
        .output_format = VIDEO_FORMAT_BGRA,
        .gpu_conversion = true,
        .colorspace = VIDEO_CS_709,
        .range = VIDEO_RANGE_FULL,
        .scale_type = OBS_SCALE_BILINEAR,
    };
    int r = obs_reset_video(&ovi);
    if (r != OBS_VIDEO_SUCCESS) die("obs_reset_video with libobs-opengl failed (%d): see the log", r);
    struct obs_audio_info oai = {.samples_per_sec = 48000, .speakers = SPEAKERS_STEREO};
    if (!obs_reset_audio(&oai)) die("obs_reset_audio failed");
    register_test_types();
}

static obs_module_t *open_module(const char *path, const char *data) {
    obs_module_t *m = NULL;
    int r = obs_open_module(&m, path, data);
    check(r == MODULE_SUCCESS, "obs_open_module(%s) = %d (MODULE_SUCCESS = 0)", path, r);
    if (r != MODULE_SUCCESS) die("cannot open %s", path);
    int init = obs_init_module(m);
    check(init, "obs_init_module(%s)", path);
    if (!init) die("%s did not initialise", path);
    return m;
}

/* ---- the filter's status, as its properties show it --------------------------------------------- */

static long properties_updates;
static void on_update_properties(void *data, calldata_t *cd) {
    (void)data;
    (void)cd;
    __atomic_add_fetch(&properties_updates, 1, __ATOMIC_SEQ_CST);
}

/* The status line of the filter's properties and its kind (OBS_TEXT_INFO_...). */
static void read_status(obs_source_t *filter, char *text, size_t size, enum obs_text_info_type *type) {
    obs_properties_t *props = obs_source_properties(filter);
    obs_property_t *p = props ? obs_properties_get(props, "status") : NULL;
    snprintf(text, size, "%s", p ? obs_property_description(p) : "(no status property)");
    *type = p ? obs_property_text_info_type(p) : OBS_TEXT_INFO_ERROR;
    obs_properties_destroy(props);
}

/* Waits for the filter's loader to finish a build, then checks the status against `expect`. The
 * loader signals "update_properties" when done: after `since` such signals, it finished. Just
 * after obs_source_create (`fresh`) the signal may have come before the harness could connect
 * to it (no source: nothing to load), but the status is then already the build's: create sets
 * "loading ..." before it returns, so any other status is the result. (After obs_source_update
 * the status is the old build's until libobs runs the deferred update: only the signal tells.) */
static int build_done(obs_source_t *filter, long since, int fresh) {
    if (__atomic_load_n(&properties_updates, __ATOMIC_SEQ_CST) > since) return 1;
    if (!fresh) return 0;
    char status[1024];
    enum obs_text_info_type type;
    read_status(filter, status, sizeof status, &type);
    return strncmp(status, "starting", 8) != 0 && strncmp(status, "loading", 7) != 0;
}

/* The filter under test between two probes that record what it gets and what it returns, on
 * `source`, with the "set:" settings; *updates: the properties-update count before it was made. */
struct chain {
    obs_source_t *probe_in, *filter, *probe_out;
};

static struct chain attach_chain(obs_source_t *source, long *updates) {
    obs_data_t *settings = obs_data_create();
    apply_settings(settings, "set:");
    *updates = __atomic_load_n(&properties_updates, __ATOMIC_SEQ_CST);
    struct chain c;
    c.filter = obs_source_create("faceswap_filter", "face swap", settings, NULL);
    obs_data_release(settings);
    if (!c.filter) die("obs_source_create(\"faceswap_filter\") failed");
    signal_handler_connect(obs_source_get_signal_handler(c.filter), "update_properties", on_update_properties, NULL);
    obs_data_t *in_s = obs_data_create(), *out_s = obs_data_create();
    obs_data_set_int(in_s, "slot", 0);
    obs_data_set_int(out_s, "slot", 1);
    c.probe_in = obs_source_create("fs_test_probe", "probe in", in_s, NULL);
    c.probe_out = obs_source_create("fs_test_probe", "probe out", out_s, NULL);
    obs_data_release(in_s);
    obs_data_release(out_s);
    /* in the order they run (libobs inserts each new filter at the front of its array and runs
     * them from the back); run.sh checks that "in" saw the input unchanged */
    obs_source_filter_add(source, c.probe_in);
    obs_source_filter_add(source, c.filter);
    obs_source_filter_add(source, c.probe_out);
    return c;
}

static void detach_chain(obs_source_t *source, struct chain c) {
    obs_source_filter_remove(source, c.probe_in);
    obs_source_filter_remove(source, c.filter);
    obs_source_filter_remove(source, c.probe_out);
    obs_source_release(c.probe_in);
    obs_source_release(c.filter);
    obs_source_release(c.probe_out);
}

static void wait_built(obs_source_t *filter, long since, int fresh, const char *expect, const char *what) {
    uint64_t start = os_gettime_ns();
    while (!build_done(filter, since, fresh)) {
        if (os_gettime_ns() - start > 120ull * 1000000000ull) die("%s: the filter did not finish loading in 120 s", what);
        os_sleep_ms(10);
    }
    char status[1024];
    enum obs_text_info_type type;
    read_status(filter, status, sizeof status, &type);
    int good = !strcmp(expect, "ready")   ? type == OBS_TEXT_INFO_NORMAL && !strncmp(status, "swapping", 8)
               : !strcmp(expect, "error") ? type == OBS_TEXT_INFO_ERROR
                                          : type == OBS_TEXT_INFO_NORMAL && strncmp(status, "swapping", 8) != 0;
    check(good, "%s: status (%s) after %.2f s: %s", what,
          type == OBS_TEXT_INFO_ERROR ? "error" : type == OBS_TEXT_INFO_WARNING ? "warning" : "normal",
          (os_gettime_ns() - start) / 1e9, status);
    printf("status: %s\n", status);
}

/* ---- commands --------------------------------------------------------------------------------- */

static const char *option_default_name(fs_options_kind kind, const char *name) {
    fs_option_info o = {.struct_size = sizeof o};
    if (fs_option_find(kind, name, &o) != FS_OK) return NULL;
    return fs_enum_name(o.enum_kind, (int32_t)o.default_value);
}

static int describe(void) {
    start_obs(640, 360);
    open_module(arg("module", NULL), arg("data", NULL));
    const char *id;
    int found = 0;
    for (size_t i = 0; obs_enum_filter_types(i, &id); i++) found |= !strcmp(id, "faceswap_filter");
    check(found, "the module registers the filter type \"faceswap_filter\"");
    uint32_t flags = obs_get_source_output_flags("faceswap_filter");
    check(flags == (OBS_SOURCE_VIDEO | OBS_SOURCE_ASYNC), "its flags are OBS_SOURCE_VIDEO | OBS_SOURCE_ASYNC (0x%x)", flags);
    const char *name = obs_source_get_display_name("faceswap_filter");
    check(name && !strcmp(name, "Face swap"), "its name from the module's locale: '%s'", name ? name : "(null)");

    /* defaults and properties, against the library's own description */
    obs_data_t *defaults = obs_get_source_defaults("faceswap_filter");
    obs_properties_t *props = obs_get_source_properties("faceswap_filter");
    struct { const char *key; fs_options_kind kind; } opts[] = {
        {"mode", FS_OPTIONS_SWAP}, {"blend", FS_OPTIONS_SWAP}, {"color", FS_OPTIONS_SWAP},
        {"expression", FS_OPTIONS_SWAP}, {"face_index", FS_OPTIONS_SWAP}, {"detect_interval", FS_OPTIONS_STREAM},
        {"min_cutoff", FS_OPTIONS_STREAM}, {"beta", FS_OPTIONS_STREAM}, {"min_face_size", FS_OPTIONS_DETECTOR},
        {"occlusion", FS_OPTIONS_SWAP}, {"edge_color", FS_OPTIONS_SWAP}, {"skin_texture", FS_OPTIONS_SWAP},
    };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        fs_option_info o = {.struct_size = sizeof o};
        if (fs_option_find(opts[i].kind, opts[i].key, &o) != FS_OK) die("library: %s", fs_last_error_message());
        obs_property_t *p = obs_properties_get(props, opts[i].key);
        if (!p) {
            check(0, "property '%s' exists", opts[i].key);
            continue;
        }
        if (o.type == FS_OPTION_ENUM) {
            char got[256] = "", want[256] = "";
            size_t n = obs_property_list_item_count(p), count = 0;
            for (size_t k = 0; k < n; k++)
                snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", k ? "," : "", obs_property_list_item_string(p, k));
            int32_t v;
            for (size_t k = 0; fs_enum_value_at(o.enum_kind, k, &v, &count) == FS_OK && k < count; k++)
                snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", k ? "," : "", fs_enum_name(o.enum_kind, v));
            const char *def = obs_data_get_default_string(defaults, opts[i].key);
            const char *lib_def = option_default_name(opts[i].kind, opts[i].key);
            check(obs_property_get_type(p) == OBS_PROPERTY_LIST && !strcmp(got, want) && lib_def && !strcmp(def, lib_def),
                  "list '%s': %s, default %s (the library's: %s, default %s)", opts[i].key, got, def, want, lib_def);
        } else if (o.type == FS_OPTION_BOOL) {
            bool def = obs_data_get_default_bool(defaults, opts[i].key);
            check(obs_property_get_type(p) == OBS_PROPERTY_BOOL && def == (o.default_value != 0),
                  "switch '%s': default %s (the library's: %g)", opts[i].key, def ? "on" : "off", o.default_value);
        } else if (o.type == FS_OPTION_INT) {
            long long def = obs_data_get_default_int(defaults, opts[i].key);
            int mn = obs_property_int_min(p), mx = obs_property_int_max(p);
            check(obs_property_get_type(p) == OBS_PROPERTY_INT && mn == (int)o.min && mx == (int)o.max && def == (long long)o.default_value,
                  "integer '%s': %d to %d, default %lld (the library's: %g to %g, default %g)", opts[i].key, mn, mx, def,
                  o.min, o.max, o.default_value);
        } else {
            double def = obs_data_get_default_double(defaults, opts[i].key);
            double mn = obs_property_float_min(p), mx = obs_property_float_max(p);
            check(obs_property_get_type(p) == OBS_PROPERTY_FLOAT && mn == o.min && mx == o.max && (float)def == (float)o.default_value,
                  "number '%s': %g to %g, default %g (the library's: %g to %g, default %g)", opts[i].key, mn, mx, def, o.min,
                  o.max, o.default_value);
        }
    }
    obs_property_t *src = obs_properties_get(props, "source");
    check(src && obs_property_get_type(src) == OBS_PROPERTY_PATH && obs_property_path_type(src) == OBS_PATH_FILE,
          "'source' is a file path property (filter: %s)", src ? obs_property_path_filter(src) : "-");
    obs_property_t *st = obs_properties_get(props, "status");
    check(st && obs_property_get_type(st) == OBS_PROPERTY_TEXT && obs_property_text_type(st) == OBS_TEXT_INFO,
          "'status' is a read-only info line");
    obs_properties_destroy(props);
    obs_data_release(defaults);
    obs_shutdown();
    return failures != 0;
}

static int run(void) {
    uint32_t w, h;
    if (sscanf(arg("size", NULL), "%ux%u", &w, &h) != 2) die("size=WxH");
    long frames = atol(arg("frames", NULL));
    int fps = atoi(arg("fps", NULL));
    int in_rgba = !strcmp(arg("informat", NULL), "rgba");
    enum video_format format = format_named(arg("format", NULL));
    if (fps <= 0 || frames <= 0) die("fps and frames must be positive");

    FILE *input = fopen(arg("input", NULL), "rb");
    if (!input) die("cannot read %s", arg("input", NULL));
    for (int i = 0; i < 2; i++) {
        const char *path = arg(i ? "out" : "in", "");
        if (*path && !(recorders[i].out = fopen(path, "wb"))) die("cannot write %s", path);
        recorders[i].seen_ns = calloc((size_t)frames, sizeof(uint64_t));
        recorders[i].capacity = frames;
    }
    start_obs(w, h);
    open_module(arg("module", NULL), arg("data", NULL));

    /* the render check: program output frames after chosen input frames */
    const char *render_list = arg("render", "");
    FILE *render_out = NULL;
    if (*render_list) {
        if (!(render_out = fopen(arg("render_out", NULL), "wb"))) die("cannot write render_out");
        rendered.w = w, rendered.h = h;
        rendered.bgra = malloc((size_t)w * h * 4);
        obs_add_raw_video_callback(NULL, raw_video, NULL);
    }

    obs_source_t *camera = obs_source_create("fs_test_camera", "camera", NULL, NULL);
    obs_source_set_async_unbuffered(camera, true); /* show each frame as it comes (a live camera) */
    long updates;
    struct chain chain = attach_chain(camera, &updates);
    obs_source_t *filter = chain.filter;
    wait_built(filter, updates, 1, arg("expect", "ready"), "filter created");
    obs_set_output_source(0, camera);

    size_t in_size = in_rgba ? (size_t)w * h * 4 : (size_t)w * h + 2 * (size_t)((w + 1) / 2) * ((h + 1) / 2);
    uint8_t *in = malloc(in_size), *buf = malloc(packed_size(format, w, h) + 64);
    long change_at = atol(arg("change_at", "-1"));
    int rendered_frames = 0;
    for (long i = 0; i < frames; i++) {
        if (i == change_at) {
            obs_data_t *change = obs_data_create();
            apply_settings(change, "change:");
            long before = __atomic_load_n(&properties_updates, __ATOMIC_SEQ_CST);
            obs_source_update(filter, change);
            obs_data_release(change);
            wait_built(filter, before, 0, "ready", "settings changed");
        }
        if (fread(in, 1, in_size, input) != in_size) die("input ends at frame %ld of %ld", i, frames);
        convert_input(in, in_rgba, format, w, h, buf);
        struct obs_source_frame f = {0};
        uint32_t row[4], rows[4];
        uint8_t *p = buf;
        for (int k = 0, n = planes_of(format, w, h, row, rows); k < n; k++)
            f.data[k] = p, f.linesize[k] = row[k], p += (size_t)row[k] * rows[k];
        f.width = w, f.height = h, f.format = format;
        f.timestamp = 1000000000ull + (uint64_t)i * (1000000000ull / (uint64_t)fps);
        /* the colour matrix of libfaceswap's own decoder (swscale's default: BT.601, limited) */
        video_format_get_parameters_for_format(VIDEO_CS_601, VIDEO_RANGE_PARTIAL, format, f.color_matrix,
                                               f.color_range_min, f.color_range_max);
        obs_source_output_video(camera, &f);
        if (!wait_frames(&recorders[1], i + 1, 60)) die("frame %ld did not come out of the filter chain in 60 s", i);

        char key[32];
        snprintf(key, sizeof key, ",%ld,", i);
        char list[512];
        snprintf(list, sizeof list, ",%s,", render_list);
        if (render_out && strstr(list, key)) { /* let the frame be rendered, read back, output */
            pthread_mutex_lock(&rendered.lock);
            long target = rendered.count + 4;
            while (rendered.count < target) pthread_cond_wait(&rendered.cond, &rendered.lock);
            fwrite(rendered.bgra, 1, (size_t)w * h * 4, render_out);
            pthread_mutex_unlock(&rendered.lock);
            rendered_frames++;
        }
    }
    check(recorders[0].count == frames && recorders[1].count == frames,
          "%s %ux%u: %ld frames fed, the filter chain saw %ld in and %ld out", arg("format", NULL), w, h, frames,
          recorders[0].count, recorders[1].count);

    const char *timing = arg("timing", "");
    if (*timing) {
        FILE *t = fopen(timing, "w");
        if (!t) die("cannot write %s", timing);
        for (long i = 0; i < frames; i++) fprintf(t, "%.1f\n", (recorders[1].seen_ns[i] - recorders[0].seen_ns[i]) / 1e3);
        fclose(t);
    }
    if (render_out) {
        obs_remove_raw_video_callback(raw_video, NULL);
        fclose(render_out);
        printf("rendered %d frames\n", rendered_frames);
    }
    obs_set_output_source(0, NULL);
    detach_chain(camera, chain);
    obs_source_release(camera);
    obs_shutdown();
    for (int i = 0; i < 2; i++)
        if (recorders[i].out) fclose(recorders[i].out);
    fclose(input);
    return failures != 0;
}

static int media(void) {
    uint32_t w, h;
    if (sscanf(arg("size", NULL), "%ux%u", &w, &h) != 2) die("size=WxH");
    const char *paths[2] = {arg("in", NULL), arg("out", NULL)};
    for (int i = 0; i < 2; i++) {
        if (!(recorders[i].out = fopen(paths[i], "wb"))) die("cannot write %s", paths[i]);
        recorders[i].capacity = 100000;
        recorders[i].seen_ns = calloc(100000, sizeof(uint64_t));
    }
    if (!(recorders[1].meta = fopen(arg("meta", NULL), "w"))) die("cannot write meta");
    start_obs(w, h);
    char ffmpeg_bin[1024], ffmpeg_data[1024];
    snprintf(ffmpeg_bin, sizeof ffmpeg_bin, "%s/obs-ffmpeg.so", arg("plugins", NULL));
    snprintf(ffmpeg_data, sizeof ffmpeg_data, "%s", arg("plugins_data", "/usr/share/obs/obs-plugins/obs-ffmpeg"));
    open_module(ffmpeg_bin, ffmpeg_data);
    open_module(arg("module", NULL), arg("data", NULL));

    obs_data_t *ms = obs_data_create();
    obs_data_set_bool(ms, "is_local_file", true);
    obs_data_set_string(ms, "local_file", arg("clip", NULL));
    obs_data_set_bool(ms, "looping", false);
    obs_data_set_bool(ms, "hw_decode", false);
    obs_data_set_bool(ms, "restart_on_activate", true);
    obs_data_set_int(ms, "speed_percent", atoi(arg("speed", "100")));
    obs_source_t *media = obs_source_create("ffmpeg_source", "media", ms, NULL);
    obs_data_release(ms);
    if (!media) die("cannot create ffmpeg_source");

    long updates;
    struct chain chain = attach_chain(media, &updates);
    obs_source_t *filter = chain.filter;
    wait_built(filter, updates, 1, "ready", "filter on the media source");

    uint64_t start = os_gettime_ns();
    obs_set_output_source(0, media); /* shown: it plays */
    while (obs_source_media_get_state(media) != OBS_MEDIA_STATE_ENDED) {
        if (os_gettime_ns() - start > 120ull * 1000000000ull) die("the media source did not end in 120 s");
        os_sleep_ms(20);
    }
    os_sleep_ms(300); /* the last frame's render */
    printf("media source played for %.1f s; the chain saw %ld frames in, %ld out\n", (os_gettime_ns() - start) / 1e9,
           recorders[0].count, recorders[1].count);
    obs_set_output_source(0, NULL);
    detach_chain(media, chain);
    obs_source_release(media);
    obs_shutdown();
    for (int i = 0; i < 2; i++) fclose(recorders[i].out);
    fclose(recorders[1].meta);
    return failures != 0;
}

/* An option named by the library's enum names, or a number. */
static int32_t enum_arg(fs_options_kind kind, const char *key) {
    fs_option_info o = {.struct_size = sizeof o};
    if (fs_option_find(kind, key, &o) != FS_OK) die("%s", fs_last_error_message());
    int32_t v;
    if (fs_enum_parse(o.enum_kind, arg(key, fs_enum_name(o.enum_kind, (int32_t)o.default_value)), &v) != FS_OK)
        die("%s", fs_last_error_message());
    return v;
}

static int reference(void) {
    uint32_t w, h;
    if (sscanf(arg("size", NULL), "%ux%u", &w, &h) != 2) die("size=WxH");
    long frames = atol(arg("frames", NULL));
    uint64_t fps = (uint64_t)atoi(arg("fps", NULL));
    fs_swap_options so;
    fs_stream_options sto;
    FS_SWAP_OPTIONS_INIT(&so);
    FS_STREAM_OPTIONS_INIT(&sto);
    so.mode = (fs_convert_mode)enum_arg(FS_OPTIONS_SWAP, "mode");
    so.blend = (fs_blend_mode)enum_arg(FS_OPTIONS_SWAP, "blend");
    so.color = (fs_color_mode)enum_arg(FS_OPTIONS_SWAP, "color");
    so.expression = (float)atof(arg("expression", "0.6"));
    so.face_index = atoi(arg("face_index", "-1"));
    sto.detect_interval = atoi(arg("detect_interval", "5"));
    sto.min_cutoff = (float)atof(arg("min_cutoff", "2"));
    sto.beta = (float)atof(arg("beta", "8"));
    fs_detector *det = NULL;
    fs_landmarker *lm = NULL;
    fs_swapper *sw = NULL;
    fs_image *photo = NULL;
    fs_source *src = NULL;
    fs_stream *stream = NULL;
    if (fs_detector_create(NULL, &det) || fs_landmarker_create(NULL, &lm) || fs_swapper_create(det, lm, NULL, &so, &sw) ||
        fs_image_load(arg("source", NULL), &photo) || fs_source_prepare(sw, photo, 0, &src) ||
        fs_stream_create(sw, src, &sto, &stream))
        die("libfaceswap: %s", fs_last_error_message());
    FILE *in = fopen(arg("input", NULL), "rb"), *out = fopen(arg("out", NULL), "wb");
    if (!in || !out) die("cannot open input or out");
    size_t size = (size_t)w * h * 4;
    uint8_t *buf = malloc(size);
    for (long i = 0; i < frames; i++) {
        if (fread(buf, 1, size, in) != size) die("input ends at frame %ld", i);
        /* the filter's time: (timestamp - first timestamp) / 1e9, timestamps as `run` makes them */
        uint64_t t0 = 1000000000ull, t = t0 + (uint64_t)i * (1000000000ull / fps);
        fs_image_view v = {buf, (int32_t)w, (int32_t)h, (size_t)w * 4, FS_FORMAT_RGBA8};
        if (fs_stream_push_view(stream, &v, (double)(t - t0) / 1e9, NULL)) die("libfaceswap: %s", fs_last_error_message());
        fwrite(buf, 1, size, out);
    }
    fclose(in);
    fclose(out);
    fs_stream_free(stream);
    fs_source_free(src);
    fs_image_free(photo);
    fs_swapper_free(sw);
    fs_landmarker_free(lm);
    fs_detector_free(det);
    printf("reference: %ld frames through libfaceswap's stream\n", frames);
    return 0;
}

static char found_bin[2048], found_data[2048];
static void on_module(void *param, const struct obs_module_info2 *info) {
    (void)param;
    if (!strcmp(info->name, "faceswap-obs")) {
        snprintf(found_bin, sizeof found_bin, "%s", info->bin_path);
        snprintf(found_data, sizeof found_data, "%s", info->data_path);
    }
}

static int layout(void) {
    start_obs(640, 360);
    obs_add_module_path(arg("bin", NULL), arg("data", NULL));
    obs_find_modules2(on_module, NULL);
    check(found_bin[0] != 0, "obs_find_modules2 finds faceswap-obs: %s (data %s)", found_bin, found_data);
    if (!found_bin[0]) die("not found under %s", arg("bin", NULL));
    obs_module_t *m = open_module(found_bin, found_data);
    const char *name = obs_source_get_display_name("faceswap_filter");
    check(name && !strcmp(name, "Face swap"), "loaded from there, its locale read from %s: '%s'", obs_get_module_data_path(m),
          name ? name : "(null)");
    obs_shutdown();
    return failures != 0;
}

int main(int argc, char **argv) {
    argc_ = argc, argv_ = argv;
    if (argc < 2) die("usage: harness describe|run|media|reference|layout key=value ...");
    if (!FS_ABI_COMPATIBLE()) die("libfaceswap ABI %d, harness built for %d", fs_abi_version(), FS_ABI_VERSION);
    if (!strcmp(argv[1], "describe")) return describe();
    if (!strcmp(argv[1], "run")) return run();
    if (!strcmp(argv[1], "media")) return media();
    if (!strcmp(argv[1], "layout")) return layout();
    if (!strcmp(argv[1], "reference")) return reference();
    die("unknown command %s", argv[1]);
}
