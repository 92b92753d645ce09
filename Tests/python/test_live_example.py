"""The live reenactment example (bindings/python/examples/live_reenact.py, issue 12 item 6) run as
a user runs it, on a file (no camera: ``--camera none``): the MP4 it writes exists, has exactly the
input clip's frame count and the photo's size (both counted here by ffprobe, not by the example's
own OpenCV), and its frames are not all the still photo (the driver's face moves it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import BINDING, DATA, FACES, REPO, skip_without

EXAMPLE = REPO / "bindings" / "python" / "examples" / "live_reenact.py"
PHOTO = FACES / "fr_biden2.jpg"


def probe(path) -> dict:
    """Frames (decoded and counted by ffprobe), width and height of the first video stream."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
                          "stream=nb_read_frames,width,height", "-of", "json", str(path)],
                         check=True, capture_output=True, text=True).stdout
    s = json.loads(out)["streams"][0]
    return {"frames": int(s["nb_read_frames"]), "width": int(s["width"]), "height": int(s["height"])}


def frames_of(path, width, height) -> np.ndarray:
    """Every frame of path as BGR arrays, decoded by ffmpeg."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "bgr24", "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


def test_live_example_on_a_file(tmp_path):
    try:
        import cv2  # noqa: F401  (the example reads and writes through OpenCV's Python module)
    except ImportError:
        skip_without("OpenCV's Python module", "pip install opencv-python-headless")
    for tool in ("ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is needed to make and count the clip (apt-get install ffmpeg)")
    # A short driving clip: the first 1.2 s of a shared talking-head clip, 360x360.
    clip = tmp_path / "driver.mp4"
    subprocess.run(["ffmpeg", "-y", "-v", "error", "-i", str(DATA / "videos" / "vr_face3.mp4"), "-t", "1.2",
                    "-vf", "scale=360:360", "-an", "-c:v", "libx264", "-preset", "veryfast", str(clip)], check=True)
    want = probe(clip)
    assert want["frames"] >= 20
    out = tmp_path / "animated.mp4"
    env = dict(os.environ, PYTHONPATH=str(BINDING) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    run = subprocess.run([sys.executable, str(EXAMPLE), str(PHOTO), "--camera", "none", "--input", str(clip),
                          "-o", str(out)], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr + run.stdout
    assert f"{want['frames']} frames read, {want['frames']} written" in run.stdout, run.stdout
    assert out.is_file() and out.stat().st_size > 0
    got = probe(out)
    from PIL import Image
    w, h = Image.open(PHOTO).size
    assert got["frames"] == want["frames"]
    assert (got["width"], got["height"]) == (w & ~1, h & ~1)
    # The driver moves the photo: some frame differs from the first one beyond codec noise.
    frames = frames_of(out, got["width"], got["height"]).astype(np.int16)
    change = max(float(np.abs(f - frames[0]).mean()) for f in frames[1:])
    assert change > 1.0, f"the animated frames barely differ from the first (max mean |diff| {change:.2f})"
