/*
 * gstfaceswap.c — the GStreamer element "faceswap" over libfaceswap's C API.
 *
 *   gst-launch-1.0 filesrc location=in.mp4 ! decodebin ! videoconvert ! \
 *       faceswap source=face.jpg ! videoconvert ! autovideosink
 *
 * A GstVideoFilter that swaps each frame in place (transform_frame_ip) through one fs_stream:
 * detection every detect-interval frames, landmark tracking in between, a One-Euro filter on the
 * landmarks, scene-cut resets — the same frames as `faceswap video` with the same settings.
 *
 * Formats. BGR, RGB, BGRx, RGBx, BGRA and RGBA are handed to fs_stream_push_view as they are
 * (BGRx/RGBx as BGRA8/RGBA8: the library treats the fourth byte as alpha, x is padding anyway).
 * I420 and NV12 go through one conversion: the frame is converted to BGR (GstVideoConverter, the
 * caps' own colorimetry), swapped, converted back, and only the 2x2 blocks whose BGR pixels the
 * swap changed are written back into the frame, so everything away from the faces stays
 * bit-identical. A frame without a face is left untouched in every format.
 *
 * Properties. No table of the library's names, defaults or ranges lives here: the option
 * properties are made at class_init from the library's own description of each option
 * (fs_option_find: type, range, default, summary), and mode / color / blend are GEnum types whose
 * values are the library's names (fs_enum_value_at + fs_enum_name). Only which options become
 * properties, and where each lives in fs_swap_options / fs_stream_options, is listed below.
 *
 * Latency. The element adds 0 to the pipeline's latency: fs_stream_push returns the swapped
 * frame for the frame it was given and holds no frame back (fs_stream_flush: "the filter is
 * causal"); the One-Euro filter smooths the landmarks from past frames only. Its processing time
 * is CPU time, not buffering: a live pipeline whose sink syncs needs the sink's
 * processing-deadline to cover it (see the README).
 *
 * Errors. A setting the library refuses (a missing or face-less source photo, an option out of
 * range) is posted as GST_ELEMENT_ERROR with the library's message (fs_last_error_message), when
 * the element starts or, after a property change, at the next frame; the pipeline then stops
 * with that message. Nothing here aborts.
 */
#include <faceswap.h>

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

#include <stddef.h>
#include <string.h>

#ifndef FS_GST_VERSION
#define FS_GST_VERSION "0.0.0" /* the Makefile passes the library's version */
#endif
#define PACKAGE "libfaceswap"

GST_DEBUG_CATEGORY_STATIC(faceswap_debug);
#define GST_CAT_DEFAULT faceswap_debug

/* Frames the element holds back before it outputs one: none (see Latency above). */
#define FACESWAP_LATENCY_FRAMES 0

/* The enum fields of fs_swap_options are written as 32-bit integers. */
G_STATIC_ASSERT(sizeof(fs_convert_mode) == sizeof(gint32) && sizeof(fs_blend_mode) == sizeof(gint32) &&
                sizeof(fs_color_mode) == sizeof(gint32));

/* ---------------------------------------------------------------------------------------- */
/* The options that become properties                                                        */
/* ---------------------------------------------------------------------------------------- */

/* One library option exposed as a property: which struct, which field (as the library names it)
 * and where that field is. Type, range, default and description come from fs_option_find. */
typedef struct {
    fs_options_kind kind; /* FS_OPTIONS_SWAP or FS_OPTIONS_STREAM */
    const char *option;   /* the field's name; the property is the same with '-' for '_' */
    size_t offset;        /* offsetof the field in fs_swap_options / fs_stream_options */
} option_property;

#define SWAP_OPTION(f) {FS_OPTIONS_SWAP, #f, offsetof(fs_swap_options, f)}
#define STREAM_OPTION(f) {FS_OPTIONS_STREAM, #f, offsetof(fs_stream_options, f)}

/* Left out: keep_unmatched (a stream leaves a face-less frame unchanged anyway),
 * identity_threshold (needs a reference face and a recognizer, which the element does not take),
 * use_model_mask / keep_model_shape (experimental tier). */
