"""Reenactment: is the driver's expression carried at its full size? (issue 12, item 1)

The real library through the Python binding, with the default options (default tracking: detect
every 5 frames, the landmark filter on), a held-out portrait (not the photo test_reenact.py tunes
against) and the talking clips. Landmarks are fitted afresh, independently of the reenactor (the
binding's Detector + Landmarker, raw, every frame), on every driver frame and on every OUTPUT frame.

Per frame, three series, each a ratio to that face's eye distance (``EYE_DIST``: the distance
between the midpoints of the eye corners 36/39 and 42/45, which blinks do not move), measured
along the face's own vertical (the normal of the line through those midpoints, so head roll does
not enter):

- mouth opening: the mean inner-lip gap, points 61, 62, 63 to 67, 66, 65;
- eye openness: the mean eyelid gap, 37, 38 to 41, 40 and 43, 44 to 47, 46;
- brow height: the mean height of the brows 17–26 above the eye line.

Each series is taken relative to its face's own neutral: the driver's first frame, and the photo
itself for the output (the reenactor's neutral). Between the driver's series and the output's,
over the frames where both have a face:

- r: Pearson's correlation;
- amplitude: the least-squares slope of the output's series on the driver's (output = a + slope
  × driver): how far the photo's measure moves per unit of the driver's. Noise in the output's
  fit does not bias it (it would inflate a ratio of standard deviations); the std ratio is
  printed beside it for reference.

Goals (issue 12): mouth r >= 0.9 and amplitude 0.9–1.2; eyes r >= 0.7 and the eyelids close
when the driver's do (on the driver's blink frames, where its eye openness is below half its
neutral's, the output's is below half the photo's: the median over those frames); brows r >= 0.7. A goal real data does not reach is an xfail(strict=True)
with the measured figure in its reason. The figures are printed at the end of the run (section
"reenactment expression figures").
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from conftest import DATA, FACES, FIGURES, TABLES
from test_reenact import det, landmarks_in, lm, read_video  # noqa: F401  (det, lm: fixtures)

VIDEOS = DATA / "videos"
CLIPS = {"vr_face3.mp4": 25.0, "vr_face4.mp4": 30.0}  # talking + blinks; talking, expressive
# Held-out portraits (MANIFEST.tsv): frontal, mouth closed; test_reenact.py tunes on fr_biden2.
PORTRAITS = ["fr_obama1.jpg", "fr_rose_leslie1.jpg"]
SERIES = ("mouth", "eyes", "brows")

TABLE = TABLES.setdefault("reenactment expression figures", [])


@pytest.fixture(autouse=True, scope="module")
def tools_present():
    for tool in ("ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is needed to decode the driving clips (apt-get install ffmpeg)")


# ------------------------------------------------------------------------------------------------
# The measures
# ------------------------------------------------------------------------------------------------

def frame_axes(pts):
    """The eye-corner midpoints' centre, their distance, and the face's upward unit normal."""
    left = (pts[36] + pts[39]) / 2
    right = (pts[42] + pts[45]) / 2
    d = right - left
    dist = float(np.linalg.norm(d))
    u = d / dist
    up = np.array([u[1], -u[0]])  # image y points down: (1, 0) -> (0, -1)
    return (left + right) / 2, dist, up


def measures(pts) -> dict:
    """mouth opening, eye openness, brow height of one face's 68 points, over its eye distance,
    signed along the face's vertical (lips or lids that cross read negative)."""
    pts = np.asarray(pts, np.float64)
    centre, dist, up = frame_axes(pts)

    def gap(upper, lower):
        return float(np.mean([(pts[a] - pts[b]) @ up for a, b in zip(upper, lower)])) / dist

    return {
        "mouth": gap([61, 62, 63], [67, 66, 65]),
        "eyes": gap([37, 38, 43, 44], [41, 40, 47, 46]),
        "brows": float(np.mean((pts[17:27] - centre) @ up)) / dist,
    }


def compare(driver, output) -> dict:
    """r, slope (amplitude) and std ratio of output against driver (1-D arrays, same frames)."""
    x = np.asarray(driver, np.float64)
    y = np.asarray(output, np.float64)
    sx, sy = float(x.std()), float(y.std())
    r = float(np.corrcoef(x, y)[0, 1]) if sx > 0 and sy > 0 else 0.0
    slope = float(np.polyfit(x, y, 1)[0]) if sx > 0 else 0.0
    return {"r": r, "amp": slope, "std_ratio": sy / sx if sx > 0 else 0.0}


