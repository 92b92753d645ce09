"""Independent measurements of face swaps for test_swap.py.

Everything here is computed by the test itself from the images — the library is only used as a
detector / landmarker / recognizer (the same components the rest of the test-suite checks
against ground truth), never through the swap's own metrics:

- landmark error: the result's faces are re-detected and fitted, matched to the target's faces by
  rectangle overlap, and the mean distance of the 68 points over the target's inter-ocular
  distance is computed here;
- the "far from the face" region: the convex hull of the target's 68 landmarks, grown by a margin
  (exact Euclidean distance to the hull polygon, numpy), drawn with Pillow's ImageDraw;
- identity: embeddings of the result's face, the source person (the source photo itself and
  other photos of the same person) and the target's face.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np


@dataclass
class Pair:
    name: str
    source: str
    target: str
    # other photos of the source person: (file, approximate face centre (x, y) or None = largest)
    source_others: list = field(default_factory=list)
    upsample: int = 0
    expect_faces: int = 1


def interocular(pts: np.ndarray) -> float:
    pts = np.asarray(pts, np.float64)
    return float(np.linalg.norm(pts[36:42].mean(axis=0) - pts[42:48].mean(axis=0)))


def rect_iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def face_size(pts: np.ndarray) -> float:
    """The larger side of the landmarks' bounding box."""
    pts = np.asarray(pts, np.float64)
    return float(max(np.ptp(pts[:, 0]), np.ptp(pts[:, 1])))


def convex_hull(points: np.ndarray) -> np.ndarray:
    """Andrew's monotone chain; counter-clockwise (in x-right, y-up terms) vertex list."""
    pts = sorted(set((float(x), float(y)) for x, y in np.asarray(points, np.float64)))
    if len(pts) <= 2:
        return np.array(pts)

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.array(lower[:-1] + upper[:-1])


def hull_distance(hull: np.ndarray, shape) -> np.ndarray:
    """Per pixel (centre), the Euclidean distance to the filled hull polygon (0 inside)."""
    from PIL import Image, ImageDraw

    h, w = shape
    inside = Image.new("L", (w, h), 0)
    ImageDraw.Draw(inside).polygon([(float(x), float(y)) for x, y in hull], fill=255, outline=255)
    inside = np.asarray(inside) > 0
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    best = np.full((h, w), np.inf, np.float32)
    n = len(hull)
    for i in range(n):
        a = hull[i].astype(np.float32)
        b = hull[(i + 1) % n].astype(np.float32)
        d = b - a
        dd = float(d @ d)
        if dd == 0:
            t = np.zeros_like(xx)
        else:
            t = np.clip(((xx - a[0]) * d[0] + (yy - a[1]) * d[1]) / dd, 0, 1)
        px = a[0] + t * d[0] - xx
        py = a[1] + t * d[1] - yy
        np.minimum(best, np.sqrt(px * px + py * py), out=best)
    best[inside] = 0
    return best


def face_region(faces, shape, grow: float) -> np.ndarray:
    """Union over faces of (hull of the 68 landmarks, dilated by grow × face size)."""
    region = np.zeros(shape, bool)
    for f in faces:
        hull = convex_hull(f.landmarks)
        region |= hull_distance(hull, shape) <= grow * face_size(f.landmarks)
    return region


def changed_reach(target: np.ndarray, result: np.ndarray, faces) -> float:
    """How far (in face sizes) the farthest changed pixel lies from the nearest face's hull."""
    diff = np.any(np.atleast_3d(target) != np.atleast_3d(result), axis=2)
    if not diff.any():
        return 0.0
    reach = np.full(diff.shape, np.inf, np.float32)
    for f in faces:
        d = hull_distance(convex_hull(f.landmarks), diff.shape) / face_size(f.landmarks)
        np.minimum(reach, d, out=reach)
    return float(reach[diff].max())


def landmarks_of(fs, detector, landmarker, img):
    return [landmarker.fit(img, f) for f in detector.detect(img)]


def match_faces(target_faces, result_faces):
    """For each target face, the result face with the largest rect IoU (> 0.3) or None."""
    out = []
    for t in target_faces:
        best, best_iou = None, 0.3
        for r in result_faces:
            iou = rect_iou(t.rect, r.rect)
            if iou > best_iou:
                best, best_iou = r, iou
        out.append(best)
    return out


def pick_face(faces, centre: Optional[tuple]):
    if not faces:
        return None
    if centre is None:
        return faces[0]
    cx, cy = centre

    def dist2(f):
        return (f.rect[0] + f.rect[2] / 2 - cx) ** 2 + (f.rect[1] + f.rect[3] / 2 - cy) ** 2

    return min(faces, key=dist2)


