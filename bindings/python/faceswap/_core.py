"""The high-level, numpy-based API over :mod:`faceswap.capi`.

Every operation goes through the C library; this module only translates arguments.

Pixel layout
------------
Images are numpy ``uint8`` arrays:

* ``(H, W, 3)`` — **BGR** by default (OpenCV's order, what ``cv2.imread`` gives). Pass
  ``channel_order="rgb"`` for RGB (PIL's order, ``np.asarray(PIL.Image)``).
* ``(H, W, 4)`` — BGRA by default, RGBA with ``channel_order="rgb"``.
* ``(H, W)`` or ``(H, W, 1)`` — 8-bit grey (channel order does not apply).

Coordinates are pixels of the image a face was found in; ``x`` to the right, ``y`` down.
"""

from __future__ import annotations

import ctypes
import functools
import os
import threading
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence, Tuple, Union

import numpy as np

from . import capi
from .capi import Codec, EnumKind, OptionsKind, OptionType, PixelFormat, Status, lib

Rect = Tuple[float, float, float, float]
PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

__all__ = [
    "FaceSwapError",
    "UnknownNameError",
    "options",
    "Face",
    "Image",
    "Detector",
    "Landmarker",
    "version",
    "version_number",
    "abi_version",
    "status_name",
    "find_model",
    "load_image",
    "decode_image",
    "encode_image",
    "save_image",
    "convert_image",
    "align_transform",
    "align_crop",
    "align_template",
    "invert_affine",
    "apply_affine",
    "detect_landmarks",
    "Recognizer",
    "embedding_distance",
    "Swapper",
    "Source",
    "swap",
    "color_mean_shift",
    "Stream",
    "frames",
    "swap_video",
    "Reenactor",
    "reenact_video",
    "reenact_grid_video",
]


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------

class FaceSwapError(Exception):
    """A libfaceswap call failed.

    Attributes:
        status: the ``fs_status`` value (an :class:`faceswap.Status`, which is an ``int``).
        status_name: the library's name for it, e.g. ``"FS_ERR_DECODE: corrupt, truncated or
            empty image data"`` (``fs_status_string``).
        message: what exactly went wrong (``fs_last_error_message``).
    """

    def __init__(self, status: int, message: str, status_name: Optional[str] = None):
        try:
            status = Status(status)
        except ValueError:
            pass
        self.status = status
        self.status_name = status_name if status_name is not None else status_name_of(status)
        self.message = message
        super().__init__(status, message)

    def __str__(self) -> str:
        return f"{self.message} [{self.status_name}]" if self.message else self.status_name


def status_name_of(status: int) -> str:
    """``fs_status_string(status)``."""
    return lib.fs_status_string(int(status)).decode("utf-8", "replace")


status_name = status_name_of


class UnknownNameError(FaceSwapError, ValueError):
    """A name the library does not know, e.g. ``blend="paste"`` or ``convert_image(a, "cmyk")``:
    a :class:`FaceSwapError` (status INVALID_ARGUMENT) whose message is the library's and lists
    the names it takes (``fs_enum_parse``), and a ``ValueError`` too."""


def _check(status: int, error: type = FaceSwapError) -> None:
    """Raises ``error`` (a :class:`FaceSwapError`) for a non-OK status, with the thread's last
    message."""
    if status != Status.OK:
        # Read the message first: it is valid only until the next fs_ call on this thread.
        msg = lib.fs_last_error_message()
        message = msg.decode("utf-8", "replace") if msg else ""
        raise error(status, message)


def _options(cls):
    """The library's defaults for the options struct ``cls`` (``fs_*_options_init``)."""
    opts, status = capi.new_options(cls)
    _check(status)
    return opts


# --------------------------------------------------------------------------------------------
# Names, defaults and ranges: the library's own (fs_enum_*, fs_option_*)
# --------------------------------------------------------------------------------------------

def _enum(kind: EnumKind, value, what: str) -> int:
    """The C value of an enum argument: a name as the library reads it (``fs_enum_parse``: the
    canonical name or an alias, any case, '_' for '-'; an unknown name raises
    :class:`UnknownNameError` with the library's list), or the C value itself (an int or a
    member of the matching IntEnum), which the library checks where it is used."""
    if isinstance(value, str):
        if "\0" in value:
            raise UnknownNameError(Status.INVALID_ARGUMENT, f"{what} {value!r} holds a NUL character")
        out = ctypes.c_int32()
        _check(lib.fs_enum_parse(int(kind), value.encode(), ctypes.byref(out)), UnknownNameError)
        return int(out.value)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what} is a name (str) or the C enum value, not {value!r}")
    return int(value)


def _enum_name(kind: int, value: int):
    """The canonical name of an enum value (``fs_enum_name``), or the value when it has none."""
    name = lib.fs_enum_name(int(kind), int(value))
    return name.decode() if name else int(value)


@functools.lru_cache(maxsize=None)
def _describe(kind: int) -> tuple:
    """Each option of struct ``kind`` as ``fs_option_describe`` gives it: (info, dict) pairs."""
    described = []
    count = ctypes.c_size_t(1)
    i = 0
    while i < count.value:
        info = capi.fs_option_info()
        _check(lib.fs_option_describe(int(kind), i, ctypes.byref(info), ctypes.byref(count)))
        described.append((info, _option_dict(info)))
        i += 1
    return tuple(described)


def _option_dict(info: capi.fs_option_info) -> dict:
    t = OptionType(info.type)
    number = int if t == OptionType.INT else float
    ranged = t in (OptionType.INT, OptionType.FLOAT)
    if t == OptionType.ENUM:
        default = _enum_name(info.enum_kind, int(info.default_value))
        choices = _enum_names(info.enum_kind)
    elif t == OptionType.STRING:
        default = info.default_string.decode() if info.default_string else None
        choices = None
    else:
        default = bool(info.default_value) if t == OptionType.BOOL else number(info.default_value)
        choices = None
    return {
        "name": info.name.decode(),
        "type": t.name.lower(),
        "default": default,
        "min": number(info.min) if ranged else None,
        "max": number(info.max) if ranged else None,
        "min_exclusive": bool(info.min_exclusive),
        "max_exclusive": bool(info.max_exclusive),
        "special": number(info.special) if ranged and info.has_special else None,
        "summary": info.summary.decode("utf-8", "replace") if info.summary else "",
        "choices": choices,
    }


def _enum_names(kind: int) -> list:
    """The canonical names of enum ``kind`` in declaration order (``fs_enum_value_at``)."""
    names = []
    count = ctypes.c_size_t(1)
    value = ctypes.c_int32()
    i = 0
    while i < count.value:
        _check(lib.fs_enum_value_at(int(kind), i, ctypes.byref(value), ctypes.byref(count)))
        names.append(_enum_name(kind, value.value))
        i += 1
    return names


def _options_kind(kind) -> OptionsKind:
    if isinstance(kind, str):
        try:
            return OptionsKind[kind.upper()]
        except KeyError:
            pass
        names = ", ".join(k.name.lower() for k in OptionsKind)
        raise ValueError(f"options kind {kind!r} is not one of {names}")
    if isinstance(kind, bool) or not isinstance(kind, (int, np.integer)):
        raise TypeError(f"options kind is a name (str) or an OptionsKind, not {kind!r}")
    return OptionsKind(int(kind))


def options(kind) -> list:
    """Every option of one options struct, as the library describes it (``fs_option_describe``):
    names, types, defaults, ranges and one-line summaries, so that a front end (a settings
    dialog, a command line) need not keep its own.

    ``kind``: ``"detector"``, ``"swap"``, ``"stream"``, ``"video"``, ``"reenact"``,
    ``"extract"`` or ``"train"`` (or a :class:`faceswap.OptionsKind`). Returns a list of dicts
    in the struct's field order, each with

    * ``name`` — the C field name (``"detect_interval"``; the Python keyword is the same except
      ``Swapper(faces=)`` for ``face_index``, ``Swapper(model_mask=)`` for ``use_model_mask``
      and ``Trainer``'s ``l1``, ``ssim``, ``mask``, ``gan``, ``background`` for ``*_weight``);
    * ``type`` — ``"int"``, ``"float"``, ``"bool"``, ``"enum"`` or ``"string"``;
    * ``default`` — the library's default (an enum's canonical name; a string or None);
    * ``min``, ``max`` — the accepted range of an int or float (else None), with
      ``min_exclusive`` / ``max_exclusive`` when a bound itself is refused, and ``special`` — a
      value accepted outside the range (e.g. ``downscale`` 0 = automatic), or None;
    * ``summary`` — what it does, one line;
    * ``choices`` — an enum's canonical names (else None).

    Fields that are not plain values (model paths, the reference embedding, nested options,
    the training seed, names and folders) are not listed.
    """
    return [{**d, "choices": None if d["choices"] is None else list(d["choices"])}
            for _, d in _describe(int(_options_kind(kind)))]


@functools.lru_cache(maxsize=None)
def _option_info(kind: int, name: str) -> capi.fs_option_info:
    info = capi.fs_option_info()
    _check(lib.fs_option_find(int(kind), name.encode(), ctypes.byref(info)))
    return info


_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1


