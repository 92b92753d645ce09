"""faceswap.cluster with the library from the wheel on the workers (Ray runtime_env py_modules):
the driver uses the source tree, the workers get neither PYTHONPATH nor FACESWAP_LIBRARY, so
`import faceswap` on a worker can only find the wheel Ray installed for it.

Usage: python3 Tests/cluster/wheel_workers.py WHEEL   (Tests/cluster/run.sh; make test-cluster-wheel)
Checks: the workers' faceswap and libfaceswap.so are the wheel's; a job through them writes a file
byte-identical to `faceswap-cli video --threads 1`; a split job's frames and timestamps are the
input's. Prints "cluster-wheel: N passed, M failed" and exits 1 on any failure.
"""
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "bindings", "python"))
os.environ.pop("PYTHONPATH", None)  # the workers inherit the driver's environment: no source tree
os.environ["FACESWAP_LIBRARY"] = os.path.join(REPO, ".build", "release", "libfaceswap.so")  # the driver's
DATA = os.environ.get("FACESWAP_DATA") or os.path.join(REPO, "Tests", "data")
SOURCE = os.path.join(REPO, "samples", "source.jpg")
CLIP = os.path.join(DATA, "videos", "vr_face5.mp4")

passed = failed = 0


def check(ok: bool, what: str) -> None:
    global passed, failed
    print(("ok   " if ok else "FAIL ") + what)
    passed, failed = passed + ok, failed + (not ok)


def main() -> int:
    if len(sys.argv) != 2 or not os.path.isfile(sys.argv[1]):
        print(f"usage: {sys.argv[0]} WHEEL (make wheel builds dist/faceswap-*.whl)")
        return 1
    wheel = os.path.abspath(sys.argv[1])
    try:
        import ray
    except ImportError:
        print("FAIL PyPI ray is not installed: pip install ray (.ci/install-deps does)")
        return 1
    from faceswap import cluster

    started = time.monotonic()
    # A local Ray of its own (2 cores); the workers' FACESWAP_LIBRARY emptied: the wheel's own.
    cluster.connect(None, 2, wheel, env={"FACESWAP_LIBRARY": ""})
    try:
        @ray.remote
        def where():
            import faceswap
            return faceswap.__file__, faceswap._core.lib._name

        module, library = ray.get(where.remote())
        check("runtime_resources" in module and "faceswap-" in module,
              f"workers import the wheel's faceswap ({module})")
        check(os.path.dirname(library) == os.path.dirname(module), f"workers load the wheel's library ({library})")
        out = tempfile.mkdtemp(prefix="fs-cluster-wheel-")
        result = cluster.run_jobs([cluster.Job(SOURCE, CLIP, os.path.join(out, "many.mp4"))])[0]
        check(result.ok, f"a job on the workers: {result.error or 'done'}")
        ref = os.path.join(out, "cli.mp4")
        subprocess.run([os.path.join(REPO, ".build", "release", "faceswap-cli"), "video", "--source", SOURCE,
                        "--input", CLIP, "-o", ref, "--threads", "1"], check=True, capture_output=True)
        same = result.ok and open(ref, "rb").read() == open(os.path.join(out, "many.mp4"), "rb").read()
        check(same, "its output is byte-identical to faceswap-cli video --threads 1")
        keyed = os.path.join(out, "keyframes.mp4")  # the clip with a keyframe every second, to cut
        subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", CLIP, "-map", "0", "-c:v", "libx264",
                        "-preset", "ultrafast", "-force_key_frames", "expr:gte(t,n_forced*1)",
                        "-fps_mode", "passthrough", "-enc_time_base", "-1", "-c:a", "copy", "-y", keyed],
                       check=True)
        stats = cluster.split_video(SOURCE, keyed, os.path.join(out, "split.mp4"), chunk_seconds=1.0, warmup=10)
        pts = [f[0] for f in cluster.probe_frames(os.path.join(out, "split.mp4"))]
        check(stats["chunks"] >= 4 and pts == [f[0] for f in cluster.probe_frames(keyed)],
              f"a split job ({stats['chunks']} chunks): the input's {len(pts)} frames and timestamps")
        subprocess.run(["rm", "-rf", out])
    finally:
        ray.shutdown()
    print(f"({time.monotonic() - started:.0f} s)")
    print(f"cluster-wheel: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
