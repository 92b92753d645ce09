/*
 * frame-pixels.h — how the "Face swap" OBS filter reaches the pixels of an obs_source_frame.
 *
 * libfaceswap's stream swaps faces in place on 8-bit grey, BGR, RGB, BGRA or RGBA pixels. OBS
 * frames come in those (RGBA, BGRA, BGRX, BGR3, Y800: swapped in place, no copy) or in 8-bit
 * YUV (I420, NV12, I422, I444, YUY2, UYVY, YVYU and the alpha variants I40A, I42A, YUVA, whose
 * alpha plane is left alone). A YUV frame takes one conversion: it is converted to a BGR buffer
 * with the frame's own colour matrix (frame->color_matrix, what OBS's shaders use), swapped there,
 * and only the pixels the swap changed are converted back (luma per pixel, chroma per chroma
 * sample from the mean of the pixels it covers), so everything away from the faces stays
 * bit-identical. Other formats (10/12/16-bit YUV, AYUV) are not handled: the filter passes them
 * through and says so in OBS's log.
 */
#pragma once

#include <faceswap.h>
#include <media-io/video-io.h>
#include <obs.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a YUV format keeps its samples: pixel (x, y)'s luma is at
 * data[y_plane] + y * linesize[y_plane] + y_offset + x * y_step, and its chroma sample, shared
 * by the (1 << cx_shift) × (1 << cy_shift) pixels of a block, at
 * data[u_plane] + (y >> cy_shift) * linesize[u_plane] + u_offset + (x >> cx_shift) * u_step
 * (the same for v). All offsets and steps are in bytes. */
typedef struct {
    int y_plane, y_offset, y_step;
    int u_plane, u_offset, u_step;
    int v_plane, v_offset, v_step;
    int cx_shift, cy_shift;
} yuv_layout;

/* How the filter handles a frame format. */
typedef enum {
    PIXELS_UNSUPPORTED = 0, /* passed through untouched */
    PIXELS_IN_PLACE,        /* the stream works on the frame's own bytes (`in_place` says how) */
    PIXELS_YUV              /* converted to BGR and back (`yuv` says where the samples are) */
} pixels_kind;

typedef struct {
    pixels_kind kind;
    fs_pixel_format in_place; /* PIXELS_IN_PLACE */
    yuv_layout yuv;           /* PIXELS_YUV */
} pixels_access;

/* How the filter handles format. */
pixels_access pixels_access_of(enum video_format format);

/* Converts a YUV frame to 8-bit BGR in bgr (frame->width * 3 bytes per row, rows packed), with
 * the frame's colour matrix and range. */
void yuv_to_bgr(const struct obs_source_frame *frame, const yuv_layout *layout, uint8_t *bgr);

/* Writes back into the YUV frame the pixels where bgr differs from before (both packed BGR of
 * the frame's size, as yuv_to_bgr made them): luma of each changed pixel, chroma of each block
 * with a changed pixel. Returns the number of pixels written. */
size_t bgr_changes_to_yuv(struct obs_source_frame *frame, const yuv_layout *layout, const uint8_t *bgr,
                          const uint8_t *before);
