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
- the face is swapped in every frame (many pixels far from the input).

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


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    if not FFMPEG:
        pytest.fail("ffmpeg is needed on PATH (apt-get install ffmpeg)")
    if not BASE.is_file() or not SOURCE.is_file():
        pytest.fail(f"test clip {BASE} or source photo {SOURCE} missing")
    d = tmp_path_factory.mktemp("regions")
    clip = d / "in.mp4"
    subprocess.run([FFMPEG, "-v", "error", "-i", str(BASE), "-frames:v", str(FRAMES), "-an", "-c:v", "libx264",
                    "-crf", "18", "-pix_fmt", "yuv420p", str(clip)], check=True)
    outs = {}
    for name, whole in (("region", "0"), ("whole", "1")):
        out = d / f"{name}.mkv"
        env = dict(os.environ, FACESWAP_VIDEO_WHOLE_FRAMES=whole)
        job = JOB.format(binding=str(BINDING), source=str(SOURCE), clip=str(clip), out=str(out))
        subprocess.run([sys.executable, "-c", job], env=env, check=True)
        outs[name] = out
    w, h = 590, 590
    frames = {k: decode(v, w, h).astype(np.int16) for k, v in outs.items()}
    frames["input"] = decode(clip, w, h).astype(np.int16)
    return frames, w, h


def test_every_frame_written(outputs):
    frames, _, _ = outputs
    assert len(frames["input"]) == FRAMES
    assert len(frames["region"]) == FRAMES and len(frames["whole"]) == FRAMES


def test_background_is_the_decoders(outputs):
    frames, w, h = outputs
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
    frames, _, _ = outputs
    region, whole, inp = frames["region"], frames["whole"], frames["input"]
    same = region == whole
    kept = (region == inp) & (np.abs(whole - inp) <= ROUND_TRIP)
    bad = ~(same | kept)
    assert not bad.any(), (f"{int(bad.sum())} samples differ from the whole-frame path beyond its round trip "
                           f"(frames {sorted(set(np.nonzero(bad)[0].tolist()))})")
    # Most of the face's samples are the same conversion as the whole-frame path's.
    assert same.mean() > 0.05


def test_face_swapped_in_every_frame(outputs):
    frames, w, h = outputs
    for k in range(FRAMES):
        moved = np.abs(frames["region"][k, : w * h] - frames["input"][k, : w * h]) > 20
        assert moved.mean() > 0.01, f"frame {k}: only {moved.mean():.4f} of the luma moved by the swap"
