"""Reenactment (a still photo animated by a driving video) through the Python binding, checked
against figures this test computes itself from pixels:

- motion transfer: the driver's 68 landmarks are found per frame here (Detector + Landmarker,
  raw), the documented model of faceswap.h (reenact_model.py: pose removed by a similarity over
  the nose and eye corners, the jaw and mouth's neutral the most closed mouth, eyelids in
  proportion, lips that do not cross, expression carried into the photo by the driver-neutral ->
  photo similarity, head motion on top) gives where the photo's points should go, and the
  reenactor's output frame is
  re-detected: the mean distance over the photo's inter-ocular distance must be <= 5 %;
- motion against ground truth, without that model: a photo driven by itself moved by known
  similarities (Pillow's warp) must follow them (head_motion 1) or stay put (head_motion 0);
- identity: the result's face stays the photo's person (ResNet embeddings; skipped without it);
- background: pixels far from the face and on the border stay still;
- mouth fill: with mouth_fill the open mouth's inside differs from the warped photo, and only there;
- reenact_video end to end: frame count, audio, size, progress, cancel;
- bad input: no face in the photo, no face in a driving frame, options out of range.

Frames are decoded with ffmpeg (``-f rawvideo -pix_fmt bgr24``). Figures are printed at the end
of the run (section "reenactment figures"). A criterion real data fails is marked
xfail(strict=True) with the measured figure in the reason.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from functools import lru_cache

import numpy as np
import pytest

from conftest import DATA, FACES, FIGURES, TABLES
from reenact_model import POSE, Model, apply, umeyama

VIDEOS = DATA / "videos"
PHOTO = "fr_biden2.jpg"
NOFACE = "dlib_dogs_noface.jpg"
CLIPS = {"vr_face3.mp4": 25.0, "vr_face4.mp4": 30.0}  # talking + blinks; expressive


@pytest.fixture(autouse=True, scope="module")
def tools_present():
    """ffmpeg and ffprobe decode the driving clips (apt-get install ffmpeg)."""
    for tool in ("ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is needed to decode the driving clips (apt-get install ffmpeg)")


TABLE = TABLES.setdefault("reenactment figures", [])

# iBUG 300-W regions
REGIONS = {
    "jaw": list(range(0, 17)),
    "brows": list(range(17, 27)),
    "nose": list(range(27, 36)),
    "eyes": list(range(36, 48)),
    "mouth": list(range(48, 68)),
}
INNER_MOUTH = list(range(60, 68))

# The driver's landmarks exactly as this test finds them: detection on every frame, no smoothing.
RAW_TRACKING = {"detect_interval": 1, "min_cutoff": 0.0}


# ------------------------------------------------------------------------------------------------
# Geometry (numpy)
# ------------------------------------------------------------------------------------------------

# umeyama, apply and POSE (nose and eye corners, the header's pose points): reenact_model.


def expected_points(photo_pts, neutral, current, expression=1.0, head_motion=1.0) -> np.ndarray:
    """Where the photo's 68 points go for one driver frame with `neutral` as the first frame, by
    the model faceswap.h documents (reenact_model.py); frames in order: use reenact_model.Model."""
    model = Model(photo_pts, expression, head_motion)
    model(neutral)
    return model(current)


def interocular(pts) -> float:
    pts = np.asarray(pts, np.float64)
    return float(np.linalg.norm(pts[36:42].mean(0) - pts[42:48].mean(0)))


def polygon_area(p) -> float:
    p = np.asarray(p, np.float64)
    x, y = p[:, 0], p[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)))


def polygon_mask(poly, shape) -> np.ndarray:
    """Pixels (centres) inside a polygon, even-odd rule."""
    h, w = shape[:2]
    poly = np.asarray(poly, np.float64)
    x0, y0 = np.floor(poly.min(0)).astype(int) - 1
    x1, y1 = np.ceil(poly.max(0)).astype(int) + 2
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    mask = np.zeros((h, w), bool)
    if x1 <= x0 or y1 <= y0:
        return mask
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    inside = np.zeros(xs.shape, bool)
    n = len(poly)
    for i in range(n):
        (xa, ya), (xb, yb) = poly[i], poly[(i + 1) % n]
        if ya == yb:
            continue
        crosses = (ya > ys) != (yb > ys)
        xc = xa + (ys - ya) * (xb - xa) / (yb - ya)
        inside ^= crosses & (xs < xc)
    mask[y0:y1, x0:x1] = inside
    return mask


def polygon_distance(poly, shape) -> np.ndarray:
    """Per pixel, the Euclidean distance to the filled polygon (0 inside)."""
    h, w = shape[:2]
    poly = np.asarray(poly, np.float64)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    best = np.full((h, w), np.inf)
    n = len(poly)
    for i in range(n):
        a, b = poly[i], poly[(i + 1) % n]
        ab = b - a
        denom = float(ab @ ab) or 1.0
        t = np.clip(((xs - a[0]) * ab[0] + (ys - a[1]) * ab[1]) / denom, 0, 1)
        d = np.hypot(xs - (a[0] + t * ab[0]), ys - (a[1] + t * ab[1]))
        np.minimum(best, d, out=best)
    best[polygon_mask(poly, shape)] = 0
    return best


# ------------------------------------------------------------------------------------------------
# Data
# ------------------------------------------------------------------------------------------------

def probe(path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-show_entries",
                          "stream=codec_type,width,height,nb_read_frames", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def read_frames(name: str) -> np.ndarray:
    """All frames of a shared clip (Tests/data/videos), as read_video gives them."""
    return read_video(str(VIDEOS / name))


@lru_cache(maxsize=None)
def read_video(path: str) -> np.ndarray:
    """All frames of a video as an (N, H, W, 3) uint8 BGR array (ffmpeg rawvideo)."""
    video = [s for s in probe(path)["streams"] if s["codec_type"] == "video"][0]
    w, h = int(video["width"]), int(video["height"])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo",
                          "-pix_fmt", "bgr24", "-"], capture_output=True, check=True).stdout
    n = len(raw) // (w * h * 3)
    frames = np.frombuffer(raw, np.uint8)[: n * w * h * 3].reshape(n, h, w, 3)
    frames.flags.writeable = False
    return frames


@pytest.fixture(scope="module")
def det(fs):
    with fs.Detector() as d:  # the binding's default detector (what Reenactor uses by default)
        yield d


@pytest.fixture(scope="module")
def lm(fs):
    with fs.Landmarker() as m:
        yield m


def landmarks_in(det, lm, img):
    faces = det.detect(img)
    if not faces:
        return None
    faces.sort(key=lambda f: f.rect[2] * f.rect[3], reverse=True)
    return lm.fit(img, faces[0]).landmarks.astype(np.float64)


def landmarks_near(det, lm, img, expected):
    """Landmarks of the detected face whose box centre is nearest the expected points' centre
    (not the largest: HOG sometimes finds a larger false face in fr_biden2's background painting,
    e.g. vr_face3 frame 60)."""
    faces = det.detect(img)
    if not faces:
        return None
    c = np.asarray(expected, np.float64).mean(0)
    faces.sort(key=lambda f: math.hypot(f.rect[0] + f.rect[2] / 2 - c[0], f.rect[1] + f.rect[3] / 2 - c[1]))
    return lm.fit(img, faces[0]).landmarks.astype(np.float64)


@pytest.fixture(scope="module")
def photo(fs):
    img = fs.load_image(FACES / PHOTO)
    return img[: img.shape[0] & ~1, : img.shape[1] & ~1].copy()  # the reenactor's even copy


@pytest.fixture(scope="module")
def photo_face(fs, det, photo):
    faces = det.detect(photo)
    assert faces, f"no face in {PHOTO}"
    return faces[0]


@pytest.fixture(scope="module")
def photo_pts(lm, photo, photo_face):
    return lm.fit(photo, photo_face).landmarks.astype(np.float64)


_driver_cache: dict = {}


@pytest.fixture(scope="module")
def driver_points(det, lm):
    """clip name -> list of raw (68, 2) landmarks per frame (None where no face)."""
    def get(name):
        if name not in _driver_cache:
            _driver_cache[name] = [landmarks_in(det, lm, f) for f in read_frames(name)]
        return _driver_cache[name]
    return get


# ------------------------------------------------------------------------------------------------
# One pass of a reenactor over a clip, measured frame by frame (the frames are not kept)
# ------------------------------------------------------------------------------------------------

_runs: dict = {}


def _fit_fallback(lm, img, photo_face, photo_pts, expected):
    """Landmarks fitted in the photo's face rectangle moved by the expected motion, for a frame
    whose re-detection failed (as fs_eval_swap does)."""
    m = umeyama(photo_pts[POSE], expected[POSE])
    x, y, w, h = photo_face.rect
    c = apply(m, np.array([[x + w / 2, y + h / 2]]))[0]
    s = math.sqrt(abs(np.linalg.det(m[:, :2])))
    side = w * s
    rect = (c[0] - side / 2, c[1] - side / 2, side, side)
    return lm.fit(img, rect).landmarks.astype(np.float64)


def reenact_pass(fs, det, lm, photo, photo_face, photo_pts, driver_points, clip, options,
                 recognizer=None):
    key = (clip, tuple(sorted(options.items())))
    if key in _runs:
        return _runs[key]
    fps = CLIPS[clip]
    frames = read_frames(clip)
    drv = driver_points(clip)
    iod = interocular(photo_pts)

    # background: farther than 2.5 face radii from the face centre, or within 2 % of the border
    centre = photo_pts.mean(0)
    radius = float(np.linalg.norm(photo_pts - centre, axis=1).max())
    h, w = photo.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]
    band = max(2, int(0.02 * min(h, w)))
    far = (np.hypot(xs - centre[0], ys - centre[1]) > 2.5 * radius)
    border = (xs < band) | (ys < band) | (xs >= w - band) | (ys >= h - band)
    background = far | border
    photo_i16 = photo.astype(np.int16)

    errors, regions, fallbacks = [], {k: [] for k in REGIONS}, 0
    bg_means, bg_p99, bg_max = [], [], []
    identity = []
    model = Model(photo_pts, options.get("expression", 1.0), options.get("head_motion", 1.0))
    photo_emb = recognizer.embed(photo, fs.Face(photo_face.box, photo_face.rect, 0, photo_pts)) \
        if recognizer is not None else None
    with fs.Reenactor(photo, det, lm, **options) as r:
        used = {k: r.options[k] for k in ("detect_interval", "min_cutoff", "beta")}
        for i, frame in enumerate(frames):
            out = r.push(frame, i / fps)
            assert out.shape == photo.shape and out.dtype == np.uint8
            diff = np.abs(out.astype(np.int16) - photo_i16)[background]
            bg_means.append(float(diff.mean()))
            bg_p99.append(float(np.percentile(diff, 99)))
            bg_max.append(int(diff.max()))
            cur = drv[i]
            if cur is None:
                continue
            exp = model(cur)
            got = landmarks_near(det, lm, out, exp)
            if got is None:
                got = _fit_fallback(lm, out, photo_face, photo_pts, exp)
                fallbacks += 1
            d = np.linalg.norm(got - exp, axis=1) / iod
            errors.append(float(d.mean()))
            for k, idx in REGIONS.items():
                regions[k].append(float(d[idx].mean()))
            if recognizer is not None and i % 10 == 0 and i > 0:
                faces = det.detect(out)
                drv_faces = det.detect(frame)
                if faces and drv_faces:
                    e_out = recognizer.embed(out, lm.fit(out, faces[0]))
                    e_drv = recognizer.embed(frame, lm.fit(frame, drv_faces[0]))
                    identity.append((i, fs.embedding_distance(e_out, photo_emb),
                                     fs.embedding_distance(e_out, e_drv)))
    res = {
        "frames": len(frames),
        "measured": len(errors),
        "error": float(np.mean(errors)),
        "error_max": float(np.max(errors)),
        "error_p90": float(np.percentile(errors, 90)),
        "regions": {k: float(np.mean(v)) for k, v in regions.items()},
        "fallbacks": fallbacks,
        "bg_mean": float(np.mean(bg_means)),
        "bg_mean_max": float(np.max(bg_means)),
        "bg_p99": float(np.max(bg_p99)),
        "bg_max": int(np.max(bg_max)),
        "bg_pixels": int(background.sum()),
        "identity": identity,
        "iod": iod,
        "radius": radius,
    }
    _runs[key] = res
    tracking = "raw" if options.get("min_cutoff") == 0 else "default"
    if "expression" in options or "head_motion" in options:
        tracking = (f"expression {options.get('expression', 1.0)}, head_motion "
                    f"{options.get('head_motion', 1.0)}, {tracking}")
    regs = " ".join(f"{k} {100 * v:.1f}%" for k, v in res["regions"].items())
    TABLE.append(
        f"{clip} ({tracking} tracking {used}): landmark error mean {100 * res['error']:.2f}% IOD "
        f"(p90 {100 * res['error_p90']:.1f}%, max {100 * res['error_max']:.1f}%; {regs}); "
        f"{res['fallbacks']}/{res['measured']} frames not re-detected (fitted in the moved box); "
        f"background mean |diff| {res['bg_mean']:.3f} (worst frame {res['bg_mean_max']:.3f}, "
        f"p99 {res['bg_p99']:.0f}, max {res['bg_max']}) over {res['bg_pixels']} px")
    return res


@pytest.fixture(scope="module")
def run(fs, det, lm, photo, photo_face, photo_pts, driver_points, recognizer):
    def go(clip, **options):
        return reenact_pass(fs, det, lm, photo, photo_face, photo_pts, driver_points, clip,
                            options, recognizer)
    return go


# ------------------------------------------------------------------------------------------------
# Motion transfer
# ------------------------------------------------------------------------------------------------

# (clip, tracking) -> reason, for a pair that fails the 5 % criterion on real data. None now: with
# the library's earlier filter defaults (min_cutoff 1.5 Hz, beta 1.5) vr_face3 measured 5.8 % (the
# filter's lag; mouth 8.2 %); with the current ones (fs_stream_options_init) it passes.
XFAIL_MOTION: dict = {}


def _motion_params():
    out = []
    for clip in CLIPS:
        for tracking in ("raw", "default"):
            reason = XFAIL_MOTION.get((clip, tracking))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(clip, tracking, marks=marks, id=f"{clip}-{tracking}"))
    return out


@pytest.mark.parametrize("clip,tracking", _motion_params())
def test_motion_transfer_puts_the_face_where_the_driver_says(run, clip, tracking):
    res = run(clip, **(RAW_TRACKING if tracking == "raw" else {}))
    FIGURES[f"reenact {clip} {tracking}: landmark error"] = (
        f"{100 * res['error']:.2f}% IOD (" + ", ".join(
            f"{k} {100 * v:.1f}%" for k, v in res["regions"].items()) + ")")
    print(f"{clip} {tracking}: mean landmark error {100 * res['error']:.2f}% of IOD "
          f"({res['iod']:.0f} px), regions " + ", ".join(
              f"{k} {100 * v:.2f}%" for k, v in res["regions"].items())
          + f"; {res['fallbacks']} frames fitted in the moved box")
    assert res["measured"] >= 0.9 * res["frames"]
    assert res["error"] <= 0.05, f"mean landmark error {100 * res['error']:.2f}% of IOD > 5%"


def test_head_motion_and_expression_scale_follow_the_model(run):
    """expression 0.5 and head_motion 0 are other points of the same documented model."""
    res = run("vr_face4.mp4", expression=0.5, head_motion=0.0, **RAW_TRACKING)
    print(f"vr_face4 expression 0.5, head_motion 0: {100 * res['error']:.2f}% IOD")
    FIGURES["reenact vr_face4 expression 0.5 head 0: landmark error"] = \
        f"{100 * res['error']:.2f}% IOD"
    assert res["error"] <= 0.05


# ------------------------------------------------------------------------------------------------
# Ground truth without the model: the photo drives itself, moved by known similarities
# ------------------------------------------------------------------------------------------------

# A photo whose mouth is closed: driven by itself, the reenactor has no expression to carry (an
# open first mouth would be closed for the neutral, and reopened on the photo).
SELF_PHOTO = "fr_kit_harington1.jpg"
# The driver's frames after the first (the photo itself): rotation (degrees) and scale about the
# face's centroid, then a shift in inter-ocular distances (x, y).
KNOWN_MOTIONS = [(7, 1, 0, 0), (-8, 1, 0, 0), (0, 1.12, 0, 0), (0, 0.88, 0, 0), (0, 1, 0.3, 0),
                 (0, 1, 0, -0.25), (6, 1.05, 0.2, 0.15), (-4, 0.95, -0.2, 0.1)]


def similarity_about(centre, degrees: float, scale: float, shift) -> np.ndarray:
    """The 2x3 similarity: rotation and scale about `centre`, then `shift`."""
    a = math.radians(degrees)
    r = scale * np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return np.hstack([r, (np.asarray(centre) + np.asarray(shift) - r @ centre)[:, None]])


def pillow_warp(img_bgr: np.ndarray, t: np.ndarray) -> np.ndarray:
    """img moved by the 2x3 map t, by Pillow (bicubic; uncovered pixels black): not the library."""
    from PIL import Image as PILImage
    inv = np.linalg.inv(np.vstack([t, [0, 0, 1]]))[:2]  # Pillow takes output -> input
    rgb = PILImage.fromarray(np.ascontiguousarray(img_bgr[..., ::-1]))
    moved = rgb.transform(rgb.size, PILImage.AFFINE, tuple(inv.ravel()), resample=PILImage.BICUBIC)
    return np.asarray(moved)[..., ::-1].copy()


@pytest.mark.parametrize("head_motion", [1.0, 0.0])
def test_self_reenactment_follows_known_similarities(fs, det, lm, head_motion):
    """The photo drives itself: its first frame is the photo, the next ones copies of it moved
    by the known similarities T of KNOWN_MOTIONS (warped by Pillow). No expression changes, so
    with head_motion 1 the output's face must be at T(photo's 68 points), with head_motion 0 at
    the photo's own points. Each output is re-detected and fitted (dlib, raw tracking); the mean
    distance per frame must be <= 3.5 % of the inter-ocular distance (measured: <= 2.70 % with
    head motion, <= 2.22 % without; dlib's own fit on moved copies is about 1.3-1.9 % from
    T(points), a floor no reenactor can beat). Every T moves the points by more than twice the
    bound (9.7-30 % IOD), so a reenactor that ignored the motion, or head_motion, fails."""
    img = fs.load_image(FACES / SELF_PHOTO)
    img = img[: img.shape[0] & ~1, : img.shape[1] & ~1].copy()  # the reenactor's even copy
    pts = landmarks_in(det, lm, img)
    assert pts is not None, f"no face in {SELF_PHOTO}"
    iod = interocular(pts)
    centre = pts.mean(0)
    motions = [similarity_about(centre, a, s, (dx * iod, dy * iod)) for a, s, dx, dy in KNOWN_MOTIONS]
    errors = []
    with fs.Reenactor(img, det, lm, expression=1.0, head_motion=head_motion, **RAW_TRACKING) as r:
        for i, t in enumerate([None] + motions):
            frame = img.copy() if t is None else pillow_warp(img, t)
            out = r.push(frame, i / 25)
            moved = pts if t is None else apply(t, pts)
            want = moved if head_motion else pts
            if t is not None:
                assert (np.linalg.norm(moved - pts, axis=1) / iod).mean() > 2 * 0.035, "a motion too small to tell"
            got = landmarks_near(det, lm, out, want)
            assert got is not None, f"frame {i}: no face in the reenactor's output"
            errors.append(float((np.linalg.norm(got - want, axis=1) / iod).mean()))
    shown = ", ".join(f"{100 * e:.2f}" for e in errors)
    print(f"{SELF_PHOTO} driven by itself moved by known similarities, head_motion {head_motion}: "
          f"% IOD per frame {shown}")
    FIGURES[f"reenact self-driven by known similarities, head_motion {head_motion:g}: worst frame"] = \
        f"{100 * max(errors):.2f}% IOD"
    assert max(errors) <= 0.035, f"% IOD per frame: {shown}"


# ------------------------------------------------------------------------------------------------
# Identity and background
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("clip", list(CLIPS))
def test_identity_stays_the_photos_person(run, recognizer, clip):
    res = run(clip)
    rows = res["identity"]
    assert len(rows) >= 10
    for i, to_photo, to_driver in rows:
        print(f"frame {i}: distance to the photo's person {to_photo:.3f}, to the driver "
              f"{to_driver:.3f}")
    FIGURES[f"reenact {clip} identity (to photo / to driver, worst frame)"] = (
        f"{max(r[1] for r in rows):.3f} / {min(r[2] for r in rows):.3f}")
    bad = [(i, round(a, 3), round(b, 3)) for i, a, b in rows if not a < b]
    assert not bad, f"frames nearer the driver than the photo's person: {bad}"


@pytest.mark.parametrize("clip", list(CLIPS))
def test_background_stays_still(run, clip):
    res = run(clip)
    print(f"{clip}: background mean |result - photo| {res['bg_mean']:.4f} (worst frame "
          f"{res['bg_mean_max']:.4f}), 99th percentile {res['bg_p99']:.0f}, max {res['bg_max']}, "
          f"{res['bg_pixels']} px")
    FIGURES[f"reenact {clip} background mean |diff| (worst frame), p99, max"] = \
        f"{res['bg_mean']:.4f} ({res['bg_mean_max']:.4f}), {res['bg_p99']:.0f}, {res['bg_max']}"
    assert res["bg_pixels"] > 0.05 * 1200 * 1200 / 4
    assert res["bg_mean"] < 1.0


@pytest.mark.xfail(strict=True, reason=(
    "library limit: in fr_biden2.jpg the face is close to the top border, so the fixed ring above "
    "the head sits (clamped) just inside the border, about one face radius from the head: the "
    "mesh between them stretches when the head moves, and pixels 2.5 face radii away in that "
    "strip change (up to ~18 levels measured on vr_face4; before clamping the ring points were "
    "dropped with the same effect); pixels elsewhere stay put and the mean stays < 0.05"))
@pytest.mark.parametrize("clip", ["vr_face4.mp4"])
def test_background_far_pixels_do_not_move_at_all(run, clip):
    res = run(clip, **RAW_TRACKING)
    print(f"{clip} raw tracking: background max |result - photo| {res['bg_max']}")
    assert res["bg_max"] <= 2, f"a background pixel changed by {res['bg_max']} levels"


# ------------------------------------------------------------------------------------------------
# Mouth fill
# ------------------------------------------------------------------------------------------------

_mouth_cache: dict = {}
MOUTH_STRAY = 2.0  # px outside the model's opening the fill may reach (test_mouth_fill_changes_nothing_outside_the_mouth_polygon)


@pytest.fixture(scope="module")
def mouth_fill_pair(fs, det, lm, photo, photo_pts, driver_points):
    """The frame of vr_face4 where the driver's mouth is open widest, animated with and without
    mouth_fill (raw tracking, so both reenactors move the photo's points identically), and the
    expected inner-mouth polygon in the photo."""
    if _mouth_cache:
        return _mouth_cache
    clip = "vr_face4.mp4"
    frames = read_frames(clip)
    drv = driver_points(clip)
    neutral = next(p for p in drv if p is not None)
    opening = [polygon_area(p[INNER_MOUTH]) / interocular(p) ** 2 if p is not None else 0
               for p in drv]
    k = int(np.argmax(opening))
    outs = {}
    for fill in (True, False):
        with fs.Reenactor(photo, det, lm, mouth_fill=fill, **RAW_TRACKING) as r:
            for i in range(k + 1):
                out = r.push(frames[i], i / CLIPS[clip])
        outs[fill] = out
    model = Model(photo_pts)
    exp = [model(p) for p in drv[: k + 1] if p is not None][-1]
    iod = interocular(photo_pts)
    poly = exp[INNER_MOUTH]
    diff = np.abs(outs[True].astype(np.int16) - outs[False].astype(np.int16)).max(axis=2)
    dist = polygon_distance(poly, photo.shape)
    _mouth_cache.update(frame=k, opening=opening[k], neutral_opening=opening[0], diff=diff,
                        inside=polygon_mask(poly, photo.shape), dist=dist, iod=iod,
                        area=polygon_area(poly) / iod ** 2,
                        photo_area=polygon_area(photo_pts[INNER_MOUTH]) / iod ** 2)
    m = _mouth_cache
    inside_mean = float(diff[m["inside"]].mean())
    beyond = int(diff[dist > MOUTH_STRAY].max())
    reach = float(dist[diff > 1].max()) if (diff > 1).any() else 0.0
    line = (f"mouth fill (vr_face4 frame {k}, driver inner mouth {opening[k]:.3f} IOD², neutral "
            f"{opening[0]:.3f}; expected in the photo {m['area']:.3f} IOD², photo's own "
            f"{m['photo_area']:.3f}): mean |fill - no fill| inside {inside_mean:.1f} levels over "
            f"{int(m['inside'].sum())} px; max > {MOUTH_STRAY} px outside the polygon {beyond}; changed "
            f"pixels reach {reach:.1f} px ({reach / iod:.3f} IOD) outside it")
    print(line)
    TABLE.append(line)
    FIGURES["reenact mouth fill: inside mean diff / max diff outside / reach"] = \
        f"{inside_mean:.1f} / {beyond} / {reach:.1f} px"
    return _mouth_cache


def test_mouth_fill_changes_the_open_mouth(mouth_fill_pair):
    m = mouth_fill_pair
    assert m["opening"] > 0.08, "no clearly open mouth in the driving clip"
    assert m["area"] > m["photo_area"] + 0.02, "the photo's mouth should open wider"
    inside_mean = float(m["diff"][m["inside"]].mean())
    assert inside_mean > 10, f"mouth_fill changed the inside of the mouth by {inside_mean:.1f}"


def test_mouth_fill_changes_nothing_beyond_its_feather(mouth_fill_pair):
    """Beyond the fill's feathered edge (0.08 IOD, ~15 px here) the two results are identical."""
    m = mouth_fill_pair
    outside = int(m["diff"][m["dist"] > 0.08 * m["iod"]].max())
    assert outside <= 1


def test_mouth_fill_changes_nothing_outside_the_mouth_polygon(mouth_fill_pair):
    m = mouth_fill_pair
    # 2 px: the synthesised fill is drawn to the edge of the library's own opening (no erosion:
    # its dark rim is the inner lip's edge), whose points stray from the model's: measured on this
    # frame by up to 4.3 px at the points, the changed pixels reaching 1.53 px
    # outside the model's polygon (the eroded fill before: under 1.5 px).
    outside = int(m["diff"][m["dist"] > MOUTH_STRAY].max())
    assert outside <= 1, f"mouth fill changed a pixel {MOUTH_STRAY} px outside the mouth by {outside} levels"


# ------------------------------------------------------------------------------------------------
# reenact_video end to end
# ------------------------------------------------------------------------------------------------

def _streams(path):
    info = probe(path)["streams"]
    video = [s for s in info if s["codec_type"] == "video"]
    audio = [s for s in info if s["codec_type"] == "audio"]
    return video[0], audio


@pytest.fixture(scope="module")
def odd_photo(fs, pil):
    """fr_biden2 at 601 × 599: odd sizes (the reenactor drops the last column and row)."""
    img = fs.load_image(FACES / PHOTO)
    rgb = pil.fromarray(img[:, :, ::-1].copy()).resize((601, 599), pil.BILINEAR)
    return np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])