# ------------------------------------------------------------------------------------------------
# Data
# ------------------------------------------------------------------------------------------------

# Frames, the detector and landmarker fixtures and the largest face's fit: test_reenact's.


def load_portrait(fs, name):
    img = fs.load_image(FACES / name)
    return img[: img.shape[0] & ~1, : img.shape[1] & ~1].copy()  # the reenactor's even copy


_driver: dict = {}


def driver_fits(det, lm, clip):
    """Raw landmarks of every driver frame (None: no face)."""
    if clip not in _driver:
        _driver[clip] = [landmarks_in(det, lm, f) for f in read_video(str(VIDEOS / clip))]
    return _driver[clip]


def series_of(fits, neutral) -> dict:
    """Per measure, the per-frame values minus the neutral's (NaN where no face)."""
    base = measures(neutral)
    out = {k: np.full(len(fits), np.nan) for k in SERIES}
    for i, p in enumerate(fits):
        if p is not None:
            m = measures(p)
            for k in SERIES:
                out[k][i] = m[k] - base[k]
    return out


def table(driver: dict, output: dict) -> dict:
    ok = ~np.isnan(driver["mouth"]) & ~np.isnan(output["mouth"])
    return {k: compare(driver[k][ok], output[k][ok]) for k in SERIES} | {"frames": int(ok.sum())}


BLINK = 0.5  # a blink: eye openness below half the face's neutral (dlib reads shut eyes ~0.3)


def blink_closure(driver: dict, output: dict, driver_neutral_eyes, photo_neutral_eyes) -> dict:
    """On the driver's blink frames (its eye openness below BLINK of its neutral's), the output's
    eye openness as a share of the photo's own: median and largest over those frames."""
    d_open = driver["eyes"] + driver_neutral_eyes
    o_open = output["eyes"] + photo_neutral_eyes
    ok = ~np.isnan(d_open) & ~np.isnan(o_open)
    blink = ok & (d_open < BLINK * driver_neutral_eyes)
    if not blink.any():
        return {"frames": 0, "median": float("nan"), "max": float("nan"), "driver_median": float("nan")}
    share = o_open[blink] / photo_neutral_eyes
    return {"frames": int(blink.sum()), "median": float(np.median(share)), "max": float(share.max()),
            "driver_median": float(np.median(d_open[blink] / driver_neutral_eyes))}


_runs: dict = {}


def reenact_run(fs, det, lm, clip, portrait, **options) -> dict:
    """One pass of a Reenactor (the given options, else the defaults) over a clip; the output's
    landmarks fitted afresh on every frame; the series and their comparison."""
    key = (clip, portrait, tuple(sorted(options.items())))
    if key in _runs:
        return _runs[key]
    photo = load_portrait(fs, portrait)
    photo_pts = landmarks_in(det, lm, photo)
    assert photo_pts is not None, portrait
    frames = read_video(str(VIDEOS / clip))
    drv = driver_fits(det, lm, clip)
    outs = []
    with fs.Reenactor(photo, det, lm, **options) as r:
        for i, frame in enumerate(frames):
            out = r.push(frame, i / CLIPS[clip])
            outs.append(landmarks_in(det, lm, out) if drv[i] is not None else None)
    neutral = next(p for p in drv if p is not None)
    d = series_of(drv, neutral)
    o = series_of(outs, photo_pts)
    res = {"driver": d, "output": o, "cmp": table(d, o),
           "blink": blink_closure(d, o, measures(neutral)["eyes"], measures(photo_pts)["eyes"]),
           "missed": sum(1 for a, b in zip(drv, outs) if a is not None and b is None)}
    _runs[key] = res
    c = res["cmp"]
    opts = ", ".join(f"{k} {v}" for k, v in sorted(options.items())) or "defaults"
    TABLE.append(
        f"{clip} -> {portrait} ({opts}): " + "; ".join(
            f"{k} r {c[k]['r']:.2f} amplitude {c[k]['amp']:.2f} (std ratio {c[k]['std_ratio']:.2f})"
            for k in SERIES)
        + f"; blinks: {res['blink']['frames']} driver frames below {BLINK:.0%} open (driver median "
          f"{res['blink']['driver_median']:.2f}), output median {res['blink']['median']:.2f} / max "
          f"{res['blink']['max']:.2f} of the photo's openness; {c['frames']} frames, "
          f"{res['missed']} outputs without a face found")
    return res


@pytest.fixture(scope="module")
def run(fs, det, lm):
    def go(clip, portrait, **options):
        return reenact_run(fs, det, lm, clip, portrait, **options)
    return go


