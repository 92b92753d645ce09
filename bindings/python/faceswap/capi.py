"""Low-level ctypes mirror of include/faceswap.h.

This module finds and loads libfaceswap, checks its ABI version, mirrors the header's structs
with ``ctypes.Structure`` and declares ``argtypes``/``restype`` for every exported function.
Most users want the high-level API in :mod:`faceswap`; this module is public for callers (and
tests) that need to reach the C API directly::

    from faceswap import capi
    img = ctypes.c_void_p()
    status = capi.lib.fs_image_load(b"x.jpg", ctypes.byref(img))

Structs that grow (ABI 2): an options struct is made by :func:`new_options` (its
``fs_*_options_init`` fills it at this binding's size); an output struct the library fills
(``fs_model_info``, ``fs_swap_metrics``, ``fs_video_stats``, ``fs_extract_stats``) sets its
``struct_size`` to its own size when created, as the header asks of every caller::

    opts, status = capi.new_options(capi.fs_detector_options)
    stats = capi.fs_video_stats()          # stats.struct_size == ctypes.sizeof(stats)

Finding the library, in order:

1. the environment variable ``FACESWAP_LIBRARY`` (full path of ``libfaceswap.so``);
2. ``libfaceswap.so`` in this package's own folder (copy it there to ship it with the package,
   with ``libfaceswap-video.so``: the library loads that module from its own folder for video);
3. the system's library path: ``ctypes.util.find_library("faceswap")``, ``libfaceswap.so.0``,
   ``libfaceswap.so``, then ``/usr/local/lib/libfaceswap.so.0`` and ``/usr/lib/libfaceswap.so.0``
   (where ``make install`` puts it, in case ldconfig has not run).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import enum
import os
from ctypes import (
    POINTER,
    Structure,
    c_char,
    c_char_p,
    c_double,
    c_float,
    c_int,
    c_int32,
    c_int64,
    c_size_t,
    c_uint,
    c_uint32,
    c_void_p,
)

__all__ = [
    "ABI_VERSION",
    "LibraryNotFoundError",
    "Status",
    "PixelFormat",
    "Codec",
    "DetectorBackend",
    "fs_image_view",
    "fs_point",
    "fs_rect",
    "fs_affine",
    "fs_face",
    "fs_detector_options",
    "ConvertMode",
    "ColorMode",
    "BlendMode",
    "EnumKind",
    "OptionsKind",
    "OptionType",
    "fs_option_info",
    "fs_swap_options",
    "fs_swap_metrics",
    "EMBEDDING_SIZE",
    "fs_stream_options",
    "fs_video_options",
    "fs_video_stats",
    "fs_progress_fn",
    "fs_reenact_options",
    "fs_extract_options",
    "fs_extract_stats",
    "fs_model_info",
    "fs_train_options",
    "fs_train_progress",
    "fs_train_fn",
    "new_options",
    "STRUCT_SIZE_MAX",
    "lib",
    "library_path",
    "MAX_LANDMARKS",
    "MAX_IMAGE_SIDE",
    "MAX_IMAGE_PIXELS",
]

#: The FS_ABI_VERSION this binding was written against.
ABI_VERSION = 2

#: FS_STRUCT_SIZE_MAX: the largest struct_size the library accepts.
STRUCT_SIZE_MAX = 65536

MAX_LANDMARKS = 68
MAX_IMAGE_SIDE = 32768
MAX_IMAGE_PIXELS = 1 << 28
EMBEDDING_SIZE = 128


# --------------------------------------------------------------------------------------------
# Enums (the header's values)
# --------------------------------------------------------------------------------------------

class Status(enum.IntEnum):
    OK = 0
    INVALID_ARGUMENT = 1
    UNSUPPORTED = 2
    TOO_LARGE = 3
    DECODE = 4
    IO = 5
    MODEL = 6
    NO_FACE = 7
    OUT_OF_MEMORY = 8
    CANCELLED = 9
    BUFFER_TOO_SMALL = 10
    INTERNAL = 11


class PixelFormat(enum.IntEnum):
    GRAY8 = 1
    BGR8 = 2
    RGB8 = 3
    BGRA8 = 4
    RGBA8 = 5


class Codec(enum.IntEnum):
    AUTO = 0
    JPEG = 1
    PNG = 2


class DetectorBackend(enum.IntEnum):
    HOG = 0
    CNN = 1
    HAAR = 2


class ConvertMode(enum.IntEnum):
    AFFINE = 0
    DELAUNAY = 1


class ColorMode(enum.IntEnum):
    NONE = 0
    MEAN = 1
    REINHARD = 2
    HISTOGRAM = 3


class BlendMode(enum.IntEnum):
    ALPHA = 0
    POISSON = 1
    MULTIBAND = 2
    POISSON_EXACT = 3


class EnumKind(enum.IntEnum):
    """fs_enum_kind: the enum that fs_enum_name / fs_enum_parse / fs_enum_value_at describe."""
    STATUS = 1
    PIXEL_FORMAT = 2
    CODEC = 3
    DETECTOR_BACKEND = 4
    CONVERT_MODE = 5
    COLOR_MODE = 6
    BLEND_MODE = 7


class OptionsKind(enum.IntEnum):
    """fs_options_kind: the options struct that fs_option_describe / fs_option_find describe."""
    DETECTOR = 1
    SWAP = 2
    STREAM = 3
    VIDEO = 4
    REENACT = 5
    EXTRACT = 6
    TRAIN = 7


class OptionType(enum.IntEnum):
    """fs_option_type: what fs_option_info.type says an option holds."""
    INT = 1
    FLOAT = 2
    BOOL = 3
    ENUM = 4
    STRING = 5


# C enums are passed as int (their values all fit in a C int on every ABI we target).
fs_status = c_int
fs_pixel_format = c_int
fs_codec = c_int
fs_detector_backend = c_int
fs_convert_mode = c_int
fs_color_mode = c_int
fs_blend_mode = c_int


# --------------------------------------------------------------------------------------------
# Structs (same field order and types as faceswap.h)
# --------------------------------------------------------------------------------------------

class _Output(Structure):
    """An output struct the library fills: struct_size (its first field) is set to the struct's
    size on creation, so the library writes at most that many bytes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.struct_size = ctypes.sizeof(self)


