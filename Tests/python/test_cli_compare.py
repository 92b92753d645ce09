"""`faceswap-cli swap --compare`: besides source | target | result, one picture per face, target |
result cropped to the face's box, at 2x when the face is small (issue 16 item 5). Checked against
the images themselves: the left half is the target's pixels, the right half the result's, at the
face's place (the boxes come from the library's own detector, run here independently)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np

from conftest import FACES

REPO = Path(__file__).resolve().parents[2]
CLI = Path(os.environ.get("FACESWAP_CLI") or REPO / ".build" / "release" / "faceswap-cli")


def _crop_box(face, shape):
    x, y, w, h = face.box
    x0, y0 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
    x1, y1 = min(shape[1], int(np.ceil(x + w))), min(shape[0], int(np.ceil(y + h)))
    return x0, y0, x1, y1


def test_compare_writes_a_crop_per_face(fs, pil, tmp_path):
    # Two faces of about 75 px: shown at 2x.
    big = pil.open(FACES / "fr_two_people_obama_biden.jpg").convert("RGB")
    target = tmp_path / "two.png"
    big.resize((big.width // 2, big.height // 2), pil.BOX).save(target)
    out, cmp_ = tmp_path / "out.png", tmp_path / "cmp.png"
    r = subprocess.run([str(CLI), "swap", "--source", str(REPO / "samples" / "source.jpg"), "--target", str(target),
                        "-o", str(out), "--compare", str(cmp_)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["cmp-face1.png", "cmp-face2.png", "cmp.png", "out.png", "two.png"], written
    tgt, res = fs.load_image(target), fs.load_image(out)
    with fs.Detector() as det:
        faces = det.detect(tgt)
    assert len(faces) == 2
    for k, face in enumerate(faces):  # largest first, as the library orders them
        x0, y0, x1, y1 = _crop_box(face, tgt.shape)
        w, h = x1 - x0, y1 - y0
        crop = fs.load_image(tmp_path / f"cmp-face{k + 1}.png")
        scale = 2 if max(w, h) < 256 else 1
        print(f"face {k + 1}: box {w}x{h}, crop {crop.shape[1]}x{crop.shape[0]} (x{scale})")
        assert crop.shape[0] == h * scale
        half = round(w * scale)
        assert crop.shape[1] == 2 * half + 8
        for part, img in ((crop[:, :half], tgt), (crop[:, half + 8:], res)):
            want = np.asarray(pil.fromarray(np.ascontiguousarray(img[y0:y1, x0:x1, ::-1]))
                              .resize((half, h * scale), pil.BILINEAR))[:, :, ::-1]
            diff = float(np.abs(part.astype(np.int16) - want.astype(np.int16)).mean())
            assert diff < 3, f"face {k + 1}: the crop differs from the image's own pixels by {diff:.2f}"
        # the middle of the box is the face itself (the box has the detector's margin around it)
        mid = (slice(crop.shape[0] // 4, crop.shape[0] * 3 // 4), slice(half // 4, half * 3 // 4))
        changed = float(np.abs(crop[:, :half][mid].astype(np.int16) - crop[:, half + 8:][mid].astype(np.int16)).mean())
        assert changed > 5, f"the result half should show the swapped face (mean |diff| {changed:.1f} in its middle)"
