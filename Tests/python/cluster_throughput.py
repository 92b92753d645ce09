"""Throughput of faceswap.cluster against one process, in frames of input per second (the
README's Cluster figures). Not a test: run it by hand on a quiet machine.

    python3 Tests/python/cluster_throughput.py [--address HOST:PORT]

Without --address it starts a local 2-node Ray (head + one more node, one core each, as
test_cluster.py does). Measures, on the test clips vr_face1..5 (706 frames):
  1. one process, one thread, the clips one after another (fs_video_swap, threads=1)
  2. one process, every core (threads=0), one after another
  3. the cluster, one task per clip (run_jobs), connection time excluded
  4. one long video (vr_face4 three times over, a keyframe every second): one process with every
     core, and the cluster in --chunk-seconds chunks (default 2; split_video, warm-up 30)
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bindings" / "python"))
os.environ.setdefault("FACESWAP_LIBRARY", str(REPO / ".build" / "release" / "libfaceswap.so"))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "bindings" / "python"), os.environ.get("PYTHONPATH")]))

import faceswap  # noqa: E402
from faceswap import cluster  # noqa: E402

DATA = Path(os.environ.get("FACESWAP_DATA") or REPO / "Tests" / "data")
SOURCE = str(REPO / "samples" / "source.jpg")
CLIPS = [str(DATA / "videos" / f"vr_face{i}.mp4") for i in range(1, 6)]


def timed(fn):
    start = time.monotonic()
    fn()
    return time.monotonic() - start


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--address")
    p.add_argument("--chunk-seconds", type=float, default=2.0)
    args = p.parse_args()
    import ray
    if args.address:
        ray.init(address=args.address, log_to_driver=False)
        nodes = None
    else:
        from ray.cluster_utils import Cluster
        nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
        nodes.add_node(num_cpus=1)
        ray.init(address=nodes.address, log_to_driver=False)
        nodes.wait_for_nodes()
    cpus = int(ray.cluster_resources().get("CPU", 0))
    out = Path(tempfile.mkdtemp(prefix="fs-throughput-"))
    frames = sum(len(cluster.probe_frames(c)) for c in CLIPS)
    print(f"{frames} frames in {len(CLIPS)} clips; Ray: {len(ray.nodes())} nodes, {cpus} CPUs; "
          f"this machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")

    for threads in (1, 0):
        s = timed(lambda: [faceswap.swap_video(SOURCE, c, str(out / f"one{i}.mp4"), threads=threads)
                           for i, c in enumerate(CLIPS)])
        print(f"one process, threads={threads}: {s:.1f} s = {frames / s:.1f} fps")
    jobs = [cluster.Job(SOURCE, c, str(out / f"many{i}.mp4")) for i, c in enumerate(CLIPS)]
    s = timed(lambda: cluster.run_jobs(jobs))
    print(f"cluster, one task per clip: {s:.1f} s = {frames / s:.1f} fps")

    long = out / "long.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-stream_loop", "2", "-i", CLIPS[3], "-map", "0",
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-force_key_frames",
                    "expr:gte(t,n_forced*1)", "-c:a", "aac", "-y", str(long)], check=True)
    n = len(cluster.probe_frames(str(long)))
    s = timed(lambda: faceswap.swap_video(SOURCE, str(long), str(out / "long_one.mp4"), threads=0))
    print(f"long video ({n} frames), one process, threads=0: {s:.1f} s = {n / s:.1f} fps")
    st = {}
    s = timed(lambda: st.update(cluster.split_video(SOURCE, str(long), str(out / "long_split.mp4"),
                                                    chunk_seconds=args.chunk_seconds, warmup=30)))
    print(f"long video, cluster in {st['chunks']} chunks of {args.chunk_seconds:g} s, warm-up 30: "
          f"{s:.1f} s = {n / s:.1f} fps")
    print(f"load after: {os.getloadavg()[0]:.1f}; outputs in {out}")
    ray.shutdown()
    if nodes:
        nodes.shutdown()


if __name__ == "__main__":
    main()
