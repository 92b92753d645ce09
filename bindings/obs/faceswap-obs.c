/*
 * faceswap-obs.c — the OBS Studio video filter "Face swap" (source id "faceswap_filter") over
 * libfaceswap's C API.
 *
 * An asynchronous video filter (OBS_SOURCE_ASYNC | OBS_SOURCE_VIDEO): OBS hands it each frame of
 * a camera, media or other asynchronous source (struct obs_source_frame, in the source's own
 * pixel format) before the frame is uploaded to the GPU; the filter swaps the faces in place
 * with one libfaceswap stream (detection every N frames, landmark tracking in between, a
 * One-Euro filter on the landmarks, scene-cut resets) and returns the same frame. How each pixel
 * format is reached is in frame-pixels.h: RGBA/BGRA/BGRX/BGR3/Y800 in place, 8-bit YUV (I420,
 * NV12, I422, I444, YUY2, UYVY, YVYU, with or without alpha) through one BGR conversion; other
 * formats pass through untouched with one line in OBS's log.
 *
 * This file holds no image logic and no table of the library's names, defaults or ranges: the
 * lists (mode, blend, colour) are filled with fs_enum_value_at/fs_enum_name, and each number's
 * default, range and tooltip come from fs_option_find. The smallest face to look for
 * (fs_detector_options.min_face_size) is the one detector setting shown: it sets the detector's
 * scan scale, so on a camera whose faces are large it buys most of the per-frame time (at 720p
 * the default 80 px scans the whole frame on every detection frame until a face is tracked, then
 * on one detection frame in four).
 *
 * Threads. OBS calls filter_video on its graphics thread, update() on the thread that changes
 * the settings (deferred to the graphics thread's tick for video sources), get_properties on
 * the UI thread and destroy on its destroy thread. Loading a photo or a model and creating the
 * detector and landmarker take from milliseconds to a second, too long for the graphics thread
 * (it would stall the whole program output), so a small loader thread per filter builds the
 * stream: update() only records the wanted settings and wakes it; until the new stream is in
 * place the previous one keeps swapping (none at first: frames pass through). One mutex guards
 * the stream, the wanted settings and the status.
 *
 * Errors never stop OBS: a filter that cannot swap passes frames through unchanged, writes one
 * line to OBS's log (blog LOG_WARNING, with the library's fs_last_error_message text) and shows
 * the same text as its status, a read-only line at the top of its properties.
 */
#include <obs-module.h>
#include <util/threading.h>

#include <faceswap.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "frame-pixels.h"

OBS_DECLARE_MODULE()
OBS_MODULE_USE_DEFAULT_LOCALE("faceswap-obs", "en-US")

#define FILTER_ID "faceswap_filter"

MODULE_EXPORT const char *obs_module_description(void) {
    return "Face swap filter for camera and media sources (libfaceswap)";
}

/* ---- the settings that are libfaceswap options ------------------------------------------------ */

/* Each setting's key is the option's field name; the library describes it (fs_option_find). */
typedef struct {
    const char *key;      /* field of the options struct, and the OBS settings key */
    fs_options_kind kind; /* which options struct */
    const char *label;    /* locale key of the property's label */
} library_setting;

static const library_setting library_settings[] = {
    {"mode", FS_OPTIONS_SWAP, "Mode"},
    {"blend", FS_OPTIONS_SWAP, "Blend"},
    {"color", FS_OPTIONS_SWAP, "Color"},
    {"expression", FS_OPTIONS_SWAP, "Expression"},
    {"face_index", FS_OPTIONS_SWAP, "FaceIndex"},
    {"occlusion", FS_OPTIONS_SWAP, "KeepOccluders"},
    {"edge_color", FS_OPTIONS_SWAP, "EdgeColour"},
    {"skin_texture", FS_OPTIONS_SWAP, "SkinTexture"},
    {"detect_interval", FS_OPTIONS_STREAM, "DetectInterval"},
    {"min_cutoff", FS_OPTIONS_STREAM, "SmoothingCutoff"},
    {"beta", FS_OPTIONS_STREAM, "SmoothingBeta"},
    {"min_face_size", FS_OPTIONS_DETECTOR, "MinFaceSize"},
};
#define LIBRARY_SETTING_COUNT (sizeof library_settings / sizeof library_settings[0])