def _i32(value, name: str) -> int:
    """An int option for an int32_t field. Values beyond int32 are clamped (not wrapped), so the
    library still sees them as out of range and says so (INVALID_ARGUMENT)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an int, not {value!r}")
    return max(_INT32_MIN, min(_INT32_MAX, int(value)))


def _set(opts, kind: OptionsKind, **values) -> None:
    """Sets each value that is not None on the options struct ``opts`` (already filled with the
    library's defaults by ``fs_*_options_init``), converted by the option's type as the library
    describes it; the ranges are the library's to check."""
    for name, value in values.items():
        if value is None:
            continue
        info = _option_info(int(kind), name)
        t = info.type
        if t == OptionType.INT:
            value = _i32(value, name)
        elif t == OptionType.FLOAT:
            value = float(value)
        elif t == OptionType.BOOL:
            value = 1 if value else 0
        elif t == OptionType.ENUM:
            value = _enum(EnumKind(info.enum_kind), value, name)
        else:
            raise TypeError(f"{name}: a {OptionType(t).name.lower()} option is set by its owner")
        setattr(opts, name, value)


def _in_use(opts, kind: OptionsKind) -> dict:
    """The plain options of ``opts`` by the library's names: enums by name, switches as bools,
    floats as the float32 the library reads (printed short)."""
    out = {}
    for info, d in _describe(int(kind)):
        name = d["name"]
        if not hasattr(opts, name):
            continue
        v = getattr(opts, name)
        t = info.type
        if t == OptionType.ENUM:
            v = _enum_name(info.enum_kind, v)
        elif t == OptionType.BOOL:
            v = bool(v)
        elif t == OptionType.FLOAT:
            v = float(str(np.float32(v)))
        elif t == OptionType.STRING:
            v = v.decode() if v else d["default"]
        else:
            v = int(v)
        out[name] = v
    return out


# --------------------------------------------------------------------------------------------
# Version and models
# --------------------------------------------------------------------------------------------

def version() -> str:
    """The library's version string, e.g. ``"0.22.1"`` (``fs_version_string``)."""
    return lib.fs_version_string().decode()


def version_number() -> int:
    """The library's version as MAJOR*10000 + MINOR*100 + PATCH (``fs_version``)."""
    return int(lib.fs_version())


def abi_version() -> int:
    """The library's ABI version (``fs_abi_version``); the binding checked it on import."""
    return int(lib.fs_abi_version())


def _fspath(path: PathLike) -> bytes:
    return os.fsencode(path)


def find_model(name: str) -> str:
    """The full path of model file ``name`` as the library's resolver finds it.

    Raises :class:`FaceSwapError` (status MODEL) listing every folder looked in.
    """
    size = 4096
    while True:
        buf = ctypes.create_string_buffer(size)
        status = lib.fs_model_find(_fspath(name), buf, size)
        if status == Status.BUFFER_TOO_SMALL and size < (1 << 20):
            size *= 4
            continue
        _check(status)
        return os.fsdecode(buf.value)


# --------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------

_ORDERS = ("bgr", "rgb")


def _order(channel_order: str) -> str:
    order = str(channel_order).lower()
    if order not in _ORDERS:
        raise ValueError(f"channel_order must be 'bgr' or 'rgb', not {channel_order!r}")
    return order


def _format_for(channels: int, order: str) -> PixelFormat:
    if channels == 1:
        return PixelFormat.GRAY8
    if channels == 3:
        return PixelFormat.BGR8 if order == "bgr" else PixelFormat.RGB8
    if channels == 4:
        return PixelFormat.BGRA8 if order == "bgr" else PixelFormat.RGBA8
    raise ValueError(f"an image has 1, 3 or 4 channels, not {channels}")


_CHANNELS = {
    PixelFormat.GRAY8: 1,
    PixelFormat.BGR8: 3,
    PixelFormat.RGB8: 3,
    PixelFormat.BGRA8: 4,
    PixelFormat.RGBA8: 4,
}


class _Handle:
    """Owns one library handle; freed by close(), a with block, or garbage collection."""

    __slots__ = ("_handle", "__weakref__")
    _free = None  # set by subclasses

    def __init__(self) -> None:
        self._handle: Optional[ctypes.c_void_p] = None

    @property
    def handle(self) -> ctypes.c_void_p:
        """The raw handle (a ``c_void_p``). Raises if it was closed."""
        if self._handle is None or not self._handle.value:
            raise ValueError(f"the {type(self).__name__} is closed")
        return self._handle

    def close(self) -> None:
        """Frees the handle. Safe to call twice."""
        h = getattr(self, "_handle", None)
        if h is not None and h.value:
            self._handle = None
            type(self)._free(h)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


class Image(_Handle):
    """An image owned by libfaceswap (an ``fs_image`` handle).

    You rarely need this class: every function accepts numpy arrays. Use it to convert an
    array once and pass it to several calls (detect, then fit landmarks, then crop) without
    copying it into the library each time. Free it with :meth:`close` or a ``with`` block.
    """

    __slots__ = ("_array",)
    _free = staticmethod(lambda h: lib.fs_image_free(h))

    def __init__(self, handle: int):
        if not handle:
            raise ValueError("Image needs a non-NULL fs_image handle")
        self._handle = ctypes.c_void_p(handle)
        self._array = None  # the numpy array an Image.wrap() borrows, kept alive with it

    # construction -----------------------------------------------------------------------
    @classmethod
    def from_array(cls, array: np.ndarray, channel_order: str = "bgr") -> "Image":
        """Copies a numpy image into the library (``fs_image_from_view``).

        ``array`` is uint8 ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` (BGR, or RGB with
        ``channel_order="rgb"``) or ``(H, W, 4)`` (BGRA / RGBA). Any memory layout works.
        """
        order = _order(channel_order)
        a = np.asarray(array)
        if a.dtype != np.uint8:
            raise TypeError(f"images are uint8 arrays; got dtype {a.dtype} (convert explicitly, "
                            "e.g. np.clip(a, 0, 255).astype(np.uint8))")
        channels = _channels(a)
        fmt = _format_for(channels, order)
        # Rows may be anywhere (a crop of a bigger array is fine: stride = strides[0]), but each
        # row's pixels must be packed; otherwise make a C-contiguous copy.
        if not _rows_packed(a, channels) or a.shape[0] == 0 or a.shape[1] == 0:
            a = np.ascontiguousarray(a)
        view = _view_of(a, fmt, channels)
        out = ctypes.c_void_p()
        _check(lib.fs_image_from_view(ctypes.byref(view), ctypes.byref(out)))
        return cls(out.value)

    @classmethod
    def wrap(cls, array: np.ndarray, channel_order: str = "bgr") -> "Image":
        """Wraps a numpy image **without copying** (``fs_image_wrap``): operations that write an
        image (:meth:`Swapper.swap_inplace`, :meth:`Swapper.swap_face`,
        :func:`color_mean_shift`) change ``array`` itself.

        ``array`` must be a writeable uint8 ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)`` array
        whose rows are packed: C-contiguous, or a row/column crop of a C-contiguous array
        (``a[y0:y1, x0:x1]``). Anything else (a transposed, channel-reversed or step-sliced
        view, a read-only array) raises ``ValueError`` instead of silently working on a copy.
        The Image keeps a reference to ``array``; do not resize or free it while the Image is
        open.
        """
        view = _frame_view(array, _order(channel_order), "Image.wrap")
        a = array
        out = ctypes.c_void_p()
        _check(lib.fs_image_wrap(ctypes.byref(view), ctypes.byref(out)))
        img = cls(out.value)
        img._array = a
        return img

    @classmethod
    def load(cls, path: PathLike) -> "Image":
        """Reads and decodes a file (``fs_image_load``): BGR8, or BGRA8 with alpha."""
        out = ctypes.c_void_p()
        _check(lib.fs_image_load(_fspath(path), ctypes.byref(out)))
        return cls(out.value)

    @classmethod
    def decode(cls, data: Union[bytes, bytearray, memoryview]) -> "Image":
        """Decodes an encoded image in memory (``fs_image_decode``)."""
        buf = bytes(data)
        out = ctypes.c_void_p()
        _check(lib.fs_image_decode(buf, len(buf), ctypes.byref(out)))
        return cls(out.value)

    @classmethod
    def create(cls, width: int, height: int, format: Union[str, PixelFormat] = PixelFormat.BGR8) -> "Image":
        """A new all-zero image (``fs_image_create``); ``format`` a :class:`PixelFormat` or its
        name (``"bgr"``, ``"rgba8"``, ``"gray"``, ...)."""
        out = ctypes.c_void_p()
        fmt = _enum(EnumKind.PIXEL_FORMAT, format, "format")
        _check(lib.fs_image_create(int(width), int(height), fmt, ctypes.byref(out)))
        return cls(out.value)

    @classmethod
    def _of(cls, image: Union["Image", np.ndarray], channel_order: str = "bgr") -> Tuple["Image", bool]:
        """(handle, owned): an Image as is, or a new Image copied from an array."""
        if isinstance(image, Image):
            return image, False
        return cls.from_array(image, channel_order), True

    # access -----------------------------------------------------------------------------
    def _view(self) -> capi.fs_image_view:
        view = capi.fs_image_view()
        _check(lib.fs_image_get_view(self.handle, ctypes.byref(view)))
        return view

    @property
    def width(self) -> int:
        return int(self._view().width)

    @property
    def height(self) -> int:
        return int(self._view().height)

    @property
    def format(self) -> PixelFormat:
        return PixelFormat(self._view().format)

    def convert(self, format: Union[str, PixelFormat]) -> "Image":
        """A new image in another pixel format (``fs_image_convert``): a :class:`PixelFormat` or
        its name."""
        out = ctypes.c_void_p()
        fmt = _enum(EnumKind.PIXEL_FORMAT, format, "format")
        _check(lib.fs_image_convert(self.handle, fmt, ctypes.byref(out)))
        return Image(out.value)

    def to_array(self, channel_order: str = "bgr") -> np.ndarray:
        """A numpy copy of the pixels: (H, W, 3) BGR / RGB, (H, W, 4) BGRA / RGBA or (H, W).

        ``channel_order`` picks the order of colour images; the library converts if needed.
        """
        order = _order(channel_order)
        fmt = self.format
        channels = _CHANNELS[fmt]
        wanted = _format_for(channels, order)
        if wanted != fmt:
            with self.convert(wanted) as converted:
                return converted.to_array(order)
        view = self._view()
        h, w, stride = int(view.height), int(view.width), int(view.stride)
        row = w * channels
        if h == 0 or w == 0:
            shape = (h, w) if channels == 1 else (h, w, channels)
            return np.zeros(shape, np.uint8)
        total = stride * (h - 1) + row
        raw = (ctypes.c_uint8 * total).from_address(view.data)
        rows = np.lib.stride_tricks.as_strided(
            np.frombuffer(raw, dtype=np.uint8), shape=(h, row), strides=(stride, 1))
        out = np.array(rows, dtype=np.uint8, copy=True)
        return out.reshape(h, w) if channels == 1 else out.reshape(h, w, channels)

    def encode(self, codec: Union[str, Codec] = "png", quality: int = 0) -> bytes:
        """Encodes to JPEG (quality 1–100, 0 means 92) or PNG (``fs_image_encode``)."""
        data = ctypes.c_void_p()
        size = ctypes.c_size_t()
        _check(lib.fs_image_encode(self.handle, _codec(codec), int(quality),
                                   ctypes.byref(data), ctypes.byref(size)))
        try:
            return ctypes.string_at(data.value, size.value) if size.value else b""
        finally:
            lib.fs_free(data)

    def save(self, path: PathLike, codec: Union[str, Codec, None] = None, quality: int = 0) -> None:
        """Writes the image atomically (``fs_image_save``); codec None: from the extension."""
        _check(lib.fs_image_save(self.handle, _fspath(path), _codec(codec), int(quality)))

    # lifetime ---------------------------------------------------------------------------
    def close(self) -> None:
        """Frees the handle (``fs_image_free``) and lets go of a wrapped array. Safe to call twice."""
        super().close()
        self._array = None

    def __repr__(self) -> str:
        if self._handle is None:
            return "<faceswap.Image closed>"
        v = self._view()
        return f"<faceswap.Image {v.width}x{v.height} {PixelFormat(v.format).name}>"


def _codec(codec: Union[str, Codec, None]) -> int:
    """None: AUTO (the extension decides when saving; encoding refuses it); a name as
    fs_enum_parse reads it, also with a leading dot (".jpg")."""
    if codec is None:
        return int(Codec.AUTO)
    if isinstance(codec, str):
        codec = codec[1:] if codec.startswith(".") else codec
    return _enum(EnumKind.CODEC, codec, "codec")


class _Borrowed:
    """Context manager: an Image for an array or Image argument; frees it if it made it."""

    def __init__(self, image, channel_order: str):
        self.image, self.owned = Image._of(image, channel_order)

    def __enter__(self) -> Image:
        return self.image

    def __exit__(self, *exc) -> None:
        if self.owned:
            self.image.close()


def load_image(path: PathLike, channel_order: str = "bgr") -> np.ndarray:
    """Reads and decodes an image file into a numpy array.

    JPEG (EXIF orientation applied; CMYK converted), PNG (8/16-bit, grey, alpha) and what else
    OpenCV reads. Returns uint8 ``(H, W, 3)`` **BGR** (``channel_order="rgb"`` for RGB), or
    ``(H, W, 4)`` BGRA / RGBA when the file has an alpha channel.

    Raises :class:`FaceSwapError`: IO (cannot open), DECODE (corrupt data), TOO_LARGE, ...
    """
    with Image.load(path) as img:
        return img.to_array(channel_order)


def decode_image(data: Union[bytes, bytearray, memoryview], channel_order: str = "bgr") -> np.ndarray:
    """As :func:`load_image`, from encoded bytes in memory (BGR by default)."""
    with Image.decode(data) as img:
        return img.to_array(channel_order)


def encode_image(image: Union[np.ndarray, Image], codec: Union[str, Codec] = "png",
                 quality: int = 0, channel_order: str = "bgr") -> bytes:
    """Encodes a numpy image (BGR by default) to ``'jpeg'`` or ``'png'`` bytes.

    ``quality`` is the JPEG quality 1–100 (0 means 92); PNG ignores it.
    """
    with _Borrowed(image, channel_order) as img:
        return img.encode(codec, quality)


def save_image(image: Union[np.ndarray, Image], path: PathLike,
               codec: Union[str, Codec, None] = None, quality: int = 0,
               channel_order: str = "bgr") -> None:
    """Writes a numpy image (BGR by default) to ``path``, atomically.

    ``codec`` None picks it from the extension (.jpg/.jpeg/.png).
    """
    with _Borrowed(image, channel_order) as img:
        img.save(path, codec, quality)


def convert_image(image: np.ndarray, to: Union[str, PixelFormat],
                  channel_order: str = "bgr") -> np.ndarray:
    """Converts a numpy image through the library: ``to`` is a pixel format's name as the
    library reads it ('gray', 'bgr', 'rgb', 'bgra', 'rgba', 'grey', 'bgr8', ...; an unknown
    name raises :class:`UnknownNameError`, a ValueError) or a :class:`PixelFormat`.
    ``channel_order`` describes the input."""
    fmt = _enum(EnumKind.PIXEL_FORMAT, to, "to")
    with _Borrowed(image, channel_order) as img, img.convert(fmt) as out:
        return out.to_array("rgb" if fmt in (PixelFormat.RGB8, PixelFormat.RGBA8) else "bgr")


# --------------------------------------------------------------------------------------------
# Pictures for people (fs_draw_faces, fs_image_montage, fs_face_compare)
# --------------------------------------------------------------------------------------------
def draw_faces(image: ImageLike, faces, channel_order: str = "bgr") -> np.ndarray:
    """A copy of ``image`` with each face's box (green), detector rectangle (blue) and
    landmarks (red dots) drawn (``fs_draw_faces``); returned in ``channel_order`` (BGR)."""
    cf = [_as_face(f)._to_c() for f in faces]
    arr = (capi.fs_face * max(1, len(cf)))(*cf)
    with _Borrowed(image, channel_order) as img, img.convert(PixelFormat.BGR8) as canvas:
        _check(lib.fs_draw_faces(canvas.handle, arr, len(cf)))
        return canvas.to_array(channel_order)


def montage(images, height: int = 0, gap: int = 8, channel_order: str = "bgr") -> np.ndarray:
    """The images side by side, each scaled to ``height`` (0: 512) with ``gap`` black columns
    between them (``fs_image_montage``); BGR (or RGB with ``channel_order="rgb"``)."""
    borrowed = [_Borrowed(i, channel_order) for i in images]
    try:
        handles = (capi.fs_image_p * max(1, len(borrowed)))(*[b.image.handle for b in borrowed])
        out = capi.fs_image_p()
        _check(lib.fs_image_montage(handles, len(borrowed), int(height), int(gap), ctypes.byref(out)))
        with Image(out.value) as result:
            return result.to_array(channel_order)
    finally:
        for b in borrowed:
            b.__exit__()


def face_compare(before: ImageLike, after: ImageLike, face, channel_order: str = "bgr") -> np.ndarray:
    """One face before | after, cut to its box, at 2x when small (``fs_face_compare``)."""
    f = _as_face(face)._to_c()
    with _Borrowed(before, channel_order) as b, _Borrowed(after, channel_order) as a:
        out = capi.fs_image_p()
        _check(lib.fs_face_compare(b.handle, a.handle, ctypes.byref(f), ctypes.byref(out)))
        with Image(out.value) as result:
            return result.to_array(channel_order)


# --------------------------------------------------------------------------------------------
# Faces
# --------------------------------------------------------------------------------------------

def _empty_landmarks() -> np.ndarray:
    return np.zeros((0, 2), np.float32)


@dataclass(eq=False)
class Face:
    """One face, in pixels of the image it was found in.

    Attributes:
        box: ``(x, y, w, h)`` square crop around the face, grown by the detector's margin so
            the whole head is inside; may reach past the image border.
        rect: ``(x, y, w, h)`` the detector's own rectangle (what the landmark model expects).
        score: detector confidence; larger is surer (scale depends on the backend).
        landmarks: ``(N, 2)`` float32 array of (x, y), N = 68 (iBUG 300-W order: jaw 0–16,
            brows 17–26, nose 27–35, eyes 36–47, mouth 48–67), 5, or 0 before fitting.
    """

    box: Rect
    rect: Rect
    score: float = 0.0
    landmarks: np.ndarray = field(default_factory=_empty_landmarks)

    def __post_init__(self) -> None:
        self.box = tuple(float(v) for v in self.box)  # type: ignore[assignment]
        self.rect = tuple(float(v) for v in self.rect)  # type: ignore[assignment]
        if len(self.box) != 4 or len(self.rect) != 4:
            raise ValueError("box and rect are (x, y, w, h)")
        self.score = float(self.score)
        lm = np.asarray(self.landmarks, dtype=np.float32)
        if lm.size == 0:
            lm = _empty_landmarks()
        if lm.ndim != 2 or lm.shape[1] != 2 or lm.shape[0] > capi.MAX_LANDMARKS:
            raise ValueError(f"landmarks are an (N, 2) array with N <= {capi.MAX_LANDMARKS}; "
                             f"got shape {lm.shape}")
        self.landmarks = lm

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Face):
            return NotImplemented
        return (self.box == other.box and self.rect == other.rect and self.score == other.score
                and np.array_equal(self.landmarks, other.landmarks))

    __hash__ = None  # mutable, like any dataclass with eq

    @classmethod
    def from_rect(cls, rect: Sequence[float], score: float = 0.0) -> "Face":
        """A face with only a rectangle (e.g. from another detector), ready for fitting."""
        return cls(box=tuple(rect), rect=tuple(rect), score=score)  # type: ignore[arg-type]

    @classmethod
    def _from_c(cls, f: capi.fs_face) -> "Face":
        n = max(0, min(int(f.num_landmarks), capi.MAX_LANDMARKS))
        pts = np.ctypeslib.as_array(f.landmarks).view(np.float32).reshape(capi.MAX_LANDMARKS, 2)
        return cls(
            box=(f.box.x, f.box.y, f.box.width, f.box.height),
            rect=(f.rect.x, f.rect.y, f.rect.width, f.rect.height),
            score=f.score,
            landmarks=pts[:n].copy(),
        )

    def _to_c(self) -> capi.fs_face:
        f = capi.fs_face()
        f.box = capi.fs_rect(*self.box)
        f.rect = capi.fs_rect(*self.rect)
        f.score = self.score
        n = int(self.landmarks.shape[0])
        f.num_landmarks = n
        if n:
            pts = np.ctypeslib.as_array(f.landmarks).view(np.float32).reshape(capi.MAX_LANDMARKS, 2)
            pts[:n] = self.landmarks
        return f


