"""Learned conversion: extraction, training of the shared-encoder autoencoder, the model file, and
conversion through the swapper, the video job and the stream (small, fast settings; the long
run's figures come from Tests/python/learned_long_run.py and are reported in the closing note).

Ground truth used here:
- MANIFEST.tsv: vr_face2/vr_face3 show one face in all 125 frames; fr_short_hamilton_clip has a
  face in 154 of 275 frames for dlib's HOG at upsample 0.
- The extracted crops' sidecar landmarks against landmarks detected afresh on the written crop.
- Training: the loss must fall; a run cancelled and resumed must give exactly the losses of an
  uninterrupted run with the same seed.
- Swapping: pixels outside the returned mask are bit-identical to the target's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

from conftest import DATA, REPO

VIDEOS = DATA / "videos"
CLI = REPO / ".build" / "release" / "faceswap-cli"


def held_out(path: Path) -> bool:
    """Frames 100..124 of each clip are kept out of training."""
    return int(path.stem.rsplit("_f", 1)[1][:6]) >= 100


@pytest.fixture(scope="module")
def extracted(fs, tmp_path_factory):
    root = tmp_path_factory.mktemp("learned")
    stats = {}
    for name, clip in (("a", "vr_face2"), ("b", "vr_face3")):
        stats[name] = fs.extract(str(VIDEOS / f"{clip}.mp4"), root / name, duplicate_distance=0)
        held = root / f"{name}_held"
        held.mkdir()
        for p in sorted((root / name).iterdir()):
            if held_out(p):
                p.rename(held / p.name)
    return root, stats


@pytest.fixture(scope="module")
def trained(fs, extracted, tmp_path_factory):
    """A short training run (60 iterations, batch 8): the model, its losses, its folder."""
    root, _ = extracted
    out = tmp_path_factory.mktemp("model")
    trainer = fs.Trainer(root / "a", root / "b", out / "ab.fsm", batch=8, seed=3, checkpoint_every=0,
                         preview_every=30, preview_dir=out / "preview", name_a="Swalwell", name_b="AOC")
    steps = trainer.run(iterations=60)
    trainer.close()
    return out / "ab.fsm", steps, out


def frame_of(video: Path, seconds: float, out: Path) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", str(seconds), "-i", str(video), "-frames:v", "1",
                    str(out)], check=True)
    return out


# ---- extraction ---------------------------------------------------------------------------

def test_extract_finds_the_manifest_faces(extracted):
    _, stats = extracted
    for name, s in stats.items():
        print(name, s)
        assert s["frames"] == 125 and s["frames_with_one_face"] == 125, s   # MANIFEST: all 125 frames
        assert s["written"] == 125 and s["skipped_duplicate"] == 0 and s["skipped_blurry"] == 0, s


def test_extract_hamilton_against_the_manifest(fs, tmp_path):
    clip = VIDEOS / "fr_short_hamilton_clip.mp4"
    s = fs.extract(str(clip), tmp_path / "h", duplicate_distance=0, min_sharpness=0, max_faces=4)
    with_faces = s["frames"] - s["frames_without_face"]
    print(f"hamilton: {s['frames']} frames, {with_faces} with a face (MANIFEST: HOG up0 154/275), "
          f"{s['frames_with_more_faces']} with more than one, {s['written']} crops")
    assert s["frames"] == 275
    assert abs(with_faces - 154) <= 15
    assert s["written"] == s["faces_found"] >= with_faces


def test_sidecar_landmarks_match_a_fresh_detection(fs, extracted):
    import json
    root, _ = extracted
    errors = []
    with fs.Detector() as det, fs.Landmarker() as lm:
        for png in sorted((root / "a").glob("*.png"))[::25] + sorted((root / "b").glob("*.png"))[::25]:
            side = json.loads(png.with_suffix(".json").read_text())
            crop = fs.load_image(png)
            assert crop.shape == (side["size"], side["size"], 3)
            faces = det.detect(crop)
            assert faces, f"no face re-detected in {png.name}"
            fresh = lm.fit(crop, faces[0]).landmarks
            stored = np.array(side["landmarks"])
            iod = np.linalg.norm(stored[36:42].mean(0) - stored[42:48].mean(0))
            errors.append(float(np.linalg.norm(fresh - stored, axis=1).mean() / iod))
    print("sidecar vs fresh landmarks, mean error / IOD:", [round(e, 4) for e in errors])
    assert max(errors) < 0.05


def test_duplicates_and_blurry_faces_are_skipped(fs, tmp_path, faces_dir):
    s = fs.extract(str(VIDEOS / "vr_face2.mp4"), tmp_path / "dup")
    print("vr_face2 with duplicate skipping:", s)
    assert s["skipped_duplicate"] > 0 and s["written"] + s["skipped_duplicate"] == 125
    sharp = fs.load_image(faces_dir / "fr_obama1.jpg")
    blurred = sharp.astype(np.float32)
    for _ in range(6):  # a wide box blur, separable
        blurred = (np.roll(blurred, 3, 0) + blurred + np.roll(blurred, -3, 0)) / 3
        blurred = (np.roll(blurred, 3, 1) + blurred + np.roll(blurred, -3, 1)) / 3
    (tmp_path / "in").mkdir()
    fs.save_image(sharp, tmp_path / "in" / "sharp.png")
    fs.save_image(blurred.round().astype(np.uint8), tmp_path / "in" / "blurred.png")
    s = fs.extract(str(tmp_path / "in"), tmp_path / "out")
    print("sharp + blurred:", s)
    assert s["faces_found"] == 2 and s["skipped_blurry"] == 1 and s["written"] == 1
    assert [p.name for p in (tmp_path / "out").glob("*.png")] == ["sharp_0.png"]


def test_extract_errors_name_the_problem(fs, tmp_path):
    with pytest.raises(fs.FaceSwapError) as e:
        fs.extract(str(tmp_path / "missing.mp4"), tmp_path / "o")
    assert e.value.status_name.startswith("FS_ERR_IO:") and "missing.mp4" in str(e.value)
    with pytest.raises(fs.FaceSwapError) as e:
        fs.extract(str(VIDEOS / "vr_face2.mp4"), tmp_path / "o", size=8)
    assert e.value.status_name.startswith("FS_ERR_INVALID_ARGUMENT:") and "size" in str(e.value)


# ---- training -----------------------------------------------------------------------------

def assert_loss_falls(steps: list, by: float = 0.2) -> None:
    """Both identities' total loss falls steadily over the run's thirds, the last third's mean
    below (1 - by) times the first's."""
    print("iteration  loss A  loss B")
    for s in steps[::10] + [steps[-1]]:
        print(f"{s['iteration']:9d}  {s['loss_a']['total']:.4f}  {s['loss_b']['total']:.4f}")
    third = len(steps) // 3
    for name in ("loss_a", "loss_b"):
        curve = np.array([s[name]["total"] for s in steps])
        thirds = [curve[i * third:(i + 1) * third].mean() for i in range(3)]
        assert thirds[0] > thirds[1] > thirds[2], (name, thirds)   # steadily
        assert thirds[2] < (1 - by) * thirds[0], (name, thirds)


