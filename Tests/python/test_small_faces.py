"""Small faces and crowds with the default options (issue 16 item 3), measured face by face.

The detector's default (upsample -1, automatic) scans a photo at the fast scale, then finer when
the photo is small, nothing was found or a face is near the smallest size (test_detect.py covers
the detector alone). This file checks what the issue asks of the whole swap:

(a) the shared group photos, with the defaults and samples/source.jpg as the source:
    - the detection count against the MANIFEST's dlib HOG (upsample 1) count;
    - identity per face: the result's face (re-detected) is nearer the source photo than the
      target's own face (dlib ResNet distances, as in test_swap.py);
    - a mask per face: the swap mask's connected components are one per face, each inside its
      face's box;
    - a colour match per face: the mean CIE Lab colour of each result face (inner face: the hull
      of landmarks 17-67, fitted on the target) is nearer its own target face than the source's
      colour, and faces of clearly different tone in one photo keep their difference;
    - the edge measure (edge_measure.py) per face, printed.
(b) 0.35x copies (area-averaged) of single portraits, faces of 38-73 px: the default finds the
    face, the swap runs, identity measured, and the result's landmarks (fitted afresh on a 2x
    upscale of the result) against the full-size target's landmarks scaled to 0.35.
(d) a small face drawn from a large source is filtered, not aliased: the swap made at the small
    size against the same swap made at 4x that size and area-averaged down (the rendering sampling
    theory asks for), on the same landmarks scaled, PSNR inside the face (OpenCV's INTER_AREA).
(e) the same in time: a small face moved by sub-pixel steps (true landmarks), each output moved
    back; consecutive frames differ inside the face by at most a few times what the target's own
    frames, moved back the same way, differ by (the resampling's floor).
(c) video stays on the fast path: a frame of the Hamilton clip's wide shot (MANIFEST: "wide shot
    w/ small face (0-1.5s)") and a shrunk portrait, whose small face the default detector finds
    in a photo but the fast scan does not, give no face to a Stream built on the same swapper.

Every figure is computed here (numpy, Pillow, scipy.ndimage for the components); the tables are
printed at the end of the run.
"""

from __future__ import annotations

import io
import subprocess

import cv2
import numpy as np
import pytest
from PIL import Image as PILImage, ImageDraw
from scipy import ndimage

from conftest import DATA, FACES, REPO, TABLES, read_manifest
from edge_measure import edge_step, srgb_to_lab
from swap_measure import convex_hull, interocular, match_faces, rect_iou

SOURCE = REPO / "samples" / "source.jpg"
GROUPS = ["sn_classroom_in_tanzania.jpg", "dlib_bald_guys_collage.jpg", "fr_two_people_obama_biden.jpg"]
MANIFEST = {r["file"]: r for r in read_manifest()}

# The MANIFEST's count is dlib's own HOG with upsample 1 (pyramid_up). On the classroom, checked
# with a small C++ program against Debian's dlib 19.24: 4 faces when dlib scans the colour image
# (its fHOG takes each pixel's strongest channel gradient, as dlib's Python API does with an RGB
# array), 3 on the grey image. This library scanned grey (3 faces, a strict xfail here until
# issue 16 item 3); it now scans photos in colour as dlib does (video frames stay grey) and the
# default finds 7 of the ~22 (scores 0.014-0.63).

# Faces the swap leaves nearer the target's own face, measured (ResNet distances of the result's
# face to the source photo and to the target's face). The classroom's 44 px face 5 is one the
# colour scan added (issue 16 item 3); the three found before still pass.
IDENTITY_XFAIL = {
    "sn_classroom_in_tanzania.jpg":
        "face 5 of 7 (44 px, found by the colour scan): d(source) 0.632 >= d(target) 0.595",
}

TABLE_GROUP = ("small faces: group photos, default options, samples/source.jpg swapped onto every "
               "face (d: ResNet distance of the result's face; ΔE: CIE76 of inner-face Lab means; "
               "edge: edge_measure.py worst / mean sector)")
