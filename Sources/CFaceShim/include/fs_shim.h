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
/* 1 when the CPU runs the instruction set the shim was compiled for. */
int fsx_cpu_supported(void);
const char *fsx_cpu_requirement(void);

/* ---- JPEG via libjpeg(-turbo) (codec_jpeg.cpp) ---- */
/* components: 1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK. */
int fsx_jpeg_header(const uint8_t *data, size_t size, int32_t *width, int32_t *height,
                    int32_t *components);
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

/* ---- detection (detect_*.cpp) ---- */
/* A detector object; thread-safe: it keeps a pool of scanners, one per concurrent call. */
void *fsx_hog_create(void);
/* Scans a GRAY8 image (the caller scales it: upsampling and downscaling are resizes); writes
 * up to capacity boxes, *count = number found. Returns NULL on failure (message set). */
int fsx_hog_detect(void *det, fsx_view gray, double threshold, fsx_box *boxes, int capacity,
                   int *count);
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

#ifdef __cplusplus
}
#endif
#endif
