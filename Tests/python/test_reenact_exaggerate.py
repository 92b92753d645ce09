"""Reenactment: the exaggerated look (issue 12, item 2).

`expression` above 1 (up to 2) exaggerates the driver's expression without folding the mesh;
`head_motion` above 1 (up to 2) is a head-bob gain. The real library through the Python binding,
one talking clip (its first FRAMES frames), a held-out portrait; landmarks fitted afresh (the
binding's Detector + Landmarker, raw) on every driver frame and every output frame, measured as
test_reenact_expression.py measures them (per face, over its eye distance, along its vertical).

- mouth: the least-squares slope of the output's mouth opening on the driver's at expression 1.8
  over the slope at 1.0: at least GAIN_MIN (1.8 would be the exact scaling);
- no fold: on every output frame at expression 1.8 and 2, the fresh fit's inner lips (61/67,
  62/66, 63/65) and eyelids keep their order (gap above -CROSS of the eye distance), and the
  inner mouth's points keep their left-to-right order along the face's horizontal;
- head-bob gain: the slope of the output's roll (the eye line's angle) and of its eye-centre
  translation on the driver's, at head_motion 2 over head_motion 1: in HEAD_RATIO.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import FIGURES
from test_reenact import det, landmarks_in, lm, read_video  # noqa: F401  (det, lm: fixtures)
from test_reenact_expression import CLIPS, VIDEOS, compare, frame_axes, load_portrait, measures

CLIP = "vr_face4.mp4"  # talking, expressive, some head roll and sway
PORTRAIT = "fr_rose_leslie1.jpg"  # held out; its mouth is read well by the re-fit (r 0.96 at 1)
FRAMES = 60
GAIN_MIN = 1.4
R_DROP = 0.1
CROSS = 0.02  # a re-fit of closed lips reads them up to ~1 % of the eye distance crossed
HEAD_RATIO = (1.7, 2.3)

_fits: dict = {}


def fits(fs, det, lm, options):
    """Fresh fits of the driver's first FRAMES frames (options None), or of the outputs of a
    Reenactor with those options on them (None where no face is found)."""
    key = None if options is None else tuple(sorted(options.items()))
    if key not in _fits:
        frames = read_video(str(VIDEOS / CLIP))[:FRAMES]
        if options is None:
            _fits[key] = [landmarks_in(det, lm, f) for f in frames]
        else:
            with fs.Reenactor(load_portrait(fs, PORTRAIT), det, lm, **options) as r:
                _fits[key] = [landmarks_in(det, lm, r.push(f, i / CLIPS[CLIP])) for i, f in enumerate(frames)]
    return _fits[key]


def head(pts):
    """Roll (radians: the eye line's angle) and the eye-corner midpoints' centre x, y in pixels
    (the ratio of two slopes cancels the driver-to-photo scale)."""
    centre, _, up = frame_axes(pts)
    return {"roll": float(np.arctan2(up[0], -up[1])), "x": float(centre[0]), "y": float(centre[1])}


def slopes(driver, output, photo, measure):
    """Per series of measure(pts) (a dict): compare() of the output's change (from the photo's)
    against the driver's (from its first face), over the frames where both have a face."""
    both = [(d, o) for d, o in zip(driver, output) if d is not None and o is not None]
    assert len(both) >= 0.9 * len(driver), f"only {len(both)} of {len(driver)} frames with both faces"
    m0 = measure(next(d for d in driver if d is not None))
    p0 = measure(photo)
    return {k: compare([measure(d)[k] - m0[k] for d, _ in both], [measure(o)[k] - p0[k] for _, o in both])
            for k in m0}


@pytest.fixture(scope="module")
def photo_pts(fs, det, lm):
    pts = landmarks_in(det, lm, load_portrait(fs, PORTRAIT))
    assert pts is not None, PORTRAIT
    return pts


