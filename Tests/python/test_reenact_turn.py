"""Reenactment: a driver's head turn (yaw about ±20°) turns the photo's head (issue 12, item 4).

The driver is a two-frame one made of real frames of vr_face3.mp4, where the woman turns her head
from one side to the other with her mouth nearly closed: frame 45 (the neutral, facing ~12° one
way) then frame 3 (~12° the other way), a turn of
about 20° (+23.7° by the yaw below); and the same two frames mirrored
left-right, the same turn the other way. A reenactor (raw tracking: detection on every frame, no
filter, so each push is that frame's own fit) takes the neutral frame, then the turned one; its
outputs are compared with the driver's frames and with the photo.

Ground truth, independent of the library's 3-D model (HeadPose.swift):

- yaw: OpenCV's cv2.solvePnP of six of the binding's 68 landmarks (nose tip 30, chin 8, outer eye
  corners 36 and 45, mouth corners 48 and 54) on the generic head of learnopencv.com's head-pose
  tutorial (its published anthropometric points), a pinhole camera with focal length FOCAL times
  the image width. Two weaknesses, and what is done about them:
  - the focal length: the clips' and the photos' are unknown, and with this head a longer one
    reads the same turn larger: the as-is driver's turn reads +23.7°, +30.4°, +34.0°, +37.5°,
    +42.1° at 1, 1.5, 2, 3, 10 times the width. FOCAL = 1 (a field of view of ~53°, a webcam's
    or a phone's at arm's length) is the one that reads it at about 20° (+23.7°, mirrored
    -22.8°; test_driver_turns_are_turns_of_about_20_degrees keeps it within 15-30°).
  - speech: the mouth corners and the chin move with the mouth, and six points for six unknowns
    leave no spare points to outvote them (vr_face4 frames 54 -> 60, talking with a half-width
    change of only +0.16, read -20°). So the output is read on the same frames as the driver:
    output yaw at the turned frame minus output yaw at the neutral frame, against the driver's
    turned minus neutral frame: both changes carry the same expression change.
  What remains: the generic head fits faces unequally, and its reading is not proportional to
  the turn on every face, so the output/driver ratio also carries how the photo's face fits it
  against how the driver's does. fr_obama1's photo, whose half-width log-ratio (+0.91) is about
  one driver's turn (0.87-0.89) from frontal, reads -33°; turned back through the front its
  change reads 2.05 of the driver's, turned further aside 0.64, where the half-widths read 1.11
  and 1.27.
- half-face widths (model-free): along the eye line, nose tip (30) to the jaw points 2 and 14; the
  log of their ratio changes sign-wise with the turn (the near half widens, the far one narrows);
  output against the photo, against the driver's turned frame against its neutral one.
- background: pixels further than 2.5 face radii from the photo's face stay as they are.
- the mean 3-D face's depths (hand-written, HeadPose.swift) against the clips: when a head turns
  by a small yaw, each point moves sideways by its depth times the angle, so over a clip's frames
  the first principal component of the points' sideways displacements (in the eye-line frame) is
  the depth profile, up to scale. Its correlation with the table's depths is measured per clip.

Goals (the issue's brief): yaw change of the output has the driver's sign and 0.6-1.4 times its
size; the half-width log-ratio moves in the driver's direction by at least half the driver's
change; background mean |diff| below 0.05 levels. And what makes it a head turn rather than an
expression: with head_motion 0 the photo does not turn (yaw and half-width changes at most 0.3 of
the driver's), with head_motion 2 it turns further than with 1 (at least 1.2 times, both
measures). Where a goal is not met: strict xfails with the measured figures. Figures are printed
at the end of the run.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import DATA, FACES, FIGURES, TABLES
from test_reenact import det, landmarks_in, lm, read_video  # noqa: F401  (det, lm: fixtures)

cv2 = pytest.importorskip("cv2")  # opencv-python-headless: the independent pose fit

CLIP = "vr_face3.mp4"
NEUTRAL, TURNED = 45, 3
SIDES = {"as-is": False, "mirrored": True}   # the driver's two frames, or both mirrored left-right
PORTRAITS = ["fr_obama1.jpg", "fr_rose_leslie1.jpg"]
RAW_TRACKING = {"detect_interval": 1, "min_cutoff": 0.0}

TABLE = TABLES.setdefault("reenactment turn figures", [])

# The generic 6-point head (learnopencv.com head-pose tutorial), y up, z towards the viewer,
# flipped here to the camera's y down, z away; and the 68-point indices it stands for.
HEAD6 = np.array([(0, 0, 0), (0, -330, -65), (-225, 170, -135), (225, 170, -135),
                  (-150, -150, -125), (150, -150, -125)], np.float64) * [1, -1, -1]
HEAD6_POINTS = [30, 8, 36, 45, 48, 54]
FOCAL = 1.0  # times the image width (see the module's docstring)


def yaw_degrees(pts, shape) -> float:
    """The head's yaw by cv2.solvePnP of the six points on HEAD6 (see the module's docstring)."""
    h, w = shape[:2]
    f = FOCAL * w
    k = np.array([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]], np.float64)
    ok, rvec, _ = cv2.solvePnP(HEAD6, np.asarray(pts, np.float64)[HEAD6_POINTS], k, None,
                               flags=cv2.SOLVEPNP_ITERATIVE)
    assert ok
    r, _ = cv2.Rodrigues(rvec)
    return float(np.degrees(np.arcsin(-r[2, 0])))


def half_width_log_ratio(pts) -> float:
    """log(nose tip to jaw point 2 / nose tip to jaw point 14), along the eye line."""
    p = np.asarray(pts, np.float64)
    e = (p[45] - p[36]) / np.linalg.norm(p[45] - p[36])
    return float(np.log(abs((p[30] - p[2]) @ e) / abs((p[14] - p[30]) @ e)))


_cache: dict = {}


@pytest.fixture(scope="module")
def frames():
    return read_video(str(DATA / "videos" / CLIP))


def turn_pass(fs, det, lm, frames, portrait, side, head_motion=1.0):
    """The portrait driven by frame NEUTRAL then frame TURNED (both mirrored for the side
    "mirrored"): the figures compared."""
    key = (portrait, side, head_motion)
    if key in _cache:
        return _cache[key]
    photo = cv2.imread(str(FACES / portrait))
    photo = photo[: photo.shape[0] & ~1, : photo.shape[1] & ~1]  # the reenactor's even size
    neutral, turned = frames[NEUTRAL], frames[TURNED]
    if SIDES[side]:
        neutral, turned = (np.ascontiguousarray(f[:, ::-1]) for f in (neutral, turned))
    p_photo = landmarks_in(det, lm, photo)
    p_neutral, p_turned = landmarks_in(det, lm, neutral), landmarks_in(det, lm, turned)
    with fs.Reenactor(photo, det, lm, head_motion=head_motion, **RAW_TRACKING) as r:
        out_neutral = r.push(neutral, 0.0)
        out = r.push(turned, 1 / 30)
    p_out_neutral, p_out = landmarks_in(det, lm, out_neutral), landmarks_in(det, lm, out)
    assert p_out_neutral is not None, f"{portrait}: no face found in the output of the neutral frame"
    assert p_out is not None, f"{portrait}: no face found in the output for the {side} turn"
    # Background: pixels beyond 2.5 face radii from the photo's face.
    centre = p_photo.mean(0)
    radius = float(np.linalg.norm(p_photo - centre, axis=1).max())
    ys, xs = np.mgrid[0:photo.shape[0], 0:photo.shape[1]]
    far = np.hypot(xs - centre[0], ys - centre[1]) > 2.5 * radius
    diff = np.abs(out.astype(np.int16) - photo.astype(np.int16))[far]
    res = {
        "drv_yaw": yaw_degrees(p_turned, turned.shape) - yaw_degrees(p_neutral, neutral.shape),
        # On the same frames as the driver (see the docstring); against the photo printed only.
        "out_yaw": yaw_degrees(p_out, out.shape) - yaw_degrees(p_out_neutral, out_neutral.shape),
        "out_yaw_photo": yaw_degrees(p_out, out.shape) - yaw_degrees(p_photo, photo.shape),
        "drv_half": half_width_log_ratio(p_turned) - half_width_log_ratio(p_neutral),
        "out_half": half_width_log_ratio(p_out) - half_width_log_ratio(p_photo),
        "bg_mean": float(diff.mean()) if diff.size else float("nan"),
        "bg_pixels": int(far.sum()),
        "out": out, "photo": photo,
    }
    TABLE.append(f"{portrait} {side} head_motion {head_motion} (frames {NEUTRAL} -> {TURNED}): yaw change driver "
                 f"{res['drv_yaw']:+.1f}°, output {res['out_yaw']:+.1f}° (ratio "
                 f"{res['out_yaw'] / res['drv_yaw']:.2f}; against the photo {res['out_yaw_photo']:+.1f}°); "
                 f"half-width log-ratio change driver {res['drv_half']:+.3f}, output {res['out_half']:+.3f} "
                 f"(ratio {res['out_half'] / res['drv_half']:.2f}); background mean |diff| "
                 f"{res['bg_mean']:.4f} over {res['bg_pixels']} px")
    _cache[key] = res
    return res


CASES = [pytest.param(p, s, id=f"{p}-{s}") for p in PORTRAITS for s in SIDES]


@pytest.mark.parametrize("portrait,side", CASES)
def test_driver_turns_are_turns_of_about_20_degrees(fs, det, lm, frames, portrait, side):
    """The drivers are what this test says: turns of 15–30° (independent yaw), the half-widths
    moving the same way."""
    res = turn_pass(fs, det, lm, frames, portrait, side)
    assert 15 <= abs(res["drv_yaw"]) <= 30, f"driver yaw change {res['drv_yaw']:+.1f}°"
    assert np.sign(res["drv_half"]) == -np.sign(res["drv_yaw"]), \
        f"yaw {res['drv_yaw']:+.1f}° but half-width log-ratio change {res['drv_half']:+.3f}"


# fr_obama1's photo faces well aside (the six points read -33°): the as-is driver turns it back
# through the front. Measured 2.05 (+48.7° for +23.7°; head_motion 2: 2.62), where the
# half-width measure on the same output reads 1.11: on this face the six points read a turn
# through the front about twice as large (the docstring's "what remains"). The other three:
# 0.64 (fr_obama1 mirrored, just inside; half-widths 1.27; 0.60 by the former 68-point reading),
# 1.31, 1.06.
YAW_MEASURED = {("fr_obama1.jpg", "as-is"): (2.05, "over: the six points read fr_obama1's turn "
                                                    "through the front about twice as large as the "
                                                    "half-widths do, 1.11")}
YAW_CASES = [pytest.param(p, s, id=f"{p}-{s}", marks=[pytest.mark.xfail(strict=True, reason=(
    f"output/driver yaw change measured {YAW_MEASURED[(p, s)][0]:.2f} ({YAW_MEASURED[(p, s)][1]}), "
    "goal 0.6-1.4"))] if (p, s) in YAW_MEASURED else []) for p in PORTRAITS for s in SIDES]


@pytest.mark.parametrize("portrait,side", YAW_CASES)
def test_output_yaw_follows_the_driver(fs, det, lm, frames, portrait, side):
    res = turn_pass(fs, det, lm, frames, portrait, side)
    ratio = res["out_yaw"] / res["drv_yaw"]
    FIGURES[f"reenact turn {portrait} {side}: yaw output/driver"] = \
        f"{res['out_yaw']:+.1f}° / {res['drv_yaw']:+.1f}° = {ratio:.2f}"
    assert 0.6 <= ratio <= 1.4, \
        f"output yaw change {res['out_yaw']:+.1f}° for the driver's {res['drv_yaw']:+.1f}° (ratio {ratio:.2f})"


@pytest.mark.parametrize("portrait,side", CASES)
def test_near_side_widens_far_side_narrows(fs, det, lm, frames, portrait, side):
    res = turn_pass(fs, det, lm, frames, portrait, side)
    share = res["out_half"] / res["drv_half"]
    FIGURES[f"reenact turn {portrait} {side}: half-width log-ratio change output/driver"] = \
        f"{res['out_half']:+.3f} / {res['drv_half']:+.3f} = {share:.2f}"
    assert share >= 0.5, (f"half-width log-ratio change {res['out_half']:+.3f} for the driver's "
                          f"{res['drv_half']:+.3f} ({share:.2f} of it)")


@pytest.mark.parametrize("portrait,side", CASES)
def test_background_stays_still_while_turning(fs, det, lm, frames, portrait, side):
    res = turn_pass(fs, det, lm, frames, portrait, side)
    assert res["bg_pixels"] > 10000
    assert res["bg_mean"] < 0.05, f"background mean |diff| {res['bg_mean']:.4f} levels"


# The two measures, each output's change and the driver's, for the head_motion tests.
MEASURES = {"yaw": ("out_yaw", "drv_yaw"), "half-width": ("out_half", "drv_half")}


def measure_cases(xfails: dict) -> list:
    """(measure, portrait, side) for both measures and the four cases; strict xfails where
    `xfails` gives a reason."""
    return [pytest.param(m, p, s, id=f"{m}-{p}-{s}", marks=[pytest.mark.xfail(
        strict=True, reason=xfails[(m, p, s)])] if (m, p, s) in xfails else [])
        for m in MEASURES for p in PORTRAITS for s in SIDES]


# Measured, output/driver change with head_motion 0: half-widths 0.10-0.18; yaw -0.05 to 0.16 but
# fr_rose_leslie1 as-is, 0.35 (+8.2° for +23.7°), where its half-widths read 0.10: the expression
# the output does carry (the driver's frames 45 -> 3) moves this face's mouth corners and chin in
# a way the generic head takes for a turn, and not the same way mirrored (-0.05).
ZERO_CASES = measure_cases({("yaw", "fr_rose_leslie1.jpg", "as-is"): (
    "yaw change at head_motion 0 measured 0.35 of the driver's (half-widths 0.10): the six points "
    "take the carried expression for a turn; goal at most 0.3")})


@pytest.mark.parametrize("measure,portrait,side", ZERO_CASES)
def test_head_motion_zero_keeps_the_photo_facing_its_way(fs, det, lm, frames, measure, portrait, side):
    """A turn is head motion, not expression: with head_motion 0 the photo does not turn."""
    res = turn_pass(fs, det, lm, frames, portrait, side, head_motion=0.0)
    out, drv = (res[k] for k in MEASURES[measure])
    FIGURES[f"reenact turn {portrait} {side} head_motion 0: {measure} change output/driver"] = \
        f"{out:+.3f} / {drv:+.3f} = {out / drv:.2f}"
    assert abs(out) <= 0.3 * abs(drv), f"{measure} change {out:+.3f} with head_motion 0 for the driver's {drv:+.3f}"


# fr_obama1 already faces ~20° aside: turned further (mirrored) by twice the driver's turn, its
# far side's outline is held back by the fold guard (Reenactor.unfolded, after the turn), and the
# half-width log-ratio saturates: measured 1.18 (0.98 while the guard held the nose and eye
# corners back with the outline; fr_rose_leslie1's as-is turn then 0.84, now 1.28); its yaw does
# grow, 1.47. The log-ratio grows less than the angle (the near half's width saturates): the
# other three 1.28-1.83. Yaw: 1.27-1.52.
GAIN_CASES = measure_cases({("half-width", "fr_obama1.jpg", "mirrored"): (
    "held back by the fold guard: half-width change at head_motion 2 measured 1.18 times "
    "head_motion 1's (yaw 1.47), goal >= 1.2")})


@pytest.mark.parametrize("measure,portrait,side", GAIN_CASES)
def test_head_motion_gain_amplifies_the_turn(fs, det, lm, frames, measure, portrait, side):
    """head_motion 2 (the head-bob gain) turns the photo further than head_motion 1: the turn is
    head motion, scaled with it (a turn carried as expression would not grow)."""
    key = MEASURES[measure][0]
    one = turn_pass(fs, det, lm, frames, portrait, side, head_motion=1.0)[key]
    two = turn_pass(fs, det, lm, frames, portrait, side, head_motion=2.0)[key]
    FIGURES[f"reenact turn {portrait} {side}: {measure} change head_motion 2 / head_motion 1"] = \
        f"{two:+.3f} / {one:+.3f} = {two / one:.2f}"
    assert two / one >= 1.2, f"{measure} change at head_motion 2 is {two / one:.2f} times head_motion 1's"


# The clips' own turns: frames of all five talking clips (every other frame).
DEPTH_CLIPS = ["vr_face1.mp4", "vr_face2.mp4", "vr_face3.mp4", "vr_face4.mp4", "vr_face5.mp4"]
# Left/right mirror of the 68 points (iBUG numbering).
MIRROR = list(range(16, -1, -1)) + list(range(26, 16, -1)) + [27, 28, 29, 30, 35, 34, 33, 32, 31] \
    + [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40] + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55] \
    + [64, 63, 62, 61, 60, 67, 66, 65]


@pytest.mark.parametrize("clip", DEPTH_CLIPS)
def test_mean_face_depths_match_the_clips_turns(det, lm, clip):
    from reenact_model import MEAN_3D  # the library's table, read from its sources
    xs = []
    for frame in read_video(str(DATA / "videos" / clip))[::2]:
        p = landmarks_in(det, lm, frame)
        if p is None:
            continue
        e = p[45] - p[36]
        d = float(np.linalg.norm(e))
        c, s_ = e / d
        xs.append(((p - (p[36] + p[45]) / 2) @ np.array([c, s_])) / d)  # along the eye line
    x = np.array(xs)
    _, _, vt = np.linalg.svd(x - np.median(x, 0), full_matrices=False)
    profile = vt[0] * np.sign(vt[0][30] - vt[0][36])       # nose tip forward
    # Left and right averaged: a clip turns mostly one way, and the far side's outline (a
    # silhouette, not a fixed point of the skin) moves less than the near side's.
    profile = (profile + profile[MIRROR]) / 2
    r = float(np.corrcoef(profile, -MEAN_3D[:, 2])[0, 1])    # the table's "forward"
    FIGURES[f"mean 3-D face depth vs {clip} turn profile: r"] = f"{r:.2f} over {len(xs)} frames"
    # Measured 0.84–0.97 (the clips with the widest turns the highest).
    assert r >= 0.8, f"{clip}: depth table vs the clip's turn profile r = {r:.2f}"
