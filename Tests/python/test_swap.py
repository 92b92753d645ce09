"""Face swapping, identity and colour-set functions of the binding, checked against figures the
tests compute themselves (see swap_measure.py): re-detected landmarks of the result against the
target's, pixels far from the face bit-identical to the target, identity distances with the
ResNet (other photos of the source person where the data has them), seam score, and numpy's own
computation for fs_color_mean_shift.

A per-pair table of the figures is printed at the end of the run (section "face swap figures").
Criteria a pair fails are marked xfail(strict=True) with the measured figure in the reason.
"""

from __future__ import annotations

import ctypes
import threading

import numpy as np
import pytest

from conftest import FACES, FIGURES, TABLES, require_model
from swap_measure import (
    Pair,
    convex_hull,
    face_region,
    hull_distance,
    interocular,
    landmarks_of,
    match_faces,
    measure,
    table_rows,
)



# Where the faces are in the photos with several people (approximate centres, from the images).
OBAMA_IN_TWO = ("fr_two_people_obama_biden.jpg", (320, 140))
BIDEN_IN_TWO = ("fr_two_people_obama_biden.jpg", (867, 170))
OBAMA_WAVING = ("fr_obama_and_biden_waving.jpg", (1240, 483))
BIDEN_WAVING = ("fr_obama_and_biden_waving.jpg", (841, 543))

PAIRS = [
    Pair("model→city", "sn_model_face.jpg", "sn_city_portrait.jpg"),
    Pair("obama→biden", "fr_obama1.jpg", "fr_biden2.jpg", [OBAMA_IN_TWO, OBAMA_WAVING]),
    Pair("biden→obama", "fr_biden2.jpg", "fr_obama1.jpg", [BIDEN_IN_TWO, BIDEN_WAVING]),
    Pair("adele→rose", "sn_adele_2016.jpg", "fr_rose_leslie2.jpg"),
    Pair("einstein→cruise", "fb_einstein1.jpg", "dlib_tom_cruise.jpg",
         [("fb_einstein2.jpg", None), ("fb_einstein3.jpg", None)]),
    # grayscale target (a grey JPEG: BGR with three equal channels)
    Pair("kit→sagan(grey)", "fr_kit_harington3.jpg", "fb_carl_sagan1.jpg",
         [("fr_kit_harington2.jpg", None)]),
    # small target (320x240), needs the upsample=1 detector
    Pair("alex→obama_small", "fr_alex_lacamoire1.jpg", "fr_obama_small.jpg",
         [("fr_alex_lacamoire2.jpg", None)], upsample=1),
    # two faces in the target, all replaced
    Pair("rose→two_people", "fr_rose_leslie1.jpg", "fr_two_people_obama_biden.jpg",
         [("fr_rose_leslie2.jpg", None)], expect_faces=2),
]
PAIR_BY_NAME = {p.name: p for p in PAIRS}

LANDMARK_LIMIT = 0.05      # mean error over the target's inter-ocular distance
REGION_GROW = 0.25         # own "face region": landmark hull grown by this × face size
SEAM_RANGE = (0.8, 1.25)
MIN_CHANGE = 8.0           # mean |result - target| inside the mask (levels)

# Criteria a pair fails, with the measured figures (strict: an unexpected pass is reported).
XFAIL = {
    ("einstein→cruise", "identity_other"):
        "the result is 0.704 from fb_einstein3.jpg (Einstein young, blurry, grey) but 0.664 from "
        "Cruise's own face: geometric swapping keeps Cruise's jaw, hair and half his feature shape "
        "(expression=0.6), and the other Einstein photo is decades younger; against the source "
        "photo itself the result is nearer Einstein",
    ("rose→two_people", "landmarks"):
        "face 0 (Obama, left): mean landmark error 0.0585 of the inter-ocular distance > 0.05 "
        "(face 1, Biden: 0.0435). Mostly the jaw: points 0-16 are off by 0.117, points 17-67 "
        "by 0.039; the re-fitted jaw follows the pasted face's chin, not the target's. "
        "(expression=1 measures 0.0415.)",
    ("rose→two_people", "identity_other"):
        "face 1 (Biden): the result is farther from the other photo of the source person "
        "(fr_rose_leslie2, d=0.753) than from the target's own face (d=0.734); face 0 passes "
        "(0.715 < 0.772), and both are nearer the source photo itself (0.618 < 0.772, "
        "0.560 < 0.734)",
}


def cases(criterion: str, pairs=None):
    out = []
    for p in pairs if pairs is not None else PAIRS:
        reason = XFAIL.get((p.name, criterion))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(p.name, marks=marks, id=p.name))
    return out


# ------------------------------------------------------------------------------------------------
# Fixtures
# ------------------------------------------------------------------------------------------------

@pytest.fixture
def need_recognizer(recognizer):
    return recognizer


@pytest.fixture(scope="session")
def detector(fs):
    with fs.Detector() as d:
        yield d


_MEASURED: dict = {}


@pytest.fixture(scope="session")
def measured(fs, faces_dir, landmarker, recognizer):
    def get(name: str) -> dict:
        if name not in _MEASURED:
            _MEASURED[name] = measure(fs, PAIR_BY_NAME[name], faces_dir, landmarker, recognizer)
            done = [_MEASURED[p.name] for p in PAIRS if p.name in _MEASURED]
            TABLES["face swap figures per pair (lm err: mean landmark error / inter-ocular, "
                   "per target face; d: ResNet embedding distance of the result's face; "
                   "reach: farthest changed pixel from the landmark hull, in face sizes)"] = \
                table_rows(done)
        return _MEASURED[name]
    return get


def load(fs, name):
    return fs.load_image(FACES / name)


