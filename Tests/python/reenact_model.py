"""The reenactment model faceswap.h documents for fs_reenactor_create, in numpy: where the photo's
68 points go for each driver frame. Shared by test_reenact.py and test_reenact_expression.py.

- The driver's pose is normalised away by the similarity of its current pose points (nose and eye
  corners) onto its neutral frame's; the rest is expression.
- The neutral is the first frame with a face, except for the jaw and mouth (0–16, 48–67): their
  neutral is the first frame's with its mouth closed (``closed_mouth``: the lower lip moved up
  by an amount, the jaw below the mouth corners by it times its depth below them, the corners by
  half) to the inner-lip gap of the most closed mouth the driver has shown so far (in the
  neutral's pose); while the first frame's mouth is open (inner lips apart by more than 0.05 of
  the eye-corner distance) and no frame has read closed yet, to a gap of 0. Only the first frame's
  lower face moves, along its "down": another frame's jaw would bring that frame's head turn.
- The expression displacement is carried into the photo by the similarity of the neutral's pose
  points onto the photo's, scaled by ``expression``.
- Each eye's lid gap (37, 38 over 41, 40; 43, 44 over 47, 46) is the photo's own times
  max(0, 1 + expression × (min(driver gap / neutral gap, 2) − 1)): the upper lid is placed from
  the carried lower lid.
- Inner-lip pairs (61–67, 62–66, 63–65) never cross: an upper point below its lower one meets it
  at the middle, along the photo's vertical.
- The driver's head motion, expressed in the photo (toPhoto ∘ unpose⁻¹ ∘ toPhoto⁻¹), on top, by
  the share ``head_motion``.
- Head turns (yaw) in 3-D, first taken out of the driver and then put on the photo: each
  face's pose is the weak-perspective fit (least squares, scipy here) of the library's mean 3-D face
  (MeanFace's x, y and the depth table of Sources/FaceSwap/Reenact/HeadPose.swift, read from
  those sources: they are the model's data) to its rigid points; the driver's turn from its
  neutral (R_current R_neutral^T, as Rz(roll) Ry(yaw) Rx(pitch), only the yaw kept) turns its points
  back before the steps above (each point lifted with the mean face's depth in its pose), and
  turns the photo's points, the yaw times ``head_motion``, before the head motion's similarity.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

POSE = list(range(27, 36)) + [36, 39, 42, 45]
INNER_LIPS = [(61, 67), (62, 66), (63, 65)]
EYELIDS = [[(37, 41), (38, 40)], [(43, 47), (44, 46)]]


def umeyama(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The least-squares similarity mapping src onto dst (Umeyama 1991), as a 2x3 matrix."""
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    e = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        e[1, 1] = -1
    rot = u @ e @ vt
    scale = np.trace(np.diag(sig) @ e) / ((s ** 2).sum() / len(src))
    a = scale * rot
    return np.hstack([a, (mu_d - a @ mu_s)[:, None]])


def apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return np.asarray(pts, np.float64) @ m[:, :2].T + m[:, 2]


def invert(m: np.ndarray) -> np.ndarray:
    a = np.linalg.inv(m[:, :2])
    return np.hstack([a, (-a @ m[:, 2])[:, None]])


def compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a after b."""
    return np.hstack([a[:, :2] @ b[:, :2], (a[:, :2] @ b[:, 2] + a[:, 2])[:, None]])


def down(pts) -> np.ndarray:
    """The face's downward unit vector: perpendicular to the line through the eye-corner
    midpoints."""
    a = (pts[36] + pts[39]) / 2
    b = (pts[42] + pts[45]) / 2
    d = (b - a) / np.linalg.norm(b - a)
    return np.array([-d[1], d[0]])


def gap(pts, pairs, dn) -> float:
    return float(np.mean([(pts[lo] - pts[up]) @ dn for up, lo in pairs]))


def mouth_is_closed(p, dn) -> bool:
    eyes = float(np.linalg.norm((p[36] + p[39]) / 2 - (p[42] + p[45]) / 2))
    return gap(p, INNER_LIPS, dn) <= 0.05 * eyes


def closed_mouth(p, dn, g) -> np.ndarray:
    """p with its mouth closed by g along dn (the lower lip up by g, the jaw below the mouth
    corners by g times its depth below them, the corners by half)."""
    if g == 0:
        return p
    q = p.copy()
    corners, chin = float(((p[48] + p[54]) / 2) @ dn), float(p[8] @ dn)
    for i in range(17):
        w = min(max((float(p[i] @ dn) - corners) / max(chin - corners, 1e-9), 0.0), 1.0)
        q[i] = p[i] - dn * (g * w)
    for i in list(range(55, 60)) + [65, 66, 67]:
        q[i] = p[i] - dn * g
    for i in (48, 54, 60, 64):
        q[i] = p[i] - dn * (g / 2)
    return q


_SOURCES = Path(__file__).resolve().parents[2] / "Sources" / "FaceSwap"


def _mean_face_3d() -> np.ndarray:
    """The library's mean 3-D face (68 x 3: x right, y down, z away), from its Swift sources."""
    mean = (_SOURCES / "Align" / "MeanFace.swift").read_text()
    xy = np.array(re.findall(r"Point\(([-\d.]+), ([-\d.]+)\)", mean), np.float64)
    pose = (_SOURCES / "Reenact" / "HeadPose.swift").read_text()
    table = pose[pose.index("depthCm: [Double] = [") + len("depthCm: [Double] = ["):]
    table = table[:table.index("]")]
    depth = np.array([float(v) for line in table.splitlines()
                      for v in re.findall(r"\d+\.\d+", line.split("//")[0])])
    assert xy.shape == (68, 2) and depth.shape == (68,)
    z = depth * (xy[45, 0] - xy[36, 0]) / 9.0
    return np.c_[xy - xy.mean(0), z - z.mean()]


