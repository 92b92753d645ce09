"""Face swapping on a Ray cluster: many videos at once, or one long video cut into chunks.

Two jobs, both run as Ray tasks (https://docs.ray.io), so that any Ray cluster a user already
runs does the scheduling, the retries after a lost worker and the placement:

* :func:`run_jobs` — a list of :class:`Job` (source photo or learned model ``.fsm``, input
  video, output path, options), one task per job. Each output is written exactly as the
  single-machine ``faceswap video`` writes it (``fs_video_swap``: every frame and timestamp,
  the audio copied, written under a temporary name and renamed when complete). A job that fails
  is reported with its message; the others go on.
* :func:`split_video` — one long video cut at keyframes into chunks of about ``chunk_seconds``.
  Each task reads a stream copy of the input from the keyframe before its warm-up and runs the
  library's video job over its chunk (``first_frame``/``frame_count``) after ``warmup`` frames
  that are tracked but not written, so detection, tracks and the One-Euro filter are settled at
  the cut. Chunks are video only, with the input's own timestamps; they are
  joined by ffmpeg's concat demuxer without re-encoding (stream copy) and the input's audio is
  muxed in, also by stream copy.

Progress is the total of frames written over every task, through ``progress(done, total)`` and,
on the command line, a bar. A task whose worker dies, or that raises an unexpected error, is run
again (Ray's ``max_retries``); an error that is the input's fault (not a video, no face in the
source, a bad option) is not retried. Retried tasks start their part from scratch, so the output
is that of an undisturbed run.

Files: every path must be readable (inputs, sources) and writable (outputs) under the same name
on every node: one machine, or a shared file system. Work files live in a hidden folder next to
each output (``.faceswap-cluster-*``), removed at the end whatever happened, so only finished
outputs appear there.

The library on the workers: each node imports this package (``pip install`` of the wheel made
by ``make wheel``, or ``bindings/python`` on ``PYTHONPATH`` with ``FACESWAP_LIBRARY`` set, in
the environment ``ray start`` runs in), or pass ``wheel=`` (``--wheel``) to have Ray install
the wheel in each worker's runtime environment. ffprobe and ffmpeg are needed on the machine
that calls these functions (the driver), not on the workers.

Command line: ``python -m faceswap.cluster --help`` (or ``faceswap cluster --help``).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

# The swap_video keywords that are video/stream settings; every other option is the Swapper's.
VIDEO_KEYS = ("crf", "preset", "detect_interval", "min_cutoff", "beta", "scene_cut")

# Library errors that are the input's or the settings' fault: retrying cannot help.
PERMANENT = ("INVALID_ARGUMENT", "IO", "DECODE", "UNSUPPORTED", "TOO_LARGE", "NO_FACE", "MODEL")


class ClusterError(Exception):
    """A cluster job could not be done (the message says why and what to fix)."""


def _ray():
    """The ray module, or a ClusterError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise ClusterError("faceswap.cluster needs Ray: pip install ray") from None
    return ray


@dataclass
class Job:
    """One video to swap: ``source`` a photo, or a learned model (``.fsm``; ``reverse=True`` in
    ``options`` turns B's faces into A's); ``options``: the keywords of
    :func:`faceswap.swap_video` (``crf``, ``preset``, ``detect_interval``, ..., and the
    :class:`faceswap.Swapper` options ``blend``, ``color``, ``expression``, ...)."""
    source: str
    input: str
    output: str
    options: Dict = field(default_factory=dict)


@dataclass
class JobResult:
    """What became of one job: ``error`` is None when ``output`` was written; ``seconds``: the
    task's own time (of its last attempt)."""
    job: Job
    frames: int = 0
    error: Optional[str] = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


# ---------------------------------------------------------------------------------------------
# Probing the input (driver side): frame times and keyframes, by ffprobe, without decoding.

