"""Alignment: the crop puts a real face's eyes where the template says they are."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import FIGURES


SIZE = 256
PADDING = 0.25


def eye_centres(points):
    p = np.asarray(points, np.float64)
    return p[36:42].mean(axis=0), p[42:48].mean(axis=0)


def crop_rect(fs, transform, rect):
    """The face rect in crop pixels: its four corners mapped through the transform; the
    (rotated) square they make, as an axis-aligned square of the same centre and side."""
    x, y, w, h = rect
    corners = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float32)
    mapped = fs.apply_affine(transform, corners).astype(np.float64)
    centre = mapped.mean(axis=0)
    side = np.mean([np.linalg.norm(mapped[i] - mapped[(i + 1) % 4]) for i in range(4)])
    return (centre[0] - side / 2, centre[1] - side / 2, side, side)


# Limit on the distance of each re-fitted eye centre from the template's, as a fraction of the
# crop size. 2 % is the target. fb_einstein2.jpg has visible head yaw: its eyes are ~10 % closer
# together (relative to the inner face) than the mean face's, so no similarity transform fitted
# to the inner face can put both eyes within 2 %; with the library's eye-weighted fit the right
# eye lands 2.2 % off (measured 5.58 px of 256). That pair gets 2.5 %.
PAIRS = [
    (("fr_kit_harington1.jpg", "fr_kit_harington2.jpg"), 0.02),
    (("fb_einstein1.jpg", "fb_einstein2.jpg"), 0.025),
]


@pytest.mark.parametrize("pair,limit", PAIRS, ids=[p[0][0].split(".")[0] for p in PAIRS])
def test_aligned_crops_put_eyes_on_the_template(fs, hog_up1, landmarker, faces_dir, pair, limit):
    template = fs.align_template(SIZE, PADDING)
    t_left, t_right = eye_centres(template)
    crops_eyes = []
    for name in pair:
        img = fs.load_image(faces_dir / name)
        faces = hog_up1.detect(img)
        assert len(faces) == 1, name
        face = landmarker.fit(img, faces[0])
        m = fs.align_transform(face, SIZE, PADDING)
        assert m.shape == (2, 3)
        # a similarity: [[a, -b], [b, a]]
        assert m[0, 0] == pytest.approx(m[1, 1], rel=1e-5, abs=1e-9)
        assert m[0, 1] == pytest.approx(-m[1, 0], rel=1e-5, abs=1e-9)
        crop = fs.align_crop(img, m, SIZE)
        assert crop.shape == (SIZE, SIZE, 3) and crop.dtype == np.uint8
        # re-detect nothing: fit the landmarks in the crop inside the mapped face rect
        refit = landmarker.fit(crop, crop_rect(fs, m, face.rect))
        left, right = eye_centres(refit.landmarks)
        tol = limit * SIZE
        d_left = np.linalg.norm(left - t_left)
        d_right = np.linalg.norm(right - t_right)
        print(f"\n{name}: eye centres off the template by {d_left:.2f} / {d_right:.2f} px "
              f"(limit {tol:.2f})")
        FIGURES[f"eye offset after alignment, {name}"] = (
            f"{100 * d_left / SIZE:.2f} % / {100 * d_right / SIZE:.2f} % of the crop (limit {100 * limit:.1f} %)")
        assert d_left < tol and d_right < tol, (name, left, t_left, right, t_right)
        crops_eyes.append((left, right))
    # the two photos of the same person line up with each other too
    (l1, r1), (l2, r2) = crops_eyes
    assert np.linalg.norm(l1 - l2) < 0.03 * SIZE and np.linalg.norm(r1 - r2) < 0.03 * SIZE


def test_transform_maps_landmarks_near_template(fs, hog_up1, landmarker, faces_dir):
    img = fs.load_image(faces_dir / "fr_obama1.jpg")
    face = landmarker.fit(img, hog_up1.detect(img)[0])
    m = fs.align_transform(face, SIZE, PADDING)
    mapped = fs.apply_affine(m, face.landmarks)
    template = fs.align_template(SIZE, PADDING)
    # inner points 17-67 are what the least squares fits: they land close on average
    err = np.linalg.norm(mapped[17:] - template[17:], axis=1).mean()
    assert err < 0.03 * SIZE
    # the inverse maps back
    back = fs.apply_affine(fs.invert_affine(m), mapped)
    assert np.abs(back - face.landmarks).max() < 0.05


def test_template_geometry(fs):
    t = fs.align_template(SIZE, PADDING)
    assert t.shape == (68, 2) and t.dtype == np.float32
    inner = t[17:]
    lo, hi = PADDING * SIZE, (1 - PADDING) * SIZE
    # the inner points fit the square [p*size, (1-p)*size] (uniform scale: one axis touches both)
    assert inner.min() >= lo - 0.5 and inner.max() <= hi + 0.5
    spans = inner.max(axis=0) - inner.min(axis=0)
    assert max(spans) == pytest.approx(hi - lo, abs=0.5)
    # eyes above the mouth, left eye (36-41, image left) left of the right eye (42-47)
    l, r = eye_centres(t)
    assert l[0] < r[0] and abs(l[1] - r[1]) < 0.02 * SIZE
    assert t[48:68, 1].mean() > l[1] + 0.2 * SIZE
    # scales linearly with size at fixed padding
    t2 = fs.align_template(2 * SIZE, PADDING)
    assert np.allclose(t2, 2 * t, atol=0.01)


def test_invert_and_apply_affine(fs):
    m = np.array([[0.8, -0.6, 10.0], [0.6, 0.8, -5.0]])
    inv = fs.invert_affine(m)
    full = np.vstack([m, [0, 0, 1]])
    assert np.allclose(np.vstack([inv, [0, 0, 1]]), np.linalg.inv(full), atol=1e-12)
    pts = np.array([[0, 0], [10, 0], [3, 7]], np.float32)
    expected = pts @ m[:, :2].T + m[:, 2]
    assert np.allclose(fs.apply_affine(m, pts), expected, atol=1e-4)
    assert fs.apply_affine(m, np.zeros((0, 2))).shape == (0, 2)


def test_align_crop_of_synthetic_image_moves_pixels_exactly(fs):
    # a pure translation by whole pixels: the crop is the shifted image, exactly
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)
    m = np.array([[1.0, 0.0, -10.0], [0.0, 1.0, -20.0]])
    crop = fs.align_crop(img, m, 32)
    assert np.array_equal(crop, img[20:52, 10:42])
    # RGB in, RGB out; gray in, gray out; BGRA in, BGRA out
    assert np.array_equal(fs.align_crop(img, m, 32, channel_order="rgb"), img[20:52, 10:42])
    g = img[..., 0].copy()
    assert np.array_equal(fs.align_crop(g, m, 32), g[20:52, 10:42])
    a = np.dstack([img, rng.integers(0, 256, (64, 80), dtype=np.uint8)])
    assert np.array_equal(fs.align_crop(a, m, 32), a[20:52, 10:42])
