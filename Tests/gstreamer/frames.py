"""Frame checks for Tests/gstreamer/run.sh: raw frame dumps (BGR, I420 or NV12, rows unpadded)
compared with numpy.

  frames.py face BEFORE AFTER FORMAT W H FACE.json
      BEFORE: the frames without the filter, AFTER: with it. Prints
      "frames changed_in_face median_in_face max_outside": frames read from both (they must
      match), frames whose inner face (the inner half of the detector's rectangle in FACE.json,
      measured on the first frame at this size) differs by more than 6 levels on average, the
      median of that difference, and the largest difference of any sample (every plane) away from
      the face (outside the face box grown by a quarter of its width on each side).
  frames.py same A B FRAME_BYTES [W H]
      Prints "frames differing_frames max_diff" of two dumps of frames of FRAME_BYTES bytes
      (differing_frames -1 when the dumps hold different numbers of frames). With W H: I420
      frames in GStreamer's default layout, compared on their samples only (not the rows' padding).
  frames.py converted IN OUT EXT FRAME_BYTES
      The element on I420/NV12 (IN -> OUT) against the same swap done outside it (EXT: convert
      to BGR, swap, convert back, all of the frame). Prints "samples_changed max_diff_there
      max_diff_elsewhere": where the element changed a sample it must equal EXT's, elsewhere IN's.
  frames.py to-yuv420p BGR W H OUT
      Converts BGR frames (even W and H) to I420 as the video writer of libfaceswap's AVX2 builds
      does (Sources/FaceSwapVideo/video.cpp, bgr_to_yuv420p): BT.601 limited range with
      swscale's 15-bit coefficients, luma rounded, each chroma sample from the sum of its 2x2
      pixels. (Portable builds convert by swscale, which run.sh reproduces with ffmpeg.)
"""
import json
import sys

import numpy as np


def frame_bytes(fmt, w, h):
    return w * h * 3 if fmt == "BGR" else w * h * 3 // 2


