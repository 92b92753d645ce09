"""Image decoding and encoding, checked against Pillow's decoder and synthetic pixels."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

from conftest import FIGURES, REPO



def pil_rgb(pil, path_or_bytes):
    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    with pil.open(src) as im:
        return np.asarray(im.convert("RGB"))


def smooth_test_image(h=120, w=200):
    """An asymmetric image with smooth colour ramps (JPEG-friendly) and a distinct corner."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.empty((h, w, 3), np.uint8)
    img[..., 0] = (40 + 180 * x / w).astype(np.uint8)          # R grows to the right
    img[..., 1] = (30 + 200 * y / h).astype(np.uint8)          # G grows downwards
    img[..., 2] = (128 + 100 * np.sin(x / 25.0) * np.cos(y / 30.0)).astype(np.uint8)
    img[:20, :30] = (250, 20, 20)                               # red block top-left
    return img  # RGB


def png_bytes(array: np.ndarray, bit_depth: int, colour_type: int) -> bytes:
    """A minimal PNG writer (numpy + zlib) for layouts Pillow cannot write (16-bit RGB)."""
    h, w = array.shape[:2]
    if bit_depth == 16:
        rows = array.astype(">u2").reshape(h, -1).view(np.uint8).reshape(h, -1)
    else:
        rows = array.astype(np.uint8).reshape(h, -1)
    raw = b"".join(b"\x00" + rows[i].tobytes() for i in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def test_load_png_matches_pillow_exactly(fs, pil, faces_dir):
    path = faces_dir / "fr_alex_lacamoire3_videostill.png"   # an RGBA PNG (opaque alpha)
    img = fs.load_image(path)
    with pil.open(path) as im:
        assert im.mode == "RGBA"
        ref = np.asarray(im)
    assert img.shape == (394, 424, 4) and img.dtype == np.uint8
    assert np.array_equal(img[..., [2, 1, 0, 3]], ref)         # BGRA by default
    assert np.array_equal(fs.load_image(path, channel_order="rgb"), ref)


@pytest.mark.parametrize("name,size", [("fr_obama1.jpg", (1480, 832)),
                                       ("fb_einstein2.jpg", (234, 246)),
                                       ("rcv_glasses.jpg", (468, 469))])
def test_load_jpeg_matches_pillow(fs, pil, faces_dir, name, size):
    path = faces_dir / name
    img = fs.load_image(path)
    assert img.shape == (size[1], size[0], 3)
    ref = pil_rgb(pil, path)
    diff = np.abs(img[..., ::-1].astype(int) - ref.astype(int))
    assert diff.mean() < 1.0 and np.percentile(diff, 99.9) <= 12, (diff.mean(), diff.max())
    # decode from memory gives the same pixels as load from the file
    assert np.array_equal(fs.decode_image(path.read_bytes()), img)


def test_cmyk_jpeg_decodes_to_the_right_colours(fs, pil, faces_dir):
    path = faces_dir / "rcv_one_face_cmyk.jpg"
    with pil.open(path) as im:
        assert im.mode == "CMYK", "the test file should be a CMYK JPEG"
    ref = pil_rgb(pil, path)
    img = fs.load_image(path)
    assert img.shape == ref.shape
    diff = np.abs(img[..., ::-1].astype(int) - ref.astype(int))
    FIGURES["CMYK JPEG vs Pillow"] = f"mean abs difference {diff.mean():.3f} levels (limit 3)"
    print(f"\nCMYK JPEG vs Pillow: mean abs difference {diff.mean():.3f} levels")
    assert diff.mean() < 3.0


def test_exif_orientation_6_is_applied(fs, pil, tmp_path):
    rgb = smooth_test_image()                        # 120 x 200, red block top-left
    im = pil.fromarray(rgb)
    exif = pil.Exif()
    exif[0x0112] = 6                                 # Orientation: rotate 90 CW to display
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=95, exif=exif.tobytes())
    data = buf.getvalue()
    stored = pil_rgb(pil, data)                      # Pillow does not rotate in convert()
    expected = np.rot90(stored, k=-1)                # 90 degrees clockwise
    path = tmp_path / "rotated.jpg"
    path.write_bytes(data)
    for got in (fs.decode_image(data, channel_order="rgb"), fs.load_image(path, channel_order="rgb")):
        assert got.shape == (200, 120, 3)            # width and height swapped
        diff = np.abs(got.astype(int) - expected.astype(int))
        assert diff.mean() < 1.5 and diff.max() <= 24, (diff.mean(), diff.max())
        # the red block, top-left when stored, is top-right when displayed
        assert got[2:28, -18:-2, 0].mean() > 200 and got[2:28, 2:18, 0].mean() < 200