def test_training_loss_falls(trained):
    path, steps, out = trained
    assert_loss_falls(steps)
    csv = (out / "ab.loss.csv").read_text().splitlines()
    assert len(csv) == 61 and csv[0].startswith("iteration,seconds,total_a")
    plot = __import__("faceswap").load_image(out / "ab.loss.png")
    assert plot.shape[0] > 100 and plot.std() > 10          # a drawn chart, not a blank page
    grid = __import__("faceswap").load_image(out / "preview" / "preview.png")
    assert grid.shape[0] >= 6 * 128                        # rows A, A>A, A>B, B, B>B, B>A
    assert (out / "preview" / "preview_0000030.png").is_file()


def test_resume_after_cancel_gives_the_same_next_losses(fs, extracted, tmp_path):
    root, _ = extracted
    kw = dict(batch=4, seed=11, checkpoint_every=0, preview_every=0)
    full = fs.Trainer(root / "a", root / "b", tmp_path / "full.fsm", **kw).run(iterations=8)
    tr = fs.Trainer(root / "a", root / "b", tmp_path / "part.fsm", **kw)
    with pytest.raises(fs.FaceSwapError) as e:
        tr.run(iterations=8, progress=lambda s: s["iteration"] < 4)
    assert e.value.status_name.startswith("FS_ERR_CANCELLED:") and "checkpoint" in str(e.value)
    assert tr.iteration == 4
    tr.close()
    assert not list(tmp_path.glob("*.tmp-*"))
    resumed = fs.Trainer(root / "a", root / "b", tmp_path / "part.fsm", resume=True)
    assert resumed.iteration == 4
    rest = resumed.run(iterations=4)
    for x, y in zip(full[4:], rest):
        print(x["iteration"], x["loss_a"]["total"], y["loss_a"]["total"], x["loss_b"]["total"], y["loss_b"]["total"])
        assert x["iteration"] == y["iteration"]
        assert x["loss_a"] == y["loss_a"] and x["loss_b"] == y["loss_b"]   # bit for bit


def test_adversarial_option_trains_a_discriminator(fs, extracted, tmp_path):
    root, _ = extracted
    steps = fs.Trainer(root / "a", root / "b", tmp_path / "gan.fsm", batch=4, gan=0.1, checkpoint_every=0,
                       preview_every=0).run(iterations=3)
    for s in steps:
        for side in ("loss_a", "loss_b"):
            assert 0 < s[side]["gan_d"] < 10 and 0 < s[side]["gan_g"] < 10, s
    no_gan = fs.Trainer(root / "a", root / "b", tmp_path / "plain.fsm", batch=4, checkpoint_every=0,
                        preview_every=0).run(iterations=1)
    assert no_gan[0]["loss_a"]["gan_d"] == 0


def test_training_errors_name_the_problem(fs, extracted, tmp_path):
    root, _ = extracted
    (tmp_path / "empty").mkdir()
    with pytest.raises(fs.FaceSwapError) as e:
        fs.Trainer(tmp_path / "empty", root / "b", tmp_path / "m.fsm")
    assert e.value.status_name.startswith("FS_ERR_INVALID_ARGUMENT:") and "faceswap extract" in str(e.value)
    with pytest.raises(fs.FaceSwapError) as e:
        fs.Trainer(root / "a", root / "b", tmp_path / "m.fsm", size=96)
    assert "size 96" in str(e.value)
    with pytest.raises(fs.FaceSwapError) as e:
        fs.Trainer(root / "a", root / "b", tmp_path / "none.fsm", resume=True)
    # a missing model file is MODEL, whatever its kind (as a missing dlib model)
    assert e.value.status_name.startswith("FS_ERR_MODEL:") and "none.fsm" in str(e.value)


# ---- the autoencoder whose decoders upscale: a 64-px input, a 128-px face (issue 17 item 1) --

@pytest.fixture(scope="module")
def upscaled(fs, extracted, tmp_path_factory):
    """The 64 -> 128 autoencoder trained as `trained` is (60 iterations, batch 8, seed 3)."""
    root, _ = extracted
    out = tmp_path_factory.mktemp("upscaled")
    trainer = fs.Trainer(root / "a", root / "b", out / "ab.fsm", size=128, input_size=64, batch=8, seed=3,
                         checkpoint_every=0, preview_every=0)
    steps = trainer.run(iterations=60)
    trainer.close()
    return out / "ab.fsm", steps