class fs_image_view(Structure):
    _fields_ = [
        ("data", c_void_p),
        ("width", c_int32),
        ("height", c_int32),
        ("stride", c_size_t),
        ("format", fs_pixel_format),
    ]


class fs_point(Structure):
    _fields_ = [("x", c_float), ("y", c_float)]


class fs_rect(Structure):
    _fields_ = [("x", c_float), ("y", c_float), ("width", c_float), ("height", c_float)]


class fs_affine(Structure):
    _fields_ = [("m", c_double * 6)]


class fs_face(Structure):
    _fields_ = [
        ("box", fs_rect),
        ("rect", fs_rect),
        ("score", c_float),
        ("num_landmarks", c_int32),
        ("landmarks", fs_point * MAX_LANDMARKS),
    ]


class fs_detector_options(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("backend", fs_detector_backend),
        ("model_path", c_char_p),
        ("upsample", c_int32),
        ("min_face_size", c_int32),
        ("downscale", c_float),
        ("margin", c_float),
        ("threshold", c_float),
        ("max_faces", c_int32),
    ]


class fs_swap_options(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("mode", fs_convert_mode),
        ("color", fs_color_mode),
        ("blend", fs_blend_mode),
        ("expression", c_float),
        ("forehead", c_float),
        ("erode", c_float),
        ("feather", c_float),
        ("keep_mouth", c_int32),
        ("face_index", c_int32),
        ("keep_unmatched", c_int32),
        ("use_reference", c_int32),
        ("reference", c_float * EMBEDDING_SIZE),
        ("identity_threshold", c_float),
        ("use_model_mask", c_int32),
        ("keep_model_shape", c_int32),
        ("color_strength", c_float),
        ("edge_color", c_float),
    ]


class fs_swap_metrics(_Output):
    _fields_ = [
        ("struct_size", c_uint32),
        ("redetected", c_int32),
        ("identity_to_source", c_double),
        ("identity_to_target", c_double),
        ("landmark_error", c_double),
        ("changed_outside", c_double),
        ("seam_score", c_double),
        ("edge_step_worst", c_double),
        ("edge_step_mean", c_double),
    ]


class fs_stream_options(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("detect_interval", c_int32),
        ("min_cutoff", c_float),
        ("beta", c_float),
        ("scene_cut", c_float),
        ("threads", c_int32),
    ]


