"""pytest setup for the Python binding's tests.

Run from the repository root:  python3 -m pytest Tests/python -q

- FACESWAP_LIBRARY defaults to <repo>/.build/release/libfaceswap.so (set it to test another build).
- The binding is imported from <repo>/bindings/python (the source tree), not an installed copy.
- Test data lives in <repo>/../shared/data (override with FACESWAP_TEST_DATA or
  FACESWAP_DATA, as the Makefile sets it); tests that need it
  are skipped with a reason when it is missing.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BINDING = REPO / "bindings" / "python"
DEFAULT_LIBRARY = REPO / ".build" / "release" / "libfaceswap.so"
DATA = Path(os.environ.get("FACESWAP_TEST_DATA") or os.environ.get("FACESWAP_DATA")
            or str(REPO.parent / "shared" / "data"))
FACES = DATA / "faces"

os.environ.setdefault("FACESWAP_LIBRARY", str(DEFAULT_LIBRARY))
if str(BINDING) not in sys.path:
    sys.path.insert(0, str(BINDING))


def data_missing_reason() -> str | None:
    if not FACES.is_dir():
        return f"test data folder {FACES} is missing (clone shared/ beside the repository)"
    return None


def read_manifest() -> list[dict]:
    """The faces table of MANIFEST.tsv (it ends at the first blank line)."""
    path = DATA / "MANIFEST.tsv"
    if not path.is_file():
        return []
    lines = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                break
            lines.append(line)
    return list(csv.DictReader(lines, delimiter="\t"))


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    reason = data_missing_reason()
    if reason:
        pytest.skip(reason)
    return FACES


@pytest.fixture(scope="session")
def fs():
    import faceswap
    return faceswap


@pytest.fixture(scope="session")
def hog_up1(fs):
    """The default HOG detector with upsample=1 (dlib's reference setting for the manifest)."""
    with fs.Detector(upsample=1) as d:
        yield d


@pytest.fixture(scope="session")
def landmarker(fs):
    with fs.Landmarker() as lm:
        yield lm


RESNET = "dlib_face_recognition_resnet_model_v1.dat"


@pytest.fixture(scope="session")
def recognizer(fs):
    """The ResNet recognizer, or None when its model is not installed."""
    try:
        fs.find_model(RESNET)
    except fs.FaceSwapError:
        yield None
        return
    with fs.Recognizer() as r:
        yield r


@pytest.fixture(scope="session")
def pil():
    return pytest.importorskip("PIL.Image", reason="Pillow is needed (pip install pillow)")


# Figures the tests measure (landmark error, load time, ...), printed after the run even with -q.
FIGURES: dict[str, str] = {}
# Tables of figures (title -> lines), printed after the run as well.
TABLES: dict[str, list] = {}


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("faceswap figures")
        for key, value in FIGURES.items():
            terminalreporter.write_line(f"{key}: {value}")
    for title, lines in TABLES.items():
        if lines:
            terminalreporter.section(title)
            for line in lines:
                terminalreporter.write_line(line)
