"""Landmark accuracy against dlib's annotated example set (faces/dlib_faces/*.xml)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from conftest import FACES, FIGURES, require_model

XMLS = ["testing_with_face_landmarks.xml", "training_with_face_landmarks.xml"]


def read_annotations(path):
    """[(image file, (x, y, w, h), (68, 2) points)] for every box not marked ignore."""
    out = []
    root = ET.parse(path).getroot()
    for image in root.iter("image"):
        for box in image.findall("box"):
            if box.get("ignore", "0") not in ("0", "", "false"):
                continue
            rect = tuple(float(box.get(k)) for k in ("left", "top", "width", "height"))
            parts = {int(p.get("name")): (float(p.get("x")), float(p.get("y")))
                     for p in box.findall("part")}
            if len(parts) != 68:
                continue
            pts = np.array([parts[i] for i in range(68)], np.float64)
            out.append((image.get("file"), rect, pts))
    return out


def interocular(pts):
    return float(np.linalg.norm(pts[36:42].mean(axis=0) - pts[42:48].mean(axis=0)))


def test_landmark_error_normalised_by_interocular(fs, landmarker):
    folder = FACES / "dlib_faces"
    errors = []
    cache = {}
    for xml in XMLS:
        for file, rect, truth in read_annotations(folder / xml):
            if file not in cache:
                cache[file] = fs.load_image(folder / file)
            fitted = landmarker.fit(cache[file], fs.Face.from_rect(rect))
            assert fitted.landmarks.shape == (68, 2)
            err = np.linalg.norm(fitted.landmarks.astype(np.float64) - truth, axis=1).mean()
            errors.append(err / interocular(truth))
    assert len(errors) >= 40, f"only {len(errors)} annotated faces read"
    errors = np.array(errors)
    figure = (f"{len(errors)} faces, mean error / inter-ocular distance = {errors.mean():.4f} "
              f"(median {np.median(errors):.4f}, worst {errors.max():.4f}; limit 0.05)")
    FIGURES["landmark error (dlib_faces xml)"] = figure
    print("\nlandmarks:", figure)
    assert errors.mean() < 0.05
    # no single face should be wildly off either
    assert errors.max() < 0.15


def test_fit_accepts_a_plain_rect_and_keeps_it(fs, landmarker, faces_dir):
    img = fs.load_image(faces_dir / "fb_einstein2.jpg")
    rect = (40.0, 50.0, 120.0, 120.0)
    face = landmarker.fit(img, rect)
    assert face.rect == rect and face.box == rect
    assert face.landmarks.shape == (68, 2)
    assert landmarker.num_points == 68


def test_five_point_model(fs, faces_dir):
    path = require_model(fs, "shape_predictor_5_face_landmarks.dat")
    img = fs.load_image(faces_dir / "fr_obama1.jpg")
    with fs.Detector(upsample=1) as d, fs.Landmarker(path) as lm5, fs.Landmarker() as lm68:
        (face,) = d.detect(img)
        assert lm5.num_points == 5
        f5 = lm5.fit(img, face)
        f68 = lm68.fit(img, face)
    assert f5.landmarks.shape == (5, 2)
    # dlib's 5-point order: right eye outer/inner corners, left eye outer/inner, nose base.
    p68 = f68.landmarks
    ref = np.array([p68[45], p68[42], p68[36], p68[39], p68[33]])
    io = interocular(p68.astype(np.float64))
    assert np.linalg.norm(f5.landmarks - ref, axis=1).max() < 0.2 * io
    m = fs.align_transform(f5, 256, 0.25)
    m68 = fs.align_transform(f68, 256, 0.25)
    # both put the face in about the same place
    assert np.abs(fs.apply_affine(m, p68) - fs.apply_affine(m68, p68)).max() < 0.05 * 256