static const option_property option_properties[] = {
    SWAP_OPTION(mode),       SWAP_OPTION(color),         SWAP_OPTION(blend),
    SWAP_OPTION(expression), SWAP_OPTION(forehead),      SWAP_OPTION(erode),
    SWAP_OPTION(feather),    SWAP_OPTION(color_strength), SWAP_OPTION(keep_mouth),
    SWAP_OPTION(face_index), STREAM_OPTION(detect_interval), STREAM_OPTION(min_cutoff),
    STREAM_OPTION(beta),     STREAM_OPTION(scene_cut),    STREAM_OPTION(threads),
    SWAP_OPTION(occlusion),  SWAP_OPTION(edge_color),    SWAP_OPTION(skin_texture),
};
#define OPTION_COUNT G_N_ELEMENTS(option_properties)

/* Property ids: the element's own first, then option i is PROP_OPTION0 + i. */
enum { PROP_0, PROP_SOURCE, PROP_REVERSE, PROP_OPTION0 };

/* ---------------------------------------------------------------------------------------- */
/* The element                                                                               */
/* ---------------------------------------------------------------------------------------- */

typedef struct {
    GstVideoFilter parent;

    /* settings, guarded by the object lock */
    gchar *source_path;
    gboolean reverse;
    fs_swap_options swap;
    fs_stream_options stream_options;
    gboolean dirty; /* a setting changed since the stream was built */

    /* libfaceswap objects: streaming thread only (and start/stop) */
    fs_detector *detector;
    fs_landmarker *landmarker;
    fs_model *model;
    fs_swapper *swapper;
    fs_source *source;
    fs_stream *stream;

    /* time of each frame for the landmark filter */
    GstClockTime last_time; /* running time of the last frame, or NONE */
    guint64 frames;         /* frames since the stream (re)started: for frames without a time */

    /* I420 / NV12: the frame as BGR, a copy before the swap, the swapped frame converted back
     * (`back`, laid out as back_info: packed, whatever strides the frames themselves have) */
    GstVideoConverter *to_bgr, *from_bgr;
    GstVideoInfo bgr_info, back_info;
    GstBuffer *bgr, *back;
    guint8 *before;
} GstFaceswap;

typedef struct {
    GstVideoFilterClass parent_class;
} GstFaceswapClass;

G_DEFINE_TYPE(GstFaceswap, gst_faceswap, GST_TYPE_VIDEO_FILTER)

#define FORMATS "{ BGR, RGB, BGRx, RGBx, BGRA, RGBA, I420, NV12 }"

/* The library's message for the call that just failed (or the status's name). */
static const char *library_message(fs_status st) {
    const char *m = fs_last_error_message();
    return (m && *m) ? m : fs_status_string(st);
}

/* Posts the error on the bus with the library's message; GStreamer stops the pipeline. */
#define POST_ERROR(self, st, ...)                                                                  \
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, (__VA_ARGS__), ("libfaceswap: %s", fs_status_string(st)))

/* The options struct an option lives in. */
static guint8 *option_field(GstFaceswap *self, const option_property *p) {
    guint8 *base = p->kind == FS_OPTIONS_SWAP ? (guint8 *)&self->swap : (guint8 *)&self->stream_options;
    return base + p->offset;
}

/* ---------------------------------------------------------------------------------------- */
/* Building what the settings need                                                           */
/* ---------------------------------------------------------------------------------------- */

static void drop_stream(GstFaceswap *self) {
    fs_stream_free(self->stream);
    fs_source_free(self->source);
    fs_swapper_free(self->swapper);
    fs_model_free(self->model);
    self->stream = NULL, self->source = NULL, self->swapper = NULL, self->model = NULL;
}

/* Builds detector, landmarker, swapper, source and stream from the current settings.
 * On failure posts the error (the library's message) and returns FALSE. */
