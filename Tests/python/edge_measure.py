"""The colour step a swap adds at the face's edge, measured independently of the library.

For one face of the target (its 68 landmarks, fitted on the target):
- the edge is the convex hull of the jaw (points 0-16) and the brows (17-26) raised by 0.15 of the
  inter-ocular distance (IOD) along the face's upward axis (chin -> brows);
- two rings follow it: just inside (0.1-0.3 IOD from the edge) and just outside (0.1-0.3 IOD);
- each ring is cut into 16 sectors by angle around the landmarks' centre;
- per sector, the CIE Lab (D65) mean of each ring; the step is ΔE76 between the two means;
- the figure per sector is the step in the result minus the step in the target itself (the face's
  natural edge is subtracted); about 2.3 is a just-noticeable difference.

The Lab conversion, the hull and the distances are computed here with numpy (and Pillow for the
polygon fill), not by libfaceswap.
"""

from __future__ import annotations

import numpy as np

from swap_measure import convex_hull

SECTORS = 16
RING = (0.1, 0.3)        # in IOD, each side of the edge
BROW_RAISE = 0.15        # in IOD


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """8-bit sRGB (H, W, 3) -> CIE Lab (D65), float64."""
    c = rgb.astype(np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124564, 0.3575761, 0.1804375],
                  [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16.0 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def edge_polygon(landmarks: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """(hull vertices, IOD, centre) of the measured edge for one face's 68 points."""
    p = np.asarray(landmarks, np.float64)
    iod = float(np.linalg.norm(p[36:42].mean(0) - p[42:48].mean(0)))
    up = p[17:27].mean(0) - p[8]
    up /= max(np.linalg.norm(up), 1e-9)
    brows = p[17:27] + up * BROW_RAISE * iod
    return convex_hull(np.vstack([p[0:17], brows])), iod, p.mean(0)


def signed_distance(hull: np.ndarray, x0: int, y0: int, w: int, h: int) -> np.ndarray:
    """Distance of each pixel centre of the window to the hull's boundary: negative inside."""
    from PIL import Image, ImageDraw

    inside = Image.new("L", (w, h), 0)
    ImageDraw.Draw(inside).polygon([(float(x - x0), float(y - y0)) for x, y in hull], fill=255)
    inside = np.asarray(inside) > 0
    yy, xx = np.mgrid[y0:y0 + h, x0:x0 + w].astype(np.float64)
    best = np.full((h, w), np.inf)
    for i in range(len(hull)):
        a, b = hull[i], hull[(i + 1) % len(hull)]
        d = b - a
        dd = float(d @ d)
        t = np.zeros_like(xx) if dd == 0 else np.clip(((xx - a[0]) * d[0] + (yy - a[1]) * d[1]) / dd, 0, 1)
        np.minimum(best, np.hypot(a[0] + t * d[0] - xx, a[1] + t * d[1] - yy), out=best)
    return np.where(inside, -best, best)


def sector_steps(image_rgb: np.ndarray, landmarks: np.ndarray, geometry=None) -> np.ndarray:
    """ΔE76 between the inner and outer ring means in each of the 16 sectors (NaN where a ring has
    fewer than 8 pixels inside the image)."""
    hull, iod, centre, (x0, y0, w, h), dist, sector = geometry or face_geometry(landmarks, image_rgb.shape)
    lab = srgb_to_lab(image_rgb[y0:y0 + h, x0:x0 + w])
    inner = (dist <= -RING[0] * iod) & (dist >= -RING[1] * iod)
    outer = (dist >= RING[0] * iod) & (dist <= RING[1] * iod)
    steps = np.full(SECTORS, np.nan)
    for s in range(SECTORS):
        a, b = inner & (sector == s), outer & (sector == s)
        if a.sum() >= 8 and b.sum() >= 8:
            steps[s] = float(np.linalg.norm(lab[a].mean(0) - lab[b].mean(0)))
    return steps


def face_geometry(landmarks: np.ndarray, shape) -> tuple:
    hull, iod, centre = edge_polygon(landmarks)
    pad = RING[1] * iod + 2
    x0 = int(max(0, np.floor(hull[:, 0].min() - pad)))
    y0 = int(max(0, np.floor(hull[:, 1].min() - pad)))
    x1 = int(min(shape[1], np.ceil(hull[:, 0].max() + pad)))
    y1 = int(min(shape[0], np.ceil(hull[:, 1].max() + pad)))
    w, h = x1 - x0, y1 - y0
    dist = signed_distance(hull, x0, y0, w, h)
    yy, xx = np.mgrid[y0:y0 + h, x0:x0 + w].astype(np.float64)
    angle = np.arctan2(yy - centre[1], xx - centre[0])
    sector = ((angle + np.pi) / (2 * np.pi) * SECTORS).astype(int) % SECTORS
    return hull, iod, centre, (x0, y0, w, h), dist, sector


def edge_step(target_rgb: np.ndarray, result_rgb: np.ndarray, landmarks: np.ndarray) -> dict:
    """Per face: the 16 sector figures (result step − target step), the worst and the mean."""
    geometry = face_geometry(landmarks, target_rgb.shape)
    extra = sector_steps(result_rgb, landmarks, geometry) - sector_steps(target_rgb, landmarks, geometry)
    return {"sectors": extra, "worst": float(np.nanmax(extra)), "mean": float(np.nanmean(extra))}