class fs_video_options(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("crf", c_int32),
        ("stream", POINTER(fs_stream_options)),
        ("preset", c_char_p),
        ("threads", c_int32),
        ("reserved", c_int32),
        ("first_frame", c_int32),
        ("frame_count", c_int32),
        ("warmup", c_int32),
        ("audio", c_int32),
    ]


class fs_video_stats(_Output):
    _fields_ = [
        ("struct_size", c_uint32),
        ("frames", c_int64),
        ("frames_with_faces", c_int64),
        ("scene_cuts", c_int64),
        ("seconds", c_double),
    ]


class fs_reenact_options(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("expression", c_float),
        ("head_motion", c_float),
        ("mouth_fill", c_int32),
        ("side_by_side", c_int32),
        ("stream", POINTER(fs_stream_options)),
        ("crf", c_int32),
        ("preset", c_char_p),
        ("threads", c_int32),
        ("reserved", c_int32),
    ]


class fs_extract_options(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("size", c_int32),
        ("padding", c_float),
        ("min_sharpness", c_float),
        ("duplicate_distance", c_float),
        ("every_nth_frame", c_int32),
        ("max_faces", c_int32),
    ]


class fs_extract_stats(_Output):
    _fields_ = [("struct_size", c_uint32)] + [(name, c_int64) for name in (
        "frames", "frames_without_face", "frames_with_one_face", "frames_with_more_faces",
        "faces_found", "skipped_blurry", "skipped_duplicate", "written")]


class fs_model_info(_Output):
    _fields_ = [
        ("struct_size", c_uint32),
        ("size", c_int32),
        ("bottleneck", c_int32),
        ("iterations", c_int64),
        ("seconds", c_double),
        ("encoder_parameters", c_int64),
        ("decoder_parameters", c_int64),
        ("shift_a", c_float * 3),
        ("name_a", ctypes.c_char * 64),
        ("name_b", ctypes.c_char * 64),
        ("has_training_state", c_int32),
    ]


class fs_train_options(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("size", c_int32),
        ("batch", c_int32),
        ("learning_rate", c_float),
        ("l1_weight", c_float),
        ("ssim_weight", c_float),
        ("mask_weight", c_float),
        ("gan_weight", c_float),
        ("background_weight", c_float),
        ("seed", ctypes.c_uint64),
        ("augment", c_int32),
        ("checkpoint_every", c_int32),
        ("preview_every", c_int32),
        ("resume", c_int32),
        ("preview_dir", c_char_p),
        ("name_a", c_char_p),
        ("name_b", c_char_p),
    ]


class fs_train_progress(Structure):
    """Handed to the training callback by the library: struct_size is the library's own size."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("iteration", c_int64),
        ("seconds", c_double),
        ("loss_a", c_float * 6),
        ("loss_b", c_float * 6),
    ]


class fs_option_info(_Output):
    """One option's name, type, default and range (fs_option_describe / fs_option_find)."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("type", c_int),
        ("name", c_char_p),
        ("summary", c_char_p),
        ("enum_kind", c_int),
        ("min_exclusive", c_int32),
        ("max_exclusive", c_int32),
        ("has_special", c_int32),
        ("default_value", c_double),
        ("min", c_double),
        ("max", c_double),
        ("special", c_double),
        ("default_string", c_char_p),
    ]


#: int (*fs_train_fn)(void *user, const fs_train_progress *progress); non-zero stops.
fs_train_fn = ctypes.CFUNCTYPE(c_int, c_void_p, POINTER(fs_train_progress))

#: int (*fs_progress_fn)(void *user, int64_t done, int64_t total); non-zero cancels.
fs_progress_fn = ctypes.CFUNCTYPE(c_int, c_void_p, c_int64, c_int64)


# Opaque handles: plain void pointers (fs_image*, fs_detector*, fs_landmarker*, ...).
fs_image_p = c_void_p
fs_detector_p = c_void_p
fs_landmarker_p = c_void_p
fs_recognizer_p = c_void_p
fs_swapper_p = c_void_p
fs_source_p = c_void_p
fs_stream_p = c_void_p
fs_reenactor_p = c_void_p
fs_model_p = c_void_p
fs_trainer_p = c_void_p


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------

class LibraryNotFoundError(ImportError):
    """libfaceswap could not be loaded, or its ABI version does not match this binding."""


_HERE = os.path.dirname(os.path.abspath(__file__))


