"""The colour step a swap adds at the face's edge (edge_measure.py), measured independently.

- The measure itself against ground truth: a target whose face is darkened inside the edge
  polygon by a known Lab step must read that step in its worst sector (a copy of the target: 0).
- Swaps whose seam is invisible by eye stay below a just-noticeable difference (2.3 ΔE) in every
  sector: the sample pair the README shows, and model→city.
- The seam's colour and light match (fs_swap_options.edge_color, off by default) on pairs not
  used to tune it (skin tones, lighting, ages) and every detected face of the group photos:
  issue 16's goal (worst sector <= 4 ΔE, mean <= 1.5) per face, the worst sector lowered where it
  was over the goal, and the identity (ResNet distance nearer the source photo than the target's
  face) kept; the per-face figures with the match off and on are printed.
- fs_eval_swap's edge_step_worst / edge_step_mean (the library's own implementation) equal this
  file's numpy measure on the same landmarks.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from conftest import FACES, FIGURES, REPO
from edge_measure import edge_polygon, edge_step, srgb_to_lab
from swap_measure import match_faces

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


# ------------------------------------------------------------------------------------------------
# The seam's colour and light match (fs_swap_options.edge_color), on pairs not used to tune it:
# different skin tones, lighting and ages, and every detected face of the group photos.
# Goal (issue 16): worst sector <= 4 ΔE and mean <= 1.5 on every face.
# ------------------------------------------------------------------------------------------------

GOAL_WORST, GOAL_MEAN = 4.0, 1.5

HELD_OUT = [  # (id, source, target, detector upsample)
    ("sagan→baby", "fb_carl_sagan2.jpg", "sn_waaah.jpg", 1),
    ("elon→threequarter", "sn_elon_musk_2015.jpg", "rcv_threequarter_face.jpg", 1),
    ("obama→kit_with_rose", "fr_obama1.jpg", "fr_kit_harington_with_rose_leslie.jpg", 1),
    ("model→laurie", "sn_model_face.jpg", "rcv_one_face_cmyk.jpg", 1),
    ("city→alex", "sn_city_portrait.jpg", "fr_alex_lacamoire2.jpg", 1),
    ("adele→classroom", "sn_adele_2016.jpg", "sn_classroom_in_tanzania.jpg", 2),  # 4 faces need upsample 2
    ("biden→bald_guys", "fr_biden2.jpg", "dlib_bald_guys_collage.jpg", 1),
    ("rose→two_people", "fr_rose_leslie1.jpg", "fr_two_people_obama_biden.jpg", 1),
]
FACE_COUNT = {"obama→kit_with_rose": 2, "adele→classroom": 4, "biden→bald_guys": 24, "rose→two_people": 2}

# Faces that miss the goal with the match on (edge_color 1), measured: (pair, face, worst, mean with
# the match; worst, mean without). Strict: a face that starts meeting the goal is reported. Looked
# at face by face (target | result crops with the worst sector drawn), the 19 faces that missed
# before the match kept what crosses the seam: a beard or stubble on the jaw, or a headscarf at
# the temple, cut by the seam (model→laurie, city→alex, adele→classroom 0 and 1, biden→bald_guys
# 1, 2, 3, 5, 11: real and visible, the beard stopped at a smooth band); the source's brows or, on a turned
# face, its eye inside the measure's inner ring at the top (sagan→baby, obama→kit_with_rose 1,
# elon→threequarter, biden→bald_guys 15, 16, 22: a feature, not skin, and the source's, so the
# swap should not take the target's there); side light on the cheek (biden→bald_guys 7, 14, 17,
# 20). edge_color now keeps the occluders within a band at the seam (Occlusion.remove's `seam`,
# never the features): 19 -> 14 misses (model→laurie, adele→classroom 1, biden→bald_guys 2, 5,
# 11 now pass; city→alex 10.50 -> 4.02, adele→classroom 0 7.04 -> 4.02, biden→bald_guys 3
# 4.99 -> 4.14). biden→bald_guys 1's stubble is too near its skin in colour for the skin model.
# Kept at the seam, the target's stubble also moves the identity (biden→bald_guys 13: see
# IDENTITY_XFAIL); a deeper band keeps more and moves it further (0.06 of the face size: 12
# misses, one face's identity moved 0.124). A wider colour band or a sharper field lowers the
# figures further but moves the identity more (city→alex, biden→bald_guys 13).
# The 14 left, looked at again (crops; the worst sector's mean Lab, inner ring, target vs result):
# the source's brows, or on a turned face its far eye, in the inner ring at the top (sagan→baby,
# elon→threequarter, obama→kit_with_rose 1, biden→bald_guys 16: result L 7-9 darker; 15, 22: the
# far eye); a shadow darkening the target's jaw or cheek towards its edge that the field carried
# only part way (biden→bald_guys 3, 7, 14, 17, and 1 under stubble: result L 5-11 lighter); a
# beard or headscarf at the seam (city→alex, adele→classroom 0); a turned face's temple against
# a white background (biden→bald_guys 20). The shadows: the field also sampled the difference
# deeper than its band, over the features, and averaged it into the seam; sampled within the band
# only (colour.cpp): 14 -> 10 misses (city→alex 4.02 -> 3.92, biden→bald_guys 3 4.14 -> 3.98, 7
# 4.69 -> 3.63, 14 4.85 -> 3.48 now pass; 17 11.23 -> 8.52, 1 8.39 -> 7.19, obama→kit_with_rose 1
# 8.72 -> 7.66, elon→threequarter 7.28 -> 6.50), the largest identity shift 0.112 -> 0.110.
# city→alex, biden→bald_guys 3 and adele→classroom 0 (4.004) sit within 0.1 of the goal.
# Carrying the seam's own difference in by a membrane (colour.cpp, fsx_color_edge's note) lowers
# the figures further but moves some face's identity past MAX_IDENTITY_SHIFT in every variant.
# The 10 left, looked at again (crops with the sectors drawn; per sector the rings' mean Lab, target
# vs result): the worst sector is at the brows or the temple on 8 (sagan→baby, elon→threequarter,
# obama→kit_with_rose 1, adele→classroom 0, biden→bald_guys 16, 20: the source's brows, eye
# sockets or temple, result L 4-9 darker; 15, 22: the far eye of a turned face, lighter), at the
# jaw in shadow on 2 (biden→bald_guys 1, 17: result L 7-8 lighter). Both sit deeper than half the
# band, where the field's weight fell off; the lightness now keeps full weight to 3/4 of the band
# (the colour to 1/2, colour.cpp): the worst sector's mean over the 36 faces 3.70 -> 3.23 ΔE,
# still 10 over the goal (sagan→baby 6.32 -> 4.65, biden→bald_guys 1 7.19 -> 5.41, 15 5.61 -> 4.31,
# 16 8.30 -> 6.19, 17 8.52 -> 5.78, obama→kit_with_rose 1 7.66 -> 7.19; elon→threequarter 6.50 ->
# 6.67, adele→classroom 0 4.00 -> 4.02, biden→bald_guys 20 5.91 -> 6.00), the largest identity
# shift 0.111 -> 0.116 (biden→bald_guys 21). The variants tried are in fsx_color_edge's note.
# (Figures of 0.20.0, whose small faces are drawn from the source's pyramid.)
_MISSED = [
    ("sagan→baby", 0, 4.65, -0.10, 12.36, 0.69), ("elon→threequarter", 0, 6.74, 0.11, 8.52, -0.05),
    ("obama→kit_with_rose", 1, 7.37, -0.06, 13.82, -0.74), ("adele→classroom", 0, 4.02, -0.76, 16.28, -4.76),
    ("biden→bald_guys", 1, 5.41, -0.42, 50.97, 7.76), ("biden→bald_guys", 15, 4.28, -0.09, 18.52, 1.10),
    ("biden→bald_guys", 16, 6.31, -1.06, 27.66, 3.41), ("biden→bald_guys", 17, 5.80, 0.14, 36.52, 11.97),
    ("biden→bald_guys", 20, 6.03, -0.31, 17.14, 2.08), ("biden→bald_guys", 22, 9.24, 0.08, 26.47, 6.58),
]
EDGE_XFAIL = {(n, i): f"worst sector {w:.2f} ΔE, mean {m:.2f} with the match (goal {GOAL_WORST} / {GOAL_MEAN}); "
                      f"without it {w0:.2f} / {m0:.2f}" for n, i, w, m, w0, m0 in _MISSED}

# Faces the match moves from nearer the source photo to nearer the target's own face (ResNet
# distances, match on; off): why edge_color is off by default.
# How far edge_color 1 may move a face's distance to the source photo (the reason it is off by
# default): measured over the 36 held-out faces, 0.123 at most (obama→kit_with_rose 1), 0.112
# (biden→bald_guys 21), the rest <= 0.102; the bound leaves 0.004 for other machines' BLAS.
# (Before 0.20.0 drew small faces from the source's pyramid: 0.116, 0.114 and 0.108, bound 0.12.
# The pyramid moved obama→kit_with_rose 1's distance to the source with the match 0.656 -> 0.665
# and left it without the match at 0.542; over the 36 faces the worst sector's mean 3.227 -> 3.243 ΔE.)
MAX_IDENTITY_SHIFT = 0.127

IDENTITY_XFAIL = {
    ("adele→classroom", 0): "d(result, source) 0.694 >= d(result, target) 0.581 with the match; 0.646 < 0.666 without",
    ("adele→classroom", 1): "d(result, source) 0.675 >= d(result, target) 0.641 with the match; 0.615 < 0.680 without",
    ("rose→two_people", 1): "d(result, source) 0.738 >= d(result, target) 0.706 with the match; 0.662 < 0.726 without",
    ("biden→bald_guys", 13): "d(result, source) 0.571 >= d(result, target) 0.509 with the match; 0.483 < 0.610 without",
}

_EDGE: dict = {}


def swapped(fs, landmarker, recognizer, name):
    """Per face of the target: the edge figures with edge_color 0 and 1, and the identity
    distances of the result's face (edge_color 1) to the source photo and to the target's face."""
    if name not in _EDGE:
        _, s, t, up = next(p for p in HELD_OUT if p[0] == name)
        src, tgt = fs.load_image(FACES / s), fs.load_image(FACES / t)
        with fs.Detector(upsample=up) as det:
            faces = [landmarker.fit(tgt, f) for f in det.detect(tgt)]
            out = {}
            for v in (0.0, 1.0):
                with fs.Swapper(det, landmarker, edge_color=v) as sw, sw.prepare(src) as so:
                    out[v] = sw.swap(so, tgt)
            src_emb = recognizer.embed(src, landmarker.fit(src, det.detect(src)[0]))
            found = {v: [landmarker.fit(out[v], f) for f in det.detect(out[v])] for v in out}
        rows = []
        for i, face in enumerate(faces):
            row = {v: edge_step(rgb(tgt), rgb(out[v]), face.landmarks.astype(np.float64)) for v in out}
            for v in out:
                match = match_faces(faces, found[v])[i]
                if match is not None:
                    emb = recognizer.embed(out[v], match)
                    row[v]["to_source"] = fs.embedding_distance(emb, src_emb)
                    row[v]["to_target"] = fs.embedding_distance(emb, recognizer.embed(tgt, face))
            rows.append(row)
        _EDGE[name] = rows

        def ident(r):
            return f"d(src) {r['to_source']:.3f} d(tgt) {r['to_target']:.3f}" if "to_source" in r else "not re-detected"
        FIGURES[f"edge match {name} (edge_color 0 -> 1)"] = "; ".join(
            f"face {i}: worst {r[0.0]['worst']:.2f}->{r[1.0]['worst']:.2f}, mean {r[0.0]['mean']:.2f}->{r[1.0]['mean']:.2f}, "
            f"{ident(r[0.0])} -> {ident(r[1.0])}" for i, r in enumerate(rows))
    return _EDGE[name]


def edge_cases(xfails=None):
    out = []
    for name, _, _, _ in HELD_OUT:
        for i in range(FACE_COUNT.get(name, 1)):
            reason = (xfails or {}).get((name, i))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(name, i, marks=marks, id=f"{name} face {i}"))
    return out


@pytest.mark.sweep
@pytest.mark.parametrize("name,face", edge_cases(EDGE_XFAIL))
def test_edge_colour_goal(fs, landmarker, recognizer, name, face):
    """Issue 16's goal on every face: worst sector <= 4 ΔE and mean <= 1.5 with the match on."""
    rows = swapped(fs, landmarker, recognizer, name)
    assert len(rows) == FACE_COUNT.get(name, 1)
    on = rows[face][1.0]
    assert on["worst"] <= GOAL_WORST and on["mean"] <= GOAL_MEAN, (
        f"{name} face {face}: worst sector {on['worst']:.2f} ΔE (goal {GOAL_WORST}), mean {on['mean']:.2f} "
        f"(goal {GOAL_MEAN}); without the match {rows[face][0.0]['worst']:.2f} / {rows[face][0.0]['mean']:.2f}")