def test_upscaling_autoencoder_trains_and_its_file_says_so(fs, upscaled, trained, extracted, tmp_path):
    path, steps = upscaled
    # the 128-px losses fall more slowly at first (measured: A 0.462 -> 0.454 -> 0.404 over the
    # thirds of these 60 iterations, B alike; the 64-px model's fall by more than 20 %)
    assert_loss_falls(steps, by=0.1)
    raw = path.read_bytes()
    header = raw[16:16 + struct.unpack("<I", raw[12:16])[0]].decode()
    assert "architecture=shared-encoder-autoencoder-upscale-1\n" in header, header
    assert "\nsize=128\ninput_size=64\n" in header, header
    with fs.Model(path) as up, fs.Model(trained[0]) as plain:
        u, p = up.info, plain.info
        assert (u["size"], u["input_size"]) == (128, 64) and (p["size"], p["input_size"]) == (64, 64)
        # the encoder is the 64-px model's (a 128-px encoder's first fc alone is 4x larger); each
        # decoder has one more stage: up<24> (48*24*16 weights + 24 biases) and its last stage takes
        # 24 channels, not 48 (4*24*16 weights instead of 4*48*16)
        assert u["encoder_parameters"] == p["encoder_parameters"]
        assert u["decoder_parameters"] - p["decoder_parameters"] == 48 * 24 * 16 + 24 - 4 * 24 * 16
    # the sides are for new models; a mismatch is refused by name
    root, _ = extracted
    for size, input_size in ((64, 128), (128, 32), (64, 32)):
        with pytest.raises(fs.FaceSwapError) as e:
            fs.Trainer(root / "a", root / "b", tmp_path / "m.fsm", size=size, input_size=input_size)
        assert e.value.status_name.startswith("FS_ERR_INVALID_ARGUMENT:") and "input_size" in str(e.value), str(e.value)
    with pytest.raises(fs.FaceSwapError) as e:
        fs.Trainer(None, root / "b", tmp_path / "g.fsg", method="landmark-gan", size=128, input_size=64)
    assert "autoencoder only" in str(e.value), str(e.value)


def fine_band_share(tile: np.ndarray) -> float:
    """The share of a 128-px picture's spectral power (grey, mean removed, Hann window) above
    0.25 cycles per pixel in x or y: the band a 64-px picture upscaled 2x cannot hold (only
    interpolation leaks into it)."""
    t = tile.astype(np.float64).mean(2)
    t -= t.mean()
    p = np.abs(np.fft.fft2(t * np.outer(np.hanning(len(t)), np.hanning(len(t))))) ** 2
    f = np.abs(np.fft.fftfreq(len(t)))
    band = np.maximum.outer(f, f)
    return float(p[band > 0.25].sum() / p[band > 0].sum())


def test_upscaling_autoencoder_outputs_128_px_faces(fs, upscaled, trained, extracted, tmp_path):
    """The decoders' faces are 128-px pictures, not 64-px ones enlarged: fs_trainer_preview's
    A -> B row is the decoder's output (128-px tiles; a 64-px model's enlarged 2x, bilinear) and
    its power above the 64-px Nyquist frequency is measured on both short models (this fixture's:
    0.0039 of the total against 0.0003; on the 12-minute models of the long run 0.0003 against
    0.00008, and A's own 128-px faces 0.0043). The swap converts through it, by the API and the CLI."""
    root, _ = extracted
    share = {}
    for name, path in (("64", trained[0]), ("64->128", upscaled[0])):
        with fs.Trainer(root / "a", root / "b", path, resume=True) as tr:   # resume: the model as saved
            grid = tr.preview()
        y = 30 + 2 * (128 + 4)           # rows A, A > A, A > B; 128-px tiles, 4 px apart, under a 30-px title
        share[name] = float(np.median([fine_band_share(grid[y:y + 128, 200 + c * 132:200 + c * 132 + 128])
                                       for c in range(6)]))
    print("\n    power above the 64-px Nyquist frequency in the A -> B tiles:", share)
    assert share["64->128"] >= 3 * share["64"], share
    frame = fs.load_image(frame_of(VIDEOS / "vr_face2.mp4", 4.4, tmp_path / "a110.png"))   # held out
    with fs.Model(upscaled[0]) as model, fs.Swapper(model=model) as sw:
        out, mask, n = sw.swap(None, frame, return_mask=True)
        assert n == 1 and np.array_equal(out[mask == 0], frame[mask == 0])
        assert np.abs(out[mask > 128].astype(int) - frame[mask > 128]).mean() > 3
    r = subprocess.run([str(CLI), "swap", "--model", str(upscaled[0]), "--target", str(tmp_path / "a110.png"), "-o",
                        str(tmp_path / "o.png")], capture_output=True, text=True)
    assert r.returncode == 0 and fs.load_image(tmp_path / "o.png").shape == frame.shape, r.stderr


# ---- the model file -----------------------------------------------------------------------

def rewrite_crc(data: bytearray) -> bytearray:
    data[-4:] = struct.pack("<I", zlib.crc32(bytes(data[:-4])) & 0xFFFFFFFF)
    return data


def header_of(raw: bytes) -> tuple[str, int]:
    h = struct.unpack("<I", raw[12:16])[0]
    return raw[16:16 + h].decode(), h


def with_header(raw: bytes, header: str) -> bytes:
    """The model file `raw` with another header (lengths and CRC rewritten)."""
    _, h = header_of(raw)
    body = raw[:12] + struct.pack("<I", len(header.encode())) + header.encode() + raw[16 + h:]
    return bytes(rewrite_crc(bytearray(body)))


