"""Video: `faceswap-cli video` end to end on the shared clips, and the frame stream's landmark filter
against ground truth.

- Every clip of <data>/videos keeps its frame count, every frame's timestamp (variable frame rate
  included), its audio stream (codec, duration) and the video stream's end time (ffprobe).
- Frames with no face pass through unchanged (fr_short_hamilton_clip.mp4: scene cuts, a profile
  section HOG misses), compared losslessly (--crf 0).
- Ctrl-C (SIGINT) stops cleanly: exit 130, no output and no temporary file.
- Bad input (a text file, a video without video frames, an output folder that cannot be written)
  fails with one line and leaves nothing.
- Jitter and lag of the stream's One-Euro filter on a synthetic clip whose true landmarks are
  known by construction (a still portrait moved along a known sub-pixel path).
- Other people's files: .mkv/.mov/.webm (VP9 + Opus) inputs and outputs, a clip without audio,
  a 525x525 clip (written 524x524), a clip whose first frames have no face; H.264 in .webm and
  Opus in .mov refused with one line naming what to use. (Phone clips stored turned:
  test_video_rotation.py.)

Needs ffmpeg/ffprobe on PATH, the CLI (<repo>/.build/release/faceswap-cli, or FACESWAP_CLI) and
the test data (Tests/data, or FACESWAP_DATA); a missing one fails the module.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil
import signal
import subprocess
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from conftest import DATA, FIGURES, REPO, TABLES, skip_without

CLI = Path(os.environ.get("FACESWAP_CLI") or REPO / ".build" / "release" / "faceswap-cli")
VIDEOS = DATA / "videos"
SOURCE = REPO / "samples" / "source.jpg"
FFMPEG = shutil.which("ffmpeg")
FFPROBE = shutil.which("ffprobe")


@pytest.fixture(autouse=True, scope="module")
def tools_present():
    """ffmpeg/ffprobe (apt-get install ffmpeg), the CLI (make build) and the clips are required."""
    if not FFMPEG or not FFPROBE:
        pytest.fail("ffmpeg and ffprobe are needed on PATH (apt-get install ffmpeg)")
    if not CLI.is_file():
        pytest.fail(f"no CLI at {CLI} (make build, or set FACESWAP_CLI)")
    if not VIDEOS.is_dir() or not SOURCE.is_file():
        pytest.fail(f"test clips ({VIDEOS}) or the source photo ({SOURCE}) are missing")


CLIPS = sorted(p.name for p in VIDEOS.glob("*.mp4"))
HAMILTON = "fr_short_hamilton_clip.mp4"
VFR_CLIP = "vr_face1.mp4"


def _video_manifest() -> dict:
    """The videos table of MANIFEST.tsv (after the faces table and a blank line), by file name."""
    path = DATA / "MANIFEST.tsv"
    if not path.is_file():
        return {}
    blocks, block = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            block.append(line)
        elif block:
            blocks.append(block)
            block = []
    if block:
        blocks.append(block)
    for b in blocks:
        if b[0].startswith("file\t") and any(r.startswith("videos/") for r in b[1:]):
            return {Path(r["file"]).name: r for r in csv.DictReader(b, delimiter="\t")}
    return {}


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------

def run_cli(*args, timeout=600, wrap=()) -> subprocess.CompletedProcess:
    return subprocess.run([*wrap, str(CLI), "video", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def swap_video(inp: Path, out: Path, *extra, wrap=()) -> subprocess.CompletedProcess:
    return run_cli("--source", SOURCE, "--input", inp, "-o", out, "--quiet", *extra, wrap=wrap)


def read_only_mount(folder: Path) -> tuple:
    """A command prefix that runs the command with `folder` bind-mounted read-only in a private
    mount namespace: how root, for whom mode 555 does not stop writing, gets an unwritable folder."""
    unshare = shutil.which("unshare")
    probe = subprocess.run([unshare or "unshare", "-m", "true"], capture_output=True) if unshare else None
    if probe is None or probe.returncode != 0:
        skip_without("mount namespaces (unshare -m) or a non-root user",
                     "root can write into a mode 555 folder")
    return (unshare, "-m", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"', str(folder))


def ffprobe_json(path: Path, *args) -> dict:
    r = subprocess.run([FFPROBE, "-v", "error", *args, "-of", "json", str(path)], capture_output=True,
                       text=True, check=True)
    return json.loads(r.stdout)


def streams(path: Path) -> list:
    return ffprobe_json(path, "-count_frames", "-show_streams")["streams"]


def stream_of(info: list, kind: str) -> dict | None:
    return next((s for s in info if s.get("codec_type") == kind), None)


def frame_times(path: Path) -> list:
    """pts_time of every video frame, in presentation order, as ffprobe prints them."""
    r = subprocess.run([FFPROBE, "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time",
                        "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True)
    return [line.strip().rstrip(",") for line in r.stdout.split() if line.strip()]


def decode(path: Path, pix_fmt: str, width: int, height: int, *pre) -> np.ndarray:
    """Every frame, as decoded (no frame dropped or duplicated), as one uint8 array per frame."""
    r = subprocess.run([FFMPEG, "-nostdin", "-v", "error", *pre, "-i", str(path), "-map", "0:v:0",
                        "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"],
                       capture_output=True, check=True)
    data = np.frombuffer(r.stdout, np.uint8)
    if pix_fmt == "yuv420p":
        return data.reshape(-1, width * height * 3 // 2)
    return data.reshape(-1, height, width, 3)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


def one_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one line of error, got {len(lines)}:\n{stderr}"
    return lines[0]


@pytest.fixture(scope="module")
def swapped(tmp_path_factory):
    """Runs the CLI once per clip (default settings) and keeps the result: name -> (path, run)."""
    folder = tmp_path_factory.mktemp("swapped")
    done: dict = {}

    def get(name: str):
        if name not in done:
            out = folder / (Path(name).stem + ".out.mp4")
            t0 = time.perf_counter()
            r = swap_video(VIDEOS / name, out)
            done[name] = (out, r, time.perf_counter() - t0)
        return done[name]

    return get


# ------------------------------------------------------------------------------------------------
# frames, timestamps, audio, end time
# ------------------------------------------------------------------------------------------------

TABLE = TABLES.setdefault("video: faceswap-cli video keeps frames, timestamps and audio", [])


def test_shared_clips_are_there():
    assert len(CLIPS) >= 6, CLIPS
    assert VFR_CLIP in CLIPS and HAMILTON in CLIPS


@pytest.mark.sweep
@pytest.mark.parametrize("name", CLIPS or ["<no clips>"])
def test_video_keeps_frames_timestamps_audio(swapped, name):
    src = VIDEOS / name
    out, r, secs = swapped(name)
    assert r.returncode == 0, f"faceswap-cli video {name} failed ({r.returncode}):\n{r.stderr}"
    assert out.is_file()
    assert not [p for p in out.parent.iterdir() if ".partial" in p.name], "a temporary file was left"

    si, so = streams(src), streams(out)
    vi, vo = stream_of(si, "video"), stream_of(so, "video")
    assert vo is not None and vo["codec_name"] == "h264"
    assert (vo["width"], vo["height"]) == (vi["width"], vi["height"])

    # every frame
    n_in, n_out = int(vi["nb_read_frames"]), int(vo["nb_read_frames"])
    manifest = _video_manifest().get(name)
    if manifest and manifest.get("frames", "").strip().isdigit():
        assert n_in == int(manifest["frames"]), f"{name}: the manifest says {manifest['frames']} frames"
    assert n_out == n_in, f"{name}: {n_out} frames written, the input has {n_in}"

    # every timestamp
    ti, to = frame_times(src), frame_times(out)
    assert len(ti) == n_in and len(to) == n_out
    off = [(k, a, b) for k, (a, b) in enumerate(zip(ti, to)) if abs(float(a) - float(b)) > 1e-6]
    assert not off, f"{name}: {len(off)} frame timestamps differ (frame, input, output): {off[:5]}"
    exact = sum(a == b for a, b in zip(ti, to))

    # audio: present, same codec, same duration
    ai, ao = stream_of(si, "audio"), stream_of(so, "audio")
    audio = "none"
    if ai is not None:
        assert ao is not None, f"{name}: the audio stream was dropped"
        assert ao["codec_name"] == ai["codec_name"], f"{name}: audio {ai['codec_name']} became {ao['codec_name']}"
        da, db = float(ai["duration"]), float(ao["duration"])
        assert abs(da - db) <= 0.05, f"{name}: audio lasts {db:.3f} s, the input's {da:.3f} s"
        audio = f"{ao['codec_name']} {db:.3f}s (in {da:.3f}s)"

    # the video stream ends at the same time, within one frame
    fps = float(Fraction(vi["avg_frame_rate"]))
    end_i = float(vi["start_time"]) + float(vi["duration"])
    end_o = float(vo["start_time"]) + float(vo["duration"])
    assert abs(end_i - end_o) <= 1 / fps + 1e-6, \
        f"{name}: the video ends at {end_o:.4f} s, the input at {end_i:.4f} s (one frame = {1 / fps:.4f} s)"

    steps = np.diff([float(t) for t in ti])
    vfr = bool(steps.size and steps.max() - steps.min() > 1e-3)
    if name == VFR_CLIP:
        assert vfr, f"{name} should be variable frame rate (MANIFEST.tsv): frame steps {set(np.round(steps, 4))}"
    TABLE.append(f"{name}: {n_out}/{n_in} frames, {exact}/{n_in} pts_time identical as text "
                 f"(all within 1e-6){', VFR kept' if vfr else ''}; audio {audio}; "
                 f"end {end_o:.4f} s vs {end_i:.4f} s; {secs:.1f} s")


# ------------------------------------------------------------------------------------------------
# frames without a face
# ------------------------------------------------------------------------------------------------

def test_frames_without_a_face_pass_through(fs, tmp_path):
    """On the Hamilton clip (scene cuts; a profile close-up HOG misses), every frame where no face
    can be tracked — HOG finds none in it nor in the 4 frames before it, so no detection of the
    stream (every 5 frames, or every frame while nothing is tracked) can have started a track —
    comes out as it went in: PSNR >= 40 dB against the input, on the codec's own YUV planes (both
    lossless: the input is decoded, the output written with --crf 0)."""
    src = VIDEOS / HAMILTON
    out = tmp_path / "hamilton.mp4"
    r = swap_video(src, out, "--crf", "0")
    assert r.returncode == 0, r.stderr
    v = stream_of(streams(src), "video")
    w, h = int(v["width"]), int(v["height"])

    # what the library's decoder sees (it converts with swscale's bilinear filter)
    bgr = decode(src, "bgr24", w, h, "-sws_flags", "bilinear")
    yin, yout = decode(src, "yuv420p", w, h), decode(out, "yuv420p", w, h)
    assert len(bgr) == len(yin) == len(yout)
    with fs.Detector() as det:  # the CLI's detector: HOG, min face 80
        detected = [det.detect(frame) for frame in bgr]
    found = [len(d) for d in detected]
    interval = 5
    quiet = [t for t in range(len(found)) if not any(found[max(0, t - interval + 1):t + 1])]
    faces = [t for t in range(len(found)) if found[t]]
    assert len(quiet) >= 50, f"only {len(quiet)} frames without a face nearby; the clip should have ~100"
    assert len(faces) >= 100, f"HOG found a face in only {len(faces)} frames"

    values = {t: psnr(yin[t], yout[t]) for t in quiet}
    worst = min(values, key=values.get)

    def inside_face(t: int) -> float:  # PSNR of the luma inside the first face's detector rect
        x, y, fw, fh = (int(v) for v in detected[t][0].rect)
        x, y = max(0, x), max(0, y)
        luma_in, luma_out = (yuv[t][:w * h].reshape(h, w)[y:y + fh, x:x + fw] for yuv in (yin, yout))
        return psnr(luma_in, luma_out)

    changed = [t for t in faces if inside_face(t) < 30]
    # the same frames compared as RGB (after the library's YUV -> BGR -> YUV round trip)
    rgb_out = decode(out, "bgr24", w, h, "-sws_flags", "bilinear")
    rgb = min(psnr(bgr[t], rgb_out[t]) for t in quiet)
    FIGURES["video: frames without a face (Hamilton)"] = (
        f"{len(quiet)} of {len(found)} frames: PSNR vs input min {values[worst]:.1f} dB (frame {worst}), "
        f"median {np.median(list(values.values())):.1f} dB on YUV planes (limit 40); "
        f"{rgb:.1f} dB min as BGR; {len(changed)}/{len(faces)} frames with a face swapped (< 30 dB inside the face)")
    bad = {t: round(p, 1) for t, p in values.items() if p < 40}
    assert not bad, f"frames without a face were changed (frame: PSNR dB): {bad}"
    assert len(changed) >= 0.6 * len(faces), "the frames with a face should mostly be swapped"


@pytest.mark.parametrize("whole_frames", ["0", "1"])
def test_colour_round_trip_keeps_each_plane_and_its_level(tmp_path, whole_frames):
    """A clip with no face (ffmpeg's testsrc2: colour bars, gradients, moving shapes, text), lossless
    in and out (--crf 0). By default (0.13.0) a frame without a face is encoded as decoded: every
    plane equals the input's exactly. With FACESWAP_VIDEO_WHOLE_FRAMES=1 every pixel goes through
    the job's YUV -> BGR -> YUV round trip (what each face's region still does), with each plane
    close to the input's (ground truth: the input's own planes): Y, U and V each >= 47 dB PSNR, and no
    plane's level shifted by more than 0.6 (mean against the input's). swscale's fast BGR -> YUV
    path, which truncated luma and took chroma from one pixel of four, gave Y 45.6 dB with its
    mean 1.16 lower (U 48.9, V 47.8 dB); the writer's own conversion gives 50.2 / 49.9 / 49.2 dB,
    Y 0.36 lower (what is left: the decoder's side and colours outside RGB's range, clipped)."""
    w, h = 640, 360
    src, out = tmp_path / "bars.mp4", tmp_path / "bars_out.mp4"
    subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate=25:duration=1",
                    "-c:v", "libx264", "-crf", "0", "-pix_fmt", "yuv420p", str(src)], check=True)
    r = swap_video(src, out, "--crf", "0", wrap=("env", f"FACESWAP_VIDEO_WHOLE_FRAMES={whole_frames}"))
    assert r.returncode == 0, r.stderr
    yin, yout = decode(src, "yuv420p", w, h), decode(out, "yuv420p", w, h)
    assert len(yin) == len(yout) == 25
    if whole_frames == "0":
        assert np.array_equal(yin, yout), f"{int((yin != yout).sum())} samples differ from the decoded input"
        return
    planes = {"Y": slice(0, w * h), "U": slice(w * h, w * h * 5 // 4), "V": slice(w * h * 5 // 4, w * h * 3 // 2)}
    values = {name: (psnr(yin[:, sl], yout[:, sl]), float(yout[:, sl].mean()) - float(yin[:, sl].mean()))
              for name, sl in planes.items()}
    FIGURES["video: colour round trip (testsrc2, crf 0)"] = ", ".join(
        f"{name} {p:.1f} dB, level {d:+.2f}" for name, (p, d) in values.items())
    for name, (p, d) in values.items():
        assert p >= 47, f"{name} plane: {p:.1f} dB against the input; all: {values}"
        assert abs(d) <= 0.6, f"{name} plane: mean level shifted by {d:+.2f}; all: {values}"


# ------------------------------------------------------------------------------------------------
# cancellation and bad input
# ------------------------------------------------------------------------------------------------

def test_sigint_cancels_cleanly(tmp_path):
    clip = "vr_face4.mp4" if "vr_face4.mp4" in CLIPS else CLIPS[0]  # 199 frames: ~7 s of work
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "cancelled.mp4"
    proc = subprocess.Popen([str(CLI), "video", "--source", str(SOURCE), "--input", str(VIDEOS / clip),
                             "-o", str(out), "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)
    try:
        # ~1 s in, and once the job is writing (its temporary file exists): frames are in flight
        t0 = time.monotonic()
        while time.monotonic() - t0 < 20 and proc.poll() is None:
            if time.monotonic() - t0 >= 1 and any(out_dir.iterdir()):
                break
            time.sleep(0.05)
        assert proc.poll() is None, f"the CLI ended before it could be interrupted:\n{proc.stderr.read()}"
        partial = [p.name for p in out_dir.iterdir()]
        os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, f"exit {proc.returncode} after SIGINT (want 130):\n{err}"
    left = sorted(p.name for p in out_dir.iterdir())
    assert left == [], f"left behind after cancel: {left}"
    line = one_line(err)
    assert "cancel" in line.lower(), line
    FIGURES["video: SIGINT"] = f"exit 130 after {time.monotonic() - t0:.1f} s ({partial} while running; " \
                               f"nothing left): {line}"


def test_text_file_as_input(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("this is not a video\n")
    out = tmp_path / "out" / "x.mp4"
    out.parent.mkdir()
    r = swap_video(bad, out)
    assert r.returncode != 0
    line = one_line(r.stderr)
    assert "notes.txt" in line, line
    assert list(out.parent.iterdir()) == []


def test_video_without_video_frames(tmp_path):
    audio_only = tmp_path / "audio_only.mp4"
    subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono",
                    "-t", "1", "-c:a", "aac", str(audio_only)], check=True)
    assert stream_of(streams(audio_only), "video") is None
    out = tmp_path / "out" / "x.mp4"
    out.parent.mkdir()
    r = swap_video(audio_only, out)
    assert r.returncode != 0
    line = one_line(r.stderr)
    assert "audio_only.mp4" in line and "video" in line, line
    assert list(out.parent.iterdir()) == []


@pytest.mark.parametrize("case", ["missing-folder", "parent-is-a-file", "read-only-folder"])
def test_output_folder_not_writable(tmp_path, case):
    clip = VIDEOS / "vr_face5.mp4"
    wrap = ()
    if case == "missing-folder":
        out = tmp_path / "no" / "such" / "x.mp4"
    elif case == "parent-is-a-file":
        (tmp_path / "file").write_text("x")
        out = tmp_path / "file" / "x.mp4"
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        if os.access(ro, os.W_OK):  # root: mode bits do not stop it; a read-only mount does
            wrap = read_only_mount(ro)
        out = ro / "x.mp4"
    try:
        r = swap_video(clip, out, wrap=wrap)
        assert r.returncode != 0
        line = one_line(r.stderr)
        assert "cannot" in line, line
        left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
        assert left == {"missing-folder": [], "parent-is-a-file": ["file"],
                        "read-only-folder": ["ro"]}[case], left
    finally:
        if case == "read-only-folder":
            (tmp_path / "ro").chmod(0o755)


# ------------------------------------------------------------------------------------------------
# jitter and lag of the stream's landmark filter, against ground truth
# ------------------------------------------------------------------------------------------------

def shifted(still: np.ndarray, x: float, y: float, w: int, h: int) -> np.ndarray:
    """The w x h window of still at (x, y), sub-pixel (bilinear): frame[j, i] = still(y + j, x + i)."""
    xi, yi = int(math.floor(x)), int(math.floor(y))
    fx, fy = x - xi, y - yi
    s = still[yi:yi + h + 1, xi:xi + w + 1].astype(np.float32)
    top = s[:h, :w] * (1 - fx) + s[:h, 1:w + 1] * fx
    bottom = s[1:h + 1, :w] * (1 - fx) + s[1:h + 1, 1:w + 1] * fx
    return np.clip(top * (1 - fy) + bottom * fy + 0.5, 0, 255).astype(np.uint8)


def track_metrics(track: np.ndarray, truth: np.ndarray, max_lag: int = 5) -> dict:
    """e_t = mean landmark error vector; jitter = mean |e_t - e_(t-1)|; lag = the shift k that
    minimises the mean point error between track(t) and truth(t - k)."""
    e = (track - truth).mean(axis=1)
    jitter = float(np.linalg.norm(np.diff(e, axis=0), axis=1).mean())
    n = len(track)
    errors = [float(np.linalg.norm(track[k:] - truth[:n - k], axis=2).mean()) for k in range(max_lag + 1)]
    lag = int(np.argmin(errors))
    e_lag = (track[lag:] - truth[:n - lag]).mean(axis=1)
    return {"jitter": jitter, "lag": lag, "error": errors[0], "error_at_lag": errors[lag],
            "jitter_at_lag": float(np.linalg.norm(np.diff(e_lag, axis=0), axis=1).mean())}


def test_stream_filter_jitter_and_lag(fs, tmp_path):
    """A still portrait moved along x(t) = 340 + 50 sin(2πt/6), y(t) = 120 + 25 sin(2πt/5)
    (800 x 600 window, 25 fps, 6 s, H.264 crf 12): the true landmarks of frame t are the still's
    (fitted once at full resolution) minus (x(t), y(t)). The window is resampled at the exact
    sub-pixel position, so the true path is smooth (integer crops would make the true motion itself
    jump by up to a pixel per frame, which no smoothing should follow).
    Raw per-frame detection + landmarks against the stream (faceswap.Stream with the library's
    defaults: detect every 5 frames, One-Euro filter): the filter must reduce jitter without more
    than one frame of lag."""
    still_path = DATA / "faces" / "fr_obama1.jpg"
    from faceswap import capi

    still = fs.load_image(still_path)  # BGR
    fps, n, w, h = 25, 150, 800, 600
    with fs.Detector() as det, fs.Landmarker() as lm:
        faces = det.detect(still)
        assert faces, "no face in the still"
        truth0 = lm.fit(still, faces[0]).landmarks.astype(np.float64)
        iod = float(np.linalg.norm(truth0[36:42].mean(0) - truth0[42:48].mean(0)))

        # A head-like pace (up to ~50 px/s); its acceleration is small enough that lagging one
        # frame behind costs little, so the figure measures jitter, not the path's curvature.
        path = np.array([(340 + 50 * math.sin(2 * math.pi * (k / fps) / 6),
                          120 + 25 * math.sin(2 * math.pi * (k / fps) / 5)) for k in range(n)])
        frames = np.stack([shifted(still, x, y, w, h) for x, y in path])
        clip = tmp_path / "moving.mp4"
        subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{w}x{h}",
                        "-r", str(fps), "-i", "-", "-c:v", "libx264", "-crf", "12", "-pix_fmt", "yuv420p",
                        str(clip)], input=frames.tobytes(), check=True)
        video = decode(clip, "bgr24", w, h)
        assert len(video) == n
        truth = truth0[None, :, :] - path[:, None, :]

        raw = []
        for frame in video:
            found = det.detect(frame)
            assert found, "the raw detector lost the face"
            raw.append(lm.fit(frame, found[0]).landmarks.astype(np.float64))
        raw = np.stack(raw)
        # the truth is right: raw detection on the first frames lands on it
        first = np.linalg.norm(raw[:5] - truth[:5], axis=2).mean()
        assert first < 0.03 * iod, f"raw landmarks of the first frames are {first:.2f} px off the truth"

        # the stream with the library's own defaults (the binding's Stream passes them explicitly)
        defaults, _ = capi.new_options(capi.fs_stream_options)
        with fs.Swapper(det, lm) as swapper, swapper.prepare(fs.load_image(SOURCE)) as source, \
                fs.Stream(swapper, source, detect_interval=defaults.detect_interval,
                          min_cutoff=defaults.min_cutoff, beta=defaults.beta,
                          scene_cut=defaults.scene_cut) as stream:
            filtered = []
            for k, frame in enumerate(video):
                stream.push(frame.copy(), k / fps)
                faces = stream.faces
                assert faces and len(faces[0].landmarks) == 68, f"the stream lost the face at frame {k}"
                filtered.append(faces[0].landmarks.astype(np.float64))
        filtered = np.stack(filtered)
        setting = (f"detect every {defaults.detect_interval}, One-Euro min_cutoff {defaults.min_cutoff:g} Hz, "
                   f"beta {defaults.beta:g}")

    r, f = track_metrics(raw, truth), track_metrics(filtered, truth)
    one_frame_late = track_metrics(np.concatenate([truth[:1], truth[:-1]]), truth)["jitter"]
    FIGURES["video: landmark jitter raw -> filtered (synthetic pan)"] = (
        f"{r['jitter']:.3f} -> {f['jitter']:.3f} px/frame ({f['jitter'] / r['jitter']:.2f}x; brief's limit 0.5x); "
        f"lag {f['lag']} frame(s) (raw {r['lag']}); mean error {r['error']:.2f} / {f['error_at_lag']:.2f} px "
        f"at lag; jitter at the lag {f['jitter_at_lag']:.3f}; the truth one frame late alone "
        f"{one_frame_late:.3f}; IOD {iod:.0f} px; {setting}")
    assert f["lag"] <= 1, f"the filter lags {f['lag']} frames: {f}"
    assert f["jitter"] < r["jitter"], f"the filtered track jitters more than raw detection: {f} vs {r}"
    assert f["jitter"] <= 0.5 * r["jitter"], (
        f"filtered jitter {f['jitter']:.3f} > 0.5 x raw {r['jitter']:.3f} px/frame ({setting})")


# ------------------------------------------------------------------------------------------------
# other people's files: other containers, no audio, an odd size, no face at the start
# ------------------------------------------------------------------------------------------------

def ffmpeg(*args):
    subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-y", *map(str, args)], check=True, capture_output=True)


def swap_summary(inp: Path, out: Path, *extra) -> tuple:
    """faceswap video, lossless output: (the run, frames, frames with faces) from its summary line."""
    r = run_cli("--source", SOURCE, "--input", inp, "-o", out, "--crf", "0", *extra)
    m = re.search(r"(\d+) frames \((\d+) with faces", r.stderr)
    return r, (int(m.group(1)) if m else None), (int(m.group(2)) if m else None)


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory) -> Path:
    """vr_face5.mp4's first 10 frames (a face in each), lossless, with its AAC audio."""
    out = tmp_path_factory.mktemp("short") / "base.mp4"
    ffmpeg("-i", VIDEOS / "vr_face5.mp4", "-t", "0.4", "-c:v", "libx264", "-crf", 0, "-preset", "ultrafast",
           "-c:a", "copy", out)
    assert int(stream_of(streams(out), "video")["nb_read_frames"]) == 10
    return out