static gboolean build_stream(GstFaceswap *self) {
    GST_OBJECT_LOCK(self);
    gchar *path = g_strdup(self->source_path);
    gboolean reverse = self->reverse;
    fs_swap_options swap = self->swap;
    fs_stream_options stream_options = self->stream_options;
    self->dirty = FALSE;
    GST_OBJECT_UNLOCK(self);

    gboolean ok = FALSE;
    fs_status st;
    drop_stream(self);
    if (!path || !*path) {
        GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND,
                          ("no source photo: set the property source=/path/to/face.jpg (or a .fsm model)"), (NULL));
        goto done;
    }
    if (!self->detector && (st = fs_detector_create(NULL, &self->detector)) != FS_OK) {
        POST_ERROR(self, st, "cannot create the face detector: %s", library_message(st));
        goto done;
    }
    if (!self->landmarker && (st = fs_landmarker_create(NULL, &self->landmarker)) != FS_OK) {
        POST_ERROR(self, st, "cannot load the landmark model: %s", library_message(st));
        goto done;
    }
    if (g_str_has_suffix(path, ".fsm") || g_str_has_suffix(path, ".fsg")) { /* a learned model (.fsg: landmark GAN) */
        if ((st = fs_model_load(path, &self->model)) != FS_OK) {
            POST_ERROR(self, st, "cannot load model '%s': %s", path, library_message(st));
            goto done;
        }
        st = fs_swapper_create_learned(self->detector, self->landmarker, self->model, reverse, &swap,
                                       &self->swapper);
    } else {
        st = fs_swapper_create(self->detector, self->landmarker, NULL, &swap, &self->swapper);
    }
    if (st != FS_OK) {
        POST_ERROR(self, st, "bad swap settings: %s", library_message(st));
        goto done;
    }
    if (!self->model) {
        fs_image *photo = NULL;
        if ((st = fs_image_load(path, &photo)) != FS_OK) {
            GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("cannot load source '%s': %s", path, library_message(st)),
                              ("libfaceswap: %s", fs_status_string(st)));
            goto done;
        }
        st = fs_source_prepare(self->swapper, photo, 0, &self->source);
        fs_image_free(photo);
        if (st != FS_OK) {
            POST_ERROR(self, st, "cannot use source '%s': %s", path, library_message(st));
            goto done;
        }
    }
    if ((st = fs_stream_create(self->swapper, self->source, &stream_options, &self->stream)) != FS_OK) {
        POST_ERROR(self, st, "bad stream settings: %s", library_message(st));
        goto done;
    }
    self->last_time = GST_CLOCK_TIME_NONE;
    self->frames = 0;
    ok = TRUE;
done:
    if (!ok) drop_stream(self);
    g_free(path);
    return ok;
}

/* Forgets the tracks (a seek, a new size): the next frame is detected afresh. */
static void restart_tracks(GstFaceswap *self) {
    if (self->stream) fs_stream_reset(self->stream);
    self->last_time = GST_CLOCK_TIME_NONE;
    self->frames = 0;
}

/* ---------------------------------------------------------------------------------------- */
/* GstBaseTransform / GstVideoFilter                                                         */
/* ---------------------------------------------------------------------------------------- */

static gboolean gst_faceswap_start(GstBaseTransform *trans) {
    GstFaceswap *self = (GstFaceswap *)trans;
    if (!FS_ABI_COMPATIBLE()) {
        GST_ELEMENT_ERROR(self, LIBRARY, INIT,
                          ("libfaceswap has ABI %d but this element was built for ABI %d: rebuild it against the "
                           "installed faceswap.h",
                           fs_abi_version(), FS_ABI_VERSION),
                          (NULL));
        return FALSE;
    }
    return build_stream(self);
}

static void free_conversion(GstFaceswap *self) {
    if (self->to_bgr) gst_video_converter_free(self->to_bgr);
    if (self->from_bgr) gst_video_converter_free(self->from_bgr);
    gst_clear_buffer(&self->bgr);
    gst_clear_buffer(&self->back);
    g_free(self->before);
    self->to_bgr = self->from_bgr = NULL;
    self->before = NULL;
}

static gboolean gst_faceswap_stop(GstBaseTransform *trans) {
    GstFaceswap *self = (GstFaceswap *)trans;
    if (self->stream) fs_stream_flush(self->stream);
    drop_stream(self);
    free_conversion(self);
    return TRUE;
}

/* The library's pixel format for a GStreamer format it takes directly; 0 for I420 / NV12. */
static fs_pixel_format direct_format(GstVideoFormat f) {
    switch (f) {
    case GST_VIDEO_FORMAT_BGR: return FS_FORMAT_BGR8;
    case GST_VIDEO_FORMAT_RGB: return FS_FORMAT_RGB8;
    case GST_VIDEO_FORMAT_BGRx: case GST_VIDEO_FORMAT_BGRA: return FS_FORMAT_BGRA8;
    case GST_VIDEO_FORMAT_RGBx: case GST_VIDEO_FORMAT_RGBA: return FS_FORMAT_RGBA8;
    default: return 0;
    }
}