def _as_face(face: Union[Face, Sequence[float]]) -> Face:
    return face if isinstance(face, Face) else Face.from_rect(face)


class Detector(_Handle):
    """A face detector (``fs_detector``). Create once (HOG ~0.5 s), use many times; one
    detector may be used from several threads at once.

    Args:
        backend: ``'hog'`` (dlib HOG + SVM, no model file), ``'cnn'`` (dlib MMOD CNN,
            mmod_human_face_detector.dat; slow on CPU) or ``'haar'`` (OpenCV Haar cascade).
        min_face_size: smallest face wanted, in input pixels. With ``downscale=0`` the image is
            scanned at ``min(1, 80 / min_face_size)`` scale.
        downscale: 0 for automatic (from ``min_face_size``), else the scan scale in (0, 1].
        upsample: times to double the image before scanning (0-3), or -1: automatic (finer scans
            of small photos and of photos where none or only small faces were found).
        margin: ``box`` side = (1 + margin) × the detector's face size, centred on the face.
        threshold: minimum score kept (HOG/CNN: dlib's adjust_threshold).
        max_faces: keep at most this many, largest first (0: all).
        model_path: explicit CNN model / Haar cascade file; None: the library's resolver.

    Every option left at None takes the library's default (``fs_detector_options_init``;
    ``faceswap.options("detector")`` lists them with their ranges): HOG, automatic scale for
    faces of 80 px and up, no upsampling, margin 0.5, threshold 0, every face.

    Raises :class:`FaceSwapError` (INVALID_ARGUMENT for a bad option, MODEL, UNSUPPORTED);
    :class:`UnknownNameError` (a ValueError) for an unknown backend name.
    """

    _free = staticmethod(lambda h: lib.fs_detector_free(h))

    def __init__(self, backend: Union[str, int, None] = None, min_face_size: Optional[int] = None,
                 downscale: Optional[float] = None, upsample: Optional[int] = None,
                 margin: Optional[float] = None, threshold: Optional[float] = None,
                 max_faces: Optional[int] = None, model_path: Optional[PathLike] = None):
        super().__init__()
        opts = _options(capi.fs_detector_options)
        _set(opts, OptionsKind.DETECTOR, backend=backend, min_face_size=min_face_size,
             downscale=downscale, upsample=upsample, margin=margin, threshold=threshold,
             max_faces=max_faces)
        opts.model_path = _fspath(model_path) if model_path is not None else None
        out = ctypes.c_void_p()
        _check(lib.fs_detector_create(ctypes.byref(opts), ctypes.byref(out)))
        self._handle = out
        self.max_faces = int(opts.max_faces)

    def detect(self, image: Union[np.ndarray, Image], channel_order: str = "bgr") -> list:
        """Finds faces, largest first: a list of :class:`Face` (no landmarks yet).

        ``image`` is a uint8 numpy array — (H, W, 3) **BGR** by default, ``channel_order="rgb"``
        for RGB; (H, W, 4) BGRA/RGBA; (H, W) grey — or an :class:`Image`. No face gives ``[]``.
        """
        with _Borrowed(image, channel_order) as img:
            return _faces_of(lambda faces, capacity, count: lib.fs_detect(self.handle, img.handle, faces, capacity, count),
                             self.max_faces if self.max_faces > 0 else 32)

    __call__ = detect


class Landmarker(_Handle):
    """A dlib shape predictor (``fs_landmarker``), 68 or 5 points. Loading takes ~0.8 s: do it
    once. Thread-safe.

    Args:
        model_path: the predictor .dat file; None: the resolver's
            ``shape_predictor_68_face_landmarks.dat`` (FACESWAP_MODEL_PATH, ~/.local/share/
            faceswap/models, /usr/share/dlib, ...).

    Raises :class:`FaceSwapError` (MODEL: missing or invalid file; the message says where it
    looked).
    """

    _free = staticmethod(lambda h: lib.fs_landmarker_free(h))

    def __init__(self, model_path: Optional[PathLike] = None):
        super().__init__()
        out = ctypes.c_void_p()
        path = _fspath(model_path) if model_path is not None else None
        _check(lib.fs_landmarker_create(path, ctypes.byref(out)))
        self._handle = out

    @property
    def num_points(self) -> int:
        """68 or 5 (``fs_landmarker_num_points``)."""
        return int(lib.fs_landmarker_num_points(self.handle))

    def fit(self, image: Union[np.ndarray, Image], face: Union[Face, Sequence[float]],
            channel_order: str = "bgr") -> Face:
        """Fits the landmarks inside ``face.rect``; returns a new :class:`Face` with them.

        ``face`` is a :class:`Face` or an ``(x, y, w, h)`` rectangle. ``image`` as in
        :meth:`Detector.detect` (BGR by default).
        """
        with _Borrowed(image, channel_order) as img:
            return self._fit(img, _as_face(face))

    def fit_many(self, image: Union[np.ndarray, Image], faces: Iterable[Union[Face, Sequence[float]]],
                 channel_order: str = "bgr") -> list:
        """:meth:`fit` for several faces of one image (the image is copied in once)."""
        with _Borrowed(image, channel_order) as img:
            return [self._fit(img, _as_face(f)) for f in faces]

    def _fit(self, img: Image, face: Face) -> Face:
        f = face._to_c()
        _check(lib.fs_landmarks_fit(self.handle, img.handle, ctypes.byref(f)))
        return Face._from_c(f)

    __call__ = fit


# --------------------------------------------------------------------------------------------
# Alignment
# --------------------------------------------------------------------------------------------

def _affine_in(m) -> capi.fs_affine:
    a = np.asarray(m, dtype=np.float64)
    if a.shape == (3, 3):
        a = a[:2]
    if a.shape not in ((2, 3), (6,)):
        raise ValueError(f"an affine transform is a 2x3 matrix; got shape {a.shape}")
    out = capi.fs_affine()
    out.m[:] = [float(v) for v in a.reshape(6)]
    return out


def _affine_out(a: capi.fs_affine) -> np.ndarray:
    return np.array(list(a.m), dtype=np.float64).reshape(2, 3)


def align_transform(face: Face, size: int = 256, padding: float = 0.25) -> np.ndarray:
    """The 2x3 similarity transform mapping the face's landmarks (image pixels) onto the
    canonical face in a ``size`` × ``size`` crop with ``padding`` (0–0.45).

    ``x' = m[0,0]*x + m[0,1]*y + m[0,2]``, ``y' = m[1,0]*x + m[1,1]*y + m[1,2]``.
    The face needs landmarks (:meth:`Landmarker.fit`), else INVALID_ARGUMENT.
    """
    f = face._to_c()
    out = capi.fs_affine()
    _check(lib.fs_align_transform(ctypes.byref(f), int(size), float(padding), ctypes.byref(out)))
    return _affine_out(out)


def align_crop(image: Union[np.ndarray, Image], transform, size: int = 256,
               channel_order: str = "bgr") -> np.ndarray:
    """Warps ``image`` into a new ``size`` × ``size`` image by ``transform`` (image pixels →
    crop pixels, as :func:`align_transform` gives); bilinear, border replicated. The result
    has the input's layout (BGR in, BGR out; with ``channel_order="rgb"``, RGB in and out).
    """
    t = _affine_in(transform)
    with _Borrowed(image, channel_order) as img:
        out = ctypes.c_void_p()
        _check(lib.fs_align_crop(img.handle, ctypes.byref(t), int(size), ctypes.byref(out)))
        with Image(out.value) as crop:
            return crop.to_array(channel_order)


def align_template(size: int = 256, padding: float = 0.25) -> np.ndarray:
    """The canonical face's 68 points in crop pixels, a ``(68, 2)`` float32 array."""
    pts = (capi.fs_point * capi.MAX_LANDMARKS)()
    _check(lib.fs_align_template(int(size), float(padding), pts))
    return np.ctypeslib.as_array(pts).view(np.float32).reshape(capi.MAX_LANDMARKS, 2).copy()