def probe_frames(path: str) -> List[tuple]:
    """The video frames of ``path`` in presentation order as ``(pts, seconds, keyframe)``,
    read from the packets of its first video stream (ffprobe, no decoding). Raises
    ClusterError when ffprobe is missing or the file is not a video."""
    try:
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
             "packet=pts,pts_time,flags", "-of", "csv=p=0", path],
            capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise ClusterError("ffprobe is not installed (Debian: apt-get install ffmpeg)") from None
    if out.returncode != 0:
        raise ClusterError(f"cannot read the video '{path}': {out.stderr.strip() or 'ffprobe failed'}")
    frames = []
    for line in out.stdout.splitlines():
        parts = line.strip().split(",")
        if len(parts) < 3 or parts[0] in ("", "N/A"):
            continue
        frames.append((int(parts[0]), float(parts[1]), "K" in parts[2]))
    if not frames:
        raise ClusterError(f"'{path}' has no video frames")
    frames.sort(key=lambda f: f[0])
    return frames


def cut_points(frames: Sequence[tuple], chunk_seconds: float) -> List[int]:
    """The first frame of every chunk: frame 0, then the first keyframe at least
    ``chunk_seconds`` after the previous cut. A video with keyframes farther apart than that gets
    longer chunks (one chunk when frame 0 is its only keyframe)."""
    if chunk_seconds <= 0:
        raise ClusterError(f"chunk_seconds must be above 0 (got {chunk_seconds})")
    cuts = [0]
    for i, (_, t, key) in enumerate(frames):
        if key and i > 0 and t - frames[cuts[-1]][1] >= chunk_seconds - 1e-9:
            cuts.append(i)
    return cuts


# ---------------------------------------------------------------------------------------------
# The worker side: one Ray task = one fs_video_swap over a whole file or a part of one.

def _swap_part(job: Dict, output: str, part: Optional[Dict], reporter, key: str) -> Dict:
    """Runs on a worker: swaps ``job`` (a Job as a dict) into ``output``, the whole video or
    ``part`` (first_frame, frame_count, warmup; video only). Reports its pid once, and its frames
    written as it goes, to ``reporter``. Returns ``{"frames": n}``, or ``{"error": message}`` for
    an error retrying cannot fix; anything else raises, so Ray runs the task again."""
    import faceswap  # imported on the worker, from the package installed there

    reporter.started.remote(key, os.getpid())
    options = dict(job["options"])
    reverse = options.pop("reverse", False)
    video = {k: options.pop(k) for k in VIDEO_KEYS if k in options}
    threads = options.pop("threads", 1)
    try:
        source, model = job["source"], None
        if source.endswith(".fsm"):
            model, source = faceswap.Model(source), None
        swapper = faceswap.Swapper(model=model, reverse=reverse, **options)
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.2:  # a few reports a second: the actor is shared by every task
                last[0] = now
                reporter.report.remote(key, done)

        extra = dict(part, audio=False) if part else {}
        stats = faceswap.swap_video(source, job["input"], output, progress=progress,
                                    swapper=swapper, threads=threads, **video, **extra)
    except faceswap.FaceSwapError as e:
        if getattr(e.status, "name", None) in PERMANENT:
            return {"error": str(e)}
        raise
    except (TypeError, ValueError) as e:  # an unknown or malformed option
        return {"error": str(e)}
    reporter.report.remote(key, stats["frames"])
    return {"frames": stats["frames"], "seconds": stats["seconds"]}


def _finish_job(job: Dict, staged: str, reporter, key: str) -> Dict:
    """A whole-file task: the library writes the output inside the work folder (atomically),
    then it is moved into place, so an output appears only complete. Idempotent, so a retry after
    the move is harmless."""
    result = _swap_part(job, staged, None, reporter, key)
    if "error" not in result:
        os.replace(staged, job["output"])
    return result


class _Reporter:
    """A Ray actor: frames written per task (a retried task starts again from 0) and the pid
    of each task's latest attempt."""

    def __init__(self):
        self.done: Dict[str, int] = {}
        self.pids: Dict[str, int] = {}

    def started(self, key: str, pid: int) -> None:
        self.done[key] = 0
        self.pids[key] = pid

    def report(self, key: str, done: int) -> None:
        self.done[key] = done

    def snapshot(self) -> tuple:
        return sum(self.done.values()), dict(self.pids)


# ---------------------------------------------------------------------------------------------
# The driver side.

