/*
 * fs_shim.h — the private C face of the C++ shim over OpenCV, libjpeg and dlib.
 * Internal to libfaceswap: the Swift core calls these; users never see them.
 *
 * Every function catches every C++ exception. Functions returning int return 0 on success or a
 * public fs_status value on failure, with a message set for fsx_error() on this thread.
 * Pixels are always owned by the caller (the Swift core) and described by an fsx_view; the
 * shim only wraps them in cv::Mat / dlib views for the length of a call.
 */
#ifndef FS_SHIM_H
#define FS_SHIM_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/* format: the public fs_pixel_format values (1 GRAY8, 2 BGR8, 3 RGB8, 4 BGRA8, 5 RGBA8). */
typedef struct fsx_view {
    void *data;
    int32_t width, height;
    size_t stride;
    int32_t format;
} fsx_view;

typedef struct fsx_box { double x, y, w, h, score; } fsx_box;

/* ---- errors and platform (error.cpp) ---- */
void fsx_set_error(const char *message);
const char *fsx_error(void);
/* The status of the last failure on this thread (for functions that return NULL on failure). */
void fsx_set_status(int status);
int fsx_last_status(void);
/* 1 when the CPU runs the instruction set the shim was compiled for. */
int fsx_cpu_supported(void);
const char *fsx_cpu_requirement(void);

/* ---- checksums via zlib (checksum.cpp) ---- */
/* CRC-32 (IEEE 802.3, zlib's crc32) of size bytes, continuing from crc (0 to start). */
uint32_t fsx_crc32(uint32_t crc, const uint8_t *data, size_t size);

/* ---- face sidecar JSON via nlohmann::json (sidecar.cpp) ---- */
#define FSX_SIDECAR_POINTS 68
typedef struct fsx_sidecar {
    int64_t frame; /* video frame index, -1 for a still image */
    int64_t face;  /* index of the face in its image */
    int64_t size;  /* side of the crop (pixels) */
    double padding, sharpness;
    double transform[6];                        /* image -> crop similarity, row-major 2x3 */
    double landmarks[2 * FSX_SIDECAR_POINTS];  /* x0, y0, x1, y1, ... in crop pixels */
} fsx_sidecar;
/* The JSON text of s with source (UTF-8, NUL-terminated), one line. *out is malloc'd
 * (NUL-terminated; *out_size excludes the NUL); release with free(). */
int fsx_sidecar_write(const char *source, const fsx_sidecar *s, char **out, size_t *out_size);
/* Parses a sidecar's text (size bytes). Requires size, padding, transform and 68 landmarks; frame,
 * face, sharpness and source may be missing but must have the right type. DECODE with the reason
 * on anything else. *source is malloc'd (release with free()); NULL on failure. */
int fsx_sidecar_read(const char *text, size_t size, fsx_sidecar *s, char **source);

/* ---- JPEG via libjpeg(-turbo) (codec_jpeg.cpp) ---- */
/* components: 1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK; orientation (may be NULL): the EXIF orientation
 * 1-8 (1 when the file has none). */
int fsx_jpeg_header(const uint8_t *data, size_t size, int32_t *width, int32_t *height,
                    int32_t *components, int32_t *orientation);
/* Decodes into dst (BGR8 or GRAY8, exactly width × height of the header). */
int fsx_jpeg_decode(const uint8_t *data, size_t size, fsx_view dst);
/* Encodes src (GRAY8, BGR8, RGB8, BGRA8, RGBA8). *out is malloc'd; release with free(). */
int fsx_jpeg_encode(fsx_view src, int quality, uint8_t **out, size_t *out_size);

/* ---- other codecs via OpenCV imgcodecs (codec_cv.cpp) ---- */
/* Decodes any format OpenCV reads into an internal buffer, converted to 8-bit GRAY/BGR/BGRA.
 * *handle is released with fsx_decoded_free after fsx_decoded_copy. */
int fsx_cv_decode(const uint8_t *data, size_t size, void **handle, int32_t *width,
                  int32_t *height, int32_t *format);
