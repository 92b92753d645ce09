"""Writes docs/img/skin-texture.png: before/after crops of the skin-texture option (issue 16
item 4), one row per pair, columns target | swap | swap with skin_texture 1.

    FACESWAP_LIBRARY=.build/release/libfaceswap.so python3 docs/make_skin_texture.py

The library through the Python binding on the test data's photos: a smooth studio source on an
older, rougher target, and the reverse (the pairs of Tests/python/test_skin_texture.py). Each
tile is a square of 1.3 eye distances around the target's left cheek and eye (the face's right
side in the picture), scaled to TILE pixels, so the pores and lines are visible.
"""

import pathlib
import sys

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bindings" / "python"))
import faceswap as fs  # noqa: E402

FACES = ROOT / "Tests/data/faces"
PAIRS = [("sn_model_face.jpg", "fr_biden2.jpg"), ("fr_biden2.jpg", "sn_city_portrait.jpg")]
TILE = 300
GAP = 4
OUT = ROOT / "docs/img/skin-texture.png"


def crop(img, p):
    """The square around the cheek below the face's left eye (landmarks 36-41, 1-3, 31, 48)."""
    iod = np.linalg.norm(p[36:42].mean(0) - p[42:48].mean(0))
    c = p[[36, 39, 40, 41, 2, 3, 31, 48]].mean(0)
    h = 0.65 * iod
    x0, y0 = int(round(c[0] - h)), int(round(c[1] - h))
    side = int(round(2 * h))
    rgb = Image.fromarray(np.ascontiguousarray(img[..., 2::-1]))
    return rgb.crop((x0, y0, x0 + side, y0 + side)).resize((TILE, TILE), Image.LANCZOS)


def main():
    rows = []
    with fs.Detector(upsample=1) as det, fs.Landmarker() as lm:
        for source, target in PAIRS:
            src, tgt = fs.load_image(FACES / source), fs.load_image(FACES / target)
            p = np.asarray(lm.fit(tgt, det.detect(tgt)[0]).landmarks, np.float64)
            tiles = [crop(tgt, p)]
            for v in (0.0, 1.0):
                with fs.Swapper(det, lm, skin_texture=v) as sw, sw.prepare(src) as so:
                    tiles.append(crop(sw.swap(so, tgt), p))
            rows.append(tiles)
    w = 3 * TILE + 2 * GAP
    sheet = Image.new("RGB", (w, len(rows) * TILE + (len(rows) - 1) * GAP), "white")
    for r, tiles in enumerate(rows):
        for c, t in enumerate(tiles):
            sheet.paste(t, (c * (TILE + GAP), r * (TILE + GAP)))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(OUT, optimize=True)
    print(f"wrote {OUT} ({sheet.size[0]}x{sheet.size[1]})")


if __name__ == "__main__":
    main()