def connect(address: Optional[str] = None, num_cpus: Optional[int] = None,
            wheel: Optional[str] = None, env: Optional[Dict[str, str]] = None):
    """Connects to Ray unless already connected: ``address`` a running cluster (``"auto"``, or
    ``"HOST:6379"``), None to start a local one (``num_cpus`` cores). ``wheel``: a faceswap
    wheel each worker installs (Ray runtime_env ``py_modules``); ``env``: environment variables
    for the workers (e.g. ``FACESWAP_LIBRARY``)."""
    ray = _ray()

    if ray.is_initialized():
        return
    runtime_env = {}
    if wheel:
        if not os.path.isfile(wheel):
            raise ClusterError(f"no wheel at '{wheel}' (make wheel writes dist/faceswap-*.whl)")
        runtime_env["py_modules"] = [os.path.abspath(wheel)]
    if env:
        runtime_env["env_vars"] = dict(env)
    ray.init(address=address, num_cpus=None if address else num_cpus,
             runtime_env=runtime_env or None, log_to_driver=False,
             include_dashboard=False if not address else None)


def _remote_functions(retries: int, cpus: int):
    """The tasks and the actor with this run's settings (made here: importing this module must
    not need Ray)."""
    ray = _ray()

    task = dict(max_retries=retries, retry_exceptions=True, num_cpus=cpus)
    return (ray.remote(**task)(_swap_part), ray.remote(**task)(_finish_job),
            ray.remote(num_cpus=0)(_Reporter).remote())


def _drive(refs: Dict, reporter, total: int, progress, on_start) -> Dict:
    """Waits for every task, calling progress(done, total) and on_start(key, pid) as they go.
    Returns {key: result dict}; a task that failed after its retries gives {"error": ...}."""
    ray = _ray()

    results, pids = {}, {}
    pending = list(refs)
    try:
        while pending:
            ready, pending = ray.wait(pending, timeout=0.25, num_returns=len(pending))
            for ref in ready:
                try:
                    results[refs[ref]] = ray.get(ref)
                except Exception as e:  # retries exhausted: the task's error, or the worker's loss
                    results[refs[ref]] = {"error": _short(e)}
            done, now = ray.get(reporter.snapshot.remote())
            if on_start:
                for key, pid in now.items():
                    if pids.get(key) != pid:
                        on_start(key, pid)
            pids = now
            if progress:
                progress(min(done, total) if total else done, total)
    except BaseException:  # Ctrl-C or a callback's error: stop the tasks still running
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    return results


def _short(e: Exception) -> str:
    """What went wrong, in one line: the last line of the task's error (Ray wraps it with the
    traceback), or of the worker's loss."""
    cause = getattr(e, "cause", None)
    text = str(cause) if cause is not None else str(e)
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(e).__name__


def _workdir(output: str) -> str:
    """A fresh hidden work folder next to ``output`` (same file system: renames are atomic)."""
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise ClusterError(f"the output folder '{folder}' does not exist")
    return tempfile.mkdtemp(prefix=".faceswap-cluster-", dir=folder)


def _job_dict(job: Job) -> Dict:
    return {"source": os.path.abspath(job.source), "input": os.path.abspath(job.input),
            "output": os.path.abspath(job.output), "options": dict(job.options)}


def run_jobs(jobs: Sequence[Job], progress: Optional[Callable[[int, int], None]] = None,
             retries: int = 3, cpus_per_task: int = 1,
             on_start: Optional[Callable[[str, int], None]] = None) -> List[JobResult]:
    """Swaps every job as one Ray task each (connect first, or a local Ray is started). Returns
    one JobResult per job, in order; a failed job has ``error`` set and no output, and does not
    stop the others. ``progress(done, total)``: frames written over all jobs, a few times a
    second. ``cpus_per_task``: the cores each task reserves and the library threads it uses.
    ``on_start(key, pid)``: each task attempt's worker process (key ``"job-N"``)."""
    connect()
    swap_task, finish_task, reporter = _remote_functions(retries, cpus_per_task)
    results = [JobResult(job) for job in jobs]
    refs, total, workdirs = {}, 0, []
    try:
        for i, job in enumerate(jobs):
            d = _job_dict(job)
            d["options"].setdefault("threads", cpus_per_task)
            try:
                total += len(probe_frames(d["input"]))
            except ClusterError:
                pass  # the task reports the library's own message for this input
            try:
                work = _workdir(d["output"])
            except ClusterError as e:
                results[i].error = str(e)
                continue
            workdirs.append(work)
            staged = os.path.join(work, os.path.basename(d["output"]))
            refs[finish_task.remote(d, staged, reporter, f"job-{i}")] = i
        keyed = _drive(refs, reporter, total, progress, on_start)
    finally:
        for work in workdirs:
            shutil.rmtree(work, ignore_errors=True)
    for i, r in keyed.items():
        results[i].frames = r.get("frames", 0)
        results[i].error = r.get("error")
        results[i].seconds = r.get("seconds", 0.0)
    return results


