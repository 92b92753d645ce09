"""The model caches are checked lazily (issue 11 item 5): creating a landmarker from its cache
checks the header, the body before the leaves (with one checksum per leaf) and the structure a fit
walks; each leaf is checked the first time a fit reads it (Sources/CFaceShim/landmarks.cpp). A HOG
detector reads its cache (scanner settings, thresholds, filter banks) at its first detect
(detect_hog.cpp). These tests take the path the Swift tests (ModelCacheTests) do not: a damaged
cache whose first use is a fit or a detect, not the cache state.

Ground truth: the same models made with the caches off (FACESWAP_NO_MODEL_CACHE=1: dlib's model
file parsed, dlib's compiled-in detector decoded), a path that never reads a cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from conftest import BINDING, FACES, require_model


def _fit_in_fresh_process(model: str, cache_home, **env) -> list:
    """The 5 points fitted on fr_obama1.jpg's detected face by a new process's landmarker, made
    and used by a fit first (no other call touches it)."""
    code = textwrap.dedent(f"""\
        import sys
        sys.path.insert(0, {str(BINDING)!r})
        import faceswap as fs
        img = fs.load_image({str(FACES / "fr_obama1.jpg")!r})
        face = fs.Detector().detect(img)[0]
        lm = fs.Landmarker({model!r})
        print(repr([tuple(map(float, p)) for p in lm.fit(img, face).landmarks]))
        """)
    e = dict(os.environ, XDG_CACHE_HOME=str(cache_home), **env)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return eval(r.stdout.strip())


def test_a_damaged_cache_used_first_by_a_fit_is_rebuilt_and_fits_exactly(fs, tmp_path):
    model = require_model(fs, "shape_predictor_5_face_landmarks.dat")
    truth = _fit_in_fresh_process(model, tmp_path / "none", FACESWAP_NO_MODEL_CACHE="1")
    assert len(truth) == 5

    written = _fit_in_fresh_process(model, tmp_path)  # first use: parsed, cache written
    assert written == truth
    [cache] = list((tmp_path / "faceswap").glob("*.spflat"))
    good = cache.read_bytes()

    hit = _fit_in_fresh_process(model, tmp_path)  # from the cache (each leaf checked as it is read)
    assert hit == truth
    assert cache.read_bytes() == good, "a valid cache was rewritten"

    # A byte of the body before the leaves (the feature pixels' anchors: offset 1000 of the
    # 5-point cache) flipped: refused at creation, rebuilt from the model file and rewritten.
    damaged = bytearray(good)
    damaged[1000] ^= 0x55
    cache.write_bytes(bytes(damaged))
    assert _fit_in_fresh_process(model, tmp_path) == truth
    assert cache.read_bytes() == good, "a cache with a damaged body was not rewritten from the model"

    # One byte flipped in every leaf of the last third of the file (the leaves end it; the 5-point
    # model's leaves are 40 bytes, so a flip every 32 bytes reaches each). The structure is still
    # valid, so only the leaves' checksums can tell; a fit reads one leaf of every tree, so it
    # reads some of these: it must rebuild from the model file, fit with the model's own values
    # and rewrite the cache.
    damaged = bytearray(good)
    for at in range(len(damaged) - len(damaged) // 3, len(damaged), 32):
        damaged[at] ^= 0x55
    cache.write_bytes(bytes(damaged))
    assert _fit_in_fresh_process(model, tmp_path) == truth
    assert cache.read_bytes() == good, "the damaged cache was not rewritten from the model"

    # One leaf byte flipped: a fit that reads that leaf rebuilds as above, one that does not fits
    # with valid leaves only; either way the result is the model's own.
    damaged = bytearray(good)
    damaged[len(damaged) - len(damaged) // 3] ^= 0x55
    cache.write_bytes(bytes(damaged))
    assert _fit_in_fresh_process(model, tmp_path) == truth


def _detect_in_fresh_process(cache_home, **env) -> list:
    """The face rectangles a new process's HOG detector finds in the two-person photo, its first
    call being that detect."""
    code = textwrap.dedent(f"""\
        import sys
        sys.path.insert(0, {str(BINDING)!r})
        import faceswap as fs
        img = fs.load_image({str(FACES / "fr_two_people_obama_biden.jpg")!r})
        print(repr(sorted(tuple(map(float, f.rect)) for f in fs.Detector().detect(img))))
        """)
    e = dict(os.environ, XDG_CACHE_HOME=str(cache_home), **env)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return eval(r.stdout.strip())


def test_a_damaged_detector_cache_used_first_by_a_detect_is_rebuilt_and_finds_the_same_faces(tmp_path):
    truth = _detect_in_fresh_process(tmp_path / "none", FACESWAP_NO_MODEL_CACHE="1")
    assert len(truth) == 2

    assert _detect_in_fresh_process(tmp_path) == truth  # first use: decoded, cache written
    [cache] = list((tmp_path / "faceswap").glob("*.hogcache"))
    good = cache.read_bytes()
    assert _detect_in_fresh_process(tmp_path) == truth  # from the cache, by the first detect
    assert cache.read_bytes() == good

    damaged = bytearray(good)
    damaged[len(damaged) // 2] ^= 0x55
    cache.write_bytes(bytes(damaged))
    assert _detect_in_fresh_process(tmp_path) == truth
    assert cache.read_bytes() == good, "the damaged cache was not rewritten"


def _resident_fraction(path) -> float:
    """The fraction of the file's pages in the page cache (mincore over a read-only mapping; the
    file is this user's, so mincore reports the page cache, not only this process's mappings)."""
    import ctypes
    import mmap

    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    size = os.path.getsize(path)
    pages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
    fd = os.open(path, os.O_RDONLY)
    try:
        addr = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        assert addr not in (None, ctypes.c_void_p(-1).value), os.strerror(ctypes.get_errno())
        vec = ctypes.create_string_buffer(pages)
        try:
            assert libc.mincore(addr, size, vec) == 0, os.strerror(ctypes.get_errno())
        finally:
            libc.munmap(addr, size)
    finally:
        os.close(fd)
    return sum(b & 1 for b in vec.raw) / pages


def test_a_cache_evicted_from_the_page_cache_is_read_back_and_fits_exactly(fs, tmp_path):
    """A cache no longer in the page cache (evicted here with POSIX_FADV_DONTNEED, as memory
    pressure or a reboot does) is read back when the landmarker is created (through read():
    model_cache.hpp, read_into_page_cache) before it is checksummed: the fit is still exactly the
    model's, the cache is not rewritten, and afterwards the whole file is in the page cache."""
    model = require_model(fs, "shape_predictor_5_face_landmarks.dat")
    truth = _fit_in_fresh_process(model, tmp_path / "none", FACESWAP_NO_MODEL_CACHE="1")
    assert _fit_in_fresh_process(model, tmp_path) == truth  # cache written
    [cache] = list((tmp_path / "faceswap").glob("*.spflat"))
    good = cache.read_bytes()

    fd = os.open(cache, os.O_RDONLY)
    try:
        os.fsync(fd)  # dirty pages (the cache was just written) are not dropped
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    evicted = _resident_fraction(cache)
    assert evicted < 0.5, f"the cache was not evicted ({evicted:.0%} of its pages still cached): the test would not take the read-back path"

    assert _fit_in_fresh_process(model, tmp_path) == truth
    assert _resident_fraction(cache) == 1.0
    assert cache.read_bytes() == good, "a valid cache was rewritten"