def invert_affine(transform) -> np.ndarray:
    """The inverse 2x3 transform (``fs_affine_invert``); INVALID_ARGUMENT if singular."""
    t = _affine_in(transform)
    out = capi.fs_affine()
    _check(lib.fs_affine_invert(ctypes.byref(t), ctypes.byref(out)))
    return _affine_out(out)


def apply_affine(transform, points) -> np.ndarray:
    """Maps ``(N, 2)`` points through a 2x3 transform (``fs_affine_apply``); float32 result."""
    t = _affine_in(transform)
    p = np.ascontiguousarray(np.asarray(points, dtype=np.float32).reshape(-1, 2))
    n = p.shape[0]
    buf = (capi.fs_point * max(n, 1))()
    arr = np.ctypeslib.as_array(buf).view(np.float32).reshape(-1, 2)
    arr[:n] = p
    _check(lib.fs_affine_apply(ctypes.byref(t), buf, n))
    return arr[:n].copy()


# --------------------------------------------------------------------------------------------
# Convenience
# --------------------------------------------------------------------------------------------

_defaults_lock = threading.Lock()
_default_detector: Optional[Detector] = None
_default_landmarker: Optional[Landmarker] = None


def _defaults() -> Tuple[Detector, Landmarker]:
    global _default_detector, _default_landmarker
    with _defaults_lock:
        if _default_detector is None:
            _default_detector = Detector()
        if _default_landmarker is None:
            _default_landmarker = Landmarker()
        return _default_detector, _default_landmarker


def detect_landmarks(image: Union[np.ndarray, Image], detector: Optional[Detector] = None,
                     landmarker: Optional[Landmarker] = None, channel_order: str = "bgr") -> list:
    """Detects faces and fits landmarks to each: a list of :class:`Face`, largest first.

    Without ``detector`` / ``landmarker``, a default HOG detector and the 68-point model are
    created on first use and kept. ``image``: BGR by default (see :meth:`Detector.detect`).
    """
    if detector is None or landmarker is None:
        d, l = _defaults()
        detector = detector or d
        landmarker = landmarker or l
    with _Borrowed(image, channel_order) as img:
        return [landmarker._fit(img, f) for f in detector.detect(img)]


# --------------------------------------------------------------------------------------------
# Identity
# --------------------------------------------------------------------------------------------

ImageLike = Union[np.ndarray, Image]


def _embedding_in(e, name: str = "embedding"):
    a = np.ascontiguousarray(np.asarray(e, dtype=np.float32).reshape(-1))
    if a.shape != (capi.EMBEDDING_SIZE,):
        raise ValueError(f"{name} must have {capi.EMBEDDING_SIZE} numbers; got shape "
                         f"{np.shape(e)}")
    return a


def _float_ptr(a: np.ndarray):
    return a.ctypes.data_as(ctypes.POINTER(ctypes.c_float))


class Recognizer(_Handle):
    """dlib's face-recognition ResNet (``fs_recognizer``): a 128-D identity embedding per face.
    Two photos of one person are usually less than 0.6 apart (:func:`embedding_distance`).

    Args:
        model_path: ``dlib_face_recognition_resnet_model_v1.dat``; None: the library's resolver
            (FACESWAP_MODEL_PATH, ~/.local/share/faceswap/models, the face_recognition_models
            package, ...).

    Raises :class:`FaceSwapError` (MODEL: missing or not this network; UNSUPPORTED).
    Loading takes a moment: create it once. Thread-safe.
    """

    _free = staticmethod(lambda h: lib.fs_recognizer_free(h))

    def __init__(self, model_path: Optional[PathLike] = None):
        super().__init__()
        out = ctypes.c_void_p()
        path = _fspath(model_path) if model_path is not None else None
        _check(lib.fs_recognizer_create(path, ctypes.byref(out)))
        self._handle = out

    def embed(self, image: ImageLike, face: Optional[Face] = None,
              channel_order: str = "bgr") -> np.ndarray:
        """The identity embedding of ``face`` in ``image``: a ``(128,)`` float32 array
        (``fs_face_embedding``).

        ``face`` needs 68 (or 5) landmarks (:meth:`Landmarker.fit`, :func:`detect_landmarks`).
        With ``face=None`` the largest face of the image is found with the default detector
        and landmarker (FaceSwapError NO_FACE if there is none). ``image`` is BGR by default.
        """
        with _Borrowed(image, channel_order) as img:
            if face is None:
                return _embed_largest(self, img, None, None)
            return self._embed(img, face)

    def _embed(self, img: Image, face: Face) -> np.ndarray:
        f = face._to_c()
        out = np.zeros(capi.EMBEDDING_SIZE, np.float32)
        _check(lib.fs_face_embedding(self.handle, img.handle, ctypes.byref(f), _float_ptr(out)))
        return out

    __call__ = embed


def embedding_distance(a, b) -> float:
    """Euclidean distance of two 128-D embeddings (``fs_embedding_distance``); < 0.6 usually
    means the same person."""
    ea, eb = _embedding_in(a, "a"), _embedding_in(b, "b")
    return float(lib.fs_embedding_distance(_float_ptr(ea), _float_ptr(eb)))


def _embed_largest(recognizer: Recognizer, img: Image, detector: Optional[Detector],
                   landmarker: Optional[Landmarker]) -> np.ndarray:
    """The embedding of the largest face in img (fs_reference_embedding); FaceSwapError NO_FACE
    when there is none."""
    if detector is None or landmarker is None:
        d, l = _defaults()
        detector = detector or d
        landmarker = landmarker or l
    out = np.zeros(capi.EMBEDDING_SIZE, np.float32)
    _check(lib.fs_reference_embedding(recognizer.handle, detector.handle, landmarker.handle, img.handle, 0,
                                      _float_ptr(out)))
    return out


_default_recognizer: Optional[Recognizer] = None


def _recognizer() -> Recognizer:
    global _default_recognizer
    with _defaults_lock:
        if _default_recognizer is None:
            _default_recognizer = Recognizer()
        return _default_recognizer


# --------------------------------------------------------------------------------------------
# Swapping
# --------------------------------------------------------------------------------------------

def _face_index(faces) -> Optional[int]:
    if faces is None:
        return None
    if isinstance(faces, str):
        if faces.lower() != "all":
            raise ValueError(f"faces is 'all' or the index of one face (0 = largest), not {faces!r}")
        return -1
    if isinstance(faces, bool) or not isinstance(faces, (int, np.integer)):
        raise TypeError(f"faces is 'all' or an int, not {faces!r}")
    return int(faces)  # the library checks the range (INVALID_ARGUMENT)


def _is_embedding(reference) -> bool:
    if isinstance(reference, Image):
        return False
    a = np.asarray(reference)
    return a.ndim == 1


def _h(handle_owner) -> Optional[ctypes.c_void_p]:
    """The C handle of a handle object, or NULL for None."""
    return None if handle_owner is None else handle_owner.handle


def _close(handle_owner) -> None:
    if handle_owner is not None:
        handle_owner.close()


class Source(_Handle):
    """A source face prepared once (``fs_source``) by :meth:`Swapper.prepare` and reused for
    any number of targets (and threads). The source image may be dropped afterwards."""

    _free = staticmethod(lambda h: lib.fs_source_free(h))

    def __init__(self, handle: ctypes.c_void_p):
        super().__init__()
        self._handle = handle

    @property
    def face(self) -> Face:
        """The prepared face with its 68 landmarks, in the source image's pixels
        (``fs_source_get_face``)."""
        f = capi.fs_face()
        _check(lib.fs_source_get_face(self.handle, ctypes.byref(f)))
        return Face._from_c(f)

    def __repr__(self) -> str:
        if self._handle is None:
            return "<faceswap.Source closed>"
        return f"<faceswap.Source box={tuple(round(v, 1) for v in self.face.box)}>"