/* The library's description of a setting; false (after a log line) if it has none. */
static bool describe(const library_setting *s, fs_option_info *info) {
    memset(info, 0, sizeof *info);
    info->struct_size = sizeof *info;
    if (fs_option_find(s->kind, s->key, info) == FS_OK) return true;
    blog(LOG_WARNING, "[faceswap] this libfaceswap does not describe option '%s': %s", s->key,
         fs_last_error_message());
    return false;
}

/* ---- the filter's state ------------------------------------------------------------------------ */

/* The settings one stream is built from (read from OBS's settings by update()). */
typedef struct {
    char *source; /* photo or .fsm model; "" = none */
    bool reverse; /* learned model: B -> A */
    char *mode, *blend, *color;
    double expression, min_cutoff, beta, edge_color, skin_texture;
    long long face_index, detect_interval, min_face_size;
    bool occlusion;
} config;

enum status_level { STATUS_INFO, STATUS_WARNING, STATUS_ERROR };

struct filter {
    obs_source_t *context;

    pthread_mutex_t lock; /* guards everything down to `worker only` */
    pthread_cond_t wake;  /* the loader waits on it for `wanted` or `quit` */
    pthread_t loader;
    bool loader_started, quit;
    config *wanted;    /* settings not built yet (NULL: none pending) */
    fs_stream *stream; /* NULL: frames pass through */
    enum status_level status_level;
    char status[1024];

    /* the current stream's view of the video (reset with each new stream) */
    bool have_time;
    uint64_t first_ts, last_ts;
    uint32_t width, height;
    enum video_format format;
    bool push_failed;       /* reported once per stream */
    uint64_t warned_format; /* bit per enum video_format reported as unsupported */
    bool warned_flip;
    uint8_t *bgr, *before; /* YUV frames: the BGR copy the stream swaps, and before the swap */
    size_t buffer_bytes;

    /* worker only: made on the first build, kept for the filter's life (immutable, shared by
     * every stream it builds) */
    fs_detector *detector;
    long long detector_min_face_size; /* what `detector` was made with */
    fs_landmarker *landmarker;
};

static void config_free(config *c) {
    if (!c) return;
    bfree(c->source);
    bfree(c->mode);
    bfree(c->blend);
    bfree(c->color);
    bfree(c);
}

static config *config_from(obs_data_t *settings) {
    config *c = bzalloc(sizeof *c);
    c->source = bstrdup(obs_data_get_string(settings, "source"));
    c->reverse = obs_data_get_bool(settings, "reverse");
    c->mode = bstrdup(obs_data_get_string(settings, "mode"));
    c->blend = bstrdup(obs_data_get_string(settings, "blend"));
    c->color = bstrdup(obs_data_get_string(settings, "color"));
    c->expression = obs_data_get_double(settings, "expression");
    c->face_index = obs_data_get_int(settings, "face_index");
    c->detect_interval = obs_data_get_int(settings, "detect_interval");
    c->min_cutoff = obs_data_get_double(settings, "min_cutoff");
    c->beta = obs_data_get_double(settings, "beta");
    c->min_face_size = obs_data_get_int(settings, "min_face_size");
    c->occlusion = obs_data_get_bool(settings, "occlusion");
    c->edge_color = obs_data_get_double(settings, "edge_color");
    c->skin_texture = obs_data_get_double(settings, "skin_texture");
    return c;
}