def split_video(source: str, input_path: str, output_path: str, chunk_seconds: float = 60.0,
                warmup: int = 30, options: Optional[Dict] = None,
                progress: Optional[Callable[[int, int], None]] = None, retries: int = 3,
                cpus_per_task: int = 1,
                on_start: Optional[Callable[[str, int], None]] = None) -> Dict:
    """Swaps one video in chunks, one Ray task each, and joins them into ``output_path``:
    exactly the input's frames and timestamps (variable frame rate kept), the input's audio
    muxed in. Cuts are at keyframes about ``chunk_seconds`` apart; each chunk first tracks
    ``warmup`` frames before its cut (made longer by up to detect_interval - 1 frames so that
    detection falls on the frames a whole-video job detects on). A chunk's task reads a stream
    copy of the input from the keyframe before its warm-up (made by ffmpeg here, in the work
    folder), so it decodes only its own part. Returns ``{"frames", "chunks", "cuts" (each chunk's
    first frame), "from_keyframe" (chunks read from such a copy; the others decode the input from
    its start), "seconds"}``. Raises ClusterError when a chunk fails after its retries (with its
    message), or when the join fails; no output is then left."""
    import faceswap

    options = dict(options or {})
    options.setdefault("threads", cpus_per_task)
    if warmup < 0:
        raise ClusterError(f"warmup must be 0 or more frames (got {warmup})")
    ext = os.path.splitext(output_path)[1].lower()
    if ext not in (".mp4", ".mkv", ".mov"):
        raise ClusterError(f"cannot tell the video format of '{output_path}': use .mp4, .mkv or .mov")
    job = _job_dict(Job(source, input_path, output_path, options))
    frames = probe_frames(job["input"])
    cuts = cut_points(frames, chunk_seconds)
    interval = options.get("detect_interval")
    if interval is None:
        interval = next(o["default"] for o in faceswap.options("stream") if o["name"] == "detect_interval")
    connect()
    swap_task, _, reporter = _remote_functions(retries, cpus_per_task)
    started = time.monotonic()
    work = _workdir(job["output"])
    try:
        refs, chunks, copies = {}, [], 0
        for i, first in enumerate(cuts):
            end = cuts[i + 1] if i + 1 < len(cuts) else len(frames)
            w = min(first, warmup)
            w += min(first - w, (first - w) % interval)  # start the warm-up on a detection frame
            # The task reads a stream copy of the input from the keyframe before its warm-up (so
            # it decodes only its own part), numbering frames from there.
            segment, shift = _segment(job["input"], frames, first - w, end, work, f"input-{i:05d}")
            copies += shift > 0
            part = {"first_frame": first - shift, "frame_count": end - first if end < len(frames) else 0,
                    "warmup": w}
            chunk = os.path.join(work, f"chunk-{i:05d}.mp4")
            chunks.append(chunk)
            refs[swap_task.remote(dict(job, input=segment), chunk, part, reporter, f"chunk-{i}")] = i
        results = _drive(refs, reporter, len(frames), progress, on_start)
        failed = [(i, r["error"]) for i, r in sorted(results.items()) if "error" in r]
        if failed:
            raise ClusterError("; ".join(f"chunk {i} (from frame {cuts[i]}): {msg}" for i, msg in failed))
        written = sum(r["frames"] for r in results.values())
        if written != len(frames):
            raise ClusterError(f"the chunks hold {written} frames, the input {len(frames)}")
        joined = os.path.join(work, "joined" + ext)
        _join(chunks, [frames[c][1] for c in cuts], job["input"], joined, work)
        os.replace(joined, job["output"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"frames": len(frames), "chunks": len(cuts), "cuts": cuts, "from_keyframe": copies,
            "seconds": time.monotonic() - started}


def _segment(path: str, frames: Sequence[tuple], start: int, stop: int, work: str, name: str) -> tuple:
    """A stream copy (no re-encoding) of the video of ``path`` from the last keyframe at or before
    frame ``start`` to past frame ``stop`` (the frame after the chunk, whose time ends it), with
    the input's own timestamps. Returns (the copy, the index in the input of its first frame), or
    (``path``, 0) when the chunk starts in the first GOP or the copy does not hold exactly the
    input's frames from that keyframe on (then the task decodes from the start: slower, same
    frames)."""
    keys = [i for i in range(start + 1) if frames[i][2]]
    key = keys[-1] if keys else 0
    if key == 0:
        return path, 0
    segment = os.path.join(work, name + ".mp4")
    # -copyts with -ss at (just after) the keyframe's time: ffmpeg copies from that keyframe on
    # and keeps the input's timestamps; -to is then on the input's clock too. The MP4 keeps the
    # input's time base (the timescale options) so that no timestamp is rounded.
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-copyts", "-ss", f"{frames[key][1] + 0.0005:.6f}",
           "-i", path, "-map", "0:v:0", "-c", "copy"]
    if stop + 1 < len(frames):
        cmd += ["-to", f"{frames[stop + 1][1] + 1.0:.6f}"]  # + a margin for reordered frames
    den = _time_base_den(path)
    if den:
        cmd += ["-video_track_timescale", str(den), "-movie_timescale", str(den)]
    r = subprocess.run(cmd + ["-y", segment], capture_output=True, text=True)
    if r.returncode != 0:
        return path, 0
    got = [f[0] for f in probe_frames(segment)]
    if got != [f[0] for f in frames[key:key + len(got)]] or key + len(got) <= min(stop, len(frames) - 1):
        return path, 0
    return segment, key