/* Called for the first caps and for every change (size or format) mid-stream. */
static gboolean gst_faceswap_set_info(GstVideoFilter *filter, GstCaps *incaps, GstVideoInfo *in_info,
                                      GstCaps *outcaps, GstVideoInfo *out_info) {
    GstFaceswap *self = (GstFaceswap *)filter;
    (void)incaps, (void)outcaps, (void)out_info;
    GST_INFO_OBJECT(self, "negotiated %s %dx%d", GST_VIDEO_INFO_NAME(in_info), GST_VIDEO_INFO_WIDTH(in_info),
                    GST_VIDEO_INFO_HEIGHT(in_info));
    free_conversion(self);
    restart_tracks(self); /* another size or source: the tracks' boxes mean nothing now */
    if (direct_format(GST_VIDEO_INFO_FORMAT(in_info))) return TRUE;

    /* I420 / NV12: one BGR frame of the same size and colorimetry, converters both ways. */
    int w = GST_VIDEO_INFO_WIDTH(in_info), h = GST_VIDEO_INFO_HEIGHT(in_info);
    gst_video_info_set_format(&self->bgr_info, GST_VIDEO_FORMAT_BGR, w, h);
    GST_VIDEO_INFO_FPS_N(&self->bgr_info) = GST_VIDEO_INFO_FPS_N(in_info);
    GST_VIDEO_INFO_FPS_D(&self->bgr_info) = GST_VIDEO_INFO_FPS_D(in_info);
    GstStructure *config = gst_structure_new("config", GST_VIDEO_CONVERTER_OPT_DITHER_METHOD, GST_TYPE_VIDEO_DITHER_METHOD,
                                             GST_VIDEO_DITHER_NONE, NULL);
    self->to_bgr = gst_video_converter_new(in_info, &self->bgr_info, gst_structure_copy(config));
    self->from_bgr = gst_video_converter_new(&self->bgr_info, in_info, config); /* into `back` */
    self->bgr = gst_buffer_new_allocate(NULL, GST_VIDEO_INFO_SIZE(&self->bgr_info), NULL);
    self->before = g_malloc(GST_VIDEO_INFO_SIZE(&self->bgr_info));
    self->back_info = *in_info; /* the caps' layout: default strides, whatever the frames' are */
    self->back = gst_buffer_new_allocate(NULL, GST_VIDEO_INFO_SIZE(&self->back_info), NULL);
    if (!self->to_bgr || !self->from_bgr || !self->bgr || !self->back) {
        GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("cannot convert %s %dx%d to BGR and back",
                                                    GST_VIDEO_INFO_NAME(in_info), w, h), (NULL));
        free_conversion(self);
        return FALSE;
    }
    return TRUE;
}

/* Seeks and flushes restart the tracks (the next frame is not the one after the last). */
static gboolean gst_faceswap_sink_event(GstBaseTransform *trans, GstEvent *event) {
    if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) restart_tracks((GstFaceswap *)trans);
    return GST_BASE_TRANSFORM_CLASS(gst_faceswap_parent_class)->sink_event(trans, event);
}

/* Latency: upstream's, plus the frames this element holds back (none, see the top). */
static gboolean gst_faceswap_query(GstBaseTransform *trans, GstPadDirection direction, GstQuery *query) {
    if (!GST_BASE_TRANSFORM_CLASS(gst_faceswap_parent_class)->query(trans, direction, query)) return FALSE;
    if (direction == GST_PAD_SRC && GST_QUERY_TYPE(query) == GST_QUERY_LATENCY) {
        gboolean live;
        GstClockTime min, max;
        gst_query_parse_latency(query, &live, &min, &max);
        GstVideoInfo *info = &GST_VIDEO_FILTER(trans)->in_info;
        GstClockTime ours = 0;
        if (FACESWAP_LATENCY_FRAMES > 0 && GST_VIDEO_INFO_FPS_N(info) > 0)
            ours = gst_util_uint64_scale_int(FACESWAP_LATENCY_FRAMES * GST_SECOND, GST_VIDEO_INFO_FPS_D(info),
                                             GST_VIDEO_INFO_FPS_N(info));
        gst_query_set_latency(query, live, min + ours, GST_CLOCK_TIME_IS_VALID(max) ? max + ours : max);
        GST_DEBUG_OBJECT(trans, "latency: upstream min %" GST_TIME_FORMAT " + ours %" GST_TIME_FORMAT,
                         GST_TIME_ARGS(min), GST_TIME_ARGS(ours));
    }
    return TRUE;
}