class Swapper(_Handle):
    """Face swapping (``fs_swapper``): puts a source face onto the faces of target images,
    keeping the target's pose, expression, lighting and everything outside the face.

    Create once, use many times (and from several threads). Images are numpy arrays, **BGR**
    by default (``channel_order="rgb"`` on each method for RGB); grey and 4-channel images work
    too, and a result always has the target's layout.

    Args:
        detector, landmarker: the :class:`Detector` and 68-point :class:`Landmarker` to use;
            None: the module's shared defaults (HOG, upsample 0; the 68-point model).
        recognizer: a :class:`Recognizer`, needed only with ``reference`` (created
            automatically then, if not given) and for identity figures in :meth:`evaluate`.
        mode: ``'delaunay'`` (piecewise-affine; follows the target's expression; default) or
            ``'affine'`` (one global affine map).
        color: colour correction inside the mask: ``'reinhard'`` (default), ``'none'``,
            ``'mean'`` or ``'hist'``.
        blend: ``'multiband'`` (Laplacian pyramid; default), ``'alpha'``, ``'poisson'`` (fast
            membrane) or ``'poisson-exact'`` (OpenCV seamlessClone; slower).
        expression: delaunay: 1 = eyes, brows, nose, mouth take the target's shape and
            expression, 0 = keep the source's shape (default 0.6).
        forehead: raise the mask above the brows by this fraction of the brow-to-chin height
            (default 0.1).
        erode: shrink the mask by this fraction of the face size; negative grows it
            (default 0.04).
        feather: feather radius, a fraction of the face size (default 0.06).
        keep_mouth: keep the target's mouth interior (teeth, tongue); default True.
        faces: ``'all'`` (default) or the index of the one target face to replace
            (0 = the largest).
        reference: only replace target faces of this person: an image (numpy array or
            :class:`Image`, whose largest face is used; ``channel_order`` applies) or a
            128-D embedding (:meth:`Recognizer.embed`). Needs the recognizer.
        identity_threshold: the embedding distance under which a target face matches the
            reference (default 0.6).
        keep_unmatched: a target with no (matching) face comes back unchanged with 0 faces
            swapped instead of raising FaceSwapError NO_FACE.
        channel_order: the channel order of a ``reference`` image.
        model: a trained :class:`Model`: target faces are converted by it (A's become B's) and
            no source is needed (pass ``None`` as the source to every method).
        reverse: with ``model``: B's faces become A's.
        model_mask: with ``model``: also limit the mask to the model's own mask output.
        keep_model_shape: with ``model``: map the decoded face back by the alignment alone
            (the decoder's face shape) instead of fitting its landmarks and warping them like a
            photo source's (the target's jaw; features by ``expression``).

    Every option left at None takes the library's default (``fs_swap_options_init``; the
    defaults above; ``faceswap.options("swap")`` lists them with their ranges);
    :attr:`options` shows the values in use, by the library's names.

    Raises :class:`FaceSwapError`: INVALID_ARGUMENT (an option out of range; the message names
    it and its range), UNSUPPORTED (a 5-point landmarker, an unknown enum value), MODEL (no
    recognizer model for ``reference``), NO_FACE (a reference image without a face). Unknown
    names (``blend="paste"``) raise :class:`UnknownNameError`, a ``ValueError`` with the
    library's message.
    """

    _free = staticmethod(lambda h: lib.fs_swapper_free(h))

    def __init__(self, detector: Optional[Detector] = None, landmarker: Optional[Landmarker] = None,
                 recognizer: Optional[Recognizer] = None, mode: Union[str, int, None] = None,
                 color: Union[str, int, None] = None, blend: Union[str, int, None] = None,
                 expression: Optional[float] = None, forehead: Optional[float] = None,
                 erode: Optional[float] = None, feather: Optional[float] = None,
                 keep_mouth: Optional[bool] = None, faces: Union[str, int, None] = None,
                 reference=None, identity_threshold: Optional[float] = None,
                 keep_unmatched: Optional[bool] = None, channel_order: str = "bgr",
                 model: Optional["Model"] = None, reverse: bool = False,
                 model_mask: Optional[bool] = None, keep_model_shape: Optional[bool] = None,
                 **more_options):
        super().__init__()
        if model is not None and not isinstance(model, Model):
            raise TypeError(f"model is a faceswap.Model, not {type(model).__name__}")
        if reverse and model is None:
            raise ValueError("reverse=True needs a model (it turns B's faces into A's)")
        if model is not None and reference is not None:
            raise ValueError("a learned swapper chooses faces by index (faces=N), not by reference")
        self.model = model
        if detector is None or landmarker is None:
            d, l = _defaults()
            detector = detector or d
            landmarker = landmarker or l
        if reference is not None and recognizer is None:
            recognizer = _recognizer()
        self.detector = detector
        self.landmarker = landmarker
        self.recognizer = recognizer

        opts = _options(capi.fs_swap_options)
        _set(opts, OptionsKind.SWAP, mode=mode, color=color, blend=blend, expression=expression,
             forehead=forehead, erode=erode, feather=feather, keep_mouth=keep_mouth,
             face_index=_face_index(faces), keep_unmatched=keep_unmatched,
             identity_threshold=identity_threshold, use_model_mask=model_mask,
             keep_model_shape=keep_model_shape, **more_options)  # any other option by its library name
        self.reference: Optional[np.ndarray] = None
        if reference is not None:
            if _is_embedding(reference):
                ref = _embedding_in(reference, "reference")
            else:
                with _Borrowed(reference, channel_order) as img:
                    ref = _embed_largest(recognizer, img, detector, landmarker)
            opts.use_reference = 1
            opts.reference[:] = [float(v) for v in ref]
            self.reference = ref.copy()
        #: the options in use by the library's names (``faceswap.options("swap")``), the
        #: library's defaults filled in; a learned swapper adds ``model`` and ``reverse``
        self.options = _in_use(opts, OptionsKind.SWAP)
        out = ctypes.c_void_p()
        if model is not None:
            self.options.update(model=model.path, reverse=bool(reverse))
            _check(lib.fs_swapper_create_learned(detector.handle, landmarker.handle, model.handle,
                                                 1 if reverse else 0, ctypes.byref(opts),
                                                 ctypes.byref(out)))
        else:
            _check(lib.fs_swapper_create(detector.handle, landmarker.handle,
                                         recognizer.handle if recognizer is not None else None,
                                         ctypes.byref(opts), ctypes.byref(out)))
        self._handle = out

    # sources ------------------------------------------------------------------------------
    def prepare(self, image: ImageLike, face_index: int = 0, channel_order: str = "bgr") -> Source:
        """Prepares the ``face_index``-th largest face of ``image`` (0 = the largest) as a
        :class:`Source` (``fs_source_prepare``). Raises FaceSwapError NO_FACE when the image
        has no face, INVALID_ARGUMENT when it has no face ``face_index``."""
        with _Borrowed(image, channel_order) as img:
            out = ctypes.c_void_p()
            _check(lib.fs_source_prepare(self.handle, img.handle, int(face_index), ctypes.byref(out)))
            return Source(out)

    def _source(self, source, channel_order: str):
        """(Source, owned) for a Source or a source image; (None, False) for None (a swapper
        with a model needs no source; the library refuses None otherwise)."""
        if source is None:
            return None, False
        if isinstance(source, Source):
            return source, False
        return self.prepare(source, 0, channel_order), True

    # swapping ------------------------------------------------------------------------------
    def targets(self, target: ImageLike, channel_order: str = "bgr") -> list:
        """The faces of ``target`` that :meth:`swap` replaces (chosen by face index or the
        reference), with landmarks, largest first (``fs_swap_targets``)."""
        with _Borrowed(target, channel_order) as img:
            return _faces_of(lambda faces, capacity, count: lib.fs_swap_targets(self.handle, img.handle, faces, capacity, count))

    def swap(self, source: Union[Source, ImageLike], target: ImageLike, return_mask: bool = False,
             channel_order: str = "bgr"):
        """Puts the source face onto the chosen faces of ``target`` (``fs_swap``); ``target``
        is not changed.

        ``source`` is a :class:`Source` from :meth:`prepare` (fastest when reused) or a source
        image (its largest face is used). Returns a new array with the target's size and layout
        (BGR by default); with ``return_mask=True``, ``(result, mask, n_faces)`` where ``mask``
        is an ``(H, W)`` uint8 array of how much of the source each pixel took (0 = the
        target's pixel, bit-identical) and ``n_faces`` the number of faces replaced.

        Raises FaceSwapError NO_FACE when the target has no (matching) face, unless the
        swapper has ``keep_unmatched``.
        """
        src, owned = self._source(source, channel_order)
        try:
            with _Borrowed(target, channel_order) as img:
                out = ctypes.c_void_p()
                mask = ctypes.c_void_p()
                count = ctypes.c_size_t()
                _check(lib.fs_swap(self.handle, _h(src), img.handle, ctypes.byref(out),
                                   ctypes.byref(mask) if return_mask else None, ctypes.byref(count)))
                with Image(out.value) as result:
                    result_array = result.to_array(channel_order)
                if not return_mask:
                    return result_array
                if mask.value:
                    with Image(mask.value) as m:
                        mask_array = m.to_array()
                else:
                    mask_array = np.zeros(result_array.shape[:2], np.uint8)
                return result_array, mask_array, int(count.value)
        finally:
            if owned:
                _close(src)

    def swap_inplace(self, source: Union[Source, ImageLike], target: Union[np.ndarray, Image],
                     channel_order: str = "bgr") -> int:
        """Swaps straight into ``target``'s own pixels (``fs_swap_inplace`` on an
        ``fs_image_wrap`` of the array): no copy of the frame is made, e.g. for video.

        ``target`` is a writeable uint8 numpy array whose rows are packed (C-contiguous, or a
        crop of a C-contiguous array; see :meth:`Image.wrap`), or an :class:`Image`. Other
        layouts raise ``ValueError`` rather than silently swapping into a copy. Returns the
        number of faces replaced. On NO_FACE the array is left unchanged.
        """
        src, owned = self._source(source, channel_order)
        try:
            img, own_img = (target, False) if isinstance(target, Image) else \
                (Image.wrap(target, channel_order), True)
            try:
                count = ctypes.c_size_t()
                _check(lib.fs_swap_inplace(self.handle, _h(src), img.handle, ctypes.byref(count)))
                return int(count.value)
            finally:
                if own_img:
                    img.close()
        finally:
            if owned:
                _close(src)

    def swap_face(self, source: Union[Source, ImageLike], target: Union[np.ndarray, Image],
                  face: Face, channel_order: str = "bgr") -> None:
        """Replaces one face whose 68 landmarks you already have (tracking, your own detector),
        writing into ``target`` in place like :meth:`swap_inplace` (``fs_swap_face``).
        INVALID_ARGUMENT if ``face`` has no 68 landmarks."""
        src, owned = self._source(source, channel_order)
        try:
            img, own_img = (target, False) if isinstance(target, Image) else \
                (Image.wrap(target, channel_order), True)
            try:
                f = face._to_c()
                _check(lib.fs_swap_face(self.handle, _h(src), img.handle, ctypes.byref(f)))
            finally:
                if own_img:
                    img.close()
        finally:
            if owned:
                _close(src)

    # metrics -------------------------------------------------------------------------------
    def evaluate(self, source: ImageLike, target: ImageLike, result: ImageLike,
                 channel_order: str = "bgr") -> dict:
        """Measures a swap (``fs_eval_swap``) with this swapper's detector, landmarker and
        recognizer. Returns a dict:

        * ``identity_to_source``, ``identity_to_target``: embedding distance of the result's
          face to the source's / the target's (None without a recognizer, or when the source
          has no detectable face); a good swap has the first smaller.
        * ``landmark_error``: mean distance of the result's re-detected 68 points to the
          target's, over the target's inter-ocular distance.
        * ``changed_outside``: fraction of pixels outside the dilated face regions that differ.
        * ``seam_score``: gradient on the mask outline, result over target (≈ 1: no seam).
        * ``edge_step_worst``, ``edge_step_mean``: the colour step (CIE ΔE76) the swap adds at
          the face's edge, per sector of 16 around every target face (rings either side of the
          jaw and raised brows, result minus target): the worst sector, the mean.
        * ``redetected``: False when no face was re-detected in the result (landmarks were then
          fitted in the target's box).

        Raises FaceSwapError NO_FACE (target has none), INVALID_ARGUMENT (sizes differ).
        """
        with _Borrowed(source, channel_order) as s, _Borrowed(target, channel_order) as t, \
                _Borrowed(result, channel_order) as r:
            m = capi.fs_swap_metrics()
            _check(lib.fs_eval_swap(self.handle, s.handle, t.handle, r.handle, ctypes.byref(m)))

        def opt(v: float) -> Optional[float]:
            return None if v != v else float(v)

        return {
            "identity_to_source": opt(m.identity_to_source),
            "identity_to_target": opt(m.identity_to_target),
            "landmark_error": float(m.landmark_error),
            "changed_outside": float(m.changed_outside),
            "seam_score": float(m.seam_score),
            "edge_step_worst": float(m.edge_step_worst),
            "edge_step_mean": float(m.edge_step_mean),
            "redetected": bool(m.redetected),
        }


_swapper_cache: "dict[tuple, Swapper]" = {}
_SWAPPER_CACHE_SIZE = 8


def swap(source: ImageLike, target: ImageLike, channel_order: str = "bgr",
         return_mask: bool = False, source_face: int = 0, **options):
    """One call: puts the largest face of ``source`` (or face ``source_face``) onto the faces of
    ``target`` and returns the result (``(result, mask, n_faces)`` with ``return_mask``).

    ``options`` are :class:`Swapper`'s (``mode``, ``color``, ``blend``, ``faces``,
    ``reference``, ``detector``, ...). The default detector, landmarker (and recognizer, when
    needed) are created on first use and kept; swappers with the same plain options are reused
    too. For many targets, make a :class:`Swapper` and :meth:`Swapper.prepare` the source once.
    Images are BGR by default.
    """
    cacheable = all(k not in options for k in ("reference", "detector", "landmarker", "recognizer"))
    swapper = None
    key = None
    if cacheable:
        try:
            key = tuple(sorted((k, v if not isinstance(v, np.generic) else v.item())
                               for k, v in options.items()))
            hash(key)
        except TypeError:
            key = None
    if key is not None:
        with _defaults_lock:
            swapper = _swapper_cache.get(key)
    if swapper is None:
        swapper = Swapper(channel_order=channel_order, **options)
        if key is not None:
            with _defaults_lock:
                if len(_swapper_cache) >= _SWAPPER_CACHE_SIZE:
                    _swapper_cache.pop(next(iter(_swapper_cache)))
                _swapper_cache[key] = swapper
    with swapper.prepare(source, source_face, channel_order) as src:
        return swapper.swap(src, target, return_mask=return_mask, channel_order=channel_order)


def _image_set(images):
    if isinstance(images, (np.ndarray, Image)):
        if isinstance(images, np.ndarray) and images.ndim == 4:
            return [images[i] for i in range(images.shape[0])]
        return [images]
    return list(images)  # an empty set is the library's INVALID_ARGUMENT


def color_mean_shift(images_a, images_b, channel_order: str = "bgr") -> None:
    """Shifts every image of set A by ``mean(B) - mean(A)`` per colour channel, the means
    taken over all pixels of each set (``fs_color_mean_shift``; values clip at 0 and 255; alpha
    is not changed). The classic pre-processing of two face sets before training.

    The arrays of ``images_a`` are **changed in place** (they are wrapped with
    ``fs_image_wrap``, not copied): each must be a writeable uint8 ``(H, W, 3)`` or
    ``(H, W, 4)`` array with packed rows (C-contiguous, see :meth:`Image.wrap`); an
    ``(N, H, W, C)`` stack counts as N images. ``images_b`` is only read (any layout). Both
    sets must share one colour layout; ``channel_order`` says which (BGR by default; the shift
    is per channel, so the order only matters for mixing arrays with :class:`Image` objects).

    Raises FaceSwapError INVALID_ARGUMENT (an empty set), UNSUPPORTED (grey or mixed formats).
    """
    order = _order(channel_order)
    set_a = _image_set(images_a)
    set_b = _image_set(images_b)
    owned: list = []
    try:
        handles_a = []
        for a in set_a:
            if isinstance(a, Image):
                img = a
            else:
                img = Image.wrap(a, order)
                owned.append(img)
            handles_a.append(img.handle.value)
        handles_b = []
        for b in set_b:
            img, own = Image._of(b, order)
            if own:
                owned.append(img)
            handles_b.append(img.handle.value)
        arr_a = (ctypes.c_void_p * len(handles_a))(*handles_a) if handles_a else None
        arr_b = (ctypes.c_void_p * len(handles_b))(*handles_b) if handles_b else None
        _check(lib.fs_color_mean_shift(arr_a, len(handles_a), arr_b, len(handles_b)))
    finally:
        for img in owned:
            img.close()


# --------------------------------------------------------------------------------------------
# Video: frame streams and video files
# --------------------------------------------------------------------------------------------

def _stream_options(detect_interval, min_cutoff, beta, scene_cut, threads=None) -> capi.fs_stream_options:
    """fs_stream_options_init's defaults with the options that are not None set."""
    opts = _options(capi.fs_stream_options)
    _set(opts, OptionsKind.STREAM, detect_interval=detect_interval, min_cutoff=min_cutoff,
         beta=beta, scene_cut=scene_cut, threads=threads)
    return opts