def test_reenact_video_end_to_end(fs, tmp_path, odd_photo):
    clip = VIDEOS / "vr_face3.mp4"
    calls = []
    out = tmp_path / "out.mp4"
    stats = fs.reenact_video(odd_photo, clip, out, progress=lambda d, t: calls.append((d, t)))
    video, audio = _streams(out)
    n_driver = int(_streams(clip)[0]["nb_read_frames"])
    print(f"reenact_video: {stats}; output {video['width']}x{video['height']}, "
          f"{video['nb_read_frames']} frames, {len(audio)} audio stream(s); {len(calls)} progress "
          f"calls, last {calls[-1] if calls else None}")
    FIGURES["reenact_video vr_face3 (601x599 photo)"] = (
        f"{stats['frames']} frames in {stats['seconds']:.2f} s, "
        f"{stats['frames_with_faces']} with faces")
    assert int(video["nb_read_frames"]) == n_driver == stats["frames"]
    assert stats["frames_with_faces"] == n_driver
    assert len(audio) == 1
    assert (int(video["width"]), int(video["height"])) == (600, 598)
    done = [d for d, _ in calls]
    assert done == sorted(done) and len(set(done)) == len(done), "progress must increase"
    assert done[-1] == n_driver
    assert all(t >= d or t == 0 for d, t in calls)
    assert sorted(os.listdir(tmp_path)) == ["out.mp4"]


