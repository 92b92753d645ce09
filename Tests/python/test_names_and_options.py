"""Names, defaults and ranges come from the library (fs_enum_*, fs_option_*), not the binding.

faceswap.options(kind) lists each options struct as fs_option_describe gives it; enum arguments
are parsed by fs_enum_parse (aliases, any case, '_' for '-'); options left at None are the
library's defaults; out-of-range values and unknown names raise with the library's message.
"""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

KINDS = ("detector", "swap", "stream", "video", "reenact", "extract", "train")


@pytest.fixture(scope="module")
def det(fs):
    with fs.Detector() as d:
        yield d


def _struct(fs, kind: str):
    return getattr(fs.capi, f"fs_{kind}_options")


@pytest.mark.parametrize("kind", KINDS)
def test_options_describe_each_struct_with_its_init_defaults(fs, kind):
    """Every listed option is a field of its struct, in field order; its default is what
    fs_*_options_init writes and lies in its range."""
    opts = fs.options(kind)
    assert opts, kind
    cls = _struct(fs, kind)
    fields = [name for name, _ in cls._fields_]
    names = [o["name"] for o in opts]
    assert names == sorted(names, key=fields.index), f"{kind}: {names} not in field order"
    init, status = fs.capi.new_options(cls)
    assert status == fs.Status.OK
    for o in opts:
        assert set(o) == {"name", "type", "default", "min", "max", "min_exclusive",
                          "max_exclusive", "special", "summary", "choices"}
        assert o["summary"].strip(), o
        value = getattr(init, o["name"])
        if o["type"] == "enum":
            info = fs.capi.fs_option_info()
            assert fs.capi.lib.fs_option_find(fs.OptionsKind[kind.upper()], o["name"].encode(),
                                              ctypes.byref(info)) == fs.Status.OK
            assert fs.capi.lib.fs_enum_name(info.enum_kind, value).decode() == o["default"], o
            assert o["default"] in o["choices"], o
        elif o["type"] == "string":
            assert value is None and isinstance(o["default"], str), o  # NULL: the default
        elif o["type"] == "bool":
            assert o["default"] is bool(value) and value in (0, 1), o
        else:
            assert o["default"] == pytest.approx(value, rel=1e-6), o
            lo, hi = o["min"], o["max"]
            inside = ((lo < value if o["min_exclusive"] else lo <= value)
                      and (value < hi if o["max_exclusive"] else value <= hi))
            assert inside or value == o["special"], o
            assert isinstance(o["default"], int if o["type"] == "int" else float)


def test_enum_choices_are_the_headers_values_in_order(fs):
    """The choices of each enum option name every value of the matching IntEnum, in order."""
    swap = {o["name"]: o for o in fs.options("swap")}
    for name, enum in (("mode", fs.ConvertMode), ("color", fs.ColorMode), ("blend", fs.BlendMode)):
        choices = swap[name]["choices"]
        assert len(choices) == len(enum), (name, choices)
        for choice, member in zip(choices, enum):
            value = ctypes.c_int32()
            assert fs.capi.lib.fs_enum_parse(_enum_kind(fs, name), choice.encode(),
                                             ctypes.byref(value)) == 0
            assert value.value == member
    assert {o["name"]: o for o in fs.options("detector")}["backend"]["choices"] == ["hog", "cnn", "haar"]


def _enum_kind(fs, option: str) -> int:
    return {"mode": fs.EnumKind.CONVERT_MODE, "color": fs.EnumKind.COLOR_MODE,
            "blend": fs.EnumKind.BLEND_MODE}[option]


def test_options_kind_by_name_or_enum_and_returned_as_copies(fs):
    assert fs.options("SWAP") == fs.options(fs.OptionsKind.SWAP) == fs.options(2)
    first = fs.options("stream")
    first[0]["default"] = 12345
    first.clear()
    assert fs.options("stream")[0]["default"] == 5
    fs.options("swap")[0]["choices"].append("morph")
    assert "morph" not in fs.options("swap")[0]["choices"]
    with pytest.raises(ValueError, match="detector, swap, stream"):
        fs.options("swapper")
    with pytest.raises(TypeError):
        fs.options(2.0)


def test_defaults_left_at_none_are_the_librarys(fs, det, landmarker):
    """A Swapper made without options uses exactly the library's defaults, as described."""
    defaults = {o["name"]: o["default"] for o in fs.options("swap")}
    with fs.Swapper(det, landmarker) as sw:
        assert sw.options.keys() == defaults.keys()
        for name, value in defaults.items():
            assert sw.options[name] == (pytest.approx(value) if isinstance(value, float) else value), name
    assert det.max_faces == {o["name"]: o["default"] for o in fs.options("detector")}["max_faces"]


