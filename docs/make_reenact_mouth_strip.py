"""Writes docs/img/reenact-mouth.png, the README's still strip of the opening mouth of a
closed-mouth photo: rows driver | mouth_fill 2 (the driver's mouth copied, colour-matched) |
mouth_fill 1 (a cavity and teeth synthesised in the photo's colours, the default), columns the
three frames where the driver opens its mouth widest (at least 4 frames apart).

    FACESWAP_LIBRARY=.build/release/libfaceswap.so python3 docs/make_reenact_mouth_strip.py

The library through the Python binding, the test data's clip vr_face4.mp4 (its first FRAMES
frames) and the closed-mouth portrait fr_rose_leslie1.jpg; each tile is the lower face: the lips'
box (the driver's fit per frame; for both results of a frame, the fit on the synthesised one)
widened 1.8 times, scaled to TILE pixels high.
The tiles, the frame picks and the sheet: make_reenact_strip.py's.
"""

import numpy as np

from make_reenact_strip import CLIP, PHOTO, ROOT, TILE, fs, open_frames, read_frames, save_sheet, tile

FRAMES = 100     # vr_face4's widest openings are at frames 80-100
COLUMNS = 3
OUT = ROOT / "docs/img/reenact-mouth.png"


def lips_box(det, lm, img):
    """The lips' box (points 48-67 of the largest face) as a square about its centre (tile()
    widens it 1.5 times)."""
    faces = det.detect(img)
    if not faces:
        return None
    p = lm.fit(img, max(faces, key=lambda f: f.rect[2] * f.rect[3])).landmarks[48:68]
    (x0, y0), (x1, y1) = p.min(0), p.max(0)
    side = 1.2 * max(x1 - x0, y1 - y0)
    return (x0 + x1 - side) / 2, (y0 + y1 - side) / 2, side, side


def main():
    frames = read_frames(CLIP, FRAMES)
    photo = fs.load_image(PHOTO)
    photo = photo[: photo.shape[0] & ~1, : photo.shape[1] & ~1].copy()
    with fs.Detector() as det, fs.Landmarker() as lm:
        picks = open_frames(det, lm, frames, COLUMNS + 1, apart=4)[1:]  # not the neutral first frame
        rows = {}
        for fill in (2, 1):
            with fs.Reenactor(photo, det, lm, mouth_fill=fill) as r:
                rows[fill] = [r.push(f, i / 30.0) for i, f in enumerate(frames)]
        # A column's results share one box: the lips' on the synthesised result (the head moves).
        boxes = [lips_box(det, lm, rows[1][i]) for i in picks]
        grid = [[tile(frames[i], lips_box(det, lm, frames[i])) for i in picks]]
        grid += [[tile(rows[fill][i], b) for i, b in zip(picks, boxes)] for fill in (2, 1)]
    save_sheet(grid, OUT)
    print(f"{OUT}: frames {picks}, {OUT.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
