"""The landmark GAN (issue 19): a generator that draws person B from a rendering of 68 landmarks,
trained with a patch discriminator; its model file; conversion through the swapper (CLI, C ABI
via this binding). Short runs (batch 8, tens of iterations): the long run's figures are not here,
but its measures are, on the short model (B driven by another person's clip).

Ground truth used here:
- MANIFEST.tsv: vr_face3 (B) shows one face in all 125 frames (25 fps: its first 4 s are frames
  0-99, the training set); fr_biden2.jpg one frontal face (another person: the target).
- Training: the loss must fall; a run cancelled and resumed must give exactly the losses of an
  uninterrupted run with the same seed (bit for bit).
- The model file: CRC-32 (zlib) over the bytes; a flipped byte must be refused.
- Conversion: pixels outside the returned mask are bit-identical to the target's; dlib's 68
  points fitted afresh on the output lie near the target's own points (the generated face is
  warped onto them).
- Driven by vr_face4 (another person): dlib's points and ResNet on the output against the
  driver's points, B's own frames (identity) and real held-out frames of B (sharpness).
"""

from __future__ import annotations

import json
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

from conftest import DATA, REPO
from test_learned import video_and_stream_check

VIDEOS = DATA / "videos"
CLI = REPO / ".build" / "release" / "faceswap-cli"
TARGET = DATA / "faces" / "fr_biden2.jpg"


@pytest.fixture(scope="module")
def faces_b(fs, tmp_path_factory):
    """B's aligned faces from the first 4 s (frames 0-99) of vr_face3, 128 px crops."""
    root = tmp_path_factory.mktemp("gan_faces")
    fs.extract(str(VIDEOS / "vr_face3.mp4"), root, duplicate_distance=0, size=128)
    for side in sorted(root.glob("*.json")):
        if json.loads(side.read_text())["frame"] >= 100:
            side.unlink()
            side.with_suffix(".png").unlink()
    assert len(list(root.glob("*.json"))) == 100
    return root


@pytest.fixture(scope="module")
def trained(fs, faces_b, tmp_path_factory):
    """40 iterations, batch 8, with the adversarial loss: the model file and its losses."""
    out = tmp_path_factory.mktemp("gan_model")
    tr = fs.Trainer(None, faces_b, out / "b.fsg", method="landmark-gan", batch=8, seed=3, gan=0.1,
                    checkpoint_every=0, preview_every=20, preview_dir=out / "preview", name_b="AOC")
    steps = tr.run(iterations=40)
    tr.close()
    return out / "b.fsg", steps, out


# ---- training -------------------------------------------------------------------------------

def test_training_loss_falls_and_writes_its_files(fs, trained):
    path, steps, out = trained
    assert [s["iteration"] for s in steps] == list(range(1, 41))
    first = np.mean([s["loss_b"]["l1"] for s in steps[:5]])
    last = np.mean([s["loss_b"]["l1"] for s in steps[-5:]])
    print(f"L1 of B: first 5 iterations {first:.4f}, last 5 {last:.4f}")
    assert last < 0.8 * first
    for s in steps:
        assert all(np.isnan(v) for v in s["loss_a"].values())          # the GAN trains B alone
        assert 0 < s["loss_b"]["gan_d"] < 10 and 0 < s["loss_b"]["gan_g"] < 10
    assert (out / "b.loss.csv").read_text().count("\n") == 41 and (out / "b.loss.png").stat().st_size > 0
    assert (out / "preview" / "preview_0000040.png").exists()


