"""pytest setup for the Python binding's tests.

Run from the repository root:  python3 -m pytest Tests/python -q

- FACESWAP_LIBRARY defaults to <repo>/.build/release/libfaceswap.so (set it to test another build).
- The binding is imported from <repo>/bindings/python (the source tree), not an installed copy.
- Test data lives in <repo>/Tests/data (override with FACESWAP_DATA); the model files dlib needs
  come from Debian's libdlib-data and `bash .ci/fetch-models` (`make test` runs both).
  Missing data or models fail the test that needs them: nothing is skipped for data.
- A test may skip only for an optional capability this machine lacks (skip_without); at the end
  any other skip fails the session (see pytest_sessionfinish).
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
DATA = Path(os.environ.get("FACESWAP_DATA") or str(REPO / "Tests" / "data"))
FACES = DATA / "faces"

os.environ.setdefault("FACESWAP_LIBRARY", str(DEFAULT_LIBRARY))
if str(BINDING) not in sys.path:
    sys.path.insert(0, str(BINDING))


# Skips allowed: only for an optional capability the machine lacks, said in this form.
CAPABILITY_SKIP = "optional capability missing: "


def skip_without(capability: str, detail: str = "") -> None:
    """Skips the running test because this machine lacks an optional capability (a C compiler,
    network access, ...). Never for test data or model files: those are failures."""
    pytest.skip(CAPABILITY_SKIP + capability + (f" ({detail})" if detail else ""))


def require_model(fs, name: str) -> str:
    """The path of model file `name`, or the test fails saying how to install it."""
    try:
        return fs.find_model(name)
    except fs.FaceSwapError as e:
        pytest.fail(f"model file {name} is missing: run `bash .ci/fetch-models` (make test does): {e}")


@pytest.fixture(scope="session", autouse=True)
def test_data_present():
    """Every test runs against the repository's test data: its absence fails the run."""
    if not (DATA / "MANIFEST.tsv").is_file() or not FACES.is_dir():
        pytest.fail(f"test data missing at {DATA} (expected MANIFEST.tsv and faces/; it ships in "
                    "the repository under Tests/data, or set FACESWAP_DATA)")


def read_manifest() -> list[dict]:
    """The faces table of MANIFEST.tsv (it ends at the first blank line)."""
    path = DATA / "MANIFEST.tsv"
    lines = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                break
            lines.append(line)
    return list(csv.DictReader(lines, delimiter="\t"))


@pytest.fixture(scope="session")
def faces_dir() -> Path:
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
    """The ResNet recognizer (its model comes from `bash .ci/fetch-models`)."""
    require_model(fs, RESNET)
    with fs.Recognizer() as r:
        yield r


@pytest.fixture(scope="session")
def pil():
    import PIL.Image  # installed by .ci/install-deps (pip install pillow)
    return PIL.Image


# Figures the tests measure (landmark error, load time, ...), printed after the run even with -q.
FIGURES: dict[str, str] = {}
# Tables of figures (title -> lines), printed after the run as well.
TABLES: dict[str, list] = {}


# Sweeps: a measurement repeated over many inputs (every face of the held-out pairs, every photo of
# the manifest, every clip x portrait). Marked @pytest.mark.sweep. FS_SWEEP_SAMPLE=N keeps only the
# first N cases of each sweep (the rest deselected, counted in the summary): the ASan step of CI
# (Tests/sanitize/run.sh) runs each sweep's code path once under the sanitizers rather than
# repeating the same library calls over the whole data set, which `make test` already measures.
def pytest_configure(config):
    config.addinivalue_line("markers", "sweep: a measurement over many inputs; FS_SWEEP_SAMPLE=N runs the first N cases")
    if config.pluginmanager.hasplugin("xdist") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_WorkerFigures(), "faceswap-worker-figures")


class _WorkerFigures:
    """With pytest-xdist (`make test` runs the suite with -n), each worker measures its own tests:
    the controller gathers the workers' figures and tables as they finish, so that its summary
    lists every figure, as a run without workers does."""

    def pytest_testnodedown(self, node, error):
        out = getattr(node, "workeroutput", {})
        FIGURES.update(out.get("fs_figures", {}))
        for title, lines in out.get("fs_tables", {}).items():
            TABLES.setdefault(title, []).extend(lines)


# The slowest files, slowest first (whole-suite durations on a 2-core machine: test_reenact.py
# ~7 min, test_reenact_mouth.py ~5, ...). With xdist workers (--dist loadfile hands out whole
# files in collection order) they start first, so that no long file starts last while the other
# worker idles. Only the order changes, never which tests run.
SLOW_FILES_FIRST = ("test_reenact.py", "test_reenact_mouth.py", "test_learned.py", "test_reenact_expression.py",
                    "test_gan.py", "test_video.py", "test_swap.py", "test_edge.py", "test_small_faces.py",
                    "test_reenact_grid.py")


def pytest_collection_modifyitems(config, items):
    if hasattr(config, "workerinput"):  # an xdist worker: every worker sorts alike
        rank = {name: i for i, name in enumerate(SLOW_FILES_FIRST)}
        items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
    sample = int(os.environ.get("FS_SWEEP_SAMPLE", "0") or 0)
    if sample <= 0:
        return
    seen: dict = {}
    keep, drop = [], []
    for item in items:
        if item.get_closest_marker("sweep") is None:
            keep.append(item)
            continue
        key = (item.nodeid.split("::")[0], getattr(item, "originalname", item.name))
        seen[key] = seen.get(key, 0) + 1
        (keep if seen[key] <= sample else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
        FIGURES["FS_SWEEP_SAMPLE"] = (f"{sample}: {len(drop)} cases of {len(seen)} sweeps deselected "
                                      "(each sweep still runs its first case)")


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


def pytest_sessionfinish(session, exitstatus):
    """Lists every skip with its reason; a skip that is not for an optional capability fails the
    session (missing data or models must fail, not vanish from the count)."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: its figures go to the controller, which lists the skips
        workeroutput["fs_figures"] = dict(FIGURES)
        workeroutput["fs_tables"] = {title: [str(line) for line in lines] for title, lines in TABLES.items()}
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    bad = []
    if reporter.stats.get("skipped"):
        reporter.write_line("")  # end the progress line: .ci/check-skips reads lines starting "SKIPPED "
    for report in reporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        reporter.write_line(f"SKIPPED {report.nodeid}: {reason}")
        if not reason.startswith(CAPABILITY_SKIP):
            bad.append(report.nodeid)
    if bad:
        reporter.write_line(f"FAIL: {len(bad)} test(s) skipped for a reason other than an optional "
                            f"capability (see above): {', '.join(bad)}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