/* Sets the status (caller holds the lock); the line goes to OBS's log when it changed. */
static void set_status(struct filter *f, enum status_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_status(struct filter *f, enum status_level level, const char *fmt, ...) {
    char text[sizeof f->status];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (level == f->status_level && strcmp(text, f->status) == 0) return;
    f->status_level = level;
    snprintf(f->status, sizeof f->status, "%s", text);
    blog(level == STATUS_INFO ? LOG_INFO : LOG_WARNING, "[faceswap] filter '%s': %s",
         obs_source_get_name(f->context), text);
}

/* The library's message for the failing call on this thread. */
static const char *why(fs_status st) {
    const char *m = fs_last_error_message();
    return m && *m ? m : fs_status_string(st);
}

/* ---- building a stream (loader thread) ---------------------------------------------------------- */

/* An enum setting's value, by its name read by the library. */
static bool parse_enum(const char *key, const char *name, int32_t *value, char *err, size_t err_size) {
    fs_option_info info;
    const library_setting *s = NULL;
    for (size_t i = 0; i < LIBRARY_SETTING_COUNT; i++)
        if (strcmp(library_settings[i].key, key) == 0) s = &library_settings[i];
    if (!s || !describe(s, &info)) {
        snprintf(err, err_size, "setting '%s': this libfaceswap does not describe it", key);
        return false;
    }
    fs_status st = fs_enum_parse(info.enum_kind, name, value);
    if (st != FS_OK) snprintf(err, err_size, "setting '%s': %s", key, why(st));
    return st == FS_OK;
}

static bool ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcasecmp(s + n - m, tail) == 0;
}

/* Builds the stream for c; NULL with the status in *level/status when there is none to build (no
 * source) or something failed. Runs without the lock. */
static fs_stream *build_stream(struct filter *f, const config *c, enum status_level *level, char *status,
                               size_t status_size) {
    fs_status st;
    fs_swap_options so;
    fs_stream_options sto;
    int32_t mode, blend, color;
    *level = STATUS_ERROR;
    if (!c->source[0]) {
        *level = STATUS_INFO;
        snprintf(status, status_size, "no source photo: frames pass through (choose a photo with a face, or a "
                                      "learned model .fsm)");
        return NULL;
    }
    memset(&so, 0, sizeof so);
    memset(&sto, 0, sizeof sto);
    if (FS_SWAP_OPTIONS_INIT(&so) != FS_OK || FS_STREAM_OPTIONS_INIT(&sto) != FS_OK) {
        snprintf(status, status_size, "cannot get libfaceswap's defaults: %s", fs_last_error_message());
        return NULL;
    }
    if (!parse_enum("mode", c->mode, &mode, status, status_size) ||
        !parse_enum("blend", c->blend, &blend, status, status_size) ||
        !parse_enum("color", c->color, &color, status, status_size))
        return NULL;
    so.mode = (fs_convert_mode)mode;
    so.blend = (fs_blend_mode)blend;
    so.color = (fs_color_mode)color;
    so.expression = (float)c->expression;
    so.face_index = (int32_t)c->face_index;
    so.occlusion = c->occlusion;
    so.edge_color = (float)c->edge_color;
    so.skin_texture = (float)c->skin_texture;
    sto.detect_interval = (int32_t)c->detect_interval;
    sto.min_cutoff = (float)c->min_cutoff;
    sto.beta = (float)c->beta;

    if (f->detector && f->detector_min_face_size != c->min_face_size) {
        fs_detector_free(f->detector); /* streams made with it keep their own reference */
        f->detector = NULL;
    }
    if (!f->detector) {
        fs_detector_options dopt;
        memset(&dopt, 0, sizeof dopt);
        FS_DETECTOR_OPTIONS_INIT(&dopt);
        dopt.min_face_size = (int32_t)c->min_face_size;
        if ((st = fs_detector_create(&dopt, &f->detector)) != FS_OK) {
            snprintf(status, status_size, "cannot create the face detector: %s", why(st));
            return NULL;
        }
        f->detector_min_face_size = c->min_face_size;
    }
    if (!f->landmarker && (st = fs_landmarker_create(NULL, &f->landmarker)) != FS_OK) {
        snprintf(status, status_size, "cannot load the landmark model: %s", why(st));
        return NULL;
    }
    /* The stream keeps its own references to the swapper and source: both are freed here. */
    fs_swapper *swapper = NULL;
    fs_source *source = NULL;
    fs_stream *stream = NULL;
    bool learned = ends_with(c->source, ".fsm") || ends_with(c->source, ".fsg"); /* .fsg: landmark GAN */
    if (learned) {
        fs_model *model = NULL;
        if ((st = fs_model_load(c->source, &model)) != FS_OK) {
            snprintf(status, status_size, "cannot load model '%s': %s", c->source, why(st));
            return NULL;
        }
        st = fs_swapper_create_learned(f->detector, f->landmarker, model, c->reverse, &so, &swapper);
        fs_model_free(model);
    } else {
        st = fs_swapper_create(f->detector, f->landmarker, NULL, &so, &swapper);
    }
    if (st != FS_OK) {
        snprintf(status, status_size, "bad swap settings: %s", why(st));
        return NULL;
    }
    if (!learned) {
        fs_image *photo = NULL;
        if ((st = fs_image_load(c->source, &photo)) != FS_OK) {
            snprintf(status, status_size, "cannot load source '%s': %s", c->source, why(st));
            goto done;
        }
        st = fs_source_prepare(swapper, photo, 0, &source);
        fs_image_free(photo);
        if (st != FS_OK) {
            snprintf(status, status_size, "cannot use source '%s': %s", c->source, why(st));
            goto done;
        }
    }
    if ((st = fs_stream_create(swapper, source, &sto, &stream)) != FS_OK) {
        snprintf(status, status_size, "bad stream settings: %s", why(st));
        goto done;
    }
    *level = STATUS_INFO;
    snprintf(status, status_size, "swapping faces with %s '%s'", learned ? "model" : "photo", c->source);
done:
    fs_source_free(source);
    fs_swapper_free(swapper);
    return stream;
}