# ------------------------------------------------------------------------------------------------
# Goals
# ------------------------------------------------------------------------------------------------

# (clip, portrait, goal) -> reason, for a goal real data does not reach (xfail strict). Figures
# measured with the drawn eyelids (Reenact/Eyelids.swift) in, "before the lids" beside them (main
# at 344e17c, same session, same measure), and 0.7.0's where given; earlier: see the commit messages.
_MOUTH_FILL = ("the reenactor's own 68 points open this photo's mouth at the driver's size (their "
               "mouth r 0.98-0.99, amplitude 1.02-1.09 on both clips), but the re-fit of the output "
               "reads the upper lip about twice as thick as drawn (0.11-0.12 of the eye distance "
               "against 0.055 on the wide frames: this photo's upper lip is rolled in, thin), its "
               "inner edge inside the teeth, and the opening smaller: even a flat black opening painted into those points' inner-lip "
               "polygon read at ~0.6 of their gap on vr_face4's widest frames")
# The mouth figures are the default mouth_fill 1's (a cavity and teeth in the photo's colours),
# measured on the mouth branches: now with the cavity drawn to the opening's edge and the lips'
# shadow on the teeth (branch mouth, session 14); "before the rim" the eroded fill, whose band of
# stretched lip inside the opening the re-fit read as lip; beside them mouth_fill 2's (the
# driver's mouth, the default before) and 0's (no fill), from the same runs with that option.
_LIDS = ("the lid is drawn down (Reenact/Eyelids.swift: the photo's upper-lid band stretched over the "
         "opening, full at a warped gap of 0.6 of the photo's), but the re-fit still reads the lid "
         "edge's dark lash band as an open eye on most blink frames")
# Tried on branch blink (session 15), none kept: the amplitude is not where the blink goal is lost.
# On the driver's blink frames (raw fit 0.31-0.49 of its neutral) the tracker's filtered points
# read 0.34-0.51 on vr_face4 (30 fps) and 0.45-0.55 on vr_face3 (25 fps), the photo's target lid
# gap 0.34-0.51 and 0.50-0.65 of the photo's: Eyelids draws both lids fully shut on all 13 vr_face4
# blink frames (fr_rose_leslie1) and on 4 of vr_face3's 7 (fr_obama1; the others 0.81-0.83 shut),
# yet the re-fit reads them at a median 0.71 and 0.95 of the photo's openness. Measured by this
# test's figures (blink median / eyes r, before -> after):
# - the mesh closed fully (a driver's gap of 0.4 of its neutral, what the fit reads on a shut eye,
#   mapped to 0): vr_face3 -> fr_obama1 0.95 -> 1.02 / 0.55 -> 0.47; vr_face4 -> fr_rose_leslie1
#   0.71 -> 0.75: the re-fit reads the compressed lashes as an open eye whatever the gap;
# - a shut lid drawn as the photo's own lid skin (the 70-95th brightness percentile of the skin
#   between the lashes and 0.2 eye distance up, with its fine texture; dark pixels - lashes,
#   crease - cleaned towards it), a lash line in the photo's lash colour (the darkest fifth of its
#   lid margin) at the lid's edge and the under-eye skin below it: to a person a closed eye on both
#   photos (crops in the session's report); the re-fit reads fr_rose_leslie1 more closed (0.69 ->
#   0.59, 0.71 -> 0.68; goal 0.5), but on fr_obama1 it reads the light lid between the dark crease and the lash line
#   as an open eye: 0.95 -> 1.37 and 0.81 -> 1.20, eyes r 0.55 -> 0.12 and 0.79 -> 0.38 (that lid
#   drawn up to 0.85-0.95 of the way to the brow, over the crease: 1.25 and 0.93-0.95, r 0.33-0.42
#   and 0.61-0.67, still worse than before);
# - the photo's band kept, only the under-eye skin and the lash line added: 0.95 -> 1.01,
#   0.81 -> 0.87 (fr_obama1), 0.69 -> 0.65, 0.71 -> 0.66 (fr_rose_leslie1).
# Figures with the drawn eyelids (branch eyes); before them, in brackets, main at 344e17c measured in
# the same session by the same measure (not the 0.8.0 figures of the earlier reasons).
XFAIL: dict = {
    ("vr_face3.mp4", "fr_obama1.jpg", "mouth"):
        f"mouth r 0.62, amplitude 0.99 (before the rim: 0.52 / 0.81; before the lids: 0.53 / 0.85; 0.7.0: 0.26 / 0.29; mouth_fill 2 then: 0.43 / 0.40; 0: 0.24 / 0.22): {_MOUTH_FILL}",
    ("vr_face4.mp4", "fr_obama1.jpg", "mouth"):
        f"mouth r 0.64, amplitude 0.62 (before the rim: 0.48 / 0.42; before the lids: 0.49 / 0.41; 0.7.0: 0.49 / 0.37; mouth_fill 2 then: 0.48 / 0.36; 0: -0.13 / -0.09): {_MOUTH_FILL}",
    ("vr_face3.mp4", "fr_rose_leslie1.jpg", "mouth"):
        "mouth r 0.91, amplitude 0.82 (before the rim: 0.90 / 0.77; before the lids: 0.90 / 0.78; 0.7.0: 0.93 / 0.78; mouth_fill 2 then: 0.91 / 0.69; 0: 0.90 / 0.64)",
    # vr_face4 -> fr_rose_leslie1 mouth: r 0.97, amplitude 0.91 meets the goal (with the drawn
    # eyelids and the eroded fill it read 0.97 / 0.88; before the lids 0.91, met).
    # The eye figures move with the mouth fill too (the 68-point re-fit is one shape): mouth_fill 2
    # gave vr_face3 -> fr_obama1 eyes r 0.49 and a blink median of 0.96 open; the mouth's dark rim
    # took it from 0.67 to 0.55 (the eyes' pixels unchanged: the fill writes only inside the inner
    # lips; per frame the re-fit's eye openness moved by 0.012 sd, uncorrelated with its mouth's).
    # vr_face4 -> fr_obama1 eyes: r 0.79 (before the rim 0.76, before the drawn eyelids 0.67) meets the goal.
    ("vr_face3.mp4", "fr_obama1.jpg", "eyes"): f"eyes r 0.55 (before the rim: 0.67; before the lids: 0.59; 0.7.0: 0.21): {_LIDS}",
    ("vr_face3.mp4", "fr_obama1.jpg", "eyelids_close"): f"blinks: output median 0.95 open (before the lids: 1.07; 0.7.0: 1.26): {_LIDS}",
    ("vr_face4.mp4", "fr_obama1.jpg", "eyelids_close"): f"blinks: output median 0.81 open (before the rim: 0.79; before the lids: 0.94): {_LIDS}",
    ("vr_face3.mp4", "fr_rose_leslie1.jpg", "eyelids_close"): f"blinks: output median 0.69 open (before the lids: 0.70): {_LIDS}",
    ("vr_face4.mp4", "fr_rose_leslie1.jpg", "eyelids_close"): f"blinks: output median 0.71 open (before the lids: 0.73): {_LIDS}",
}