def test_reenact_video_side_by_side(fs, tmp_path, odd_photo):
    clip = VIDEOS / "vr_face3.mp4"
    with fs.Reenactor(odd_photo) as r:
        stats = r.video(clip, tmp_path / "sbs.mp4", side_by_side=True)
        again = r.video(clip, tmp_path / "again.mp4")  # the reenactor may be reused
    video, audio = _streams(tmp_path / "sbs.mp4")
    drv = _streams(clip)[0]
    driver_w = int(round(int(drv["width"]) * 598 / int(drv["height"]))) & ~1
    print(f"side by side: {video['width']}x{video['height']} (driver part {driver_w})")
    assert (int(video["width"]), int(video["height"])) == (600 + driver_w + 8, 598)
    assert int(video["nb_read_frames"]) == stats["frames"] == int(drv["nb_read_frames"])
    assert len(audio) == 1
    assert again["frames"] == stats["frames"]


def test_reenact_video_crf_and_preset(fs, tmp_path, odd_photo):
    """crf and preset reach fs_reenact_video (fs_reenact_options.crf/.preset): lossless is far
    larger than crf 51; out-of-range values are the library's INVALID_ARGUMENT, no file left."""
    clip = tmp_path / "one_second.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(VIDEOS / "vr_face3.mp4"), "-t", "1",
                    "-c:v", "libx264", "-crf", "10", "-an", str(clip)], check=True)
    with fs.Reenactor(odd_photo) as r:
        lossless = r.video(clip, tmp_path / "crf0.mp4", crf=0, preset="ultrafast")
        small = r.video(clip, tmp_path / "crf51.mp4", crf=51)
        assert lossless["frames"] == small["frames"] > 0
        big, tiny = (tmp_path / "crf0.mp4").stat().st_size, (tmp_path / "crf51.mp4").stat().st_size
        print(f"reenact_video crf 0 ultrafast: {big} bytes; crf 51: {tiny} bytes")
        assert big > 20 * tiny
        for kwargs, word in (({"crf": 52}, "crf"), ({"crf": -1}, "crf"), ({"preset": "warp"}, "preset")):
            with pytest.raises(fs.FaceSwapError) as e:
                r.video(clip, tmp_path / "bad.mp4", **kwargs)
            assert e.value.status == fs.Status.INVALID_ARGUMENT and word in e.value.message, kwargs
    assert sorted(os.listdir(tmp_path)) == ["crf0.mp4", "crf51.mp4", "one_second.mp4"]
    video = {o["name"]: o for o in fs.options("video")}
    assert (video["crf"]["default"], video["preset"]["default"]) == (18, "veryfast")