/* The frame's time in seconds for the landmark filter: its running time (continuous across
 * segments), or when the buffer has none, frames counted at the caps' rate (30 when unknown). */
static double frame_seconds(GstFaceswap *self, GstBuffer *buf) {
    GstBaseTransform *trans = GST_BASE_TRANSFORM(self);
    GstClockTime t = GST_CLOCK_TIME_NONE; /* e.g. raw frames straight from a filesrc: a BYTES segment */
    if (trans->segment.format == GST_FORMAT_TIME)
        t = gst_segment_to_running_time(&trans->segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buf));
    double seconds;
    if (GST_CLOCK_TIME_IS_VALID(t)) {
        if (GST_CLOCK_TIME_IS_VALID(self->last_time) && t < self->last_time) restart_tracks(self); /* went back */
        self->last_time = t;
        seconds = (double)t / GST_SECOND;
    } else {
        GstVideoInfo *info = &GST_VIDEO_FILTER(self)->in_info;
        double fps = GST_VIDEO_INFO_FPS_N(info) > 0 ? (double)GST_VIDEO_INFO_FPS_N(info) / GST_VIDEO_INFO_FPS_D(info) : 30;
        seconds = self->frames / fps;
    }
    self->frames++;
    return seconds;
}

/* I420 / NV12: writes into frame only the 2x2 pixel blocks (one chroma sample each) in which the
 * swap changed a BGR pixel (`bgr` against self->before), taken from `back`, the swapped BGR
 * frame converted back. Every other sample keeps its bytes. The two frames' strides may differ
 * (a decoder's buffers are often padded, described by a GstVideoMeta). */
static void write_back_changed_blocks(GstFaceswap *self, GstVideoFrame *frame, const GstVideoFrame *bgr,
                                      GstVideoFrame *back) {
    int w = GST_VIDEO_FRAME_WIDTH(frame), h = GST_VIDEO_FRAME_HEIGHT(frame);
    size_t stride = GST_VIDEO_FRAME_PLANE_STRIDE(bgr, 0);
    const guint8 *now = GST_VIDEO_FRAME_PLANE_DATA(bgr, 0);
    const GstVideoFormatInfo *finfo = frame->info.finfo;
    for (int y0 = 0; y0 < h; y0 += 2) {
        int y1 = MIN(y0 + 1, h - 1);
        for (int x0 = 0; x0 < w; x0 += 2) {
            int x1 = MIN(x0 + 1, w - 1);
            size_t at = (size_t)x0 * 3, bytes = (size_t)(x1 - x0 + 1) * 3;
            if (!memcmp(now + y0 * stride + at, self->before + y0 * stride + at, bytes) &&
                !memcmp(now + y1 * stride + at, self->before + y1 * stride + at, bytes))
                continue; /* this block is as it was */
            for (guint c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS(finfo); c++) {
                guint ws = GST_VIDEO_FORMAT_INFO_W_SUB(finfo, c), hs = GST_VIDEO_FORMAT_INFO_H_SUB(finfo, c);
                gint tp = GST_VIDEO_FRAME_COMP_PSTRIDE(frame, c), ts = GST_VIDEO_FRAME_COMP_STRIDE(frame, c);
                gint fp = GST_VIDEO_FRAME_COMP_PSTRIDE(back, c), fs = GST_VIDEO_FRAME_COMP_STRIDE(back, c);
                guint8 *to = GST_VIDEO_FRAME_COMP_DATA(frame, c);
                const guint8 *from = GST_VIDEO_FRAME_COMP_DATA(back, c);
                for (int y = y0 >> hs; y <= y1 >> hs; y++)     /* the samples of component c */
                    for (int x = x0 >> ws; x <= x1 >> ws; x++) /* that cover this block */
                        to[y * ts + x * tp] = from[y * fs + x * fp];
            }
        }
    }
}