def test_resume_is_exact(fs, faces_b, tmp_path):
    kw = dict(method="landmark-gan", batch=4, seed=11, gan=0.1, checkpoint_every=0, preview_every=0)
    full = fs.Trainer(None, faces_b, tmp_path / "full.fsg", **kw).run(iterations=6)
    tr = fs.Trainer(None, faces_b, tmp_path / "part.fsg", **kw)
    with pytest.raises(fs.FaceSwapError) as e:
        tr.run(iterations=6, progress=lambda s: s["iteration"] < 3)
    assert e.value.status_name.startswith("FS_ERR_CANCELLED:")
    tr.close()
    resumed = fs.Trainer(None, faces_b, tmp_path / "part.fsg", method="landmark-gan", resume=True)
    assert resumed.iteration == 3
    rest = resumed.run(iterations=3)
    resumed.close()
    for x, y in zip(full[3:], rest):
        assert x["iteration"] == y["iteration"] and x["loss_b"] == y["loss_b"]   # bit for bit

    def weights(p: Path) -> bytes:   # the networks and optimiser state, without the header's clock
        raw = p.read_bytes()
        h = struct.unpack("<I", raw[12:16])[0]
        return raw[24 + h:-4]
    assert weights(tmp_path / "full.fsg") == weights(tmp_path / "part.fsg")


# ---- the model file -------------------------------------------------------------------------