def _encoding(opts, crf, preset, threads=None) -> None:
    """Sets crf, preset and threads on fs_video_options or fs_reenact_options (the same fields,
    described under FS_OPTIONS_VIDEO) when given; ctypes keeps the preset's bytes with opts."""
    _set(opts, OptionsKind.VIDEO, crf=crf, threads=threads)
    if preset is not None:
        opts.preset = preset.encode() if isinstance(preset, str) else bytes(preset)


def _time(time: Optional[float]) -> float:
    return -1.0 if time is None else float(time)


def _is_path(x) -> bool:
    return isinstance(x, (str, bytes, os.PathLike))


def _video_stats(s: capi.fs_video_stats) -> dict:
    return {
        "frames": int(s.frames),
        "frames_with_faces": int(s.frames_with_faces),
        "scene_cuts": int(s.scene_cuts),
        "seconds": float(s.seconds),
    }


class _Progress:
    """A Python progress callable wrapped as an ``fs_progress_fn``.

    ``fn(done, total)`` returns None or a true value to go on, a false value (False, 0) to
    cancel. An exception raised by ``fn`` cancels the job too; :meth:`check` re-raises it once
    the C call has returned. Keep the object alive for the whole call (it owns the C thunk).
    """

    def __init__(self, fn):
        if fn is not None and not callable(fn):
            raise TypeError(f"progress must be a callable(done, total), not {fn!r}")
        self.fn = fn
        self.error: Optional[BaseException] = None
        # A NULL fs_progress_fn when there is no callable.
        self.c = capi.fs_progress_fn(self._call) if fn is not None else capi.fs_progress_fn()

    def _call(self, user, done, total) -> int:
        if self.error is not None:
            return 1
        try:
            r = self.fn(int(done), int(total))
        except BaseException as e:  # noqa: B902 - even KeyboardInterrupt: cancel, re-raise later
            self.error = e
            return 1
        return 0 if r is None or r else 1

    def check(self, status: int) -> None:
        """Raises the callback's exception if it raised one, else FaceSwapError for status."""
        if self.error is not None:
            err, self.error = self.error, None
            raise err
        _check(status)


def _frame_view(frame: np.ndarray, order: str, what: str) -> capi.fs_image_view:
    """An fs_image_view on a numpy array's own memory (Image.wrap, in-place processing)."""
    if not isinstance(frame, np.ndarray):
        raise TypeError(f"{what} needs a numpy array, not {type(frame).__name__}")
    if frame.dtype != np.uint8:
        raise TypeError(f"frames are uint8 arrays; got dtype {frame.dtype}")
    channels = _channels(frame)
    fmt = _format_for(channels, order)
    if not _rows_packed(frame, channels):
        raise ValueError(
            f"{what} works on the array's own memory, so it needs an array whose rows are packed "
            f"pixels (C-contiguous, or a crop of one); got strides {frame.strides} for shape "
            f"{frame.shape}. Use f = np.ascontiguousarray(f) and read the result from f.")
    if not frame.flags.writeable:
        raise ValueError(f"{what} may write into the array, so it needs a writeable array "
                         "(pass a copy: np.array(frame))")
    return _view_of(frame, fmt, channels)


def _channels(a: np.ndarray) -> int:
    """Channels of an (H, W) or (H, W, C) image array."""
    if a.ndim == 2:
        return 1
    if a.ndim == 3:
        return a.shape[2]
    raise ValueError(f"an image array is (H, W) or (H, W, C); got shape {a.shape}")


def _rows_packed(a: np.ndarray, channels: int) -> bool:
    """Each row's pixels are packed (rows themselves may sit anywhere, e.g. in a crop)."""
    packed = (a.ndim == 2 and a.strides[1] == 1 or
              a.ndim == 3 and a.strides[2] == 1 and a.strides[1] == channels)
    return packed and a.strides[0] >= a.shape[1] * channels


def _view_of(a: np.ndarray, fmt, channels: int) -> capi.fs_image_view:
    """An fs_image_view on a's memory (borrowed: a must outlive its use)."""
    h, w = a.shape[0], a.shape[1]
    view = capi.fs_image_view()
    view.data = a.ctypes.data if a.size else None
    view.width = w
    view.height = h
    view.stride = a.strides[0] if a.size else w * channels
    view.format = int(fmt)
    return view


def _faces_of(getter, capacity: int = 8) -> list:
    """Calls getter(faces, capacity, byref(count)) growing the array until all faces fit
    (``capacity``: the first array's size)."""
    while True:
        faces = (capi.fs_face * capacity)()
        count = ctypes.c_size_t()
        _check(getter(faces, capacity, ctypes.byref(count)))
        if count.value <= capacity:
            return [Face._from_c(faces[i]) for i in range(count.value)]
        capacity = int(count.value)


class Stream(_Handle):
    """Swaps the frames of one video in order (``fs_stream``): detection every
    ``detect_interval`` frames, landmark tracking in between, a One-Euro filter on the landmarks
    (steady faces, no jitter) and scene-cut detection that restarts the tracks.

    Args:
        swapper: the :class:`Swapper` (its detector, landmarker and options are used).
        source: a :class:`Source` from :meth:`Swapper.prepare`, or a source image (numpy array
            or :class:`Image`, its largest face is used; ``channel_order`` applies).
        detect_interval: run the detector every N frames (and when a track is lost or the scene
            cuts); re-fit the landmarks in the predicted box in between.
        min_cutoff: One-Euro filter cutoff in Hz when still (0 turns the filter off).
        beta: how fast the cutoff rises with motion, per inter-ocular distance per second.
        scene_cut: mean absolute difference of consecutive 32×18 grey thumbnails (0–255) that
            counts as a cut.
        threads: threads one :meth:`push` may use to swap the faces of a frame at the same time
            (0: every core, 1: only the calling thread; None: the library's default, 0).

    Each of the options left at None takes the library's default
    (``fs_stream_options_init``: detect_interval 5, scene_cut 28, and the filter's
    min_cutoff and beta as the library tunes them; ``faceswap.options("stream")`` lists them
    with their ranges); :attr:`options` shows the values in use.

    Not thread-safe: one stream per video, used from one thread at a time (many streams may
    share one swapper and source). The stream keeps its own references to the swapper and the
    source. Free it with :meth:`close` or a ``with`` block.

    Raises :class:`FaceSwapError` INVALID_ARGUMENT for an option out of range.
    """

    _free = staticmethod(lambda h: lib.fs_stream_free(h))

    def __init__(self, swapper: Swapper, source: Union[Source, ImageLike],
                 detect_interval: Optional[int] = None, min_cutoff: Optional[float] = None,
                 beta: Optional[float] = None, scene_cut: Optional[float] = None,
                 channel_order: str = "bgr", threads: Optional[int] = None):
        super().__init__()
        if not isinstance(swapper, Swapper):
            raise TypeError(f"Stream needs a Swapper, not {type(swapper).__name__}")
        self.channel_order = _order(channel_order)
        opts = _stream_options(detect_interval, min_cutoff, beta, scene_cut, threads)
        src, owned = swapper._source(source, self.channel_order)
        try:
            out = ctypes.c_void_p()
            _check(lib.fs_stream_create(swapper.handle, _h(src), ctypes.byref(opts),
                                        ctypes.byref(out)))
            self._handle = out
        finally:
            if owned:
                _close(src)  # the stream keeps its own reference
        #: the tracking options in use (the library's defaults filled in)
        self.options = _in_use(opts, OptionsKind.STREAM)

    def push(self, frame: Union[np.ndarray, Image], time: Optional[float] = None,
             channel_order: Optional[str] = None) -> int:
        """Swaps the next frame **in place** and returns the number of faces tracked and
        replaced (``fs_stream_push_view`` on the array's own memory; no copy).

        ``frame`` is a writeable uint8 ``(H, W, 3)`` (BGR by default; ``channel_order="rgb"``),
        ``(H, W, 4)`` or ``(H, W)`` array with packed rows (C-contiguous, or a crop of one), or
        an :class:`Image`. Other arrays (read-only, transposed, channel-reversed, step-sliced)
        raise ``ValueError`` rather than swapping a copy nobody sees. ``time`` is the frame's
        timestamp in seconds (None: frame number / 30), used by the landmark filter. A frame
        without a face is left unchanged (0).
        """
        count = ctypes.c_size_t()
        if isinstance(frame, Image):
            _check(lib.fs_stream_push(self.handle, frame.handle, _time(time), ctypes.byref(count)))
            return int(count.value)
        order = _order(channel_order) if channel_order is not None else self.channel_order
        view = _frame_view(frame, order, "Stream.push")
        handle = self.handle
        _check(lib.fs_stream_push_view(handle, ctypes.byref(view), _time(time), ctypes.byref(count)))
        return int(count.value)

    __call__ = push

    @property
    def faces(self) -> list:
        """The faces of the last frame with their filtered 68 landmarks, as :class:`Face`
        objects (``fs_stream_get_faces``). ``score`` holds the track id (stable while the face
        is followed)."""
        h = self.handle
        return _faces_of(lambda faces, cap, count: lib.fs_stream_get_faces(h, faces, cap, count))

    def reset(self) -> None:
        """Forgets every track and the filters' state (e.g. after seeking)."""
        _check(lib.fs_stream_reset(self.handle))

    def flush(self) -> None:
        """Ends the stream (``fs_stream_flush``): no frame is held back in this version, but
        call it at the end anyway; it resets the tracks."""
        _check(lib.fs_stream_flush(self.handle))

    def __exit__(self, *exc) -> None:
        try:
            if exc[0] is None and self._handle is not None:
                self.flush()
        finally:
            self.close()


def frames(swapper: Swapper, source: Union[Source, ImageLike], iterable: Iterable[np.ndarray],
           fps: Optional[float] = None, inplace: bool = False, channel_order: str = "bgr",
           **stream_options):
    """A generator: the frames of ``iterable`` swapped in order through one :class:`Stream`.

    Each frame is a uint8 numpy array (BGR by default). With ``inplace=False`` (default) every
    frame is copied first and the copy is swapped and yielded, so the input is never changed;
    with ``inplace=True`` the frame itself is swapped and yielded (it must be writeable and
    C-contiguous, see :meth:`Stream.push`). ``fps`` gives the timestamps (frame i at i / fps);
    None: i / 30. ``stream_options`` are :class:`Stream`'s (``detect_interval``,
    ``min_cutoff``, ``beta``, ``scene_cut``). The stream is freed when the generator ends or
    is closed::

        for out in faceswap.frames(swapper, me, video_frames, fps=25):
            writer.write(out)
    """
    if fps is not None and not float(fps) > 0:
        raise ValueError(f"fps must be > 0, not {fps!r}")
    with Stream(swapper, source, channel_order=channel_order, **stream_options) as stream:
        for i, frame in enumerate(iterable):
            if not inplace:
                frame = np.array(frame, dtype=np.uint8, order="C", copy=True) \
                    if isinstance(frame, np.ndarray) and frame.dtype == np.uint8 else frame
            stream.push(frame, None if fps is None else i / float(fps))
            yield frame