def own_landmark_error(fs, detector, landmarker, target, result):
    """Mean landmark error (over inter-ocular distance) of the result's largest face against the
    target's, computed here with Detector + Landmarker."""
    t = landmarks_of(fs, detector, landmarker, target)
    r = landmarks_of(fs, detector, landmarker, result)
    assert t, "no face in the target"
    m = match_faces(t, r)[0]
    assert m is not None, "the result's face was not re-detected"
    d = np.linalg.norm(m.landmarks.astype(np.float64) - t[0].landmarks, axis=1)
    return float(d.mean() / interocular(t[0].landmarks))


# ------------------------------------------------------------------------------------------------
# Structs and declarations
# ------------------------------------------------------------------------------------------------

def test_struct_layouts_match_the_header(fs):
    capi = fs.capi
    opts, _ = capi.new_options(capi.fs_swap_options)
    assert opts.struct_size == ctypes.sizeof(capi.fs_swap_options)  # the size: test_capi_header
    assert capi.fs_swap_options.reference.offset == 48            # abi_checks.c
    assert capi.fs_swap_options.identity_threshold.offset == 48 + 128 * 4
    assert capi.fs_swap_options.keep_model_shape.offset == 568
    assert capi.fs_swap_options.occlusion.offset == 576
    assert capi.fs_swap_options.edge_color.offset == 580
    assert capi.fs_swap_options.skin_texture.offset == 584
    assert ctypes.sizeof(capi.fs_extract_options) == 28 == capi.new_options(capi.fs_extract_options)[0].struct_size
    assert ctypes.sizeof(capi.fs_extract_stats) == 72 == capi.fs_extract_stats().struct_size
    assert capi.fs_model_info.has_training_state.offset == 188
    assert capi.fs_model_info.method.offset == 320 and ctypes.sizeof(capi.fs_model_info) == 328
    assert capi.fs_model_info.input_size.offset == 324     # where the struct's tail padding was
    assert ctypes.sizeof(capi.fs_train_options) == 96 == capi.new_options(capi.fs_train_options)[0].struct_size
    assert capi.fs_train_options.resume.offset == 60
    assert capi.fs_train_options.method.offset == 88
    assert capi.fs_train_options.input_size.offset == 92   # where the struct's tail padding was
    assert ctypes.sizeof(capi.fs_train_progress) == 72
    assert ctypes.sizeof(capi.fs_swap_metrics) == 64              # abi_checks.c
    assert capi.fs_swap_metrics.edge_step_worst.offset == 48
    assert capi.fs_swap_metrics.redetected.offset == 4


def test_swap_defaults_are_the_documented_ones(fs):
    o, _ = fs.capi.new_options(fs.capi.fs_swap_options)
    assert (o.mode, o.color, o.blend) == (fs.ConvertMode.DELAUNAY, fs.ColorMode.REINHARD,
                                          fs.BlendMode.MULTIBAND)
    assert o.expression == pytest.approx(0.6)
    assert o.forehead == pytest.approx(0.1)
    assert o.erode == pytest.approx(0.04)
    assert o.feather == pytest.approx(0.06)
    assert (o.keep_mouth, o.face_index, o.keep_unmatched, o.use_reference) == (1, -1, 0, 0)
    assert o.identity_threshold == pytest.approx(0.6)
    assert o.edge_color == 0.0  # off: it moves the identity towards the target's (test_edge.py)
    assert o.skin_texture == 0.0  # off: the source's own texture (test_skin_texture.py)


def test_older_struct_size_keeps_working(fs, detector, landmarker):
    """A caller built against an older header (smaller struct_size) gets the defaults for the
    fields it does not know: identity_threshold 5 (invalid) past struct_size is not read."""
    capi = fs.capi
    opts, _ = capi.new_options(capi.fs_swap_options)
    opts.struct_size = capi.fs_swap_options.reference.offset
    opts.identity_threshold = 5.0
    out = ctypes.c_void_p()
    rc = capi.lib.fs_swapper_create(detector.handle, landmarker.handle, None,
                                    ctypes.byref(opts), ctypes.byref(out))
    assert rc == fs.Status.OK, capi.lib.fs_last_error_message()
    capi.lib.fs_swapper_free(out)
    opts.struct_size = 4
    rc = capi.lib.fs_swapper_create(detector.handle, landmarker.handle, None,
                                    ctypes.byref(opts), ctypes.byref(out))
    assert rc == fs.Status.INVALID_ARGUMENT


# ------------------------------------------------------------------------------------------------
# Per-pair swap quality
# ------------------------------------------------------------------------------------------------

@pytest.mark.sweep
@pytest.mark.parametrize("name", cases("faces"))
def test_swap_replaces_the_expected_faces(measured, name):
    m = measured(name)
    pair = m["pair"]
    assert len(m["target_faces"]) == pair.expect_faces
    for blend, r in m["results"].items():
        assert r["n"] == pair.expect_faces, blend
        assert r["result"].shape == m["target"].shape and r["result"].dtype == np.uint8
        assert r["mask"].shape == m["target"].shape[:2]


@pytest.mark.sweep
@pytest.mark.parametrize("name", cases("landmarks"))
def test_result_landmarks_follow_the_target(measured, name):
    m = measured(name)
    assert all(f is not None for f in m["matched"]), \
        f"{name}: a swapped face was not re-detected in the result"
    for i, err in enumerate(m["landmark_error"]):
        assert err < LANDMARK_LIMIT, \
            f"{name}, face {i}: mean landmark error {err:.4f} of the inter-ocular distance"


@pytest.mark.sweep
@pytest.mark.parametrize("name", cases("mask"))
def test_pixels_outside_the_mask_are_bit_identical(measured, name):
    m = measured(name)
    tgt = m["target"]
    for blend, r in m["results"].items():
        outside = r["mask"] == 0
        assert outside.mean() > 0.3, f"{blend}: the mask covers {1 - outside.mean():.0%}"
        changed = np.any(r["result"] != tgt, axis=2) & outside
        assert not changed.any(), \
            f"{name} {blend}: {int(changed.sum())} pixels changed where the mask is 0"