/* Swaps one frame's pixels in place through the stream; on failure posts the library's message. */
static GstFlowReturn push(GstFaceswap *self, const fs_image_view *view, double seconds, size_t *faces) {
    fs_status st = fs_stream_push_view(self->stream, view, seconds, faces);
    if (st == FS_OK) return GST_FLOW_OK;
    POST_ERROR(self, st, "cannot swap the frame at %.3f s: %s", seconds, library_message(st));
    return GST_FLOW_ERROR;
}

/* I420 / NV12: converts the frame to BGR, swaps that, and writes the changed blocks back. */
static GstFlowReturn swap_through_bgr(GstFaceswap *self, GstVideoFrame *frame, double seconds, size_t *faces) {
    GstVideoFrame bgr, back;
    if (!gst_video_frame_map(&bgr, &self->bgr_info, self->bgr, GST_MAP_READWRITE)) {
        GST_ELEMENT_ERROR(self, CORE, FAILED, ("cannot map the element's BGR frame"), (NULL));
        return GST_FLOW_ERROR;
    }
    gst_video_converter_frame(self->to_bgr, frame, &bgr);
    memcpy(self->before, GST_VIDEO_FRAME_PLANE_DATA(&bgr, 0), GST_VIDEO_INFO_SIZE(&self->bgr_info));
    fs_image_view view = {GST_VIDEO_FRAME_PLANE_DATA(&bgr, 0), GST_VIDEO_FRAME_WIDTH(frame),
                          GST_VIDEO_FRAME_HEIGHT(frame), GST_VIDEO_FRAME_PLANE_STRIDE(&bgr, 0), FS_FORMAT_BGR8};
    GstFlowReturn flow = push(self, &view, seconds, faces);
    if (flow == GST_FLOW_OK && *faces > 0) { /* no face: nothing changed, nothing to write */
        if (gst_video_frame_map(&back, &self->back_info, self->back, GST_MAP_WRITE)) {
            gst_video_converter_frame(self->from_bgr, &bgr, &back);
            write_back_changed_blocks(self, frame, &bgr, &back);
            gst_video_frame_unmap(&back);
        } else {
            GST_ELEMENT_ERROR(self, CORE, FAILED, ("cannot map the element's converted-back frame"), (NULL));
            flow = GST_FLOW_ERROR;
        }
    }
    gst_video_frame_unmap(&bgr);
    return flow;
}

static GstFlowReturn gst_faceswap_transform_frame_ip(GstVideoFilter *filter, GstVideoFrame *frame) {
    GstFaceswap *self = (GstFaceswap *)filter;
    GST_OBJECT_LOCK(self);
    gboolean dirty = self->dirty;
    GST_OBJECT_UNLOCK(self);
    if ((dirty || !self->stream) && !build_stream(self)) return GST_FLOW_ERROR;

    double seconds = frame_seconds(self, frame->buffer);
    fs_pixel_format format = direct_format(GST_VIDEO_FRAME_FORMAT(frame));
    size_t faces = 0;
    GstFlowReturn flow;
    if (format) { /* the frame's own pixels, in place */
        fs_image_view view = {GST_VIDEO_FRAME_PLANE_DATA(frame, 0), GST_VIDEO_FRAME_WIDTH(frame),
                              GST_VIDEO_FRAME_HEIGHT(frame), GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0), format};
        flow = push(self, &view, seconds, &faces);
    } else {
        flow = swap_through_bgr(self, frame, seconds, &faces);
    }
    GST_LOG_OBJECT(self, "frame at %.3f s: %zu faces", seconds, faces);
    return flow;
}

/* ---------------------------------------------------------------------------------------- */
/* Properties                                                                                */
/* ---------------------------------------------------------------------------------------- */

/* A GEnum type whose values are the library's names of kind (fs_enum_value_at, fs_enum_name).
 * Registered once; GLib keeps the value table for the life of the process. */
static GType library_enum_type(fs_enum_kind kind, const char *type_name) {
    GType type = g_type_from_name(type_name);
    if (type) return type;
    size_t count = 0;
    int32_t value;
    if (fs_enum_value_at(kind, 0, &value, &count) != FS_OK || count == 0) return G_TYPE_INVALID;
    GEnumValue *values = g_new0(GEnumValue, count + 1); /* the last one all zero: the end */
    for (size_t i = 0; i < count; i++) {
        fs_enum_value_at(kind, i, &value, NULL);
        const char *name = fs_enum_name(kind, value);
        values[i].value = value;
        values[i].value_name = name; /* static strings of the library */
        values[i].value_nick = name;
    }
    return g_enum_register_static(type_name, values);
}