TABLE_SMALL = ("small faces: portraits at 0.35x, default options (lm err: mean landmark error of a "
               "fresh fit on the 2x upscaled result / IOD, vs the full-size target's landmarks x 0.35)")


def rgb(bgr: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(bgr[..., :3][..., ::-1])


def inner_face(landmarks: np.ndarray, shape) -> np.ndarray:
    """Boolean mask of the hull of landmarks 17-67 (brows, eyes, nose, mouth): the inner face,
    where the swapped face's colour is measured."""
    m = PILImage.new("L", (shape[1], shape[0]), 0)
    ImageDraw.Draw(m).polygon([(float(x), float(y)) for x, y in convex_hull(landmarks[17:68])], fill=255)
    return np.asarray(m) > 0


def lab_mean(img_bgr: np.ndarray, region: np.ndarray) -> np.ndarray:
    return srgb_to_lab(rgb(img_bgr))[region].mean(0)


@pytest.fixture(scope="module")
def default_detector(fs):
    with fs.Detector() as d:  # every option the library's default: upsample -1 (automatic)
        yield d


@pytest.fixture(scope="module")
def source(fs, default_detector, landmarker, recognizer):
    """(image, 68 landmarks, embedding) of samples/source.jpg's face."""
    img = fs.load_image(SOURCE)
    face = landmarker.fit(img, default_detector.detect(img)[0])
    return img, face, recognizer.embed(img, face)


# ------------------------------------------------------------------------------------------------
# (a) group photos
# ------------------------------------------------------------------------------------------------

_GROUP: dict = {}


def group(fs, detector, landmarker, recognizer, source, name) -> dict:
    """The swap of every face of `name` with the defaults, and the per-face figures."""
    if name in _GROUP:
        return _GROUP[name]
    src, src_face, src_emb = source
    tgt = fs.load_image(FACES / name)
    detected = detector.detect(tgt)
    with fs.Swapper(detector, landmarker) as sw, sw.prepare(src) as so:
        faces = sw.targets(tgt)  # the faces the swap replaces, with landmarks fitted on the target
        out, mask, n = sw.swap(so, tgt, return_mask=True)
    labels, n_components = ndimage.label(mask > 0)
    boxes = ndimage.find_objects(labels)
    found = [landmarker.fit(out, f) for f in detector.detect(out)]
    src_lab = lab_mean(src, inner_face(src_face.landmarks.astype(np.float64), src.shape))
    rows = []
    for face, again in zip(faces, match_faces(faces, found)):
        pts = face.landmarks.astype(np.float64)
        region = inner_face(pts, tgt.shape)
        row = {"target_lab": lab_mean(tgt, region), "result_lab": lab_mean(out, region),
               "edge": edge_step(rgb(tgt), rgb(out), pts), "box": tuple(face.box), "rect": tuple(face.rect)}
        # the mask component that covers most of this face's inner face
        row["component"] = int(np.bincount(labels[region], minlength=n_components + 1)[1:].argmax()) + 1
        if again is not None:
            emb = recognizer.embed(out, again)
            row["d_source"] = fs.embedding_distance(emb, src_emb)
            row["d_target"] = fs.embedding_distance(emb, recognizer.embed(tgt, face))
        rows.append(row)
    g = {"detected": len(detected), "faces": rows, "swapped": n, "components": n_components,
         "component_boxes": boxes, "source_lab": src_lab}
    _GROUP[name] = g

    lines = TABLES.setdefault(TABLE_GROUP, [])
    lines.append(f"{name}: default finds {len(detected)} (MANIFEST: {MANIFEST['faces/' + name]['faces_visible']} "
                 f"visible, dlib HOG up1 {MANIFEST['faces/' + name]['hog_dets_up1']}); swapped {n}; "
                 f"mask components {n_components}")
    for i, r in enumerate(rows):
        ident = (f"d(src) {r['d_source']:.3f} d(tgt) {r['d_target']:.3f}" if "d_source" in r
                 else "not re-detected")
        own = np.linalg.norm(r["result_lab"] - r["target_lab"])
        lines.append(f"  face {i:2d} ({r['rect'][2]:.0f} px): {ident}; ΔE(result, own target) {own:.2f}, "
                     f"ΔE(source, target) {np.linalg.norm(src_lab - r['target_lab']):.2f}, L shift "
                     f"{r['result_lab'][0] - src_lab[0]:+.1f}; edge {r['edge']['worst']:.2f} / {r['edge']['mean']:.2f}")
    return g


def cases(names, xfails=None):
    """One pytest case per photo, strict xfail where `xfails` gives the measured reason."""
    return [pytest.param(n, marks=[pytest.mark.xfail(strict=True, reason=xfails[n])] if n in (xfails or {}) else [],
                         id=n.split(".")[0]) for n in names]


@pytest.mark.sweep
@pytest.mark.parametrize("name", cases(GROUPS))
def test_group_detection_count_matches_the_manifest(fs, default_detector, landmarker, recognizer, source, name):
    """The default finds at least as many faces as the MANIFEST's dlib HOG (upsample 1), and no
    more than the MANIFEST's count of visible faces (the classroom's "~22": 22)."""
    g = group(fs, default_detector, landmarker, recognizer, source, name)
    row = MANIFEST["faces/" + name]
    expected, visible = int(row["hog_dets_up1"]), int(row["faces_visible"].split()[0].lstrip("~"))
    assert g["detected"] <= visible, f"{name}: the default finds {g['detected']}, {visible} visible"
    assert g["detected"] >= expected, f"{name}: the default finds {g['detected']}, dlib HOG up1 {expected}"
    assert g["swapped"] == g["detected"] == len(g["faces"])


@pytest.mark.sweep
@pytest.mark.parametrize("name", cases(GROUPS, IDENTITY_XFAIL))
def test_group_every_face_takes_the_source_identity(fs, default_detector, landmarker, recognizer, source, name):
    """Every face of the result is re-detected and nearer the source photo than the target's own
    face (ResNet distance)."""
    g = group(fs, default_detector, landmarker, recognizer, source, name)
    bad = [(i, round(r.get("d_source", -1), 3), round(r.get("d_target", -1), 3))
           for i, r in enumerate(g["faces"]) if "d_source" not in r or r["d_source"] >= r["d_target"]]
    assert not bad, f"{name}: faces (index, d(source), d(target); -1: not re-detected): {bad}"


@pytest.mark.sweep
@pytest.mark.parametrize("name", cases(GROUPS))
def test_group_every_face_has_its_own_mask(fs, default_detector, landmarker, recognizer, source, name):
    """The swap mask (pixels taking any of the source) falls into one connected component per
    face, each face covered by a different one, and each component's bounding box inside its
    face's box (the detector's box: 1.5x the face rect, centred)."""
    g = group(fs, default_detector, landmarker, recognizer, source, name)
    assert g["components"] == len(g["faces"]), f"{name}: {g['components']} mask components for {len(g['faces'])} faces"
    assert len({r["component"] for r in g["faces"]}) == len(g["faces"]), f"{name}: two faces share a mask component"
    for i, r in enumerate(g["faces"]):
        ys, xs = g["component_boxes"][r["component"] - 1]
        x, y, w, h = r["box"]
        assert x <= xs.start and xs.stop <= x + w and y <= ys.start and ys.stop <= y + h, (
            f"{name} face {i}: mask x {xs.start}-{xs.stop}, y {ys.start}-{ys.stop} outside the box {r['box']}")


# Two target faces count as clearly different in tone when their inner-face means differ by this
# many ΔE (CIE76): several just-noticeable differences (2.3).
DIFFERENT_TONE = 10.0


@pytest.mark.sweep
@pytest.mark.parametrize("name", cases(GROUPS))
def test_group_every_face_gets_its_own_colour_match(fs, default_detector, landmarker, recognizer, source, name):
    """Each result face's mean colour is nearer its own target face's than the source face's
    (measured: ΔE to its own target 1.05-7.40, largest on the classroom's darkest face, L 14;
    to the source 4.5-54); for two faces of clearly
    different tone (>= DIFFERENT_TONE apart), each result face is nearer its own target than the
    other's and the two result faces stay at least half as far apart as their targets (one match
    for all faces would make them alike). The collage (4 people, lit differently) must have such
    pairs."""
    g = group(fs, default_detector, landmarker, recognizer, source, name)
    rows, src = g["faces"], g["source_lab"]
    for i, r in enumerate(rows):
        own = np.linalg.norm(r["result_lab"] - r["target_lab"])
        from_source = np.linalg.norm(r["result_lab"] - src)
        assert own < from_source, f"{name} face {i}: ΔE(result, own target) {own:.2f} >= ΔE(result, source) {from_source:.2f}"
    pairs = 0
    for i, a in enumerate(rows):
        for j, b in enumerate(rows):
            apart = np.linalg.norm(a["target_lab"] - b["target_lab"])
            if j <= i or apart < DIFFERENT_TONE:
                continue
            pairs += 1
            assert np.linalg.norm(a["result_lab"] - a["target_lab"]) < np.linalg.norm(a["result_lab"] - b["target_lab"]), (i, j)
            assert np.linalg.norm(b["result_lab"] - b["target_lab"]) < np.linalg.norm(b["result_lab"] - a["target_lab"]), (i, j)
            kept = np.linalg.norm(a["result_lab"] - b["result_lab"])
            assert kept >= 0.5 * apart, f"{name} faces {i}, {j}: targets {apart:.2f} apart, results {kept:.2f}"
    if name == "dlib_bald_guys_collage.jpg":
        assert pairs > 0, "the collage should hold faces of clearly different tone"


# ------------------------------------------------------------------------------------------------
# (b) portraits shrunk to 0.35x
# ------------------------------------------------------------------------------------------------

SCALE = 0.35
# Frontal single portraits whose face is 38-73 px wide (the detector's rect) at 0.35x.
SHRUNK = ["fr_kit_harington1.jpg", "fr_obama_small.jpg", "fr_alex_lacamoire3_videostill.png",
          "fb_einstein2.jpg", "fr_kit_harington3.jpg"]
# Mean landmark error over the inter-ocular distance (IOD): at 0.35x the IOD is 14-26 px, and the
# landmarker alone, fitted on the unswapped shrunk target, is off by 0.026-0.040 IOD from the
# scaled full-size landmarks (measured); 0.10 IOD is 1.4-2.6 px. Measured on the results:
# 0.039-0.083 (einstein2, 82x86 px, the largest).
SHRUNK_LANDMARK_LIMIT = 0.10
IDENTITY_XFAIL = {
    "fr_alex_lacamoire3_videostill.png":
        "at 0.35x (148x138, face 54 px, a low-quality video still) the result's face is 0.724 from "
        "the source photo and 0.696 from the target's own face (ResNet on the 2x upscale)",
}

_SHRUNK: dict = {}


def shrink(img: np.ndarray, s: float) -> np.ndarray:
    """Area-averaged resize (Pillow BOX), as a camera or an editor would."""
    size = (max(1, round(img.shape[1] * s)), max(1, round(img.shape[0] * s)))
    return np.ascontiguousarray(np.asarray(PILImage.fromarray(rgb(img)).resize(size, PILImage.BOX))[..., ::-1])


def upscale2(img: np.ndarray) -> np.ndarray:
    size = (img.shape[1] * 2, img.shape[0] * 2)
    return np.ascontiguousarray(np.asarray(PILImage.fromarray(rgb(img)).resize(size, PILImage.BICUBIC))[..., ::-1])


def shrunk(fs, detector, landmarker, recognizer, source, name) -> dict:
    if name in _SHRUNK:
        return _SHRUNK[name]
    src, _, src_emb = source
    full = fs.load_image(FACES / name)
    with fs.Detector(upsample=1) as up1:
        full_face = landmarker.fit(full, up1.detect(full)[0])
    small = shrink(full, SCALE)
    # pixel centres: x_small = (x + 0.5) * s - 0.5
    truth = (full_face.landmarks.astype(np.float64) + 0.5) * SCALE - 0.5
    truth_rect = tuple(v * SCALE for v in full_face.rect)
    found = detector.detect(small)
    r = {"size": small.shape[1::-1], "found": [tuple(f.rect) for f in found], "truth_rect": truth_rect,
         "iod": interocular(truth)}
    with fs.Swapper(detector, landmarker) as sw, sw.prepare(src) as so:
        out, mask, r["swapped"] = sw.swap(so, small, return_mask=True)
    r["changed"] = int((mask > 0).sum())
    big, big_target = upscale2(out), upscale2(small)
    again = detector.detect(big)
    if again:
        fit = landmarker.fit(big, again[0])
        pts = (fit.landmarks.astype(np.float64) + 0.5) / 2 - 0.5
        r["lm_err"] = float(np.linalg.norm(pts - truth, axis=1).mean() / r["iod"])
        own = landmarker.fit(small, found[0]) if found else None
        if own is not None:
            r["target_lm_err"] = float(np.linalg.norm(own.landmarks - truth, axis=1).mean() / r["iod"])
        emb = recognizer.embed(big, fit)
        tgt_emb = recognizer.embed(big_target, landmarker.fit(big_target, detector.detect(big_target)[0]))
        r["d_source"] = fs.embedding_distance(emb, src_emb)
        r["d_target"] = fs.embedding_distance(emb, tgt_emb)
    _SHRUNK[name] = r
    TABLES.setdefault(TABLE_SMALL, []).append(
        f"{name} -> {r['size'][0]}x{r['size'][1]}: face {[round(f[2]) for f in r['found']]} px, swapped "
        f"{r['swapped']}, IOD {r['iod']:.1f} px, lm err {r.get('lm_err', float('nan')):.3f} (unswapped "
        f"target's own fit {r.get('target_lm_err', float('nan')):.3f}), d(src) {r.get('d_source', float('nan')):.3f} "
        f"d(tgt) {r.get('d_target', float('nan')):.3f}")
    return r


@pytest.mark.sweep
@pytest.mark.parametrize("name", cases(SHRUNK))
def test_shrunk_portrait_face_found_and_swapped(fs, default_detector, landmarker, recognizer, source, name):
    """The default finds the one face where the full-size face, scaled, is (IoU >= 0.5), it is
    30-80 px, and the swap replaces it."""
    r = shrunk(fs, default_detector, landmarker, recognizer, source, name)
    assert len(r["found"]) == 1, f"{name}: found {r['found']}"
    assert 30 <= r["found"][0][2] <= 80, r["found"]
    assert rect_iou(r["found"][0], r["truth_rect"]) >= 0.5, (r["found"], r["truth_rect"])
    assert r["swapped"] == 1 and r["changed"] > 0


@pytest.mark.sweep
@pytest.mark.parametrize("name", cases(SHRUNK))
def test_shrunk_portrait_landmarks_follow_the_target(fs, default_detector, landmarker, recognizer, source, name):
    r = shrunk(fs, default_detector, landmarker, recognizer, source, name)
    assert "lm_err" in r, f"{name}: the result's face was not re-detected on the 2x upscale"
    assert r["lm_err"] <= SHRUNK_LANDMARK_LIMIT, f"{name}: {r['lm_err']:.3f} IOD (IOD {r['iod']:.1f} px)"


@pytest.mark.sweep
@pytest.mark.parametrize("name", cases(SHRUNK, IDENTITY_XFAIL))
def test_shrunk_portrait_takes_the_source_identity(fs, default_detector, landmarker, recognizer, source, name):
    """The result's face (2x upscale) is nearer the source photo than the shrunk target's own face."""
    r = shrunk(fs, default_detector, landmarker, recognizer, source, name)
    assert "d_source" in r, f"{name}: the result's face was not re-detected"
    assert r["d_source"] < r["d_target"], f"{name}: d(source) {r['d_source']:.3f} >= d(target) {r['d_target']:.3f}"


# ------------------------------------------------------------------------------------------------
# (c) video stays on the fast path
# ------------------------------------------------------------------------------------------------

HAMILTON = "videos/fr_short_hamilton_clip.mp4"


def video_frame(path, seconds: float) -> np.ndarray:
    """One frame, decoded by the ffmpeg command line (not by libfaceswap), as BGR."""
    png = subprocess.run(["ffmpeg", "-v", "error", "-ss", str(seconds), "-i", str(path), "-frames:v", "1",
                          "-f", "image2pipe", "-vcodec", "png", "-"], check=True, capture_output=True).stdout
    return rgb(np.asarray(PILImage.open(io.BytesIO(png)).convert("RGB")))


# ------------------------------------------------------------------------------------------------
# (d) a small face drawn from a large source: filtered, not aliased
# ------------------------------------------------------------------------------------------------

ALIAS_TARGETS = ["fr_biden2.jpg", "fr_obama1.jpg", "sn_model_face.jpg", "fr_rose_leslie2.jpg",
                 "sn_elon_musk_2015.jpg", "fr_kit_harington3.jpg"]
ALIAS_FACES = (40, 64, 100)  # the target face's landmark extent at the small size, px
TABLE_ALIAS = ("small faces: samples/source.jpg swapped onto a face drawn small, PSNR inside the face "
               "against the same swap at 4x the size area-averaged down (dB)")
# Goals: no face under 30 dB, the mean over the 18 cases at least 35. Measured: sampling the
# full-size source (bilinear at 4-11x minification, as before 0.20.0) 28.6-37.6 dB, mean 32.7
# (5 cases under 30); from the source's pyramid level nearest above the face's size 31.0-46.2,
# mean 37.3.
ALIAS_FLOOR, ALIAS_MEAN = 30.0, 35.0
_ALIAS: dict = {}


_FULL: dict = {}


def portrait(fs, landmarker, name, face_px, k=1.0):
    """`name` resized so its face's landmarks span `face_px` × k pixels (area-averaged when it
    shrinks), the face (68 points fitted at full size, upsample 1, once per photo) and its
    landmarks there."""
    if name not in _FULL:
        full = fs.load_image(FACES / name)
        with fs.Detector(upsample=1) as up1:
            _FULL[name] = full, landmarker.fit(full, up1.detect(full)[0])
    full, face = _FULL[name]
    pts = face.landmarks.astype(np.float64)
    s = face_px * k / np.ptp(pts, axis=0).max()
    size = (round(full.shape[1] * s), round(full.shape[0] * s))
    img = cv2.resize(full, size, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    # pixel centres: x' + 0.5 = (x + 0.5) · w'/w
    scaled = (pts + 0.5) * np.array([size[0] / full.shape[1], size[1] / full.shape[0]]) - 0.5
    return img, face, scaled


def swap_at(fs, sw, so, img, face, landmarks) -> np.ndarray:
    """A copy of `img` with `so` swapped onto `face` placed at `landmarks`."""
    out = img.copy()
    sw.swap_face(so, out, fs.Face(box=face.box, rect=face.rect, score=face.score, landmarks=landmarks.astype(np.float32)))
    return out


def alias_psnr(fs, landmarker, source, so, sw, name, face_px) -> float:
    """The swap of `so` onto `name`'s face scaled to `face_px`, against the 4x swap area-averaged."""
    if (name, face_px) in _ALIAS:
        return _ALIAS[name, face_px]

    def at(k):
        img, face, scaled = portrait(fs, landmarker, name, face_px, k)
        return swap_at(fs, sw, so, img, face, scaled), scaled

    small, scaled = at(1)
    big, _ = at(4)
    reference = cv2.resize(big, small.shape[1::-1], interpolation=cv2.INTER_AREA)
    inside = np.zeros(small.shape[:2], np.uint8)
    cv2.fillConvexPoly(inside, convex_hull(scaled.astype(np.float64)).astype(np.int32), 1)
    inside = cv2.erode(inside, np.ones((3, 3), np.uint8)).astype(bool)
    d = small.astype(np.float64)[inside] - reference[inside]
    _ALIAS[name, face_px] = psnr = float(10 * np.log10(255.0 ** 2 / np.mean(d ** 2)))
    src_px = np.ptp(source[1].landmarks.astype(np.float64), axis=0).max()
    TABLES.setdefault(TABLE_ALIAS, []).append(f"{name}, face {face_px} px ({src_px / face_px:.1f}x smaller "
                                              f"than the source's): {psnr:.2f} dB")
    return psnr


@pytest.fixture(scope="module")
def alias_swapper(fs, default_detector, landmarker, source):
    with fs.Swapper(default_detector, landmarker) as sw, sw.prepare(source[0]) as so:
        yield sw, so


@pytest.mark.sweep
@pytest.mark.parametrize("name", ALIAS_TARGETS)
@pytest.mark.parametrize("face_px", ALIAS_FACES)
def test_small_face_is_filtered_not_aliased(fs, landmarker, source, alias_swapper, name, face_px):
    """A face drawn 4-11x smaller than the source's reads within ALIAS_FLOOR dB of the properly
    filtered rendering (bilinear samples of the full-size source alias its fine detail)."""
    psnr = alias_psnr(fs, landmarker, source, alias_swapper[1], alias_swapper[0], name, face_px)
    assert psnr >= ALIAS_FLOOR, f"{name} at {face_px} px: {psnr:.2f} dB against the 4x rendering"


def test_small_faces_filtered_on_average(fs, landmarker, source, alias_swapper):
    """The mean over every target and size (computed here if the cases did not run)."""
    psnr = [alias_psnr(fs, landmarker, source, alias_swapper[1], alias_swapper[0], n, p)
            for n in ALIAS_TARGETS for p in ALIAS_FACES]
    assert np.mean(psnr) >= ALIAS_MEAN, f"mean {np.mean(psnr):.2f} dB (min {min(psnr):.2f})"


SHIMMER_TARGETS = ["fr_biden2.jpg", "fr_obama1.jpg", "sn_elon_musk_2015.jpg"]
SHIMMER_FACES = (48, 80)
TABLE_SHIMMER = ("small faces: shimmer of a face moved by (0.37, 0.23) px per frame, 40 frames, each "
                 "output moved back: mean |difference| of consecutive frames inside the face, swapped "
                 "and the target alone (grey levels per frame)")
# Goals: at most 2.5x the target's own on every case, 1.8x on average. Measured: sampling the
# full-size source (before 0.20.0) 2.01-3.28x, mean 2.54 (three cases over 2.5); from the source's
# pyramid 1.08-2.25x, mean 1.43.
SHIMMER_MAX, SHIMMER_MEAN = 2.5, 1.8
_SHIMMER: dict = {}


def shimmer(fs, landmarker, so, sw, name, face_px) -> float:
    """Swapped flicker over the target's own for `name`'s face drawn `face_px` high, moving."""
    if (name, face_px) in _SHIMMER:
        return _SHIMMER[name, face_px]
    small, face, scaled = portrait(fs, landmarker, name, face_px)
    origin = np.array([160.0, 120.0]) - scaled.mean(0)  # where the small image's origin goes: face centred
    at = scaled + origin
    inside = np.zeros((240, 320), np.uint8)
    cv2.fillConvexPoly(inside, convex_hull(at).astype(np.int32), 1)
    inside = cv2.erode(inside, np.ones((5, 5), np.uint8)).astype(bool)
    swapped, own = [], []
    for t in range(40):
        d = np.array([0.37, 0.23]) * t
        shift = origin + d
        frame = cv2.warpAffine(small, np.array([[1, 0, shift[0]], [0, 1, shift[1]]]), (320, 240), flags=cv2.INTER_LINEAR)
        out = swap_at(fs, sw, so, frame, face, at + d)
        back = np.array([[1, 0, -d[0]], [0, 1, -d[1]]])
        for img, into in ((out, swapped), (frame, own)):
            into.append(cv2.cvtColor(cv2.warpAffine(img, back, (320, 240), flags=cv2.INTER_LINEAR),
                                     cv2.COLOR_BGR2GRAY).astype(np.float64))
    flicker = [np.mean([np.abs(a - b)[inside].mean() for a, b in zip(seq, seq[1:])]) for seq in (swapped, own)]
    _SHIMMER[name, face_px] = ratio = float(flicker[0] / flicker[1])
    TABLES.setdefault(TABLE_SHIMMER, []).append(f"{name}, face {face_px} px: swapped {flicker[0]:.2f}, target "
                                                f"alone {flicker[1]:.2f} ({ratio:.2f}x)")
    return ratio


@pytest.mark.sweep
@pytest.mark.parametrize("name", SHIMMER_TARGETS)
@pytest.mark.parametrize("face_px", SHIMMER_FACES)
def test_small_moving_face_does_not_shimmer(fs, landmarker, alias_swapper, name, face_px):
    """A small face drawn from a large source flickers at most SHIMMER_MAX times the target's own
    frames as it moves by sub-pixel steps (aliased samples of the source change with the phase)."""
    ratio = shimmer(fs, landmarker, alias_swapper[1], alias_swapper[0], name, face_px)
    assert ratio <= SHIMMER_MAX, f"{name} at {face_px} px: {ratio:.2f}x the target's own flicker"


def test_small_moving_faces_steady_on_average(fs, landmarker, alias_swapper):
    ratios = [shimmer(fs, landmarker, alias_swapper[1], alias_swapper[0], n, p)
              for n in SHIMMER_TARGETS for p in SHIMMER_FACES]
    assert np.mean(ratios) <= SHIMMER_MEAN, f"mean {np.mean(ratios):.2f}x (max {max(ratios):.2f}x)"


def test_manifest_describes_the_wide_shot():
    """The frame used below is in the clip's wide shot with a small face, as the MANIFEST says."""
    row = next(line for line in (DATA / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
               if line.startswith(HAMILTON + "\t"))
    assert "wide shot w/ small face (0-1.5s)" in row


@pytest.mark.parametrize("frame", ["hamilton 0.5 s", "kit_harington1 at 0.35x"])
def test_stream_does_not_upsample(fs, default_detector, landmarker, source, frame):
    """A face the default detector finds in a photo only by its finer scan (the fast scan,
    upsample 0, misses it) is not found by a Stream on the same swapper: video keeps the fast
    path. The photo swap on the same swapper replaces it, so the swapper can."""
    if frame.startswith("hamilton"):
        img = video_frame(DATA / HAMILTON, 0.5)
    else:
        img = shrink(fs.load_image(FACES / "fr_kit_harington1.jpg"), SCALE)
    with fs.Detector(upsample=0) as fast:
        assert fast.detect(img) == [], "the fast scan alone should miss this face"
    photo = default_detector.detect(img)
    assert len(photo) == 1 and photo[0].rect[2] < 80, photo
    with fs.Swapper(default_detector, landmarker) as sw, sw.prepare(source[0]) as so:
        assert sw.swap(so, img, return_mask=True)[2] == 1
        with fs.Stream(sw, so, detect_interval=1) as st:
            counts = [st.push(img.copy(), time=k / 30) for k in range(3)]
    assert counts == [0, 0, 0], f"{frame}: the stream found faces {counts} (face {photo[0].rect[2]:.0f} px)"