def _time_base_den(path: str) -> Optional[int]:
    """N when the first video stream's time base is 1/N (else None)."""
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                        "stream=time_base", "-of", "csv=p=0", path], capture_output=True, text=True)
    num, _, den = r.stdout.strip().partition("/")
    return int(den) if num == "1" and den.isdigit() else None


def _join(chunks: List[str], starts: List[float], source: str, output: str, work: str) -> None:
    """Concatenates the chunks without re-encoding (ffmpeg's concat demuxer, stream copy) and
    muxes the source's audio (if any) in, also by stream copy. ``starts``: the input's time of
    each chunk's first frame (seconds).

    Timestamps: the concat demuxer moves chunk i's packets by (its start in the joined file,
    the sum of the earlier chunks' ``duration``) minus (its ``inpoint``). A chunk's own first
    time may be a little off its frame's time (an MP4 edit list in another time base), so each
    ``inpoint`` is the chunk's first time as written and each ``duration`` the input's span of
    that chunk: every frame then gets the input's own time back. The lists are in whole
    microseconds (exact against time bases up to 1/500000 s); -copyts keeps ffmpeg from moving
    the result to start at 0."""
    us = [round(t * 1e6) for t in starts]
    written = [round(probe_frames(c)[0][1] * 1e6) for c in chunks]  # each chunk's first time
    inpoints = [w - us[0] for w in written]
    base = min(0, min(inpoints))  # an inpoint cannot be negative: move all, then back at the end
    listing = os.path.join(work, "chunks.txt")
    with open(listing, "w") as f:
        for i, c in enumerate(chunks):
            f.write("file '" + c.replace("'", "'\\''") + "'\n")
            f.write(f"inpoint {inpoints[i] - base}us\n")
            if i + 1 < len(chunks):
                f.write(f"duration {us[i + 1] - us[i]}us\n")
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-copyts", "-f", "concat", "-safe", "0",
           "-i", listing, "-i", source, "-map", "0:v:0", "-map", "1:a:0?", "-c", "copy"]
    if base:
        cmd += ["-output_ts_offset", f"{-base}us"]
    cmd += ["-y", output]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
    except FileNotFoundError:
        raise ClusterError("ffmpeg is not installed (Debian: apt-get install ffmpeg)") from None
    if r.returncode != 0:
        raise ClusterError(f"joining the chunks failed: {r.stderr.strip()}")


# ---------------------------------------------------------------------------------------------
# Command line.

class _Bar:
    """A one-line progress bar on stderr (only on a terminal): frames, input frames per second,
    time left."""

    def __init__(self):
        self.show = sys.stderr.isatty()
        self.start = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        if not self.show:
            return
        elapsed = max(time.monotonic() - self.start, 1e-6)
        fps = done / elapsed
        width = 30
        filled = int(width * done / total) if total else 0
        left = f"{(total - done) / fps:.0f} s left" if fps > 0 and total else ""
        print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} frames  {fps:.1f} fps  {left}   ",
              end="", file=sys.stderr, flush=True)

    def end(self) -> None:
        if self.show:
            print(file=sys.stderr)