@pytest.mark.parametrize("orientation,transform", [
    (1, lambda a: a),
    (3, lambda a: np.rot90(a, 2)),
    (8, lambda a: np.rot90(a, 1)),
    (2, lambda a: a[:, ::-1]),
])
def test_other_exif_orientations(fs, pil, orientation, transform):
    im = pil.fromarray(smooth_test_image())
    exif = pil.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=95, exif=exif.tobytes())
    expected = transform(pil_rgb(pil, buf.getvalue()))
    got = fs.decode_image(buf.getvalue(), channel_order="rgb")
    assert got.shape == expected.shape
    assert np.abs(got.astype(int) - expected.astype(int)).mean() < 1.5


def test_16bit_rgb_png_is_scaled_to_8_bits(fs):
    rng = np.random.default_rng(7)
    v8 = rng.integers(0, 256, (30, 40, 3), dtype=np.uint16)
    exact = fs.decode_image(png_bytes(v8 * 257, 16, 2), channel_order="rgb")   # 257*v -> v
    assert exact.shape == (30, 40, 3)
    assert np.array_equal(exact, v8.astype(np.uint8))
    v16 = rng.integers(0, 65536, (30, 40, 3), dtype=np.uint32).astype(np.uint16)
    got = fs.decode_image(png_bytes(v16, 16, 2), channel_order="rgb").astype(int)
    assert np.abs(got - v16.astype(np.float64) / 257.0).max() <= 1.0


def test_16bit_gray_png_with_pillow(fs, pil):
    rng = np.random.default_rng(3)
    v8 = rng.integers(0, 256, (25, 33), dtype=np.uint16)
    buf = io.BytesIO()
    pil.fromarray((v8 * 257).astype(np.uint16)).save(buf, "PNG")  # mode I;16
    with pil.open(io.BytesIO(buf.getvalue())) as check:
        assert check.mode.startswith("I")
    got = fs.decode_image(buf.getvalue())
    # the library gives BGR8 for grey files: three equal channels
    assert got.shape == (25, 33, 3)
    for c in range(3):
        assert np.array_equal(got[..., c], v8.astype(np.uint8))


def test_rgba_png_keeps_alpha(fs, pil):
    rng = np.random.default_rng(5)
    rgba = rng.integers(0, 256, (20, 30, 4), dtype=np.uint8)
    rgba[0, 0, 3] = 0
    rgba[1, 1, 3] = 255
    buf = io.BytesIO()
    pil.fromarray(rgba, "RGBA").save(buf, "PNG")
    got = fs.decode_image(buf.getvalue())
    assert got.shape == (20, 30, 4)                               # BGRA
    assert np.array_equal(got[..., 3], rgba[..., 3])
    assert np.array_equal(got[..., :3], rgba[..., 2::-1])
    assert np.array_equal(fs.decode_image(buf.getvalue(), channel_order="rgb"), rgba)


def test_gray_alpha_and_palette_pngs(fs, pil):
    rng = np.random.default_rng(9)
    la = rng.integers(0, 256, (10, 12, 2), dtype=np.uint8)
    buf = io.BytesIO()
    pil.fromarray(la, "LA").save(buf, "PNG")
    got = fs.decode_image(buf.getvalue())
    assert got.shape == (10, 12, 4)
    assert np.array_equal(got[..., 3], la[..., 1])
    for c in range(3):
        assert np.array_equal(got[..., c], la[..., 0])
    pal = pil.fromarray(smooth_test_image(16, 16)).convert("P", palette=pil.Palette.ADAPTIVE, colors=16)
    buf = io.BytesIO()
    pal.save(buf, "PNG")
    assert np.array_equal(fs.decode_image(buf.getvalue(), channel_order="rgb"),
                          np.asarray(pal.convert("RGB")))


@pytest.mark.parametrize("shape", [(17, 23, 3), (17, 23, 4), (17, 23)])
def test_png_round_trip_is_exact(fs, shape):
    rng = np.random.default_rng(11)
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    data = fs.encode_image(img, "png")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    back = fs.decode_image(data)
    if len(shape) == 2:                     # grey decodes to BGR8 with equal channels
        assert back.shape == shape + (3,)
        assert all(np.array_equal(back[..., c], img) for c in range(3))
    else:
        assert np.array_equal(back, img)


def test_png_round_trip_rgb_order(fs, pil):
    rgb = smooth_test_image()
    data = fs.encode_image(rgb, "png", channel_order="rgb")
    assert np.array_equal(pil_rgb(pil, data), rgb)           # Pillow agrees on the colours
    assert np.array_equal(fs.decode_image(data, channel_order="rgb"), rgb)


