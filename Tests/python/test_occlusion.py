"""Occluders kept (issue 16 item 2): with `occlusion=1` what covers the target's face (glasses,
hands, objects) stays the target's while the rest of the face is swapped.

Ground truth is built here, independently of the library's mask:
- synthetic occluders with a KNOWN mask: an elliptical patch cut from the repository's own
  photos (zebra stripes; dog fur from dlib's dogs photo) pasted with a binary alpha over a face
  at four places found from the target's landmarks (chin, cheek, over an eye, forehead);
- rcv_glasses.jpg: the frame pixels inside the face, by a darkness threshold on the target
  (justified in the test) outside the eyes' own dark pixels.
A pixel is "untouched" when no channel of the result differs from the (occluded) target by more
than 2 levels: the blends write nothing where the mask is 0 (multiband: R = D exactly there), so
any larger change is the swap reaching into the occluder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage, ImageDraw

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "samples" / "source.jpg"
TOL = 2          # levels: see the module's docstring
GOAL = 0.90      # share of the occluder's face pixels that must stay untouched (the issue)
FIGURES: dict = {}


@pytest.fixture(scope="session")
def detector(fs):
    with fs.Detector() as d:
        yield d


def bgr(fs, path):
    a = fs.load_image(path)
    return np.ascontiguousarray(a[..., :3]) if a.ndim == 3 else np.repeat(a[..., None], 3, axis=2)


def largest_landmarks(detector, landmarker, img):
    faces = detector.detect(img)
    assert faces, "no face"
    return np.asarray(landmarker.fit(img, faces[0]).landmarks, np.float64)


def ellipse(shape, centre, rx, ry):
    h, w = shape[:2]
    y, x = np.mgrid[0:h, 0:w]
    return ((x - centre[0]) / rx) ** 2 + ((y - centre[1]) / ry) ** 2 <= 1


def polygon(shape, pts):
    im = PILImage.new("L", (shape[1], shape[0]), 0)
    ImageDraw.Draw(im).polygon([(float(x), float(y)) for x, y in pts], fill=255)
    return np.asarray(im) > 0


# Occluder textures: (photo, top-left of the patch cut from it).
OCCLUDERS = {"zebra": ("sn_zebra_stripes.jpg", (420, 260)), "dog_fur": ("dlib_dogs_noface.jpg", (300, 420))}
TARGETS = ["sn_city_portrait.jpg", "fr_obama1.jpg", "sn_elon_musk_2015.jpg"]
PLACES = ["chin", "cheek", "eye", "forehead"]


def place(p, where):
    size = max(np.ptp(p[:, 0]), np.ptp(p[:, 1]))
    up = (p[27] - p[8]) / np.linalg.norm(p[27] - p[8])
    return {"chin": p[8] + up * 0.12 * size, "cheek": (p[2] + p[31]) / 2, "eye": p[36:42].mean(0),
            "forehead": (p[19] + p[24]) / 2 + up * 0.08 * size}[where], size


def swap_pair(fs, detector, landmarker, target, occlusion):
    with fs.Swapper(detector, landmarker, occlusion=occlusion) as s:
        result, mask, _ = s.swap(bgr(fs, SOURCE), target, return_mask=True)
        return result, mask


_CASES: dict = {}


def synthetic(fs, detector, landmarker, faces_dir, target_name, occ_name, where):
    key = (target_name, occ_name, where)
    if key in _CASES:
        return _CASES[key]
    target = bgr(fs, faces_dir / target_name)
    p = largest_landmarks(detector, landmarker, target)
    centre, size = place(p, where)
    rx, ry = 0.2 * size, 0.13 * size
    known = ellipse(target.shape, centre, rx, ry)
    photo, (x0, y0) = OCCLUDERS[occ_name]
    tex = bgr(fs, faces_dir / photo)
    ys, xs = np.nonzero(known)
    occluded = target.copy()
    # The patch: the texture's pixels at the same offsets from its own corner (clipped to it).
    ty = np.clip(ys - ys.min() + y0, 0, tex.shape[0] - 1)
    tx = np.clip(xs - xs.min() + x0, 0, tex.shape[1] - 1)
    occluded[ys, xs] = tex[ty, tx]
    off, mask_off = swap_pair(fs, detector, landmarker, occluded, 0)
    on, mask_on = swap_pair(fs, detector, landmarker, occluded, 1)
    _CASES[key] = (occluded, known, off, mask_off, on, mask_on)
    return _CASES[key]


def untouched(result, reference):
    return np.abs(result.astype(np.int16) - reference.astype(np.int16)).max(axis=2) <= TOL


# Cases that miss the goal, with the figures measured on this branch (occluder pixels untouched,
# IoU of the library's mask with the known one). On Elon Musk's cheek the lower part of the dog
# fur patch (brown) is close to his skin in colour and lightness.
# The other misses keep the occluder (untouched 1.000) but fail "the rest of the face is swapped":
# the skin model also takes out shadows around Obama's eyes and mouth (0.075 of his unoccluded
# face, see UNOCCLUDED below), so less of the source is pasted and the identity stays nearer the
# target's (distances to source / to target), or under 0.8 of the rest of the face changes.
MISSED = {
    ("sn_elon_musk_2015.jpg", "dog_fur", "cheek"): "untouched 0.712, IoU 0.640",
    ("sn_city_portrait.jpg", "dog_fur", "eye"): "identity to source 0.630 >= to target 0.610",
    ("fr_obama1.jpg", "zebra", "cheek"): "identity to source 0.692 >= to target 0.530",
    ("fr_obama1.jpg", "zebra", "eye"): "rest of the face changed 0.772 < 0.8",
    ("fr_obama1.jpg", "zebra", "forehead"): "rest of the face changed 0.766 < 0.8",
    ("fr_obama1.jpg", "dog_fur", "cheek"): "identity to source 0.739 >= to target 0.538",
    ("fr_obama1.jpg", "dog_fur", "forehead"): "identity to source 0.698 >= to target 0.613",
}


def synthetic_cases():
    for t in TARGETS:
        for o in OCCLUDERS:
            for w in PLACES:
                why = MISSED.get((t, o, w))
                marks = [pytest.mark.xfail(strict=True, reason=f"goal not met: {why}")] if why else []
                yield pytest.param(t, o, w, id=f"{t.split('.')[0]}-{o}-{w}", marks=marks)


@pytest.mark.sweep
@pytest.mark.parametrize("target_name,occ_name,where", list(synthetic_cases()))
def test_synthetic_occluder_stays_and_the_face_is_swapped(fs, detector, landmarker, recognizer, faces_dir,
                                                          target_name, occ_name, where):
    occluded, known, off, mask_off, on, mask_on = synthetic(fs, detector, landmarker, faces_dir, target_name,
                                                            occ_name, where)
    face = mask_off >= 128                      # where the swap without occlusion takes the source
    k = known & face                            # the occluder's pixels the swap would reach
    assert k.sum() > 500, "the occluder must cover part of the face for the case to mean anything"
    kept_off = untouched(off, occluded)[k].mean()
    kept = untouched(on, occluded)[k].mean()
    lib = face & (mask_on < 128)                # where the library's occlusion mask took the face out
    iou = (lib & k).sum() / max(1, (lib | k).sum())
    rest = face & ~known
    swapped_rest = (~untouched(on, occluded))[rest].mean()
    FIGURES[(target_name, occ_name, where)] = (kept, kept_off, iou, swapped_rest)
    print(f"\n{target_name} {occ_name} {where}: occluder untouched {kept:.3f} (off: {kept_off:.3f}), "
          f"IoU {iou:.3f}, rest of the face changed {swapped_rest:.3f}")
    # The rest of the face is swapped: most of it changed, and the identity is the source's.
    assert swapped_rest > 0.8
    e_src = recognizer.embed(bgr(fs, SOURCE))
    e_tgt = recognizer.embed(occluded)
    e_res = recognizer.embed(on)
    d_src, d_tgt = fs.embedding_distance(e_res, e_src), fs.embedding_distance(e_res, e_tgt)
    print(f"  identity: to source {d_src:.3f}, to target {d_tgt:.3f}")
    assert d_src < d_tgt, (d_src, d_tgt)
    assert kept >= GOAL, (kept, iou)


def test_without_the_option_the_occluder_is_swapped(fs, detector, landmarker, faces_dir):
    """The measure can fail: with occlusion 0 the same occluder is mostly overwritten."""
    occluded, known, off, mask_off, _, _ = synthetic(fs, detector, landmarker, faces_dir, TARGETS[0], "zebra", "cheek")
    k = known & (mask_off >= 128)
    assert untouched(off, occluded)[k].mean() < 0.2


def test_glasses_frame_inside_the_face_stays(fs, detector, landmarker, faces_dir):
    """rcv_glasses.jpg: the black frame inside the face. Frame pixels, defined here: inside the
    swap's face mask, darker than 70 in grey (the skin's grey is ~150-200 in this photo, its
    darkest shading ~100; the frame is ~20-60), outside the eyes (polygon of 36-41 / 42-47 grown
    by 6 % of the face size: pupils and lashes are dark too) and the brows (17-21 / 22-26 grown by
    3 %, dark-brown)."""
    target = bgr(fs, faces_dir / "rcv_glasses.jpg")
    p = largest_landmarks(detector, landmarker, target)
    size = max(np.ptp(p[:, 0]), np.ptp(p[:, 1]))
    off, mask_off = swap_pair(fs, detector, landmarker, target, 0)
    on, mask_on = swap_pair(fs, detector, landmarker, target, 1)
    grey = target.astype(np.float64) @ [0.114, 0.587, 0.299]
    from scipy import ndimage as ndi
    def grown(pts, f):
        return ndi.binary_dilation(polygon(target.shape, pts), iterations=max(1, int(round(f * size))))
    not_frame = grown(p[36:42], 0.06) | grown(p[42:48], 0.06) | grown(p[17:22], 0.03) | grown(p[22:27], 0.03)
    frame = (mask_off >= 128) & (grey < 70) & ~not_frame
    assert frame.sum() > 200, f"only {frame.sum()} frame pixels found"
    kept_off = untouched(off, target)[frame].mean()
    kept = untouched(on, target)[frame].mean()
    face = mask_off >= 128
    swapped_rest = (~untouched(on, target))[face & ~ndi.binary_dilation(frame, iterations=3)].mean()
    print(f"\nrcv_glasses: frame px {frame.sum()}, untouched {kept:.3f} (off: {kept_off:.3f}); "
          f"rest of the face changed {swapped_rest:.3f}")
    assert kept_off < 0.5          # without the option the frame is swapped away
    assert swapped_rest > 0.7
    assert kept >= GOAL, kept


def test_occlusion_option_described(fs):
    """The switch as the library describes it (its range rows are in Tests/c/test_swap_bad_input.c:
    the binding turns any Python value into 0/1 before the library sees it)."""
    opt = {o["name"]: o for o in fs.options("swap")}["occlusion"]
    assert opt["type"] == "bool" and opt["default"] is False


# Unoccluded pairs (source, target; the targets have nothing in front of the face): the option
# should leave their swap nearly unchanged. In-face PSNR of the result with the option on against
# the result with it off (inside the swap's own face mask with the option off).
UNOCCLUDED = [("samples/source.jpg", "samples/target.jpg"), ("fr_biden2.jpg", "fr_obama1.jpg"),
              ("fr_obama1.jpg", "fr_biden2.jpg"), ("sn_adele_2016.jpg", "fr_rose_leslie2.jpg")]
PSNR_GOAL = 40.0   # dB: "unchanged to the eye" where nothing occludes (the default-on criterion)
# Measured on this branch: the skin model takes shadows, eye make-up, lip folds and hair at the
# face's sides for occluders (share of the face taken out in brackets); hence occlusion stays off
# by default.
PSNR_MISSED = {"samples/target.jpg": "31.0 dB (0.029 of the face taken out)",
               "fr_obama1.jpg": "27.8 dB (0.075)", "fr_biden2.jpg": "34.0 dB (0.011)",
               "fr_rose_leslie2.jpg": "26.0 dB (0.092)"}


def _path(faces_dir, name):
    return REPO / name if name.startswith("samples/") else faces_dir / name


@pytest.mark.parametrize("src_name,tgt_name", [
    pytest.param(s, t, id=t.split("/")[-1].split(".")[0],
                 marks=[pytest.mark.xfail(strict=True, reason=f"goal {PSNR_GOAL} dB not met: {PSNR_MISSED[t]}")]
                 if t in PSNR_MISSED else []) for s, t in UNOCCLUDED])
def test_unoccluded_faces_nearly_unchanged(fs, detector, landmarker, faces_dir, src_name, tgt_name):
    source, target = bgr(fs, _path(faces_dir, src_name)), bgr(fs, _path(faces_dir, tgt_name))
    out = {}
    for occlusion in (0, 1):
        with fs.Swapper(detector, landmarker, occlusion=occlusion) as s:
            out[occlusion] = s.swap(source, target, return_mask=True)[:2]
    (off, mask_off), (on, mask_on) = out[0], out[1]
    face = mask_off >= 128
    err = (on.astype(np.float64) - off.astype(np.float64))[face]
    mse = (err ** 2).mean()
    psnr = 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)
    removed = (face & (mask_on < 128)).sum() / face.sum()
    print(f"\n{tgt_name}: in-face PSNR on vs off {psnr:.1f} dB, face taken out as occluder {removed:.4f}")
    assert psnr >= PSNR_GOAL, (psnr, removed)


# ------------------------------------------------------------------------------------------------
# The seam's colour match (edge_color 1, occlusion 0) keeps what crosses the seam: the occlusion
# mask limited to a band inside the face mask's edge (a beard on the jaw, hair at the temple),
# never the face deeper in.
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target_name", TARGETS, ids=[t.split(".")[0] for t in TARGETS])
def test_edge_color_keeps_an_occluder_across_the_seam(fs, detector, landmarker, recognizer, faces_dir, target_name):
    """A zebra patch with a known mask pasted over the chin, across the face mask's edge, and a
    small one on the nose (at landmark 29, 0.04 of the face's extent in radius).
    Ground truth: the chin patch's pixels in the seam (where the swap's own alpha with edge_color
    0 is strictly between 0 and 255, the feather band) stay untouched with edge_color 1 and are
    overwritten with edge_color 0; the nose patch's pixels deep in the face (more than 0.14 of
    the face's extent from the mask's edge, beyond the seam band: 0.13 of the square root of the
    face's area) are still swapped; the rest of the face is swapped and the identity is the
    source's."""
    from scipy import ndimage as ndi
    occluded, known, *_ = synthetic(fs, detector, landmarker, faces_dir, target_name, "zebra", "chin")
    p = largest_landmarks(detector, landmarker, occluded)
    size = max(np.ptp(p[:, 0]), np.ptp(p[:, 1]))
    inner = ellipse(occluded.shape, p[29], 0.04 * size, 0.04 * size)
    tex = bgr(fs, faces_dir / OCCLUDERS["zebra"][0])
    ys, xs = np.nonzero(inner)
    occluded = occluded.copy()
    occluded[ys, xs] = tex[ys - ys.min() + OCCLUDERS["zebra"][1][1], xs - xs.min() + OCCLUDERS["zebra"][1][0]]
    out = {}
    for v in (0.0, 1.0):
        with fs.Swapper(detector, landmarker, edge_color=v) as s:
            out[v] = s.swap(bgr(fs, SOURCE), occluded, return_mask=True)[:2]
    (off, mask_off), (on, _) = out[0.0], out[1.0]
    seam = known & (mask_off > 0) & (mask_off < 255)
    deep = inner & (ndi.distance_transform_edt(ndi.binary_fill_holes(mask_off > 0)) > 0.14 * size)  # the mouth is no edge
    assert seam.sum() > 200 and deep.sum() > 100, (seam.sum(), deep.sum())
    kept_off, kept_on = untouched(off, occluded)[seam].mean(), untouched(on, occluded)[seam].mean()
    deep_changed = (~untouched(on, occluded))[deep].mean()
    rest = (mask_off >= 128) & ~known & ~inner
    swapped_rest = (~untouched(on, occluded))[rest].mean()
    d_src = fs.embedding_distance(recognizer.embed(on), recognizer.embed(bgr(fs, SOURCE)))
    d_tgt = fs.embedding_distance(recognizer.embed(on), recognizer.embed(occluded))
    print(f"\n{target_name} zebra chin + nose, edge_color 1: seam pixels untouched {kept_on:.3f} (edge_color 0: "
          f"{kept_off:.3f}), deep nose pixels changed {deep_changed:.3f} ({deep.sum()} px), rest changed "
          f"{swapped_rest:.3f}, identity to source {d_src:.3f} / to target {d_tgt:.3f}")
    assert kept_off < 0.5
    assert kept_on >= GOAL, kept_on
    assert deep_changed > 0.8, deep_changed
    assert swapped_rest > 0.8, swapped_rest
    assert d_src < d_tgt, (d_src, d_tgt)