def planes(frame, fmt, w, h):
    """The planes of one frame as (array h' x w' x c, sub-sampling) pairs."""
    if fmt == "BGR":
        return [(frame.reshape(h, w, 3), 1)]
    y = frame[: w * h].reshape(h, w, 1)
    if fmt == "I420":
        q = (w // 2) * (h // 2)
        u = frame[w * h: w * h + q].reshape(h // 2, w // 2, 1)
        v = frame[w * h + q:].reshape(h // 2, w // 2, 1)
        return [(y, 1), (u, 2), (v, 2)]
    if fmt == "NV12":
        return [(y, 1), (frame[w * h:].reshape(h // 2, w // 2, 2), 2)]
    raise SystemExit(f"frames.py: unknown format {fmt}")


def read(path, fmt, w, h):
    data = np.fromfile(path, np.uint8)
    n = frame_bytes(fmt, w, h)
    if data.size % n:
        raise SystemExit(f"frames.py: {path} holds {data.size} bytes, not whole {fmt} {w}x{h} frames")
    return data.reshape(-1, n)


def face(before, after, fmt, w, h, face_json):
    a, b = read(before, fmt, w, h), read(after, fmt, w, h)
    if len(a) != len(b):
        print(f"{len(a)} 0 0 999 frame counts differ: {len(a)} before, {len(b)} after")
        return
    faces = json.load(open(face_json))["faces"]
    if not faces:
        raise SystemExit(f"frames.py: no face in {face_json}")
    x, y, fw, fh = faces[0]["rect"]
    bx, by, bw, bh = faces[0]["box"]
    m = 0.25 * bw
    inner, worst_outside = [], 0
    for fa, fb in zip(a, b):
        for (pa, sub), (pb, _) in zip(planes(fa, fmt, w, h), planes(fb, fmt, w, h)):
            d = np.abs(pa.astype(np.int16) - pb.astype(np.int16)).max(axis=2)
            if sub == 1:  # the luma (or BGR) plane says whether the face changed
                inner.append(d[int(y + fh / 4) : int(y + 3 * fh / 4), int(x + fw / 4) : int(x + 3 * fw / 4)].mean())
            outside = np.ones(d.shape, bool)
            outside[max(0, int((by - m) / sub)) : int((by + bh + m) / sub) + 1,
                    max(0, int((bx - m) / sub)) : int((bx + bw + m) / sub) + 1] = False
            worst_outside = max(worst_outside, int(d[outside].max()))
    inner = np.array(inner)
    print(len(a), int((inner > 6).sum()), f"{np.median(inner):.1f}", worst_outside)


def i420_visible(w, h, n):
    """Which of an I420 frame's n bytes are picture samples, in GStreamer's default layout (each
    plane's rows padded to 4 bytes): the padding bytes are no sample, and upstream elements leave
    whatever their buffer pool held there."""
    cw, ch = (w + 1) // 2, (h + 1) // 2
    sy, sc = (w + 3) // 4 * 4, (cw + 3) // 4 * 4
    if sy * h + 2 * sc * ch != n:
        raise SystemExit(f"frames.py: {n} bytes is not an I420 {w}x{h} frame with rows padded to 4")
    rows = [np.arange(sy) < w] * h + [np.arange(sc) < cw] * (2 * ch)
    return np.concatenate(rows)


def same(a_path, b_path, n, w=None, h=None):
    a, b = np.fromfile(a_path, np.uint8), np.fromfile(b_path, np.uint8)
    if a.size != b.size or a.size % n:
        print(a.size // n, -1, -1)
        return
    d = np.abs(a.reshape(-1, n).astype(np.int16) - b.reshape(-1, n).astype(np.int16))
    if w is not None:
        d = d[:, i420_visible(w, h, n)]
    print(len(d), int((d.max(axis=1) > 0).sum()), int(d.max()) if d.size else 0)


def converted(in_path, out_path, ext_path, n):
    i, o, e = (np.fromfile(p, np.uint8).astype(np.int16) for p in (in_path, out_path, ext_path))
    if not (i.size == o.size == e.size) or i.size % n:
        print(-1, -1, -1)
        return
    changed = o != i
    there = int(np.abs(o - e)[changed].max()) if changed.any() else 0
    print(int(changed.sum()), there, int(np.abs(o - i)[~changed].max()))


def to_yuv420p(in_path, w, h, out_path):
    data = np.fromfile(in_path, np.uint8)
    n = data.size // (w * h * 3)
    f = data[: n * w * h * 3].reshape(n, h, w, 3).astype(np.int64)
    b, g, r = f[..., 0], f[..., 1], f[..., 2]
    s = 15
    k_y, k_c = (16 << s) + (1 << (s - 1)), (128 << (s + 2)) + (1 << (s + 1))
    y = (8414 * r + 16519 * g + 3208 * b + k_y) >> s

    def quad(c):  # the sum of each 2x2 block
        return c[:, 0::2, 0::2] + c[:, 0::2, 1::2] + c[:, 1::2, 0::2] + c[:, 1::2, 1::2]

    r4, g4, b4 = quad(r), quad(g), quad(b)
    u = (-4857 * r4 - 9535 * g4 + 14392 * b4 + k_c) >> (s + 2)
    v = (14392 * r4 - 12052 * g4 - 2341 * b4 + k_c) >> (s + 2)
    out = np.concatenate([y.reshape(n, -1), u.reshape(n, -1), v.reshape(n, -1)], axis=1)
    out.astype(np.uint8).tofile(out_path)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "face":
        face(args[0], args[1], args[2], int(args[3]), int(args[4]), args[5])
    elif cmd == "same":
        same(args[0], args[1], int(args[2]), *(int(v) for v in args[3:5]))
    elif cmd == "converted":
        converted(args[0], args[1], args[2], int(args[3]))
    elif cmd == "to-yuv420p":
        to_yuv420p(args[0], int(args[1]), int(args[2]), args[3])
    else:
        raise SystemExit(__doc__)