@pytest.mark.parametrize("quality,limit", [(95, 2.0), (0, 2.5), (50, 4.0)])
def test_jpeg_round_trip_within_tolerance(fs, pil, quality, limit):
    rgb = smooth_test_image()
    data = fs.encode_image(rgb[..., ::-1], "jpeg", quality=quality)
    assert data[:2] == b"\xff\xd8"
    back = fs.decode_image(data)[..., ::-1]
    assert back.shape == rgb.shape
    assert np.abs(back.astype(int) - rgb.astype(int)).mean() < limit
    # Pillow reads what we wrote
    assert np.abs(pil_rgb(pil, data).astype(int) - back.astype(int)).mean() < 1.0


def test_jpeg_quality_changes_size(fs):
    rng = np.random.default_rng(2)
    img = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    small = fs.encode_image(img, "jpeg", quality=10)
    big = fs.encode_image(img, "jpeg", quality=100)
    assert len(small) < len(big)
    assert fs.encode_image(img, "jpeg", quality=0) == fs.encode_image(img, "jpeg", quality=92)


def test_save_and_load(fs, tmp_path):
    rng = np.random.default_rng(4)
    img = rng.integers(0, 256, (21, 34, 3), dtype=np.uint8)
    fs.save_image(img, tmp_path / "a.png")
    assert np.array_equal(fs.load_image(tmp_path / "a.png"), img)
    fs.save_image(img, str(tmp_path / "b.PNG"))
    assert np.array_equal(fs.load_image(tmp_path / "b.PNG"), img)
    fs.save_image(img, tmp_path / "c.jpg", quality=90)
    assert (tmp_path / "c.jpg").read_bytes()[:2] == b"\xff\xd8"
    fs.save_image(img, tmp_path / "d.bin", codec="png")
    assert (tmp_path / "d.bin").read_bytes()[:4] == b"\x89PNG"
    # no temporary files left behind by the atomic write
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.PNG", "c.jpg", "d.bin"]


def test_array_layouts_in_and_out(fs):
    rng = np.random.default_rng(6)
    big = rng.integers(0, 256, (50, 60, 3), dtype=np.uint8)
    cases = [
        big,
        big[5:40, 7:50],                 # rows with a stride larger than the row
        big[::2, ::3],                   # non-contiguous pixels
        big[:, ::-1],                    # negative strides
        np.asfortranarray(big),          # column-major
        big[..., ::-1],                  # reversed channels
    ]
    for a in cases:
        with fs.Image.from_array(a) as im:
            assert (im.width, im.height) == (a.shape[1], a.shape[0])
            assert im.format == fs.PixelFormat.BGR8
            out = im.to_array()
        assert out.flags.c_contiguous and out.dtype == np.uint8
        assert np.array_equal(out, a)
    with fs.Image.from_array(big, channel_order="rgb") as im:
        assert im.format == fs.PixelFormat.RGB8
        assert np.array_equal(im.to_array("bgr"), big[..., ::-1])
        assert np.array_equal(im.to_array("rgb"), big)
    gray = big[..., 1]
    assert np.array_equal(fs.convert_image(big, "gray").shape, gray.shape)
    with fs.Image.from_array(gray) as im:
        assert im.format == fs.PixelFormat.GRAY8
        assert np.array_equal(im.to_array(), gray)
    with fs.Image.from_array(big[..., :1]) as im:
        assert im.format == fs.PixelFormat.GRAY8
    with pytest.raises(TypeError):
        fs.Image.from_array(big.astype(np.float32))
    with pytest.raises(ValueError):
        fs.Image.from_array(np.zeros((4, 4, 2), np.uint8))


def test_convert_image(fs, pil, faces_dir):
    bgr = np.array([[[10, 20, 30], [200, 100, 50]]], np.uint8)
    assert np.array_equal(fs.convert_image(bgr, "rgb"), bgr[..., ::-1])
    bgra = fs.convert_image(bgr, "bgra")
    assert bgra.shape == (1, 2, 4) and np.all(bgra[..., 3] == 255)
    assert np.array_equal(bgra[..., :3], bgr)
    # grey against another library: Pillow's convert("L") (ITU-R BT.601 luma, 299/587/114 per
    # mille, as OpenCV's), over every colour of a random image and a real photo
    rng = np.random.default_rng(11)
    for img in (rng.integers(0, 256, (64, 96, 3), dtype=np.uint8),
                np.asarray(pil.open(faces_dir / "fr_obama1.jpg").convert("RGB"))[..., ::-1]):
        g = fs.convert_image(img, "gray")
        expected = np.asarray(pil.fromarray(np.ascontiguousarray(img[..., ::-1])).convert("L"))
        assert g.shape == expected.shape and np.abs(g.astype(int) - expected).max() <= 1