GOALS = {
    "mouth": lambda c, b: c["mouth"]["r"] >= 0.9 and 0.9 <= c["mouth"]["amp"] <= 1.2,
    "eyes": lambda c, b: c["eyes"]["r"] >= 0.7,
    "eyelids_close": lambda c, b: b["frames"] > 0 and b["median"] <= BLINK,
    "brows": lambda c, b: c["brows"]["r"] >= 0.7,
}


def _params():
    out = []
    for clip in CLIPS:
        for portrait in PORTRAITS:
            for goal in GOALS:
                reason = XFAIL.get((clip, portrait, goal))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                out.append(pytest.param(clip, portrait, goal, marks=marks,
                                        id=f"{clip}-{portrait}-{goal}"))
    return out


@pytest.mark.sweep
@pytest.mark.parametrize("clip,portrait,goal", _params())
def test_expression_is_carried_at_full_size(run, clip, portrait, goal):
    res = run(clip, portrait)
    c, b = res["cmp"], res["blink"]
    FIGURES[f"reenact expression {clip} -> {portrait}: r / amplitude (mouth, eyes, brows)"] = \
        ", ".join(f"{c[k]['r']:.2f} / {c[k]['amp']:.2f}" for k in SERIES)
    assert res["missed"] <= 0.05 * c["frames"], f"{res['missed']} output frames without a face"
    if goal == "eyelids_close":
        assert b["frames"] > 0, "no blink in the driving clip"
        assert b["median"] <= BLINK, (
            f"on the driver's {b['frames']} blink frames (median {b['driver_median']:.2f} of its "
            f"neutral openness) the output's eyes stay {b['median']:.2f} open (median)")
    else:
        k = goal
        assert GOALS[goal](c, b), f"{k}: r {c[k]['r']:.3f}, amplitude {c[k]['amp']:.3f}"