@pytest.mark.parametrize("inp,ext", [("mkv", "mov"), ("mov", "mkv"), ("webm", "mkv"), ("webm", "mp4"),
                                     ("noaudio.mp4", "mp4")])
def test_other_containers_in_and_out(short_clip, tmp_path, inp, ext):
    """Matroska, QuickTime and WebM (VP9 + Opus) inputs, and a clip without audio: every frame
    swapped, the audio codec kept (none stays none)."""
    src = tmp_path / (inp if "." in inp else f"in.{inp}")
    if inp == "webm":
        ffmpeg("-i", short_clip, "-c:v", "libvpx-vp9", "-lossless", 1, "-deadline", "realtime", "-cpu-used", 8,
               "-c:a", "libopus", src)
    elif inp == "noaudio.mp4":
        ffmpeg("-i", short_clip, "-an", "-c", "copy", src)
    else:
        ffmpeg("-i", short_clip, "-c", "copy", src)
    out = tmp_path / f"out.{ext}"
    r, n, faces = swap_summary(src, out)
    assert r.returncode == 0, f"{src.name} -> .{ext}: {r.stderr}"
    assert (n, faces) == (10, 10), r.stderr
    si, so = streams(src), streams(out)
    assert int(stream_of(so, "video")["nb_read_frames"]) == int(stream_of(si, "video")["nb_read_frames"]) == 10
    ai, ao = stream_of(si, "audio"), stream_of(so, "audio")
    assert (ai and ai["codec_name"]) == (ao and ao["codec_name"]), f"audio {ai and ai['codec_name']} -> {ao and ao['codec_name']}"