@pytest.mark.sweep
@pytest.mark.parametrize("name,face", edge_cases())
def test_edge_colour_lowers_the_worst_sector(fs, landmarker, recognizer, name, face):
    """The match makes the worst sector no worse on any face, and lower where it was over the goal."""
    rows = swapped(fs, landmarker, recognizer, name)
    off, on = rows[face][0.0]["worst"], rows[face][1.0]["worst"]
    if off > GOAL_WORST:
        assert on < off, f"{name} face {face}: worst sector {off:.2f} -> {on:.2f} ΔE"
    else:
        assert on <= max(off, GOAL_WORST), f"{name} face {face}: worst sector {off:.2f} -> {on:.2f} ΔE"


@pytest.mark.sweep
@pytest.mark.parametrize("name,face", edge_cases(IDENTITY_XFAIL))
def test_edge_colour_keeps_the_identity(fs, landmarker, recognizer, name, face):
    """With the match on, the result's face is still nearer the source photo than the target's
    own face wherever it was so without it (the band at the edge must not carry the target's
    identity in), and on every face its distance to the source moves by at most
    MAX_IDENTITY_SHIFT."""
    rows = swapped(fs, landmarker, recognizer, name)
    off, on = rows[face][0.0], rows[face][1.0]
    assert "to_source" in off and "to_source" in on, f"{name} face {face}: not re-detected ({off}, {on})"
    if off["to_source"] < off["to_target"]:
        assert on["to_source"] < on["to_target"], (
            f"{name} face {face}: d(result, source) {on['to_source']:.3f} >= d(result, target) "
            f"{on['to_target']:.3f} (without the match {off['to_source']:.3f} / {off['to_target']:.3f})")
    # Every face, including one the swap leaves nearer the target even without the match: the
    # match moves the distance to the source by at most MAX_IDENTITY_SHIFT.
    assert on["to_source"] - off["to_source"] <= MAX_IDENTITY_SHIFT, (
        f"{name} face {face}: d(result, source) {off['to_source']:.3f} -> {on['to_source']:.3f}")