def swap_video(source: Union[Source, ImageLike, PathLike], input_path: PathLike, output_path: PathLike,
               progress=None, swapper: Optional[Swapper] = None, crf: Optional[int] = None,
               preset: Optional[str] = None, detect_interval: Optional[int] = None,
               min_cutoff: Optional[float] = None, beta: Optional[float] = None,
               scene_cut: Optional[float] = None, channel_order: str = "bgr",
               threads: Optional[int] = None, first_frame: Optional[int] = None,
               frame_count: Optional[int] = None, warmup: Optional[int] = None,
               audio: Optional[bool] = None, **swap_options) -> dict:
    """Swaps the source face onto every frame of the video ``input_path`` and writes
    ``output_path`` (.mp4/.mkv/.mov, H.264) with the same frames and timestamps (variable frame
    rate kept) and the audio copied (``fs_video_swap``). The file is written atomically: on an
    error or a cancel no output file is left.

    Args:
        source: a :class:`Source`, a source image (numpy array, BGR by default, or
            :class:`Image`), or the path of a source image. Its largest face is used.
        progress: ``progress(done, total)`` called after each frame on this thread; ``total``
            is an estimate (0 when unknown). Return None/True to go on, False to cancel (then
            :class:`FaceSwapError` CANCELLED is raised). An exception raised in ``progress``
            cancels the job and is re-raised here.
        swapper: the :class:`Swapper` to use; None: one made from ``swap_options`` (the
            :class:`Swapper` arguments: ``blend``, ``color``, ``expression``, ...).
        crf: H.264 quality, 0 (lossless) – 51 (None: the library's default, 18).
        preset: x264 preset (None: the library's default, ``"veryfast"``).
        detect_interval, min_cutoff, beta, scene_cut: tracking and smoothing, as in
            :class:`Stream` (None: the library's defaults).
        threads: threads the job may use: decoding, swapping and encoding overlap (0: every
            core, 1: this thread only; None: the library's default, 0). Every frame is swapped
            alike for every value.
        first_frame, frame_count, warmup: write only a part: frames ``first_frame`` ..
            ``first_frame + frame_count - 1`` (numbered from 0 in presentation order;
            ``frame_count`` 0: to the end), with ``warmup`` frames before it tracked but not
            written so the tracks are settled at the cut (None: the whole video). The last
            frame's duration runs to the next frame's time, so parts written back to back join
            (concat, stream copy) with the input's exact timestamps; ``faceswap.cluster`` does
            that. ``progress`` then counts the part's frames.
        audio: copy the input's audio (None: the library's default, True); a part gets the
            audio of its span. False: video only.

    ``faceswap.options("video")`` lists these with their defaults.

    Returns a dict: ``frames`` (decoded and written), ``frames_with_faces``, ``scene_cuts``,
    ``seconds`` (wall time).

    Raises :class:`FaceSwapError`: IO, DECODE (unreadable input, no frames), UNSUPPORTED,
    INVALID_ARGUMENT (an option out of range), NO_FACE (no face in the source), CANCELLED.
    """
    order = _order(channel_order)
    if swapper is not None and swap_options:
        raise ValueError("give either a swapper or swapper options ("
                         + ", ".join(sorted(swap_options)) + "), not both")
    own_swapper = swapper is None
    if own_swapper:
        swapper = Swapper(channel_order=order, **swap_options)
    try:
        if source is not None and _is_path(source):
            source = load_image(source)
        src, own_src = swapper._source(source, order)
        try:
            opts = _options(capi.fs_video_options)
            stream_opts = _stream_options(detect_interval, min_cutoff, beta, scene_cut)
            opts.stream = ctypes.pointer(stream_opts)  # borrowed by the call: stream_opts lives on
            _encoding(opts, crf, preset, threads)
            _set(opts, OptionsKind.VIDEO, first_frame=first_frame, frame_count=frame_count,
                 warmup=warmup, audio=None if audio is None else int(bool(audio)))
            cb = _Progress(progress)
            stats = capi.fs_video_stats()
            status = lib.fs_video_swap(swapper.handle, _h(src), _fspath(input_path),
                                       _fspath(output_path), ctypes.byref(opts), cb.c, None,
                                       ctypes.byref(stats))
            cb.check(status)
            return _video_stats(stats)
        finally:
            if own_src:
                _close(src)
    finally:
        if own_swapper:
            swapper.close()


# --------------------------------------------------------------------------------------------
# Reenactment
# --------------------------------------------------------------------------------------------

class Reenactor(_Handle):
    """Animates a still photo with a driving video's face (``fs_reenactor``; classical and
    landmark-driven). The driver's landmark motion relative to its neutral frame (the first
    frame with a face; :meth:`reset` picks a new one), with the head pose normalised away,
    moves the photo's 68 points; the driver's head motion is applied on top; the photo is
    warped over a mesh pinned around the head and on the border (the background stays still);
    an opening mouth is filled with a cavity and teeth in the photo's own colours (or, with
    ``mouth_fill=2``, from the driver's, colour-matched).

    Args:
        photo: the photo to animate: a numpy array (BGR by default), an :class:`Image` or an
            image file's path. Its largest face is animated. The library keeps a copy (an odd
            last row/column is dropped, for video encoding).
        detector, landmarker: for the photo and the driver; None: the module's shared defaults
            (HOG upsample 0; the 68-point model).
        expression: scale of the driver's expression applied (default 1; above 1 exaggerates).
        head_motion: share of the driver's head motion applied, 0-2 (default 1; above 1 amplifies it).
        mouth_fill: an opening mouth's inside: 0 off, 1 a cavity and teeth synthesised in the
            photo's colours and lighting (the default), 2 the driver's mouth, colour-matched.
            False and True are read as 0 and 1.
        detect_interval, min_cutoff, beta, scene_cut: tracking and smoothing of the driver's
            face, as in :class:`Stream` (None: the library's defaults). ``detect_interval=1,
            min_cutoff=0`` follows the driver's raw per-frame landmarks most closely.

    Every option left at None takes the library's default (``fs_reenact_options_init``;
    ``faceswap.options("reenact")`` lists them with their ranges); :attr:`options` shows the
    values in use.

    A trained person instead of a photo: ``Reenactor(model=Model("b.fsg"), canvas=(512, 512))``
    generates person B of a landmark GAN model (``faceswap train-gan``) following the driver's
    expressions, with B's neutral head pose plus the driver's head motion, on a plain grey canvas
    of ``canvas`` (width, height) pixels (``fs_reenactor_create_model``; B's model crop centred,
    half the canvas's smaller side wide at the neutral pose). ``mouth_fill`` is not read then.

    Not thread-safe (it tracks the driver): one thread at a time.

    Raises :class:`FaceSwapError`: NO_FACE (no face in the photo), INVALID_ARGUMENT (an option
    out of range; both or neither of photo and model; a canvas side outside 16-4096), MODEL (an
    autoencoder model), UNSUPPORTED (a 5-point landmarker).
    """

    _free = staticmethod(lambda h: lib.fs_reenactor_free(h))

    def __init__(self, photo: Union[ImageLike, PathLike, None] = None, detector: Optional[Detector] = None,
                 landmarker: Optional[Landmarker] = None, expression: Optional[float] = None,
                 head_motion: Optional[float] = None, mouth_fill: Union[int, bool, None] = None,
                 detect_interval: Optional[int] = None, min_cutoff: Optional[float] = None,
                 beta: Optional[float] = None, scene_cut: Optional[float] = None,
                 channel_order: str = "bgr", model: Optional["Model"] = None,
                 canvas: Tuple[int, int] = (512, 512)):
        super().__init__()
        if (photo is None) == (model is None):
            raise FaceSwapError(Status.INVALID_ARGUMENT, "give a photo or a model (model=), not both or neither")
        if detector is None or landmarker is None:
            d, l = _defaults()
            detector = detector or d
            landmarker = landmarker or l
        self.detector = detector
        self.landmarker = landmarker
        self.channel_order = _order(channel_order)
        opts = _options(capi.fs_reenact_options)
        if isinstance(mouth_fill, bool):  # the switch it was before it had three modes
            mouth_fill = int(mouth_fill)
        _set(opts, OptionsKind.REENACT, expression=expression, head_motion=head_motion,
             mouth_fill=mouth_fill)
        # opts.stream points into self._stream_options, kept as long as the options are.
        self._stream_options = _stream_options(detect_interval, min_cutoff, beta, scene_cut)
        opts.stream = ctypes.pointer(self._stream_options)
        self._options = opts
        #: the options in use (the library's defaults filled in); side_by_side is per video
        self.options = {k: v for k, v in _in_use(opts, OptionsKind.REENACT).items()
                        if k != "side_by_side"}
        self.options.update(_in_use(self._stream_options, OptionsKind.STREAM))
        if model is not None:
            w, h = (int(v) for v in canvas)
            out = ctypes.c_void_p()
            _check(lib.fs_reenactor_create_model(detector.handle, landmarker.handle, model.handle, w, h,
                                                 ctypes.byref(opts), ctypes.byref(out)))
            self._handle = out
            self.size = (w & ~1, h & ~1)
            return
        img, owned = (Image.load(photo), True) if _is_path(photo) else \
            Image._of(photo, self.channel_order)
        try:
            w, h = img.width, img.height
            out = ctypes.c_void_p()
            _check(lib.fs_reenactor_create(detector.handle, landmarker.handle, img.handle,
                                           ctypes.byref(opts), ctypes.byref(out)))
            self._handle = out
        finally:
            if owned:
                img.close()
        #: (width, height) of every result: the photo's, an odd last column/row dropped.
        self.size = (w & ~1, h & ~1)

    def push(self, driver_frame: ImageLike, time: Optional[float] = None,
             channel_order: Optional[str] = None) -> np.ndarray:
        """The photo animated by the next driving frame (``fs_reenactor_push``): a new
        photo-sized ``(H, W, 3)`` array, BGR by default (RGB with ``channel_order="rgb"``,
        which also describes ``driver_frame``). A driving frame without a face gives the photo
        unchanged. ``time``: the frame's timestamp in seconds (None: frame number / 30).
        Frames must come in order; :meth:`reset` after a seek."""
        order = _order(channel_order) if channel_order is not None else self.channel_order
        with _Borrowed(driver_frame, order) as img:
            out = ctypes.c_void_p()
            _check(lib.fs_reenactor_push(self.handle, img.handle, _time(time), ctypes.byref(out)))
            with Image(out.value) as result:
                return result.to_array(order)

    __call__ = push

    def reset(self) -> None:
        """Forgets the driver's neutral frame and tracks: the next frame with a face becomes
        the new neutral expression and pose."""
        _check(lib.fs_reenactor_reset(self.handle))

    def video(self, driving_path: PathLike, output_path: PathLike,
              side_by_side: Optional[bool] = None, progress=None, crf: Optional[int] = None,
              preset: Optional[str] = None, threads: Optional[int] = None) -> dict:
        """Animates the photo with a whole driving video (``fs_reenact_video``) and writes
        ``output_path`` (.mp4/.mkv/.mov, H.264): the photo's size, or driver | result side by
        side with ``side_by_side=True``, with the driver's timestamps and audio. Written
        atomically: nothing is left on an error or a cancel. ``crf`` (H.264 quality, 0 lossless
        – 51), ``preset`` (x264's) and ``threads`` as in :func:`swap_video`; None: the
        library's defaults (18, ``"veryfast"``, 0; ``faceswap.options("video")``).

        The reenactor is reset first, so the video's first frame with a face is the neutral.
        ``progress(done, total)`` as in :func:`swap_video` (False cancels: FaceSwapError
        CANCELLED; an exception raised in it cancels and is re-raised here).

        Returns a dict: ``frames``, ``frames_with_faces``, ``scene_cuts``, ``seconds``.
        Raises :class:`FaceSwapError`: IO, DECODE, UNSUPPORTED, CANCELLED.
        """
        return _reenact_video(lambda o, cb, st: lib.fs_reenact_video(
            self.handle, _fspath(driving_path), _fspath(output_path), o, cb, None, st),
            side_by_side, progress, crf, preset, threads)


def _reenact_video(run, side_by_side, progress, crf, preset, threads) -> dict:
    """The video options (the rest was fixed by fs_reenactor_create), the progress thunk and the
    stats of fs_reenact_video or fs_reenact_grid_video: ``run(options, progress, stats)``."""
    opts = _options(capi.fs_reenact_options)
    _set(opts, OptionsKind.REENACT, side_by_side=side_by_side)
    _encoding(opts, crf, preset, threads)
    cb = _Progress(progress)
    stats = capi.fs_video_stats()
    cb.check(run(ctypes.byref(opts), cb.c, ctypes.byref(stats)))
    return _video_stats(stats)


def reenact_grid_video(reenactors, driving_path: PathLike, output_path: PathLike,
                       columns: int = 0, side_by_side: Optional[bool] = None, progress=None,
                       crf: Optional[int] = None, preset: Optional[str] = None,
                       threads: Optional[int] = None) -> dict:
    """Several photos by one driver, tiled in one video (``fs_reenact_grid_video``):
    ``reenactors`` (a sequence of :class:`Reenactor`, one per photo, at most
    ``capi.REENACT_GRID_MAX``) animated from ONE track of the driver (the first reenactor's
    tracking options). ``columns``: 0 for ceil(sqrt(tiles)), at or over the tiles for one row;
    tiles at the smallest photo's height, 8 black pixels apart; ``side_by_side`` puts the driver
    first. The layout rule in full: faceswap.h. Audio, timestamps, ``progress``, ``crf``,
    ``preset``, ``threads`` and the returned stats as :meth:`Reenactor.video`.
    Raises :class:`FaceSwapError`: INVALID_ARGUMENT (none or too many reenactors, one given
    twice or closed: the message names its index), IO, DECODE, UNSUPPORTED, CANCELLED."""
    handles = [r.handle for r in reenactors]
    array = (capi.fs_reenactor_p * max(len(handles), 1))(*handles)
    return _reenact_video(lambda o, cb, st: lib.fs_reenact_grid_video(
        array, len(handles), columns, _fspath(driving_path), _fspath(output_path), o, cb, None, st),
        side_by_side, progress, crf, preset, threads)


