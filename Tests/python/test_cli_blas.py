"""`faceswap swap` of photos and `faceswap video` stop OpenBLAS's idle thread pool (Sources/faceswap-cli/Lib.swift,
stopIdleBLASThreads): the pool, started when the library loads, spins on the cores for about
0.1 s, longer than the whole swap. Stopping it must not change the result: ground truth is the same
swap with the pool left running (OPENBLAS_DEFAULT_NUM_THREADS set, which the CLI respects), and
the swaps whose work is matrix work (--detector cnn, --reference, --model) keep the pool."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CLI = Path(os.environ.get("FACESWAP_CLI") or REPO / ".build" / "release" / "faceswap-cli")
FACES = Path(os.environ.get("FACESWAP_DATA") or REPO / "Tests" / "data") / "faces"


def _env(**env) -> dict:
    e = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS",
                                                         "OPENBLAS_DEFAULT_NUM_THREADS")}
    e.update(env)
    return e


def _swap(out: Path, **env) -> bytes:
    e = _env(**env)
    r = subprocess.run([str(CLI), "swap", "--source", str(FACES / "fr_obama1.jpg"), "--target", str(FACES / "fr_biden2.jpg"),
                        "-o", str(out)], capture_output=True, text=True, env=e, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return out.read_bytes()


def test_swap_without_the_blas_pool_writes_the_same_image(tmp_path):
    assert CLI.is_file(), f"no CLI at {CLI} (make build)"
    stopped = _swap(tmp_path / "stopped.png")
    kept = _swap(tmp_path / "kept.png", OPENBLAS_DEFAULT_NUM_THREADS="2")
    assert stopped == kept, "stopping OpenBLAS's idle threads changed the swap's result"


def _video_frames(out: Path, **env) -> str:
    """The decoded frames' MD5s (ffmpeg's framemd5) of `faceswap video` on vr_face2.mp4."""
    clip = FACES.parent / "videos" / "vr_face2.mp4"
    r = subprocess.run([str(CLI), "video", "--quiet", "--source", str(FACES / "fr_obama1.jpg"), "--input", str(clip),
                        "-o", str(out)], capture_output=True, text=True, env=_env(**env), timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    md5 = subprocess.run(["ffmpeg", "-v", "error", "-i", str(out), "-map", "0:v", "-f", "framemd5", "-"],
                         capture_output=True, text=True, check=True).stdout
    return "\n".join(l for l in md5.splitlines() if not l.startswith("#"))


def test_video_without_the_blas_pool_writes_the_same_frames(tmp_path):
    assert CLI.is_file(), f"no CLI at {CLI} (make build)"
    stopped = _video_frames(tmp_path / "stopped.mp4")
    kept = _video_frames(tmp_path / "kept.mp4", OPENBLAS_DEFAULT_NUM_THREADS="2")
    assert stopped.count("\n") >= 100, "fewer frames than the clip has"
    assert stopped == kept, "stopping OpenBLAS's idle threads changed the video's frames"
