"""Pictures for people through the C ABI (issue 14 item 5: what the CLI draws is library API):
fs_image_montage, fs_face_compare, fs_draw_faces, fs_swap_targets and fs_option_check, each
checked against ground truth: the input pixels themselves, the landmark coordinates the library
returned, faces found independently by fs_detect + fs_landmarks_fit, and the option's range."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

from conftest import FACES

RNG = np.random.default_rng(14)


def _random(h, w):
    return RNG.integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def test_montage_tiles_are_the_inputs_pixel_for_pixel(fs):
    a, b, c = _random(30, 40), _random(30, 50), _random(30, 7)
    m = fs.montage([a, b, c], height=30, gap=5)
    assert m.shape == (30, 40 + 5 + 50 + 5 + 7, 3)
    assert np.array_equal(m[:, :40], a)
    assert np.array_equal(m[:, 45:95], b)
    assert np.array_equal(m[:, 100:], c)
    assert not m[:, 40:45].any() and not m[:, 95:100].any(), "the gaps are black"


def test_montage_scales_each_image_to_the_height_keeping_its_aspect(fs):
    a, b = _random(60, 90), _random(20, 10)  # to height 40: 60 and 20 wide
    m = fs.montage([a, b], height=40, gap=8)
    assert m.shape == (40, 60 + 8 + 20, 3)
    # a flat image stays flat whatever the interpolation
    flat = np.full((50, 70, 3), (10, 120, 230), np.uint8)
    m = fs.montage([flat], height=25, gap=0)
    assert m.shape == (25, 35, 3) and (m == (10, 120, 230)).all()


def test_montage_refuses_bad_input_with_a_message(fs):
    with pytest.raises(fs.FaceSwapError, match="count 0 is outside 1–64"):
        fs.montage([])
    with pytest.raises(fs.FaceSwapError, match="height -1 is outside"):
        fs.montage([_random(4, 4)], height=-1)


def test_face_compare_shows_before_and_after_of_the_box(fs):
    before, after = _random(400, 420), _random(400, 420)
    face = fs.Face.from_rect((20.4, 30.6, 300.0, 310.0))  # whole pixels around it: x 20..321, y 30..341
    pic = fs.face_compare(before, after, face)
    w, h = 321 - 20, 341 - 30
    assert pic.shape == (h, 2 * w + 8, 3), pic.shape
    assert np.array_equal(pic[:, :w], before[30:341, 20:321])
    assert np.array_equal(pic[:, w + 8:], after[30:341, 20:321])
    assert not pic[:, w:w + 8].any()


def test_face_compare_doubles_a_small_face_and_clips_the_box(fs):
    before, after = _random(100, 100), _random(100, 100)
    pic = fs.face_compare(before, after, fs.Face.from_rect((-10.0, 60.0, 50.0, 80.0)))  # clipped: x 0..40, y 60..100
    assert pic.shape == (80, 2 * 80 + 8, 3), pic.shape
    with pytest.raises(fs.FaceSwapError, match="lies outside"):
        fs.face_compare(before, after, fs.Face.from_rect((200.0, 200.0, 10.0, 10.0)))
    with pytest.raises(fs.FaceSwapError, match="one size"):
        fs.face_compare(before, _random(90, 100), fs.Face.from_rect((0.0, 0.0, 10.0, 10.0)))


def test_draw_faces_puts_red_dots_at_the_landmarks_the_library_returned(fs):
    img = fs.load_image(FACES / "fr_two_people_obama_biden.jpg")
    faces = fs.detect_landmarks(img)
    assert len(faces) == 2
    drawn = fs.draw_faces(img, faces)
    assert drawn.shape == img.shape
    red = 0
    for f in faces:
        for x, y in f.landmarks:
            px = drawn[int(round(y)), int(round(x))].astype(int)
            red += px[2] >= 200 and px[0] <= 60 and px[1] <= 60
    n = sum(len(f.landmarks) for f in faces)
    print(f"{red}/{n} landmark pixels red")
    assert red == n
    # the box outline is green at its top-left corner, and far from every face nothing changed
    x, y, w, h = faces[0].box
    corner = drawn[int(round(y)), int(round(x))].astype(int)
    assert corner[1] >= 150 and corner[0] <= 60 and corner[2] <= 60, corner
    changed = np.any(drawn != img, axis=2)
    keep = np.ones(changed.shape, bool)
    for f in faces:
        x, y, w, h = f.box
        keep[max(0, int(y) - 6):int(y + h) + 7, max(0, int(x) - 6):int(x + w) + 7] = False
    assert not changed[keep].any(), "pixels away from the faces changed"
    assert changed.any()


def test_swap_targets_are_the_faces_detected_and_chosen(fs):
    img = fs.load_image(FACES / "fr_two_people_obama_biden.jpg")
    found = fs.detect_landmarks(img)  # fs_detect + fs_landmarks_fit, the independent path
    assert len(found) == 2
    every = fs.Swapper().targets(img)
    assert [f.box for f in every] == [f.box for f in found]
    assert np.allclose(every[1].landmarks, found[1].landmarks)
    second = fs.Swapper(faces=1).targets(img)
    assert [f.box for f in second] == [found[1].box]
    assert fs.Swapper(faces=5).targets(img) == []


def test_option_check_uses_the_option_table(fs):
    from faceswap import capi
    lib = capi.lib
    info = capi.fs_option_info()
    info.struct_size = ctypes.sizeof(info)
    assert lib.fs_option_find(2, b"expression", ctypes.byref(info)) == 0
    assert info.range_text.decode() == "0–1" and info.default_text.decode() == "0.6"
    assert lib.fs_option_check(2, b"expression", info.max) == 0
    assert lib.fs_option_check(2, b"expression", info.max + 0.01) == 1
    msg = lib.fs_last_error_message().decode()
    assert "fs_swap_options: expression 1.01 is outside 0–1" in msg, msg