int fsx_decoded_copy(void *handle, fsx_view dst);
void fsx_decoded_free(void *handle);
/* PNG of src (GRAY8, BGR8 or BGRA8). *out is malloc'd; release with free(). */
int fsx_png_encode(fsx_view src, uint8_t **out, size_t *out_size);

/* ---- pixel operations (imgproc.cpp) ---- */
/* Writes src (BGR8) into dst of any format and the same size; a 4-channel dst keeps its alpha. */
int fsx_write_colour(fsx_view src, fsx_view dst);
/* Converts between any two formats of the same size. */
int fsx_convert(fsx_view src, fsx_view dst);
/* Resizes src into dst (same format) with area averaging when shrinking, bilinear otherwise. */
int fsx_resize(fsx_view src, fsx_view dst);
/* Resizes src into the GRAY8 dst in one pass (what the detectors scan). */
int fsx_resize_gray(fsx_view src, fsx_view dst);
/* dst = src warped by the 2×3 matrix m (src pixels -> dst pixels); bilinear, border replicate. */
int fsx_warp_affine(fsx_view src, fsx_view dst, const double m[6]);
/* Applies EXIF orientation 2..8 from src to dst (dst is width/height swapped for 5..8). */
int fsx_orient(fsx_view src, fsx_view dst, int orientation);
/* Draws a rectangle outline and dots (for --draw). colour is B,G,R. */
int fsx_draw_rect(fsx_view img, double x, double y, double w, double h, const uint8_t bgr[3],
                  int thickness);
int fsx_draw_points(fsx_view img, const float *xy, int count, double radius, const uint8_t bgr[3]);

/* Anti-aliased open polyline through count points; text in OpenCV's Hershey font (baseline y). */
int fsx_draw_polyline(fsx_view img, const float *xy, int count, const uint8_t bgr[3], int thickness);
int fsx_draw_text(fsx_view img, const char *text, double x, double y, double scale, const uint8_t bgr[3]);
/* dst(x, y) = src(map[x, y]) bilinear, border replicate; map_xy: dst.width × dst.height (x, y) pairs. */
int fsx_remap(fsx_view src, fsx_view dst, const float *map_xy);
/* Variance of the Laplacian of a GRAY8 image (a focus measure: low = blurry). */
int fsx_sharpness(fsx_view gray, double *variance);

/* ---- detection (detect_*.cpp) ---- */
/* A detector object (NULL on failure, message set); thread-safe: a scan keeps its state in the call. */
void *fsx_hog_create(void);
/* dlib's HOG scan of a GRAY8 or a 3-channel image (colour: dlib's fHOG takes each pixel's
 * strongest channel gradient; the caller scales it: upsampling and downscaling are resizes), of
 * pyramid levels first_level.. only (level l finds faces of at least 80 × (6/5)^l pixels; 0: all,
 * the faces dlib's object_detector finds), on up to `threads` threads (2: the levels shared
 * between two, the same faces as on one); writes up to capacity boxes, *count = number found. */
int fsx_hog_detect_levels(void *det, fsx_view image, double threshold, int first_level, int threads,
                          fsx_box *boxes, int capacity, int *count);
void fsx_hog_free(void *det);

void *fsx_cnn_create(const char *model_path);
/* Scans a BGR8 image. */
int fsx_cnn_detect(void *det, fsx_view bgr, double threshold, fsx_box *boxes, int capacity,
                   int *count);
void fsx_cnn_free(void *det);

void *fsx_haar_create(const char *cascade_path);
int fsx_haar_detect(void *det, fsx_view gray, int min_size, fsx_box *boxes, int capacity,
                    int *count);
void fsx_haar_free(void *det);

/* ---- landmarks (landmarks.cpp) ---- */
void *fsx_sp_load(const char *model_path);
int fsx_sp_num_parts(const void *sp);
void fsx_sp_free(void *sp);
/* Fits the model inside rect; writes 2 * num_parts floats (x0, y0, x1, y1, ...). Thread-safe. */
int fsx_sp_fit(const void *sp, fsx_view img, const fsx_box *rect, float *xy);
/* Reads the model file's mean shape (dlib's initial_shape, in the unit box) into xy
 * (2 * capacity floats); *parts = the number of points. */
