/* Compile-time checks that the public structs keep the layout FS_ABI_VERSION 2 promises.
 * A change that trips one of these is an ABI break: bump FS_ABI_VERSION instead. */
#include "faceswap.h"
#include <stddef.h>

_Static_assert(FS_ABI_VERSION == 2, "these checks describe ABI 2");

/* Value types: fixed within an ABI version. */
_Static_assert(sizeof(fs_point) == 8, "fs_point layout");
_Static_assert(sizeof(fs_rect) == 16, "fs_rect layout");
_Static_assert(sizeof(fs_affine) == 48, "fs_affine layout");
_Static_assert(offsetof(fs_face, landmarks) == 40, "fs_face layout");
_Static_assert(sizeof(fs_face) == 40 + 68 * 8, "fs_face layout");
_Static_assert(offsetof(fs_image_view, stride) == 16, "fs_image_view layout");

/* Structs that grow: struct_size first; they grow only at the end, and none ends in padding (so
 * every size an older header had ends on a field boundary): sizeof == end of the last field.
 * (fs_train_options and fs_model_info ended in 4 bytes of padding in 0.18.0, unchecked here then:
 * 0.19.0's input_size fills them, and FS_ENDS_AT now holds for every struct below.) */
#define FS_ENDS_AT(T, last) (offsetof(T, last) + sizeof(((T *)0)->last) == sizeof(T))
#define FS_SIZE_FIRST(T) (offsetof(T, struct_size) == 0 && sizeof(((T *)0)->struct_size) == 4)

/* Options. The first option follows struct_size at offset 4: the *_options_init minimum is 8. */
_Static_assert(FS_SIZE_FIRST(fs_detector_options) && offsetof(fs_detector_options, backend) == 4 &&
               offsetof(fs_detector_options, model_path) == 8 && sizeof(fs_detector_options) == 40 &&
               FS_ENDS_AT(fs_detector_options, max_faces), "fs_detector_options layout");
_Static_assert(FS_SIZE_FIRST(fs_swap_options) && offsetof(fs_swap_options, mode) == 4 &&
               offsetof(fs_swap_options, reference) == 48 &&
               offsetof(fs_swap_options, identity_threshold) == 48 + 128 * 4 &&
               offsetof(fs_swap_options, use_model_mask) == 564 && offsetof(fs_swap_options, keep_model_shape) == 568 &&
               offsetof(fs_swap_options, color_strength) == 572 && offsetof(fs_swap_options, occlusion) == 576 &&
               offsetof(fs_swap_options, edge_color) == 580 && offsetof(fs_swap_options, skin_texture) == 584 &&
               sizeof(fs_swap_options) == 588 && FS_ENDS_AT(fs_swap_options, skin_texture), "fs_swap_options layout");
_Static_assert(FS_SIZE_FIRST(fs_stream_options) && offsetof(fs_stream_options, detect_interval) == 4 &&
               offsetof(fs_stream_options, threads) == 20 &&
               sizeof(fs_stream_options) == 24 && FS_ENDS_AT(fs_stream_options, threads), "fs_stream_options layout");
_Static_assert(FS_SIZE_FIRST(fs_video_options) && offsetof(fs_video_options, crf) == 4 &&
               offsetof(fs_video_options, stream) == 8 && offsetof(fs_video_options, preset) == 16 &&
               offsetof(fs_video_options, threads) == 24 && offsetof(fs_video_options, first_frame) == 32 &&
               offsetof(fs_video_options, warmup) == 40 && sizeof(fs_video_options) == 48 &&
               FS_ENDS_AT(fs_video_options, audio), "fs_video_options layout");
_Static_assert(FS_SIZE_FIRST(fs_reenact_options) && offsetof(fs_reenact_options, expression) == 4 &&
               offsetof(fs_reenact_options, stream) == 24 && offsetof(fs_reenact_options, crf) == 32 &&
               offsetof(fs_reenact_options, preset) == 40 && offsetof(fs_reenact_options, threads) == 48 &&
               sizeof(fs_reenact_options) == 56 && FS_ENDS_AT(fs_reenact_options, reserved), "fs_reenact_options layout");
_Static_assert(FS_SIZE_FIRST(fs_extract_options) && offsetof(fs_extract_options, size) == 4 &&
               sizeof(fs_extract_options) == 28 && FS_ENDS_AT(fs_extract_options, max_faces), "fs_extract_options layout");
_Static_assert(FS_SIZE_FIRST(fs_train_options) && offsetof(fs_train_options, size) == 4 &&
               offsetof(fs_train_options, seed) == 40 && offsetof(fs_train_options, resume) == 60 &&
               offsetof(fs_train_options, preview_dir) == 64 && offsetof(fs_train_options, method) == 88 &&
               offsetof(fs_train_options, input_size) == 92 && sizeof(fs_train_options) == 96 &&
               FS_ENDS_AT(fs_train_options, input_size), "fs_train_options layout");

/* Outputs the library fills (struct_size set by the caller) or hands to a callback. */
_Static_assert(FS_SIZE_FIRST(fs_swap_metrics) && offsetof(fs_swap_metrics, redetected) == 4 &&
               offsetof(fs_swap_metrics, identity_to_source) == 8 && offsetof(fs_swap_metrics, edge_step_worst) == 48 &&
               sizeof(fs_swap_metrics) == 64 && FS_ENDS_AT(fs_swap_metrics, edge_step_mean), "fs_swap_metrics layout");
_Static_assert(FS_SIZE_FIRST(fs_video_stats) && offsetof(fs_video_stats, frames) == 8 && sizeof(fs_video_stats) == 40 &&
               FS_ENDS_AT(fs_video_stats, seconds), "fs_video_stats layout");
_Static_assert(FS_SIZE_FIRST(fs_extract_stats) && offsetof(fs_extract_stats, frames) == 8 &&
               sizeof(fs_extract_stats) == 72 && FS_ENDS_AT(fs_extract_stats, written), "fs_extract_stats layout");
_Static_assert(FS_SIZE_FIRST(fs_model_info) && offsetof(fs_model_info, size) == 4 &&
               offsetof(fs_model_info, shift_a) == 48 && offsetof(fs_model_info, has_training_state) == 188 &&
               offsetof(fs_model_info, backend) == 192 && offsetof(fs_model_info, method) == 320 &&
               offsetof(fs_model_info, input_size) == 324 && sizeof(fs_model_info) == 328 &&
               FS_ENDS_AT(fs_model_info, input_size), "fs_model_info layout");
_Static_assert(FS_SIZE_FIRST(fs_train_progress) && offsetof(fs_train_progress, iteration) == 8 &&
               offsetof(fs_train_progress, loss_a) == 24 && sizeof(fs_train_progress) == 72 &&
               FS_ENDS_AT(fs_train_progress, loss_b), "fs_train_progress layout");