/* Forgets what the previous stream knew about the video (caller holds the lock). */
static void new_stream_state(struct filter *f) {
    f->have_time = false;
    f->width = f->height = 0;
    f->format = VIDEO_FORMAT_NONE;
    f->push_failed = false;
    f->warned_format = 0;
    f->warned_flip = false;
}

/* The loader thread: builds a stream for each new `wanted`, then puts it in place. */
static void *loader_main(void *data) {
    struct filter *f = data;
    os_set_thread_name("faceswap-loader");
    pthread_mutex_lock(&f->lock);
    for (;;) {
        while (!f->quit && !f->wanted) pthread_cond_wait(&f->wake, &f->lock);
        if (f->quit) break;
        config *c = f->wanted;
        f->wanted = NULL;
        pthread_mutex_unlock(&f->lock);

        enum status_level level;
        char status[sizeof f->status];
        fs_stream *stream = build_stream(f, c, &level, status, sizeof status);
        config_free(c);

        pthread_mutex_lock(&f->lock);
        fs_stream *old = stream;
        bool placed = !f->wanted && !f->quit; /* else newer settings came meanwhile (build those),
                                                 or the filter is being destroyed */
        if (placed) {
            old = f->stream;
            f->stream = stream;
            new_stream_state(f);
            set_status(f, level, "%s", status);
        }
        pthread_mutex_unlock(&f->lock);
        fs_stream_free(old);
        if (placed) obs_source_update_properties(f->context); /* an open properties view shows the status */
        pthread_mutex_lock(&f->lock);
    }
    pthread_mutex_unlock(&f->lock);
    return NULL;
}

/* ---- OBS callbacks ---------------------------------------------------------------------------- */

static const char *filter_name(void *type_data) {
    (void)type_data;
    return obs_module_text("FaceSwap");
}

