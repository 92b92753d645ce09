"""Dynamic loading (issue 11 item 5): libfaceswap.so and the CLI link neither OpenCV's imgcodecs
(GDAL and ~115 other libraries) nor ffmpeg's libav*/libswscale; imgcodecs is loaded on the first
non-JPEG decode or encode (Sources/CFaceShim/codec_cv.cpp) and ffmpeg through the video module
libfaceswap-video.so on the first video call (Sources/CFaceShim/video_loader.cpp); objdetect (the Haar
detector, with dnn, protobuf and calib3d) on the first Haar detector (detect_haar.cpp).

- readelf: no DT_NEEDED on libopencv_imgcodecs or libav*/libswscale in libfaceswap.so or the CLI;
  the video module next to the library has them, and exports its entry table only.
- In a fresh process: neither is mapped after loading the library and a JPEG decode; a PNG round
  trip is exact and maps imgcodecs but not ffmpeg; a video job keeps every frame and maps the
  module and libavformat.
- The module is found next to the target of a symbolically linked library; beside a library with
  no module, each video call fails with FS_ERR_UNSUPPORTED naming libfaceswap-video.so and the
  library's path, and leaves no output (images still work); a shared library of that name that is
  not the module is refused by name.
- With the libraries hidden (a private mount namespace: root only, else skipped as an optional
  capability): a PNG fails naming libopencv_imgcodecs and its Debian package while a JPEG still
  works; a video fails naming ffmpeg's packages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import BINDING, DATA, REPO, skip_without

LIBRARY = Path(os.environ["FACESWAP_LIBRARY"]).resolve()
LIBDIR = LIBRARY.parent
MODULE = LIBDIR / "libfaceswap-video.so"
CLI = Path(os.environ.get("FACESWAP_CLI") or REPO / ".build" / "release" / "faceswap-cli")
SOURCE = REPO / "samples" / "source.jpg"
CLIP = DATA / "videos" / "vr_face5.mp4"  # 122 frames, ~5 s, with audio
LAZY = ("libopencv_imgcodecs", "libopencv_objdetect", "libavformat", "libavcodec", "libswscale", "libavutil")


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


def test_library_and_cli_do_not_link_imgcodecs_or_ffmpeg():
    lib = needed(LIBRARY)
    assert any(n.startswith("libopencv_core") for n in lib), lib  # readelf read the right thing
    assert [n for n in lib if n.startswith(LAZY)] == []
    if CLI.exists():
        cli = needed(CLI)
        # The CLI is a client of libfaceswap.so (test_cli_abi.py): OpenCV comes with the library.
        assert "libfaceswap.so.0" in cli, cli
        assert [n for n in cli if n.startswith(LAZY) or n.startswith("libopencv")] == []


def test_video_module_next_to_the_library_links_ffmpeg_and_exports_its_entry_only():
    assert MODULE.is_file(), f"{MODULE} missing: `swift build -c release` (make build) makes it"
    mod = needed(MODULE)
    for lib in ("libavformat", "libavcodec", "libswscale", "libavutil"):
        assert any(n.startswith(lib) for n in mod), (lib, mod)
    assert not any("swift" in n.lower() or n.startswith("libopencv") for n in mod), mod
    if shutil.which("nm"):
        out = subprocess.run(["nm", "-D", "--defined-only", str(MODULE)], capture_output=True, text=True,
                             check=True).stdout
        exported = sorted(line.split()[-1] for line in out.splitlines() if line.split()[1] in "TDBRVW")
        assert exported == ["fsx_video_module_v1"], exported


def test_loaded_on_first_use_png_round_trip_and_video_job(tmp_path):
    out = tmp_path / "out.mp4"
    r = run_python(f"""
        import numpy as np
        import faceswap as fs
        assert not mapped("libopencv_imgcodecs") and not mapped("libav"), "linked, not loaded on use"
        face = fs.load_image({str(SOURCE)!r})                      # JPEG: libjpeg, not imgcodecs
        assert not mapped("libopencv_imgcodecs"), "a JPEG decode loaded imgcodecs"
        png = fs.encode_image(face, "png")
        assert png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
        assert np.array_equal(fs.decode_image(png), face), "PNG round trip not exact"
        assert mapped("libopencv_imgcodecs"), "imgcodecs not loaded by a PNG round trip"
        assert not mapped("libfaceswap-video") and not mapped("libavformat"), "ffmpeg loaded by images"
        stats = fs.swap_video({str(SOURCE)!r}, {str(CLIP)!r}, {str(out)!r})
        assert stats["frames"] == 122 and stats["frames_with_faces"] > 100, stats
        assert mapped({str(MODULE.name)!r}) and mapped("libavformat"), "video module not loaded"
        print("ok")
        """)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stdout + r.stderr
    assert out.stat().st_size > 10000


def test_objdetect_loaded_by_the_first_haar_detector_only(fs):
    """objdetect (and the dnn, protobuf, calib3d it pulls in) is mapped by the first Haar detector,
    not by loading the library or a HOG swap; the Haar detector then finds the one face of a
    portrait where HOG finds it (its rectangle contains the HOG face's centre)."""
    cascade = fs.find_model("haarcascade_frontalface_default.xml")
    r = run_python(f"""
        import faceswap as fs
        assert not mapped("libopencv_objdetect"), "objdetect linked, not loaded on use"
        img = fs.load_image({str(SOURCE)!r})
        hog = fs.Detector().detect(img)
        assert len(hog) == 1, hog
        fs.swap(img, img)
        assert not mapped("libopencv_objdetect") and not mapped("libopencv_dnn"), "loaded by HOG or a swap"
        haar = fs.Detector(backend="haar", model_path={cascade!r}).detect(img)
        assert mapped("libopencv_objdetect"), "objdetect not loaded by a Haar detector"
        cx, cy = hog[0].rect[0] + hog[0].rect[2] / 2, hog[0].rect[1] + hog[0].rect[3] / 2
        assert any(x <= cx <= x + w and y <= cy <= y + h for x, y, w, h in (f.rect for f in haar)), (hog, haar)
        print("ok")
        """)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stdout + r.stderr


def test_module_found_through_a_symlinked_library(tmp_path):
    (tmp_path / "libfaceswap.so").symlink_to(LIBRARY)
    r = run_python(f"""
        import faceswap as fs
        print(fs.swap_video({str(SOURCE)!r}, {str(CLIP)!r}, {str(tmp_path / "o.mp4")!r})["frames"])
        """, library=tmp_path / "libfaceswap.so", LD_LIBRARY_PATH="")
    assert r.returncode == 0 and r.stdout.strip() == "122", r.stdout + r.stderr


def _module_on_search_path() -> bool:
    """Whether a libfaceswap-video.so is found by its plain name (an installed one)."""
    r = subprocess.run([sys.executable, "-c", "import ctypes; ctypes.CDLL('libfaceswap-video.so')"],
                       capture_output=True, env=dict(os.environ, LD_LIBRARY_PATH=""))
    return r.returncode == 0


def _library_alone(folder: Path) -> Path:
    """The library as a file of its own in folder (a hard link, else a copy: not a symbolic link,
    whose target's folder holds the module), with no video module beside it."""
    lib = folder / "libfaceswap.so"
    try:
        os.link(LIBRARY, lib)
    except OSError:
        shutil.copyfile(LIBRARY, lib)
    return lib


VIDEO_CALLS = """
    import faceswap as fs
    face = fs.load_image({source!r})
    assert (fs.decode_image(fs.encode_image(face, "png")) == face).all()   # images unaffected
    for attempt in range(2):                                              # the same answer each call
        try:
            fs.swap_video({source!r}, {clip!r}, {out!r})
        except fs.FaceSwapError as e:
            print(e.status.name, "|", e.message)
        else:
            print("OK | video written")
    """


def _video_calls(lib: Path, out: Path) -> tuple[str, str]:
    r = run_python(VIDEO_CALLS.format(source=str(SOURCE), clip=str(CLIP), out=str(out)), library=lib,
                   LD_LIBRARY_PATH="")
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and len(lines) == 2 and lines[0] == lines[1], r.stdout + r.stderr
    status, message = lines[0].split(" | ", 1)
    if _module_on_search_path():  # an installed module answers instead: it must work or be refused
        assert status == "OK" or "is not the video module" in message, lines[0]
        pytest.fail("a libfaceswap-video.so is installed on the library search path: the error of a "
                    "library without its module cannot be seen here (it answered: " + lines[0] + ")")
    assert status == "UNSUPPORTED", lines[0]
    assert not out.exists()
    return status, message


def test_missing_video_module_is_a_clear_error(tmp_path):
    lib = _library_alone(tmp_path)
    _, message = _video_calls(lib, tmp_path / "o.mp4")
    assert "video support needs libfaceswap-video.so next to " + str(lib) in message, message
    assert "make install" in message, message


def test_a_foreign_file_named_like_the_module_is_refused(tmp_path):
    lib = _library_alone(tmp_path)
    zlib = next((p for p in ("/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1",
                             "/lib64/libz.so.1", "/usr/lib/libz.so.1") if os.path.exists(p)), None)
    if not zlib:
        pytest.fail("no libz.so.1 at a usual path")
    shutil.copyfile(zlib, tmp_path / "libfaceswap-video.so")  # a shared library, not the module
    _, message = _video_calls(lib, tmp_path / "o.mp4")
    assert str(tmp_path / "libfaceswap-video.so") + " is not the video module of this libfaceswap" in message, message


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


def test_without_ffmpeg_video_fails_clearly(tmp_path):
    if not CLI.exists():
        pytest.fail(f"no CLI at {CLI} (make build)")
    avformat = _system_library("libavformat.so.")
    out = tmp_path / "o.mp4"
    r = _hidden([avformat], [str(CLI), "video", "--source", str(SOURCE), "--input", str(CLIP), "-o", str(out)])
    assert r.returncode != 0, r.stdout + r.stderr
    assert "libfaceswap-video.so could not be loaded" in r.stderr and "libavformat" in r.stderr, r.stderr
    assert "apt-get install libavformat" in r.stderr, r.stderr
    assert not out.exists()
    r = _hidden([avformat], [str(CLI), "version"])
    assert r.returncode == 0, r.stderr