static GType enum_type_of(fs_enum_kind kind) {
    switch (kind) {
    case FS_ENUM_CONVERT_MODE: return library_enum_type(kind, "GstFaceswapMode");
    case FS_ENUM_COLOR_MODE: return library_enum_type(kind, "GstFaceswapColor");
    case FS_ENUM_BLEND_MODE: return library_enum_type(kind, "GstFaceswapBlend");
    default: return G_TYPE_INVALID;
    }
}

/* The property for one library option, from the library's description of it; NULL when the
 * library does not describe it (then the element simply lacks that property, and says so). */
static GParamSpec *option_pspec(const option_property *p) {
    fs_option_info o = {.struct_size = sizeof o};
    if (fs_option_find(p->kind, p->option, &o) != FS_OK) {
        g_warning("faceswap: libfaceswap does not describe option %s: %s", p->option, fs_last_error_message());
        return NULL;
    }
    gchar *name = g_strdelimit(g_strdup(p->option), "_", '-');
    gchar *blurb = g_strdup_printf("%s (fs_%s_options.%s)", o.summary, p->kind == FS_OPTIONS_SWAP ? "swap" : "stream",
                                   p->option);
    GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_NICK | GST_PARAM_MUTABLE_PLAYING;
    GParamSpec *spec = NULL;
    switch (o.type) {
    case FS_OPTION_INT:
        spec = g_param_spec_int(name, p->option, blurb, (gint)o.min, (gint)o.max, (gint)o.default_value, flags);
        break;
    case FS_OPTION_FLOAT:
        spec = g_param_spec_double(name, p->option, blurb, o.min, o.max, o.default_value, flags);
        break;
    case FS_OPTION_BOOL:
        spec = g_param_spec_boolean(name, p->option, blurb, o.default_value != 0, flags);
        break;
    case FS_OPTION_ENUM: {
        GType type = enum_type_of(o.enum_kind);
        if (type != G_TYPE_INVALID)
            spec = g_param_spec_enum(name, p->option, blurb, type, (gint)o.default_value, flags);
        break;
    }
    default: break;
    }
    if (!spec) g_warning("faceswap: option %s has a type this element does not map", p->option);
    g_free(name); /* GLib copies the name and blurb (no G_PARAM_STATIC_NAME/BLURB) */
    g_free(blurb);
    return spec;
}

