/*
 * faceswap.h — the public C interface of libfaceswap.
 *
 * libfaceswap detects faces, fits 68 landmarks, aligns faces with a similarity transform and
 * swaps one person's face onto another's. This header is the whole public surface; it is
 * written by hand.
 *
 * Compatibility: a stable tier and an experimental tier
 * -----------------------------------------------------
 *  - The stable tier is every declaration of this header outside the EXPERIMENTAL section at its
 *    end. It carries the compatibility promise: within one FS_ABI_VERSION its functions keep
 *    their names, parameters, statuses and meaning, and its structs and enums only grow (at their
 *    end, by the growth rule below), never change; a program built against an older header of the
 *    same FS_ABI_VERSION runs unchanged on a newer library. Breaking that bumps FS_ABI_VERSION.
 *  - The experimental tier is excluded from that promise: the learned conversion (face
 *    extraction fs_extract*, the learned-model file API fs_model_load/free/get_info,
 *    fs_swapper_create_learned, training fs_train* and fs_trainer_*, their structs, handles and
 *    callback), the learned-only fields of fs_swap_options, use_model_mask and keep_model_shape
 *    (their place in the struct is fixed, their meaning is not), and the option kinds
 *    FS_OPTIONS_EXTRACT and FS_OPTIONS_TRAIN. Any of it may change or be removed in any minor
 *    version without an FS_ABI_VERSION bump.
 *  - The experimental declarations stay visible, so no caller's build changes; each of its
 *    functions is marked FS_EXPERIMENTAL. Define FS_WARN_EXPERIMENTAL before including this header
 *    (cc -DFS_WARN_EXPERIMENTAL -Werror ...) and GCC or Clang flag every use of one, to be sure a
 *    program uses only the stable tier.
 *
 * Conventions
 * -----------
 *  - Every public name starts with fs_ / FS_.
 *  - Every fallible call returns an fs_status. FS_OK (0) is success. On failure, handle and
 *    buffer out-parameters are set to NULL and counts to 0; other out-parameters (structs) are
 *    left untouched; fs_last_error_message() says exactly what was wrong and what to do about it.
 *  - Handles are opaque. Each comes from exactly one *_create / *_load / *_decode call and goes
 *    back to exactly one *_free call; every *_free accepts NULL, like free().
 *  - Pointer parameters are borrowed for the duration of the call unless the comment says
 *    otherwise. The library never keeps a caller's pointer after a call returns, except for
 *    fs_image_wrap(), which says so.
 *  - Options structs start with uint32_t struct_size: the size of the struct the caller was
 *    compiled with. Fill one with its fs_<name>_options_init(&o, sizeof o) function, or the
 *    FS_<NAME>_OPTIONS_INIT(&o) macro that passes sizeof for you (as libwebp's WebPConfigInit):
 *    the library writes exactly that many bytes, its defaults truncated to the caller's size, with
 *    struct_size = the caller's size. Change the fields you need and pass a pointer. Reading
 *    options, the library takes the first min(struct_size, its own size) bytes and its defaults
 *    for the rest: a caller built against an older header (a smaller struct) keeps working with a
 *    newer library, and an older library ignores the fields a newer header added. Options are
 *    never returned by value, and one options struct refers to another by a pointer (NULL: the
 *    defaults), never by nesting, so that every struct can grow at its end.
 *  - Output structs the library fills (fs_model_info, fs_swap_metrics, fs_video_stats,
 *    fs_extract_stats) start with struct_size too: the caller sets it to sizeof before the call
 *    (fs_video_stats st = {.struct_size = sizeof st};) and the library writes at most that many
 *    bytes, then sets struct_size to the number it filled, min(the caller's size, its own): a
 *    newer caller learns which fields an older library filled. struct_size 0, smaller than the
 *    first field, or over FS_STRUCT_SIZE_MAX is refused (FS_ERR_INVALID_ARGUMENT) before any
 *    work. fs_train_progress, which the library hands to a callback, carries the library's own
 *    struct_size: read a field only when it lies within it.
 *  - Growth rule: within one FS_ABI_VERSION these structs grow only at their end, and never end
 *    in padding (a lone 4-byte field after an 8-byte-aligned end comes with a reserved partner),
 *    so every size an older header had ends on a field boundary. The small value types (fs_point,
 *    fs_rect, fs_affine, fs_face, fs_image_view) never change within an FS_ABI_VERSION.
 *  - Nothing crosses this interface as a C++ exception, a signal or an abort: every error is a
 *    status. Images larger than FS_MAX_IMAGE_SIDE per side or FS_MAX_IMAGE_PIXELS in all are
 *    refused (FS_ERR_TOO_LARGE), for JPEG from the header, before pixels are allocated.
 *  - Every function's comment starts with a one-line summary and has an "Errors:" line: the
 *    statuses it returns (FS_ERR_ left out) and why. "Errors: none" means it has no failure mode
 *    (it returns no fs_status). FS_ERR_INTERNAL (a bug: please report it) may come from any call
 *    that returns an fs_status, and FS_ERR_OUT_OF_MEMORY from any that allocates images, video
 *    buffers or networks; they are listed only where the caller's input sets the size (image
 *    constructors). Tests/header/check_header_docs.py keeps these lines present.
 *
 * Thread safety
 * -------------
 *  - fs_detector, fs_landmarker, fs_recognizer, fs_swapper, fs_source, fs_model: immutable after
 *    creation; one handle may be used from any number of threads at once. Detectors, the
 *    recognizer and models give each concurrent call its own copy of their working state (scan
 *    buffers, network activations) from a pool that grows to the largest number of calls made at
 *    once and is released by *_free.
 *  - fs_stream, fs_reenactor, fs_trainer: one thread at a time (they carry per-video tracking or
 *    training state). Many streams may share one swapper and source across threads.
 *  - fs_image: may be read from several threads at once (every call taking a const fs_image *).
 *    The calls that write one (fs_swap_inplace, fs_swap_face, fs_stream_push, set A of
 *    fs_color_mean_shift), fs_image_free, and the caller writing the pixels of a wrapped image
 *    must not overlap with any other use of that image: a data race, as with any buffer.
 *  - Free functions (fs_align_*, fs_affine_*, fs_status_string, ...): thread-safe.
 *  - fs_last_error_message(): per thread.
 *
 * Threads of a call
 * -----------------
 *  Most calls run on the caller's thread only. These may also run work on threads of their own,
 *  started inside the call and joined before it returns (none is left running, nothing runs
 *  between calls):
 *  - fs_video_swap, fs_reenact_video, fs_reenact_grid_video: up to `threads` of their options
 *    (0: every core the process may use): decoding, swapping and encoding overlap; libavcodec's
 *    and x264's own threads are counted in it. The progress callback is still called on the
 *    caller's thread, in frame order.
 *  - fs_stream_push, fs_stream_push_view: the faces of one frame on up to the stream options'
 *    `threads`, and a detector scan of a whole large frame (a stream's first, after a scene cut,
 *    when faces are lost; HOG) on two of them, its pyramid levels shared (the same faces as on
 *    one thread); fs_swap, fs_swap_inplace: the faces of one image on up to every core. Faces whose
 *    regions could touch are swapped one after another, so the result is the same as on one
 *    thread.
 *  - fs_reenactor_push: the warp of the photo on up to the reenactor's stream options'
 *    `threads`, its rows shared among them (the result is the same as on one thread).
 *  One thread outlives a call: a stream's periodic sweep for new faces of any size (every 23rd
 *  scan while faces are tracked, i.e. every 115 frames at detect_interval 5; a reenactor, which
 *  follows one face, has none) scans a grey copy of that frame on a thread of the stream's own,
 *  started by that push, while the next pushes track; the push 8 frames later takes its faces,
 *  waiting for the scan if it is not done (so the tracks are the same whatever the timing and
 *  `threads`). fs_stream_reset, fs_stream_flush and fs_stream_free wait for it; a process
 *  that exits with a stream not freed waits for it at exit. With `threads` 1 that scan runs on
 *  the caller's thread, whole, in the push that takes its faces.
 *  These threads use the swapper, source, model, detector and landmarker the call was given, which
 *  the rules above allow (they are shared safely); a stream or reenactor is still used by one
 *  thread at a time, and the images given are touched only until the call returns. So the rules
 *  for the caller are unchanged; `threads` 1 keeps a call on the caller's thread.
 *
 * CPU
 * ---
 *  A default x86-64 build uses AVX2 + FMA (x86-64-v3). On an older CPU, handle creation fails
 *  with FS_ERR_UNSUPPORTED and says so; build with FS_PORTABLE=1 for baseline x86-64.
 */
#ifndef FACESWAP_H
#define FACESWAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#  define FS_API __attribute__((visibility("default")))
#else
#  define FS_API
#endif

/* Marks each function of the experimental tier (the EXPERIMENTAL section at the end), before
 * FS_API. Empty by default. With FS_WARN_EXPERIMENTAL defined before this header is included,
 * GCC and Clang warn at every use (-Werror turns that into an error), as sqlite's and zstd's
 * experimental markers let a program prove that it uses only the stable tier. */
#if defined(FS_WARN_EXPERIMENTAL) && defined(__GNUC__)
#  define FS_EXPERIMENTAL \
      __attribute__((deprecated("libfaceswap experimental API: may change in any minor version")))
#else
#  define FS_EXPERIMENTAL
#endif

/* ------------------------------------------------------------------------------------------ */
/* Version                                                                                     */
/* ------------------------------------------------------------------------------------------ */

#define FS_VERSION_MAJOR 0
#define FS_VERSION_MINOR 22
#define FS_VERSION_PATCH 1
/* MAJOR*10000 + MINOR*100 + PATCH, e.g. 300 for 0.3.0 (as zstd's ZSTD_VERSION_NUMBER). */
#define FS_VERSION_NUMBER (FS_VERSION_MAJOR * 10000 + FS_VERSION_MINOR * 100 + FS_VERSION_PATCH)
/* Bumped only when a struct layout or a function's meaning changes incompatibly.
 * 2 (0.3.0): options filled by pointer with the caller's size (fs_*_options_init) instead of
 * returned by value; nested stream options by pointer; output structs carry struct_size. */
#define FS_ABI_VERSION 2

/* The library's version number: FS_VERSION_NUMBER of the header it was built with.
 * Errors: none. */
FS_API unsigned fs_version(void);
/* The library's version as a static string, e.g. "0.3.0".
 * Never NULL; do not free. Errors: none. */
FS_API const char *fs_version_string(void);
/* The library's FS_ABI_VERSION.
 * A caller checks fs_abi_version() == FS_ABI_VERSION once at start-up (FS_ABI_COMPATIBLE() does
 * it) and refuses to go on otherwise. Errors: none. */
FS_API int fs_abi_version(void);
#define FS_ABI_COMPATIBLE() (fs_abi_version() == FS_ABI_VERSION)

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                      */
/* ------------------------------------------------------------------------------------------ */

typedef enum fs_status {
    FS_OK = 0,
    FS_ERR_INVALID_ARGUMENT = 1,  /* NULL pointer, out-of-range value, bad stride or size */
    FS_ERR_UNSUPPORTED = 2,       /* unknown pixel format, file format or option; old CPU */
    FS_ERR_TOO_LARGE = 3,         /* image over FS_MAX_IMAGE_SIDE / FS_MAX_IMAGE_PIXELS */
    FS_ERR_DECODE = 4,            /* corrupt, truncated or empty image data */
    FS_ERR_IO = 5,                /* a file could not be opened, read or written */
    FS_ERR_MODEL = 6,             /* a model file is missing, unreadable or of the wrong kind */
    FS_ERR_NO_FACE = 7,           /* an operation that needs a face found none */
    FS_ERR_OUT_OF_MEMORY = 8,
    FS_ERR_CANCELLED = 9,         /* a progress callback asked to stop */
    FS_ERR_BUFFER_TOO_SMALL = 10, /* the caller's array was too small; the count says how many */
    FS_ERR_INTERNAL = 11          /* a bug: please report it with the message */
} fs_status;

