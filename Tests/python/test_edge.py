"""The colour step a swap adds at the face's edge (edge_measure.py), measured independently.

- The measure itself against ground truth: a target whose face is darkened inside the edge
  polygon by a known Lab step must read that step in its worst sector (a copy of the target: 0).
- Swaps whose seam is invisible by eye stay below a just-noticeable difference (2.3 ΔE) in every
  sector: the sample pair the README shows, and model→city.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from conftest import FACES, FIGURES, REPO
from edge_measure import edge_polygon, edge_step, srgb_to_lab

JND = 2.3


def rgb(img_bgr: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(img_bgr[..., :3][..., ::-1])


def test_measure_reads_a_known_step(fs, hog_up1, landmarker):
    target = rgb(fs.load_image(FACES / "sn_city_portrait.jpg"))
    face = landmarker.fit(target[..., ::-1].copy(), hog_up1.detect(target[..., ::-1].copy())[0])
    pts = face.landmarks.astype(np.float64)
    assert edge_step(target, target.copy(), pts)["worst"] == 0.0
    hull, _, _ = edge_polygon(pts)
    inside = Image.new("L", (target.shape[1], target.shape[0]), 0)
    ImageDraw.Draw(inside).polygon([(float(x), float(y)) for x, y in hull], fill=255)
    inside = np.asarray(inside) > 0
    darker = target.copy()
    darker[inside] = (darker[inside] * 0.85).astype(np.uint8)
    m = edge_step(target, darker, pts)
    # the true step: the mean Lab change of the inner ring's pixels is what the darkening did
    lab_t, lab_d = srgb_to_lab(target), srgb_to_lab(darker)
    true_step = float(np.linalg.norm((lab_t[inside] - lab_d[inside]).mean(0)))
    FIGURES["edge measure, 15 % darker face"] = f"worst sector {m['worst']:.2f} ΔE, mean {m['mean']:.2f}; true mean step {true_step:.2f}"
    # where the target's own edge step is small, the added step is the darkening itself; elsewhere
    # (hair, shadow across the edge) darkening can even shrink the step: the worst sector reads it
    assert abs(m["worst"] - true_step) < 0.25 * true_step, (m["worst"], true_step)
    assert m["worst"] > JND


@pytest.mark.parametrize("source,target", [(REPO / "samples" / "source.jpg", REPO / "samples" / "target.jpg"),
                                           (FACES / "sn_model_face.jpg", FACES / "sn_city_portrait.jpg")],
                         ids=["sample pair", "model→city"])
def test_seam_below_a_just_noticeable_difference(fs, hog_up1, landmarker, source, target):
    src, tgt = fs.load_image(source), fs.load_image(target)
    with fs.Swapper(hog_up1, landmarker) as sw, sw.prepare(src) as so:
        out = sw.swap(so, tgt)
    faces = [landmarker.fit(tgt, f) for f in hog_up1.detect(tgt)]
    assert len(faces) == 1
    m = edge_step(rgb(tgt), rgb(out), faces[0].landmarks.astype(np.float64))
    FIGURES[f"edge step {source.stem}→{target.stem}"] = (
        f"worst of 16 sectors {m['worst']:.2f} ΔE, mean {m['mean']:.2f} (just noticeable: {JND})")
    assert m["worst"] < JND
