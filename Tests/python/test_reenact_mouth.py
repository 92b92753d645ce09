"""Reenactment: a closed-mouth photo whose mouth opens gets a believable interior (issue 12 item 3).

The real library through the Python binding: held-out closed-mouth portraits (MANIFEST.tsv:
fr_rose_leslie1, fr_obama1) driven by the talking clip vr_face4.mp4, whose speaker opens his
mouth wide. The driver's landmarks are fitted afresh on every frame (test_reenact's helpers) and
carried to the photo by the documented model (reenact_model.Model): the expected inner-lip
polygon of the output, independent of the library's own points. The reenactor runs with raw
tracking (detect every frame, no smoothing) so its points are the model's.

On the frames where the expected mouth is open (centre gap 62-66 at least OPEN of the photo's
eye distance), each pixel inside the polygon is placed in the mouth's frame (s along the inner
corners 60 -> 64, f its share of the local opening from the upper inner lip 60-64 to the lower
60, 67, 66, 65, 64), and the output is measured against the photo's own lips and cheeks
(measured on the photo with its own landmark fit):

1. a cavity: the middle of the opening (f 0.45-0.7, the central half across) is far darker
   than the photo's lips and skin;
2. teeth: on wide frames (gap >= WIDE) the upper fifth of the opening's middle holds a band far
   brighter than the cavity and brighter than the lips;
3. provenance: the driver's frames tinted strongly (blue and red swapped, then blue up and red
   down, numpy): the synthesised interior's mean hue share (Cb, Cr over Y, `hue_share`) stays put
   (under 2.5 %), while the driver copy (mouth_fill 2) moves with the tint (over 5 %): the
   measure can fail. Measured: 1.3-1.4 % against 7.4-8.3 %; the copy moves less than the tint
   because its colour is matched to the photo's lips, which takes out the tint's mean;
4. the photo's lips outside the polygon (beyond STRAY px) are unchanged against mouth_fill 0 to 1
   level, for mouth_fill 1 and 2. STRAY 4 px, not test_reenact's 1.5: the model has no fold guard
   (the library's `unfolded`), and at the wide openings here the library's inner-lip points stray
   from the model's by up to 3.9 px (measured, fr_obama1 frame 99). The synthesised fill is drawn
   to the library's own opening's edge (no erosion: its dark rim is the inner lip's edge) and
   changed pixels up to 3.35 px outside the model's polygon there (fr_obama1 frames 96, 99,
   fr_rose_leslie1 frame 99); the eroded fill before it reached 2.4 px, and mouth_fill 2 (the
   driver copy, eroded by two feathers) 1.9 px;
5. beyond the mouth's box (the lips' points, padded by 0.1 eye distance + 6 px) nothing changes
   at all against mouth_fill 0.

Figures: section "reenactment mouth figures" at the end of the run.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import FACES, FIGURES, TABLES
from reenact_model import Model, down
from test_reenact import (INNER_MOUTH, RAW_TRACKING, det, interocular, landmarks_in, lm,  # noqa: F401
                          polygon_distance, polygon_mask, read_frames)

CLIP, FPS = "vr_face4.mp4", 30.0
FRAMES = 100                 # the clip's first frames: several wide openings
PORTRAITS = ["fr_rose_leslie1.jpg", "fr_obama1.jpg"]
# Every test here is a case of the portrait sweep (FS_SWEEP_SAMPLE: see conftest.py).
pytestmark = pytest.mark.sweep
OPEN, WIDE = 0.12, 0.2       # centre inner-lip gap over the photo's eye distance
STRAY = 4.0                  # px outside the model's opening where the lips must be unchanged (item 4)
PICKS = 6                    # measured frames: the widest, at least 3 frames apart
# The tinted driver: blue and red swapped (a hue turn: skin and lips blue-violet), then blue
# raised and red lowered.
def tint(frames):
    return np.clip(frames[..., ::-1].astype(np.float64) * [1.2, 1.0, 0.8], 0, 255).astype(np.uint8)
TABLE = TABLES.setdefault("reenactment mouth figures", [])


def luma(bgr):
    bgr = np.asarray(bgr, np.float64)
    return 0.114 * bgr[..., 0] + 0.587 * bgr[..., 1] + 0.299 * bgr[..., 2]


def chroma(bgr):
    """(Cb, Cr) per pixel, BT.601, centred on 0."""
    bgr = np.asarray(bgr, np.float64)
    y = luma(bgr)
    return np.stack([0.564 * (bgr[..., 0] - y), 0.713 * (bgr[..., 2] - y)], -1)


def hue_share(bgr):
    """(Cb, Cr) per pixel over its luma (at least 16), in percent: the colour's direction and
    strength whatever its brightness, so the mix of dark and bright pixels in a region (where the
    mouth's outline falls) weighs less than in a plain mean of (Cb, Cr)."""
    return 100 * chroma(bgr) / np.maximum(luma(bgr), 16)[..., None]


def edge_distance(poly, shape):
    """Per pixel, the distance to the polygon's outline (inside and out)."""
    h, w = shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    best = np.full((h, w), np.inf)
    for i in range(len(poly)):
        a, b = poly[i], poly[(i + 1) % len(poly)]
        ab = b - a
        t = np.clip(((xs - a[0]) * ab[0] + (ys - a[1]) * ab[1]) / (float(ab @ ab) or 1.0), 0, 1)
        np.minimum(best, np.hypot(xs - (a[0] + t * ab[0]), ys - (a[1] + t * ab[1])), out=best)
    return best


def mouth_frame(pts, shape):
    """Per pixel: s (0-1 along the inner corners 60 -> 64) and f (0 at the upper inner lip, 1 at
    the lower), from the expected points."""
    c0, c1 = pts[60], pts[64]
    u = (c1 - c0) / np.linalg.norm(c1 - c0)
    n = np.array([-u[1], u[0]])
    w = float(np.linalg.norm(c1 - c0))
    h, wd = shape[:2]
    ys, xs = np.mgrid[0:h, 0:wd].astype(np.float64)
    s = (xs - c0[0]) * u[0] + (ys - c0[1]) * u[1]
    v = (xs - c0[0]) * n[0] + (ys - c0[1]) * n[1]

    def curve(idx):
        q = (pts[idx] - c0) @ np.stack([u, n], 1)
        order = np.argsort(q[:, 0])
        return np.interp(s, q[order, 0], q[order, 1])

    vu, vl = curve([60, 61, 62, 63, 64]), curve([60, 67, 66, 65, 64])
    return s / w, (v - vu) / np.maximum(vl - vu, 1)


def centre_gap(pts, iod):
    return float((pts[66] - pts[62]) @ down(pts)) / iod


def photo_colours(photo, p):
    """The photo's lips (the ring between the outer and inner lip polygons) and cheeks (below
    each eye, between the nostril, the mouth corner and the jaw): mean BGR."""
    ring = polygon_mask(p[48:60], photo.shape) & ~polygon_mask(p[60:68], photo.shape)
    cheeks = polygon_mask(p[[41, 31, 48, 4]], photo.shape) | polygon_mask(p[[46, 12, 54, 35]], photo.shape)
    return photo[ring].mean(0), photo[cheeks].mean(0)


_cache: dict = {}


@pytest.fixture(scope="module", params=PORTRAITS)
def mouth(request, fs, det, lm):
    """Per portrait: the photo, its points and colours, the picked open frames with their
    expected points, and the outputs of mouth_fill 0, 1, 2 on the driver and 1, 2 on the
    tinted driver at those frames."""
    name = request.param
    if name in _cache:
        return _cache[name]
    img = fs.load_image(FACES / name)
    photo = img[: img.shape[0] & ~1, : img.shape[1] & ~1].copy()
    p0 = landmarks_in(det, lm, photo)
    assert p0 is not None, name
    iod = interocular(p0)
    frames = read_frames(CLIP)[:FRAMES]
    model, expected = Model(p0), {}
    for i, f in enumerate(frames):
        d = landmarks_in(det, lm, f)
        if d is not None:
            expected[i] = model(d)
    gaps = {i: centre_gap(q, iod) for i, q in expected.items()}
    picks = []
    for i in sorted(gaps, key=gaps.get, reverse=True):
        if gaps[i] >= OPEN and len(picks) < PICKS and all(abs(i - j) >= 3 for j in picks):
            picks.append(i)
    picks.sort()
    tinted = tint(frames)
    outs = {}
    for key, fill, src in [("off", 0, frames), ("synth", 1, frames), ("driver", 2, frames),
                           ("synth tinted", 1, tinted), ("driver tinted", 2, tinted)]:
        got = {}
        with fs.Reenactor(photo, det, lm, mouth_fill=fill, **RAW_TRACKING) as r:
            for i in range(max(picks) + 1 if picks else 0):
                out = r.push(src[i], i / FPS)
                if i in picks:
                    got[i] = out
        outs[key] = got
    lips, skin = photo_colours(photo, p0)
    _cache[name] = dict(name=name, photo=photo, p0=p0, iod=iod, picks=picks, gaps=gaps,
                        expected=expected, outs=outs, lips=lips, skin=skin)
    TABLE.append(f"{CLIP} -> {name}: eye distance {iod:.1f} px; frames {picks} (centre gaps "
                 + ", ".join(f"{gaps[i]:.2f}" for i in picks) + f" of it); photo lips Y "
                 f"{luma(lips):.0f}, cheeks Y {luma(skin):.0f}")
    return _cache[name]


def regions(m, i):
    """The expected polygon's masks at frame i: core (inside, >= 2 px from the outline; the fill's
    feather), cavity and teeth probes, and the distance outside the polygon."""
    pts = m["expected"][i]
    poly = pts[INNER_MOUTH]
    shape = m["photo"].shape
    inside = polygon_mask(poly, shape)
    core = inside & (edge_distance(poly, shape) >= 2)
    s, f = mouth_frame(pts, shape)
    middle = (s >= 0.25) & (s <= 0.75)
    return dict(core=core, cavity=core & middle & (f >= 0.45) & (f <= 0.7),
                teeth=core & middle & (f <= 0.2), outside=polygon_distance(poly, shape))


def test_there_are_open_frames(mouth):
    g = [mouth["gaps"][i] for i in mouth["picks"]]
    assert len(g) >= 3, f"only {len(g)} frames open at least {OPEN} of the eye distance"
    assert max(g) >= WIDE, f"the widest expected opening is {max(g):.2f} of the eye distance"


def test_the_open_mouth_is_a_dark_cavity(mouth):
    m = mouth
    ref = min(luma(m["lips"]), luma(m["skin"]))
    worst = 0.0
    for i in m["picks"]:
        r = regions(m, i)
        assert r["cavity"].sum() >= 10, f"frame {i}: {r['cavity'].sum()} cavity pixels"
        worst = max(worst, float(luma(m["outs"]["synth"][i][r["cavity"]]).mean()) / ref)
    TABLE.append(f"{m['name']}: cavity mean Y at most {worst:.2f} of min(lips, cheeks) over the frames")
    FIGURES[f"reenact mouth {m['name']}: cavity Y / min(lips, skin) (worst frame)"] = f"{worst:.2f}"
    assert worst < 0.45, f"the mouth's middle is {worst:.2f} as bright as the photo's lips/skin"


def test_teeth_show_under_the_upper_lip_when_wide(mouth):
    m = mouth
    wide = [i for i in m["picks"] if m["gaps"][i] >= WIDE]
    assert wide, "no wide frame"
    lips_y = luma(m["lips"])
    rows = []
    for i in wide:
        r = regions(m, i)
        out = m["outs"]["synth"][i]
        teeth = float(np.percentile(luma(out[r["teeth"]]), 75))
        cavity = float(luma(out[r["cavity"]]).mean())
        rows.append((i, teeth, cavity))
    TABLE.append(f"{m['name']}: wide frames (frame, upper band Y p75, cavity Y): "
                 + ", ".join(f"({i}, {t:.0f}, {c:.0f})" for i, t, c in rows) + f"; lips Y {lips_y:.0f}")
    for i, teeth, cavity in rows:
        assert teeth > 1.15 * lips_y and teeth > 2.5 * cavity, (
            f"frame {i}: the band under the upper lip reads Y {teeth:.0f} (lips {lips_y:.0f}, "
            f"cavity {cavity:.0f})")


def test_the_interior_colour_is_the_photos_not_the_drivers(mouth):
    m = mouth
    shift = {}
    for mode in ("synth", "driver"):
        d = []
        for i in m["picks"]:
            core = regions(m, i)["core"]
            a = hue_share(m["outs"][mode][i][core]).mean(0)
            b = hue_share(m["outs"][mode + " tinted"][i][core]).mean(0)
            d.append(np.abs(b - a).max())
            plain = np.abs(chroma(m["outs"][mode + " tinted"][i][core]).mean(0) - chroma(m["outs"][mode][i][core]).mean(0)).max()
            TABLE.append(f"  {mode} frame {i}: hue share {a.round(1)} -> {b.round(1)}; plain chroma moves {plain:.1f} levels")
        shift[mode] = float(np.max(d))
    TABLE.append(f"{m['name']}: tinted driver (blue/red swapped): interior hue share (Cb, Cr over Y) moves "
                 f"at most {shift['synth']:.1f} % synthesised, {shift['driver']:.1f} % copied")
    FIGURES[f"reenact mouth {m['name']}: hue share moved by the driver's tint, synthesised / copied"] = \
        f"{shift['synth']:.1f} / {shift['driver']:.1f} %"
    assert shift["driver"] > 5, f"the driver copy moved only {shift['driver']:.1f} %: the tint is too weak to tell"
    assert shift["synth"] < 2.5, f"the synthesised interior moved {shift['synth']:.1f} % with the driver's tint"


@pytest.mark.parametrize("mode", ["synth", "driver"])
def test_the_lips_outside_the_opening_stay(mouth, mode):
    m = mouth
    worst = {}
    for i in m["picks"]:
        r = regions(m, i)
        diff = np.abs(m["outs"][mode][i].astype(int) - m["outs"]["off"][i].astype(int)).max(2)
        worst[i] = int(diff[r["outside"] > STRAY].max())
    TABLE.append(f"{m['name']} {mode}: largest change beyond {STRAY} px outside the model's opening, per frame: {worst}")
    assert max(worst.values()) <= 1, f"the fill changed a pixel beyond {STRAY} px outside the opening: {worst}"


def test_nothing_changes_beyond_the_mouth(mouth):
    m = mouth
    for i in m["picks"]:
        pts = m["expected"][i][48:68]
        pad = 0.1 * m["iod"] + 6
        (x0, y0), (x1, y1) = np.floor(pts.min(0) - pad).astype(int), np.ceil(pts.max(0) + pad).astype(int)
        box = np.zeros(m["photo"].shape[:2], bool)
        box[max(y0, 0):y1 + 1, max(x0, 0):x1 + 1] = True
        for mode in ("synth", "driver"):
            diff = np.abs(m["outs"][mode][i].astype(int) - m["outs"]["off"][i].astype(int)).max(2)
            assert int(diff[~box].max()) == 0, f"frame {i}, {mode}: a pixel beyond the mouth's box changed"