def without_detail(raw: bytes) -> bytes:
    """The model file as libfaceswap wrote it before 0.21.0: no detail faces in its header."""
    header, _ = header_of(raw)
    return with_header(raw, "".join(line + "\n" for line in header.split("\n")
                                    if line and not line.startswith(("detail_a=", "detail_b="))))


def test_model_keeps_a_real_face_of_each_person(fs, trained, extracted, tmp_path, landmarker, recognizer, request):
    """The model file keeps one of each person's training crops (header keys detail_a/detail_b:
    68 points, then the crop as base64 JPEG) for conversion's fine detail. Decoded here with
    Python's own base64 and OpenCV: each is one of that person's extracted crops (pixels within
    JPEG error, the sidecar's points exactly) and dlib's ResNet reads it as that person. A model
    without them (made before 0.21.0) still loads and gets them when it resumes; a damaged value
    is refused by name."""
    import base64
    import cv2
    path, _, _ = trained
    root, _ = extracted
    raw = path.read_bytes()
    header, _ = header_of(raw)
    values = dict(line.split("=", 1) for line in header.split("\n") if "=" in line)
    det = fs.Detector()
    request.addfinalizer(det.close)

    def embedding(img):
        found = det.detect(img)
        assert found, "no face in the crop"
        return recognizer.embed(img, landmarker.fit(img, found[0]))

    refs = {k: np.mean([embedding(fs.load_image(p)) for p in sorted((root / k).glob("*.png"))[::20]], axis=0)
            for k in ("a", "b")}
    for who, other in (("a", "b"), ("b", "a")):
        points, coded = values[f"detail_{who}"].split(";", 1)
        points = np.array([float(v) for v in points.split(",")]).reshape(68, 2)
        img = cv2.imdecode(np.frombuffer(base64.b64decode(coded, validate=True), np.uint8), cv2.IMREAD_COLOR)
        crops = sorted((root / who).glob("*.png"))
        diffs = [np.abs(cv2.imread(str(c)).astype(int) - img).mean() for c in crops]
        best = crops[int(np.argmin(diffs))]
        assert min(diffs) < 2.0, min(diffs)   # a JPEG of quality 95 of that crop
        sidecar = json.loads(best.with_suffix(".json").read_text())
        np.testing.assert_array_equal(points, np.array(sidecar["landmarks"]))
        e = embedding(np.ascontiguousarray(img))
        d_own, d_other = (float(np.linalg.norm(e - refs[k])) for k in (who, other))
        print(f"\n    detail_{who}: {best.name}, JPEG error {min(diffs):.2f}, to {who} {d_own:.3f}, to {other} {d_other:.3f}")
        assert d_own < 0.6 < d_other, (d_own, d_other)

    old = tmp_path / "old.fsm"
    old.write_bytes(without_detail(raw))
    with fs.Model(old) as m:
        assert m.info["iterations"] == 60
    tr = fs.Trainer(root / "a", root / "b", old, resume=True, checkpoint_every=0, preview_every=0)
    tr.save()
    tr.close()
    resumed, _ = header_of(old.read_bytes())
    assert "\ndetail_a=" in resumed and "\ndetail_b=" in resumed
    bad = tmp_path / "bad.fsm"
    bad.write_bytes(with_header(raw, header.replace("detail_b=", "detail_b=1,2,3;", 1)))
    with pytest.raises(fs.FaceSwapError) as e:
        fs.Model(bad)
    assert e.value.status_name.startswith("FS_ERR_MODEL:") and "detail_b" in str(e.value), str(e.value)