@pytest.mark.parametrize("inp,ext,words", [("mkv", "webm", ["webm", "H.264", ".mp4"]),
                                           ("webm", "mov", ["opus", "mov", ".mkv"])])
def test_containers_that_cannot_hold_the_streams(fs, short_clip, tmp_path, inp, ext, words):
    """H.264 in WebM, Opus in QuickTime: one line saying what to use instead (naming the output, not
    the job's temporary file), before any work, and nothing left; the binding says the same."""
    src = tmp_path / f"in.{inp}"
    if inp == "webm":
        ffmpeg("-i", short_clip, "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", 8, "-c:a", "libopus", src)
    else:
        ffmpeg("-i", short_clip, "-c", "copy", src)
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / f"x.{ext}"
    r = swap_video(src, out)
    assert r.returncode != 0
    line = one_line(r.stderr)
    assert all(w in line for w in words) and str(out) in line and ".partial" not in line, line
    assert list(out.parent.iterdir()) == []
    with pytest.raises(fs.FaceSwapError) as e:
        fs.swap_video(str(SOURCE), src, out)
    assert e.value.status == fs.Status.UNSUPPORTED and all(w in str(e.value) for w in words), e.value
    assert list(out.parent.iterdir()) == []


def test_odd_size_is_written_without_its_last_column_and_row(short_clip, tmp_path):
    """H.264 4:2:0 needs even sizes: a 525x525 clip is written 524x524, the same pictures as the
    job on the clip cropped to 524x524 by ffmpeg (4:4:4 lossless clips: an odd size needs it)."""
    odd, even = tmp_path / "odd.mkv", tmp_path / "even.mkv"
    ffmpeg("-i", short_clip, "-vf", "scale=525:525,setsar=1", "-pix_fmt", "yuv444p", "-c:v", "libx264", "-crf", 0,
           "-preset", "ultrafast", "-c:a", "copy", odd)
    ffmpeg("-i", odd, "-vf", "crop=524:524:0:0", "-pix_fmt", "yuv444p", "-c:v", "libx264", "-crf", 0,
           "-preset", "ultrafast", "-c:a", "copy", even)
    outs = {}
    for clip in (odd, even):
        out = tmp_path / f"{clip.stem}.out.mp4"
        r, n, faces = swap_summary(clip, out)
        assert r.returncode == 0, f"{clip.name}: {r.stderr}"
        assert (n, faces) == (10, 10), r.stderr
        v = stream_of(streams(out), "video")
        assert (v["width"], v["height"], int(v["nb_read_frames"])) == (524, 524, 10)
        outs[clip.stem] = decode(out, "bgr24", 524, 524)
    db = psnr(outs["odd"], outs["even"])
    FIGURES["video: 525x525 input"] = f"written 524x524; {db:.1f} dB against the job on ffmpeg's 524x524 crop"
    assert db >= 40, f"{db:.1f} dB against the job on the cropped clip"