/* A static, human-readable name for a status ("FS_ERR_DECODE: corrupt image data").
 * Never NULL; unknown values give "unknown status". Do not free. Errors: none. */
FS_API const char *fs_status_string(fs_status status);

/* What exactly went wrong in the most recent failing fs_ call on this thread.
 * E.g. "fs_image_load: cannot open 'x.jpg': No such file or directory"; "" when there was no
 * error. The pointer is valid until the next fs_ call on the same thread; copy it to keep it.
 * Errors: none. */
FS_API const char *fs_last_error_message(void);

/* Releases memory the library returned as raw bytes (fs_image_encode's buffer).
 * NULL is a no-op, as with free(). Errors: none. */
FS_API void fs_free(void *ptr);

/* The largest struct_size (and *_options_init size) the library accepts: far above any struct of
 * this header, it catches an uninitialised struct_size. See Conventions for struct_size. */
#define FS_STRUCT_SIZE_MAX 65536

/* ------------------------------------------------------------------------------------------ */
/* Names, defaults and ranges: the library describes its own enums and options                 */
/* ------------------------------------------------------------------------------------------ */
/*
 * Front ends (command lines, bindings, plugins) take the names of enum values and each option's
 * default and range from here instead of keeping their own tables. Every string returned is
 * static: valid for the life of the process, never to be freed. All of these are thread-safe.
 */

typedef enum fs_enum_kind {
    FS_ENUM_STATUS = 1,            /* fs_status: "ok", "invalid-argument", ... */
    FS_ENUM_PIXEL_FORMAT = 2,      /* fs_pixel_format: "gray8", "bgr8", ... */
    FS_ENUM_CODEC = 3,             /* fs_codec: "auto", "jpeg", "png" */
    FS_ENUM_DETECTOR_BACKEND = 4,  /* fs_detector_backend: "hog", "cnn", "haar" */
    FS_ENUM_CONVERT_MODE = 5,      /* fs_convert_mode: "affine", "delaunay" */
    FS_ENUM_COLOR_MODE = 6,        /* fs_color_mode: "none", "mean", "reinhard", "hist" */
    FS_ENUM_BLEND_MODE = 7,        /* fs_blend_mode: "alpha", "poisson", "multiband", "poisson-exact" */
    FS_ENUM_MODEL_KIND = 8         /* fs_train_options.method, fs_model_info.method: "autoencoder",
                                      "landmark-gan" (experimental tier) */
} fs_enum_kind;

/* The canonical name of value in kind (lower case, words joined by '-').
 * Errors: none (NULL when kind or value is unknown; the error message is left as it was). */
FS_API const char *fs_enum_name(fs_enum_kind kind, int32_t value);

/* The value named name in kind, into *value.
 * name is the canonical name or an alias ("histogram" for hist, "jpg", "grey", "mmod"),
 * case-insensitive, '_' read as '-'. *value is left unchanged on failure.
 * Errors: INVALID_ARGUMENT (unknown kind; name or value NULL; no such name, also "": the message
 * lists the canonical names). */
FS_API fs_status fs_enum_parse(fs_enum_kind kind, const char *name, int32_t *value);

/* The index-th value of kind, in declaration order, into *value.
 * *count (may be NULL) receives the number of values (index 0 always exists: ask with it). List
 * a kind with index 0, 1, ...
 * Errors: INVALID_ARGUMENT (unknown kind, value NULL, index >= count; *count is then 0). */
FS_API fs_status fs_enum_value_at(fs_enum_kind kind, size_t index, int32_t *value, size_t *count);

typedef enum fs_options_kind {
    FS_OPTIONS_DETECTOR = 1,       /* fs_detector_options */
    FS_OPTIONS_SWAP = 2,           /* fs_swap_options */
    FS_OPTIONS_STREAM = 3,         /* fs_stream_options */
    FS_OPTIONS_VIDEO = 4,          /* fs_video_options; also crf, preset, threads of
                                      fs_reenact_options */
    FS_OPTIONS_REENACT = 5,        /* fs_reenact_options */
    FS_OPTIONS_EXTRACT = 6,        /* fs_extract_options: experimental tier */
    FS_OPTIONS_TRAIN = 7           /* fs_train_options: experimental tier */
} fs_options_kind;

typedef enum fs_option_type {
    FS_OPTION_INT = 1,             /* int32_t / int64_t field */
    FS_OPTION_FLOAT = 2,           /* float field */
    FS_OPTION_BOOL = 3,            /* int32_t field, 0 or 1 */
    FS_OPTION_ENUM = 4,            /* an enum field: names from enum_kind */
    FS_OPTION_STRING = 5           /* const char * field: default in default_string */
} fs_option_type;

/* One option of an options struct. Output struct: set struct_size to sizeof(fs_option_info)
 * before the call; the library writes at most that many bytes (see Conventions). Fields that
 * are not plain values (model_path, use_reference with reference, the stream pointer, seed,
 * reserved, names and folders) are not listed. */
typedef struct fs_option_info {
    uint32_t struct_size;          /* set by the caller */
    fs_option_type type;
    const char *name;              /* the field's name in the struct, e.g. "detect_interval" */
    const char *summary;           /* what it does, one line */
    fs_enum_kind enum_kind;        /* FS_OPTION_ENUM: the names it takes; else 0 */
    int32_t min_exclusive;         /* 1: min itself is not accepted */
    int32_t max_exclusive;         /* 1: max itself is not accepted */
    int32_t has_special;           /* 1: `special` is accepted outside [min, max] too */
    double default_value;          /* numbers, 0/1 and enum values; 0 for strings */
    double min, max;               /* the accepted range of INT and FLOAT options (BOOL: 0, 1) */
    double special;                /* e.g. downscale 0 = automatic */
    const char *default_string;    /* FS_OPTION_STRING: the default; else NULL */
    const char *range_text;        /* what it accepts, for people: "0–1", "(0, 1] or 0", "affine,
                                      delaunay", "0 or 1", "text" */
    const char *default_text;      /* the default for people: "0.6", "delaunay", "veryfast" */
} fs_option_info;

/* The index-th option (in field order) of the struct named by kind, into *info.
 * *count (may be NULL) receives the number of options listed (index 0 always exists: ask with
 * it).
 * Errors: INVALID_ARGUMENT (unknown kind; info NULL; info->struct_size below 8 or over
 * FS_STRUCT_SIZE_MAX; index >= count; *count is then 0). */
FS_API fs_status fs_option_describe(fs_options_kind kind, size_t index, fs_option_info *info,
                                    size_t *count);

/* The option of the struct named by kind whose field is called name ("expression"), into *info.
 * As fs_option_describe otherwise.
 * Errors: INVALID_ARGUMENT (as fs_option_describe; name NULL or not an option of the struct: the
 * message lists its options). */
FS_API fs_status fs_option_find(fs_options_kind kind, const char *name, fs_option_info *info);

/* Checks value for the number option name of the struct named by kind, as creating with it would.
 * For front ends that take options as text: refuse a value early, with the library's message
 * ("fs_swap_options: expression 5 is outside 0–1"); enum options take their values (as
 * fs_enum_parse gives them), switches 0 or 1.
 * Errors: INVALID_ARGUMENT (unknown kind; name NULL, not an option of the struct or a text option:
 * the message lists its number options; value outside the option's range, not whole for a whole
 * number, switch or enum option, not finite: the message names the option and its range). */
FS_API fs_status fs_option_check(fs_options_kind kind, const char *name, double value);

/* ------------------------------------------------------------------------------------------ */
/* Images                                                                                      */
/* ------------------------------------------------------------------------------------------ */

#define FS_MAX_IMAGE_SIDE 32768                 /* 2^15 pixels per side */
#define FS_MAX_IMAGE_PIXELS (1u << 28)          /* 2^28 pixels in all */

typedef enum fs_pixel_format {
    FS_FORMAT_GRAY8 = 1,  /* 1 byte per pixel */
    FS_FORMAT_BGR8 = 2,   /* 3 bytes: B, G, R — OpenCV's order; what decoding gives */
    FS_FORMAT_RGB8 = 3,   /* 3 bytes: R, G, B — PIL's / numpy-from-PIL order */
    FS_FORMAT_BGRA8 = 4,  /* 4 bytes: B, G, R, A */
    FS_FORMAT_RGBA8 = 5   /* 4 bytes: R, G, B, A — frei0r's order */
} fs_pixel_format;

/* A plain description of pixels in memory: row y starts at data + y * stride. */
typedef struct fs_image_view {
    void *data;
    int32_t width;
    int32_t height;
    size_t stride;          /* bytes from one row to the next, >= width * bytes per pixel */
    fs_pixel_format format;
} fs_image_view;

typedef enum fs_codec {
    FS_CODEC_AUTO = 0,      /* fs_image_save: from the file name's extension */
    FS_CODEC_JPEG = 1,
    FS_CODEC_PNG = 2
} fs_codec;

/* An image owned by the library (or wrapping a caller's pixels, see fs_image_wrap). */
typedef struct fs_image fs_image;

/* Reads and decodes an image file into a new image.
 * JPEG (libjpeg-turbo; EXIF orientation applied; CMYK/YCCK converted), PNG (8/16-bit, grey,
 * alpha), and what else OpenCV reads (BMP, TIFF, WebP, ...). The result is BGR8, or BGRA8 when
 * the file has an alpha channel; 16-bit samples are scaled to 8 bits. *out receives a new image
 * (free with fs_image_free), or NULL on failure.
 * Errors: INVALID_ARGUMENT (path or out NULL), IO (cannot open or read: missing, a folder, ""),
 * DECODE (empty, truncated, corrupt or not an image), TOO_LARGE (over FS_MAX_IMAGE_SIDE /
 * FS_MAX_IMAGE_PIXELS, or a file over 1 GiB), UNSUPPORTED (a channel count OpenCV gives that is
 * none of grey, grey + alpha, colour, colour + alpha), OUT_OF_MEMORY. */
FS_API fs_status fs_image_load(const char *path, fs_image **out);

/* Decodes size bytes in memory (borrowed for the call) into a new image, as fs_image_load.
 * Errors: INVALID_ARGUMENT (out NULL; data NULL, whatever the size; size over any buffer),
 * DECODE (size 0; truncated, corrupt or not an image), TOO_LARGE (over the pixel limits, or over
 * 1 GiB of data), UNSUPPORTED (as fs_image_load), OUT_OF_MEMORY. */
FS_API fs_status fs_image_decode(const void *data, size_t size, fs_image **out);

/* Copies the caller's pixels into a new image of the same format.
 * Errors: INVALID_ARGUMENT (view, view->data or out NULL; width or height not positive; stride
 * below a row or stride × height overflowing), UNSUPPORTED (not an fs_pixel_format), TOO_LARGE
 * (over FS_MAX_IMAGE_SIDE / FS_MAX_IMAGE_PIXELS), OUT_OF_MEMORY. */
FS_API fs_status fs_image_from_view(const fs_image_view *view, fs_image **out);

/* Wraps the caller's pixels in a new image without copying them.
 * The caller keeps view->data alive and unchanged by others until fs_image_free(*out);
 * operations that write an image (the swap stages) write straight into those pixels.
 * Errors: INVALID_ARGUMENT, UNSUPPORTED, TOO_LARGE (as fs_image_from_view). */
FS_API fs_status fs_image_wrap(const fs_image_view *view, fs_image **out);

/* A new image of width × height in format, every byte zero.
 * Errors: INVALID_ARGUMENT (out NULL; width or height not positive), UNSUPPORTED (not an
 * fs_pixel_format), TOO_LARGE (over FS_MAX_IMAGE_SIDE / FS_MAX_IMAGE_PIXELS), OUT_OF_MEMORY. */