int fsx_sp_mean_shape(const char *model_path, float *xy, int capacity, int *parts);

/* ---- conversion: warps (warp.cpp) ---- */
/* Delaunay triangulation of n points (x0,y0,...) inside [0,w)×[0,h); writes vertex index
 * triples into tri (3 * capacity ints); *count = triangles found. */
int fsx_delaunay(const float *xy, int n, double w, double h, int *tri, int capacity, int *count);
/* Worker threads kept between calls of fsx_warp_piecewise (a reenactor's, frame after frame): at
 * most threads - 1, started as calls want them, used while they make a call faster (on a loaded
 * machine they may not). One call at a time. NULL: out of memory. */
typedef struct fsx_workers fsx_workers;
fsx_workers *fsx_workers_create(int threads);
void fsx_workers_free(fsx_workers *workers);
/* Fills dst (same format as src) with src sampled through a piecewise-affine map: dst pixel p
 * (dst origin at (ox, oy) in target coordinates) inside triangle k of dst_xy takes the source at
 * the affine map of that triangle onto src_xy; pixels outside every triangle use `base`, a
 * 2×3 affine from target to source coordinates (pass ntri = 0 for a purely global warp).
 * valid (GRAY8, dst's size, may have NULL data) receives 255 where the sample lies inside src.
 * Rows are shared with `workers` (NULL: the caller's thread only); the result is the same. */
int fsx_warp_piecewise(fsx_view src, fsx_view dst, fsx_view valid, double ox, double oy,
                       const double base[6], const float *src_xy, const float *dst_xy,
                       const int *tri, int ntri, fsx_workers *workers);

/* Row spans: int32 pairs [x0, x1) per row of a region (x0 >= x1: an empty row), the columns of
 * the face mask; functions taking spans (NULL: whole rows) work only there, widened by margin. */
/* The piecewise-affine warp of fsx_warp_piecewise on the spans only, sampled directly (no maps);
 * where a sample falls outside src, hard and alpha (GRAY8, may have NULL data) are zeroed. */
int fsx_warp_rows(fsx_view src, fsx_view dst, fsx_view hard, fsx_view alpha, const int32_t *spans,
                  int margin, double ox, double oy, const double base[6], const float *src_xy,
                  const float *dst_xy, const int *tri, int ntri);

/* ---- masks (mask.cpp) ---- */
/* The face mask from the convex hull of n points (offset by -ox, -oy), by exact distance to its
 * edge: hard = 255 where more than `erode` px inside (negative: grown outwards), alpha a
 * smoothstep from 0 there to 255 `feather` px further in; spans (H pairs, may be NULL) receive
 * each row's columns where hard > 0. Every pixel of hard and alpha is written. */
int fsx_hull_mask(fsx_view hard, fsx_view alpha, int32_t *spans, const float *xy, int n, double ox,
                  double oy, double erode, double feather);
/* fsx_hull_mask's pixels of a window only: hard and alpha are the window, whose pixel (0, 0) is
 * pixel (wx, wy) of a frame frame_w px wide (the frame fsx_hull_mask would fill); each pixel
 * gets exactly the value fsx_hull_mask gives it in the frame. */
int fsx_hull_mask_window(fsx_view hard, fsx_view alpha, const float *xy, int n, double ox, double oy,
                         double erode, double feather, int frame_w, int wx, int wy);
/* Removes the polygon of n points (the mouth), grown by radius and blurred by sigma, from hard
 * and alpha, working only within the polygon's box. */
int fsx_mouth_cut(fsx_view hard, fsx_view alpha, const float *xy, int n, double ox, double oy,
                  int radius, double sigma);