MEAN_3D = _mean_face_3d()
RIGID = list(range(0, 5)) + list(range(12, 17)) + list(range(27, 36)) + [36, 39, 42, 45]


def rotation(yaw, pitch, roll) -> np.ndarray:
    cy, sy, cp, sp, cr, sr = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    return rz @ ry @ rx


def fit_pose(p):
    """(R, scale, t): image point = scale (R X).xy + t, least squares over the rigid points."""
    p = np.asarray(p, np.float64)
    obs, model = p[RIGID], MEAN_3D[RIGID]
    e, c = p[45] - p[36], obs.mean(0)
    x0 = [0.0, 0.0, np.arctan2(e[1], e[0]),
          np.log(np.linalg.norm(obs - c, axis=1).sum() / np.linalg.norm(model[:, :2], axis=1).sum()), c[0], c[1]]
    x = least_squares(lambda x: (np.exp(x[3]) * (model @ rotation(*x[:3]).T)[:, :2] + x[4:6] - obs).ravel(), x0).x
    lim = np.pi / 3
    return rotation(np.clip(x[0], -lim, lim), np.clip(x[1], -lim, lim), x[2]), np.exp(x[3]), x[4:6]


def turn(r_from, r_to, gain=1.0) -> np.ndarray:
    """The yaw (times gain) of r_to r_from^T, as a rotation."""
    r = r_to @ r_from.T
    return rotation(np.arcsin(np.clip(-r[2, 0], -1, 1)) * gain, 0.0, 0.0)


def turned(p, pose, t3) -> np.ndarray:
    """p (a face in pose) lifted with the mean face's depth in that pose, rotated by t3, projected."""
    r, s, t = pose
    v = np.c_[(np.asarray(p, np.float64) - t) / s, (MEAN_3D @ r.T)[:, 2]] @ t3.T
    return v[:, :2] * s + t


class Model:
    """One driver followed frame by frame (the jaw and mouth's neutral is kept between frames)."""

    def __init__(self, photo_pts, expression=1.0, head_motion=1.0):
        self.photo = np.asarray(photo_pts, np.float64)
        self.expression = expression
        self.head_motion = head_motion
        self.neutral = None
        self.closed_gap = None
        self.estimate = False

    def __call__(self, current) -> np.ndarray:
        current = np.asarray(current, np.float64)
        if self.neutral is None:
            self.neutral = current
            self.neutral_pose, self.photo_pose = fit_pose(current), fit_pose(self.photo)
        pose = fit_pose(current)
        current = turned(current, pose, turn(self.neutral_pose[0], pose[0]).T)
        neutral, s0, e = self.neutral, self.photo, self.expression
        unpose = umeyama(current[POSE], neutral[POSE])
        to_photo = umeyama(neutral[POSE], s0[POSE])
        shape = apply(unpose, current)
        dn, dp = down(neutral), down(s0)
        g0 = gap(neutral, INNER_LIPS, dn)
        if self.closed_gap is None:
            self.estimate = not mouth_is_closed(neutral, dn)
            self.closed_gap = 0.0 if self.estimate else g0
        g = gap(shape, INNER_LIPS, dn)
        if mouth_is_closed(shape, dn) if self.estimate else g < self.closed_gap:
            self.estimate = False
            self.closed_gap = g
        base = closed_mouth(neutral, dn, g0 - self.closed_gap)
        pts = s0 + ((shape - base) @ to_photo[:, :2].T) * e
        for pairs in EYELIDS:
            g, g0 = gap(shape, pairs, dn), gap(base, pairs, dn)
            if g0 <= 1e-6:
                continue
            ratio = max(0.0, 1 + e * (min(g / g0, 2.0) - 1))
            for up, lo in pairs:
                pts[up] = pts[lo] - (s0[lo] - s0[up]) * ratio
        for up, lo in INNER_LIPS:
            g = float((pts[lo] - pts[up]) @ dp)
            if g < 0:
                pts[up] = pts[up] + dp * (g / 2)
                pts[lo] = pts[lo] - dp * (g / 2)
        if self.head_motion > 0:
            pts = turned(pts, self.photo_pose, turn(self.neutral_pose[0], pose[0], self.head_motion))
            head = compose(compose(to_photo, invert(unpose)), invert(to_photo))
            pts = pts + (apply(head, pts) - pts) * self.head_motion
        return pts
