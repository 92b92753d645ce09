"""Reenactment: a driver's head turn (yaw about ±20°) turns the photo's head (issue 12, item 4).

No clip in the data turns from frontal to a known side on its own, so the drivers are two-frame
ones made of real frames of vr_face4.mp4, where the woman turns her head while talking. Measured
with the independent yaw below (every third frame): frame 54 is near frontal (yaw ~2°), frame 60
turned one way (~-18°), frame 192 the other (~+23°). A reenactor (raw tracking: detection on
every frame, no filter, so each push is that frame's own fit) takes frame 54 as its neutral, then
one turned frame; its output is compared with the photo.

Ground truth, independent of the library's 3-D model (HeadPose.swift):

- yaw: OpenCV's cv2.solvePnP on six of the binding's landmarks (nose tip, chin, outer eye corners,
  mouth corners) against the generic 6-point head model popularised by learnopencv.com's head-pose
  tutorial (nose tip at the origin, chin 330 below, eye corners ±225 across and 170 up, mouth
  corners ±150 across and 150 down, depths 65–135 behind), a pinhole camera with focal length the
  image width. Its absolute yaw is biased per face (a frontal photo can read 5–15°), so only
  changes are compared: output yaw − photo yaw against driver's turned yaw − neutral yaw.
- half-face widths: along the eye line, nose tip (30) to the jaw points 2 and 14; the log of their
  ratio changes sign-wise with the turn (the near half widens, the far one narrows).
- background: pixels further than 2.5 face radii from the photo's face stay as they are.
- the mean 3-D face's depths (hand-written, HeadPose.swift) against the clips: when a head turns
  by a small yaw, each point moves sideways by its depth times the angle, so over a clip's frames
  the first principal component of the points' sideways displacements (in the eye-line frame) is
  the depth profile, up to scale. Its correlation with the table's depths is measured per clip.

Goals (the issue's brief): yaw change of the output has the driver's sign and 0.6–1.4 times its
size (not met: strict xfails with the measured figures); the half-width log-ratio moves in the
driver's direction by at least half the driver's change; background mean |diff| below 0.05
levels. And what makes it a head turn rather than an expression: with head_motion 0 the photo
does not turn (half-width change at most 0.3 of the driver's), with head_motion 2 it turns
further than with 1. Figures are printed at the end of the run.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import DATA, FACES, FIGURES, TABLES
from test_reenact import det, landmarks_in, lm, read_video  # noqa: F401  (det, lm: fixtures)

cv2 = pytest.importorskip("cv2")  # opencv-python-headless: the independent pose fit

CLIP = "vr_face4.mp4"
NEUTRAL = 54
TURNED = {"left": 60, "right": 192}   # the driver's turns, frames of CLIP
PORTRAITS = ["fr_obama1.jpg", "fr_rose_leslie1.jpg"]
RAW_TRACKING = {"detect_interval": 1, "min_cutoff": 0.0}

TABLE = TABLES.setdefault("reenactment turn figures", [])

# The generic 6-point head (learnopencv.com head-pose tutorial), y up, z towards the viewer,
# flipped here to the camera's y down, z away; and the 68-point indices it stands for.
HEAD6 = np.array([(0, 0, 0), (0, -330, -65), (-225, 170, -135), (225, 170, -135),
                  (-150, -150, -125), (150, -150, -125)], np.float64) * [1, -1, -1]
HEAD6_POINTS = [30, 8, 36, 45, 48, 54]


def yaw_degrees(pts, shape) -> float:
    """The head's yaw by cv2.solvePnP (see the module's docstring), degrees."""
    h, w = shape[:2]
    k = np.array([[w, 0, w / 2], [0, w, h / 2], [0, 0, 1]], np.float64)
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
    """The portrait driven by frame NEUTRAL then frame TURNED[side]: the figures compared."""
    key = (portrait, side, head_motion)
    if key in _cache:
        return _cache[key]
    photo = cv2.imread(str(FACES / portrait))
    photo = photo[: photo.shape[0] & ~1, : photo.shape[1] & ~1]  # the reenactor's even size
    neutral, turned = frames[NEUTRAL], frames[TURNED[side]]
    p_photo = landmarks_in(det, lm, photo)
    p_neutral, p_turned = landmarks_in(det, lm, neutral), landmarks_in(det, lm, turned)
    with fs.Reenactor(photo, det, lm, head_motion=head_motion, **RAW_TRACKING) as r:
        r.push(neutral, 0.0)
        out = r.push(turned, 1 / 30)
    p_out = landmarks_in(det, lm, out)
    assert p_out is not None, f"{portrait}: no face found in the output for the {side} turn"
    # Background: pixels beyond 2.5 face radii from the photo's face.
    centre = p_photo.mean(0)
    radius = float(np.linalg.norm(p_photo - centre, axis=1).max())
    ys, xs = np.mgrid[0:photo.shape[0], 0:photo.shape[1]]
    far = np.hypot(xs - centre[0], ys - centre[1]) > 2.5 * radius
    diff = np.abs(out.astype(np.int16) - photo.astype(np.int16))[far]
    res = {
        "drv_yaw": yaw_degrees(p_turned, turned.shape) - yaw_degrees(p_neutral, neutral.shape),
        "out_yaw": yaw_degrees(p_out, out.shape) - yaw_degrees(p_photo, photo.shape),
        "drv_half": half_width_log_ratio(p_turned) - half_width_log_ratio(p_neutral),
        "out_half": half_width_log_ratio(p_out) - half_width_log_ratio(p_photo),
        "bg_mean": float(diff.mean()) if diff.size else float("nan"),
        "bg_pixels": int(far.sum()),
        "out": out, "photo": photo,
    }
    TABLE.append(f"{portrait} {side} head_motion {head_motion} (frames {NEUTRAL} -> {TURNED[side]}): yaw change driver "
                 f"{res['drv_yaw']:+.1f}°, output {res['out_yaw']:+.1f}° (ratio "
                 f"{res['out_yaw'] / res['drv_yaw']:.2f}); half-width log-ratio change driver "
                 f"{res['drv_half']:+.3f}, output {res['out_half']:+.3f}; background mean |diff| "
                 f"{res['bg_mean']:.4f} over {res['bg_pixels']} px")
    _cache[key] = res
    return res


CASES = [pytest.param(p, s, id=f"{p}-{s}") for p in PORTRAITS for s in TURNED]


@pytest.mark.parametrize("portrait,side", CASES)
def test_driver_turns_are_turns_of_about_20_degrees(fs, det, lm, frames, portrait, side):
    """The drivers are what this test says: turns of 15–30° (independent yaw), the half-widths
    moving the same way."""
    res = turn_pass(fs, det, lm, frames, portrait, side)
    assert 15 <= abs(res["drv_yaw"]) <= 30, f"driver yaw change {res['drv_yaw']:+.1f}°"
    assert np.sign(res["drv_half"]) == -np.sign(res["drv_yaw"]), \
        f"yaw {res['drv_yaw']:+.1f}° but half-width log-ratio change {res['drv_half']:+.3f}"


# The yaw goal is not met on these drivers (measured with the 3-D turn; before it: 0.28, 0.01,
# 0.33, 0.52). The half-widths do follow (test_near_side_widens_far_side_narrows): the output's
# landmarks are within ~2.5 % IOD of where the reenactor puts them, but the 6-point solvePnP yaw
# leans on the mouth corners and chin, which carry the driver's speech between the two frames.
YAW_MEASURED = {("fr_obama1.jpg", "left"): 0.39, ("fr_obama1.jpg", "right"): 0.08,
                ("fr_rose_leslie1.jpg", "left"): 0.46, ("fr_rose_leslie1.jpg", "right"): 0.51}
YAW_CASES = [pytest.param(p, s, id=f"{p}-{s}", marks=[pytest.mark.xfail(strict=True, reason=(
    f"output/driver solvePnP yaw change measured {YAW_MEASURED[(p, s)]:.2f}, goal 0.6-1.4"))]
    if (p, s) in YAW_MEASURED else []) for p in PORTRAITS for s in TURNED]


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


# fr_obama1 faces ~20° aside already; with the pitch left to the 2-D steps (HeadPose.turn) its
# half-widths still move by 0.35 of the driver's on the left turn (0.22 and less elsewhere;
# before the 3-D turn 0.87–2.0 in all four cases).
STILL_CASES = [pytest.param(p, s, id=f"{p}-{s}", marks=[pytest.mark.xfail(strict=True, reason=(
    "half-width change at head_motion 0 measured 0.35 of the driver's, goal <= 0.3"))]
    if (p, s) == ("fr_obama1.jpg", "left") else []) for p in PORTRAITS for s in TURNED]


@pytest.mark.parametrize("portrait,side", STILL_CASES)
def test_head_motion_zero_keeps_the_photo_facing_its_way(fs, det, lm, frames, portrait, side):
    """A turn is head motion, not expression: with head_motion 0 the photo does not turn."""
    res = turn_pass(fs, det, lm, frames, portrait, side, head_motion=0.0)
    FIGURES[f"reenact turn {portrait} {side} head_motion 0: yaw, half-width change output/driver"] = \
        f"{res['out_yaw'] / res['drv_yaw']:.2f}, {res['out_half'] / res['drv_half']:.2f}"
    # Only the half-widths are asserted: the 6-point solvePnP yaw moves with the mouth and chin
    # (the driver talks between the frames): it read -0.25 to +0.30 of the driver's here.
    assert abs(res["out_half"]) <= 0.3 * abs(res["drv_half"]), \
        f"half-width log-ratio change {res['out_half']:+.3f} for the driver's {res['drv_half']:+.3f}"


# fr_obama1 already faces ~20° aside: turned further by twice the driver's turn, its far side
# would fold the mesh, and the fold guard (Reenactor.unfolded, after the turn) holds it back.
GAIN_CASES = [pytest.param(p, s, id=f"{p}-{s}", marks=[pytest.mark.xfail(strict=True, reason=(
    "held back by the fold guard: half-width change at head_motion 2 measured 0.83 times "
    "head_motion 1's, goal >= 1.2"))]
    if (p, s) == ("fr_obama1.jpg", "left") else []) for p in PORTRAITS for s in TURNED]


@pytest.mark.parametrize("portrait,side", GAIN_CASES)
def test_head_motion_gain_amplifies_the_turn(fs, det, lm, frames, portrait, side):
    """head_motion 2 (the head-bob gain) turns the photo further than head_motion 1: the turn is
    head motion, scaled with it (a turn carried as expression would not grow)."""
    one = turn_pass(fs, det, lm, frames, portrait, side, head_motion=1.0)
    two = turn_pass(fs, det, lm, frames, portrait, side, head_motion=2.0)
    gain = two["out_half"] / one["out_half"]
    FIGURES[f"reenact turn {portrait} {side}: half-width change head_motion 2 / head_motion 1"] = \
        f"{two['out_half']:+.3f} / {one['out_half']:+.3f} = {gain:.2f}"
    # The log-ratio grows less than the angle (the near half's width saturates), and the photo
    # fr_obama1 already faces ~20° aside; measured 1.81–2.14 here but fr_obama1's left turn
    # (0.92–1.11 before the 3-D turn).
    assert gain >= 1.2, f"half-width change at head_motion 2 is {gain:.2f} times head_motion 1's"


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
