"""The video jobs with decoding, swapping and encoding overlapped (issue 11 item 2), threads=1
(frame after frame on the calling thread) and threads=0 (every core), against ground truth read
from the input with ffprobe/ffmpeg:

- a clip whose frames carry their index (an 8-bit barcode drawn in a corner, away from the face),
  made from the variable-frame-rate clip vr_face1.mp4 with its audio: the output has the input's
  frame count, the indices 0, 1, 2, ... in order, every frame's timestamp, and the same audio
  packets (their bytes hashed);
- the same through the reenactment job (driver | result side by side shows the driver's barcode);
- cancelling from the progress callback at frame 10: CANCELLED, progress called 1..10 on the
  calling thread, nothing left in the output folder;
- threads=1 and threads=0 swap every frame alike (lossless output, decoded frames identical);
- the same job run three times in one process, with other data left on the heap between the
  runs, writes the same bytes (default, lossy x264: its AVX-512 code reads memory it never wrote,
  so the library encodes without it; before, 5 of 5 repeats differed on an AVX-512 machine).

No timing is asserted. Needs ffmpeg/ffprobe on PATH and the test data.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

from conftest import DATA, REPO

FFMPEG = shutil.which("ffmpeg")
FFPROBE = shutil.which("ffprobe")
SOURCE = REPO / "samples" / "source.jpg"
BASE = DATA / "videos" / "vr_face1.mp4"  # variable frame rate, audio, 700x700, 135 frames
BITS, BLOCK = 8, 12  # barcode: 8 blocks of 12x12 px along the top-left


@pytest.fixture(autouse=True, scope="module")
def tools_present():
    if not FFMPEG or not FFPROBE:
        pytest.fail("ffmpeg and ffprobe are needed on PATH (apt-get install ffmpeg)")
    if not BASE.is_file() or not SOURCE.is_file():
        pytest.fail(f"test clip {BASE} or source photo {SOURCE} missing")


def probe_frames(path: Path) -> list:
    """Every video frame's best-effort timestamp in seconds, in decode order (ffprobe)."""
    out = subprocess.run([FFPROBE, "-v", "error", "-select_streams", "v:0", "-show_frames",
                          "-show_entries", "frame=best_effort_timestamp_time", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return [float(f["best_effort_timestamp_time"]) for f in json.loads(out)["frames"]]


def video_size(path: Path) -> tuple:
    out = subprocess.run([FFPROBE, "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=width,height", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True).stdout
    w, h = out.strip().split(",")
    return int(w), int(h)


def gray_frames(path: Path) -> np.ndarray:
    w, h = video_size(path)
    raw = subprocess.run([FFMPEG, "-v", "error", "-i", str(path), "-map", "0:v:0", "-fps_mode", "passthrough",
                          "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w)


def yuv_bytes(path: Path) -> bytes:
    return subprocess.run([FFMPEG, "-v", "error", "-i", str(path), "-map", "0:v:0", "-fps_mode", "passthrough",
                           "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"], capture_output=True, check=True).stdout


def audio_packets(path: Path) -> str:
    """A hash of the audio packets' bytes, in order (timestamps aside)."""
    out = subprocess.run([FFPROBE, "-v", "error", "-select_streams", "a:0", "-show_packets", "-show_data_hash",
                          "MD5", "-show_entries", "packet=size,data_hash", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return hashlib.sha256(out.encode()).hexdigest() + f" ({len(out.splitlines())} packets)"


def barcode(frames: np.ndarray, scale: float = 1.0) -> list:
    """The index each frame carries: the centre of each block, white = 1."""
    c = lambda k: int(round((k * BLOCK + BLOCK / 2) * scale))
    y = int(round(BLOCK / 2 * scale))
    return [sum(1 << k for k in range(BITS) if f[y, c(k)] > 127) for f in frames]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> dict:
    """vr_face1.mp4 with each frame's index drawn top-left (its own timestamps and audio kept)."""
    folder = tmp_path_factory.mktemp("indexed")
    clip = folder / "indexed.mp4"
    boxes = [f"drawbox=x=0:y=0:w={BITS * BLOCK}:h={BLOCK}:color=black:t=fill"]
    boxes += [f"drawbox=x={k * BLOCK}:y=0:w={BLOCK}:h={BLOCK}:color=white:t=fill:"
              f"enable='eq(mod(floor(n/{1 << k}),2),1)'" for k in range(BITS)]
    subprocess.run([FFMPEG, "-v", "error", "-y", "-i", str(BASE), "-vf", ",".join(boxes), "-fps_mode", "passthrough",
                    "-c:v", "libx264", "-crf", "12", "-preset", "veryfast", "-c:a", "copy", str(clip)], check=True)
    times = probe_frames(clip)
    assert len(times) == 135 and barcode(gray_frames(clip)) == list(range(135)), "the indexed clip itself"
    steps = np.diff(times)
    assert steps.max() - steps.min() > 0.01, "the clip should have a variable frame rate"
    return {"clip": clip, "times": times, "audio": audio_packets(clip)}


def check_output(out: Path, truth: dict, scale: float = 1.0):
    times = probe_frames(out)
    assert len(times) == len(truth["times"]), "frame count"
    assert barcode(gray_frames(out), scale) == list(range(len(truth["times"]))), "frame order"
    assert np.allclose(times, truth["times"], atol=1e-4), "timestamps"
    assert audio_packets(out) == truth["audio"], "audio packets"


@pytest.mark.parametrize("threads", [1, 0])
def test_swap_video_keeps_frames_order_timestamps_audio(fs, tmp_path, indexed, threads):
    out = tmp_path / f"swapped_{threads}.mp4"
    stats = fs.swap_video(SOURCE, indexed["clip"], out, threads=threads)
    assert stats["frames"] == len(indexed["times"])
    assert stats["frames_with_faces"] > 0.9 * stats["frames"]
    check_output(out, indexed)


@pytest.mark.parametrize("threads", [1, 0])
def test_reenact_video_keeps_frames_order_timestamps_audio(fs, tmp_path, indexed, threads):
    out = tmp_path / f"reenacted_{threads}.mp4"
    photo = DATA / "faces" / "fr_rose_leslie2.jpg"
    stats = fs.reenact_video(photo, indexed["clip"], out, side_by_side=True, threads=threads)
    assert stats["frames"] == len(indexed["times"])
    _, h = video_size(out)
    check_output(out, indexed, scale=h / 700)  # the driver, scaled to the photo's height, on the left


@pytest.mark.parametrize("threads", [1, 0])
def test_cancel_at_frame_10(fs, tmp_path, indexed, threads):
    calls, where = [], set()

    def progress(done, total):
        calls.append(done)
        where.add(threading.get_ident())
        return done < 10

    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(fs.FaceSwapError) as e:
        fs.swap_video(SOURCE, indexed["clip"], folder / "cancelled.mp4", progress=progress, threads=threads)
    assert e.value.status == fs.Status.CANCELLED
    assert "cancelled after 10 frames" in str(e.value)
    assert calls == list(range(1, 11)), "progress once per frame, in order, none after the cancel"
    assert where == {threading.get_ident()}, "progress on the calling thread"
    assert os.listdir(folder) == [], "a cancelled job must leave no file"


def test_threads_swap_every_frame_alike(fs, tmp_path, indexed):
    outs = []
    for threads in (1, 0):
        out = tmp_path / f"lossless_{threads}.mp4"
        fs.swap_video(SOURCE, indexed["clip"], out, crf=0, threads=threads)
        outs.append(yuv_bytes(out))
    assert len(outs[0]) > 0 and outs[0] == outs[1]


def test_same_job_same_bytes_in_one_process(fs, tmp_path):
    clip = DATA / "videos" / "vr_face3.mp4"  # 590x590: the size that showed x264's AVX-512 reads
    digests = []
    for run in range(3):
        junk = [bytearray(os.urandom(1 << 20)) for _ in range(48)]  # freed into the heap x264 draws on
        del junk
        out = tmp_path / f"run{run}.mp4"
        fs.swap_video(SOURCE, clip, out, threads=1, first_frame=0, frame_count=30)
        digests.append(hashlib.sha256(out.read_bytes()).hexdigest())
    assert digests[0] == digests[1] == digests[2], digests


def test_threads_option_described(fs):
    video = {o["name"]: o for o in fs.options("video")}
    stream = {o["name"]: o for o in fs.options("stream")}
    for table in (video, stream):
        assert table["threads"]["default"] == 0
        assert table["threads"]["min"] == 0
    with pytest.raises(fs.FaceSwapError) as e:
        fs.swap_video(SOURCE, BASE, "/tmp/never-written.mp4", threads=-1)
    assert e.value.status == fs.Status.INVALID_ARGUMENT and "threads" in str(e.value)