def test_reenact_video_cancel(fs, tmp_path, odd_photo):
    clip = VIDEOS / "vr_face3.mp4"
    calls = []

    def stop_at_10(done, total):
        calls.append(done)
        return done < 10

    with pytest.raises(fs.FaceSwapError) as e:
        fs.reenact_video(odd_photo, clip, tmp_path / "cancelled.mp4", progress=stop_at_10)
    assert e.value.status == fs.Status.CANCELLED
    assert calls[-1] == 10
    assert os.listdir(tmp_path) == [], "a cancelled job must leave no file"


def test_reenact_video_callback_exception_cancels_and_is_raised(fs, tmp_path, odd_photo):
    clip = VIDEOS / "vr_face3.mp4"
    calls = []

    class Boom(Exception):
        pass

    def explode(done, total):
        calls.append(done)
        if done == 3:
            raise Boom("from the callback")

    with pytest.raises(Boom):
        fs.reenact_video(odd_photo, clip, tmp_path / "boom.mp4", progress=explode)
    assert calls == [1, 2, 3], "the job must stop at the exception"
    assert os.listdir(tmp_path) == []


def test_reenact_video_bad_paths(fs, tmp_path, odd_photo):
    with fs.Reenactor(odd_photo) as r:
        with pytest.raises(fs.FaceSwapError) as e:
            r.video(tmp_path / "missing.mp4", tmp_path / "out.mp4")
        assert e.value.status in (fs.Status.IO, fs.Status.DECODE)
        not_video = tmp_path / "not_a_video.mp4"
        not_video.write_bytes(b"\0" * 4096)
        with pytest.raises(fs.FaceSwapError) as e:
            r.video(not_video, tmp_path / "out.mp4")
        assert e.value.status in (fs.Status.IO, fs.Status.DECODE)
    assert sorted(os.listdir(tmp_path)) == ["not_a_video.mp4"]