FS_API fs_status fs_image_create(int32_t width, int32_t height, fs_pixel_format format,
                                 fs_image **out);

/* A new image with the pixels of image converted to format.
 * GRAY8 <-> colour, channel order, alpha added as 255 or dropped.
 * Errors: INVALID_ARGUMENT (image not a live fs_image; out NULL), UNSUPPORTED (not an
 * fs_pixel_format), OUT_OF_MEMORY. */
FS_API fs_status fs_image_convert(const fs_image *image, fs_pixel_format format, fs_image **out);

/* Describes the image's pixels in *view.
 * view->data is borrowed: valid until fs_image_free(image).
 * Errors: INVALID_ARGUMENT (image not a live fs_image; view NULL). */
FS_API fs_status fs_image_get_view(const fs_image *image, fs_image_view *view);

/* Encodes the image to JPEG (quality 1–100; 0 means 92) or PNG (quality ignored) in memory.
 * *out_data receives *out_size bytes allocated by the library: release them with fs_free.
 * Errors: INVALID_ARGUMENT (image not a live fs_image; out_data or out_size NULL; codec
 * FS_CODEC_AUTO, which needs a file name; JPEG quality outside 0–100), UNSUPPORTED (not an
 * fs_codec). */
FS_API fs_status fs_image_encode(const fs_image *image, fs_codec codec, int quality,
                                 void **out_data, size_t *out_size);

/* Encodes the image and writes it to path, atomically.
 * The codec comes from the extension (.jpg/.jpeg/.png) when codec is FS_CODEC_AUTO. Written to a
 * temporary file in the same folder, then renamed, so path holds either its old content or the
 * whole new image, never a part.
 * Errors: INVALID_ARGUMENT (image not a live fs_image; path NULL, or "" with a codec given; JPEG
 * quality outside 0–100), UNSUPPORTED (FS_CODEC_AUTO and no .jpg/.jpeg/.png extension; not an
 * fs_codec), IO (the folder missing or unwritable, path a folder, a write failing: disk full;
 * path keeps its old content). */
FS_API fs_status fs_image_save(const fs_image *image, const char *path, fs_codec codec,
                               int quality);

/* Releases an image (a wrapped image leaves the caller's pixels alone).
 * NULL, an already freed image and a handle of another kind are ignored, as free(NULL).
 * Errors: none. */
FS_API void fs_image_free(fs_image *image);

/* ------------------------------------------------------------------------------------------ */
/* Geometry and faces                                                                          */
/* ------------------------------------------------------------------------------------------ */

typedef struct fs_point { float x, y; } fs_point;
typedef struct fs_rect { float x, y, width, height; } fs_rect;

/* A 2×3 affine matrix: x' = m[0]*x + m[1]*y + m[2],  y' = m[3]*x + m[4]*y + m[5]. */
typedef struct fs_affine { double m[6]; } fs_affine;

#define FS_MAX_LANDMARKS 68

/* One face. Plain data: copy it freely. Coordinates are in pixels of the image it was found in. */
typedef struct fs_face {
    fs_rect box;           /* square, grown outward by the detector's margin so the whole face is
                              inside (the classic face-swap crop); may reach past the border */
    fs_rect rect;          /* the detector's own rectangle (what the landmark model expects) */
    float score;           /* detector confidence; larger is surer (scale depends on backend) */
    int32_t num_landmarks; /* 0 until fs_landmarks_fit; then 68 or 5 */
    fs_point landmarks[FS_MAX_LANDMARKS]; /* iBUG 300-W order: jaw 0–16, brows 17–26, nose
                                             27–35, eyes 36–47, mouth 48–67 */
} fs_face;

/* ------------------------------------------------------------------------------------------ */
/* Model files                                                                                 */
/* ------------------------------------------------------------------------------------------ */
/*
 * Model files are found by one resolver, in this order: an explicit path given in options;
 * each folder of the environment variable FACESWAP_MODEL_PATH (colon-separated);
 * $XDG_DATA_HOME/faceswap/models (default ~/.local/share/faceswap/models);
 * /usr/local/share/faceswap/models; /usr/share/faceswap/models; /usr/share/dlib (libdlib-data).
 * The dlib CNN detector, 5-point predictor and face-recognition ResNet come from the PyPI
 * source package face_recognition_models; the Python binding adds its folder when installed.
 * A missing model gives FS_ERR_MODEL with a message that lists every place looked in.
 */

/* Writes the full path of model file `name` (e.g. "mmod_human_face_detector.dat") into buf.
 * The resolver's order is above; buf receives the path and its NUL, buf_size bytes at most.
 * Errors: INVALID_ARGUMENT (name or buf NULL; name empty or not a plain file name), MODEL (not
 * found; the message lists where it looked), BUFFER_TOO_SMALL (buf_size under the path's length
 * + 1; the message says how many bytes it needs). */
FS_API fs_status fs_model_find(const char *name, char *buf, size_t buf_size);

/* ------------------------------------------------------------------------------------------ */
/* Detection                                                                                   */
/* ------------------------------------------------------------------------------------------ */

typedef enum fs_detector_backend {
    FS_DETECTOR_HOG = 0,   /* dlib's HOG + linear SVM frontal detector (default; no file) */
    FS_DETECTOR_CNN = 1,   /* dlib's MMOD CNN (mmod_human_face_detector.dat); slow on CPU */
    FS_DETECTOR_HAAR = 2   /* OpenCV Haar cascade (haarcascade_frontalface_default.xml) */
} fs_detector_backend;

typedef struct fs_detector_options {
    uint32_t struct_size;         /* the caller's sizeof(fs_detector_options): set by
                                     fs_detector_options_init */
    fs_detector_backend backend;
    const char *model_path;       /* CNN model or Haar cascade; NULL: the resolver */
    int32_t upsample;             /* times to double the image before scanning (0–3), or -1
                                     (the default): automatic. A photo is scanned at the fast
                                     scale, then once more 2× or 4× when that may find more: a
                                     small photo (longer side <= 512 px), none found, or a face
                                     found near the smallest size scanned (a crowd). Faces down
                                     to about 25 px; the faces of the fast scan keep their boxes.
                                     HOG scans that second look in colour, as dlib does (each
                                     pixel's strongest channel gradient), the fast scan grey.
                                     Video (streams, trackers) always scans at the fast scale */
    int32_t min_face_size;        /* smallest face wanted, in input pixels (default 80). With
                                     downscale = 0 the image is scanned at min(1, 80/this)
                                     scale: 320 scans a quarter-size image, ~15× faster */
    float downscale;              /* 0: automatic from min_face_size; else the scan scale (0,1] */
    float margin;                 /* box side = (1 + margin) × the detector's face size
                                     (default 0.5), centred on the face */
    float threshold;              /* minimum score to keep (HOG/CNN: dlib's adjust_threshold,
                                     default 0) */
    int32_t max_faces;            /* keep at most this many, largest first (0: all) */
} fs_detector_options;

typedef struct fs_detector fs_detector;

/* Fills *options with the detector defaults, writing exactly `size` bytes.
 * The defaults (HOG, model_path NULL, upsample -1 (automatic), min_face_size 80, downscale 0, margin 0.5,
 * threshold 0, max_faces 0) truncated to size (zeros past the library's own struct),
 * struct_size = size. Pass sizeof *options, as FS_DETECTOR_OPTIONS_INIT(&o) does. options is
 * borrowed. Thread-safe.
 * Errors: INVALID_ARGUMENT (options NULL; size below 8, i.e. struct_size and backend, or over
 * FS_STRUCT_SIZE_MAX); nothing is written then. */
FS_API fs_status fs_detector_options_init(fs_detector_options *options, size_t size);
#define FS_DETECTOR_OPTIONS_INIT(o) fs_detector_options_init((o), sizeof *(o))

/* Creates a detector, loading its model once (HOG ~0.5 s).
 * options NULL means the defaults. *out is NULL on failure.
 * Errors: INVALID_ARGUMENT (out NULL; a bad struct_size; an option out of range: the message
 * names it), UNSUPPORTED (unknown backend; a CPU without the build's instruction set), MODEL (the
 * CNN model or Haar cascade missing, unreadable or of the wrong kind). */
FS_API fs_status fs_detector_create(const fs_detector_options *options, fs_detector **out);
/* Releases a detector (swappers and reenactors made from it keep their own reference).
 * NULL, an already freed detector and a handle of another kind are ignored. Errors: none. */
FS_API void fs_detector_free(fs_detector *detector);

/* Finds the faces of image, largest first.
 * Writes min(found, capacity) faces to faces (which may be NULL when capacity is 0) and the
 * number found to *count. Landmarks are not fitted (num_landmarks = 0). No face is not an error:
 * *count = 0. If more faces were found than capacity, the first `capacity` are written and FS_OK
 * is still returned; compare *count. Thread-safe on a shared detector.
 * Errors: INVALID_ARGUMENT (detector or image not a live handle of its kind; count NULL; faces
 * NULL with capacity > 0; capacity over any array), TOO_LARGE (upsampling would exceed the pixel
 * limit). */
FS_API fs_status fs_detect(const fs_detector *detector, const fs_image *image,
                           fs_face *faces, size_t capacity, size_t *count);

/* ------------------------------------------------------------------------------------------ */
/* Landmarks                                                                                   */
/* ------------------------------------------------------------------------------------------ */

typedef struct fs_landmarker fs_landmarker;

/* Creates a landmarker from a dlib shape predictor (68 or 5 points).
 * model_path NULL: the resolver's shape_predictor_68_face_landmarks.dat (Debian's libdlib-data
 * puts it in /usr/share/dlib). Loading takes ~0.8 s: do it once.
 * Errors: INVALID_ARGUMENT (out NULL), MODEL (missing, even at an explicit path; unreadable; not
 * a shape predictor; neither 68 nor 5 points), UNSUPPORTED (a CPU without the build's
 * instruction set). */
FS_API fs_status fs_landmarker_create(const char *model_path, fs_landmarker **out);
/* Releases a landmarker (handles made from it keep their own reference).
 * NULL, an already freed landmarker and a handle of another kind are ignored. Errors: none. */
FS_API void fs_landmarker_free(fs_landmarker *landmarker);

/* The number of points the landmarker fits: 68 or 5.
 * Errors: none (0 for a NULL, freed or wrong-kind handle). */
FS_API int32_t fs_landmarker_num_points(const fs_landmarker *landmarker);

/* Fits the points inside face->rect and writes face->landmarks and face->num_landmarks.
 * Thread-safe on a shared landmarker.
 * Errors: INVALID_ARGUMENT (landmarker or image not a live handle of its kind; face NULL;
 * face->num_landmarks outside 0–68; face->rect empty, not finite or implausibly large). */
FS_API fs_status fs_landmarks_fit(const fs_landmarker *landmarker, const fs_image *image,
                                  fs_face *face);

/* ------------------------------------------------------------------------------------------ */
/* Alignment                                                                                   */
/* ------------------------------------------------------------------------------------------ */
/*
 * The canonical face is the mean shape of dlib's 68-point model, scaled uniformly and centred so
 * that its inner points (brows, nose, eyes, mouth: 17–67) fit the unit square. An aligned crop of
 * side `size` with `padding` p puts that square at [p·size, (1−p)·size] on both axes.
 */

/* The similarity transform that maps face's landmarks from image pixels to the aligned crop.
 * Rotation + uniform scale + translation, Umeyama's weighted least squares over points 17–67
 * with the eye points 36–47 counted six times, so the eyes land on the template's; for a 5-point
 * face, the eye corners and nose. padding in [0, 0.45]; 0.25 shows the whole face.
 * Errors: INVALID_ARGUMENT (face or out NULL; neither 68 nor 5 landmarks; a landmark not finite
 * or all on one point; size outside 8–4096; padding outside 0–0.45 or not finite). */
FS_API fs_status fs_align_transform(const fs_face *face, int32_t size, float padding,
                                    fs_affine *out);