def test_model_file_format_and_damage(fs, trained, tmp_path, faces_dir):
    path, _, _ = trained
    raw = bytearray(path.read_bytes())
    assert raw[:8] == b"FSMODEL\0" and struct.unpack("<I", raw[8:12])[0] == 1
    assert zlib.crc32(bytes(raw[:-4])) & 0xFFFFFFFF == struct.unpack("<I", raw[-4:])[0]   # CRC-32 (IEEE)
    header = raw[16:16 + struct.unpack("<I", raw[12:16])[0]].decode()
    assert "architecture=shared-encoder-autoencoder-1" in header and "size=64" in header
    with fs.Model(path) as m:
        info = m.info
        assert info["size"] == 64 and info["iterations"] == 60 and info["has_training_state"]
        assert info["name_a"] == "Swalwell" and info["name_b"] == "AOC"
        assert info["encoder_parameters"] > 1_000_000 and info["decoder_parameters"] > 100_000

    def refused(data: bytes, status: str, words: str):
        bad = tmp_path / "bad.fsm"
        bad.write_bytes(data)
        with pytest.raises(fs.FaceSwapError) as e:
            fs.Model(bad)
        assert e.value.status_name.startswith(status + ":") and words in str(e.value), str(e.value)
        print(f"{status}: {e.value}")

    flipped = bytearray(raw)
    flipped[len(raw) // 2] ^= 0x40
    refused(bytes(flipped), "FS_ERR_MODEL", "checksum")
    refused(bytes(raw[:len(raw) // 3]), "FS_ERR_MODEL", "truncated")
    refused((faces_dir / "fr_obama1.jpg").read_bytes(), "FS_ERR_MODEL", "not a libfaceswap model")
    newer = bytearray(raw)
    newer[8:12] = struct.pack("<I", 99)
    refused(bytes(rewrite_crc(newer)), "FS_ERR_MODEL", "newer")
    foreign = bytes(raw).replace(b"architecture=shared-encoder-autoencoder-1",
                                 b"architecture=shared-encoder-autoencoder-9", 1)
    refused(bytes(rewrite_crc(bytearray(foreign))), "FS_ERR_MODEL", "architecture")
    with pytest.raises(fs.FaceSwapError) as e:
        fs.Model(tmp_path / "missing.fsm")
    # a missing model file is MODEL, whatever its kind (as a missing dlib model)
    assert e.value.status_name.startswith("FS_ERR_MODEL:") and "missing.fsm" in str(e.value)


# ---- conversion ---------------------------------------------------------------------------

def test_learned_swap_changes_only_the_face(fs, trained, tmp_path):
    path, _, _ = trained
    frame = fs.load_image(frame_of(VIDEOS / "vr_face2.mp4", 4.4, tmp_path / "a110.png"))   # held out
    with fs.Model(path) as model, fs.Swapper(model=model) as sw:
        out, mask, n = sw.swap(None, frame, return_mask=True)
        assert n == 1 and out.shape == frame.shape
        outside = mask == 0
        assert np.array_equal(out[outside], frame[outside])
        inside = mask > 128
        assert 0.02 < inside.mean() < 0.5 and np.abs(out[inside].astype(int) - frame[inside]).mean() > 3
        fs.save_image(np.hstack([frame, out]), tmp_path / "a_to_b.png")
    with fs.Model(path) as model, fs.Swapper(model=model, model_mask=True) as sw:
        out2, mask2, _ = sw.swap(None, frame, return_mask=True)
        assert (mask2 <= mask).all() and mask2.sum() < mask.sum()     # the model's mask narrows it
        assert np.array_equal(out2[mask2 == 0], frame[mask2 == 0])
    b_frame = fs.load_image(frame_of(VIDEOS / "vr_face3.mp4", 4.4, tmp_path / "b110.png"))
    with fs.Model(path) as model, fs.Swapper(model=model, reverse=True) as sw:
        assert sw.swap_inplace(None, b_frame) == 1
    with fs.Swapper() as plain, pytest.raises(fs.FaceSwapError) as e:
        plain.swap(None, frame)
    assert e.value.status_name.startswith("FS_ERR_INVALID_ARGUMENT:") and "source" in str(e.value)
    # a learned swapper given a source photo refuses it (it would convert with the model and
    # leave the photo unused), and leaves the target as it was
    with fs.Model(path) as model, fs.Swapper(model=model) as sw:
        before = b_frame.copy()
        for call in (lambda: sw.swap(fs.load_image(DATA / "faces" / "fr_obama1.jpg"), frame),
                     lambda: sw.swap_inplace(fs.load_image(DATA / "faces" / "fr_obama1.jpg"), b_frame)):
            with pytest.raises(fs.FaceSwapError) as e:
                call()
            assert e.value.status_name.startswith("FS_ERR_INVALID_ARGUMENT:")
            assert "takes no source face" in str(e.value)
        assert np.array_equal(b_frame, before)


def test_learned_video_and_stream(fs, trained, tmp_path):
    video_and_stream_check(fs, trained[0], tmp_path)


def video_and_stream_check(fs, path: Path, tmp_path: Path) -> None:
    """The video job (25 frames of vr_face2, a face in each: MANIFEST) and the stream take a
    learned swapper of the model at `path` (test_gan.py uses it for the landmark GAN too)."""
    clip = tmp_path / "one_second.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(VIDEOS / "vr_face2.mp4"), "-t", "1", "-c:v", "libx264",
                    "-preset", "veryfast", "-an", str(clip)], check=True)
    with fs.Model(path) as model, fs.Swapper(model=model) as sw:
        stats = fs.swap_video(None, clip, tmp_path / "out.mp4", swapper=sw)
        assert stats["frames"] == 25 and stats["frames_with_faces"] == 25
        frame = fs.load_image(frame_of(clip, 0.2, tmp_path / "f.png"))
        with fs.Stream(sw, None) as stream:
            copy = frame.copy()
            assert stream.push(copy) == 1
            assert np.abs(copy.astype(int) - frame).max() > 0


@pytest.mark.parametrize("placed", ["vr_face2", "vr_face3"])
def test_preview_finds_a_moved_source_by_name_and_checks_it(fs, extracted, tmp_path, placed):
    """The frame preview (and with it the identity curve) needs the video A's crops were cut from.
    When the sidecars name a path that is gone, the trainer looks for the same file name beside
    the crop folder, and takes it only if cutting the crop again from it gives the stored crop:
    the right clip gives a frame preview, another clip under the same name gives none (and no
    wrong picture)."""
    root, _ = extracted
    crops = tmp_path / "moved" / "a"
    crops.mkdir(parents=True)
    for meta in sorted((root / "a").glob("*.json"))[:12]:
        d = json.loads(meta.read_text())
        assert Path(d["source"]).name == "vr_face2.mp4"
        d["source"] = "/nonexistent/clips/vr_face2.mp4"
        (crops / meta.name).write_text(json.dumps(d))
        shutil.copy(meta.with_suffix(".png"), crops / meta.with_suffix(".png").name)
    (tmp_path / "moved" / "vr_face2.mp4").symlink_to(VIDEOS / f"{placed}.mp4")
    out = tmp_path / "preview"
    with fs.Trainer(crops, root / "b", tmp_path / "m.fsm", batch=4, seed=1, checkpoint_every=0,
                    preview_every=2, preview_dir=out) as trainer:
        trainer.run(iterations=2)
    assert (out / "preview_0000002.png").is_file()
    assert (out / "preview_frame_0000002.png").is_file() == (placed == "vr_face2"), sorted(os.listdir(out))


def test_preview_shows_a_frame_of_a_at_its_real_size(fs, trained, extracted):
    """Issue 17 item 4: beside the model's 64-px grid, the preview shows one of A's frames, that
    frame swapped, and the face before | after at 1:1 (preview_frame_NNNNNNN.png), and writes the
    identity curve next to the model. Ground truth: the frame decoded by ffmpeg from the sidecar's
    video and frame number (the middle crop of A, which the trainer picks), its face box from the
    sidecar's landmarks mapped back through the inverse of its transform."""
    path, _, out = trained
    root, _ = extracted
    for n in (30, 60):
        assert (out / "preview" / f"preview_frame_{n:07d}.png").is_file(), sorted(os.listdir(out / "preview"))
    pic = fs.load_image(out / "preview" / "preview_frame_0000060.png")
    sidecars = sorted((root / "a").glob("*.json"))
    meta = json.loads(sidecars[len(sidecars) // 2].read_text())
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", meta["source"], "-vf", f"select=eq(n\\,{meta['frame']})",
                          "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "bgr24", "-"], capture_output=True, check=True).stdout
    w, h = (int(v) for v in subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                                            "stream=width,height", "-of", "csv=p=0", meta["source"]],
                                           capture_output=True, text=True, check=True).stdout.strip().split(","))
    frame = np.frombuffer(raw, np.uint8).reshape(h, w, 3).astype(np.float64)
    a, b, c, d, e, f = meta["transform"]
    inv = np.linalg.inv(np.array([[a, b, c], [d, e, f], [0, 0, 1]]))
    pts = np.array(meta["landmarks"], np.float64) @ inv[:2, :2].T + inv[:2, 2]
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    side = 1.5 * max(x1 - x0, y1 - y0)
    bx, by = (x0 + x1) / 2 - side / 2, (y0 + y1) / 2 - side / 2
    cx0, cy0 = max(0, int(np.floor(bx))), max(0, int(np.floor(by)))
    cx1, cy1 = min(w, int(np.ceil(bx + side))), min(h, int(np.ceil(by + side)))
    assert max(cx1 - cx0, cy1 - cy0) >= 256, "this clip's face is shown at 1:1 (the check below assumes it)"
    top = 28 + min(h, 480) + 8 + 28  # two text rows, the frames scaled to <= 480 px high, a gap
    cw, ch = cx1 - cx0, cy1 - cy0
    before = pic[top:top + ch, :cw].astype(np.float64)
    after = pic[top:top + ch, cw + 8:2 * cw + 8].astype(np.float64)
    truth = frame[cy0:cy1, cx0:cx1]
    psnr = 10 * np.log10(255 ** 2 / max(np.mean((before - truth) ** 2), 1e-12))
    assert psnr > 35, f"the 1:1 'before' is not the frame's face box: PSNR {psnr:.1f} dB"
    assert before.shape == after.shape == truth.shape
    corner = (slice(0, 12), slice(0, 12))
    assert np.array_equal(before[corner], after[corner]), "outside the face the swap changes nothing"
    inner = (slice(ch // 3, 2 * ch // 3), slice(cw // 3, 2 * cw // 3))
    assert np.abs(before[inner] - after[inner]).mean() > 3, "the face itself was converted"
    rows = (out / "ab.identity.csv").read_text().splitlines()
    assert rows[0] == "iteration,distance_to_b,distance_to_a" and [r.split(",")[0] for r in rows[1:]] == ["30", "60"], rows
    for r in rows[1:]:
        to_b, to_a = (float(v) for v in r.split(",")[1:])
        assert 0 < to_b < 1.5 and 0 < to_a < 1.5, r
    assert fs.load_image(out / "ab.identity.png").shape[:2] == (450, 800)


def _blas_mapped_into_this_process():
    """The BLAS file(s) this Python process has mapped (the library's dlib resolved cblas_sgemm
    from one of them), read from /proc/self/maps, resolved through symlinks."""
    paths = set()
    for line in Path("/proc/self/maps").read_text().splitlines():
        path = line.split()[-1] if len(line.split()) >= 6 else ""
        if "blas" in Path(path).name:
            paths.add(os.path.realpath(path))
    return paths


def _dlib_built_with_cuda():
    """Whether the dlib whose headers the build used (Debian's, unless FS_DLIB_PREFIX) has CUDA."""
    config = Path(os.environ.get("FS_DLIB_PREFIX", "/usr")) / "include" / "dlib" / "config.h"
    return config.is_file() and re.search(r"^#define DLIB_USE_CUDA", config.read_text(), re.M) is not None


def test_model_info_names_the_backend_that_runs_the_networks(fs, trained):
    """fs_model_get_info's backend (issue 17 item 3): on a CPU build, "cpu: BLAS PATH (dlib V)"
    where PATH is the BLAS this process really mapped (/proc/self/maps, resolved) and V the
    version of the dlib headers (dlib/revision.h) the shim was compiled with."""
    path, _, _ = trained
    backend = fs.Model(path).info["backend"]
    if _dlib_built_with_cuda():
        pytest.skip(f"optional capability missing: a CPU build (this is a CUDA one, backend {backend!r}: "
                    "test_cuda_build_reports_its_device covers it)")
    m = re.fullmatch(r"cpu: BLAS (\S+) \(dlib (\d+)\.(\d+)\.(\d+)\)", backend)
    assert m, backend
    mapped = _blas_mapped_into_this_process()
    assert m.group(1) in mapped, f"library says {m.group(1)}, the process maps {sorted(mapped)}"
    rev = Path("/usr/include/dlib/revision.h").read_text()
    want = tuple(re.search(rf"#define DLIB_{k}_VERSION +(\d+)", rev).group(1) for k in ("MAJOR", "MINOR", "PATCH"))
    assert m.groups()[1:] == want, (backend, want)


def test_cuda_build_reports_its_device(fs, trained, extracted, tmp_path):
    """A library built with FS_DLIB_CUDA=1 against a CUDA dlib, on a machine with a CUDA device,
    says "cuda: N device(s), device 0 NAME" (NAME as nvidia-smi lists it) and trains on it. Runs
    only there; this machine's CI has no GPU and Debian's dlib no CUDA, and the skip says which."""
    smi = shutil.which("nvidia-smi")
    if not _dlib_built_with_cuda() or smi is None:
        pytest.skip("optional capability missing: a CUDA build (FS_DLIB_CUDA=1 with a CUDA dlib: "
                    f"{'found' if _dlib_built_with_cuda() else 'the dlib headers have no DLIB_USE_CUDA'}) and a "
                    f"CUDA device ({'nvidia-smi found' if smi else 'no nvidia-smi'})")
    names = subprocess.run([smi, "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True,
                           check=True).stdout.split("\n")
    path, _, _ = trained
    backend = fs.Model(path).info["backend"]
    m = re.match(r"cuda: (\d+) device\(s\), device 0 (.+?) \(", backend)
    assert m and int(m.group(1)) >= 1 and m.group(2).strip() == names[0].strip(), (backend, names)
    root, _ = extracted
    trainer = fs.Trainer(root / "a", root / "b", tmp_path / "g.fsm", batch=4, checkpoint_every=0)
    assert len(trainer.run(iterations=2)) == 2
    trainer.close()


def test_cli_extract_train_swap(fs, tmp_path, extracted):
    assert CLI.is_file(), f"no CLI at {CLI} (make build)"
    root, _ = extracted
    for cmd in ("extract", "train"):
        r = subprocess.run([str(CLI), cmd, "--help"], capture_output=True, text=True)
        assert r.returncode == 0 and "usage: faceswap " + cmd in r.stdout
    r = subprocess.run([str(CLI), "train", "--faces-b", str(root / "b"), "--model", str(tmp_path / "m.fsm"),
                        "--iterations", "1"], capture_output=True, text=True)
    assert r.returncode == 2 and "--faces-a" in r.stderr
    r = subprocess.run([str(CLI), "train", "--faces-a", str(root / "a"), "--faces-b", str(root / "b"), "--model",
                        str(tmp_path / "m.fsm"), "--iterations", "2", "--batch", "2", "--quiet"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "m.fsm").is_file() and (tmp_path / "m.loss.csv").is_file() and (tmp_path / "m.loss.png").is_file()
    # it says what runs the networks, as fs_model_get_info does
    assert "faceswap: networks run on " + fs.Model(tmp_path / "m.fsm").info["backend"] in r.stderr, r.stderr
    target = frame_of(VIDEOS / "vr_face2.mp4", 4.8, tmp_path / "t.png")
    r = subprocess.run([str(CLI), "swap", "--model", str(tmp_path / "m.fsm"), "--target", str(target), "-o",
                        str(tmp_path / "o.png")], capture_output=True, text=True)
    assert r.returncode == 0 and (tmp_path / "o.png").is_file(), r.stderr
    r = subprocess.run([str(CLI), "swap", "--target", str(target), "-o", str(tmp_path / "o2.png")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--model" in r.stderr
    shutil.rmtree(tmp_path / "o2.png", ignore_errors=True)


# ---- sharpness: the target's fine skin detail on the learned face (issue 17 item 1) ---------

def test_learned_swap_takes_fine_detail_from_the_person_and_the_target(fs, trained, tmp_path, landmarker, recognizer,
                                                                      request):
    """The decoder's 64-px face stretched over a 250-px face is a smear; skin_texture gives it
    fine detail. With the model's real face of B (detail_b), B's own band, scaled to the target
    frame's, and the target's only for what that leaves; without one (a model made before
    0.21.0), the target frame's band on the skin and eyes, the decoder's brows and lips kept.
    Measured independently of the library on three held-out frames of A (4.1, 4.5, 4.9 s):
    OpenCV's 3x3 Laplacian variance in the re-fitted face (learned_long_run.sharpness), the
    result's over the target frame's; the identity by dlib's ResNet (distance to B's mean
    embedding) and the landmarks by dlib re-fitted on the result."""
    from PIL import Image as PILImage, ImageDraw
    from learned_long_run import sharpness
    path = trained[0]
    plain = tmp_path / "plain.fsm"
    plain.write_bytes(without_detail(path.read_bytes()))
    det, lm, rec = fs.Detector(), landmarker, recognizer  # the session's 68-point model and ResNet
    request.addfinalizer(det.close)

    def face_of(img):
        found = det.detect(img)
        assert found, "no face re-detected"
        return lm.fit(img, found[0])

    b_ref = np.mean([rec.embed(img, face_of(img)) for img in
                     (fs.load_image(frame_of(VIDEOS / "vr_face3.mp4", s, tmp_path / f"b{k}.png"))
                      for k, s in enumerate((0.5, 1.5, 2.5)))], axis=0)
    targets = [fs.load_image(frame_of(VIDEOS / "vr_face2.mp4", s, tmp_path / f"a{k}.png"))
               for k, s in enumerate((4.1, 4.5, 4.9))]
    fig = {}
    for name, model_path in (("detail", path), ("plain", plain)):
        with fs.Model(model_path) as model:
            for v in (0.0, 1.0):
                rows = []
                with fs.Swapper(det, lm, model=model, skin_texture=v) as sw:
                    for img in targets:
                        out = sw.swap(None, img)
                        f0, f1 = face_of(img), face_of(out)
                        p0, p1 = (np.asarray(f.landmarks, np.float64) for f in (f0, f1))
                        iod = np.linalg.norm(p0[36:42].mean(0) - p0[42:48].mean(0))
                        s = sharpness(out, img, p1)
                        rows.append({"out": out, "p0": p0, "face": s["face"][0], "eyes": s["eyes"][0],
                                     "mouth": s["mouth"][0],
                                     "to_b": float(np.linalg.norm(rec.embed(out, f1) - b_ref)),
                                     "landmarks": float(np.linalg.norm(p1 - p0, axis=1).mean() / iod)})
                fig[name, v] = rows
    for (name, v), rows in fig.items():
        print(f"\n    {name} skin_texture {v:g}: face sharpness x target " + ", ".join(f"{r['face']:.2f}" for r in rows)
              + "; eyes " + ", ".join(f"{r['eyes']:.2f}" for r in rows)
              + "; mouth " + ", ".join(f"{r['mouth']:.2f}" for r in rows)
              + "; to B " + ", ".join(f"{r['to_b']:.3f}" for r in rows)
              + "; landmarks/IOD " + ", ".join(f"{r['landmarks']:.3f}" for r in rows))
    for name in ("detail", "plain"):
        off, on = fig[name, 0.0], fig[name, 1.0]
        for a, b in zip(off, on):
            # The face reaches the 0.7x the target's, and by a clear step (measured on
            # this model: 0.51-0.56 -> detail 1.01-1.07, plain 0.98-1.05).
            assert b["face"] >= 0.7 and b["face"] >= 1.3 * a["face"], (name, a["face"], b["face"])
            # The eyes, the decoder's smoothest feature, take fine detail too (0.28-0.32 -> 1.42-1.54
            # with B's, 1.07-1.08 with the target's).
            assert b["eyes"] >= 0.7 and b["eyes"] >= 2 * a["eyes"], (name, a["eyes"], b["eyes"])
            # The identity and the landmarks hardly move (the band is finer than what carries
            # them); the bound is test_skin_texture's MAX_IDENTITY_SHIFT.
            assert abs(b["to_b"] - a["to_b"]) <= 0.05, (name, a["to_b"], b["to_b"])
            assert b["landmarks"] <= a["landmarks"] + 0.01, (name, a["landmarks"], b["landmarks"])
    # B's own detail moves the identity less than the target's alone (mean +0.025 from B against
    # +0.039 on this model; on the long run's 30-minute models -0.005 and -0.024, against +0.034
    # and 0.000 with 0.20.0's target band).
    detail, plain_on, off = fig["detail", 1.0], fig["plain", 1.0], fig["detail", 0.0]
    shift = lambda rows: np.mean([r["to_b"] - o["to_b"] for r, o in zip(rows, off)])
    assert shift(detail) < shift(plain_on), (shift(detail), shift(plain_on))
    # Without a detail face the brows and the lips stay the decoder's: inside the lips' outline
    # and along the brow lines (the target's points, where the decoded features are warped) no
    # pixel moves (nor with B's detail, taken inside the face mask inset by 0.12 of the eye
    # distance and without the mouth's opening: 0.11-0.28 on average either way).
    for name in ("plain", "detail"):
        for a, b in zip(fig[name, 0.0], fig[name, 1.0]):
            m = PILImage.new("L", (a["out"].shape[1], a["out"].shape[0]), 0)
            d = ImageDraw.Draw(m)
            d.polygon([tuple(map(float, a["p0"][i])) for i in range(48, 60)], fill=255)
            for brow in (range(17, 22), range(22, 27)):
                d.line([tuple(map(float, a["p0"][i])) for i in brow], fill=255, width=3)
            inside = np.asarray(m) > 0
            moved = np.abs(a["out"].astype(int) - b["out"])
            print(f"    {name}: lips and brow lines moved by {moved[inside].mean():.2f} on average")
            assert moved[inside].mean() < 0.5, (name, moved[inside].mean())
            assert moved.mean() > 0 and moved[~inside].max() > 8   # and the option did change the skin


def test_learned_swap_jaw_reads_on_the_targets(fs, trained, tmp_path, landmarker, request):
    """Issue 17 item 1: the learned face's jaw is warped onto the target's, so a re-fit of the
    result should find the jaw where the target frame's is. dlib's jaw fitted on the 4x-upscaled
    64-px decoded face lies outside the decoded cheek's edge; placed at full size, that edge sat
    inside the target's jaw and the re-fit took it for the jaw (on the 30-minute model, 0.095 of
    the eye distance inwards on average, 0.2 on the near side of the turned head). Measured
    independently of the library's own fit: dlib detected and fitted afresh on three held-out
    frames of A and on their results; the mean jaw offset along the outward direction (from the
    inner face's centre) and the mean jaw point error, over the inter-ocular distance."""
    det, lm = fs.Detector(), landmarker
    request.addfinalizer(det.close)
    offsets, errors = [], []
    with fs.Model(trained[0]) as model, fs.Swapper(det, lm, model=model) as sw:
        for k, s in enumerate((4.1, 4.5, 4.9)):
            img = fs.load_image(frame_of(VIDEOS / "vr_face2.mp4", s, tmp_path / f"a{k}.png"))
            out = sw.swap(None, img)
            p0, p1 = (np.asarray(lm.fit(x, det.detect(x)[0]).landmarks, np.float64) for x in (img, out))
            iod = np.linalg.norm(p0[36:42].mean(0) - p0[42:48].mean(0))
            n = p0[:17] - p0[27:48].mean(0)
            n /= np.linalg.norm(n, axis=1, keepdims=True)
            offsets.append(float(((p1[:17] - p0[:17]) * n).sum(1).mean() / iod))
            errors.append(float(np.linalg.norm(p1[:17] - p0[:17], axis=1).mean() / iod))
    print("\n    jaw offset outwards / IOD", [round(v, 3) for v in offsets], "jaw error / IOD", [round(v, 3) for v in errors])
    # The jaw does not read inside the target's (bound: half the inward offset found before),
    # and within the photo swap's jaw error on these clips (0.07-0.08 with a frame of B).
    assert np.mean(offsets) >= -0.05, offsets
    assert np.mean(errors) <= 0.08, errors