def _load() -> tuple[ctypes.CDLL, str]:
    tried: list[str] = []

    env = os.environ.get("FACESWAP_LIBRARY")
    if env:
        try:
            return ctypes.CDLL(env), env
        except OSError as e:
            raise LibraryNotFoundError(
                f"cannot load libfaceswap from FACESWAP_LIBRARY={env!r}: {e}. "
                "Set FACESWAP_LIBRARY to the full path of an existing libfaceswap.so "
                "(e.g. <repo>/.build/release/libfaceswap.so after "
                "'swift build -c release --product faceswap'), or unset it to search the "
                "package folder and the system library path."
            ) from e
    else:
        tried.append("$FACESWAP_LIBRARY (not set)")

    local = os.path.join(_HERE, "libfaceswap.so")
    if os.path.exists(local):
        try:
            return ctypes.CDLL(local), local
        except OSError as e:
            tried.append(f"{local} ({e})")
    else:
        tried.append(f"{local} (no such file)")

    candidates: list[str] = []
    found = ctypes.util.find_library("faceswap")
    if found:
        candidates.append(found)
    else:
        tried.append("ctypes.util.find_library('faceswap') (nothing found)")
    for name in ("libfaceswap.so.0", "libfaceswap.so"):
        if name not in candidates:
            candidates.append(name)
    # `make install` puts the library in PREFIX/lib; /usr/local/lib is only searched through
    # the ld.so cache, which is stale until ldconfig runs, so try the usual prefixes by path.
    for prefix in ("/usr/local/lib", "/usr/lib"):
        candidates.append(os.path.join(prefix, "libfaceswap.so.0"))
    for name in candidates:
        try:
            return ctypes.CDLL(name), name
        except OSError as e:
            where = "" if os.path.isabs(name) else " on the system library path"
            tried.append(f"{name}{where} ({e})")

    raise LibraryNotFoundError(
        "cannot find libfaceswap. Looked in: " + "; ".join(tried) + ". "
        "Set FACESWAP_LIBRARY to the full path of libfaceswap.so (built by "
        "'swift build -c release --product faceswap' into .build/release/), copy it into "
        f"{_HERE}, or run the install step ('make install') so the system loader finds it."
    )


lib, library_path = _load()


def _declare(name: str, restype, argtypes) -> None:
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = argtypes


# Version
_declare("fs_version", c_uint, [])
_declare("fs_version_string", c_char_p, [])
_declare("fs_abi_version", c_int, [])

_abi = lib.fs_abi_version()
if _abi != ABI_VERSION:
    raise LibraryNotFoundError(
        f"libfaceswap at {library_path!r} has ABI version {_abi}, but this Python binding was "
        f"written for ABI version {ABI_VERSION}. Install the binding that matches the library "
        "(bindings/python of the same source tree), or point FACESWAP_LIBRARY at a matching "
        "libfaceswap.so."
    )

# Errors and memory
_declare("fs_status_string", c_char_p, [fs_status])
_declare("fs_last_error_message", c_char_p, [])
_declare("fs_free", None, [c_void_p])

# Images
_declare("fs_image_load", fs_status, [c_char_p, POINTER(fs_image_p)])
_declare("fs_image_decode", fs_status, [c_void_p, c_size_t, POINTER(fs_image_p)])
_declare("fs_image_from_view", fs_status, [POINTER(fs_image_view), POINTER(fs_image_p)])
_declare("fs_image_wrap", fs_status, [POINTER(fs_image_view), POINTER(fs_image_p)])
_declare("fs_image_create", fs_status, [c_int32, c_int32, fs_pixel_format, POINTER(fs_image_p)])
_declare("fs_image_convert", fs_status, [fs_image_p, fs_pixel_format, POINTER(fs_image_p)])
_declare("fs_image_get_view", fs_status, [fs_image_p, POINTER(fs_image_view)])
_declare("fs_image_encode", fs_status,
         [fs_image_p, fs_codec, c_int, POINTER(c_void_p), POINTER(c_size_t)])
_declare("fs_image_save", fs_status, [fs_image_p, c_char_p, fs_codec, c_int])
_declare("fs_image_free", None, [fs_image_p])