/* The template's 68 points in crop pixels for (size, padding), into points.
 * Errors: INVALID_ARGUMENT (points NULL; size outside 8–4096; padding outside 0–0.45 or not
 * finite). */
FS_API fs_status fs_align_template(int32_t size, float padding, fs_point points[FS_MAX_LANDMARKS]);

/* Warps image into a new size × size image by transform (bilinear, border replicated).
 * transform maps image pixels to crop pixels (as fs_align_transform gives). Same format as
 * image.
 * Errors: INVALID_ARGUMENT (image not a live fs_image; transform or out NULL; a transform entry
 * not finite; size outside 8–4096). */
FS_API fs_status fs_align_crop(const fs_image *image, const fs_affine *transform, int32_t size,
                               fs_image **out);

/* The inverse of an affine transform, into *out.
 * Errors: INVALID_ARGUMENT (transform or out NULL; an entry not finite; singular). */
FS_API fs_status fs_affine_invert(const fs_affine *transform, fs_affine *out);

/* Applies transform to count points in place.
 * Errors: INVALID_ARGUMENT (transform NULL or an entry not finite; points NULL with count > 0;
 * count over any array). count 0 does nothing. */
FS_API fs_status fs_affine_apply(const fs_affine *transform, fs_point *points, size_t count);

/* ------------------------------------------------------------------------------------------ */
/* Identity                                                                                    */
/* ------------------------------------------------------------------------------------------ */

#define FS_EMBEDDING_SIZE 128

/* dlib's face-recognition ResNet (dlib_face_recognition_resnet_model_v1.dat, from the PyPI
 * package face_recognition_models). Immutable after creation; thread-safe when shared. */
typedef struct fs_recognizer fs_recognizer;
/* Creates a recognizer, loading the ResNet once.
 * model_path NULL: the resolver.
 * Errors: INVALID_ARGUMENT (out NULL), MODEL (missing, even at an explicit path; unreadable; not
 * this network), UNSUPPORTED (a CPU without the build's instruction set). */
FS_API fs_status fs_recognizer_create(const char *model_path, fs_recognizer **out);
/* Releases a recognizer (swappers made with it keep their own reference).
 * NULL, an already freed recognizer and a handle of another kind are ignored. Errors: none. */
FS_API void fs_recognizer_free(fs_recognizer *recognizer);

/* The 128-D identity embedding of a face with 68 (or 5) landmarks, into embedding.
 * Two faces of one person are usually < 0.6 apart (fs_embedding_distance). ~20–50 ms per face on
 * a CPU. Thread-safe on a shared recognizer.
 * Errors: INVALID_ARGUMENT (recognizer or image not a live handle of its kind; face or embedding
 * NULL; face without 68 or 5 landmarks, or with a landmark not finite). */
FS_API fs_status fs_face_embedding(const fs_recognizer *recognizer, const fs_image *image,
                                   const fs_face *face, float embedding[FS_EMBEDDING_SIZE]);

/* The identity of the person in a reference photo, for fs_swap_options.reference.
 * The embedding of the photo's face_index-th largest face (0: the largest), found by detector and
 * fitted by landmarker; set use_reference = 1 to swap only that person. Thread-safe on shared
 * handles.
 * Errors: INVALID_ARGUMENT (a handle not live or of another kind; embedding NULL; face_index
 * negative or not below the number of faces found), NO_FACE (the photo has no face), TOO_LARGE
 * (the detector's upsampling would pass the pixel limit). */
FS_API fs_status fs_reference_embedding(const fs_recognizer *recognizer, const fs_detector *detector,
                                        const fs_landmarker *landmarker, const fs_image *photo,
                                        int32_t face_index, float embedding[FS_EMBEDDING_SIZE]);

/* The Euclidean distance of two embeddings.
 * Errors: none (NaN if either pointer is NULL). */
FS_API float fs_embedding_distance(const float a[FS_EMBEDDING_SIZE], const float b[FS_EMBEDDING_SIZE]);

/* ------------------------------------------------------------------------------------------ */
/* Swapping                                                                                    */
/* ------------------------------------------------------------------------------------------ */

typedef enum fs_convert_mode {
    FS_CONVERT_AFFINE = 0,   /* one global affine map of the source face onto the target's */
    FS_CONVERT_DELAUNAY = 1  /* piecewise-affine over a Delaunay mesh of the landmarks (default) */
} fs_convert_mode;

typedef enum fs_color_mode {
    FS_COLOR_NONE = 0,
    FS_COLOR_MEAN = 1,       /* per-channel mean shift inside the mask: A += mean(B) - mean(A) */
    FS_COLOR_REINHARD = 2,   /* mean and standard deviation matched in Lab (default) */
    FS_COLOR_HISTOGRAM = 3   /* per-channel histogram matching */
} fs_color_mode;

typedef enum fs_blend_mode {
    FS_BLEND_ALPHA = 0,          /* feathered alpha */
    FS_BLEND_POISSON = 1,        /* Poisson cloning by a pyramid-interpolated membrane (fast) */
    FS_BLEND_MULTIBAND = 2,      /* Laplacian-pyramid blending (default) */
    FS_BLEND_POISSON_EXACT = 3   /* OpenCV's seamlessClone: exact, several times slower */
} fs_blend_mode;

typedef struct fs_swap_options {
    uint32_t struct_size;        /* the caller's sizeof(fs_swap_options): set by fs_swap_options_init */
    fs_convert_mode mode;
    fs_color_mode color;
    fs_blend_mode blend;
    float expression;            /* DELAUNAY: 1 = eyes, brows, nose, mouth take the target's shape
                                    and expression; 0 = keep the source's shape (default 0.6) */
    float forehead;              /* raise the mask above the brows by this fraction of the
                                    brow-to-chin height (0–1, default 0.1) */
    float erode;                 /* shrink the mask by this fraction of the face size; negative
                                    grows it (-0.3–0.3, default 0.04) */
    float feather;               /* feather radius, fraction of the face size (0–0.5, default 0.06) */
    int32_t keep_mouth;          /* 1: keep the target's mouth interior (default 1) */
    int32_t face_index;          /* -1: every face in the target (default); N: only the N-th largest */
    int32_t keep_unmatched;      /* 1: a target with no (matching) face is returned unchanged with
                                    0 faces swapped instead of FS_ERR_NO_FACE */
    int32_t use_reference;       /* 1: only swap faces within identity_threshold of reference
                                    (needs a recognizer in fs_swapper_create) */
    float reference[FS_EMBEDDING_SIZE];
    float identity_threshold;    /* default 0.6 */
    /* The last two fields belong to the EXPERIMENTAL tier (see the section at the end): their
       place here is fixed, their meaning is not promised. Only a swapper made by
       fs_swapper_create_learned reads them (documented there); others check them for 0/1. */
    int32_t use_model_mask;      /* experimental tier: learned swapper only (default 0) */
    int32_t keep_model_shape;    /* experimental tier: learned swapper only (default 0) */
    float color_strength;        /* how much of the colour correction `color` applies, 0–1: 0 keeps
                                    the source's own colours, 1 the full match (default 1) */
    int32_t occlusion;           /* 1: keep what covers the target's face (glasses, hands, hair,
                                    microphones) in front of the swapped face: regions inside the
                                    face far from the colour of its own skin (robustly sampled on
                                    cheeks, nose and forehead) that lie mostly outside the eyes,
                                    lips and nostrils are left to the target. Classical and opt-in:
                                    on faces with nothing in front it also keeps 1-9 % of the face
                                    (shadows, make-up) (default 0) */
    float edge_color;            /* 0–1: how much of the low-frequency colour and light match at the
                                    face's edge applies, after `color` (a band inside the mask's
                                    edge takes the surrounding skin's shading and tint; the
                                    interior keeps the global match). With `occlusion` 0, what
                                    crosses the seam and is far from the skin's colour (a beard
                                    or stubble on the jaw, hair at the temple) stays the
                                    target's within the seam's band (the occlusion mask, limited
                                    to the band). Lowers the colour step at the edge
                                    (fs_swap_metrics.edge_step_*) but moves the result's
                                    identity towards the target's (default 0: off) */
    float skin_texture;          /* 0–1: how much of the target's fine skin texture (pores, lines:
                                    the detail finer than a Gaussian of 1.5 % of the eye distance)
                                    replaces the source's on the face's skin, feathered away from
                                    the eyes, brows, nostrils and mouth, which keep the source's;
                                    for a source much smoother or rougher than the target.
                                    With a learned model (fs_swapper_create_learned) 1 gives
                                    the decoder's smooth face fine detail: the band of a real
                                    face of the person it shows, kept in the model file (since
                                    0.21.0), warped onto it and scaled to the target frame's band,
                                    and the target frame's band only for the finest detail
                                    that leaves (in the eyes too; not the brows, nostrils and
                                    lips; a band of 1.75 % of the eye distance; an eye closed
                                    to under half the real face's opening takes none of the
                                    real face's band). Held-out
                                    frames, two pairs, 30-minute models: the face's Laplacian
                                    variance 0.52x -> 1.01x a soft target's and 0.14x -> 0.77x
                                    a sharp one's, ResNet distance to B -0.005 and -0.024. A
                                    model file made before 0.21.0 has no such face until it
                                    resumes training: there the target's band alone (README)
                                    (default 0: off, for learned swappers too) */
} fs_swap_options;

/* Fills *options with the swap defaults, writing exactly `size` bytes.
 * The defaults: DELAUNAY, REINHARD, MULTIBAND, expression 0.6, forehead 0.1, erode 0.04, feather
 * 0.06, keep_mouth 1, every face, keep_unmatched 0, no reference, identity_threshold 0.6,
 * use_model_mask 0, keep_model_shape 0, color_strength 1, occlusion 0, edge_color 0,
 * skin_texture 0; written as fs_detector_options_init does. Pass sizeof *options (FS_SWAP_OPTIONS_INIT(&o)). options is
 * borrowed. Thread-safe.
 * Errors: INVALID_ARGUMENT (options NULL; size below 8 or over FS_STRUCT_SIZE_MAX). */
FS_API fs_status fs_swap_options_init(fs_swap_options *options, size_t size);
#define FS_SWAP_OPTIONS_INIT(o) fs_swap_options_init((o), sizeof *(o))

/* The swapper: conversion + mask + colour + blend settings over a detector and a landmarker
 * (68-point). Immutable after creation; thread-safe when shared. */
typedef struct fs_swapper fs_swapper;
/* Creates a swapper that puts a prepared source face (fs_source_prepare) onto targets.
 * It keeps its own references: the detector, landmarker and recognizer handles may be freed
 * after this call. recognizer may be NULL unless options->use_reference. options NULL means the
 * defaults.
 * Errors: INVALID_ARGUMENT (detector, landmarker, or a non-NULL recognizer, not a live handle of
 * its kind; out NULL; a bad struct_size; an option out of range or a switch not 0/1: the message
 * names it; a reference not finite; use_reference with recognizer NULL), UNSUPPORTED (a mode,
 * color or blend value the header does not name; a 5-point landmarker). */
FS_API fs_status fs_swapper_create(const fs_detector *detector, const fs_landmarker *landmarker,
                                   const fs_recognizer *recognizer, const fs_swap_options *options,
                                   fs_swapper **out);
/* Releases a swapper (sources and streams made from it keep their own reference).
 * NULL, an already freed swapper and a handle of another kind are ignored. Errors: none. */
FS_API void fs_swapper_free(fs_swapper *swapper);

/* A source face prepared once (landmarks, a crop of its pixels, its identity when the swapper
 * has a recognizer) and reused for any number of targets and threads. */
typedef struct fs_source fs_source;
/* Prepares the face_index-th largest face of image (0: the largest) as a source.
 * The image may be freed afterwards.
 * Errors: INVALID_ARGUMENT (swapper or image not a live handle of its kind; out NULL; face_index
 * negative or past the faces found), NO_FACE (the image has none: the message says so),
 * TOO_LARGE (the detector's upsampling, as fs_detect). */