def _parse_options(pairs: Sequence[str]) -> Dict:
    """--set NAME=VALUE pairs as swap_video keywords (numbers as numbers)."""
    out = {}
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq or not name:
            raise ClusterError(f"--set takes NAME=VALUE, not {pair!r}")
        for kind in (int, float):
            try:
                out[name] = kind(value)
                break
            except ValueError:
                pass
        else:
            out[name] = {"true": True, "false": False}.get(value.lower(), value)
    return out


def _parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Face-swap many videos, or one long video in chunks, on a Ray cluster.",
        epilog="Options of the swap and the video job: --set NAME=VALUE (repeatable): the "
               "keywords of faceswap.swap_video and faceswap.Swapper, e.g. --set blend=alpha "
               "--set detect_interval=3 --set crf=20; --set reverse=true with a .fsm model. "
               "Exit codes: 0 done, 1 a job failed, 2 usage error.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def common(q) -> None:
        q.add_argument("--source", required=True, metavar="PATH", help="photo of the face, or a learned model .fsm")
        q.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a swap/video option")
        q.add_argument("--address", metavar="ADDR",
                       help="a running Ray cluster ('auto' or HOST:PORT); default: start Ray on this machine")
        q.add_argument("--cpus", type=int, metavar="N", help="cores of the local Ray (no --address)")
        q.add_argument("--cpus-per-task", type=int, default=1, metavar="N",
                       help="cores each task reserves and the library threads it uses (default 1)")
        q.add_argument("--retries", type=int, default=3, metavar="N",
                       help="runs of a task again after its worker is lost or it fails (default 3)")
        q.add_argument("--wheel", metavar="WHL", help="a faceswap wheel for Ray to install on the workers")

    q = sub.add_parser("many", help="one task per video",
                       description="Swaps --source onto each INPUT, writing OUTPUT_DIR/<input's name>.")
    common(q)
    q.add_argument("inputs", nargs="+", metavar="INPUT")
    q.add_argument("-o", "--output-dir", required=True, metavar="DIR")

    q = sub.add_parser("split", help="one video cut into chunks, one task each",
                       description="Cuts --input at keyframes about --chunk-seconds apart, swaps the "
                                   "chunks as tasks and joins them (stream copy) with the input's audio.")
    common(q)
    q.add_argument("--input", required=True, metavar="PATH")
    q.add_argument("-o", "--output", required=True, metavar="PATH", help=".mp4, .mkv or .mov")
    q.add_argument("--chunk-seconds", type=float, default=60.0, metavar="S", help="default 60")
    q.add_argument("--warmup", type=int, default=30, metavar="FRAMES",
                   help="frames tracked before each cut, not written (default 30)")
    return p


def main(argv=None, prog: str = "python -m faceswap.cluster") -> int:
    """The command line; ``prog``: how it was called (``faceswap cluster`` from the console
    script)."""
    args = _parser(prog).parse_args(argv)
    bar = _Bar()
    try:
        options = _parse_options(args.set)
        connect(args.address, args.cpus, args.wheel)
        if args.command == "many":
            os.makedirs(args.output_dir, exist_ok=True)
            jobs = [Job(args.source, i, os.path.join(args.output_dir, os.path.basename(i)), options)
                    for i in args.inputs]
            results = run_jobs(jobs, bar, args.retries, args.cpus_per_task)
            bar.end()
            for r in results:
                print(f"wrote {r.job.output}: {r.frames} frames" if r.ok
                      else f"FAILED {r.job.input}: {r.error}")
            return 0 if all(r.ok for r in results) else 1
        stats = split_video(args.source, args.input, args.output, args.chunk_seconds, args.warmup,
                            options, bar, args.retries, args.cpus_per_task)
        bar.end()
        print(f"wrote {args.output}: {stats['frames']} frames in {stats['chunks']} chunks, "
              f"{stats['seconds']:.1f} s")
        return 0
    except ClusterError as e:
        bar.end()
        print(f"faceswap cluster: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        bar.end()
        print("faceswap cluster: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
