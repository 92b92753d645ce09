"""faceswap — Python binding of libfaceswap (face detection, 68-point landmarks, alignment,
identity embeddings and face swapping).

A thin ctypes layer over the C API in ``include/faceswap.h``; all image work happens in the
library. Images are numpy ``uint8`` arrays:

* ``(H, W, 3)``: **BGR by default** (OpenCV's order). Functions that take or return images have
  a ``channel_order`` parameter: ``channel_order="rgb"`` for RGB (PIL's order).
* ``(H, W, 4)``: BGRA (or RGBA with ``channel_order="rgb"``).
* ``(H, W)``: 8-bit grey.

Quick start::

    import faceswap
    img = faceswap.load_image("photo.jpg")          # (H, W, 3) BGR
    for face in faceswap.detect_landmarks(img):
        m = faceswap.align_transform(face, size=256, padding=0.25)
        crop = faceswap.align_crop(img, m, 256)     # (256, 256, 3) BGR
        faceswap.save_image(crop, "face.png")

    src = faceswap.load_image("me.jpg")
    out = faceswap.swap(src, img)                   # my face on every face of img (BGR)

    swapper = faceswap.Swapper(blend="poisson")     # create once, reuse
    with swapper.prepare(src) as source:            # prepare the source face once
        out, mask, n = swapper.swap(source, img, return_mask=True)

    faceswap.swap_video(src, "in.mp4", "out.mp4")   # a video file (H.264, audio kept)
    with faceswap.Stream(swapper, src) as stream:   # or frame by frame, in place
        stream.push(frame)

    faceswap.reenact_video("photo.jpg", "driver.mp4", "animated.mp4")  # a photo animated

    faceswap.extract("a.mp4", "faces_a"); faceswap.extract("b.mp4", "faces_b")   # learned
    faceswap.Trainer("faces_a", "faces_b", "ab.fsm").run(iterations=5000)
    out = faceswap.Swapper(model=faceswap.Model("ab.fsm")).swap(None, frame_of_a)

Every failing call raises :class:`FaceSwapError` with ``.status``, ``.status_name`` and the
library's message. The shared library is found through ``FACESWAP_LIBRARY``, this package's
folder, or the system library path (see :mod:`faceswap.capi`).
"""

from __future__ import annotations

import importlib.util
import os


def _add_face_recognition_models() -> None:
    """If the PyPI package face_recognition_models is installed, append its models folder to
    FACESWAP_MODEL_PATH so the library's resolver finds the CNN detector, the 5-point predictor
    and the ResNet model. The package is located without importing it (its __init__ imports
    pkg_resources, which may be missing)."""
    try:
        spec = importlib.util.find_spec("face_recognition_models")
    except (ImportError, ValueError):
        return
    if spec is None:
        return
    roots = list(spec.submodule_search_locations or [])
    if not roots and spec.origin:
        roots = [os.path.dirname(spec.origin)]
    for root in roots:
        folder = os.path.join(root, "models")
        if not os.path.isdir(folder):
            continue
        current = os.environ.get("FACESWAP_MODEL_PATH", "")
        parts = [p for p in current.split(":") if p]
        if folder not in parts:
            parts.append(folder)
            os.environ["FACESWAP_MODEL_PATH"] = ":".join(parts)
        return


_add_face_recognition_models()

try:
    from . import capi  # noqa: E402  (loads the library and checks its ABI)
except ModuleNotFoundError as _e:
    if _e.name != __name__ + ".capi":
        raise
    raise ImportError(
        f"{os.path.dirname(__file__)}/capi.py is missing: it is generated from include/faceswap.h "
        "by bindings/python/gen_capi.py. Run `make build` (or `make capi`) in the source tree "
        "before using or installing the package from it (needs PyPI pycparser and a C compiler)."
    ) from None
from .capi import (  # noqa: E402
    ABI_VERSION,
    BlendMode,
    Codec,
    ColorMode,
    ConvertMode,
    DetectorBackend,
    EnumKind,
    LibraryNotFoundError,
    OptionsKind,
    OptionType,
    PixelFormat,
    Status,
)
from ._core import (  # noqa: E402
    Detector,
    Face,
    FaceSwapError,
    Image,
    Landmarker,
    Recognizer,
    Reenactor,
    Model,
    Trainer,
    UnknownNameError,
    extract,
    options,
    Source,
    Stream,
    Swapper,
    abi_version,
    align_crop,
    align_template,
    align_transform,
    apply_affine,
    color_mean_shift,
    convert_image,
    decode_image,
    detect_landmarks,
    draw_faces,
    face_compare,
    montage,
    embedding_distance,
    encode_image,
    find_model,
    frames,
    invert_affine,
    load_image,
    reenact_video,
    reenact_grid_video,
    save_image,
    status_name,
    swap,
    swap_video,
    version,
    version_number,
)

__version__ = "0.22.1"

__all__ = [
    "ABI_VERSION",
    "BlendMode",
    "Codec",
    "ColorMode",
    "ConvertMode",
    "Detector",
    "DetectorBackend",
    "EnumKind",
    "Face",
    "FaceSwapError",
    "Image",
    "Landmarker",
    "LibraryNotFoundError",
    "OptionsKind",
    "OptionType",
    "PixelFormat",
    "Recognizer",
    "Reenactor",
    "Model",
    "Trainer",
    "UnknownNameError",
    "extract",
    "options",
    "Source",
    "Status",
    "Stream",
    "Swapper",
    "abi_version",
    "align_crop",
    "align_template",
    "align_transform",
    "apply_affine",
    "capi",
    "color_mean_shift",
    "convert_image",
    "decode_image",
    "detect_landmarks",
    "draw_faces",
    "face_compare",
    "montage",
    "embedding_distance",
    "encode_image",
    "find_model",
    "frames",
    "invert_affine",
    "load_image",
    "reenact_video",
    "reenact_grid_video",
    "save_image",
    "status_name",
    "swap",
    "swap_video",
    "version",
    "version_number",
]
