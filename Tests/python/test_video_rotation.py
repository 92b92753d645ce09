"""Phone videos: pictures stored turned, with a display matrix that says how to show them.

Phones store portrait video as landscape pictures plus a display matrix (AV_PKT_DATA_DISPLAYMATRIX,
the MP4 track header's matrix). The library reads such a stream as ffmpeg's own tools show it:
every frame upright at the display size, and writes it upright with no matrix. Checked here on
clips made from one upright clip U (a portrait crop of vr_face3.mp4, lossless):

- turned by a quarter turn, a half turn and three quarters (ffmpeg's `rotate` metadata; that
  ffmpeg's own auto-rotation gives U back exactly is checked first), a quarter turn said only by
  the H.264 stream's display orientation SEI on its first frame (no container matrix; the library
  turns every frame as the first says, ffmpeg 5.1 only the frames that carry it), and mirrored (the matrix
  patched in the file to a mirror on the diagonal and a left-right mirror, which ffmpeg 5.1's
  auto-rotation ignores: ground truth is libavutil/display.h's definition of the matrix);
- `faceswap video` on each: the output is U's size with no display matrix, as many frames with
  faces as the same job on U, and the same pictures as the job on U (lossless throughout: the
  turned clip's decoded samples are U's, turned);
- a 4:4:4 turned clip (the pictures are converted first and the BGR pixels turned) against the
  job on its ffmpeg-rotated upright copy;
- the Python binding's swap_video on a part of the clip (the cluster's part jobs), and
  reenact_video with the turned clip as the driver (side by side: the driver tile upright).
"""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import DATA
from test_video import CLI, FFMPEG, FFPROBE, SOURCE, VIDEOS, ffmpeg, psnr, tools_present  # noqa: F401 (an autouse fixture)

CLIP = VIDEOS / "vr_face3.mp4"
W, H, N = 360, 580, 20  # U: a portrait crop of the clip's first frames

# The display matrix ffmpeg writes for `-metadata:s:v rotate=90` (libavutil/display.h's layout,
# big-endian as the MP4 track header stores it), and the matrices patched in its place.
ROTATE90 = (0, -65536, 0, 65536, 0, 0, 0, 0, 1 << 30)
MIRRORS = {
    "transpose": (0, 65536, 0, 65536, 0, 0, 0, 0, 1 << 30),  # shown (q, p): the diagonal mirror
    "hflip": (-65536, 0, 0, 0, 65536, 0, 0, 0, 1 << 30),     # shown (-p, q): left-right mirror
}
# How each clip's pictures are stored (an ffmpeg filter of U) and the rotate tag written.
TURNS = {
    "rotate90": ("transpose=clock", 90),
    "rotate180": ("hflip,vflip", 180),
    "rotate270": ("transpose=cclock", 270),
    "transpose": ("transpose=cclock_flip", 90),  # then the matrix patched (MIRRORS)
    "hflip": ("hflip", 90),
    "sei90": ("transpose=clock", None),  # no container matrix: H.264's display orientation SEI
}


def probe(path: Path) -> dict:
    import json
    r = subprocess.run([FFPROBE, "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_streams",
                        "-of", "json", str(path)], capture_output=True, text=True, check=True)
    return json.loads(r.stdout)["streams"][0]