@pytest.mark.parametrize("source,target", [("sn_model_face.jpg", "sn_city_portrait.jpg"),
                                           ("fr_kit_harington3.jpg", "sn_laos.jpg"),
                                           ("fr_obama1.jpg", "sn_woman_portrait.jpg")],
                         ids=["model→city", "kit→laos (2 faces)", "obama→woman"])
def test_eval_swap_edge_step_equals_edge_measure(fs, hog_up1, landmarker, source, target):
    """fs_eval_swap's edge_step_worst / edge_step_mean (the library's own implementation, in
    the C++ shim) against edge_measure.py (numpy) on the same landmarks: the worst sector of any
    face and the mean over every face's sectors."""
    src, tgt = fs.load_image(FACES / source), fs.load_image(FACES / target)
    with fs.Swapper(hog_up1, landmarker, edge_color=0) as sw, sw.prepare(src) as so:
        out = sw.swap(so, tgt)
        ev = sw.evaluate(src, tgt, out)
    sectors = np.concatenate([edge_step(rgb(tgt), rgb(out), f.landmarks.astype(np.float64))["sectors"]
                              for f in (landmarker.fit(tgt, d) for d in hog_up1.detect(tgt))])
    FIGURES[f"fs_eval_swap edge step {source}→{target}"] = (
        f"worst {ev['edge_step_worst']:.4f} (numpy {np.nanmax(sectors):.4f}), "
        f"mean {ev['edge_step_mean']:.4f} (numpy {np.nanmean(sectors):.4f})")
    assert ev["edge_step_worst"] == pytest.approx(float(np.nanmax(sectors)), abs=1e-6)
    assert ev["edge_step_mean"] == pytest.approx(float(np.nanmean(sectors)), abs=1e-6)