/* Fills the convex hull of n points (offset by -ox, -oy) with value in a GRAY8 image. */
int fsx_fill_hull(fsx_view mask, const float *xy, int n, double ox, double oy, int value);
/* Fills a polygon (points in order) with value; antialias 0: no fringe of partial values outside
 * the polygon (the anti-aliased fill's fringe reaches ~1.5 px beyond its edges). */
int fsx_fill_poly(fsx_view mask, const float *xy, int n, double ox, double oy, int value, int antialias);
/* Erodes (radius < 0) or dilates (radius > 0) a GRAY8 mask in place with an elliptic kernel. */
int fsx_morph(fsx_view mask, int radius);
/* Gaussian blur of a GRAY8 image in place. */
int fsx_blur(fsx_view mask, double sigma);
/* This thread's scratch buffer `slot` (0..7) of at least `bytes`, zeroed when `zero` (else it holds
 * whatever the last user left), or NULL when out of memory or slot is out of range. Valid on this
 * thread until its next call for the same slot; kept for the thread's lifetime (the face stages
 * reuse them instead of allocating and clearing fresh pages for every face). */
void *fsx_scratch(int slot, size_t bytes, int zero);
/* mask = min(mask, other). */
int fsx_mask_and(fsx_view mask, fsx_view other);
/* mask = max(mask, other). */
int fsx_mask_or(fsx_view mask, fsx_view other);
/* mask = mask * (255 - other) / 255, rounded (removes other). */
int fsx_mask_subtract(fsx_view mask, fsx_view other);
/* fsx_mask_subtract of `other` from both a and b (same sizes). */
int fsx_mask_subtract2(fsx_view a, fsx_view b, fsx_view other);
/* Tuning of fsx_occlusion_mask; lengths in pixels of the reduced size. */
typedef struct fsx_occlusion_params {
    double threshold;     /* distance from the skin model (robust sigma) beyond which a pixel is not skin */
    double light_weight;  /* weight of the lightness distance (relative to the fitted shading plane) */
    double min_sigma_ab;  /* floor of the chroma spread (Lab units) */
    double min_sigma_l;   /* floor of the lightness spread (Lab units) */
    double patch;         /* side of a skin sample patch */
    double min_area;      /* an occluder has at least this many pixels outside the features */
    double margin;        /* the occluder grown by this much */
    double ramp;          /* then a ramp ~2 ramp wide outwards */
} fsx_occlusion_params;
/* The occluders of a face (glasses, hands, hair, microphones) in a BGR8 region `img` whose face
 * mask is `face` (GRAY8, same size). Worked at the reduced size of `samples` (GRAY8 > 127: where
 * the skin is sampled) and `features` (GRAY8: 255 eyes, lips, nostrils; 128 brows; 0 none), both drawn by
 * the caller at that size; out (GRAY8, the region's size) is 255 on the occluders with a ramp
 * outwards, 0 elsewhere. Only out's pixels inside the box written to box[0..3] (x, y, width,
 * height) are written: out is 0 outside it (whatever it holds there). Nothing covers the face,
 * or too few skin samples: an empty box (width and height 0), out not written. */
int fsx_occlusion_mask(fsx_view img, fsx_view face, fsx_view samples, fsx_view features,
                       const fsx_occlusion_params *params, fsx_view out, int32_t box[4]);

/* ---- skin texture (texture.cpp) ---- */
/* face (the warped source, BGR8 or grey) takes ref's fine detail instead of its own where weight
 * (GRAY8, same size) is nonzero: face += weight/255 · strength · (hp(ref) − hp(face)), hp(x) = x
 * minus its Gaussian blur of sigma pixels, per channel; only the box of weight's nonzero pixels is
 * read (widened by 3 sigma) and written; the bands in 16-bit fixed point. With a detail image
 * (data not NULL; same size as face): where detail_weight is set, detail's band scaled by
 * kE = min(1, sqrt(eT / eD)) (eT, eD: the target's and the detail's band energy in the light, where
 * detail_weight > 127) takes the place of face's, and the target's band (where weight is set) comes
 * in only by kT = sqrt(max(0, 1 − (lF + kE² lD) / lT)), lX: the energy there of the 3x3 Laplacian
 * of the light of face's low band, of detail and of ref: the finest detail the two leave. */