def frames(path: Path, w: int, h: int, pix_fmt: str = "bgr24", *pre) -> np.ndarray:
    """Every frame as ffmpeg decodes it (auto-rotated unless pre says -noautorotate)."""
    r = subprocess.run([FFMPEG, "-nostdin", "-v", "error", *pre, "-i", str(path), "-map", "0:v:0",
                        "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"],
                       capture_output=True, check=True)
    per = {"bgr24": 3 * w * h, "yuv420p": w * h * 3 // 2, "yuv444p": 3 * w * h}[pix_fmt]
    return np.frombuffer(r.stdout, np.uint8).reshape(-1, per)


def swap(inp: Path, out: Path, *extra) -> tuple[int, int]:
    """faceswap video (lossless output): (frames, frames with faces) from its summary line."""
    r = subprocess.run([str(CLI), "video", "--source", str(SOURCE), "--input", str(inp), "-o", str(out),
                        "--crf", "0", *map(str, extra)], capture_output=True, text=True, timeout=600,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"faceswap video {inp.name} failed ({r.returncode}):\n{r.stderr}"
    m = re.search(r"(\d+) frames \((\d+) with faces", r.stderr)
    assert m, r.stderr
    return int(m.group(1)), int(m.group(2))


def set_matrix(path: Path, matrix) -> None:
    """Replaces the file's one rotate=90 display matrix with `matrix`."""
    data = path.read_bytes()
    old, new = struct.pack(">9i", *ROTATE90), struct.pack(">9i", *matrix)
    assert data.count(old) == 1, f"{path.name}: the rotate=90 matrix is not there exactly once"
    path.write_bytes(data.replace(old, new))


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """U (upright) and the turned clips, by name -> path; and the job on U."""
    d = tmp_path_factory.mktemp("rotation")
    u = d / "upright.mp4"
    ffmpeg("-i", CLIP, "-frames:v", N, "-vf", f"crop={W}:{H}", "-an", "-c:v", "libx264", "-crf", 0,
           "-preset", "ultrafast", u)
    made = {"upright": u}
    for name, (vf, rotate) in TURNS.items():
        stored, out = d / f"{name}.stored.mp4", d / f"{name}.mp4"
        ffmpeg("-i", u, "-vf", vf, "-c:v", "libx264", "-crf", 0, "-preset", "ultrafast", stored)
        if rotate is None:
            ffmpeg("-i", stored, "-c", "copy", "-bsf:v", "h264_metadata=display_orientation=insert:rotate=90", out)
        else:
            ffmpeg("-i", stored, "-c", "copy", "-metadata:s:v", f"rotate={rotate}", out)
        if name in MIRRORS:
            set_matrix(out, MIRRORS[name])
        made[name] = out
    return made


@pytest.fixture(scope="module")
def upright_job(clips, tmp_path_factory):
    out = tmp_path_factory.mktemp("upright_job") / "upright.out.mp4"
    n, faces = swap(clips["upright"], out)
    assert n == N and faces == N, f"the upright clip: {faces} of {n} frames with faces (expected {N} of {N})"
    return out, faces


def test_turned_clips_are_what_they_claim(clips):
    """The test's own ground truth: each clip is stored turned (the other way round from U), with
    a display matrix; ffmpeg's auto-rotation gives U back exactly for the quarter and half turns."""
    ref = frames(clips["upright"], W, H, "yuv420p")
    assert len(ref) == N
    for name in TURNS:
        s = probe(clips[name])
        transposed = name in ("rotate90", "rotate270", "transpose", "sei90")
        assert (s["width"], s["height"]) == ((H, W) if transposed else (W, H)), name
        matrix = any(sd.get("side_data_type") == "Display Matrix" for sd in s.get("side_data_list", []))
        assert matrix == (name != "sei90"), name
        stored = frames(clips[name], s["width"], s["height"], "yuv420p", "-noautorotate")
        assert not np.array_equal(stored, ref), f"{name}: stored upright"
        if name.startswith("rotate"):
            assert np.array_equal(frames(clips[name], W, H, "yuv420p"), ref), f"ffmpeg does not show {name} as U"
        elif name == "sei90":  # the SEI is on the first frame only: ffmpeg 5.1 turns that frame alone
            assert np.array_equal(frames(clips[name], W, H, "yuv420p")[0], ref[0]), f"ffmpeg does not show {name} as U"


@pytest.mark.parametrize("name", list(TURNS))
def test_turned_clip_swaps_upright(clips, upright_job, tmp_path, name):
    ref_out, ref_faces = upright_job
    out = tmp_path / f"{name}.out.mp4"
    n, faces = swap(clips[name], out)
    assert n == N
    assert faces == ref_faces, f"{name}: faces on {faces} frames, {ref_faces} on the upright clip"
    s = probe(out)
    assert (s["width"], s["height"]) == (W, H), f"{name}: written {s['width']}x{s['height']}, shown {W}x{H}"
    assert not s.get("side_data_list"), f"{name}: the output keeps a display matrix: {s.get('side_data_list')}"
    assert int(s["nb_read_frames"]) == N
    got, ref = frames(out, W, H), frames(ref_out, W, H)
    assert got.shape == ref.shape
    db = psnr(got, ref)
    print(f"\n{name}: {faces}/{n} frames with faces, {db:.1f} dB against the job on the upright clip")
    assert db >= 50, f"{name}: {db:.1f} dB against the job on the upright clip"


def test_turned_444_clip_swaps_upright(clips, tmp_path):
    """Pictures other than 8-bit 4:2:0 are converted at their stored size and then turned."""
    stored, turned, upright = tmp_path / "s444.mp4", tmp_path / "t444.mp4", tmp_path / "u444.mp4"
    ffmpeg("-i", clips["upright"], "-vf", "transpose=clock", "-pix_fmt", "yuv444p", "-c:v", "libx264", "-crf", 0,
           "-preset", "ultrafast", stored)
    ffmpeg("-i", stored, "-c", "copy", "-metadata:s:v", "rotate=90", turned)
    ffmpeg("-i", turned, "-pix_fmt", "yuv444p", "-c:v", "libx264", "-crf", 0, "-preset", "ultrafast", upright)
    assert (probe(upright)["width"], probe(upright)["height"]) == (W, H)
    n1, f1 = swap(turned, tmp_path / "t.out.mp4")
    n2, f2 = swap(upright, tmp_path / "u.out.mp4")
    assert (n1, f1) == (n2, f2) == (N, N)
    s = probe(tmp_path / "t.out.mp4")
    assert (s["width"], s["height"]) == (W, H) and not s.get("side_data_list")
    db = psnr(frames(tmp_path / "t.out.mp4", W, H), frames(tmp_path / "u.out.mp4", W, H))
    print(f"\n4:4:4 turned: {db:.1f} dB against the job on the upright copy")
    assert db >= 40, f"{db:.1f} dB against the job on the upright copy"


def test_binding_part_job_and_reenact_driver(clips, tmp_path):
    """swap_video on a part (what a cluster's part job runs) and reenact_video's driver."""
    import faceswap as fs
    first, count = 5, 10
    outs = {}
    for name in ("upright", "rotate270"):
        out = tmp_path / f"{name}.part.mp4"
        st = fs.swap_video(str(SOURCE), clips[name], out, crf=0, first_frame=first, frame_count=count, warmup=3)
        assert (st["frames"], st["frames_with_faces"]) == (count, count), (name, st)
        s = probe(out)
        assert (s["width"], s["height"], int(s["nb_read_frames"])) == (W, H, count), name
        assert not s.get("side_data_list"), name
        outs[name] = frames(out, W, H)
    assert psnr(outs["rotate270"], outs["upright"]) >= 50

    photo = DATA / "faces" / "fr_obama_small.jpg"
    tiles = {}
    for name in ("upright", "rotate90"):
        out = tmp_path / f"{name}.reenact.mp4"
        st = fs.reenact_video(str(photo), clips[name], out, side_by_side=True, crf=0)
        assert (st["frames"], st["frames_with_faces"]) == (N, N), (name, st)
        s = probe(out)
        assert not s.get("side_data_list"), name
        tiles[name] = (s["width"], s["height"], frames(out, s["width"], s["height"]))
    assert tiles["rotate90"][:2] == tiles["upright"][:2]
    assert psnr(tiles["rotate90"][2], tiles["upright"][2]) >= 50