# ------------------------------------------------------------------------------------------------
# The binding's push
# ------------------------------------------------------------------------------------------------

def test_push_channel_order_and_layouts(fs, det, lm, odd_photo):
    frames = read_frames("vr_face3.mp4")
    with fs.Reenactor(odd_photo, det, lm) as a, \
            fs.Reenactor(np.ascontiguousarray(odd_photo[:, :, ::-1]), det, lm,
                         channel_order="rgb") as b:
        assert a.size == b.size == (600, 598)
        for i in range(4):
            f = frames[i]
            bgr = a.push(f, i / 25)
            rgb = b.push(f[:, :, ::-1], i / 25)  # a reversed view: copied in, any layout works
            assert bgr.shape == (598, 600, 3)
            np.testing.assert_array_equal(bgr, rgb[:, :, ::-1])
    # Frames 9 and 10 have the mouth closed (frame 0 is mid-word: its mouth's neutral is that
    # mouth closed, so the photo's opens).
    with fs.Reenactor(odd_photo, det, lm) as a:
        first = a.push(frames[9])
        np.testing.assert_array_equal(first, odd_photo[:598, :600])  # neutral: the photo
        a.push(frames[40])
        a.reset()
        np.testing.assert_array_equal(a.push(frames[10]), odd_photo[:598, :600])  # new neutral


