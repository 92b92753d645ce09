#!/usr/bin/env python3
"""Writes the seed corpora of Tests/fuzz/corpus/ (and Tests/fuzz/data/face.jpg, Tests/fuzz/dict/*).

The seeds are committed; this script says how each was made and makes them again:
    python3 Tests/fuzz/tools/make_seeds.py [DATA]      (DATA: Tests/data, see corpus/SOURCES.md)
Needs Pillow, and a C++ compiler with dlib's headers (libdlib-dev) for the shape-predictor seeds.
Everything is deterministic: running it again gives the same bytes (Pillow version permitting).
"""
import io
import os
import shutil
import struct
import subprocess
import sys
import tempfile

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
FUZZ = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(FUZZ))
DATA = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "Tests", "data"))
FACES = os.path.join(DATA, "faces")


def out(harness, name, data):
    d = os.path.join(FUZZ, "corpus", harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def encode(im, fmt, **kw):
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()


def load(name):
    return Image.open(os.path.join(FACES, name)).convert("RGB")


# ----------------------------------------------------------------------------------------------
# image_decode: three small originals as they are, and small derived files in every layout the
# decoders handle (JPEG baseline/progressive/grey/CMYK/EXIF-rotated; PNG 8/16-bit, grey, alpha,
# palette; BMP, TIFF, WebP).
for name in ["fr_obama_small.jpg", "fb_einstein2.jpg", "rcv_no_face_tiny.jpg"]:
    with open(os.path.join(FACES, name), "rb") as f:
        out("image_decode", name, f.read())
city = load("sn_city_portrait.jpg")
face = city.crop((230, 120, 870, 760)).resize((48, 48), Image.LANCZOS)  # the face, 48x48
grey = face.convert("L")
d = "image_decode"
out(d, "city48_baseline.jpg", encode(face, "JPEG", quality=80))
out(d, "city48_progressive.jpg", encode(face, "JPEG", quality=60, progressive=True))
out(d, "city48_grey.jpg", encode(grey, "JPEG", quality=80))
out(d, "city48_cmyk_adobe.jpg", encode(face.convert("CMYK"), "JPEG", quality=80))
exif = Image.Exif()
exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise
out(d, "city48x32_exif6.jpg", encode(face.crop((0, 8, 48, 40)), "JPEG", quality=70, exif=exif.tobytes()))
out(d, "city48_subsampling444.jpg", encode(face, "JPEG", quality=90, subsampling=0))
out(d, "city48_rgb.png", encode(face, "PNG"))
out(d, "city48_grey.png", encode(grey, "PNG"))
out(d, "city48_grey_alpha.png", encode(Image.merge("LA", (grey, grey.point(lambda v: 255 - v))), "PNG"))
out(d, "city48_rgba.png", encode(Image.merge("RGBA", face.split() + (grey,)), "PNG"))
out(d, "city48_grey16.png", encode(grey.point(lambda v: v * 257, mode="I").convert("I;16"), "PNG"))
out(d, "city48_palette.png", encode(face.quantize(16), "PNG"))
out(d, "city16.bmp", encode(face.resize((16, 16)), "BMP"))
out(d, "city16.tiff", encode(face.resize((16, 16)), "TIFF"))
try:
    out(d, "city16.webp", encode(face.resize((16, 16)), "WEBP", quality=50))
except (KeyError, OSError):
    pass
out(d, "one_pixel.png", encode(Image.new("RGB", (1, 1), (10, 20, 30)), "PNG"))

# ----------------------------------------------------------------------------------------------
# image_view: width, height (signed bytes), format, stride mode, [stride], pixels, then the
# target format, codec, quality, matrix kind, 6 matrix entries, crop size, 4 points.
def view_seed(w, h, fmt, stride_mode, stride_bytes, pixels, to, codec, quality, matrix, crop):
    b = struct.pack("<bbBB", w, h, fmt, stride_mode) + stride_bytes + pixels
    b += struct.pack("<BBbB", to, codec, quality, 0) + bytes(int(v * 16) & 0xFF for v in matrix)
    return b + struct.pack("<b", crop) + bytes(32)


g8 = grey.resize((8, 8)).tobytes()
rgb8 = face.resize((8, 8)).tobytes()
out("image_view", "gray8_exact", view_seed(8, 8, 1, 0, b"", g8, 2, 2, 0, [1, 0, 0, 0, 1, 0], 8))
out("image_view", "bgr8_padded", view_seed(8, 8, 2, 1, b"\x05", b"".join(rgb8[i:i + 24] + bytes(5) for i in range(0, 192, 24)),
                                           1, 1, 90, [0.5, 0.25, 1, -0.25, 0.5, 2], 16))
out("image_view", "rgba8_rotate", view_seed(4, 4, 5, 0, b"", bytes(range(64)), 4, 1, 0, [0, 1, 0, -1, 0, 4], 12))
out("image_view", "bad_stride", view_seed(8, 2, 3, 2, struct.pack("<H", 10), bytes(40), 3, 2, 0, [1, 0, 0, 0, 1, 0], 8))

# ----------------------------------------------------------------------------------------------
# detect: a 22-byte header (mode: bit 0 decode / raw, bit 1 the upsampling detector; raw width,
# height, format; a face rectangle) and the file or the raw pixels.
def detect_header(mode, w=0, h=0, fmt=0, rect=(40, 30, 100, 100), raw_floats=False):
    hdr = struct.pack("<BBBBB", mode, w, h, fmt, 0)
    if raw_floats:
        hdr += struct.pack("<B4f", 1, *rect)
    else:
        hdr += struct.pack("<B2h2H", 0, *(int(v * 64) for v in rect)) + bytes(8)
    return hdr[:22].ljust(22, b"\0")


city200 = city.resize((200, 132), Image.LANCZOS)
out("detect", "city200_default.jpg", detect_header(1) + encode(city200, "JPEG", quality=85))
out("detect", "city120_upsample.jpg", detect_header(3, rect=(20, 10, 60, 60)) + encode(city.resize((120, 80)), "JPEG", quality=85))
out("detect", "obama160_upsample.png", detect_header(3) + encode(load("fr_obama_small.jpg").resize((160, 120)), "PNG"))
einstein = load("fb_einstein2.jpg").resize((190, 200), Image.LANCZOS)
out("detect", "einstein190.jpg", detect_header(1, rect=(60, 60, 80, 80)) + encode(einstein, "JPEG", quality=85))
classroom = load("sn_classroom_in_tanzania.jpg").crop((0, 0, 400, 300)).resize((200, 150))
out("detect", "classroom200_upsample.jpg", detect_header(3) + encode(classroom, "JPEG", quality=80))
cityface = city.crop((180, 40, 920, 780)).resize((120, 120), Image.LANCZOS).convert("L")
out("detect", "raw_gray120_face", detect_header(0, 119, 119, 0, rect=(10, 10, 100, 100)) + cityface.tobytes())
out("detect", "raw_bgr64_nan_rect", detect_header(2, 63, 63, 1, rect=(float("nan"), 1e30, -5, float("inf")), raw_floats=True)
    + face.resize((64, 64)).tobytes()[:3000])

# The source photo of the frei0r harness: the CC0 portrait, whole, 200 px wide (one face).
os.makedirs(os.path.join(FUZZ, "data"), exist_ok=True)
city200.save(os.path.join(FUZZ, "data", "face.jpg"), "JPEG", quality=85)

# ----------------------------------------------------------------------------------------------
# model_sp: tiny complete dlib shape predictors (68 and 5 points) made by make_sp_seed.cpp, each
# behind the mode byte (0 no cache, 1 with the cache written and read back, 2 the cache reader), and their
# raw-binary caches for mode 2.
with tempfile.TemporaryDirectory() as tmp:
    exe = os.path.join(tmp, "make_sp_seed")
    subprocess.run(["c++", "-std=c++17", "-O1", os.path.join(HERE, "make_sp_seed.cpp"), "-o", exe], check=True)
    for parts in (68, 5):
        dat, cache = os.path.join(tmp, "sp.dat"), os.path.join(tmp, "sp.spcache")
        subprocess.run([exe, str(parts), dat, cache], check=True)
        model = open(dat, "rb").read()
        out("model_sp", f"sp{parts}_dlib", b"\0" + model)
        out("model_sp", f"sp{parts}_parts_and_cache", b"\1" + model)
        out("model_sp", f"sp{parts}_cache", b"\2" + open(cache, "rb").read())
        if parts == 5:
            out("model_sp", "sp5_truncated", b"\1" + model[: len(model) // 2])

# ----------------------------------------------------------------------------------------------
# cli_args: command lines, NUL between arguments.
CLI = {
    "swap_full": ["swap", "--source", "a.jpg", "--target", "b.png", "-o", "out.png", "--mode=affine", "--color", "hist",
                  "--blend", "poisson-exact", "--faces", "2", "--source-face=1", "--expression", "0.25", "--forehead", "0.2",
                  "--feather=0.1", "--erode", "-0.2", "--quality", "90", "--compare", "c.jpg", "--mask", "m.png",
                  "--source-mouth", "--keep-unmatched", "--reference", "r.jpg"],
    "swap_detector": ["swap", "--source=a.jpg", "--target=b.jpg", "--output=o.jpeg", "--detector", "haar", "--upsample", "2",
                      "--min-face=40", "--downscale", "0.5", "--margin", "1.5", "--threshold=-0.5", "--landmarks-model", "m.dat"],
    "swap_bad_number": ["swap", "--source", "a", "--target", "b", "-o", "x.png", "--feather", "nan"],
    "swap_bad_ext": ["swap", "--source", "a", "--target", "b", "-o", "x.gif"],
    "detect": ["detect", "img.jpg", "--json", "--draw", "out.png", "--detector", "cnn", "--min-face", "320"],
    "detect_help": ["detect", "-h"],
    "detect_dashdash": ["detect", "--", "--json", "-"],
    "eval": ["eval", "s.jpg", "t.jpg", "r.png", "--json", "--upsample=1"],
    "video": ["video", "--source", "a.jpg", "--input", "in.mp4", "-o", "out.mkv", "--detect-every", "3", "--smooth-cutoff",
              "1.5", "--smooth-beta", "0", "--crf", "23", "--preset", "ultrafast", "--quiet", "--blend", "alpha"],
    "reenact": ["reenact", "--source", "p.jpg", "--driving", "d.mp4", "-o", "o.mp4", "--side-by-side", "--expression", "1.5",
                "--head-motion", "0.5", "--no-mouth-fill", "--detect-every=10", "--crf", "0"],
    "extract": ["extract", "photos/", "clip.mp4", "-o", "faces", "--size", "128", "--padding", "0.3", "--min-sharpness", "0",
                "--duplicate", "2.5", "--every", "5", "--faces", "3", "--quiet"],
    "train": ["train", "--faces-a", "A", "--faces-b", "B", "--model", "m.fsm", "--iterations", "1000", "--size", "128",
              "--batch", "8", "--lr", "1e-4", "--ssim", "1", "--l1", "0.5", "--mask-loss", "0.1", "--gan", "0", "--seed", "42",
              "--checkpoint", "100", "--preview", "p", "--preview-every", "50", "--name-a", "x", "--name-b", "y", "--no-warp"],
    "train_resume": ["train", "--faces-a=A", "--faces-b=B", "--model=m.fsm", "--minutes", "0.5", "--resume", "--size", "64"],
    "train_gan": ["train-gan", "--faces-b", "B", "--model", "b.fsg", "--minutes", "1", "--size", "64", "--gan", "0.1",
                  "--preview", "p", "--resume"],
    "train_gan_with_a": ["train-gan", "--faces-a", "A", "--faces-b", "B", "--model", "b.fsg", "--iterations", "5"],
    "reenact_model": ["reenact", "--model", "b.fsg", "--driving", "d.mp4", "-o", "o.mp4", "--canvas", "384x384",
                      "--expression", "1.8"],
    "version": ["version"],
    "unknown": ["frobnicate", "--x"],
    "bad_switch_value": ["swap", "--keep-unmatched=yes"],
    "missing_value": ["video", "--crf"],
}
for name, argv in CLI.items():
    out("cli_args", name, b"\0".join(a.encode() for a in argv))
os.makedirs(os.path.join(FUZZ, "dict"), exist_ok=True)
words = sorted({a.split("=")[0] for argv in CLI.values() for a in argv if a.startswith("-")} |
               {"swap", "detect", "eval", "video", "reenact", "extract", "train", "train-gan", "version", "help", "--help", "-h",
                "--", "=", "hog", "cnn", "haar", "mmod", "affine", "delaunay", "none", "mean", "reinhard", "hist", "alpha",
                "poisson", "multiband", "poisson-exact", "all", ".jpg", ".jpeg", ".png", ".JPG", "nan", "inf", "1e309",
                "-0", "0x1p3", "64", "128", "--model", "--reverse", "--input", "--driving", "--output"})
with open(os.path.join(FUZZ, "dict", "cli_args.dict"), "w") as f:
    f.write("# option names and values of the CLI (made by tools/make_seeds.py)\n")
    for w in words:
        f.write('"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"\n')
        f.write('"\\x00' + w.replace("\\", "\\\\").replace('"', '\\"') + '"\n')

# ----------------------------------------------------------------------------------------------
# frei0r_params: frame width/height, then operations (see harness/frei0r_params.c).
def s(index, text):
    t = text.encode()
    return bytes([index, len(t)]) + t


def dbl(index, v):
    return bytes([index]) + struct.pack("<d", v)


def frame(t=None):
    return bytes([0x20]) + struct.pack("<d", t) if t is not None else bytes([0x30])


FACE = "\x01"  # first byte 1 (mod 3): the face photo
OPS = {
    "ffmpeg_like": bytes([32, 24]) + s(0, FACE) + s(1, "delaunay") + s(2, "multiband") + s(3, "reinhard") + dbl(4, 0.5)
    + dbl(5, 5) + dbl(6, 1) + s(7, "ms") + dbl(8, 25) + frame(0) + frame(40) + frame(80),
    "defaults_empty": bytes([16, 16]) + s(0, FACE) + s(1, "") + s(2, "") + s(3, "") + s(7, "") + frame() + frame(),
    "bad_names": bytes([8, 8]) + s(0, FACE) + s(1, "affin") + frame() + s(1, "affine") + s(2, "poisson-exactly") + frame()
    + s(2, "poisson-exact") + s(3, "HIST") + frame() + s(3, "hist") + s(7, "us") + frame() + s(7, "s") + frame(0.5),
    "numbers": bytes([12, 10]) + s(0, FACE) + dbl(4, float("nan")) + frame() + dbl(4, 1) + dbl(5, 0.5) + frame()
    + dbl(5, 101) + frame() + dbl(5, 1) + dbl(8, -1) + frame() + dbl(8, 1000) + dbl(6, 0) + frame(-7e17) + frame(1e300),
    "missing_source": bytes([4, 4]) + s(0, "\x02/etc/passwd") + frame() + s(0, "") + frame() + bytes([0x10, 0x19, 0x0f]),
    "time_back": bytes([20, 20]) + s(0, FACE) + frame(100) + frame(200) + frame(150) + frame(float("inf")) + frame(150),
}
for name, b in OPS.items():
    out("frei0r_params", name, b)
with open(os.path.join(FUZZ, "dict", "frei0r_params.dict"), "w") as f:
    f.write("# the plugin's parameter values (made by tools/make_seeds.py)\n")
    for w in ["affine", "delaunay", "alpha", "poisson", "multiband", "poisson-exact", "none", "mean", "reinhard", "hist",
              "auto", "s", "ms"]:
        f.write('"\\x%02x%s"\n' % (len(w), w))
print("seeds written under", FUZZ)