static void filter_update(void *data, obs_data_t *settings) {
    struct filter *f = data;
    config *c = config_from(settings);
    pthread_mutex_lock(&f->lock);
    config_free(f->wanted); /* not built yet: superseded */
    f->wanted = c;
    if (c->source[0]) set_status(f, STATUS_INFO, "loading '%s'", c->source);
    pthread_cond_signal(&f->wake);
    pthread_mutex_unlock(&f->lock);
}

static void filter_destroy(void *data) {
    struct filter *f = data;
    if (!f) return;
    pthread_mutex_lock(&f->lock);
    f->quit = true;
    pthread_cond_signal(&f->wake);
    pthread_mutex_unlock(&f->lock);
    if (f->loader_started) pthread_join(f->loader, NULL);
    config_free(f->wanted);
    fs_stream_free(f->stream);
    fs_landmarker_free(f->landmarker);
    fs_detector_free(f->detector);
    free(f->bgr);
    free(f->before);
    pthread_cond_destroy(&f->wake);
    pthread_mutex_destroy(&f->lock);
    bfree(f);
}

static void *filter_create(obs_data_t *settings, obs_source_t *context) {
    struct filter *f = bzalloc(sizeof *f);
    f->context = context;
    snprintf(f->status, sizeof f->status, "starting");
    if (pthread_mutex_init(&f->lock, NULL) != 0 || pthread_cond_init(&f->wake, NULL) != 0) {
        blog(LOG_ERROR, "[faceswap] cannot create a mutex for filter '%s'", obs_source_get_name(context));
        bfree(f);
        return NULL;
    }
    if (pthread_create(&f->loader, NULL, loader_main, f) != 0) {
        blog(LOG_ERROR, "[faceswap] cannot start the loader thread of filter '%s'", obs_source_get_name(context));
        filter_destroy(f);
        return NULL;
    }
    f->loader_started = true;
    filter_update(f, settings);
    return f;
}

static void filter_defaults(obs_data_t *settings) {
    obs_data_set_default_string(settings, "source", "");
    obs_data_set_default_bool(settings, "reverse", false);
    for (size_t i = 0; i < LIBRARY_SETTING_COUNT; i++) {
        const library_setting *s = &library_settings[i];
        fs_option_info o;
        if (!describe(s, &o)) continue;
        if (o.type == FS_OPTION_ENUM) {
            const char *name = fs_enum_name(o.enum_kind, (int32_t)o.default_value);
            obs_data_set_default_string(settings, s->key, name ? name : "");
        } else if (o.type == FS_OPTION_BOOL) {
            obs_data_set_default_bool(settings, s->key, o.default_value != 0);
        } else if (o.type == FS_OPTION_INT) {
            obs_data_set_default_int(settings, s->key, (long long)o.default_value);
        } else {
            obs_data_set_default_double(settings, s->key, o.default_value);
        }
    }
}

/* One property for a library option: a list of the enum's names, or a number with its range. */
static void add_library_property(obs_properties_t *props, const library_setting *s) {
    fs_option_info o;
    if (!describe(s, &o)) return;
    const char *label = obs_module_text(s->label);
    obs_property_t *p;
    char tip[512];
    if (o.type == FS_OPTION_ENUM) {
        p = obs_properties_add_list(props, s->key, label, OBS_COMBO_TYPE_LIST, OBS_COMBO_FORMAT_STRING);
        size_t count = 0;
        int32_t value;
        for (size_t i = 0; fs_enum_value_at(o.enum_kind, i, &value, &count) == FS_OK && i < count; i++) {
            const char *name = fs_enum_name(o.enum_kind, value);
            if (name) obs_property_list_add_string(p, name, name);
        }
        snprintf(tip, sizeof tip, "%s (default %s)", o.summary, fs_enum_name(o.enum_kind, (int32_t)o.default_value));
    } else if (o.type == FS_OPTION_BOOL) {
        p = obs_properties_add_bool(props, s->key, label);
        snprintf(tip, sizeof tip, "%s (default %s)", o.summary, o.default_value != 0 ? "on" : "off");
    } else if (o.type == FS_OPTION_INT) {
        p = obs_properties_add_int(props, s->key, label, (int)o.min, (int)o.max, 1);
        snprintf(tip, sizeof tip, "%s (default %g; %g to %g)", o.summary, o.default_value, o.min, o.max);
    } else {
        /* a slider for a range like 0-1, a spin box for 0-1000 */
        p = o.max - o.min <= 10 ? obs_properties_add_float_slider(props, s->key, label, o.min, o.max, 0.01)
                                : obs_properties_add_float(props, s->key, label, o.min, o.max, 0.1);
        snprintf(tip, sizeof tip, "%s (default %g; %g to %g)", o.summary, o.default_value, o.min, o.max);
    }
    obs_property_set_long_description(p, tip);
}