FS_API fs_status fs_source_prepare(const fs_swapper *swapper, const fs_image *image,
                                   int32_t face_index, fs_source **out);
/* The prepared face, in the coordinates of the source image it came from, into *face.
 * Errors: INVALID_ARGUMENT (source not a live fs_source; face NULL). */
FS_API fs_status fs_source_get_face(const fs_source *source, fs_face *face);
/* Releases a source (streams made with it keep their own reference).
 * NULL, an already freed source and a handle of another kind are ignored. Errors: none. */
FS_API void fs_source_free(fs_source *source);

/* Puts the source face onto the chosen faces of target and returns a new image in *out.
 * target is unchanged; *out has its size and format. mask (may be NULL) receives a new GRAY8
 * image of how much of the source each pixel took; faces_swapped (may be NULL) the number of
 * faces replaced. Pixels outside the feathered masks are bit-identical to target's. source may
 * be NULL only with a swapper made by fs_swapper_create_learned, and must be NULL with one
 * (experimental tier: the model converts each face; a source would be unused; also for
 * fs_swap_inplace, fs_swap_face, fs_stream_create, fs_video_swap).
 * Errors: INVALID_ARGUMENT (swapper, source or target not a live handle of its kind, source NULL
 * with a photo swapper or not NULL with a learned one; out NULL), NO_FACE (no face, or none matching face_index or the
 * reference, in target, unless keep_unmatched), TOO_LARGE (the detector's upsampling, as
 * fs_detect). */
FS_API fs_status fs_swap(const fs_swapper *swapper, const fs_source *source, const fs_image *target,
                         fs_image **out, fs_image **mask, size_t *faces_swapped);

/* The faces of target that fs_swap would replace, with their landmarks, largest first.
 * Detected, fitted and chosen by the swapper's options (face_index, the reference) exactly as
 * fs_swap chooses them; nothing is swapped. Written as fs_detect writes (count/capacity); none
 * chosen is not an error (*count = 0). Thread-safe on a shared swapper.
 * Errors: INVALID_ARGUMENT (swapper or target not a live handle of its kind; count NULL; faces
 * NULL with capacity > 0; capacity over any array), TOO_LARGE (the detector's upsampling, as
 * fs_detect). */
FS_API fs_status fs_swap_targets(const fs_swapper *swapper, const fs_image *target, fs_face *faces,
                                 size_t capacity, size_t *count);

/* As fs_swap, writing into target's own pixels (e.g. an fs_image_wrap of a video frame).
 * Errors: INVALID_ARGUMENT, NO_FACE, TOO_LARGE (as fs_swap). */
FS_API fs_status fs_swap_inplace(const fs_swapper *swapper, const fs_source *source,
                                 fs_image *target, size_t *faces_swapped);

/* Replaces one face whose 68 landmarks the caller already has (tracking, own detector).
 * Writes into target; nothing is detected.
 * Errors: INVALID_ARGUMENT (swapper, source or target not a live handle of its kind, source NULL
 * with a photo swapper or not NULL with a learned one; face NULL, without 68 landmarks or with a landmark not finite or
 * implausibly far). */
FS_API fs_status fs_swap_face(const fs_swapper *swapper, const fs_source *source, fs_image *target,
                              const fs_face *face);

/* Shifts every image of set A by mean(B) - mean(A) per colour channel, in place.
 * The classic pre-processing of face sets before training; the means are taken over all pixels
 * of each set. All images must share one colour format (BGR8/RGB8/BGRA8/RGBA8).
 * Errors: INVALID_ARGUMENT (set NULL or empty; a count over 2^24; an entry NULL or not a live
 * fs_image), UNSUPPORTED (mixed or grey formats). */
FS_API fs_status fs_color_mean_shift(fs_image *const *set_a, size_t count_a,
                                     const fs_image *const *set_b, size_t count_b);

/* ------------------------------------------------------------------------------------------ */
/* Quality metrics                                                                             */
/* ------------------------------------------------------------------------------------------ */

typedef struct fs_swap_metrics {
    uint32_t struct_size;       /* the caller sets sizeof(fs_swap_metrics); on return: bytes filled */
    int32_t redetected;         /* 0: no face re-detected in result; landmarks fitted in target's box */
    double identity_to_source;  /* embedding distance of the result's face to the source's (NaN
                                   without a recognizer); a good swap is < identity_to_target */
    double identity_to_target;
    double landmark_error;      /* mean distance of the result's re-detected 68 points to the
                                   target's, over the target's inter-ocular distance */
    double changed_outside;     /* fraction of pixels outside the dilated face regions that differ */
    double seam_score;          /* gradient on the mask outline, result over target (≈ 1: no seam) */
    double edge_step_worst;     /* the colour step the swap adds at the face's edge, in CIE ΔE76:
                                   per sector of 16 around every target face, the step between
                                   rings 0.1–0.3 inter-ocular distances inside and outside the jaw
                                   and raised brows, in result minus in target; the worst sector
                                   of any face (about 2.3 is just noticeable) */
    double edge_step_mean;      /* the same, the mean over every face's sectors */
} fs_swap_metrics;

/* Measures a swap with the swapper's detector, landmarker and recognizer (if any).
 * The images are borrowed; metrics (metrics->struct_size set by the caller) receives at most
 * struct_size bytes, and only on success. Thread-safe on a shared swapper.
 * Errors: INVALID_ARGUMENT (swapper or an image not a live handle of its kind; result and target
 * sizes differ; metrics NULL or its struct_size 0, below 8 or over FS_STRUCT_SIZE_MAX), NO_FACE
 * (target has none). */
FS_API fs_status fs_eval_swap(const fs_swapper *swapper, const fs_image *source,
                              const fs_image *target, const fs_image *result,
                              fs_swap_metrics *metrics);

/* ------------------------------------------------------------------------------------------ */
/* Pictures for people: faces drawn, images side by side, a face before | after                */
/* ------------------------------------------------------------------------------------------ */

/* Draws each face's box (green), detector rectangle (blue) and landmarks (red dots) onto image.
 * In place, on a BGR8 image (fs_image_convert one first); lines and dots grow with images over
 * 800 px. faces (count of them, as fs_detect and fs_landmarks_fit give them) are borrowed; what
 * lies outside the image is clipped. count 0 draws nothing. Writes the image: see Thread safety.
 * Errors: INVALID_ARGUMENT (image not a live fs_image; faces NULL with count > 0; count over
 * 100000; a face's num_landmarks outside 0–68), UNSUPPORTED (image not BGR8). */
FS_API fs_status fs_draw_faces(fs_image *image, const fs_face *faces, size_t count);

/* A new BGR8 image of images[0..count) side by side, left to right, each scaled to one height.
 * Each keeps its aspect ratio (width rounded, at least 1); gap black columns lie between them.
 * height 0 means 512. An image already of that height is copied pixel for pixel. The images are
 * borrowed for the call; *out is freed with fs_image_free.
 * Errors: INVALID_ARGUMENT (images or out NULL; count 0 or over 64; an entry not a live fs_image;
 * height outside 0–FS_MAX_IMAGE_SIDE; gap outside 0–4096), TOO_LARGE (the result over the pixel
 * limits), OUT_OF_MEMORY. */
FS_API fs_status fs_image_montage(const fs_image *const *images, size_t count, int32_t height,
                                  int32_t gap, fs_image **out);

/* One face before | after a swap, to judge its edge: a new BGR8 image in *out.
 * The face's box (the detector's square with its margin, clipped to the image; whole pixels
 * around it) cut from before and from after, side by side with an 8-pixel gap, at 2x when the
 * box's longer side is under 256 px. face is in before's coordinates (fs_swap_targets gives the
 * faces a swap replaced); after has before's size.
 * Errors: INVALID_ARGUMENT (before or after not a live fs_image; their sizes differ; face or out
 * NULL; face's box not finite or outside the image; num_landmarks outside 0–68), TOO_LARGE (the
 * 2x picture over the pixel limits), OUT_OF_MEMORY. */
FS_API fs_status fs_face_compare(const fs_image *before, const fs_image *after, const fs_face *face,
                                 fs_image **out);

/* ------------------------------------------------------------------------------------------ */
/* Video: frame streams and video files                                                        */
/* ------------------------------------------------------------------------------------------ */

typedef struct fs_stream_options {
    uint32_t struct_size;        /* the caller's sizeof(fs_stream_options): set by
                                    fs_stream_options_init */
    int32_t detect_interval;     /* run the detector every N frames (and when a track is lost or
                                    the scene cuts); track landmarks in between (default 5).
                                    While faces are tracked, three such scans in four look only
                                    around them, the fourth at the whole frame: a new face at
                                    least 0.7x the smallest tracked one is tracked within 4N
                                    frames (a smaller one: see "Threads of a call"). A
                                    reenactor, which follows one face, scans the whole frame
                                    only every 23rd such scan while it tracks one. */
    float min_cutoff;            /* One-Euro filter on the landmarks: cutoff in Hz when still
                                    (default 2; 0 turns the filter off) */
    float beta;                  /* how fast the cutoff rises with motion, per inter-ocular
                                    distance per second (default 8) */
    float scene_cut;             /* mean absolute difference (0–255) of consecutive 32×18 grey
                                    thumbnails that counts as a cut: tracks restart (default 28) */
    int32_t threads;             /* threads one fs_stream_push may use to swap the faces of a
                                    frame at the same time (fs_reenactor_push: to warp the photo)
                                    (0–1024; default 0: every core; 1: only the caller's thread,
                                    the periodic sweep for new faces included). See "Threads of a
                                    call" at the top. */
} fs_stream_options;

/* Fills *options with the stream defaults, writing exactly `size` bytes.
 * The defaults: detect_interval 5, min_cutoff 2, beta 8, scene_cut 28, threads 0; written as
 * fs_detector_options_init does. Pass sizeof *options (FS_STREAM_OPTIONS_INIT(&o)). options is
 * borrowed. Thread-safe.
 * Errors: INVALID_ARGUMENT (options NULL; size below 8 or over FS_STRUCT_SIZE_MAX). */
FS_API fs_status fs_stream_options_init(fs_stream_options *options, size_t size);
#define FS_STREAM_OPTIONS_INIT(o) fs_stream_options_init((o), sizeof *(o))

/* A stream swaps the frames of one video in order: detection every N frames, landmark tracking
 * in between (the 68 points re-fitted in the box predicted from the last frame), a temporal
 * filter on the landmarks, scene-cut detection that resets the tracks, one track per face.
 * NOT thread-safe: use one stream per video from one thread at a time (many streams may share
 * one swapper and source across threads). */
typedef struct fs_stream fs_stream;
/* Creates a stream that swaps source onto the frames of one video.
 * It keeps references to swapper and source (they may be freed after this call). options NULL
 * means the defaults.
 * Errors: INVALID_ARGUMENT (swapper or source not a live handle of its kind, source NULL with a
 * photo swapper or not NULL with a learned one; out NULL; a bad struct_size; an option out of
 * range: the message names it). */
FS_API fs_status fs_stream_create(const fs_swapper *swapper, const fs_source *source,
                                  const fs_stream_options *options, fs_stream **out);
/* Releases a stream.
 * NULL, an already freed stream and a handle of another kind are ignored. Errors: none. */
FS_API void fs_stream_free(fs_stream *stream);

/* Swaps the next frame in place.
 * time: the frame's timestamp in seconds (pass a negative value to use frame number / 30).
 * faces_swapped (may be NULL): faces tracked and replaced. A frame without a face is left
 * unchanged (FS_OK, 0 faces).
 * Errors: INVALID_ARGUMENT (stream or frame not a live handle of its kind), TOO_LARGE (the
 * detector's upsampling, as fs_detect). */
FS_API fs_status fs_stream_push(fs_stream *stream, fs_image *frame, double time,
                                size_t *faces_swapped);
