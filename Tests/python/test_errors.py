"""Bad input: every case is a FaceSwapError with the right status and a real message — never a
crash, never a silent success."""

from __future__ import annotations

import ctypes
import os

import numpy as np
import pytest

from conftest import require_model, skip_without


def expect(fs, status, fn, *args, **kwargs):
    with pytest.raises(fs.FaceSwapError) as info:
        fn(*args, **kwargs)
    e = info.value
    assert e.status == status, f"expected {status!r}, got {e.status!r}: {e.message}"
    assert isinstance(e.status, int) and isinstance(e, Exception)
    assert e.status_name.startswith("FS_ERR_"), e.status_name
    assert e.status_name == fs.status_name(status)
    assert e.message.strip(), "empty error message"
    assert e.message in str(e)
    return e


def call_status(fs, status, rc):
    """For raw C calls: check the returned status and that the thread's message is set."""
    assert rc == status, f"expected {status!r}, got {fs.Status(rc)!r}: {fs.capi.lib.fs_last_error_message()}"
    msg = fs.capi.lib.fs_last_error_message()
    assert msg and msg.strip(), "empty error message"
    return msg.decode()


def sof_offset(data: bytes) -> int:
    """Offset of the first baseline/progressive SOF marker's segment in a JPEG."""
    i = 2
    while i < len(data) - 4:
        assert data[i] == 0xFF, "lost JPEG marker sync"
        marker = data[i + 1]
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            return i
        i += 2 + length
    raise AssertionError("no SOF marker")


@pytest.fixture(scope="module")
def jpeg(faces_dir):
    return (faces_dir / "fb_einstein2.jpg").read_bytes()


@pytest.fixture(scope="module")
def png(faces_dir):
    return (faces_dir / "fr_alex_lacamoire3_videostill.png").read_bytes()


# ------------------------------------------------------------------------------------------------
# Files and encoded data
# ------------------------------------------------------------------------------------------------

def test_missing_file_is_io(fs, tmp_path):
    e = expect(fs, fs.Status.IO, fs.load_image, tmp_path / "no_such_file.jpg")
    assert "no_such_file.jpg" in e.message


def test_directory_is_io(fs, tmp_path):
    expect(fs, fs.Status.IO, fs.load_image, tmp_path)


def test_empty_bytes_are_decode(fs, tmp_path):
    expect(fs, fs.Status.DECODE, fs.decode_image, b"")
    (tmp_path / "empty.jpg").write_bytes(b"")
    expect(fs, fs.Status.DECODE, fs.load_image, tmp_path / "empty.jpg")