@pytest.mark.sweep
@pytest.mark.parametrize("name", cases("region"))
def test_pixels_far_from_the_face_are_bit_identical(measured, name):
    """Own region: convex hull of the target's 68 landmarks, grown by 25 % of the face size."""
    m = measured(name)
    tgt = m["target"]
    region = face_region(m["target_faces"], tgt.shape[:2], REGION_GROW)
    assert 0.01 < region.mean() < 0.9
    for blend, r in m["results"].items():
        changed = np.any(r["result"] != tgt, axis=2) & ~region
        assert not changed.any(), (f"{name} {blend}: {int(changed.sum())} pixels changed farther "
                                   f"than {REGION_GROW} face sizes from the landmark hull")


@pytest.mark.sweep
@pytest.mark.parametrize("name", cases("changed"))
def test_swap_changed_the_face(measured, name):
    m = measured(name)
    assert m["mask_px"] > 1000
    assert m["inside_mad"] > MIN_CHANGE, \
        f"{name}: mean |result - target| inside the mask is only {m['inside_mad']:.2f} levels"


@pytest.mark.sweep
@pytest.mark.parametrize("blend", ["multiband", "poisson"])
@pytest.mark.parametrize("name", cases("seam"))
def test_seam_score_near_one(measured, name, blend):
    seam = measured(name)["results"][blend]["eval"]["seam_score"]
    assert SEAM_RANGE[0] <= seam <= SEAM_RANGE[1], f"{name} {blend}: seam score {seam:.3f}"


@pytest.mark.sweep
@pytest.mark.parametrize("name", cases("identity_source"))
def test_identity_nearer_the_source_photo(measured, need_recognizer, name):
    m = measured(name)
    for i, ident in enumerate(m["identity"]):
        assert ident is not None, f"face {i} not re-detected"
        assert ident["to_source"] < ident["to_target"], (
            f"{name}, face {i}: d(result, source photo) {ident['to_source']:.3f} >= "
            f"d(result, target face) {ident['to_target']:.3f}")


@pytest.mark.sweep
@pytest.mark.parametrize("name", cases("identity_other", [p for p in PAIRS if p.source_others]))
def test_identity_nearer_other_photos_of_the_source_person(measured, need_recognizer, name):
    m = measured(name)
    for i, ident in enumerate(m["identity"]):
        assert ident is not None, f"face {i} not re-detected"
        for file, d in ident["to_source_others"]:
            assert d < ident["to_target"], (
                f"{name}, face {i}: d(result, {file}) {d:.3f} >= d(result, target face) "
                f"{ident['to_target']:.3f}")


def test_evaluate_agrees_with_own_figures(measured, recognizer):
    """fs_eval_swap's landmark error and identities against the test's own (same method)."""
    m = measured("obama→biden")
    ev = m["results"]["multiband"]["eval"]
    assert ev["redetected"] is True
    assert ev["changed_outside"] == 0.0
    assert ev["landmark_error"] == pytest.approx(m["landmark_error"][0], abs=0.005)
    if recognizer is None:
        assert ev["identity_to_source"] is None and ev["identity_to_target"] is None
    else:
        ident = m["identity"][0]
        assert ev["identity_to_source"] == pytest.approx(ident["to_source"], abs=0.01)
        assert ev["identity_to_target"] == pytest.approx(ident["to_target"], abs=0.01)


def test_grey_target_stays_grey(measured):
    """A colour face swapped into a grey photo (default Reinhard colour transfer) should stay
    (nearly) grey: the mean channel spread inside the mask is measured."""
    m = measured("kit→sagan(grey)")
    tgt = m["target"]
    assert np.array_equal(tgt[..., 0], tgt[..., 1]) and np.array_equal(tgt[..., 1], tgt[..., 2])
    r = m["results"]["multiband"]
    inside = r["mask"] > 0
    spread = (r["result"].max(axis=2).astype(int) - r["result"].min(axis=2))[inside]
    FIGURES["colour face into a grey photo (reinhard)"] = (
        f"channel spread inside the mask: mean {spread.mean():.2f}, max {spread.max()} levels "
        "(limit: mean < 4)")
    assert spread.mean() < 4, f"mean channel spread {spread.mean():.2f} levels (a colour tint)"


# ------------------------------------------------------------------------------------------------
# Pixel formats and odd inputs
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def obama(fs):
    return load(fs, "fr_obama1.jpg")


@pytest.fixture(scope="module")
def biden(fs):
    return load(fs, "fr_biden2.jpg")


@pytest.fixture(scope="module")
def plain_swapper(fs, detector, landmarker):
    """No colour correction, so a channel-order mistake would show in the face colours."""
    with fs.Swapper(detector, landmarker, color="none") as sw:
        yield sw


def test_rgb_source_onto_bgr_target(fs, plain_swapper, detector, landmarker, obama, biden):
    sw = plain_swapper
    with sw.prepare(obama) as s:
        ref, mask, n = sw.swap(s, biden, return_mask=True)
    rgb = np.ascontiguousarray(obama[..., ::-1])
    with sw.prepare(rgb, channel_order="rgb") as s:        # an RGB8 source ...
        out = sw.swap(s, biden)                             # ... onto a BGR8 target
    assert out.shape == biden.shape
    assert np.abs(out.astype(int) - ref).max() <= 1
    # The face colours are the source's (no colour transfer): compare the mean colour of the
    # source's inner face (hull of points 17-67) with the result inside the mask.
    src_face = landmarks_of(fs, detector, landmarker, obama)[0]
    hull = convex_hull(src_face.landmarks[17:])
    src_mean = obama[hull_distance(hull, obama.shape[:2]) == 0].reshape(-1, 3).mean(axis=0)
    out_mean = out[mask >= 200].reshape(-1, 3).mean(axis=0)
    assert np.abs(out_mean - src_mean).max() < 20, (out_mean, src_mean)
    # skin: red above blue, as in the source (a B/R mix-up would flip it)
    assert out_mean[2] - out_mean[0] > 0.5 * (src_mean[2] - src_mean[0]) > 0