/* As fs_stream_push on a caller's pixels (any fs_pixel_format), changed in place.
 * Errors: INVALID_ARGUMENT (stream not a live fs_stream; frame or frame->data NULL; a bad size or
 * stride, as fs_image_wrap), UNSUPPORTED (not an fs_pixel_format), TOO_LARGE (over the pixel
 * limits; the detector's upsampling). */
FS_API fs_status fs_stream_push_view(fs_stream *stream, const fs_image_view *frame, double time,
                                     size_t *faces_swapped);
/* The faces of the last frame with their filtered landmarks (as fs_detect's count/capacity).
 * Errors: INVALID_ARGUMENT (stream not a live fs_stream; count NULL; faces NULL with
 * capacity > 0; capacity over any array). */
FS_API fs_status fs_stream_get_faces(const fs_stream *stream, fs_face *faces, size_t capacity,
                                     size_t *count);
/* Forgets every track and the filters' state (e.g. after seeking).
 * Errors: INVALID_ARGUMENT (stream not a live fs_stream). */
FS_API fs_status fs_stream_reset(fs_stream *stream);
/* Ends the stream; resets the tracks, as fs_stream_reset.
 * This version holds no frame back (the filter is causal), so there is nothing to emit; callers
 * should still call it at the end so that a future look-ahead smoother can return its last
 * frames here.
 * Errors: INVALID_ARGUMENT (stream not a live fs_stream). */
FS_API fs_status fs_stream_flush(fs_stream *stream);

/* Progress of a long operation: return non-zero to cancel it (it then fails with
 * FS_ERR_CANCELLED). total is an estimate and may be 0 when unknown. Called on the caller's
 * thread. */
typedef int (*fs_progress_fn)(void *user, int64_t done, int64_t total);

typedef struct fs_video_options {
    uint32_t struct_size;        /* the caller's sizeof(fs_video_options): set by
                                    fs_video_options_init */
    int32_t crf;                 /* H.264 quality 0 (lossless) – 51 (default 18) */
    const fs_stream_options *stream; /* tracking and smoothing (borrowed for the call; default
                                    NULL: the stream defaults) */
    const char *preset;          /* x264 preset (NULL: "veryfast") */
    int32_t threads;             /* threads the job may use (0–1024; default 0: every core; 1:
                                    only the caller's thread, frame after frame): decoding,
                                    swapping and encoding overlap, and the faces of a frame are
                                    swapped at the same time. Every frame is swapped alike for
                                    every value (x264's bits may differ slightly with its own
                                    thread count). See "Threads of a call" at the top. */
    int32_t reserved;            /* threads' 4-byte partner (growth rule): 0, ignored */
    /* A part of the video (e.g. one chunk of a long film, the parts joined afterwards by a
     * stream copy): frames are numbered from 0 in presentation order, as decoded. */
    int32_t first_frame;         /* the first frame written (0–2^31-1; default 0) */
    int32_t frame_count;         /* frames written from first_frame (0–2^31-1; default 0: to the
                                    end). The last one's duration runs to the next frame's time,
                                    so parts written back to back join with the input's exact
                                    timestamps. */
    int32_t warmup;              /* frames before first_frame tracked but not written (0–1000000;
                                    default 0), so that detection, tracks and the smoothing are
                                    settled at first_frame as in a whole-video job. The frames
                                    before first_frame - warmup are decoded, not swapped (this
                                    version does not seek), and with audio their audio packets
                                    are held until the part starts: for a part far into a long
                                    file, cut a stream copy from a keyframe first (as
                                    faceswap.cluster does). */
    int32_t audio;               /* 1: copy the input's audio (default); for a part, the audio
                                    packets whose time falls in the written frames' span; 0:
                                    video only */
} fs_video_options;

/* Fills *options with the video defaults, writing exactly `size` bytes.
 * The defaults: crf 18, stream NULL, preset NULL, threads 0, first_frame 0, frame_count 0,
 * warmup 0, audio 1 (the whole video with its audio); written as fs_detector_options_init
 * does. Pass sizeof *options (FS_VIDEO_OPTIONS_INIT(&o)). options is borrowed. Thread-safe.
 * Errors: INVALID_ARGUMENT (options NULL; size below 8 or over FS_STRUCT_SIZE_MAX). */
FS_API fs_status fs_video_options_init(fs_video_options *options, size_t size);
#define FS_VIDEO_OPTIONS_INIT(o) fs_video_options_init((o), sizeof *(o))

typedef struct fs_video_stats {
    uint32_t struct_size;        /* the caller sets sizeof(fs_video_stats); on return: bytes filled */
    int64_t frames;              /* frames decoded and written */
    int64_t frames_with_faces;
    int64_t scene_cuts;
    double seconds;              /* wall time */
} fs_video_stats;

/* Swaps the source onto every frame of the video at input_path and writes output_path.
 * output_path: .mp4/.mkv/.mov, H.264, with the same frames and timestamps (variable frame rate
 * kept) and the audio stream copied. A video whose display matrix turns or mirrors its pictures
 * (a phone's portrait video) is read upright, as ffmpeg's tools show it, and written upright with
 * no matrix; a frame of odd width or height is written without its last column or row (H.264
 * 4:2:0 needs even sizes). The output is written to a temporary file in the same
 * folder and renamed only when complete: on error or cancel no output file is left. options
 * (NULL: the defaults) and options->stream are borrowed for the call. progress may be NULL; it
 * is called on the caller's thread once per frame, in order, with done = the frames swapped so
 * far (with more than one thread the encoder may be a few frames behind). stats may be NULL;
 * else its struct_size is checked before any work and it is filled only on success. The
 * swapper's and source's thread rules apply (they may be shared); options->threads says how many
 * threads the job may use (see "Threads of a call").
 * Errors: INVALID_ARGUMENT (swapper or source not a live handle of its kind, source NULL with a
 * photo swapper or not NULL with a learned one; a path NULL; an option out of range, an unknown
 * preset; a bad struct_size of options, options->stream or stats), IO (input missing or unreadable; output folder missing or
 * unwritable, a write failing: disk full), DECODE (input not a video, truncated, undecodable,
 * without a video stream or frames), UNSUPPORTED (output extension not .mp4/.mkv/.mov, or a
 * container that cannot hold H.264 (.webm) or the input's audio (Opus in .mov)),
 * CANCELLED (progress returned non-zero). With a part (first_frame, frame_count), progress counts
 * the frames written (not the warm-up) out of frame_count, and a first_frame at or past the last
 * frame is DECODE, saying how many frames the video has. */
FS_API fs_status fs_video_swap(const fs_swapper *swapper, const fs_source *source,
                               const char *input_path, const char *output_path,
                               const fs_video_options *options, fs_progress_fn progress,
                               void *user, fs_video_stats *stats);

/* ------------------------------------------------------------------------------------------ */
/* Reenactment: a still photo animated by a driving video                                      */
/* ------------------------------------------------------------------------------------------ */

typedef struct fs_reenact_options {
    uint32_t struct_size;        /* the caller's sizeof(fs_reenact_options): set by
                                    fs_reenact_options_init */
    float expression;            /* scale of the driver's expression applied (0–2, default 1) */
    float head_motion;           /* share of the driver's head motion applied (0–2, default 1;
                                    above 1 amplifies it: a head-bob gain) */
    int32_t mouth_fill;          /* an opening mouth's inside (0–2, default 1): 0 off (the
                                    photo's closed lips stretched), 1 synthesised: a dark cavity
                                    and teeth in the photo's own colours and lighting, 2 the
                                    driver's mouth warped in, colour-matched on the lips */
    int32_t side_by_side;        /* fs_reenact_video: write driver | result (default 0) */
    const fs_stream_options *stream; /* fs_reenactor_create: tracking and smoothing of the
                                    driver's face (borrowed for the call; default NULL: the
                                    stream defaults) */
    int32_t crf;                 /* fs_reenact_video: H.264 quality 0 (lossless) – 51 (default 18,
                                    as fs_video_options) */
    const char *preset;          /* fs_reenact_video: x264 preset (NULL: "veryfast") */
    int32_t threads;             /* fs_reenact_video: threads the job may use (as
                                    fs_video_options; default 0: every core) */
    int32_t reserved;            /* threads' 4-byte partner (growth rule): 0, ignored */
} fs_reenact_options;

/* Fills *options with the reenactment defaults, writing exactly `size` bytes.
 * The defaults: expression 1, head_motion 1, mouth_fill 1, side_by_side 0, stream NULL, crf 18,
 * preset NULL, threads 0; written as fs_detector_options_init does. Pass sizeof *options
 * (FS_REENACT_OPTIONS_INIT(&o)). options is borrowed. Thread-safe.
 * Errors: INVALID_ARGUMENT (options NULL; size below 8 or over FS_STRUCT_SIZE_MAX). */
FS_API fs_status fs_reenact_options_init(fs_reenact_options *options, size_t size);
#define FS_REENACT_OPTIONS_INIT(o) fs_reenact_options_init((o), sizeof *(o))

/* A reenactor animates one photo: the driver's landmark motion relative to its neutral frame
 * (the first frame with a face; fs_reenactor_reset picks a new one), with the head pose
 * normalised away (the turn, yaw, by a mean 3-D face fitted to the driver's rigid points; roll,
 * pitch, scale and shift by a similarity), moves the photo's 68 points, scaled by `expression` (above 1 exaggerates;
 * no triangle of the points' mesh flips (but those across the mouth or an eye, which opening
 * may turn over) and no lip or eyelid pair crosses: the moves of the points that would are shrunk); the driver's head motion is applied on top, each point's displacement
 * by it times head_motion, the turn in 3-D (the photo's points lifted with the mean face's depth in
 * the photo's own pose, turned by the driver's yaw times head_motion, projected: the near
 * side widens, the far side narrows); the photo is warped over a mesh pinned to fixed points around the head and
 * on the border (the background stays still); an opening mouth is filled (mouth_fill 1) with a
 * cavity shaded darker toward the back and under the upper lip (the photo's lip colour darkened),
 * upper teeth below the upper lip (the photo's sclera desaturated, scaled by the light at its
 * mouth), lower teeth and a tongue hint only when wide open, none of it read from the driver; or
 * (mouth_fill 2) from the driver's, colour-matched. The jaw and mouth's neutral is the neutral frame's with its mouth closed to the
 * inner-lip gap of the driver's most closed mouth so far (the lower lip raised by the difference,
 * the jaw below the mouth corners by it times their depth below them, the corners by half; only
 * along the face's vertical, so no other frame's jaw outline or head turn comes in); while the
 * neutral frame's inner lips are open by more than 0.05 of the eye distance and no frame has
 * read closed yet, to a gap of 0: a driver that starts mid-word still opens the photo's closed
 * mouth. The mouth fill stays inside the animated inner-lip polygon. Each
 * eye's lid gap is the photo's own times max(0, 1 + expression × (min(the driver's gap over its
 * neutral gap, 2) − 1)) (a closed driver eye closes the photo's); the inner lips never cross.
 * The driver's eyes and mouth are smoothed less than a stream smooths them (a blink lasts 3–5
 * frames). NOT thread-safe (it tracks the driver). */
typedef struct fs_reenactor fs_reenactor;
/* Creates a reenactor that animates photo.
 * The photo is copied (an odd last row/column is dropped, for video encoding). Keeps references
 * to detector and landmarker. options NULL means the defaults.
 * Errors: INVALID_ARGUMENT (detector, landmarker or photo not a live handle of its kind; out
 * NULL; a bad struct_size of options or options->stream; an option out of range; a photo under
 * 16 × 16), NO_FACE (photo without a face), UNSUPPORTED (5-point landmarker), TOO_LARGE (the
 * detector's upsampling, as fs_detect). */
FS_API fs_status fs_reenactor_create(const fs_detector *detector, const fs_landmarker *landmarker,
                                     const fs_image *photo, const fs_reenact_options *options,
                                     fs_reenactor **out);