# ------------------------------------------------------------------------------------------------
# Bad input
# ------------------------------------------------------------------------------------------------

def test_photo_without_face_is_no_face(fs):
    noface = fs.load_image(FACES / NOFACE)
    with pytest.raises(fs.FaceSwapError) as e:
        fs.Reenactor(noface)
    assert e.value.status == fs.Status.NO_FACE
    with pytest.raises(fs.FaceSwapError) as e:
        fs.reenact_video(FACES / NOFACE, VIDEOS / "vr_face3.mp4", "/nonexistent/never.mp4")
    assert e.value.status == fs.Status.NO_FACE


def test_driving_frame_without_face_gives_the_photo(fs, det, lm, odd_photo):
    noface = fs.load_image(FACES / NOFACE)
    grey = np.full((360, 640, 3), 128, np.uint8)
    frames = read_frames("vr_face4.mp4")
    expected = odd_photo[:598, :600]
    with fs.Reenactor(odd_photo, det, lm) as r:
        np.testing.assert_array_equal(r.push(noface), expected)        # before any face
        np.testing.assert_array_equal(r.push(grey), expected)
        for i in range(0, 60, 3):                                       # neutral, then motion
            moved = r.push(frames[i])
        assert np.abs(moved.astype(int) - expected).mean() > 0.5
        np.testing.assert_array_equal(r.push(noface), expected)        # after a face
        np.testing.assert_array_equal(r.push(grey), expected)