def test_rgba_target_keeps_its_format_and_alpha(fs, plain_swapper, obama, biden):
    sw = plain_swapper
    with sw.prepare(obama) as s:
        ref = sw.swap(s, biden)
        alpha = (np.arange(biden.shape[1], dtype=np.uint32)[None, :] * 7
                 + np.arange(biden.shape[0], dtype=np.uint32)[:, None]) % 251
        rgba = np.dstack([biden[..., ::-1], alpha.astype(np.uint8)])
        out = sw.swap(s, rgba, channel_order="rgb")
        with fs.Image.from_array(rgba, "rgb") as img:
            assert img.format == fs.PixelFormat.RGBA8
    assert out.shape == rgba.shape
    assert np.array_equal(out[..., 3], rgba[..., 3]), "alpha changed"
    assert np.abs(out[..., 2::-1].astype(int) - ref).max() <= 1


def test_self_swap_rgb_equals_bgr(fs, detector, landmarker, biden):
    with fs.Swapper(detector, landmarker) as sw:
        bgr = sw.swap(biden, biden)
        rgb_in = np.ascontiguousarray(biden[..., ::-1])
        rgb = sw.swap(rgb_in, rgb_in, channel_order="rgb")
    assert np.abs(rgb[..., ::-1].astype(int) - bgr).max() <= 1


def test_source_equal_to_target(fs, detector, landmarker, biden):
    with fs.Swapper(detector, landmarker) as sw:
        out, mask, n = sw.swap(biden, biden, return_mask=True)
    assert n == 1 and out.shape == biden.shape
    err = own_landmark_error(fs, detector, landmarker, biden, out)
    assert err < 0.02, f"landmark error {err:.4f}"
    assert np.abs(out.astype(int) - biden).mean() < 1.0


def test_face_cut_by_the_left_edge(fs, detector, landmarker, obama, biden):
    rect = detector.detect(biden)[0].rect
    x0 = int(round(rect[0] + 0.2 * rect[2]))      # 20 % of the face is cut off
    target = np.ascontiguousarray(biden[:, x0:])
    with fs.Swapper(detector, landmarker) as sw:
        try:
            out, mask, n = sw.swap(obama, target, return_mask=True)
        except fs.FaceSwapError as e:
            assert e.status == fs.Status.NO_FACE, e
            return
    assert out.shape == target.shape
    assert n == 1
    assert np.array_equal(out[mask == 0], target[mask == 0])
    assert (mask > 0).any()


def test_tiny_face(fs, landmarker, obama, biden, pil):
    rect = fs.Detector().detect(biden)[0].rect
    scale = 30.0 / rect[2]                       # the face becomes ~30 px wide
    size = (round(biden.shape[1] * scale), round(biden.shape[0] * scale))
    small = np.asarray(pil.fromarray(biden[..., ::-1]).resize(size, pil.LANCZOS))[..., ::-1].copy()
    # the fast scan alone (80 px window, no upsampling) cannot see it
    with fs.Detector(upsample=0) as det, fs.Swapper(det, landmarker) as sw:
        with pytest.raises(fs.FaceSwapError) as info:
            sw.swap(obama, small)
    assert info.value.status == fs.Status.NO_FACE
    # the default (upsample -1, automatic) scans a small photo 4x finer, and upsampled twice
    # dlib's HOG finds faces of ~20 px: swapped, size kept, both ways
    for det in (fs.Detector(), fs.Detector(upsample=2)):
        with det, fs.Swapper(det, landmarker) as sw:
            out, mask, n = sw.swap(obama, small, return_mask=True)
        assert n == 1 and out.shape == small.shape
        assert (mask > 0).sum() > 100
        assert np.array_equal(out[mask == 0], small[mask == 0])


def test_grey_source_onto_colour_target(fs, detector, landmarker, obama, biden):
    grey = fs.convert_image(obama, "gray")
    assert grey.ndim == 2
    with fs.Swapper(detector, landmarker) as sw:
        out, mask, n = sw.swap(grey, biden, return_mask=True)
    assert n == 1 and out.shape == biden.shape
    assert np.array_equal(out[mask == 0], biden[mask == 0])
    assert np.abs(out.astype(int) - biden)[mask >= 128].mean() > MIN_CHANGE


def test_colour_source_onto_grey_target(fs, detector, landmarker, obama, biden):
    grey = fs.convert_image(biden, "gray")
    with fs.Swapper(detector, landmarker) as sw:
        out, mask, n = sw.swap(obama, grey, return_mask=True)
    assert n == 1 and out.shape == grey.shape and out.ndim == 2
    assert np.array_equal(out[mask == 0], grey[mask == 0])
    assert np.abs(out.astype(int) - grey)[mask >= 128].mean() > MIN_CHANGE


# ------------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------------

def expect(fs, status, fn, *args, **kwargs):
    with pytest.raises(fs.FaceSwapError) as info:
        fn(*args, **kwargs)
    e = info.value
    assert e.status == status, f"expected {status!r}, got {e.status!r}: {e.message}"
    assert e.message.strip()
    return e


def test_reference_image_without_face_is_no_face(fs, need_recognizer, detector, landmarker):
    dogs = load(fs, "dlib_dogs_noface.jpg")
    e = expect(fs, fs.Status.NO_FACE, fs.Swapper, detector, landmarker, reference=dogs)
    assert "reference" in e.message
    # also with the recognizer created automatically
    expect(fs, fs.Status.NO_FACE, fs.Swapper, reference=dogs)


def test_target_without_face(fs, detector, landmarker, obama):
    dogs = load(fs, "dlib_dogs_noface.jpg")
    with fs.Swapper(detector, landmarker) as sw, sw.prepare(obama) as s:
        expect(fs, fs.Status.NO_FACE, sw.swap, s, dogs)
        copy = dogs.copy()
        expect(fs, fs.Status.NO_FACE, sw.swap_inplace, s, copy)
        assert np.array_equal(copy, dogs)
    with fs.Swapper(detector, landmarker, keep_unmatched=True) as sw:
        out, mask, n = sw.swap(obama, dogs, return_mask=True)
        assert n == 0 and np.array_equal(out, dogs) and not mask.any()
        copy = dogs.copy()
        assert sw.swap_inplace(obama, copy) == 0 and np.array_equal(copy, dogs)
    out = fs.swap(obama, dogs, keep_unmatched=True)
    assert np.array_equal(out, dogs)


