/* Compile-time checks that the public structs keep the layout FS_ABI_VERSION 1 promises.
 * A change that trips one of these is an ABI break: bump FS_ABI_VERSION instead. */
#include "faceswap.h"
#include <stddef.h>

_Static_assert(sizeof(fs_point) == 8, "fs_point layout");
_Static_assert(sizeof(fs_rect) == 16, "fs_rect layout");
_Static_assert(sizeof(fs_affine) == 48, "fs_affine layout");
_Static_assert(offsetof(fs_face, landmarks) == 40, "fs_face layout");
_Static_assert(sizeof(fs_face) == 40 + 68 * 8, "fs_face layout");
_Static_assert(offsetof(fs_image_view, stride) == 16, "fs_image_view layout");
_Static_assert(offsetof(fs_detector_options, backend) == 4, "fs_detector_options layout");
_Static_assert(offsetof(fs_swap_options, reference) == 48, "fs_swap_options layout");
_Static_assert(sizeof(fs_swap_metrics) == 48, "fs_swap_metrics layout");
/* Options structs grow only at the end (struct_size tells the library which fields a caller has). */
_Static_assert(offsetof(fs_swap_options, identity_threshold) == 48 + 128 * 4, "fs_swap_options layout");
_Static_assert(offsetof(fs_swap_options, use_model_mask) == 564, "fs_swap_options layout");
_Static_assert(offsetof(fs_swap_options, keep_model_shape) == 568, "fs_swap_options layout");
_Static_assert(sizeof(fs_swap_options) == 572, "fs_swap_options layout");
/* Learned conversion. */
_Static_assert(sizeof(fs_extract_options) == 28, "fs_extract_options layout");
_Static_assert(sizeof(fs_extract_stats) == 64, "fs_extract_stats layout");
_Static_assert(offsetof(fs_model_info, shift_a) == 40 && offsetof(fs_model_info, has_training_state) == 180,
               "fs_model_info layout");
_Static_assert(offsetof(fs_train_options, seed) == 40 && offsetof(fs_train_options, preview_dir) == 64 &&
               offsetof(fs_train_options, resume) == 88 && sizeof(fs_train_options) == 96, "fs_train_options layout");
_Static_assert(offsetof(fs_train_progress, loss_a) == 16 && sizeof(fs_train_progress) == 64, "fs_train_progress layout");
