"""Dynamic loading (issue 11 item 5): libfaceswap.so and the CLI do not link OpenCV's imgcodecs
(GDAL and ~115 other libraries); it is loaded on the first non-JPEG decode or encode
(Sources/CFaceShim/codec_cv.cpp).

- readelf: no DT_NEEDED on libopencv_imgcodecs in libfaceswap.so or the CLI.
- In a fresh process: imgcodecs is not mapped after loading the library and a JPEG decode; a PNG
  round trip is exact and maps it.
- With imgcodecs hidden (a private mount namespace: root only, else skipped as an optional
  capability): a PNG fails naming libopencv_imgcodecs and its Debian package while a JPEG still
  works.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import BINDING, REPO, skip_without

LIBRARY = Path(os.environ["FACESWAP_LIBRARY"]).resolve()
CLI = Path(os.environ.get("FACESWAP_CLI") or REPO / ".build" / "release" / "faceswap-cli")
SOURCE = REPO / "samples" / "source.jpg"
LAZY = ("libopencv_imgcodecs",)


def needed(path: Path) -> list[str]:
    if not shutil.which("readelf"):
        skip_without("readelf (binutils)")
    out = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]


def run_python(code: str, library: Path = LIBRARY, **env) -> subprocess.CompletedProcess:
    """Runs code in a fresh interpreter with the binding on the path and FACESWAP_LIBRARY=library."""
    prelude = textwrap.dedent(f"""\
        import sys
        sys.path.insert(0, {str(BINDING)!r})
        def mapped(part):
            return any(part in line for line in open("/proc/self/maps"))
        """)
    e = dict(os.environ, FACESWAP_LIBRARY=str(library), **env)
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True,
                          text=True, env=e, timeout=600)


def test_library_and_cli_do_not_link_imgcodecs():
    lib = needed(LIBRARY)
    assert any(n.startswith("libopencv_core") for n in lib), lib  # readelf read the right thing
    assert [n for n in lib if n.startswith(LAZY)] == []
    if CLI.exists():
        cli = needed(CLI)
        assert any(n.startswith("libopencv_core") for n in cli), cli
        assert [n for n in cli if n.startswith(LAZY)] == []


def test_loaded_on_first_use_png_round_trip():
    r = run_python(f"""
        import numpy as np
        import faceswap as fs
        assert not mapped("libopencv_imgcodecs"), "linked, not loaded on use"
        face = fs.load_image({str(SOURCE)!r})                      # JPEG: libjpeg, not imgcodecs
        assert not mapped("libopencv_imgcodecs"), "a JPEG decode loaded imgcodecs"
        png = fs.encode_image(face, "png")
        assert png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
        assert np.array_equal(fs.decode_image(png), face), "PNG round trip not exact"
        assert mapped("libopencv_imgcodecs"), "imgcodecs not loaded by a PNG round trip"
        print("ok")
        """)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stdout + r.stderr


def _hidden(paths: list[str], command: list[str]) -> subprocess.CompletedProcess:
    """Runs command with each file of paths replaced by an empty one (a bind mount of /dev/null in
    a private mount namespace), so the loader cannot use it."""
    if not shutil.which("unshare"):
        skip_without("unshare (util-linux)")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        skip_without("a private mount namespace (unshare -m needs root)", probe.stderr.decode().strip())
    mounts = " && ".join(f"mount --bind /dev/null {os.path.realpath(p)!r}" for p in paths)
    script = f"{mounts} && exec \"$@\""
    return subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", *command], capture_output=True, text=True,
                          timeout=600)


def _system_library(name: str) -> str:
    for d in ("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"):
        hits = sorted(Path(d).glob(name + "*")) if os.path.isdir(d) else []
        if hits:
            return str(hits[0])
    pytest.fail(f"{name} not found")


def test_without_imgcodecs_png_fails_clearly_and_jpeg_works(tmp_path):
    if not CLI.exists():
        pytest.fail(f"no CLI at {CLI} (make build)")
    png = tmp_path / "face.png"
    r = run_python(f"import faceswap as fs; fs.save_image(fs.load_image({str(SOURCE)!r}), {str(png)!r})")
    assert r.returncode == 0 and png.stat().st_size > 0, r.stderr
    imgcodecs = _system_library("libopencv_imgcodecs.so.")
    target = str(REPO / "samples" / "target.jpg")
    r = _hidden([imgcodecs], [str(CLI), "swap", "--source", str(png), "--target", target, "-o", str(tmp_path / "a.jpg")])
    assert r.returncode != 0, r.stdout + r.stderr
    assert "libopencv_imgcodecs.so." in r.stderr and "apt-get install libopencv-imgcodecs" in r.stderr, r.stderr
    r = _hidden([imgcodecs], [str(CLI), "swap", "--source", str(SOURCE), "--target", target, "-o", str(tmp_path / "b.jpg")])
    assert r.returncode == 0 and (tmp_path / "b.jpg").stat().st_size > 0, r.stderr
