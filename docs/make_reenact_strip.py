"""Writes docs/img/reenact-exaggerate.png, the README's still strip of the exaggerated look:
rows driver | result at expression 1 | result at expression 1.8, columns a few frames of a
talking clip (the neutral first frame, then the frames where the driver opens its mouth most).

    FACESWAP_LIBRARY=.build/release/libfaceswap.so python3 docs/make_reenact_strip.py

The library through the Python binding, the test data's clip vr_face4.mp4 and portrait
fr_rose_leslie1.jpg; each tile is the face's box (the driver's per frame, the photo's for the
results) widened by half, scaled to TILE pixels high.
"""

import pathlib
import subprocess
import sys

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bindings" / "python"))
import faceswap as fs  # noqa: E402

CLIP = ROOT / "Tests/data/videos/vr_face4.mp4"
PHOTO = ROOT / "Tests/data/faces/fr_rose_leslie1.jpg"
FRAMES = 60      # the clip's first frames (as test_reenact_exaggerate.py)
COLUMNS = 4
TILE = 140
OUT = ROOT / "docs/img/reenact-exaggerate.png"


def read_frames(path, n):
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries",
                            "stream=width,height", "-of", "csv=p=0", str(path)],
                           capture_output=True, check=True, text=True).stdout.split(",")
    w, h = int(probe[0]), int(probe[1])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-frames:v", str(n), "-f", "rawvideo",
                          "-pix_fmt", "bgr24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def face_box(det, img):
    faces = det.detect(img)
    return max(faces, key=lambda f: f.rect[2] * f.rect[3]).rect if faces else None


def tile(img, rect):
    x, y, w, h = rect if rect is not None else (0, 0, img.shape[1], img.shape[0])
    cx, cy, side = x + w / 2, y + h / 2, 1.5 * max(w, h)
    x0, y0 = int(max(cx - side / 2, 0)), int(max(cy - side / 2, 0))
    crop = img[y0:int(min(cy + side / 2, img.shape[0])), x0:int(min(cx + side / 2, img.shape[1])), ::-1]
    t = Image.fromarray(np.ascontiguousarray(crop))
    return t.resize((round(TILE * t.width / t.height), TILE), Image.LANCZOS)


def open_frames(det, lm, frames, count, apart=6):
    """The first frame and the count - 1 frames where the driver opens its mouth widest (the mean
    inner-lip gap of a raw fit), at least `apart` frames from each other; in order."""
    gaps = []
    for f in frames:
        faces = det.detect(f)
        p = lm.fit(f, max(faces, key=lambda a: a.rect[2] * a.rect[3])).landmarks if faces else None
        gaps.append(-1.0 if p is None else float(np.mean(p[[67, 66, 65], 1] - p[[61, 62, 63], 1])))
    picks = [0]
    for i in np.argsort(gaps)[::-1]:  # widest open first
        if len(picks) < count and all(abs(int(i) - j) >= apart for j in picks):
            picks.append(int(i))
    return sorted(picks)


def save_sheet(grid, out):
    """Rows of tiles (all TILE high) on a white sheet, 4 px apart, as a 256-colour PNG."""
    gap = 4
    width = max(sum(t.width for t in row) + gap * (len(row) - 1) for row in grid)
    sheet = Image.new("RGB", (width, TILE * len(grid) + gap * (len(grid) - 1)), "white")
    for r, row in enumerate(grid):
        x = 0
        for t in row:
            sheet.paste(t, (x, r * (TILE + gap)))
            x += t.width + gap
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.quantize(256, dither=Image.Dither.FLOYDSTEINBERG).save(out, optimize=True)  # < 300 KB


def main():
    frames = read_frames(CLIP, FRAMES)
    photo = fs.load_image(PHOTO)
    photo = photo[: photo.shape[0] & ~1, : photo.shape[1] & ~1].copy()
    with fs.Detector() as det, fs.Landmarker() as lm:
        rows = {}
        for e in (1.0, 1.8):
            with fs.Reenactor(photo, det, lm, expression=e) as r:
                rows[e] = [r.push(f, i / 30.0) for i, f in enumerate(frames)]
        picks = open_frames(det, lm, frames, COLUMNS)
        photo_box = face_box(det, photo)
        grid = [[tile(frames[i], face_box(det, frames[i])) for i in picks]]
        grid += [[tile(rows[e][i], photo_box) for i in picks] for e in (1.0, 1.8)]
    save_sheet(grid, OUT)
    print(f"{OUT}: frames {picks}, {OUT.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