int fsx_skin_texture(fsx_view face, fsx_view ref, fsx_view weight, fsx_view detail, fsx_view detail_weight,
                     double sigma, double strength);

/* ---- colour (colour.cpp) ---- */
/* Changes src's colours inside mask (GRAY8 > 127) to match ref's inside the same mask.
 * mode 1: per-channel mean shift; 2: Reinhard mean/std in Lab; 3: per-channel histogram match. */
int fsx_color_transfer(fsx_view src, fsx_view ref, fsx_view mask, int mode);
/* Reinhard (mode 2) on the spans (widened by margin) of src, statistics of src and ref where
 * mask > 127; the result mixed with src's own colours by strength (0..1). Other modes: as
 * fsx_color_transfer over the whole image, then mixed. */
int fsx_color_transfer_rows(fsx_view src, fsx_view ref, fsx_view mask, const int32_t *spans,
                            int margin, int mode, double strength);
/* The seam's low-frequency colour and light match, after the global transfer: src (on its spans,
 * widened by margin) takes the Lab difference ref - src on a grid of sigma/3-pixel cells, smoothed
 * by a normalised Gaussian of sigma pixels over the mask's outer band (cells within band pixels
 * of its outline; textured cells whose lightness differs by 25 or more left out), weighted 1 at
 * the mask's edge to 0 at band pixels in, times strength; applied as each cell's offset in bytes,
 * interpolated. 1-2 channel images are left as they are. */
int fsx_color_edge(fsx_view src, fsx_view ref, fsx_view mask, const int32_t *spans, int margin,
                   double band, double sigma, double strength);
/* The colour step a swap adds at one face's edge (xy: its 68 landmarks, x y pairs): per sector
 * of 16, the ΔE76 between the mean Lab of rings 0.1-0.3 inter-ocular distances inside and
 * outside the jaw + raised-brow hull, in result minus the same in target (NaN: a ring with
 * fewer than 8 pixels). target and result: the same size and 3-4 channel format. */
int fsx_edge_steps(fsx_view target, fsx_view result, const double *xy, double out[16]);
/* Sums each channel (and counts pixels) of img, optionally inside mask (NULL data: everywhere). */
int fsx_channel_sums(fsx_view img, fsx_view mask, double sums[4], double *pixels);
/* img += delta per channel (saturating). */
int fsx_add_channels(fsx_view img, const double delta[4]);

/* ---- blending (blend.cpp) ---- */
/* Blends src into dst (same size and format) by alpha (GRAY8, 0..255).
 * mode 0: alpha; 1: Poisson by membrane (smooth boundary correction, pyramid interpolated);
 * 2: multiband (Laplacian pyramid); 3: Poisson exact (OpenCV seamlessClone, hard = binary mask).
 * Pixels where alpha == 0 (and, for 3, hard == 0) are left untouched. */
int fsx_blend(fsx_view src, fsx_view dst, fsx_view alpha, fsx_view hard, int mode);
/* fsx_blend on the spans only: mode 0 (alpha) and 2 (multiband, its low band taken over hard's
 * pixels only, on a grid fixed in the image: the region's origin there is (ox, oy)); other
 * modes as fsx_blend. */
int fsx_blend_rows(fsx_view src, fsx_view dst, fsx_view alpha, fsx_view hard, const int32_t *spans,
                   int ox, int oy, int mode);
/* Mean gradient magnitude of img (grey) on the pixels where band (GRAY8) > 0; *n = their count. */
int fsx_gradient_on(fsx_view img, fsx_view band, double *mean, double *n);
/* Counts pixels that differ between a and b where mask > 0 (mask NULL data: everywhere). */
int fsx_count_diff(fsx_view a, fsx_view b, fsx_view mask, double *differ, double *total);

