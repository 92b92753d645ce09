"""The video job converts only the swapped faces back to YUV (issue 11 item 2): the decoded YUV
4:2:0 picture is encoded as it came, and only each swapped face's region (Swapper.reach, widened
to even edges) is converted from the swapped BGR frame. Checked against ground truth:

- the input's own decoded pictures (ffmpeg): the frame's border (top and sides), far from the
  face, is the decoder's exactly (with the whole-frame path it went through a YUV -> BGR -> YUV round trip);
- the job's whole-frame path (FACESWAP_VIDEO_WHOLE_FRAMES=1, run in a child process): every pixel
  of the region path either equals it exactly (inside the regions: the same conversion) or equals
  the input exactly where the whole-frame path differs from the input only by the round trip's
  error. A swapped pixel left outside a region would differ from the input by the swap (tens of
  levels) in the whole-frame output and fail;
- the face is swapped in every frame (pixels far from the input: none without a swap).

Twice: one face, and three faces side by side whose regions overlap (each sample converted once).

Lossless output (crf 0), so the decoded outputs are exactly what the job encoded. Needs ffmpeg.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import BINDING, DATA, REPO

FFMPEG = shutil.which("ffmpeg")
SOURCE = REPO / "samples" / "source.jpg"
BASE = DATA / "videos" / "vr_face3.mp4"  # 590x590, a frontal talking face in every frame
FRAMES = 12
# The most a YUV -> BGR -> YUV round trip of the whole-frame path moves a sample (levels): the
# swap moves the face's samples far more.
ROUND_TRIP = 6

JOB = """
import sys
sys.path.insert(0, {binding!r})
import faceswap as fs
fs.swap_video({source!r}, {clip!r}, {out!r}, crf=0)
"""


def decode(path: Path, w: int, h: int) -> np.ndarray:
    raw = subprocess.run([FFMPEG, "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, w * h * 3 // 2)


def make_clip(kind: str, clip: Path) -> tuple:
    """One face (vr_face3, 590x590), or three faces side by side whose regions overlap (588x320)."""
    x264 = ["-frames:v", str(FRAMES), "-an", "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p", str(clip)]
    if kind == "one":
        subprocess.run([FFMPEG, "-v", "error", "-i", str(BASE)] + x264, check=True)
        return 590, 590
    inputs = []
    for name in ("vr_face3", "vr_face5", "vr_face2"):
        inputs += ["-i", str(DATA / "videos" / f"{name}.mp4")]
    crop = ";".join(f"[{i}:v]crop=iw*0.6:ih,scale=196:320,setsar=1[v{i}]" for i in range(3))
    subprocess.run([FFMPEG, "-v", "error"] + inputs + ["-filter_complex", crop + ";[v0][v1][v2]hstack=inputs=3[v]",
                                                       "-map", "[v]"] + x264, check=True)
    return 588, 320


_made: dict = {}


@pytest.fixture(scope="module", params=["one", "three"])
def outputs(request, tmp_path_factory):
    return jobs(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def one_face(tmp_path_factory):
    return jobs("one", tmp_path_factory)


def jobs(kind: str, tmp_path_factory):
    """The clip, the job's output and the whole-frame path's output, decoded (made once per kind)."""
    if kind in _made:
        return _made[kind]
    if not FFMPEG:
        pytest.fail("ffmpeg is needed on PATH (apt-get install ffmpeg)")
    if not BASE.is_file() or not SOURCE.is_file():
        pytest.fail(f"test clip {BASE} or source photo {SOURCE} missing")
    d = tmp_path_factory.mktemp("regions")
    clip = d / "in.mp4"
    w, h = make_clip(kind, clip)
    outs = {}
    for name, whole in (("region", "0"), ("whole", "1")):
        out = d / f"{name}.mkv"
        env = dict(os.environ, FACESWAP_VIDEO_WHOLE_FRAMES=whole)
        job = JOB.format(binding=str(BINDING), source=str(SOURCE), clip=str(clip), out=str(out))
        subprocess.run([sys.executable, "-c", job], env=env, check=True)
        outs[name] = out
    frames = {k: decode(v, w, h).astype(np.int16) for k, v in outs.items()}
    frames["input"] = decode(clip, w, h).astype(np.int16)
    _made[kind] = frames, w, h, kind
    return _made[kind]


def test_every_frame_written(outputs):
    frames, _, _, _ = outputs
    assert len(frames["input"]) == FRAMES
    assert len(frames["region"]) == FRAMES and len(frames["whole"]) == FRAMES


def test_background_is_the_decoders(one_face):
    frames, w, h, _ = one_face  # (the three faces' regions reach the border of their clip)
    for k in range(FRAMES):
        y = frames["region"][k, : w * h].reshape(h, w)
        y_in = frames["input"][k, : w * h].reshape(h, w)
        y_whole = frames["whole"][k, : w * h].reshape(h, w)
        # The top rows and the side columns: the face's region reaches the bottom edge (neck).
        border = np.zeros((h, w), bool)
        border[:40] = True
        border[:, :40] = True
        border[:, -40:] = True
        assert np.array_equal(y[border], y_in[border]), f"frame {k}: the border is not the decoded picture"
        # The whole-frame path's round trip does move it (so the check above could fail).
        assert np.abs(y_whole[border] - y_in[border]).max() > 0


def test_regions_hold_every_swapped_pixel(outputs):
    frames, _, _, _ = outputs
    region, whole, inp = frames["region"], frames["whole"], frames["input"]
    same = region == whole
    kept = (region == inp) & (np.abs(whole - inp) <= ROUND_TRIP)
    bad = ~(same | kept)
    assert not bad.any(), (f"{int(bad.sum())} samples differ from the whole-frame path beyond its round trip "
                           f"(frames {sorted(set(np.nonzero(bad)[0].tolist()))})")
    # Most of the face's samples are the same conversion as the whole-frame path's.
    assert same.mean() > 0.05


def test_face_swapped_in_every_frame(outputs):
    frames, w, h, kind = outputs
    parts = 1 if kind == "one" else 3  # each of the three faces (a third of the width each)
    for k in range(FRAMES):
        moved = np.abs(frames["region"][k, : w * h] - frames["input"][k, : w * h]).reshape(h, w) > 20
        for p in range(parts):
            part = moved[:, p * w // parts:(p + 1) * w // parts]
            assert part.mean() > 0.003, f"frame {k}, face {p}: only {part.mean():.4f} of the luma moved by the swap"