/* Releases a reenactor.
 * NULL, an already freed reenactor and a handle of another kind are ignored. Errors: none. */
FS_API void fs_reenactor_free(fs_reenactor *reenactor);

/* The photo animated by the next driving frame, as a new BGR8 image of the photo's size in *out.
 * A driving frame without a face gives the photo unchanged. time: seconds (negative: frame
 * number / 30).
 * Errors: INVALID_ARGUMENT (reenactor or driver_frame not a live handle of its kind; out NULL),
 * TOO_LARGE (the detector's upsampling, as fs_detect). */
FS_API fs_status fs_reenactor_push(fs_reenactor *reenactor, const fs_image *driver_frame, double time,
                                   fs_image **out);
/* Forgets the driver: the next frame with a face becomes the new neutral frame.
 * Errors: INVALID_ARGUMENT (reenactor not a live fs_reenactor). */
FS_API fs_status fs_reenactor_reset(fs_reenactor *reenactor);

/* Animates the photo by a whole driving video and writes output_path, atomically.
 * output_path: .mp4/.mkv/.mov, H.264, the photo's size or driver | result side by side, with the
 * driver's timestamps and audio (temporary file + rename; nothing left on error or cancel). The
 * reenactor is reset first: the video's first face is its neutral frame. Of options (NULL: the
 * defaults; borrowed) side_by_side, crf and preset are used: the rest was fixed by
 * fs_reenactor_create. stats as fs_video_swap's. NOT thread-safe on the reenactor.
 * Errors: INVALID_ARGUMENT (reenactor not a live fs_reenactor; a path NULL; a bad struct_size of
 * options or stats; crf out of range, an unknown preset), IO, DECODE, UNSUPPORTED, CANCELLED (as
 * fs_video_swap, for the driving video and output_path). */
FS_API fs_status fs_reenact_video(fs_reenactor *reenactor, const char *driving_path,
                                  const char *output_path, const fs_reenact_options *options,
                                  fs_progress_fn progress, void *user, fs_video_stats *stats);

/* The most photos one fs_reenact_grid_video call animates. */
#define FS_REENACT_GRID_MAX 16

/* Animates several photos by one driving video and writes them tiled in one video, atomically.
 * reenactors[0..count): one per photo, each at most once (borrowed for the call; each keeps its
 * own expression, head_motion and mouth_fill). The driver is tracked ONCE per frame, by
 * reenactors[0]'s tracker (its stream options); every reenactor animates its photo from that one
 * track, so each tile is what fs_reenact_video of that reenactor alone gives when their stream
 * options agree. All are reset first.
 * Layout: the tiles are the driver's frame when options->side_by_side, then the photos in order
 * (their even copies); every tile is scaled to one height H, the smallest photo's height, its
 * width round(w × H / h) rounded down to even (at least 2); `columns` columns (0: ceil(sqrt(tiles));
 * a number at or over the tiles: one row), tile k in row k / columns and column k % columns; each
 * column as wide as its widest tile, a tile centred in its cell (its left offset rounded down to
 * even); 8 black pixels between columns and between rows. The video is sum(column widths) + 8 × (columns
 * − 1) wide and rows × H + 8 × (rows − 1) high: even both ways, for H.264. Photos of different
 * sizes are allowed (scaled as above).
 * As fs_reenact_video: the driver's timestamps and audio, temporary file + rename (nothing left on
 * error or cancel), progress and cancel, stats (frames_with_faces: frames where the driver's face
 * was tracked), and of options only side_by_side, crf, preset and threads. NOT thread-safe on any
 * of the reenactors.
 * Errors: INVALID_ARGUMENT (reenactors NULL; count 0 or over FS_REENACT_GRID_MAX; an entry NULL,
 * not a live fs_reenactor, or one given twice (the message names its index, "reenactors[i]");
 * columns negative; a path NULL; a bad struct_size of options or stats; crf out of range, an
 * unknown preset), TOO_LARGE (the tiled frame over the pixel limits), IO, DECODE, UNSUPPORTED,
 * CANCELLED (as fs_video_swap, for the driving video and output_path). */
FS_API fs_status fs_reenact_grid_video(fs_reenactor *const *reenactors, size_t count, int32_t columns,
                                       const char *driving_path, const char *output_path,
                                       const fs_reenact_options *options, fs_progress_fn progress,
                                       void *user, fs_video_stats *stats);

/* ========================================================================================== */
/* BEGIN EXPERIMENTAL SECTION                                                                  */
/* Learned conversion: extract faces, train the shared-encoder autoencoder, swap with a model   */
/* ========================================================================================== */
/*
 * EXPERIMENTAL: everything from here to the END marker below is outside the compatibility
 * promise (see the top of this header). Functions, structs and their meaning may change or go in
 * any minor version, without an FS_ABI_VERSION bump. Each function is marked FS_EXPERIMENTAL;
 * with FS_WARN_EXPERIMENTAL defined before the #include, GCC and Clang warn at every use.
 * The learned-only fields of fs_swap_options, use_model_mask and keep_model_shape, belong here too;
 * they are documented with fs_swapper_create_learned.
 */

/* Extraction: photos, folders of photos and videos -> aligned square face crops NAME.png, each
 * with a sidecar NAME.json (source, frame, image->crop transform, 68 landmarks in crop pixels,
 * sharpness), skipping blurry faces and near-duplicates. What fs_trainer_create reads. */
typedef struct fs_extract_options {
    uint32_t struct_size;        /* the caller's sizeof(fs_extract_options): set by
                                    fs_extract_options_init */
    int32_t size;                /* crop side, 32–1024 (default 256) */
    float padding;               /* room around the face, 0–0.45 of the crop (default 0.25) */
    float min_sharpness;         /* skip faces whose Laplacian variance is below (default 20; 0: keep) */
    float duplicate_distance;    /* skip faces within this mean grey difference (32x32 thumbnails,
                                    0–255) of one kept from the same input (default 2; 0: keep) */
    int32_t every_nth_frame;     /* videos: every N-th frame (default 1) */
    int32_t max_faces;           /* per image or frame, largest first (default 1) */
} fs_extract_options;

/* Fills *options with the extraction defaults, writing exactly `size` bytes.
 * The defaults: size 256, padding 0.25, min_sharpness 20, duplicate_distance 2, every_nth_frame
 * 1, max_faces 1; written as fs_detector_options_init does. Pass sizeof *options
 * (FS_EXTRACT_OPTIONS_INIT(&o)). options is borrowed. Thread-safe.
 * Errors: INVALID_ARGUMENT (options NULL; size below 8 or over FS_STRUCT_SIZE_MAX). */
FS_EXPERIMENTAL
FS_API fs_status fs_extract_options_init(fs_extract_options *options, size_t size);
#define FS_EXTRACT_OPTIONS_INIT(o) fs_extract_options_init((o), sizeof *(o))

typedef struct fs_extract_stats {
    uint32_t struct_size;        /* the caller sets sizeof(fs_extract_stats); on return: bytes filled */
    int64_t frames;              /* images and video frames looked at */
    int64_t frames_without_face, frames_with_one_face, frames_with_more_faces;
    int64_t faces_found, skipped_blurry, skipped_duplicate, written;
} fs_extract_stats;

/* Extracts the faces of inputs[0..count) (files or folders) into out_dir as aligned crops.
 * out_dir is created if missing. progress may be NULL (done/total count images and frames). On
 * cancel the crops written so far stay (each file is written atomically). options (NULL: the
 * defaults) and the strings are borrowed for the call. stats may be NULL; else its struct_size is
 * checked before any work and it is filled only on success. The detector's and landmarker's
 * thread rules apply.
 * Errors: INVALID_ARGUMENT (detector or landmarker not a live handle of its kind; inputs, an
 * input or out_dir NULL; count 0 or over 1000000; an option out of range; a bad struct_size of
 * options or stats; no image or video among the inputs), IO (an input missing or unreadable;
 * out_dir not creatable or writable), DECODE (an input image or video corrupt or truncated),
 * UNSUPPORTED (5-point landmarker), CANCELLED (progress returned non-zero). */
FS_EXPERIMENTAL
FS_API fs_status fs_extract(const fs_detector *detector, const fs_landmarker *landmarker,
                            const char *const *inputs, size_t count, const char *out_dir,
                            const fs_extract_options *options, fs_progress_fn progress, void *user,
                            fs_extract_stats *stats);

/* A trained model (.fsm file, format documented in the README): one shared encoder and one
 * decoder per person, A and B. Immutable once loaded; thread-safe when shared (each concurrent
 * conversion runs on its own copy of the networks). */
typedef struct fs_model fs_model;
/* Loads a model file (.fsm) for conversion.
 * Errors: INVALID_ARGUMENT (path or out NULL), MODEL (missing, unreadable or a folder, as for
 * every model file the caller names; not a model file, corrupt: checksum, newer format version,
 * unknown architecture, weights not matching it; the message says which), TOO_LARGE (a file over 1 GiB), UNSUPPORTED (a CPU without the
 * build's instruction set). */
FS_EXPERIMENTAL
FS_API fs_status fs_model_load(const char *path, fs_model **out);
/* Releases a model (swappers made from it keep their own reference).
 * NULL, an already freed model and a handle of another kind are ignored. Errors: none. */
FS_EXPERIMENTAL
FS_API void fs_model_free(fs_model *model);

typedef struct fs_model_info {
    uint32_t struct_size;        /* the caller sets sizeof(fs_model_info); on return: bytes filled */
    int32_t size;                /* network input/output side: 64 or 128 */
    int32_t bottleneck;          /* width of the shared code */
    int64_t iterations;          /* trained iterations (one batch of A and one of B each) */
    double seconds;              /* training wall time */
    int64_t encoder_parameters, decoder_parameters; /* per decoder */
    float shift_a[3];            /* B, G, R added to A's faces (mean(B) - mean(A)) */
    char name_a[64], name_b[64]; /* labels given at training (NUL-terminated, truncated) */
    int32_t has_training_state;  /* 1: a checkpoint that fs_trainer_create can resume */
    char backend[128];           /* what runs the networks in this process: "cpu: BLAS PATH
                                    (dlib V)", or with a CUDA build (FS_DLIB_CUDA=1) "cuda: N
                                    device(s), device 0 NAME (...)", or "unavailable: WHY" (a CUDA
                                    build without a usable device); NUL-terminated, truncated */
    int32_t method;              /* an fs_model_kind; the landmark GAN: encoder_parameters 0,
                                    decoder_parameters the generator's, shift_a unused */
    int32_t input_size;          /* the encoder's input side: size, or 64 with size 128 (an
                                    autoencoder whose decoders upscale: faces are aligned at
                                    size and shrunk to 64 px for the encoder). It sits where
                                    the struct ended in padding up to 0.18.0, so struct_size
                                    does not tell it: 0 (an older library) means size */
} fs_model_info;
/* Describes the model in *info.
 * info (info->struct_size set by the caller) receives at most struct_size bytes. Thread-safe on
 * a shared model.
 * Errors: INVALID_ARGUMENT (model not a live fs_model; info NULL or its struct_size 0, below 8 or
 * over FS_STRUCT_SIZE_MAX). */
FS_EXPERIMENTAL
FS_API fs_status fs_model_get_info(const fs_model *model, fs_model_info *info);

/* Draws person B's face from 68 landmarks with a landmark GAN model.
 * The model's fs_model_info.method is FS_MODEL_LANDMARK_GAN; points = x0, y0, ..., x67, y67 in
 * pixels of its size x size aligned crop (size = fs_model_info.size). *out receives the generator's BGR8 face, size x size (free
 * with fs_image_free). Thread-safe on a shared model.
 * Errors: INVALID_ARGUMENT (model not a live fs_model; points or out NULL; a point not finite or
 * more than one crop size outside the crop), MODEL (an autoencoder model: it has no generator). */