# Model files
_declare("fs_model_find", fs_status, [c_char_p, POINTER(c_char), c_size_t])
_declare("fs_enum_name", c_char_p, [c_int, c_int32])
_declare("fs_enum_parse", fs_status, [c_int, c_char_p, POINTER(c_int32)])
_declare("fs_enum_value_at", fs_status, [c_int, c_size_t, POINTER(c_int32), POINTER(c_size_t)])
_declare("fs_option_describe", fs_status, [c_int, c_size_t, POINTER(fs_option_info), POINTER(c_size_t)])
_declare("fs_option_find", fs_status, [c_int, c_char_p, POINTER(fs_option_info)])

# Detection
_declare("fs_detector_options_init", fs_status, [POINTER(fs_detector_options), c_size_t])
_declare("fs_detector_create", fs_status, [POINTER(fs_detector_options), POINTER(fs_detector_p)])
_declare("fs_detector_free", None, [fs_detector_p])
_declare("fs_detect", fs_status,
         [fs_detector_p, fs_image_p, POINTER(fs_face), c_size_t, POINTER(c_size_t)])

# Landmarks
_declare("fs_landmarker_create", fs_status, [c_char_p, POINTER(fs_landmarker_p)])
_declare("fs_landmarker_free", None, [fs_landmarker_p])
_declare("fs_landmarker_num_points", c_int32, [fs_landmarker_p])
_declare("fs_landmarks_fit", fs_status, [fs_landmarker_p, fs_image_p, POINTER(fs_face)])

# Alignment
_declare("fs_align_transform", fs_status, [POINTER(fs_face), c_int32, c_float, POINTER(fs_affine)])
_declare("fs_align_template", fs_status, [c_int32, c_float, POINTER(fs_point)])
_declare("fs_align_crop", fs_status, [fs_image_p, POINTER(fs_affine), c_int32, POINTER(fs_image_p)])
_declare("fs_affine_invert", fs_status, [POINTER(fs_affine), POINTER(fs_affine)])
_declare("fs_affine_apply", fs_status, [POINTER(fs_affine), POINTER(fs_point), c_size_t])

# Identity
_declare("fs_recognizer_create", fs_status, [c_char_p, POINTER(fs_recognizer_p)])
_declare("fs_recognizer_free", None, [fs_recognizer_p])
_declare("fs_face_embedding", fs_status,
         [fs_recognizer_p, fs_image_p, POINTER(fs_face), POINTER(c_float)])
_declare("fs_reference_embedding", fs_status,
         [fs_recognizer_p, fs_detector_p, fs_landmarker_p, fs_image_p, c_int32, POINTER(c_float)])
_declare("fs_embedding_distance", c_float, [POINTER(c_float), POINTER(c_float)])

# Swapping
_declare("fs_swap_options_init", fs_status, [POINTER(fs_swap_options), c_size_t])
_declare("fs_swapper_create", fs_status,
         [fs_detector_p, fs_landmarker_p, fs_recognizer_p, POINTER(fs_swap_options),
          POINTER(fs_swapper_p)])
_declare("fs_swapper_free", None, [fs_swapper_p])
_declare("fs_source_prepare", fs_status, [fs_swapper_p, fs_image_p, c_int32, POINTER(fs_source_p)])
_declare("fs_source_get_face", fs_status, [fs_source_p, POINTER(fs_face)])
_declare("fs_source_free", None, [fs_source_p])
_declare("fs_swap", fs_status,
         [fs_swapper_p, fs_source_p, fs_image_p, POINTER(fs_image_p), POINTER(fs_image_p),
          POINTER(c_size_t)])
_declare("fs_swap_inplace", fs_status, [fs_swapper_p, fs_source_p, fs_image_p, POINTER(c_size_t)])
_declare("fs_swap_face", fs_status, [fs_swapper_p, fs_source_p, fs_image_p, POINTER(fs_face)])
_declare("fs_color_mean_shift", fs_status,
         [POINTER(fs_image_p), c_size_t, POINTER(fs_image_p), c_size_t])

# Quality metrics
_declare("fs_eval_swap", fs_status,
         [fs_swapper_p, fs_image_p, fs_image_p, fs_image_p, POINTER(fs_swap_metrics)])

# Video (high level: faceswap.Stream, faceswap.frames, faceswap.swap_video)
_declare("fs_stream_options_init", fs_status, [POINTER(fs_stream_options), c_size_t])
_declare("fs_stream_create", fs_status,
         [fs_swapper_p, fs_source_p, POINTER(fs_stream_options), POINTER(fs_stream_p)])
