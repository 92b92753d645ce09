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