static void gst_faceswap_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec) {
    GstFaceswap *self = (GstFaceswap *)object;
    GST_OBJECT_LOCK(self);
    if (id == PROP_SOURCE) {
        g_free(self->source_path);
        self->source_path = g_value_dup_string(value);
    } else if (id == PROP_REVERSE) {
        self->reverse = g_value_get_boolean(value);
    } else if (id >= PROP_OPTION0 && id < PROP_OPTION0 + OPTION_COUNT) {
        guint8 *field = option_field(self, &option_properties[id - PROP_OPTION0]);
        switch (G_PARAM_SPEC_VALUE_TYPE(pspec)) {
        case G_TYPE_INT: *(gint32 *)field = g_value_get_int(value); break;
        case G_TYPE_DOUBLE: *(float *)field = (float)g_value_get_double(value); break;
        case G_TYPE_BOOLEAN: *(gint32 *)field = g_value_get_boolean(value) ? 1 : 0; break;
        default: *(gint32 *)field = g_value_get_enum(value); break; /* a library enum */
        }
    } else {
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
    self->dirty = TRUE; /* rebuilt at the next frame (the tracks restart) */
    GST_OBJECT_UNLOCK(self);
}

static void gst_faceswap_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec) {
    GstFaceswap *self = (GstFaceswap *)object;
    GST_OBJECT_LOCK(self);
    if (id == PROP_SOURCE) {
        g_value_set_string(value, self->source_path);
    } else if (id == PROP_REVERSE) {
        g_value_set_boolean(value, self->reverse);
    } else if (id >= PROP_OPTION0 && id < PROP_OPTION0 + OPTION_COUNT) {
        const guint8 *field = option_field(self, &option_properties[id - PROP_OPTION0]);
        switch (G_PARAM_SPEC_VALUE_TYPE(pspec)) {
        case G_TYPE_INT: g_value_set_int(value, *(const gint32 *)field); break;
        case G_TYPE_DOUBLE: g_value_set_double(value, *(const float *)field); break;
        case G_TYPE_BOOLEAN: g_value_set_boolean(value, *(const gint32 *)field != 0); break;
        default: g_value_set_enum(value, *(const gint32 *)field); break;
        }
    } else {
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
    GST_OBJECT_UNLOCK(self);
}

static void gst_faceswap_finalize(GObject *object) {
    GstFaceswap *self = (GstFaceswap *)object;
    drop_stream(self);
    free_conversion(self);
    fs_landmarker_free(self->landmarker);
    fs_detector_free(self->detector);
    g_free(self->source_path);
    G_OBJECT_CLASS(gst_faceswap_parent_class)->finalize(object);
}

static void gst_faceswap_class_init(GstFaceswapClass *klass) {
    GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
    GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
    GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS(klass);
    GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS(klass);

    gobject_class->set_property = gst_faceswap_set_property;
    gobject_class->get_property = gst_faceswap_get_property;
    gobject_class->finalize = gst_faceswap_finalize;

    GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING;
    g_object_class_install_property(
        gobject_class, PROP_SOURCE,
        g_param_spec_string("source", "source",
                            "Path of the photo whose face is put onto the video, or of a learned model (.fsm, made "
                            "by `faceswap train`): then person A's faces become B's",
                            "", flags));
    g_object_class_install_property(
        gobject_class, PROP_REVERSE,
        g_param_spec_boolean("reverse", "reverse", "With a learned model: turn B's faces into A's", FALSE, flags));
    for (guint i = 0; i < OPTION_COUNT; i++) {
        GParamSpec *spec = option_pspec(&option_properties[i]);
        if (spec) g_object_class_install_property(gobject_class, PROP_OPTION0 + i, spec);
    }

    gst_element_class_set_static_metadata(element_class, "Face swap", "Filter/Effect/Video",
                                          "Puts the face of one photo onto every face of the video (libfaceswap: "
                                          "detection, landmark tracking, swap)",
                                          "libfaceswap");
    GstCaps *caps = gst_caps_from_string(GST_VIDEO_CAPS_MAKE(FORMATS));
    gst_element_class_add_pad_template(element_class, gst_pad_template_new("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
    gst_element_class_add_pad_template(element_class, gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
    gst_caps_unref(caps);

    trans_class->start = GST_DEBUG_FUNCPTR(gst_faceswap_start);
    trans_class->stop = GST_DEBUG_FUNCPTR(gst_faceswap_stop);
    trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_faceswap_sink_event);
    trans_class->query = GST_DEBUG_FUNCPTR(gst_faceswap_query);
    filter_class->set_info = GST_DEBUG_FUNCPTR(gst_faceswap_set_info);
    filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR(gst_faceswap_transform_frame_ip);
}

static void gst_faceswap_init(GstFaceswap *self) {
    self->source_path = g_strdup("");
    /* the library's defaults: the same values the properties' defaults were made from */
    FS_SWAP_OPTIONS_INIT(&self->swap);
    FS_STREAM_OPTIONS_INIT(&self->stream_options);
    self->dirty = TRUE;
    self->last_time = GST_CLOCK_TIME_NONE;
}

static gboolean plugin_init(GstPlugin *plugin) {
    GST_DEBUG_CATEGORY_INIT(faceswap_debug, "faceswap", 0, "libfaceswap face swap");
    if (!FS_ABI_COMPATIBLE()) {
        GST_ERROR("libfaceswap has ABI %d but this plugin was built for ABI %d: rebuild it", fs_abi_version(),
                  FS_ABI_VERSION);
        return FALSE;
    }
    return gst_element_register(plugin, "faceswap", GST_RANK_NONE, gst_faceswap_get_type());
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, faceswap, "Face swap over libfaceswap", plugin_init,
                  FS_GST_VERSION, GST_LICENSE_UNKNOWN, PACKAGE, "https://github.com/")