static obs_properties_t *filter_properties(void *data) {
    struct filter *f = data;
    obs_properties_t *props = obs_properties_create();

    /* The status first: what the filter is doing, or what to fix. */
    char status[sizeof f->status];
    enum status_level level = STATUS_INFO;
    snprintf(status, sizeof status, "%s", "");
    if (f) {
        pthread_mutex_lock(&f->lock);
        level = f->status_level;
        snprintf(status, sizeof status, "%s", f->status);
        pthread_mutex_unlock(&f->lock);
    }
    obs_property_t *p = obs_properties_add_text(props, "status", status, OBS_TEXT_INFO);
    obs_property_text_set_info_type(p, level == STATUS_ERROR     ? OBS_TEXT_INFO_ERROR
                                       : level == STATUS_WARNING ? OBS_TEXT_INFO_WARNING
                                                                 : OBS_TEXT_INFO_NORMAL);

    char filter[256];
    snprintf(filter, sizeof filter, "%s (*.jpg *.jpeg *.png *.bmp *.webp *.tif *.tiff *.fsm *.fsg);;All files (*)",
             obs_module_text("SourceFilter"));
    obs_properties_add_path(props, "source", obs_module_text("Source"), OBS_PATH_FILE, filter, NULL);
    obs_properties_add_bool(props, "reverse", obs_module_text("Reverse"));
    for (size_t i = 0; i < LIBRARY_SETTING_COUNT; i++) add_library_property(props, &library_settings[i]);
    return props;
}

/* ---- frames (graphics thread) ------------------------------------------------------------------- */

/* The frame's time in seconds since the stream's first frame, for the landmark filter. A time
 * going back is a seek or a restart: the tracks start again. A source without timestamps (0)
 * gets the library's frame count / 30. */
static double frame_seconds(struct filter *f, const struct obs_source_frame *frame) {
    uint64_t ts = frame->timestamp;
    if (ts == 0) return -1;
    if (f->have_time && ts < f->last_ts) {
        fs_stream_reset(f->stream);
        f->have_time = false;
    }
    if (!f->have_time) f->have_time = true, f->first_ts = ts;
    f->last_ts = ts;
    return (double)(ts - f->first_ts) / 1e9;
}

/* Room for two packed BGR copies of a frame; false (after a status line) when out of memory. */
static bool reserve_buffers(struct filter *f, size_t bytes) {
    if (bytes <= f->buffer_bytes) return true;
    free(f->bgr);
    free(f->before);
    f->bgr = malloc(bytes);
    f->before = malloc(bytes);
    f->buffer_bytes = f->bgr && f->before ? bytes : 0;
    if (!f->buffer_bytes) set_status(f, STATUS_ERROR, "out of memory for a %zu-byte frame copy: frames pass through", bytes);
    return f->buffer_bytes != 0;
}