FS_EXPERIMENTAL
FS_API fs_status fs_model_generate(const fs_model *model, const float *points, fs_image **out);

/* Creates a reenactor that draws the person of a landmark GAN model instead of animating a photo.
 * The frame: a width x height canvas of plain grey (128) with B's face, generated by the model,
 * where B's neutral head is the model's crop centred, as wide as half the canvas's smaller side.
 * Each driving frame moves B's mean shape (from training) as fs_reenactor_create moves a photo's
 * points: the driver's expression relative to its neutral frame, its head motion on top (both
 * scaled by options); B is generated from those points with their pose removed and composited
 * back where they are (its crop's border feathered). A model that keeps a real face of B (files
 * since 0.21.0) gives the generated face that face's fine band at its own strength, except in an
 * eye closed to under half its opening. A frame without the driver's face shows B's
 * neutral. Use it as any reenactor: fs_reenactor_push, fs_reenact_video (the canvas's size; audio
 * and timestamps kept), fs_reenact_grid_video. options->mouth_fill is not read (the generator
 * draws the mouth). Keeps references to detector, landmarker and model. An odd width or height
 * loses its last column/row (H.264 4:2:0).
 * Errors: INVALID_ARGUMENT (detector, landmarker or model not a live handle of its kind; out NULL;
 * width or height outside 16-4096; a bad struct_size of options or options->stream; an option out
 * of range), MODEL (an autoencoder model: it has no generator), UNSUPPORTED (5-point landmarker). */
FS_EXPERIMENTAL
FS_API fs_status fs_reenactor_create_model(const fs_detector *detector, const fs_landmarker *landmarker,
                                           const fs_model *model, int32_t width, int32_t height,
                                           const fs_reenact_options *options, fs_reenactor **out);

/* Creates a swapper that converts target faces with the model instead of a source photo.
 * Each chosen face is aligned as in training, run through the encoder and decoder B (reverse = 1:
 * decoder A, for B's faces), and the result mapped back through the inverse transform, then
 * masked, colour corrected and blended by options as fs_swapper_create. With such a swapper, pass
 * source = NULL to fs_swap, fs_swap_inplace, fs_swap_face, fs_stream_create and fs_video_swap.
 * Keeps its own references (detector, landmarker, model may be freed). Immutable; thread-safe
 * when shared. Two fields of fs_swap_options are read only here:
 *   use_model_mask    1: also limit the mask to the model's own mask output (default 0: the
 *                     landmark hull alone);
 *   keep_model_shape  1: map the decoded face back by the alignment alone (the decoder's face
 *                     shape); 0 (default): fit 68 points on the decoded face and warp them like
 *                     a photo source's: the jaw onto the target's, the features by `expression`;
 *                     the decoded face's jaw is then fitted again where it is seen (placed once
 *                     on a copy of the face's region, dlib's jaw there against the target's moves
 *                     the source's jaw points; one more placement and 68-point fit per face).
 * With a landmark GAN model (fs_model_info.method FS_MODEL_LANDMARK_GAN) each face's 68 points
 * are retargeted instead: B's mean shape plus the face's offsets from the alignment template (its
 * expression); B is drawn from them (fs_model_generate) and warped onto the face's points;
 * reverse must be 0 and the two fields above are not read.
 * Errors: INVALID_ARGUMENT (detector, landmarker or model not a live handle of its kind; out
 * NULL; reverse not 0 or 1, or 1 with a landmark GAN model; a bad struct_size; an option out of range; use_reference, as a learned
 * swapper has no recognizer), UNSUPPORTED (a mode, color or blend value the header does not name;
 * a 5-point landmarker). */
FS_EXPERIMENTAL
FS_API fs_status fs_swapper_create_learned(const fs_detector *detector, const fs_landmarker *landmarker,
                                           const fs_model *model, int32_t reverse,
                                           const fs_swap_options *options, fs_swapper **out);

/* The learned methods (fs_train_options.method, fs_model_info.method; FS_ENUM_MODEL_KIND). */
typedef enum fs_model_kind {
    FS_MODEL_AUTOENCODER = 0,    /* shared encoder, a decoder per person: swaps A <-> B */
    FS_MODEL_LANDMARK_GAN = 1    /* a generator of person B from landmark maps + a discriminator */
} fs_model_kind;

typedef struct fs_train_options {
    uint32_t struct_size;        /* the caller's sizeof(fs_train_options): set by
                                    fs_train_options_init */
    int32_t size;                /* 64 or 128 (new models; default 64) */
    int32_t batch;               /* faces per identity per iteration, 1–256 (default 16) */
    float learning_rate;         /* Adam (default 0.0002) */
    float l1_weight, ssim_weight, mask_weight; /* default 1, 1, 0.1 */
    float gan_weight;            /* adversarial loss with patch discriminators (default 0: off) */
    float background_weight;     /* pixel-loss weight outside the face mask (default 0.25) */
    uint64_t seed;               /* default 1 */
    int32_t augment;             /* 1: random similarity, flips, colour jitter, random warp (default) */
    int32_t checkpoint_every;    /* iterations between checkpoints (default 250; 0: only at the end) */
    int32_t preview_every;       /* iterations between preview grids (default 100; 0: never) */
    int32_t resume;              /* 1: continue from model_path's checkpoint (its settings win) */
    const char *preview_dir;     /* folder for preview grids (NULL: none) */
    const char *name_a, *name_b; /* labels (NULL: "A", "B") */
    fs_model_kind method;        /* FS_MODEL_AUTOENCODER (default) or FS_MODEL_LANDMARK_GAN, a
                                    generator of B from landmark maps (faces_a may be NULL) */
    int32_t input_size;          /* the network's input side: 0 (default) the same as size; 64
                                    with size 128 and the autoencoder: decoders that upscale a
                                    64-px input to a 128-px face (new models). Since 0.19.0, in
                                    what was the struct's tail padding: a 0.18.0 library does
                                    not read it (fs_model_info.input_size of the model it wrote
                                    then reads 0 or size, not 64) */
} fs_train_options;

/* Fills *options with the training defaults, writing exactly `size` bytes.
 * The defaults: size 64, batch 16, learning_rate 0.0002, weights 1, 1, 0.1, gan 0, background
 * 0.25, seed 1, augment 1, checkpoint_every 250, preview_every 100, resume 0, preview_dir, name_a,
 * name_b NULL, method FS_MODEL_AUTOENCODER, input_size 0; written as fs_detector_options_init does. Pass sizeof *options
 * (FS_TRAIN_OPTIONS_INIT(&o)). options is borrowed. Thread-safe.
 * Errors: INVALID_ARGUMENT (options NULL; size below 8 or over FS_STRUCT_SIZE_MAX). */
FS_EXPERIMENTAL
FS_API fs_status fs_train_options_init(fs_train_options *options, size_t size);
#define FS_TRAIN_OPTIONS_INIT(o) fs_train_options_init((o), sizeof *(o))

/* What fs_trainer_run hands its callback after each iteration (valid during the call only). */
typedef struct fs_train_progress {
    uint32_t struct_size;        /* the library's sizeof(fs_train_progress): a caller built against
                                    a newer header reads a field only if it lies within this */
    int64_t iteration;
    double seconds;              /* training wall time so far (all sessions) */
    float loss_a[6], loss_b[6];  /* total, L1, 1 - SSIM, mask MSE, GAN generator, GAN discriminator */
} fs_train_progress;

/* Called after every iteration on the training thread: return non-zero to stop (the checkpoint is
 * written, then fs_trainer_run fails with FS_ERR_CANCELLED). */
typedef int (*fs_train_fn)(void *user, const fs_train_progress *progress);

/* A trainer over two folders made by fs_extract. Before training, A's faces are shifted by
 * mean(B) - mean(A) per channel (inside the faces). With options->method 1 (the landmark GAN) it
 * trains a generator of B from maps of B's own 68 landmarks (lines per feature group), with a
 * patch discriminator on (map, face) pairs; faces_a may be NULL; the model stores B's mean
 * aligned shape. NOT thread-safe: one thread at a time. */
typedef struct fs_trainer fs_trainer;
/* Creates a trainer over the face folders faces_a and faces_b that writes model_path.
 * model_path (.fsm, with its training state) is written atomically at checkpoints, plus
 * model_path minus ".fsm" (or ".fsg") + ".loss.csv" and ".loss.png". options NULL means the
 * defaults; with options->resume, training continues from model_path's checkpoint.
 * Errors: INVALID_ARGUMENT (a path or out NULL, faces_a only for method 0; a bad struct_size; an
 * option out of range; a folder without extracted faces, or mixing paddings), IO (a faces folder
 * missing or unreadable), DECODE (a crop or sidecar corrupt or not matching), TOO_LARGE (a folder over the
 * face limit), MODEL (to resume, model_path missing, unreadable, not a model or without training
 * state, or of the other method), UNSUPPORTED (a CPU without the build's instruction set; a
 * method the header does not name). */
FS_EXPERIMENTAL
FS_API fs_status fs_trainer_create(const char *faces_a, const char *faces_b, const char *model_path,
                                   const fs_train_options *options, fs_trainer **out);
/* Releases a trainer without writing a checkpoint (call fs_trainer_save first to keep the work).
 * NULL, an already freed trainer and a handle of another kind are ignored. Errors: none. */
FS_EXPERIMENTAL
FS_API void fs_trainer_free(fs_trainer *trainer);
/* Trains `iterations` more iterations or for `seconds`, whichever ends first, then checkpoints.
 * Pass 0 for the one not wanted; iterations at most 100000000. progress may be NULL. Previews
 * and checkpoints are written as the options say.
 * Errors: INVALID_ARGUMENT (trainer not a live fs_trainer; iterations or seconds negative,
 * seconds not finite, both 0, iterations over 100000000), IO (a checkpoint, the loss files or a
 * preview cannot be written), CANCELLED (progress returned non-zero; the checkpoint is
 * written). */
FS_EXPERIMENTAL
FS_API fs_status fs_trainer_run(fs_trainer *trainer, int64_t iterations, double seconds,
                                fs_train_fn progress, void *user);
/* Writes the checkpoint, the loss CSV and plot now.
 * Errors: INVALID_ARGUMENT (trainer not a live fs_trainer), IO (a file cannot be written). */
FS_EXPERIMENTAL
FS_API fs_status fs_trainer_save(fs_trainer *trainer);
/* The number of iterations trained so far (all sessions), into *iteration.
 * Errors: INVALID_ARGUMENT (trainer not a live fs_trainer; iteration NULL). */
FS_EXPERIMENTAL
FS_API fs_status fs_trainer_get_iteration(const fs_trainer *trainer, int64_t *iteration);
/* The preview grid as a new BGR8 image in *out: rows A, A->A, A->B, B, B->B, B->A.
 * Errors: INVALID_ARGUMENT (trainer not a live fs_trainer; out NULL). */
FS_EXPERIMENTAL
FS_API fs_status fs_trainer_preview(fs_trainer *trainer, fs_image **out);
/* Describes the model being trained in *info, as fs_model_get_info (iterations and seconds so far).
 * Errors: INVALID_ARGUMENT (trainer not a live fs_trainer; info NULL or its struct_size 0, below
 * 8 or over FS_STRUCT_SIZE_MAX). */
FS_EXPERIMENTAL
FS_API fs_status fs_trainer_get_model_info(const fs_trainer *trainer, fs_model_info *info);
/* The number of faces the trainer read from faces_a and from faces_b.
 * Errors: INVALID_ARGUMENT (trainer not a live fs_trainer; faces_a or faces_b NULL). */
FS_EXPERIMENTAL
FS_API fs_status fs_trainer_get_face_counts(const fs_trainer *trainer, int64_t *faces_a,
                                            int64_t *faces_b);

/* ========================================================================================== */
/* END EXPERIMENTAL SECTION                                                                    */
/* ========================================================================================== */

#ifdef __cplusplus
}
#endif
#endif /* FACESWAP_H */