# ------------------------------------------------------------------------------------------------
# Other people's files, swapped end to end: the binding's load_image + swap and `faceswap swap`
# ------------------------------------------------------------------------------------------------

CLI = Path(os.environ.get("FACESWAP_CLI") or REPO / ".build" / "release" / "faceswap-cli")
SOURCE = REPO / "samples" / "source.jpg"
ODD_FILES = ["grey.jpg", "progressive.jpg", "cmyk.jpg", "alpha.png", "grey_alpha.png", "palette.png",
             "rgb16.png", "grey16.png", "lossless.webp", "plain.bmp", "plain.tiff"]


def odd_file(pil, faces_dir, tmp_path, kind: str):
    """The file, and its pixels as Pillow reads them (RGB 8-bit; 16-bit files: the 8-bit values
    they were made from)."""
    if kind == "cmyk.jpg":
        path = faces_dir / "rcv_one_face_cmyk.jpg"
        return path, pil_rgb(pil, path)
    rgb = pil_rgb(pil, faces_dir / "sn_adele_2016.jpg")
    im = pil.fromarray(rgb)
    path = tmp_path / kind
    if kind == "grey.jpg":
        im.convert("L").save(path, quality=95)
    elif kind == "progressive.jpg":
        im.save(path, quality=95, progressive=True)
    elif kind == "alpha.png":
        a = np.dstack([rgb, np.tile(np.linspace(0, 255, rgb.shape[1]).astype(np.uint8), (rgb.shape[0], 1))])
        pil.fromarray(a, "RGBA").save(path)
    elif kind == "grey_alpha.png":
        im.convert("LA").save(path)
    elif kind == "palette.png":
        im.convert("P", palette=pil.Palette.ADAPTIVE, colors=256).save(path)
    elif kind == "rgb16.png":
        path.write_bytes(png_bytes(rgb.astype(np.uint16) * 257, 16, 2))
        return path, rgb
    elif kind == "grey16.png":
        g = np.asarray(im.convert("L"))
        path.write_bytes(png_bytes(g.astype(np.uint16) * 257, 16, 0))
        return path, np.repeat(g[..., None], 3, axis=2)
    elif kind == "lossless.webp":
        im.save(path, lossless=True)
    else:
        im.save(path)
    return path, pil_rgb(pil, path)


@pytest.mark.parametrize("kind", ODD_FILES)
def test_odd_image_files_swap(fs, pil, faces_dir, tmp_path, kind):
    """Grey, progressive and CMYK JPEGs; PNGs with alpha, a palette or 16 bits; WebP, BMP, TIFF:
    read as Pillow reads them, the face swapped and the rest kept (alpha too), and `faceswap swap`
    writes the binding's result."""
    path, ref = odd_file(pil, faces_dir, tmp_path, kind)
    target = fs.load_image(path)
    assert target.shape[:2] == ref.shape[:2]
    diff = np.abs(target[..., 2::-1].astype(int) - ref).mean()
    assert diff <= (3 if kind.endswith(".jpg") else 0.01), f"{kind}: {diff:.2f} levels from Pillow"
    result = fs.swap(fs.load_image(SOURCE), target)
    assert result.shape == target.shape
    changed = (np.abs(result[..., :3].astype(int) - target[..., :3]).max(axis=-1) > 20).mean()
    assert 0.005 < changed < 0.3, f"{kind}: {changed:.3f} of the pixels changed"
    if target.shape[2] == 4:
        assert np.array_equal(result[..., 3], target[..., 3]), "the alpha channel changed"

    out = tmp_path / "out.png"
    r = subprocess.run([str(CLI), "swap", "--source", str(SOURCE), "--target", str(path), "-o", str(out)],
                       capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"faceswap swap --target {kind}: {r.stderr}"
    written = fs.load_image(out)
    assert written.shape == result.shape
    assert np.abs(written.astype(int) - result).max() <= 1, f"{kind}: the CLI's result is not the binding's"


@pytest.mark.parametrize("name", ["out.webp", "out.bmp", "out"])
def test_cli_output_format_it_cannot_write(tmp_path, name):
    """An output extension the library reads but does not write: one line saying what to use,
    before any work, and no file."""
    out = tmp_path / name
    r = subprocess.run([str(CLI), "swap", "--source", str(SOURCE), "--target", str(SOURCE), "-o", str(out)],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "not an image format faceswap writes" in lines[0] and ".jpg or .png" in lines[0], r.stderr
    assert list(tmp_path.iterdir()) == []