/* Swaps the faces of one frame in place (caller holds the lock and has a stream). */
static void swap_frame(struct filter *f, struct obs_source_frame *frame) {
    pixels_access access = pixels_access_of(frame->format);
    if (access.kind == PIXELS_UNSUPPORTED) {
        uint64_t bit = 1ull << ((unsigned)frame->format & 63);
        if (!(f->warned_format & bit)) {
            f->warned_format |= bit;
            set_status(f, STATUS_WARNING, "frames in %s format pass through untouched (supported: RGBA, BGRA, BGRX, "
                       "BGR3, Y800, I420, NV12, I422, I444, YUY2, UYVY, YVYU, I40A, I42A, YUVA)",
                       get_video_format_name(frame->format));
        }
        return;
    }
    if (frame->flip) {
        if (!f->warned_flip)
            set_status(f, STATUS_WARNING, "vertically flipped frames pass through untouched (faces upside down are "
                                          "not detected)");
        f->warned_flip = true;
        return;
    }
    if (frame->width != f->width || frame->height != f->height || frame->format != f->format) {
        if (f->width) fs_stream_reset(f->stream); /* tracks in other coordinates */
        f->have_time = false;
        f->width = frame->width, f->height = frame->height, f->format = frame->format;
    }
    double seconds = frame_seconds(f, frame);
    fs_status st;
    if (access.kind == PIXELS_IN_PLACE) {
        fs_image_view view = {frame->data[0], (int32_t)frame->width, (int32_t)frame->height, frame->linesize[0],
                              access.in_place};
        st = fs_stream_push_view(f->stream, &view, seconds, NULL);
    } else {
        size_t bytes = (size_t)frame->width * frame->height * 3;
        if (!reserve_buffers(f, bytes)) return;
        yuv_to_bgr(frame, &access.yuv, f->bgr);
        memcpy(f->before, f->bgr, bytes);
        fs_image_view view = {f->bgr, (int32_t)frame->width, (int32_t)frame->height, (size_t)frame->width * 3,
                              FS_FORMAT_BGR8};
        st = fs_stream_push_view(f->stream, &view, seconds, NULL);
        if (st == FS_OK) bgr_changes_to_yuv(frame, &access.yuv, f->bgr, f->before);
    }
    /* The library checks sizes and arguments before it writes a pixel: a failed frame is unchanged. */
    if (st != FS_OK && !f->push_failed) {
        f->push_failed = true; /* once per stream: a persistent failure would flood the log */
        set_status(f, STATUS_ERROR, "cannot swap a %ux%u %s frame (it and any such frame pass through): %s",
                   frame->width, frame->height, get_video_format_name(frame->format), why(st));
    }
}

static struct obs_source_frame *filter_video(void *data, struct obs_source_frame *frame) {
    struct filter *f = data;
    if (!frame) return frame;
    pthread_mutex_lock(&f->lock);
    if (f->stream) swap_frame(f, frame);
    pthread_mutex_unlock(&f->lock);
    return frame;
}

static struct obs_source_info faceswap_filter = {
    .id = FILTER_ID,
    .type = OBS_SOURCE_TYPE_FILTER,
    .output_flags = OBS_SOURCE_VIDEO | OBS_SOURCE_ASYNC,
    .get_name = filter_name,
    .create = filter_create,
    .destroy = filter_destroy,
    .get_defaults = filter_defaults,
    .get_properties = filter_properties,
    .update = filter_update,
    .filter_video = filter_video,
};

bool obs_module_load(void) {
    if (!FS_ABI_COMPATIBLE()) {
        blog(LOG_ERROR, "[faceswap] libfaceswap %s has ABI %d but this plugin was built for ABI %d: rebuild the "
                        "plugin against the installed faceswap.h",
             fs_version_string(), fs_abi_version(), FS_ABI_VERSION);
        return false;
    }
    obs_register_source(&faceswap_filter);
    blog(LOG_INFO, "[faceswap] filter '" FILTER_ID "' registered (libfaceswap %s)", fs_version_string());
    return true;
}