def test_model_file_kind_and_damage(fs, trained, faces_b, tmp_path):
    path, _, _ = trained
    raw = bytearray(path.read_bytes())
    assert raw[:8] == b"FSMODEL\0" and zlib.crc32(bytes(raw[:-4])) & 0xFFFFFFFF == struct.unpack("<I", raw[-4:])[0]
    header = raw[16:16 + struct.unpack("<I", raw[12:16])[0]].decode()
    assert "architecture=landmark-gan-1" in header
    shape = [float(v) for v in header.split("mean_shape=")[1].split("\n")[0].split(",")]
    assert len(shape) == 136 and all(0 < v < 64 for v in shape)
    with fs.Model(path) as m:
        info = m.info
        assert info["method"] == "landmark-gan" and info["iterations"] == 40 and info["size"] == 64
        assert info["encoder_parameters"] == 0 and info["decoder_parameters"] > 1_000_000
        print(f"generator: {info['decoder_parameters']} parameters; file with training state {len(raw)} bytes")

    flipped = bytearray(raw)
    flipped[len(raw) // 2] ^= 0x40
    bad = tmp_path / "bad.fsg"
    bad.write_bytes(bytes(flipped))
    with pytest.raises(fs.FaceSwapError) as e:
        fs.Model(bad)
    assert e.value.status_name.startswith("FS_ERR_MODEL:") and "checksum" in str(e.value)

    # wrong kind both ways: an autoencoder resume on the GAN file, a GAN resume on an autoencoder
    with pytest.raises(fs.FaceSwapError) as e:
        fs.Trainer(faces_b, faces_b, path, resume=True)
    assert e.value.status_name.startswith("FS_ERR_MODEL:") and "landmark generator" in str(e.value), str(e.value)
    ae = tmp_path / "ae.fsm"
    fs.Trainer(faces_b, faces_b, ae, batch=2, checkpoint_every=0, preview_every=0).run(iterations=1)
    with pytest.raises(fs.FaceSwapError) as e:
        fs.Trainer(None, faces_b, ae, method="landmark-gan", resume=True)
    assert e.value.status_name.startswith("FS_ERR_MODEL:") and "autoencoder" in str(e.value), str(e.value)
    with fs.Model(path) as m, pytest.raises(fs.FaceSwapError) as e:
        fs.Swapper(model=m, reverse=True)
    assert e.value.status_name.startswith("FS_ERR_INVALID_ARGUMENT:") and "person B only" in str(e.value)


# ---- conversion -----------------------------------------------------------------------------

def landmark_error(fs, landmarker, image, want: np.ndarray) -> float:
    """Mean distance of dlib's 68 points fitted afresh on `image` from `want`, per inter-ocular
    distance (eye centres of `want`)."""
    with fs.Detector(upsample=1) as det:
        faces = det.detect(image)
    assert faces, "no face found on the output"
    got = landmarker.fit(image, faces[0]).landmarks
    iod = np.linalg.norm(want[36:42].mean(0) - want[42:48].mean(0))
    return float(np.linalg.norm(got - want, axis=1).mean() / iod)


def test_conversion_through_the_c_abi_and_the_cli(fs, trained, landmarker, tmp_path):
    path, _, _ = trained
    target = fs.load_image(TARGET)
    with fs.Detector(upsample=1) as det:
        want = landmarker.fit(target, det.detect(target)[0]).landmarks
    with fs.Model(path) as model, fs.Swapper(model=model) as sw:
        out, mask, n = sw.swap(None, target, return_mask=True)
    assert n == 1 and out.shape == target.shape
    assert np.array_equal(out[mask == 0], target[mask == 0])
    inside = mask > 128
    assert 0.02 < inside.mean() < 0.5 and np.abs(out[inside].astype(int) - target[inside]).mean() > 3
    err = landmark_error(fs, landmarker, out, want)
    print(f"C ABI: dlib's points on the output are {err:.3f} inter-ocular distances from the target's")
    assert err < 0.15

    cli_out = tmp_path / "cli.png"
    subprocess.run([str(CLI), "swap", "--model", str(path), "--target", str(TARGET), "-o", str(cli_out)],
                   check=True, capture_output=True)
    assert np.array_equal(fs.load_image(cli_out), out)   # the CLI is the same swapper through the C ABI


def chin_step(image: np.ndarray, p: np.ndarray) -> float:
    """The largest second difference down the chin of the grey rows' means (between the lower
    lip's middle, 57, and 0.15 eye distances below the chin, 8; columns 7-9): a horizontal line
    across the chin is a spike there."""
    iod = np.linalg.norm(p[36:42].mean(0) - p[42:48].mean(0))
    x0, x1, y0, y1 = int(p[7, 0]), int(p[9, 0]), int(p[57, 1]), int(p[8, 1] + 0.15 * iod)
    g = image[y0:y1, x0:x1, :3].astype(np.float64) @ np.array([0.114, 0.587, 0.299])
    return float(np.abs(np.diff(g.mean(1), 2)).max())


def test_swap_draws_no_line_at_the_generated_crops_edge(fs, trained, landmarker):
    """B's chin reaches the bottom of the generator's crop, so a driver's lowered chin maps past
    it. Measured on vr_face4 (another person, mouth moving), every third frame of 100-198: no
    result's chin has a step more than 6 levels above the driver's at the same place (before the
    crop's edge was faded, 3 of every 17 frames did, by 8-11 levels; since, at most 4.5: the short
    model's colour still differs from the driver's)."""
    path, _, _ = trained
    images = clip_frames("vr_face4.mp4", 100, 198, 3)
    assert len(images) == 33
    steps = []
    with fs.Model(path) as model, fs.Swapper(model=model) as sw, fs.Detector() as det:
        for img in images:
            p = np.asarray(landmarker.fit(img, det.detect(img)[0]).landmarks)
            steps.append((chin_step(sw.swap(None, img), p), chin_step(img, p)))
    s = np.array(steps)
    excess = s[:, 0] - s[:, 1]
    print(f"chin step, result / driver: median {np.median(s[:, 0]):.2f} / {np.median(s[:, 1]):.2f}; "
          f"largest excess {excess.max():.2f}")
    assert excess.max() <= 6, f"a line across the chin: {s.round(2).tolist()}"


def clip_frames(name: str, first: int, last: int, step: int) -> list:
    """Frames first..last (every step-th) of a shared clip, BGR, writable copies (test_reenact's
    read_video, which keeps the whole clip decoded once)."""
    from test_reenact import read_video
    return [np.array(f) for f in read_video(str(VIDEOS / name))[first:last + 1:step]]


def openings(p: np.ndarray) -> tuple[float, float]:
    """(inner-lip gap, eyes' lid gap) per inter-ocular distance."""
    iod = np.linalg.norm(p[36:42].mean(0) - p[42:48].mean(0))
    gap = lambda pairs: float(np.mean([np.linalg.norm(p[a] - p[b]) for a, b in pairs]) / iod)  # noqa: E731
    return gap(((61, 67), (62, 66), (63, 65))), gap(((37, 41), (38, 40), (43, 47), (44, 46)))


@pytest.fixture(scope="module")
def driven(fs, trained, landmarker, recognizer):
    """Issue 19 item 4's measures on the short model: B driven by another person (vr_face4, a sharp
    clip that blinks; its frames 100-198, every third), with skin_texture 0 and 1, measured by
    dlib fitted afresh and its ResNet, as Tests/python/learned_long_run.py measures the long run:
    distance to B (the mean embedding of vr_face3's frames 0-90, every tenth), lip and eye r
    against the driver's, and the face's Laplacian variance over that of real held-out frames of B
    (vr_face3 100-124, every third, at their own size)."""
    from learned_long_run import sharpness
    det = fs.Detector()
    face_of = lambda img: landmarker.fit(img, det.detect(img)[0])  # noqa: E731
    ref = np.mean([recognizer.embed(i, face_of(i)) for i in clip_frames("vr_face3.mp4", 0, 90, 10)], axis=0)
    real = np.median([sharpness(i, i, np.asarray(face_of(i).landmarks))["face"][1]
                      for i in clip_frames("vr_face3.mp4", 100, 124, 3)])
    drivers = clip_frames("vr_face4.mp4", 100, 198, 3)
    out = {}
    with fs.Model(trained[0]) as model:
        for st in (0.0, 1.0):
            rows = []
            with fs.Swapper(model=model, skin_texture=st) as sw:
                for img in drivers:
                    f0 = face_of(img)
                    res = sw.swap(None, img)
                    f1 = face_of(res)
                    p0, p1 = np.asarray(f0.landmarks), np.asarray(f1.landmarks)
                    rows.append((float(np.linalg.norm(recognizer.embed(res, f1) - ref)), *openings(p0), *openings(p1),
                                 sharpness(res, img, p1)["face"][1] / real))
            r = np.array(rows)
            out[st] = {"distance": r[:, 0].mean(), "within": np.mean(r[:, 0] <= 0.6),
                       "lip_r": np.corrcoef(r[:, 1], r[:, 3])[0, 1], "eye_r": np.corrcoef(r[:, 2], r[:, 4])[0, 1],
                       "sharp_vs_real_b": float(np.median(r[:, 5]))}
            print(f"skin_texture {st:g}: " + ", ".join(f"{k} {v:.3f}" for k, v in out[st].items()))
    det.close()
    return out


def test_driven_swap_is_as_sharp_as_a_real_frame_of_b(driven):
    """With skin_texture B's own detail face gives the generated face its fine band: the face is
    at least 0.7x as sharp as real frames of B (the long run's goal; 40 iterations: 1.43x), where
    the generator alone is a smear (0.29x)."""
    assert driven[1.0]["sharp_vs_real_b"] >= 0.7
    assert driven[1.0]["sharp_vs_real_b"] >= 2 * driven[0.0]["sharp_vs_real_b"]


def test_driven_swap_mouth_follows_and_b_comes_nearer(driven):
    """The mouth opening follows the driver's (r >= 0.8 here, 0.84-0.86 after 40 iterations; the
    long run's goal, 0.85, is the 30-minute model's), and B's detail face moves the result towards
    B (40 iterations: 0.69 -> 0.62)."""
    for st in (0.0, 1.0):
        assert driven[st]["lip_r"] >= 0.8
    assert driven[1.0]["distance"] < driven[0.0]["distance"] - 0.02


@pytest.mark.xfail(strict=True, reason="after 40 iterations (batch 8) the eyes and B's identity are not there yet "
                   "(the 30-minute run's are: Tests/python/learned_long_run.py, README): eye openness r 0.27 (generator alone) and 0.70, "
                   "12 % of the frames within 0.6 of B")
def test_driven_swap_eyes_and_identity_at_the_long_runs_goal(driven):
    assert driven[1.0]["eye_r"] >= 0.85 and driven[1.0]["within"] >= 0.9


def test_video_and_stream_with_the_gan(fs, trained, tmp_path):
    video_and_stream_check(fs, trained[0], tmp_path)


def test_train_gan_cli(faces_b, tmp_path):
    model = tmp_path / "cli.fsg"
    r = subprocess.run([str(CLI), "train-gan", "--faces-b", str(faces_b), "--model", str(model),
                        "--iterations", "2", "--batch", "2", "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "100 faces of B" in r.stderr and model.exists() and (tmp_path / "cli.loss.csv").exists()
    r = subprocess.run([str(CLI), "train-gan", "--faces-a", str(faces_b), "--faces-b", str(faces_b),
                        "--model", str(model), "--iterations", "1"], capture_output=True, text=True)
    assert r.returncode == 2 and "B alone" in r.stderr


# ---- the generator follows the landmarks ----------------------------------------------------

def mean_shape(path: Path) -> np.ndarray:
    """B's mean aligned shape, (68, 2), from the model file's header."""
    raw = path.read_bytes()
    header = raw[16:16 + struct.unpack("<I", raw[12:16])[0]].decode()
    return np.array([float(v) for v in header.split("mean_shape=")[1].split("\n")[0].split(",")]).reshape(68, 2)


def lip_gap(p: np.ndarray) -> float:
    """The inner lips' opening (points 61-67, 62-66, 63-65) per inter-ocular distance."""
    iod = np.linalg.norm(p[36:42].mean(0) - p[42:48].mean(0))
    return float(np.mean([np.linalg.norm(p[a] - p[b]) for a, b in ((61, 67), (62, 66), (63, 65))]) / iod)


def mouth_maps(mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """B's mean shape with the inner lips closed, and with the lower lip and chin lowered by
    0.35 inter-ocular distances (an open mouth)."""
    closed = mean.copy()
    for a, b in ((61, 67), (62, 66), (63, 65)):
        closed[a] = closed[b] = (closed[a] + closed[b]) / 2
    opened = closed.copy()
    d = 0.35 * np.linalg.norm(mean[36:42].mean(0) - mean[42:48].mean(0))
    opened[[55, 56, 57, 58, 59, 65, 66, 67], 1] += d
    opened[[48, 54], 1] += d / 3
    for i in range(4, 13):
        opened[i, 1] += d * (1 - abs(i - 8) / 5)
    return closed, opened


def generated_gaps(fs, path: Path, landmarker) -> tuple[float, float]:
    """dlib's lip gap fitted afresh on the generator's faces from the closed and open maps (the
    64-px faces enlarged 4x for the predictor, fitted in the drawn points' box)."""
    closed, opened = mouth_maps(mean_shape(path))
    gaps = []
    with fs.Model(path) as m:
        for pts in (closed, opened):
            big = np.ascontiguousarray(np.kron(m.generate(pts), np.ones((4, 4, 1), dtype=np.uint8)))
            (x0, y0), (x1, y1) = pts.min(0) * 4, pts.max(0) * 4
            fit = landmarker.fit(big, (float(x0), float(y0), float(x1 - x0), float(y1 - y0)))
            gaps.append(lip_gap(np.asarray(fit.landmarks) / 4))
    return gaps[0], gaps[1]


@pytest.mark.xfail(strict=True, reason="after 40 iterations (batch 8) the generator does not follow the mouth yet: "
                   "dlib's lip gap on its faces is 0.074 (closed map) vs 0.078 (open map, 0.35 drawn; wanted > +0.1)")
def test_generator_opens_the_mouth_it_is_drawn(fs, trained, landmarker):
    path, _, _ = trained
    closed, opened = generated_gaps(fs, path, landmarker)
    print(f"lip gap on the generated faces: closed map {closed:.3f}, open map {opened:.3f}")
    assert opened > closed + 0.1


def test_generate_refuses_bad_points(fs, trained):
    path, _, _ = trained
    with fs.Model(path) as m:
        with pytest.raises(ValueError):
            m.generate(np.zeros((5, 2)))
        pts = mean_shape(path)
        pts[7, 0] = np.nan
        with pytest.raises(fs.FaceSwapError) as e:
            m.generate(pts)
        assert e.value.status_name.startswith("FS_ERR_INVALID_ARGUMENT:") and "points[7]" in str(e.value)
        assert m.generate(mean_shape(path)).shape == (64, 64, 3)


# ---- driven reenactment of the trained person (issue 19 item 3) -----------------------------
#
# Ground truth: dlib's detector and 68 points fitted afresh on the output frames (independent of
# the points the reenactor drew B from) and on the driver's own frames; ffprobe for the file.

DRIVER = VIDEOS / "vr_face2.mp4"   # another person than B: 125 frames at 25 fps, AAC audio
CANVAS = (384, 384)


@pytest.fixture(scope="module")
def reenacted(fs, trained, tmp_path_factory):
    """B of the short model driven by vr_face2 through the binding (fs_reenactor_create_model +
    fs_reenact_video): the output path, stats and progress calls."""
    out = tmp_path_factory.mktemp("gan_reenact") / "b.mp4"
    calls = []
    with fs.Model(trained[0]) as m, fs.Reenactor(model=m, canvas=CANVAS) as r:
        assert r.size == CANVAS
        stats = r.video(DRIVER, out, progress=lambda d, t: calls.append(d) is None)
    return out, stats, calls


@pytest.fixture(scope="module")
def reenact_measures(fs, reenacted, landmarker):
    """Per frame: dlib's lip gap (per inter-ocular distance) on the driver's and on the output's
    frames (None where dlib finds no face), and the output face's centre."""
    from test_reenact import landmarks_in, read_video
    with fs.Detector(upsample=1) as det:
        drv = [landmarks_in(det, landmarker, f) for f in read_video(str(DRIVER))]
        out = [landmarks_in(det, landmarker, f) for f in read_video(str(reenacted[0]))]
    return drv, out


def test_reenact_model_video_frames_audio_progress(fs, reenacted):
    from test_reenact import probe
    out, stats, calls = reenacted
    streams = probe(out)["streams"]
    video = [s for s in streams if s["codec_type"] == "video"][0]
    driver = [s for s in probe(DRIVER)["streams"] if s["codec_type"] == "video"][0]
    print(f"reenact --model: {stats}; {video['width']}x{video['height']}, {video['nb_read_frames']} frames")
    assert int(video["nb_read_frames"]) == int(driver["nb_read_frames"]) == stats["frames"] == 125
    assert (int(video["width"]), int(video["height"])) == CANVAS
    assert [s["codec_type"] for s in streams].count("audio") == 1      # the driver's audio kept
    assert stats["frames_with_faces"] == 125 and calls[-1] == 125 and calls == sorted(calls)


def test_reenact_model_face_is_found(reenact_measures):
    """The goal: dlib finds a face on at least 90 % of the output frames."""
    _, out = reenact_measures
    found = sum(p is not None for p in out) / len(out)
    print(f"dlib finds a face on {found:.0%} of the output frames")
    assert found >= 0.9


def test_reenact_model_face_has_bs_own_detail(fs, trained, landmarker, tmp_path):
    """On the canvas B's face takes the fine band of B's detail face (the model's real crop of B):
    the Laplacian variance inside the face dlib finds on the output (every tenth frame) is at least
    2.5x that of the same model without its detail faces (40 iterations: 40 against 10; the
    20-minute model: 79 against 13, real frames of B 75)."""
    from learned_long_run import sharpness
    from test_learned import without_detail
    from test_reenact import read_video
    stripped = tmp_path / "stripped.fsg"
    stripped.write_bytes(without_detail(trained[0].read_bytes()))
    frames = read_video(str(DRIVER))
    medians = []
    with fs.Detector(upsample=1) as det:
        for path in (trained[0], stripped):
            values = []
            with fs.Model(path) as m, fs.Reenactor(model=m, canvas=CANVAS) as r:
                for i, frame in enumerate(frames):
                    out = np.ascontiguousarray(r.push(frame))
                    found = det.detect(out) if i % 10 == 0 else None
                    if found:
                        values.append(sharpness(out, out, np.asarray(landmarker.fit(out, found[0]).landmarks))["face"][1])
            assert len(values) >= 12
            medians.append(float(np.median(values)))
    print(f"canvas face sharpness: with B's detail face {medians[0]:.1f}, without {medians[1]:.1f}")
    assert medians[0] >= 2.5 * medians[1]


def test_reenact_model_detail_keeps_closed_eyes(fs, trained, landmarker, tmp_path):
    """B's detail face does not open the eyes the driver closes: on vr_face4's blink frames (its
    eye openness under 0.6 of its median: 20 frames), dlib's eye openness on the canvas over its
    own median is no more than 0.04 above the same model's without its detail faces (40
    iterations: 0.969 against 0.962; with the detail face's band in the closing eyes, before
    0.22.0, 1.050: its open eye squashed onto the lids read as a slit; the 30-minute model: 0.562,
    0.652 and 0.634). Faces found with dlib's detector upsampled once, as these figures were."""
    from test_learned import without_detail
    from test_reenact import landmarks_in, read_video
    stripped = tmp_path / "stripped.fsg"
    stripped.write_bytes(without_detail(trained[0].read_bytes()))
    frames = read_video(str(VIDEOS / "vr_face4.mp4"))
    eyes = lambda p: openings(np.asarray(p))[1] if p is not None else np.nan  # noqa: E731
    with fs.Detector(upsample=1) as det:
        driver = np.array([eyes(landmarks_in(det, landmarker, f)) for f in frames])
        blink = np.where(driver < 0.6 * np.nanmedian(driver))[0]
        assert len(blink) >= 10, f"{len(blink)} blink frames in the driver"
        ratios = []
        for path in (trained[0], stripped):
            with fs.Model(path) as m, fs.Reenactor(model=m, canvas=CANVAS) as r:
                out = np.array([eyes(landmarks_in(det, landmarker, np.ascontiguousarray(r.push(f)))) for f in frames])
            ratios.append(float(np.nanmedian(out[blink]) / np.nanmedian(out)))
    print(f"eye openness on {len(blink)} blink frames over the output's median: with B's detail face "
          f"{ratios[0]:.3f}, without {ratios[1]:.3f} (the driver's {np.nanmedian(driver[blink]) / np.nanmedian(driver):.3f})")
    assert ratios[0] <= ratios[1] + 0.04


@pytest.mark.xfail(strict=True, reason="after 40 iterations (batch 8) B's mouth does not follow the driver's: "
                   "r = -0.09 over 125 frames (goal 0.85); the generator does not yet open the mouth it "
                   "is drawn (test_generator_opens_the_mouth_it_is_drawn)")
def test_reenact_model_mouth_follows_the_driver(reenact_measures):
    """The goal (issue 19): the output's mouth opening follows the driver's, Pearson r >= 0.85
    over the frames where dlib finds both faces (at least 20 of them)."""
    drv, out = reenact_measures
    pairs = [(lip_gap(d), lip_gap(o)) for d, o in zip(drv, out) if d is not None and o is not None]
    assert len(pairs) >= 20, f"only {len(pairs)} frames with a face found in both"
    a, b = np.array(pairs).T
    r = float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else 0.0
    print(f"mouth opening, output vs driver: r = {r:.2f} over {len(pairs)} frames")
    assert r >= 0.85


def test_reenact_model_head_follows_the_driver(reenact_measures):
    """B's head moves with the driver's: the eye midpoint dlib finds on the output frames against
    the driver's, Pearson r >= 0.8 on each axis along which the driver moves (std over 2 px)."""
    drv, out = reenact_measures
    pairs = [(d[36:48].mean(0), o[36:48].mean(0)) for d, o in zip(drv, out) if d is not None and o is not None]
    a, b = (np.array([p[k] for p in pairs]) for k in (0, 1))
    moving = [ax for ax in (0, 1) if a[:, ax].std() > 2]
    rs = {ax: float(np.corrcoef(a[:, ax], b[:, ax])[0, 1]) for ax in moving}
    print(f"eye midpoint, output vs driver over {len(pairs)} frames: std of the driver's "
          f"{a.std(0).round(1).tolist()} px, of the output's {b.std(0).round(1).tolist()} px; r per moving axis {rs}")
    assert moving, "the driver does not move: the check needs another clip"
    assert all(r >= 0.8 for r in rs.values())


def test_reenact_model_cli(trained, reenacted, tmp_path):
    path, _, _ = trained
    out = tmp_path / "cli.mp4"
    r = subprocess.run([str(CLI), "reenact", "--model", str(path), "--driving", str(DRIVER), "-o", str(out),
                        "--canvas", f"{CANVAS[0]}x{CANVAS[1]}", "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "125 frames (125 with the driver's face)" in r.stderr
    from test_reenact import read_video
    cli, lib = read_video(str(out)), read_video(str(reenacted[0]))
    # The same reenactor through the C ABI with the same defaults: the same frames (decoded).
    assert cli.shape == lib.shape and np.abs(cli.astype(int) - lib).mean() < 0.5
    help_text = subprocess.run([str(CLI), "reenact", "--help"], capture_output=True, text=True).stdout
    assert "--model PATH" in help_text and "--canvas WxH" in help_text


def test_reenact_model_bad_inputs(fs, trained, faces_b, tmp_path):
    path, _, _ = trained
    def cli(*args):
        return subprocess.run([str(CLI), "reenact", *map(str, args), "--driving", str(DRIVER), "-o",
                               str(tmp_path / "x.mp4")], capture_output=True, text=True)
    r = cli("--model", tmp_path / "missing.fsg")
    assert r.returncode == 1 and "missing.fsg" in r.stderr and "cannot open" in r.stderr, r.stderr
    r = cli("--model", path, "--source", TARGET)
    assert r.returncode == 2 and "not both" in r.stderr
    r = cli("--model", path, "--canvas", "8x8")
    assert r.returncode == 1 and "canvas 8×8" in r.stderr, r.stderr
    r = cli("--model", path, "--canvas", "big")
    assert r.returncode == 2 and "WIDTHxHEIGHT" in r.stderr
    # an autoencoder model has no generator
    ae = tmp_path / "ae.fsm"
    tr = fs.Trainer(faces_b, faces_b, ae, batch=2, checkpoint_every=0, preview_every=0)
    tr.save()
    tr.close()
    r = cli("--model", ae)
    assert r.returncode == 1 and "landmark generator model" in r.stderr, r.stderr
    with fs.Model(ae) as m, pytest.raises(fs.FaceSwapError) as e:
        fs.Reenactor(model=m)
    assert e.value.status_name.startswith("FS_ERR_MODEL:") and "landmark generator model" in str(e.value)
    with fs.Model(path) as m:
        with pytest.raises(fs.FaceSwapError) as e:
            fs.Reenactor(TARGET, model=m)
        assert e.value.status_name.startswith("FS_ERR_INVALID_ARGUMENT:") and "not both" in str(e.value)
        with pytest.raises(fs.FaceSwapError) as e:
            fs.Reenactor(model=m, canvas=(5000, 64))
        assert e.value.status_name.startswith("FS_ERR_INVALID_ARGUMENT:") and "canvas 5000×64" in str(e.value)
    with pytest.raises(fs.FaceSwapError) as e:
        fs.Model(tmp_path / "missing.fsg")
    assert e.value.status_name.startswith("FS_ERR_MODEL:") and "missing.fsg" in str(e.value)