def test_source_without_face_or_index(fs, detector, landmarker, obama):
    with fs.Swapper(detector, landmarker) as sw:
        expect(fs, fs.Status.NO_FACE, sw.prepare, load(fs, "sn_zebra_stripes.jpg"))
        expect(fs, fs.Status.INVALID_ARGUMENT, sw.prepare, obama, face_index=1)
        expect(fs, fs.Status.INVALID_ARGUMENT, sw.prepare, obama, face_index=-1)


@pytest.mark.parametrize("option,value", [
    ("expression", 1.5), ("expression", -0.1), ("expression", float("nan")),
    ("forehead", -0.1), ("forehead", 1.1),
    ("erode", 0.5), ("erode", -0.31),
    ("feather", 0.6), ("feather", -0.01),
    ("faces", -2), ("faces", 1001),
    ("identity_threshold", 0.0), ("identity_threshold", 2.0),
])
def test_options_out_of_range_are_invalid_argument(fs, detector, landmarker, option, value):
    e = expect(fs, fs.Status.INVALID_ARGUMENT, fs.Swapper, detector, landmarker, **{option: value})
    assert option.split("_")[0] in e.message.replace("face_index", "faces")  # the C field behind faces=


def test_non_finite_reference_embedding_is_invalid_argument(fs, need_recognizer, detector, landmarker):
    ref = np.zeros(128, np.float32)
    ref[5] = np.inf
    expect(fs, fs.Status.INVALID_ARGUMENT, fs.Swapper, detector, landmarker, need_recognizer,
           reference=ref)


@pytest.mark.parametrize("option,value", [("mode", 7), ("color", 9), ("blend", 4)])
def test_unknown_enum_values_are_unsupported(fs, detector, landmarker, option, value):
    expect(fs, fs.Status.UNSUPPORTED, fs.Swapper, detector, landmarker, **{option: value})


@pytest.mark.parametrize("option,value", [("mode", "morph"), ("color", "lab"), ("blend", "paste"),
                                          ("faces", "some")])
def test_unknown_option_names_are_value_errors(fs, detector, landmarker, option, value):
    with pytest.raises(ValueError):
        fs.Swapper(detector, landmarker, **{option: value})


def test_reference_embedding_of_wrong_length(fs, detector, landmarker, need_recognizer):
    with pytest.raises(ValueError):
        fs.Swapper(detector, landmarker, need_recognizer, reference=np.zeros(127, np.float32))


def test_reference_without_recognizer_low_level_is_invalid_argument(fs, detector, landmarker):
    """A NULL recognizer with use_reference is the caller's mix of arguments: INVALID_ARGUMENT, as
    fs_swapper_create_learned gives for use_reference (MODEL is for a model file)."""
    capi = fs.capi
    opts, _ = capi.new_options(capi.fs_swap_options)
    opts.use_reference = 1
    opts.reference[:] = [0.01] * 128
    out = ctypes.c_void_p()
    rc = capi.lib.fs_swapper_create(detector.handle, landmarker.handle, None, ctypes.byref(opts),
                                    ctypes.byref(out))
    assert rc == fs.Status.INVALID_ARGUMENT
    assert out.value is None
    assert b"use_reference needs a recognizer" in capi.lib.fs_last_error_message()


def test_five_point_landmarker_is_unsupported(fs, detector):
    path = require_model(fs, "shape_predictor_5_face_landmarks.dat")
    with fs.Landmarker(path) as lm5:
        expect(fs, fs.Status.UNSUPPORTED, fs.Swapper, detector, lm5)


def test_evaluate_errors_and_missing_identities(fs, detector, landmarker, obama, biden):
    with fs.Swapper(detector, landmarker) as sw:     # no recognizer: identities are None
        out = sw.swap(obama, biden)
        ev = sw.evaluate(obama, biden, out)
        assert ev["identity_to_source"] is None and ev["identity_to_target"] is None
        assert 0 <= ev["landmark_error"] < LANDMARK_LIMIT
        assert ev["changed_outside"] == 0.0
        assert isinstance(ev["redetected"], bool)
        expect(fs, fs.Status.INVALID_ARGUMENT, sw.evaluate, obama, biden, out[:-1])
        dogs = load(fs, "dlib_dogs_noface.jpg")
        expect(fs, fs.Status.NO_FACE, sw.evaluate, obama, dogs, dogs)


def test_swap_face_needs_68_landmarks(fs, detector, landmarker, obama, biden):
    with fs.Swapper(detector, landmarker) as sw, sw.prepare(obama) as s:
        target = biden.copy()
        face = detector.detect(biden)[0]          # no landmarks
        expect(fs, fs.Status.INVALID_ARGUMENT, sw.swap_face, s, target, face)
        assert np.array_equal(target, biden)


def _with_nan_landmark(fs, face):
    lm = face.landmarks.copy()
    lm[30] = np.nan                                    # the nose tip
    return fs.Face(face.box, face.rect, face.score, lm)


def test_swap_face_with_non_finite_landmarks_is_invalid_argument(fs, detector, landmarker,
                                                                 obama, biden):
    face = _with_nan_landmark(fs, landmarks_of(fs, detector, landmarker, biden)[0])
    expect(fs, fs.Status.INVALID_ARGUMENT, fs.align_transform, face)      # the reference
    with fs.Swapper(detector, landmarker) as sw, sw.prepare(obama) as s:
        target = biden.copy()
        expect(fs, fs.Status.INVALID_ARGUMENT, sw.swap_face, s, target, face)