@pytest.mark.parametrize("option,value", [
    ("expression", -0.1), ("expression", 2.01), ("expression", float("nan")),
    ("head_motion", -0.01), ("head_motion", 2.01), ("head_motion", float("inf")),
    ("detect_interval", 0), ("detect_interval", 1001), ("detect_interval", 1 << 40),
    ("min_cutoff", -1.0), ("beta", -0.5), ("scene_cut", 0.0), ("scene_cut", 256.0),
    ("mouth_fill", -1), ("mouth_fill", 3),
])
def test_options_out_of_range_are_invalid_argument(fs, det, lm, odd_photo, option, value):
    with pytest.raises(fs.FaceSwapError) as e:
        fs.Reenactor(odd_photo, det, lm, **{option: value})
    assert e.value.status == fs.Status.INVALID_ARGUMENT
    name = option.replace("_", "")
    assert name in e.value.message.replace("_", "").lower(), e.value.message


def test_options_at_the_limits_are_accepted(fs, det, lm, odd_photo):
    frames = read_frames("vr_face3.mp4")
    for opts in ({"expression": 0.0, "head_motion": 0.0}, {"expression": 2.0, "head_motion": 1.0},
                 {"detect_interval": 1000, "min_cutoff": 0.0, "beta": 0.0, "scene_cut": 255.0}):
        with fs.Reenactor(odd_photo, det, lm, **opts) as r:
            for i in range(3):
                assert r.push(frames[i * 20]).shape == (598, 600, 3)