def test_first_frames_without_a_face(short_clip, tmp_path, fs):
    """Ten frames with no face (a photo of dogs) before ten with one: the first ten pass through
    exactly (lossless), the others are swapped; the binding's swap_video and reenact_video (whose
    neutral pose is the first frame with a face) say the same counts."""
    clip = tmp_path / "late_face.mp4"
    ffmpeg("-loop", 1, "-framerate", 25, "-t", "0.4", "-i", DATA / "faces" / "dlib_dogs_noface.jpg", "-i", short_clip,
           "-filter_complex", "[0:v]scale=524:524,setsar=1,format=yuv420p[a];[1:v]setsar=1[b];[a][b]concat=n=2:v=1:a=0",
           "-c:v", "libx264", "-crf", 0, "-preset", "ultrafast", clip)
    assert int(stream_of(streams(clip), "video")["nb_read_frames"]) == 20
    out = tmp_path / "late_face.out.mp4"
    r, n, faces = swap_summary(clip, out)
    assert r.returncode == 0, r.stderr
    assert (n, faces) == (20, 10), r.stderr
    got, ref = decode(out, "yuv420p", 524, 524), decode(clip, "yuv420p", 524, 524)
    assert np.array_equal(got[:10], ref[:10]), "a frame without a face was changed"
    assert psnr(got[10:], ref[10:]) < 45, "the frames with a face were not swapped"

    st = fs.swap_video(str(SOURCE), clip, tmp_path / "py.mp4", crf=0)
    assert (st["frames"], st["frames_with_faces"]) == (20, 10), st
    st = fs.reenact_video(str(DATA / "faces" / "fr_obama_small.jpg"), clip, tmp_path / "reenact.mp4")
    assert (st["frames"], st["frames_with_faces"]) == (20, 10), st