def test_embedding_with_non_finite_landmarks_is_invalid_argument(fs, need_recognizer, detector,
                                                                 landmarker, biden):
    face = _with_nan_landmark(fs, landmarks_of(fs, detector, landmarker, biden)[0])
    expect(fs, fs.Status.INVALID_ARGUMENT, need_recognizer.embed, biden, face)


# ------------------------------------------------------------------------------------------------
# Faces, references, in place
# ------------------------------------------------------------------------------------------------

def test_swapper_keeps_its_own_references(fs, obama, biden):
    """fs_swapper_create: the detector and landmarker may be freed afterwards; a prepared
    source outlives its swapper."""
    with fs.Swapper(fs.Detector(), fs.Landmarker()) as ref_sw:
        ref = ref_sw.swap(obama, biden)
    det, lm = fs.Detector(), fs.Landmarker()
    sw = fs.Swapper(det, lm)
    det.close()
    lm.close()
    source = sw.prepare(obama)
    assert np.array_equal(sw.swap(source, biden), ref)
    sw.close()
    with fs.Swapper(fs.Detector(), fs.Landmarker()) as other:
        assert np.array_equal(other.swap(source, biden), ref)
    source.close()


def test_source_face_is_in_source_coordinates(fs, detector, landmarker, obama):
    truth = landmarks_of(fs, detector, landmarker, obama)[0]
    with fs.Swapper(detector, landmarker) as sw, sw.prepare(obama) as s:
        face = s.face
    assert face.landmarks.shape == (68, 2)
    assert np.abs(face.landmarks - truth.landmarks).max() < 0.01
    assert np.allclose(face.rect, truth.rect, atol=0.01)


def test_faces_index_swaps_only_that_face(fs, detector, landmarker):
    two = load(fs, "fr_two_people_obama_biden.jpg")
    rose = load(fs, "fr_rose_leslie1.jpg")
    faces = landmarks_of(fs, detector, landmarker, two)
    assert len(faces) == 2
    with fs.Swapper(detector, landmarker, faces=1) as sw:
        out, mask, n = sw.swap(rose, two, return_mask=True)
        assert n == 1
        keep = face_region([faces[0]], two.shape[:2], REGION_GROW)
        assert not mask[keep].any()
        assert mask[face_region([faces[1]], two.shape[:2], 0)].mean() > 128
        assert np.array_equal(out[keep], two[keep])
    with fs.Swapper(detector, landmarker, faces=2) as sw:
        expect(fs, fs.Status.NO_FACE, sw.swap, rose, two)


def test_reference_swaps_only_that_person(fs, need_recognizer, detector, landmarker):
    two = load(fs, "fr_two_people_obama_biden.jpg")
    rose = load(fs, "fr_rose_leslie1.jpg")
    faces = landmarks_of(fs, detector, landmarker, two)
    obama_face = min(faces, key=lambda f: f.rect[0])       # Obama stands on the left
    biden_face = max(faces, key=lambda f: f.rect[0])
    biden_area = face_region([biden_face], two.shape[:2], REGION_GROW)
    obama_core = face_region([obama_face], two.shape[:2], 0)
    reference_photo = load(fs, "fr_obama1.jpg")                # a different photo of Obama
    emb = need_recognizer.embed(reference_photo)
    for ref in (reference_photo, emb):
        with fs.Swapper(detector, landmarker, need_recognizer, reference=ref) as sw:
            out, mask, n = sw.swap(rose, two, return_mask=True)
        assert n == 1
        assert not mask[biden_area].any() and np.array_equal(out[biden_area], two[biden_area])
        assert mask[obama_core].mean() > 128
    # a reference nobody in the photo matches
    with fs.Swapper(detector, landmarker, need_recognizer, reference=rose) as sw:
        expect(fs, fs.Status.NO_FACE, sw.swap, rose, two)


def test_swap_inplace_changes_the_callers_array(fs, detector, landmarker, obama, biden):
    with fs.Swapper(detector, landmarker) as sw, sw.prepare(obama) as s:
        ref = sw.swap(s, biden)
        frame = biden.copy()
        before = frame.ctypes.data
        assert sw.swap_inplace(s, frame) == 1
        assert frame.ctypes.data == before
        assert np.array_equal(frame, ref)
        # a crop of a bigger buffer (row stride > row bytes): only the crop changes
        big = np.full((biden.shape[0] + 40, biden.shape[1] + 60, 3), 7, np.uint8)
        big[20:-20, 30:-30] = biden
        assert sw.swap_inplace(s, big[20:-20, 30:-30]) == 1
        assert np.array_equal(big[20:-20, 30:-30], ref)
        assert (big[:20] == 7).all() and (big[-20:] == 7).all()
        assert (big[:, :30] == 7).all() and (big[:, -30:] == 7).all()
        # RGBA frame in RGB order
        rgba = np.dstack([biden[..., ::-1], np.full(biden.shape[:2], 99, np.uint8)])
        assert sw.swap_inplace(s, rgba, channel_order="rgb") == 1
        assert np.abs(rgba[..., 2::-1].astype(int) - ref).max() <= 1 and (rgba[..., 3] == 99).all()
        # an Image made with Image.wrap
        frame = biden.copy()
        with fs.Image.wrap(frame) as img:
            assert sw.swap_inplace(s, img) == 1
        assert np.array_equal(frame, ref)
        # swap_face with landmarks the caller has
        frame = biden.copy()
        sw.swap_face(s, frame, landmarks_of(fs, detector, landmarker, biden)[0])
        assert np.array_equal(frame, ref)


def test_swap_inplace_refuses_arrays_it_cannot_write(fs, detector, landmarker, obama, biden):
    with fs.Swapper(detector, landmarker) as sw, sw.prepare(obama) as s:
        with pytest.raises(ValueError):
            sw.swap_inplace(s, biden[:, ::-1])                 # reversed columns
        with pytest.raises(ValueError):
            sw.swap_inplace(s, np.asfortranarray(biden))
        ro = biden.copy()
        ro.flags.writeable = False
        with pytest.raises(ValueError):
            sw.swap_inplace(s, ro)
        with pytest.raises(TypeError):
            sw.swap_inplace(s, biden.astype(np.float32))