_declare("fs_stream_free", None, [fs_stream_p])
_declare("fs_stream_push", fs_status, [fs_stream_p, fs_image_p, c_double, POINTER(c_size_t)])
_declare("fs_stream_push_view", fs_status,
         [fs_stream_p, POINTER(fs_image_view), c_double, POINTER(c_size_t)])
_declare("fs_stream_get_faces", fs_status,
         [fs_stream_p, POINTER(fs_face), c_size_t, POINTER(c_size_t)])
_declare("fs_stream_reset", fs_status, [fs_stream_p])
_declare("fs_stream_flush", fs_status, [fs_stream_p])
_declare("fs_video_options_init", fs_status, [POINTER(fs_video_options), c_size_t])
_declare("fs_video_swap", fs_status,
         [fs_swapper_p, fs_source_p, c_char_p, c_char_p, POINTER(fs_video_options),
          fs_progress_fn, c_void_p, POINTER(fs_video_stats)])

# Reenactment (high level: faceswap.Reenactor, faceswap.reenact_video)
_declare("fs_reenact_options_init", fs_status, [POINTER(fs_reenact_options), c_size_t])
_declare("fs_reenactor_create", fs_status,
         [fs_detector_p, fs_landmarker_p, fs_image_p, POINTER(fs_reenact_options),
          POINTER(fs_reenactor_p)])
_declare("fs_reenactor_free", None, [fs_reenactor_p])
_declare("fs_reenactor_push", fs_status, [fs_reenactor_p, fs_image_p, c_double, POINTER(fs_image_p)])
_declare("fs_reenactor_reset", fs_status, [fs_reenactor_p])
_declare("fs_reenact_video", fs_status,
         [fs_reenactor_p, c_char_p, c_char_p, POINTER(fs_reenact_options), fs_progress_fn, c_void_p,
          POINTER(fs_video_stats)])

# Learned conversion (high level: faceswap.extract, faceswap.Model, faceswap.Trainer,
# Swapper(model=...))
_declare("fs_extract_options_init", fs_status, [POINTER(fs_extract_options), c_size_t])
_declare("fs_extract", fs_status,
         [fs_detector_p, fs_landmarker_p, POINTER(c_char_p), c_size_t, c_char_p,
          POINTER(fs_extract_options), fs_progress_fn, c_void_p, POINTER(fs_extract_stats)])
_declare("fs_model_load", fs_status, [c_char_p, POINTER(fs_model_p)])
_declare("fs_model_free", None, [fs_model_p])
_declare("fs_model_get_info", fs_status, [fs_model_p, POINTER(fs_model_info)])
_declare("fs_swapper_create_learned", fs_status,
         [fs_detector_p, fs_landmarker_p, fs_model_p, c_int32, POINTER(fs_swap_options),
          POINTER(fs_swapper_p)])
_declare("fs_train_options_init", fs_status, [POINTER(fs_train_options), c_size_t])
_declare("fs_trainer_create", fs_status,
         [c_char_p, c_char_p, c_char_p, POINTER(fs_train_options), POINTER(fs_trainer_p)])
_declare("fs_trainer_free", None, [fs_trainer_p])
_declare("fs_trainer_run", fs_status, [fs_trainer_p, c_int64, c_double, fs_train_fn, c_void_p])
_declare("fs_trainer_save", fs_status, [fs_trainer_p])
_declare("fs_trainer_get_iteration", fs_status, [fs_trainer_p, POINTER(c_int64)])
_declare("fs_trainer_preview", fs_status, [fs_trainer_p, POINTER(fs_image_p)])


_OPTIONS_INIT = {
    fs_detector_options: lib.fs_detector_options_init,
    fs_swap_options: lib.fs_swap_options_init,
    fs_stream_options: lib.fs_stream_options_init,
    fs_video_options: lib.fs_video_options_init,
    fs_reenact_options: lib.fs_reenact_options_init,
    fs_extract_options: lib.fs_extract_options_init,
    fs_train_options: lib.fs_train_options_init,
}


def new_options(cls):
    """A new ``cls`` (an options struct) filled by its ``fs_*_options_init`` at this binding's
    ``ctypes.sizeof(cls)``: the library's defaults, ``struct_size`` set. Returns
    ``(options, status)``; the status is ``Status.OK`` unless the library refused."""
    opts = cls()
    status = _OPTIONS_INIT[cls](ctypes.byref(opts), ctypes.sizeof(opts))
    return opts, status