def test_expression_above_one_exaggerates_the_mouth(fs, det, lm, photo_pts):
    drv = fits(fs, det, lm, None)
    s1 = slopes(drv, fits(fs, det, lm, {"expression": 1.0}), photo_pts, measures)["mouth"]
    s18 = slopes(drv, fits(fs, det, lm, {"expression": 1.8}), photo_pts, measures)["mouth"]
    ratio = s18["amp"] / s1["amp"]
    FIGURES[f"reenact exaggerate {CLIP} -> {PORTRAIT}: mouth amplitude at expression 1 / 1.8 (r)"] = (
        f"{s1['amp']:.2f} ({s1['r']:.2f}) / {s18['amp']:.2f} ({s18['r']:.2f}): x{ratio:.2f}")
    # The exaggerated mouth still follows the driver's: its r no more than R_DROP below r at 1
    # (a bound set after measuring: 0.94 at 1, 0.91 at 1.8; the re-fit reads the stretched,
    # filled mouth less exactly).
    assert s18["r"] >= s1["r"] - R_DROP, f"mouth r {s18['r']:.3f} at expression 1.8, {s1['r']:.3f} at 1"
    assert ratio >= GAIN_MIN, f"mouth amplitude {s18['amp']:.3f} at 1.8 vs {s1['amp']:.3f} at 1: x{ratio:.2f}"


# The inner mouth's points left to right along the face's horizontal: corner, upper lip, corner.
MOUTH_ORDER = [60, 61, 62, 63, 64]


@pytest.mark.parametrize("expression", [1.8, 2.0])
def test_exaggerated_mesh_does_not_fold(fs, det, lm, expression):
    worst = {"lips": np.inf, "lids": np.inf, "order": np.inf}
    for pts in fits(fs, det, lm, {"expression": expression}):
        if pts is None:
            continue
        _, dist, up = frame_axes(pts)
        right = np.array([-up[1], up[0]])  # up (0, -1) -> right (1, 0)

        def gap(pairs):
            return min(float((pts[a] - pts[b]) @ up) for a, b in pairs) / dist

        worst["lips"] = min(worst["lips"], gap([(61, 67), (62, 66), (63, 65)]))
        worst["lids"] = min(worst["lids"], gap([(37, 41), (38, 40), (43, 47), (44, 46)]))
        xs = pts[MOUTH_ORDER] @ right
        worst["order"] = min(worst["order"], float(np.diff(xs).min()) / dist)
    FIGURES[f"reenact exaggerate expression {expression}: smallest lip gap / lid gap / mouth step "
            "(eye distances)"] = ", ".join(f"{v:.3f}" for v in worst.values())
    assert worst["lips"] >= -CROSS, f"inner lips crossed by {-worst['lips']:.3f} of the eye distance"
    assert worst["lids"] >= -CROSS, f"eyelids crossed by {-worst['lids']:.3f} of the eye distance"
    assert worst["order"] > 0, f"inner mouth points out of order by {-worst['order']:.3f} of the eye distance"


def test_head_motion_two_doubles_the_head_bob(fs, det, lm, photo_pts):
    drv = fits(fs, det, lm, None)
    g1 = slopes(drv, fits(fs, det, lm, {"head_motion": 1.0}), photo_pts, head)
    g2 = slopes(drv, fits(fs, det, lm, {"head_motion": 2.0}), photo_pts, head)
    # The driver's own spread, to show the motion measured is more than fit noise.
    spread = {k: float(np.std([head(d)[k] for d in drv if d is not None])) for k in ("roll", "x", "y")}
    ratios = {k: g2[k]["amp"] / g1[k]["amp"] for k in ("roll", "x", "y")}
    FIGURES[f"reenact exaggerate {CLIP}: head_motion 2 / 1 slope ratio (roll, x, y); driver std"] = (
        ", ".join(f"{ratios[k]:.2f}" for k in ratios)
        + f"; roll {np.degrees(spread['roll']):.2f} deg, x {spread['x']:.1f} px, y {spread['y']:.1f} px")
    lo, hi = HEAD_RATIO
    assert lo <= ratios["roll"] <= hi, f"roll: x{ratios['roll']:.2f} ({g1['roll']} vs {g2['roll']})"
    # The translation: the axis along which the driver moves most.
    k = max(("x", "y"), key=lambda a: spread[a])
    assert lo <= ratios[k] <= hi, f"{k}: x{ratios[k]:.2f} ({g1[k]} vs {g2[k]})"
