#!/usr/bin/env python3
"""Live reenactment: a still photo animated by the face in front of a camera.

Frames come from a camera device when one exists (``/dev/video0`` by default, opened with
OpenCV's ``cv2.VideoCapture``), and from a video file otherwise (``--input``, read the same
way). Each frame is pushed into a :class:`faceswap.Reenactor` (``fs_reenactor_push``); the
animated photo is written to ``--output`` (MP4, the photo's size, the input's frame rate) and,
with ``--show``, shown in a window (needs an OpenCV build with a GUI: ``opencv-python``, not
``-headless``). Press q in the window, or Ctrl-C, to stop.

    python3 live_reenact.py PHOTO [--camera /dev/video0 | --camera none] [--input CLIP.mp4]
                            [-o animated.mp4] [--show] [--max-frames N]

Needs ``pip install opencv-python-headless`` (or ``opencv-python`` for ``--show``) and the
faceswap package (``bindings/python`` on ``PYTHONPATH``, or the wheel). Prints one line at the
end: frames read, frames written, and the push latency's median and 99th percentile.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import cv2
import numpy as np

import faceswap


def open_frames(camera: str, input_path: str | None):
    """(capture, what, fps): the camera when its device exists, else the file."""
    if camera != "none" and os.path.exists(camera):
        cap = cv2.VideoCapture(camera)
        if cap.isOpened():
            fps = cap.get(cv2.CAP_PROP_FPS)
            return cap, f"camera {camera}", fps if fps and fps > 0 else 30.0
        print(f"live_reenact: {camera} exists but OpenCV could not open it; using the file", file=sys.stderr)
    if not input_path:
        sys.exit("live_reenact: no camera device and no --input file to read frames from")
    cap = cv2.VideoCapture(input_path)
    if not cap.isOpened():
        sys.exit(f"live_reenact: OpenCV could not open {input_path}")
    fps = cap.get(cv2.CAP_PROP_FPS)
    return cap, f"file {input_path}", fps if fps and fps > 0 else 30.0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("photo", help="the photo to animate (its largest face)")
    ap.add_argument("--camera", default="/dev/video0", help="camera device (default /dev/video0; 'none': never)")
    ap.add_argument("--input", help="video file read when there is no camera")
    ap.add_argument("-o", "--output", default="animated.mp4", help="MP4 written (default animated.mp4)")
    ap.add_argument("--show", action="store_true", help="show the result in a window as well")
    ap.add_argument("--max-frames", type=int, default=0, help="stop after N frames (0: to the end)")
    ap.add_argument("--expression", type=float, default=None, help="expression scale (library default 1)")
    args = ap.parse_args(argv)

    cap, what, fps = open_frames(args.camera, args.input)
    reenactor = faceswap.Reenactor(args.photo, expression=args.expression)
    width, height = reenactor.size
    writer = cv2.VideoWriter(args.output, cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        sys.exit(f"live_reenact: OpenCV could not write {args.output}")
    live = what.startswith("camera")
    latencies = []
    read = 0
    start = time.monotonic()
    try:
        while args.max_frames <= 0 or read < args.max_frames:
            ok, frame = cap.read()
            if not ok:
                break
            # A camera's frames are stamped by the clock; a file's by their position.
            stamp = time.monotonic() - start if live else read / fps
            read += 1
            t = time.perf_counter()
            out = reenactor.push(np.ascontiguousarray(frame), time=stamp)
            latencies.append(time.perf_counter() - t)
            writer.write(out)
            if args.show:
                cv2.imshow("faceswap: live reenactment (q to stop)", out)
                if cv2.waitKey(1) & 0xFF == ord("q"):
                    break
    except KeyboardInterrupt:
        pass
    finally:
        cap.release()
        writer.release()
        reenactor.close()
        if args.show:
            cv2.destroyAllWindows()
    ms = np.array(latencies) * 1000 if latencies else np.array([np.nan])
    print(f"live_reenact: {what}, {read} frames read, {len(latencies)} written to {args.output}; "
          f"push latency p50 {np.percentile(ms, 50):.1f} ms, p99 {np.percentile(ms, 99):.1f} ms")
    return 0 if latencies else 1


if __name__ == "__main__":
    sys.exit(main())