def test_one_swapper_from_several_threads(fs, detector, landmarker, obama, biden):
    with fs.Swapper(detector, landmarker) as sw, sw.prepare(obama) as s:
        ref = sw.swap(s, biden)
        results = [None] * 4
        errors = []

        def work(i):
            try:
                results[i] = sw.swap(s, biden)
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors
    assert all(np.array_equal(r, ref) for r in results)


def test_module_swap_one_shot(fs, obama, biden):
    a = fs.swap(obama, biden)
    b, mask, n = fs.swap(obama, biden, return_mask=True)
    assert np.array_equal(a, b) and n == 1
    with fs.Swapper() as sw:
        assert np.array_equal(sw.swap(obama, biden), a)
    c = fs.swap(obama, biden, blend="poisson", color="mean")
    assert c.shape == biden.shape and not np.array_equal(c, a)
    rgb = fs.swap(np.ascontiguousarray(obama[..., ::-1]), np.ascontiguousarray(biden[..., ::-1]),
                  channel_order="rgb")
    assert np.abs(rgb[..., ::-1].astype(int) - a).max() <= 1


# ------------------------------------------------------------------------------------------------
# Identity
# ------------------------------------------------------------------------------------------------

def test_embedding_shape_and_distance(fs, need_recognizer, detector, landmarker):
    rec = need_recognizer
    obama = load(fs, "fr_obama1.jpg")
    f = landmarks_of(fs, detector, landmarker, obama)[0]
    e = rec.embed(obama, f)
    assert e.shape == (128,) and e.dtype == np.float32 and np.isfinite(e).all()
    assert np.array_equal(rec.embed(obama), e)             # face=None: the largest face
    e_rgb = rec.embed(np.ascontiguousarray(obama[..., ::-1]), f, channel_order="rgb")
    assert fs.embedding_distance(e, e_rgb) < 1e-4
    other = rec.embed(load(fs, "fr_biden2.jpg"))
    d = fs.embedding_distance(e, other)
    assert d == pytest.approx(float(np.linalg.norm(e.astype(np.float64) - other)), abs=1e-5)
    assert fs.embedding_distance(other, e) == pytest.approx(d, abs=1e-6)
    assert fs.embedding_distance(e, e) == 0.0
    assert np.isnan(fs.capi.lib.fs_embedding_distance(None, None))
    with pytest.raises(ValueError):
        fs.embedding_distance(e[:10], e)


# (photo, face centre or None = largest) pairs of one person, and of two different people
SAME = [(("fr_obama1.jpg", None), OBAMA_IN_TWO), (("fr_biden2.jpg", None), BIDEN_WAVING),
        (("fb_carl_sagan1.jpg", None), ("fb_carl_sagan2.jpg", None)),
        (("fr_kit_harington1.jpg", None), ("fr_kit_harington3.jpg", None)),
        (("fr_alex_lacamoire1.jpg", None), ("fr_alex_lacamoire2.jpg", None))]
DIFFERENT = [(("fr_obama1.jpg", None), BIDEN_IN_TWO), (("fr_biden2.jpg", None), OBAMA_WAVING),
             (("fb_carl_sagan2.jpg", None), ("fb_einstein1.jpg", None)),
             (("fr_rose_leslie1.jpg", None), ("sn_adele_2016.jpg", None))]


def _embed_at(fs, rec, detector, landmarker, spec):
    from swap_measure import pick_face
    file, centre = spec
    img = load(fs, file)
    face = pick_face(landmarks_of(fs, detector, landmarker, img), centre)
    assert face is not None, file
    return rec.embed(img, face)


@pytest.mark.sweep
@pytest.mark.parametrize("a,b", SAME, ids=[f"{a[0]}-{b[0]}" for a, b in SAME])
def test_same_person_under_06(fs, need_recognizer, hog_up1, landmarker, a, b):
    d = fs.embedding_distance(_embed_at(fs, need_recognizer, hog_up1, landmarker, a),
                              _embed_at(fs, need_recognizer, hog_up1, landmarker, b))
    assert d < 0.6, d


@pytest.mark.parametrize("a,b", DIFFERENT, ids=[f"{a[0]}-{b[0]}" for a, b in DIFFERENT])
def test_different_people_over_06(fs, need_recognizer, hog_up1, landmarker, a, b):
    d = fs.embedding_distance(_embed_at(fs, need_recognizer, hog_up1, landmarker, a),
                              _embed_at(fs, need_recognizer, hog_up1, landmarker, b))
    assert d > 0.6, d


def test_recognizer_errors(fs, tmp_path, need_recognizer):
    expect(fs, fs.Status.MODEL, fs.Recognizer, tmp_path / "missing.dat")
    bad = tmp_path / "bad.dat"
    bad.write_bytes(b"not a network" * 100)
    expect(fs, fs.Status.MODEL, fs.Recognizer, bad)
    obama = load(fs, "fr_obama1.jpg")
    rect_only = fs.Face.from_rect(fs.detect_landmarks(obama)[0].rect)
    expect(fs, fs.Status.INVALID_ARGUMENT, need_recognizer.embed, obama, rect_only)
    expect(fs, fs.Status.NO_FACE, need_recognizer.embed, load(fs, "dlib_dogs_noface.jpg"))


# ------------------------------------------------------------------------------------------------
# color_mean_shift
# ------------------------------------------------------------------------------------------------

def set_mean(images):
    total = sum(a.reshape(-1, a.shape[-1])[:, :3].astype(np.float64).sum(axis=0) for a in images)
    return total / sum(a.shape[0] * a.shape[1] for a in images)


def numpy_shift(a0, delta):
    out = a0.astype(np.float64)
    out[..., :3] += delta
    return np.clip(out, 0, 255)