def test_expression_and_head_motion_zero_keep_the_photo(fs, det, lm, odd_photo):
    """expression 0 and head_motion 0: every target point is the photo's own, so the warp is the
    identity and only the mouth fill could change anything (it is off here)."""
    frames = read_frames("vr_face4.mp4")
    with fs.Reenactor(odd_photo, det, lm, expression=0.0, head_motion=0.0, mouth_fill=False) as r:
        for i in range(0, 120, 10):
            out = r.push(frames[i])
            d = np.abs(out.astype(int) - odd_photo[:598, :600])
            assert d.max() <= 1, f"frame {i}: max change {d.max()}"


def test_closed_handle_and_bad_arguments(fs, det, lm, odd_photo):
    r = fs.Reenactor(odd_photo, det, lm)
    with pytest.raises(TypeError):
        r.push(np.zeros((10, 10, 3), np.float32))
    with pytest.raises(ValueError):
        r.push(np.zeros((10, 10, 3), np.uint8), channel_order="xyz")
    with pytest.raises(TypeError):
        r.video(VIDEOS / "vr_face3.mp4", "/tmp/x.mp4", progress=42)
    r.close()
    r.close()
    with pytest.raises(ValueError):
        r.push(np.zeros((10, 10, 3), np.uint8))


# ------------------------------------------------------------------------------------------------
# The ctypes mirror
# ------------------------------------------------------------------------------------------------

def test_reenact_and_stream_options_defaults(fs):
    """new_options fills the structs at the binding's size with the library's defaults (the
    layouts themselves are checked against the header by test_capi_header.py)."""
    import ctypes
    capi = fs.capi
    d, _ = capi.new_options(capi.fs_reenact_options)
    assert d.struct_size == ctypes.sizeof(capi.fs_reenact_options)
    assert (d.expression, d.head_motion, d.mouth_fill, d.side_by_side) == (1.0, 1.0, 1, 0)
    assert not d.stream  # NULL: the stream defaults
    assert d.crf == 18 and not d.preset  # NULL: "veryfast"
    st, _ = capi.new_options(capi.fs_stream_options)
    assert st.detect_interval == 5 and st.struct_size == ctypes.sizeof(capi.fs_stream_options)