@pytest.mark.parametrize("option,given,canonical", [
    ("color", "histogram", "hist"), ("color", "HIST", "hist"), ("blend", "poisson_exact", "poisson-exact"),
    ("blend", "Poisson-Exact", "poisson-exact"), ("mode", "AFFINE", "affine"),
    ("blend", 1, "poisson"), ("color", "none", "none"),
])
def test_enum_names_and_aliases_are_read_by_the_library(fs, det, landmarker, option, given, canonical):
    with fs.Swapper(det, landmarker, **{option: given}) as sw:
        assert sw.options[option] == canonical


@pytest.mark.parametrize("call", [
    lambda fs, det, lm: fs.Swapper(det, lm, blend="paste"),
    lambda fs, det, lm: fs.Swapper(det, lm, color="lab"),
    lambda fs, det, lm: fs.Detector(backend="dnn"),
    lambda fs, det, lm: fs.convert_image(np.zeros((2, 2, 3), np.uint8), "cmyk"),
    lambda fs, det, lm: fs.encode_image(np.zeros((2, 2, 3), np.uint8), "bmp"),
    lambda fs, det, lm: fs.Image.create(2, 2, "yuv"),
], ids=["blend", "color", "backend", "convert_image", "encode_image", "Image.create"])
def test_unknown_names_raise_the_librarys_message(fs, det, landmarker, call):
    """An unknown name is a ValueError (as before) and a FaceSwapError INVALID_ARGUMENT whose
    message is fs_enum_parse's, listing the canonical names."""
    with pytest.raises(fs.UnknownNameError) as info:
        call(fs, det, landmarker)
    e = info.value
    assert isinstance(e, ValueError) and isinstance(e, fs.FaceSwapError)
    assert e.status == fs.Status.INVALID_ARGUMENT
    assert e.message.startswith("fs_enum_parse: unknown ") and ": use " in e.message, e.message


def test_codec_and_pixel_format_names(fs, tmp_path):
    img = np.zeros((4, 6, 3), np.uint8)
    img[1, 2] = (10, 20, 30)
    assert fs.encode_image(img, "JPG")[:2] == b"\xff\xd8"
    assert fs.encode_image(img, ".png")[:4] == b"\x89PNG"
    assert fs.encode_image(img, fs.Codec.PNG) == fs.encode_image(img, "png")
    with pytest.raises(fs.FaceSwapError) as e:   # AUTO: the library refuses it for encoding
        fs.encode_image(img, "auto")
    assert e.value.status == fs.Status.INVALID_ARGUMENT and "AUTO" in e.value.message
    fs.save_image(img, tmp_path / "x.bin", codec="jpeg")
    assert (tmp_path / "x.bin").read_bytes()[:2] == b"\xff\xd8"
    assert fs.convert_image(img, "grey").shape == (4, 6)
    assert np.array_equal(fs.convert_image(img, "RGB8"), img[..., ::-1])
    assert np.array_equal(fs.convert_image(img, fs.PixelFormat.BGRA8)[..., :3], img)
    with fs.Image.create(3, 2, "rgba") as im:
        assert im.format == fs.PixelFormat.RGBA8
        with im.convert("gray") as g:
            assert g.format == fs.PixelFormat.GRAY8
    with pytest.raises(TypeError):
        fs.convert_image(img, 2.5)


def _outside(o: dict):
    """A value the option's range refuses (None when every value of its type is accepted)."""
    if o["type"] not in ("int", "float"):
        return None
    step = 1 if o["type"] == "int" else 0.01 * max(1.0, abs(o["max"]))
    return o["max"] if o["max_exclusive"] else o["max"] + step


# the Python keyword where it is not the C field's name
KEYWORDS = {"face_index": "faces"}


@pytest.mark.parametrize("kind", ["swap", "detector"])
def test_ranges_are_checked_by_the_library(fs, det, landmarker, kind):
    """The binding checks no range: every int and float option just past its range is refused
    by the library, whose message names the option and says it is outside its range."""
    make = {"swap": lambda **kw: fs.Swapper(det, landmarker, **kw), "detector": fs.Detector}[kind]
    checked = []
    for o in fs.options(kind):
        value = _outside(o)
        if value is None:
            continue
        with pytest.raises(fs.FaceSwapError) as e:
            make(**{KEYWORDS.get(o["name"], o["name"]): value})
        assert e.value.status == fs.Status.INVALID_ARGUMENT, o["name"]
        assert f"{o['name']} " in e.value.message and "outside" in e.value.message, e.value.message
        checked.append(o["name"])
    assert len(checked) >= 5, checked