def test_truncated_jpeg_is_decode(fs, jpeg, tmp_path):
    half = jpeg[: len(jpeg) // 2]
    expect(fs, fs.Status.DECODE, fs.decode_image, half)
    (tmp_path / "half.jpg").write_bytes(half)
    expect(fs, fs.Status.DECODE, fs.load_image, tmp_path / "half.jpg")


def test_corrupt_jpeg_is_decode(fs, jpeg):
    rng = np.random.default_rng(0)
    garbage = b"\xff\xd8" + rng.integers(0, 256, 5000, dtype=np.uint8).tobytes()
    expect(fs, fs.Status.DECODE, fs.decode_image, garbage)
    expect(fs, fs.Status.DECODE, fs.decode_image, b"\xff\xd8\xff")
    # a valid header with the entropy-coded data overwritten by garbage
    sos = jpeg.index(b"\xff\xda")
    body = jpeg[:sos + 20] + rng.integers(0, 256, len(jpeg) - sos - 22, dtype=np.uint8).tobytes()
    expect(fs, fs.Status.DECODE, fs.decode_image, body)


def test_truncated_png_is_decode(fs, png):
    expect(fs, fs.Status.DECODE, fs.decode_image, png[: len(png) // 2])
    expect(fs, fs.Status.DECODE, fs.decode_image, png[:40])
    expect(fs, fs.Status.DECODE, fs.decode_image, png[:8])


def test_text_file_is_decode(fs, tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("This is not an image.\n" * 20)
    expect(fs, fs.Status.DECODE, fs.load_image, p)
    expect(fs, fs.Status.DECODE, fs.decode_image, p.read_bytes())
    p2 = tmp_path / "notes.jpg"
    p2.write_text("still not an image")
    expect(fs, fs.Status.DECODE, fs.load_image, p2)


@pytest.mark.parametrize("w,h", [(60000, 60000), (30000, 30000), (40000, 100)])
def test_jpeg_header_over_the_limit_is_too_large(fs, jpeg, tmp_path, w, h):
    i = sof_offset(jpeg)
    # SOF segment: FF Cx, length(2), precision(1), height(2), width(2), ...
    patched = bytearray(jpeg)
    patched[i + 5:i + 7] = h.to_bytes(2, "big")
    patched[i + 7:i + 9] = w.to_bytes(2, "big")
    e = expect(fs, fs.Status.TOO_LARGE, fs.decode_image, bytes(patched))
    assert str(w) in e.message and str(h) in e.message
    (tmp_path / "huge.jpg").write_bytes(bytes(patched))
    expect(fs, fs.Status.TOO_LARGE, fs.load_image, tmp_path / "huge.jpg")


def test_huge_png_header_is_too_large(fs):
    from test_image_io import png_bytes
    data = bytearray(png_bytes(np.zeros((2, 2, 3), np.uint8), 8, 2))
    data[16:20] = (50000).to_bytes(4, "big")     # IHDR width
    data[20:24] = (50000).to_bytes(4, "big")     # IHDR height
    import zlib
    data[29:33] = (zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF).to_bytes(4, "big")
    expect(fs, fs.Status.TOO_LARGE, fs.decode_image, bytes(data))


# ------------------------------------------------------------------------------------------------
# Views and raw images (through the C API directly)
# ------------------------------------------------------------------------------------------------

def make_view(fs, buf, width, height, stride, fmt):
    v = fs.capi.fs_image_view()
    v.data = ctypes.cast(buf, ctypes.c_void_p) if buf is not None else None
    v.width, v.height, v.stride, v.format = width, height, stride, fmt
    return v


@pytest.mark.parametrize("width,height,stride,fmt,status", [
    (0, 10, 30, 2, "INVALID_ARGUMENT"),            # zero width
    (10, 0, 30, 2, "INVALID_ARGUMENT"),            # zero height
    (-5, 10, 30, 2, "INVALID_ARGUMENT"),           # negative width
    (10, -1, 30, 2, "INVALID_ARGUMENT"),           # negative height
    (10, 10, 29, 2, "INVALID_ARGUMENT"),           # stride shorter than a BGR row
    (10, 10, 39, 4, "INVALID_ARGUMENT"),           # stride shorter than a BGRA row
    (10, 10, 2**64 - 1, 2, "INVALID_ARGUMENT"),    # stride that overflows
    (40000, 10, 120000, 2, "TOO_LARGE"),           # side over 32768
    (10, 40000, 30, 2, "TOO_LARGE"),
    (20000, 20000, 60000, 1, "TOO_LARGE"),         # 4e8 pixels > 2^28
    (2**31 - 1, 2**31 - 1, 2**40, 1, "TOO_LARGE"),
    (10, 10, 30, 0, "UNSUPPORTED"),                # unknown pixel formats
    (10, 10, 30, 6, "UNSUPPORTED"),
    (10, 10, 30, 99, "UNSUPPORTED"),
    (10, 10, 30, -1, "UNSUPPORTED"),
])
def test_bad_views(fs, width, height, stride, fmt, status):
    buf = ctypes.create_string_buffer(10 * 10 * 4)
    lib = fs.capi.lib
    for fn in (lib.fs_image_from_view, lib.fs_image_wrap):
        out = ctypes.c_void_p(12345)
        rc = fn(ctypes.byref(make_view(fs, buf, width, height, stride, fmt)), ctypes.byref(out))
        call_status(fs, fs.Status[status], rc)
        assert out.value is None, "out must be NULL on failure"


def test_null_data_and_null_view(fs):
    lib = fs.capi.lib
    out = ctypes.c_void_p()
    call_status(fs, fs.Status.INVALID_ARGUMENT,
                lib.fs_image_from_view(ctypes.byref(make_view(fs, None, 10, 10, 30, 2)), ctypes.byref(out)))
    call_status(fs, fs.Status.INVALID_ARGUMENT, lib.fs_image_from_view(None, ctypes.byref(out)))
    view = make_view(fs, ctypes.create_string_buffer(300), 10, 10, 30, 2)
    call_status(fs, fs.Status.INVALID_ARGUMENT, lib.fs_image_from_view(ctypes.byref(view), None))
    call_status(fs, fs.Status.INVALID_ARGUMENT, lib.fs_image_decode(None, 10, ctypes.byref(out)))
    call_status(fs, fs.Status.INVALID_ARGUMENT, lib.fs_image_load(None, ctypes.byref(out)))


def test_create_bad_sizes_and_formats(fs):
    expect(fs, fs.Status.INVALID_ARGUMENT, fs.Image.create, 0, 10)
    expect(fs, fs.Status.INVALID_ARGUMENT, fs.Image.create, 10, -3)
    expect(fs, fs.Status.TOO_LARGE, fs.Image.create, 32769, 1)
    expect(fs, fs.Status.TOO_LARGE, fs.Image.create, 32768, 32768)
    expect(fs, fs.Status.UNSUPPORTED, fs.Image.create, 10, 10, 42)
    with fs.Image.create(32768, 1) as wide:                   # exactly at the side limit is fine
        assert wide.width == 32768
    with fs.Image.create(7, 5, fs.PixelFormat.BGRA8) as img:
        assert np.array_equal(img.to_array(), np.zeros((5, 7, 4), np.uint8))
        expect(fs, fs.Status.UNSUPPORTED, img.convert, 17)


def test_empty_array_is_invalid(fs):
    expect(fs, fs.Status.INVALID_ARGUMENT, fs.Image.from_array, np.zeros((0, 10, 3), np.uint8))


def test_encode_and_save_errors(fs, tmp_path):
    img = np.zeros((8, 8, 3), np.uint8)
    lib = fs.capi.lib
    with fs.Image.from_array(img) as im:
        data, size = ctypes.c_void_p(), ctypes.c_size_t()
        call_status(fs, fs.Status.UNSUPPORTED,
                    lib.fs_image_encode(im.handle, 9, 0, ctypes.byref(data), ctypes.byref(size)))
        assert data.value is None
        call_status(fs, fs.Status.UNSUPPORTED, lib.fs_image_save(im.handle, b"x.png", 9, 0))
        for q in (-1, 101):
            call_status(fs, fs.Status.INVALID_ARGUMENT,
                        lib.fs_image_encode(im.handle, 1, q, ctypes.byref(data), ctypes.byref(size)))
        call_status(fs, fs.Status.INVALID_ARGUMENT,
                    lib.fs_image_encode(im.handle, 2, 0, None, ctypes.byref(size)))
    expect(fs, fs.Status.IO, fs.save_image, img, tmp_path / "no" / "such" / "dir" / "x.png")
    expect(fs, fs.Status.UNSUPPORTED, fs.save_image, img, tmp_path / "x.unknownext")
    assert not (tmp_path / "x.unknownext").exists()


# ------------------------------------------------------------------------------------------------
# Handles
# ------------------------------------------------------------------------------------------------

def test_null_handles_are_invalid_argument(fs):
    lib, capi = fs.capi.lib, fs.capi
    out = ctypes.c_void_p()
    face = capi.fs_face()
    faces = (capi.fs_face * 4)()
    count = ctypes.c_size_t(99)
    view = capi.fs_image_view()
    t = capi.fs_affine()
    t.m[:] = [1, 0, 0, 0, 1, 0]
    data, size = ctypes.c_void_p(), ctypes.c_size_t()
    with fs.Image.create(16, 16) as img, fs.Detector() as det:
        cases = [
            lib.fs_detect(None, img.handle, faces, 4, ctypes.byref(count)),
            lib.fs_detect(det.handle, None, faces, 4, ctypes.byref(count)),
            lib.fs_detect(det.handle, img.handle, faces, 4, None),
            lib.fs_detect(det.handle, img.handle, None, 4, ctypes.byref(count)),
            lib.fs_landmarks_fit(None, img.handle, ctypes.byref(face)),
            lib.fs_image_get_view(None, ctypes.byref(view)),
            lib.fs_image_get_view(img.handle, None),
            lib.fs_image_convert(None, 2, ctypes.byref(out)),
            lib.fs_image_encode(None, 2, 0, ctypes.byref(data), ctypes.byref(size)),
            lib.fs_image_save(None, b"/tmp/never.png", 2, 0),
            lib.fs_image_save(img.handle, None, 2, 0),
            lib.fs_align_crop(None, ctypes.byref(t), 64, ctypes.byref(out)),
            lib.fs_align_crop(img.handle, None, 64, ctypes.byref(out)),
            lib.fs_align_transform(None, 64, 0.25, ctypes.byref(t)),
            lib.fs_align_template(64, 0.25, None),
            lib.fs_affine_invert(None, ctypes.byref(t)),
            lib.fs_affine_invert(ctypes.byref(t), None),
            lib.fs_affine_apply(None, None, 0),
            lib.fs_detector_create(None, None),
            lib.fs_landmarker_create(None, None),
            lib.fs_model_find(None, ctypes.create_string_buffer(64), 64),
        ]
        for i, rc in enumerate(cases):
            assert rc == fs.Status.INVALID_ARGUMENT, f"case {i}: {fs.Status(rc)!r}"
        # the last failure's message is there
        assert lib.fs_last_error_message().strip()
        # fs_detect with capacity 0 and NULL faces is fine: it only counts
        assert lib.fs_detect(det.handle, img.handle, None, 0, ctypes.byref(count)) == 0
        assert count.value == 0
    assert lib.fs_landmarker_num_points(None) == 0
    # every *_free accepts NULL
    lib.fs_image_free(None)
    lib.fs_detector_free(None)
    lib.fs_landmarker_free(None)
    lib.fs_free(None)


def test_null_handle_messages(fs):
    lib = fs.capi.lib
    count = ctypes.c_size_t()
    with fs.Image.create(16, 16) as img:
        msg = call_status(fs, fs.Status.INVALID_ARGUMENT,
                          lib.fs_detect(None, img.handle, None, 0, ctypes.byref(count)))
    assert "fs_detect" in msg and "NULL" in msg


def test_freed_and_wrong_kind_handles(fs):
    lib = fs.capi.lib
    img = fs.Image.create(16, 16)
    raw = ctypes.c_void_p(img.handle.value)
    with fs.Detector() as det:
        count = ctypes.c_size_t()
        # a detector passed where an image belongs
        call_status(fs, fs.Status.INVALID_ARGUMENT,
                    lib.fs_detect(det.handle, det.handle, None, 0, ctypes.byref(count)))
        img.close()
        img.close()                                              # idempotent
        msg = call_status(fs, fs.Status.INVALID_ARGUMENT,
                          lib.fs_detect(det.handle, raw, None, 0, ctypes.byref(count)))
        assert "not live" in msg or "freed" in msg
    with pytest.raises(ValueError):
        img.to_array()
    with pytest.raises(ValueError):
        det.detect(np.zeros((10, 10, 3), np.uint8))


# ------------------------------------------------------------------------------------------------
# Options, geometry
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,status", [
    (dict(upsample=4), "INVALID_ARGUMENT"),
    (dict(upsample=-2), "INVALID_ARGUMENT"),
    (dict(downscale=1.5), "INVALID_ARGUMENT"),
    (dict(downscale=-0.5), "INVALID_ARGUMENT"),
    (dict(downscale=float("nan")), "INVALID_ARGUMENT"),
    (dict(margin=-0.5), "INVALID_ARGUMENT"),
    (dict(margin=float("inf")), "INVALID_ARGUMENT"),
    (dict(min_face_size=0), "INVALID_ARGUMENT"),
    (dict(min_face_size=-10), "INVALID_ARGUMENT"),
    (dict(max_faces=-1), "INVALID_ARGUMENT"),
    (dict(threshold=float("nan")), "INVALID_ARGUMENT"),
    (dict(backend=7), "UNSUPPORTED"),
])
def test_bad_detector_options(fs, kwargs, status):
    e = expect(fs, fs.Status[status], fs.Detector, **kwargs)
    if status == "INVALID_ARGUMENT":
        name = next(iter(kwargs))
        assert name in e.message, f"the message should name the option: {e.message}"


def test_bad_struct_size(fs):
    lib = fs.capi.lib
    opts, status = fs.capi.new_options(fs.capi.fs_detector_options)
    assert status == fs.Status.OK
    assert opts.struct_size == ctypes.sizeof(fs.capi.fs_detector_options)
    out = ctypes.c_void_p()
    opts.struct_size = 0
    msg = call_status(fs, fs.Status.INVALID_ARGUMENT, lib.fs_detector_create(ctypes.byref(opts), ctypes.byref(out)))
    assert "struct_size" in msg
    assert out.value is None


def test_default_options_match_the_header(fs):
    o, _ = fs.capi.new_options(fs.capi.fs_detector_options)
    assert (o.backend, o.model_path, o.upsample, o.min_face_size, o.downscale, o.margin,
            o.threshold, o.max_faces) == (0, None, -1, 80, 0.0, 0.5, 0.0, 0)


@pytest.mark.parametrize("name", ["detector", "swap", "stream", "video", "reenact", "extract", "train"])
def test_options_init_writes_the_callers_size_and_refuses_bad_ones(fs, name):
    """fs_*_options_init writes exactly `size` bytes (struct_size = size) and refuses NULL, 0, a
    size below struct_size and the first option, and SIZE_MAX, writing nothing."""
    capi = fs.capi
    lib = capi.lib
    cls = getattr(capi, f"fs_{name}_options")
    init = getattr(lib, f"fs_{name}_options_init")
    n = ctypes.sizeof(cls)
    buf = (ctypes.c_ubyte * (n + 64))(*([0x5A] * (n + 64)))
    view = ctypes.cast(buf, ctypes.POINTER(cls))
    assert init(view, n) == fs.Status.OK
    assert view.contents.struct_size == n and bytes(buf[n:]) == b"\x5a" * 64
    full = bytes(buf[:n])
    ctypes.memset(buf, 0x5A, n + 64)
    assert init(view, 8) == fs.Status.OK       # an older caller: struct_size and the first option
    assert view.contents.struct_size == 8 and bytes(buf[4:8]) == full[4:8]
    assert bytes(buf[8:]) == b"\x5a" * (n + 56)
    msg = call_status(fs, fs.Status.INVALID_ARGUMENT, init(None, n))
    assert msg == f"fs_{name}_options_init: options is NULL"
    for size in (0, 7, capi.STRUCT_SIZE_MAX + 1, 2 ** 64 - 1):
        ctypes.memset(buf, 0x5A, n + 64)
        msg = call_status(fs, fs.Status.INVALID_ARGUMENT, init(view, size))
        assert msg.startswith(f"fs_{name}_options_init: size {size} is outside 8") and "sizeof" in msg
        assert bytes(buf) == b"\x5a" * (n + 64)


def test_output_struct_size_is_checked_before_any_work(fs, tmp_path):
    """An output struct whose struct_size the caller did not set is refused up front."""
    capi = fs.capi
    stats = capi.fs_video_stats()
    assert stats.struct_size == ctypes.sizeof(capi.fs_video_stats)
    stats.struct_size = 0
    out = tmp_path / "never.mp4"
    msg = call_status(fs, fs.Status.INVALID_ARGUMENT, capi.lib.fs_video_swap(
        None, None, b"in.mp4", os.fsencode(out), None, capi.fs_progress_fn(), None, ctypes.byref(stats)))
    assert "stats->struct_size is 0" in msg and "sizeof(fs_video_stats)" in msg
    assert not out.exists()


def test_alignment_argument_errors(fs):
    no_landmarks = fs.Face.from_rect((0, 0, 50, 50))
    expect(fs, fs.Status.INVALID_ARGUMENT, fs.align_transform, no_landmarks)
    pts = fs.align_template(256, 0.25)
    face = fs.Face(box=(0, 0, 256, 256), rect=(0, 0, 256, 256), landmarks=pts)
    assert np.allclose(fs.align_transform(face, 256, 0.25), [[1, 0, 0], [0, 1, 0]], atol=1e-4)
    expect(fs, fs.Status.INVALID_ARGUMENT, fs.align_transform, face, 4, 0.25)
    expect(fs, fs.Status.INVALID_ARGUMENT, fs.align_transform, face, 5000, 0.25)
    expect(fs, fs.Status.INVALID_ARGUMENT, fs.align_transform, face, 256, 0.9)
    expect(fs, fs.Status.INVALID_ARGUMENT, fs.align_transform, face, 256, -0.1)
    expect(fs, fs.Status.INVALID_ARGUMENT, fs.align_template, 7, 0.25)
    expect(fs, fs.Status.INVALID_ARGUMENT, fs.align_template, 256, 0.5)
    bad = fs.Face(box=(0, 0, 1, 1), rect=(0, 0, 1, 1), landmarks=np.full((68, 2), np.nan))
    expect(fs, fs.Status.INVALID_ARGUMENT, fs.align_transform, bad)
    img = np.zeros((32, 32, 3), np.uint8)
    expect(fs, fs.Status.INVALID_ARGUMENT, fs.align_crop, img, [[1, 0, 0], [0, 1, 0]], 4)
    expect(fs, fs.Status.INVALID_ARGUMENT, fs.align_crop, img, [[np.nan, 0, 0], [0, 1, 0]], 32)
    expect(fs, fs.Status.INVALID_ARGUMENT, fs.invert_affine, [[1, 2, 0], [2, 4, 0]])
    expect(fs, fs.Status.INVALID_ARGUMENT, fs.invert_affine, [[0, 0, 0], [0, 0, 0]])
    # a face struct with an impossible landmark count
    f = face._to_c()
    f.num_landmarks = 1000
    out = fs.capi.fs_affine()
    call_status(fs, fs.Status.INVALID_ARGUMENT,
                fs.capi.lib.fs_align_transform(ctypes.byref(f), 256, 0.25, ctypes.byref(out)))


# ------------------------------------------------------------------------------------------------
# Models
# ------------------------------------------------------------------------------------------------

def test_missing_model_path_is_model(fs, tmp_path):
    missing = tmp_path / "nowhere" / "shape_predictor_68_face_landmarks.dat"
    e = expect(fs, fs.Status.MODEL, fs.Landmarker, missing)
    assert str(missing) in e.message
    e = expect(fs, fs.Status.MODEL, fs.Detector, backend="cnn", model_path=missing)
    assert str(missing) in e.message


def test_model_not_found_lists_where_it_looked(fs, tmp_path, monkeypatch):
    folder = tmp_path / "models-here"
    folder.mkdir()
    monkeypatch.setenv("FACESWAP_MODEL_PATH", str(folder))
    e = expect(fs, fs.Status.MODEL, fs.find_model, "no_such_model_file.dat")
    for place in (str(folder), "faceswap/models", "/usr/share/dlib"):
        assert place in e.message, f"{place!r} missing from: {e.message}"
    assert "FACESWAP_MODEL_PATH" in e.message
    # the resolver reads FACESWAP_MODEL_PATH at call time
    (folder / "no_such_model_file.dat").write_bytes(b"x")
    assert fs.find_model("no_such_model_file.dat") == str(folder / "no_such_model_file.dat")


def test_cnn_model_not_found_lists_where_it_looked(fs, tmp_path, monkeypatch):
    monkeypatch.delenv("FACESWAP_MODEL_PATH", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    try:
        found = fs.find_model("mmod_human_face_detector.dat")
        skip_without("a machine without the CNN model installed system-wide", f"found at {found}")
    except fs.FaceSwapError:
        pass
    e = expect(fs, fs.Status.MODEL, fs.Detector, backend="cnn")
    assert "mmod_human_face_detector.dat" in e.message
    assert str(tmp_path / "faceswap" / "models") in e.message and "/usr/share/dlib" in e.message


def test_model_find_buffer_too_small(fs):
    path = fs.find_model("shape_predictor_68_face_landmarks.dat")
    buf = ctypes.create_string_buffer(4)
    call_status(fs, fs.Status.BUFFER_TOO_SMALL,
                fs.capi.lib.fs_model_find(b"shape_predictor_68_face_landmarks.dat", buf, 4))
    buf = ctypes.create_string_buffer(len(path) + 1)
    assert fs.capi.lib.fs_model_find(b"shape_predictor_68_face_landmarks.dat", buf, len(path) + 1) == 0
    assert buf.value.decode() == path


# Random bytes from a fixed seed: every pytest-xdist worker must collect the same test ids.
@pytest.mark.parametrize("content", [b"", b"garbage" * 1000, np.random.default_rng(7).bytes(100000)],
                         ids=["empty", "text", "random"])
def test_corrupt_model_file_is_model(fs, tmp_path, content):
    bad = tmp_path / "broken.dat"
    bad.write_bytes(content)
    e = expect(fs, fs.Status.MODEL, fs.Landmarker, bad)
    assert "broken.dat" in e.message
    expect(fs, fs.Status.MODEL, fs.Detector, backend="cnn", model_path=bad)
    xml = tmp_path / "broken.xml"
    xml.write_bytes(content)
    expect(fs, fs.Status.MODEL, fs.Detector, backend="haar", model_path=xml)


def test_wrong_kind_of_model_is_model(fs):
    cnn = require_model(fs, "mmod_human_face_detector.dat")
    expect(fs, fs.Status.MODEL, fs.Landmarker, cnn)
    lm68 = fs.find_model("shape_predictor_68_face_landmarks.dat")
    expect(fs, fs.Status.MODEL, fs.Detector, backend="cnn", model_path=lm68)
