"""A process that exits while a stream's sweep thread scans (the stream not freed) exits cleanly.

The stream's periodic sweep for new faces of any size runs on a thread of the stream's own
(include/faceswap.h, "Threads of a call"). A background HOG load still running at exit once
crashed in dlib while exit() tore the statics down (exit 139), so exit() now waits for a running
sweep (an atexit handler). Here a child process pushes the frames up to the one that starts a
sweep (frame 115: the 23rd periodic scan at detect_interval 5, FaceTracker.fullScanEvery) and
calls the C library's exit() at once, which runs the atexit handlers and static destructors while
that scan is under way. Checked: exit status 0 (no signal), three times; and the same with the
stream freed before exit.
"""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import BINDING, FACES

CHILD = r"""
import ctypes, sys
import faceswap as fs
frame = fs.load_image(sys.argv[1])
swapper = fs.Swapper()
stream = fs.Stream(swapper, swapper.prepare(fs.load_image(sys.argv[2])))
for _ in range(int(sys.argv[3])):
    stream.push(frame.copy())
if sys.argv[4] == "free":
    stream.close()
sys.stdout.flush()
libc = ctypes.CDLL(None)
libc.exit.argtypes = [ctypes.c_int]
libc.exit(0)
"""

# Pushes up to and including frame 115, which starts the sweep (23 periodic scans x 5 frames).
PUSHES = 23 * 5 + 1


def run_child(pushes: int, end: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(BINDING) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", CHILD, str(FACES / "fr_obama1.jpg"), str(FACES / "fr_biden2.jpg"),
                           str(pushes), end], capture_output=True, text=True, env=env, timeout=300)


def test_exit_during_a_sweep_is_clean():
    for run in range(3):
        r = run_child(PUSHES, "exit")
        assert r.returncode == 0, f"run {run}: exit status {r.returncode}: {r.stderr[-2000:]}"
    r = run_child(PUSHES, "free")
    assert r.returncode == 0, f"stream freed first: exit status {r.returncode}: {r.stderr[-2000:]}"