def measure(fs, pair: Pair, faces_dir, landmarker, recognizer) -> dict:
    """Swaps pair.source onto pair.target (multiband and poisson) and measures everything."""
    src = fs.load_image(faces_dir / pair.source)
    tgt = fs.load_image(faces_dir / pair.target)
    m: dict = {"pair": pair, "source": src, "target": tgt}
    with fs.Detector(upsample=pair.upsample) as det:
        target_faces = landmarks_of(fs, det, landmarker, tgt)
        m["target_faces"] = target_faces
        results = {}
        for blend in ("multiband", "poisson"):
            with fs.Swapper(det, landmarker, recognizer, blend=blend) as sw, sw.prepare(src) as source:
                out, mask, n = sw.swap(source, tgt, return_mask=True)
                metrics = sw.evaluate(src, tgt, out)
            results[blend] = {"result": out, "mask": mask, "n": n, "eval": metrics}
        m["results"] = results
        out = results["multiband"]["result"]
        mask = results["multiband"]["mask"]
        result_faces = landmarks_of(fs, det, landmarker, out)
        matched = match_faces(target_faces, result_faces)
        lm_err, lm_max = [], []
        for t, r in zip(target_faces, matched):
            if r is None:
                lm_err.append(math.inf)
                lm_max.append(math.inf)
                continue
            d = np.linalg.norm(r.landmarks.astype(np.float64) - t.landmarks.astype(np.float64), axis=1)
            iod = interocular(t.landmarks)
            lm_err.append(float(d.mean() / iod))
            lm_max.append(float(d.max() / iod))
        m["landmark_error"] = lm_err
        m["landmark_max"] = lm_max
        m["matched"] = matched

        # the swap changed the face: mean |result - target| where the mask is mostly source
        inside = mask >= 128
        diff = np.abs(out.astype(np.int16) - tgt.astype(np.int16))
        m["inside_mad"] = float(diff[inside].mean()) if inside.any() else 0.0
        m["mask_px"] = int(inside.sum())
        m["reach"] = {b: changed_reach(tgt, results[b]["result"], target_faces) for b in results}

        # identity
        if recognizer is not None:
            src_faces = landmarks_of(fs, det, landmarker, src)
            src_emb = recognizer.embed(src, src_faces[0])
            others = []
            for file, centre in pair.source_others:
                img = fs.load_image(faces_dir / file)
                f = pick_face(landmarks_of(fs, det, landmarker, img), centre)
                assert f is not None, f"no face in {file}"
                others.append((file, recognizer.embed(img, f)))
            ident = []
            for t, r in zip(target_faces, matched):
                if r is None:
                    ident.append(None)
                    continue
                e = recognizer.embed(out, r)
                ident.append({
                    "to_source": fs.embedding_distance(e, src_emb),
                    "to_source_others": [(file, fs.embedding_distance(e, o)) for file, o in others],
                    "to_target": fs.embedding_distance(e, recognizer.embed(tgt, t)),
                })
            m["identity"] = ident
    return m


def table_rows(measured: list) -> list:
    head = (f"{'pair':<22} {'faces':>5} {'lm err':>13} {'lm max':>6} {'d(src)':>6} {'d(src other)':>17} "
            f"{'d(tgt)':>6} {'seam mb':>7} {'seam po':>7} {'MAD in':>6} {'reach':>5}")
    rows = [head, "-" * len(head)]
    for m in measured:
        p = m["pair"]
        lm = "/".join(f"{v:.4f}" for v in m["landmark_error"])
        lmx = max(m["landmark_max"])
        ident = m.get("identity")
        if ident:
            ds = "/".join(f"{i['to_source']:.3f}" if i else "—" for i in ident)
            do = "/".join(",".join(f"{d:.3f}" for _, d in i["to_source_others"]) or "n/a" if i else "—"
                          for i in ident)
            dt = "/".join(f"{i['to_target']:.3f}" if i else "—" for i in ident)
        else:
            ds = do = dt = "skip"
        rows.append(
            f"{p.name:<22} {m['results']['multiband']['n']:>5} {lm:>13} {lmx:>6.3f} {ds:>6} {do:>17} {dt:>6} "
            f"{m['results']['multiband']['eval']['seam_score']:>7.3f} "
            f"{m['results']['poisson']['eval']['seam_score']:>7.3f} {m['inside_mad']:>6.1f} "
            f"{max(m['reach'].values()):>5.2f}")
    return rows