/* ---- video files via libavformat/libavcodec (video.cpp) ---- */
typedef struct fsx_video_info {
    int32_t width, height;   /* the frames' size as shown: a stream whose display matrix turns its
                                pictures by a quarter is read turned upright (fsx_vreader_next) */
    int64_t frames;          /* from the container; may be 0 when unknown */
    double fps;              /* average frame rate */
    double duration;         /* seconds */
    int32_t has_audio;
} fsx_video_info;
/* The CPUs this process may run on (its affinity mask; at least 1). */
int fsx_cpu_count(void);
/* Opens a video file for decoding into BGR8 frames; NULL on failure (message set). threads: the
 * decoder's own threads (0: libavcodec's choice, 1: none). The reader and its writer may be used
 * from two threads (next on one, write on the other): the audio they share is locked. */
void *fsx_vreader_open(const char *path, fsx_video_info *info, int threads);
/* Decodes the next frame into dst (BGR8, the video's size), turned and mirrored as the stream's
 * display matrix says (upright, as ffmpeg shows it). *eof = 1 when there is none left.
 * *pts and *duration are in the stream's time base; *seconds is pts in seconds. decoded (may be
 * NULL): set to the decoded picture itself when it is limited-range YUV 4:2:0 (a reference to the
 * decoder's buffer, or its samples turned upright; freed by fsx_vframe_free), else to NULL; see
 * fsx_vwriter_write. */
int fsx_vreader_next(void *reader, fsx_view dst, int64_t *pts, int64_t *duration, double *seconds, int *eof,
                     void **decoded);
void fsx_vreader_close(void *reader);
/* Frees a decoded picture of fsx_vreader_next (NULL: nothing). Any thread. */
void fsx_vframe_free(void *decoded);
/* The audio a writer copies from its reader: none; all of it; or only the packets whose time falls
 * in the span of the frames written (first frame's time up to the last one's end; a part of a video). */
#define FSX_AUDIO_NONE 0
#define FSX_AUDIO_ALL 1
#define FSX_AUDIO_SPAN 2
/* Opens an encoder writing path (container from the extension): H.264 (libx264, CRF `crf`,
 * preset `preset`) of width × height (0: the reader's size; frames of an odd width or height are
 * encoded without their last column or row), the reader's video time base and
 * frame rate, and the reader's audio stream copied unchanged as `audio` (FSX_AUDIO_*) says.
 * threads: x264's threads (0: its own choice, 1: none). */
void *fsx_vwriter_open(const char *path, void *reader, int width, int height, int crf, const char *preset,
                       int threads, int audio);
/* Encodes one BGR8 frame with the reader's pts/duration (so every timestamp is kept), and writes
 * the audio packets the reader has read so far. decoded (may be NULL): the frame's decoded picture
 * (fsx_vreader_next) when only `nregions` rectangles of it were changed (regions: x, y, width,
 * height each, in pixels): then the picture is encoded as decoded, with only those rectangles
 * (widened to even edges) converted from `frame`; used when its size and format are the encoder's,
 * else (and with decoded NULL) the whole of `frame` is converted. */
int fsx_vwriter_write(void *writer, fsx_view frame, void *decoded, const int32_t *regions, int nregions,
                      int64_t pts, int64_t duration);
/* Flushes the encoder, writes the remaining audio and the trailer; frees the writer. */
int fsx_vwriter_finish(void *writer);
/* Frees a writer without finishing (the file is incomplete; the caller deletes it). */
void fsx_vwriter_abort(void *writer);

/* ---- identity (recognize.cpp) ---- */
void *fsx_frnet_create(const char *model_path);
/* 128-D embedding of the face whose 68 or 5 landmarks are given (dlib's chip + ResNet). */
int fsx_frnet_embed(void *net, fsx_view bgr, const float *xy, int n, float out[128]);
void fsx_frnet_free(void *net);