def reenact_video(photo, driving_path: PathLike, output_path: PathLike,
                  side_by_side: Optional[bool] = None, progress=None, crf: Optional[int] = None,
                  preset: Optional[str] = None, threads: Optional[int] = None, columns: int = 0,
                  **options) -> dict:
    """One call: animates ``photo`` (array, :class:`Image` or path) with the face of the video
    ``driving_path`` and writes ``output_path`` (see :meth:`Reenactor.video`, which takes
    ``side_by_side``, ``crf``, ``preset`` and ``threads``). ``options`` are :class:`Reenactor`'s
    (``expression``, ``head_motion``, ``mouth_fill``, ``detector``, ``detect_interval``, ...).
    A list of photos is animated by the one driver and tiled (:func:`reenact_grid_video`, with
    ``columns``); a photo without a face raises NO_FACE naming its index, ``photos[i]: ...``.
    Returns the stats dict."""
    if not isinstance(photo, (list, tuple)):
        with Reenactor(photo, **options) as r:
            return r.video(driving_path, output_path, side_by_side=side_by_side, progress=progress,
                           crf=crf, preset=preset, threads=threads)
    made = []
    try:
        for i, p in enumerate(photo):
            try:
                made.append(Reenactor(p, **options))
            except FaceSwapError as e:
                raise FaceSwapError(e.status, f"photos[{i}]: {e.message}") from None
        return reenact_grid_video(made, driving_path, output_path, columns=columns,
                                  side_by_side=side_by_side, progress=progress, crf=crf,
                                  preset=preset, threads=threads)
    finally:
        for r in made:
            r.close()


# --------------------------------------------------------------------------------------------
# Learned conversion: extract, train, Model
# --------------------------------------------------------------------------------------------

def extract(inputs, out_dir: PathLike, detector: Optional[Detector] = None,
            landmarker: Optional[Landmarker] = None, progress=None, size: Optional[int] = None,
            padding: Optional[float] = None, min_sharpness: Optional[float] = None,
            duplicate_distance: Optional[float] = None, every_nth_frame: Optional[int] = None,
            max_faces: Optional[int] = None) -> dict:
    """Aligned face crops for training (``fs_extract``): for every photo, folder of photos or
    video in ``inputs`` (a path or a list of paths), the faces are detected, aligned (similarity
    transform from the 68 landmarks) and written to ``out_dir`` as NAME.png with a NAME.json
    sidecar (source, frame, transform, landmarks in crop pixels, sharpness). Blurry faces and
    near-duplicates are skipped. ``progress(done, total)`` as in :func:`swap_video`.

    Options (None: the library's default; ``faceswap.options("extract")`` lists them with their
    ranges): ``size`` (crop side, 256), ``padding`` (room around the face, 0.25 of the crop),
    ``min_sharpness`` (Laplacian variance below which a face is skipped, 20; 0 keeps all),
    ``duplicate_distance`` (mean grey difference to a kept face under which one is skipped, 2),
    ``every_nth_frame`` (videos, 1), ``max_faces`` (per image or frame, largest first, 1).

    Returns a dict of counts: ``frames``, ``frames_without_face``, ``frames_with_one_face``,
    ``frames_with_more_faces``, ``faces_found``, ``skipped_blurry``, ``skipped_duplicate``,
    ``written``."""
    if isinstance(inputs, (str, bytes, os.PathLike)):
        inputs = [inputs]
    paths = [_fspath(p) for p in inputs]
    if detector is None or landmarker is None:
        d, l = _defaults()
        detector = detector or d
        landmarker = landmarker or l
    opts = _options(capi.fs_extract_options)
    _set(opts, OptionsKind.EXTRACT, size=size, padding=padding, min_sharpness=min_sharpness,
         duplicate_distance=duplicate_distance, every_nth_frame=every_nth_frame,
         max_faces=max_faces)
    arr = (ctypes.c_char_p * max(1, len(paths)))(*paths)
    cb = _Progress(progress)
    stats = capi.fs_extract_stats()
    status = lib.fs_extract(detector.handle, landmarker.handle, arr, len(paths), _fspath(out_dir),
                            ctypes.byref(opts), cb.c, None, ctypes.byref(stats))
    cb.check(status)
    return {name: int(getattr(stats, name)) for name, _ in capi.fs_extract_stats._fields_
            if name != "struct_size"}


class Model(_Handle):
    """A trained two-person model (``fs_model``, a .fsm file written by :class:`Trainer` or
    ``faceswap train``): one shared encoder, decoders A and B. Give it to
    ``Swapper(model=...)`` to turn A's faces into B's (``reverse=True``: B's into A's) without
    a source photo. Immutable and thread-safe. Raises FaceSwapError MODEL (missing or
    unreadable, as any model file; not a model file, corrupt, newer format, unknown
    architecture)."""

    _free = staticmethod(lambda h: lib.fs_model_free(h))

    def __init__(self, path: PathLike):
        super().__init__()
        out = ctypes.c_void_p()
        _check(lib.fs_model_load(_fspath(path), ctypes.byref(out)))
        self._handle = out
        self.path = os.fspath(path)

    def generate(self, points, channel_order: str = "bgr") -> np.ndarray:
        """A landmark GAN model's face of B drawn from 68 points (a (68, 2) array, pixels of the
        model's size x size aligned crop): ``fs_model_generate``. Raises FaceSwapError MODEL for
        an autoencoder model."""
        pts = np.ascontiguousarray(points, dtype=np.float32)
        if pts.shape != (68, 2):
            raise ValueError(f"points must be a (68, 2) array, not shape {pts.shape}")
        out = ctypes.c_void_p()
        _check(lib.fs_model_generate(self.handle, pts.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                     ctypes.byref(out)))
        with Image(out.value) as img:
            return img.to_array(channel_order)

    @property
    def info(self) -> dict:
        """``size``, ``bottleneck``, ``iterations``, ``seconds``, ``encoder_parameters``,
        ``decoder_parameters``, ``shift_a`` (B, G, R), ``name_a``, ``name_b``,
        ``has_training_state``, ``backend`` (what runs the networks in this process: "cpu: BLAS
        PATH (dlib V)" or, with a CUDA build, "cuda: N device(s), ..."), ``method``
        ("autoencoder" or "landmark-gan"), ``input_size`` (the encoder's input side: ``size``, or
        64 for a 128-px autoencoder whose decoders upscale)."""
        i = capi.fs_model_info()
        _check(lib.fs_model_get_info(self.handle, ctypes.byref(i)))
        return {"method": _enum_name(EnumKind.MODEL_KIND, i.method), "size": i.size, "bottleneck": i.bottleneck, "iterations": i.iterations,
                "seconds": i.seconds, "encoder_parameters": i.encoder_parameters,
                "decoder_parameters": i.decoder_parameters, "shift_a": tuple(i.shift_a),
                "name_a": i.name_a.decode("utf-8", "replace"),
                "name_b": i.name_b.decode("utf-8", "replace"),
                "has_training_state": bool(i.has_training_state),
                "backend": i.backend.decode("utf-8", "replace"), "input_size": i.input_size}

    def __repr__(self) -> str:
        if self._handle is None:
            return "<faceswap.Model closed>"
        i = self.info
        return f"<faceswap.Model {i['name_a']}<->{i['name_b']} {i['size']}px, {i['iterations']} iterations>"


_LOSS_NAMES = ("total", "l1", "ssim", "mask", "gan_g", "gan_d")


class Trainer(_Handle):
    """Trains the learned conversion (``fs_trainer``) on two folders made by :func:`extract`:
    one shared encoder, one decoder per person. A's faces are shifted by mean(B) - mean(A) per
    channel first. The model (with its training state) is written atomically to ``model_path``
    every ``checkpoint_every`` iterations and at the end of :meth:`run`, with the loss curve
    beside it (``.loss.csv``, ``.loss.png``); ``resume=True`` continues from it exactly (same
    next losses as an uninterrupted run). Not thread-safe.

    Options (new models; a resumed model keeps its own): ``size`` (64 or 128), ``input_size``
    (None or 0: the size; 64 with size 128: decoders that upscale a 64-px input), ``batch``,
    ``learning_rate``, ``l1``, ``ssim``, ``mask`` (loss weights), ``gan`` (adversarial loss
    weight, 0 = off), ``background`` (pixel-loss weight outside the face), ``seed``,
    ``augment``; ``preview_dir``/``preview_every`` write preview grids; ``name_a``,
    ``name_b`` label the people; ``method="landmark-gan"`` trains the landmark GAN instead (a
    generator of B from B's landmark maps with a patch discriminator; ``faces_a`` is then None).
    Each left at None takes the library's default
    (``fs_train_options_init``; ``faceswap.options("train")`` lists them with their ranges,
    ``l1`` as ``l1_weight`` and so on).
    """

    _free = staticmethod(lambda h: lib.fs_trainer_free(h))

    def __init__(self, faces_a: Optional[PathLike], faces_b: PathLike, model_path: PathLike,
                 size: Optional[int] = None, batch: Optional[int] = None,
                 learning_rate: Optional[float] = None, l1: Optional[float] = None,
                 ssim: Optional[float] = None, mask: Optional[float] = None,
                 gan: Optional[float] = None, background: Optional[float] = None,
                 seed: Optional[int] = None, augment: Optional[bool] = None,
                 checkpoint_every: Optional[int] = None, preview_every: Optional[int] = None,
                 preview_dir: Optional[PathLike] = None, name_a: Optional[str] = None,
                 name_b: Optional[str] = None, resume: Optional[bool] = None,
                 method: Optional[str] = None, input_size: Optional[int] = None):
        super().__init__()
        o = _options(capi.fs_train_options)
        _set(o, OptionsKind.TRAIN, size=size, input_size=input_size, batch=batch, learning_rate=learning_rate,
             l1_weight=l1, ssim_weight=ssim, mask_weight=mask, gan_weight=gan,
             background_weight=background, augment=augment, checkpoint_every=checkpoint_every,
             preview_every=preview_every, resume=resume, method=method)
        if seed is not None:
            # uint64_t: ctypes would wrap a negative or too large int silently
            if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) \
                    or not 0 <= int(seed) < 1 << 64:
                raise ValueError(f"seed is an int in [0, 2**64), not {seed!r}")
            o.seed = int(seed)
        o.preview_dir = _fspath(preview_dir) if preview_dir is not None else None
        o.name_a = name_a.encode() if name_a is not None else None
        o.name_b = name_b.encode() if name_b is not None else None
        out = ctypes.c_void_p()
        _check(lib.fs_trainer_create(_fspath(faces_a) if faces_a is not None else None,
                                     _fspath(faces_b), _fspath(model_path),
                                     ctypes.byref(o), ctypes.byref(out)))
        self._handle = out
        self.model_path = os.fspath(model_path)

    @property
    def iteration(self) -> int:
        v = ctypes.c_int64()
        _check(lib.fs_trainer_get_iteration(self.handle, ctypes.byref(v)))
        return int(v.value)

    def run(self, iterations: int = 0, seconds: float = 0.0, progress=None) -> list:
        """Trains ``iterations`` more iterations or for ``seconds`` (whichever ends first; 0 =
        not that limit), then writes the checkpoint. ``progress(step)`` gets a dict per
        iteration (``iteration``, ``seconds``, ``loss_a``, ``loss_b``: dicts of total, l1, ssim,
        mask, gan_g, gan_d); returning False stops (checkpoint written, FaceSwapError CANCELLED
        raised). Returns the list of those dicts."""
        steps: list = []
        error: list = []

        def call(user, p) -> int:
            if error:
                return 1
            q = p.contents
            step = {"iteration": int(q.iteration), "seconds": float(q.seconds),
                    "loss_a": dict(zip(_LOSS_NAMES, (float(v) for v in q.loss_a))),
                    "loss_b": dict(zip(_LOSS_NAMES, (float(v) for v in q.loss_b)))}
            steps.append(step)
            if progress is None:
                return 0
            try:
                r = progress(step)
            except BaseException as e:  # noqa: B902 - cancel, re-raise after the C call
                error.append(e)
                return 1
            return 0 if r is None or r else 1

        thunk = capi.fs_train_fn(call)
        status = lib.fs_trainer_run(self.handle, int(iterations), float(seconds), thunk, None)
        if error:
            raise error[0]
        _check(status)
        return steps

    def save(self) -> None:
        """Writes the checkpoint, loss CSV and plot now."""
        _check(lib.fs_trainer_save(self.handle))

    def preview(self, channel_order: str = "bgr") -> np.ndarray:
        """The preview grid (rows A, A->A, A->B, B, B->B, B->A) as an array."""
        out = ctypes.c_void_p()
        _check(lib.fs_trainer_preview(self.handle, ctypes.byref(out)))
        with Image(out.value) as img:
            return img.to_array(channel_order)