def test_color_mean_shift_synthetic(fs):
    rng = np.random.default_rng(7)
    # no saturation possible: A in [40, 150), B in [90, 220), different sizes per image so the
    # mean over all pixels differs from the mean of the image means
    A = [rng.integers(40, 150, (h, w, 3), dtype=np.uint8) for h, w in [(50, 60), (120, 30), (7, 9)]]
    B = [rng.integers(90, 220, (h, w, 3), dtype=np.uint8) for h, w in [(40, 40), (10, 300)]]
    A0 = [a.copy() for a in A]
    B0 = [b.copy() for b in B]
    objects = [id(a) for a in A]
    delta = set_mean(B0) - set_mean(A0)
    assert fs.color_mean_shift(A, B) is None
    assert [id(a) for a in A] == objects
    assert all(np.array_equal(b, b0) for b, b0 in zip(B, B0)), "set B changed"
    assert np.abs(set_mean(A) - set_mean(B)).max() <= 0.6, (set_mean(A), set_mean(B))
    for a, a0 in zip(A, A0):
        assert np.abs(a - numpy_shift(a0, delta)).max() <= 1.0


def test_color_mean_shift_real_faces_with_clipping(fs):
    names_a = ["fr_obama1.jpg", "fr_biden2.jpg", "fr_obama_small.jpg"]
    names_b = ["sn_adele_2016.jpg", "fr_rose_leslie2.jpg"]
    A = [load(fs, n) for n in names_a]
    B = [load(fs, n) for n in names_b]
    A0 = [a.copy() for a in A]
    delta = set_mean(B) - set_mean(A0)
    fs.color_mean_shift(A, B)
    for a, a0, n in zip(A, A0, names_a):
        assert not np.array_equal(a, a0), n
        assert np.abs(a - numpy_shift(a0, delta)).max() <= 1.0, n


def test_color_mean_shift_rgba_stack_and_images(fs):
    rng = np.random.default_rng(3)
    stack = rng.integers(30, 120, (3, 16, 20, 4), dtype=np.uint8)     # (N, H, W, C): 3 images
    B = [rng.integers(100, 200, (25, 25, 4), dtype=np.uint8)]
    s0 = stack.copy()
    delta = set_mean(B) - set_mean(list(s0))
    fs.color_mean_shift(stack, B, channel_order="rgb")
    assert np.array_equal(stack[..., 3], s0[..., 3]), "alpha changed"
    for a, a0 in zip(stack, s0):
        assert np.abs(a - numpy_shift(a0, delta)).max() <= 1.0
    assert np.abs(set_mean(list(stack)) - set_mean(B)).max() <= 0.6
    # fs.Image objects in set A are changed in place too
    arr = rng.integers(30, 120, (10, 10, 3), dtype=np.uint8)
    with fs.Image.from_array(arr) as img:
        fs.color_mean_shift([img], [np.full((4, 4, 3), 200, np.uint8)])
        out = img.to_array()
    assert np.abs(out - numpy_shift(arr, 200 - set_mean([arr]))).max() <= 1.0


def test_color_mean_shift_errors(fs):
    c3 = np.zeros((5, 5, 3), np.uint8)
    expect(fs, fs.Status.UNSUPPORTED, fs.color_mean_shift, [np.zeros((5, 5), np.uint8)],
           [np.zeros((5, 5), np.uint8)])
    expect(fs, fs.Status.UNSUPPORTED, fs.color_mean_shift, [c3.copy()],
           [np.zeros((5, 5, 4), np.uint8)])
    expect(fs, fs.Status.INVALID_ARGUMENT, fs.color_mean_shift, [], [c3])
    expect(fs, fs.Status.INVALID_ARGUMENT, fs.color_mean_shift, [c3.copy()], [])
    with pytest.raises(ValueError):
        fs.color_mean_shift([np.zeros((5, 5, 3), np.uint8)[:, ::-1]], [c3])   # cannot wrap
    # B may be any layout (it is only read)
    a = np.full((5, 5, 3), 10, np.uint8)
    fs.color_mean_shift([a], [np.full((6, 6, 3), 30, np.uint8)[:, ::-1]])
    assert (a == 30).all()


def test_color_strength_mixes_the_source_colours_and_the_match(fs, detector, landmarker, faces_dir):
    """color_strength (fs_swap_options) by its definition: 0 gives the source's own colours
    (what color="none" gives), 1 the full match (the default), 0.5 the mean of the two, to within
    the rounding of the mix, the blend and the 8-bit result."""
    src, tgt = fs.load_image(faces_dir / "sn_adele_2016.jpg"), fs.load_image(faces_dir / "fr_rose_leslie2.jpg")
    out = {}
    for name, kw in (("none", {"color": "none"}), ("zero", {"color_strength": 0.0}), ("full", {}),
                     ("one", {"color_strength": 1.0}), ("half", {"color_strength": 0.5})):
        with fs.Swapper(detector, landmarker, **kw) as sw, sw.prepare(src) as so:
            out[name] = sw.swap(so, tgt).astype(np.int16)
    assert np.array_equal(out["zero"], out["none"])
    assert np.array_equal(out["one"], out["full"])
    changed = np.abs(out["full"] - out["none"]).max(axis=2) > 8   # where the colour match matters
    assert changed.sum() > 1000
    err = np.abs(out["half"] - (out["none"] + out["full"]) / 2)[changed]
    FIGURES["color_strength 0.5 vs the mean of 0 and 1"] = (
        f"{changed.sum()} px the match changes by > 8 levels: |half − mean| mean {err.mean():.2f}, "
        f"99.9th percentile {np.percentile(err, 99.9):.1f} levels")
    assert err.mean() < 1.0 and np.percentile(err, 99.9) <= 3
    with pytest.raises(fs.FaceSwapError) as e:
        fs.Swapper(detector, landmarker, color_strength=1.5)
    assert "color_strength 1.5 is outside 0–1" in e.value.message