/* ---- learned conversion: shared encoder, decoders A and B, patch discriminators (autoencoder.cpp) ----
 * Tensors are NCHW float in [0, 1], channels B, G, R; inputs n × 3 × I × I, targets n × 3 × S × S,
 * masks n × 1 × S × S, outputs n × 4 × S × S (B, G, R, mask). Input side I × output side S: 64 × 64,
 * 128 × 128, or 64 × 128 (the decoders upscale). Not thread-safe, but for fsx_ae_run
 * with pooled = 1 (any number of threads, on a model no longer being trained). */
typedef struct fsx_ae_hyper {
    float learning_rate;
    float l1_weight, ssim_weight, mask_weight, gan_weight;
    /* pixel weight outside the face mask (1 inside) */
    float background_weight;
} fsx_ae_hyper;
#define FSX_AE_LOSSES 6 /* total, l1, 1 - ssim, mask mse, gan (generator), gan (discriminator) */
void *fsx_ae_create(int input, int size, uint64_t seed);
void *fsx_ae_load(int input, int size, const uint8_t *data, size_t length, int training);
void fsx_ae_free(void *ae);
/* which: 0 = identity A, 1 = B. output (optional): the decoder's n × 4 × S × S before the update. */
int fsx_ae_train_step(void *ae, int which, const float *input, const float *target, const float *mask, int n,
                      const fsx_ae_hyper *hyper, float losses[FSX_AE_LOSSES], float *output);
int fsx_ae_run(void *ae, int which, const float *input, int n, float *output, int pooled);
/* parameters: encoder, one decoder (the landmark GAN: its generator), one discriminator */
int fsx_ae_counts(void *ae, int64_t out[3]);
/* *text malloc'd (free()): the layers as dlib prints them */
int fsx_ae_describe(void *ae, char **text);
/* training = 1 adds the discriminators and the optimiser state; *out malloc'd (free()). */
int fsx_ae_save(void *ae, int training, uint8_t **out, size_t *size);

/* ---- the landmark-driven generator (landmark_gan.cpp) ---- */
/* A U-Net generator from a landmark map (n × FSX_LGAN_CHANNELS × S × S) to n × 4 × S × S (B, G, R,
 * mask), with a patch discriminator on (map, face). Its handle is a learned model like the
 * autoencoder's: fsx_ae_train_step (input = maps; which ignored), fsx_ae_run, fsx_ae_save,
 * fsx_ae_counts (encoder 0, generator, discriminator), fsx_ae_describe and fsx_ae_free serve it. */
#define FSX_LGAN_CHANNELS 5 /* line drawings of: jaw, brows, nose, eyes, lips */
void *fsx_lgan_create(int size, uint64_t seed);
void *fsx_lgan_load(int size, const uint8_t *data, size_t length, int training);
/* Renders n faces' 68 points (x, y in S × S network pixels, n × 136 doubles) into out
 * (n × FSX_LGAN_CHANNELS × size × size floats in 0…1), anti-aliased lines per feature group. */
int fsx_lgan_render(const double *points, int n, int size, float *out);

/* ---- which device runs the networks (backend.cpp) ---- */
/* "cpu: BLAS /path/libopenblasp-r0.3.21.so (dlib 19.24.0)" or "cuda: 1 device(s), device 0 NAME (...)",
 * truncated to size; *is_cuda 1 for a shim built against a CUDA dlib (FS_DLIB_CUDA=1). */
int fsx_dnn_backend(char *out, size_t size, int *is_cuda);

/* ---- measurement: dense optical flow (flow.cpp) ---- */
/* Mean magnitude (pixels) of the dense optical flow from a to b (same size; grey is used) over the
 * pixels where mask (GRAY8, same size; NULL: all) is non-zero; mean_dx/dy (optional) its mean
 * vector. Pyramidal iterative Lucas–Kanade, Gaussian window (imgproc only), on the images' texture
 * (minus a σ = 6 px blur); flicker (optional): the mean absolute change of the blurred grey
 * images (0–255), the smooth change of brightness the flow leaves out. */
int fsx_flow_mean(fsx_view a, fsx_view b, const fsx_view *mask, double *mean_magnitude, double *mean_dx,
                  double *mean_dy, double *flicker);

#ifdef __cplusplus
}
#endif
#endif
