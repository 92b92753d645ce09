"""An independent check of where a swapped face's outline lies (not part of the test suite).

    pip install --target /tmp/mp mediapipe==0.10.21        # once; PyPI, not a dependency
    PYTHONPATH=/tmp/mp python3 Tests/python/outline_check.py TARGETS_DIR RESULTS_DIR [RESULTS_DIR ...]

The swap's landmark figures (learned_long_run.py, test_learned.py) are dlib's 68-point re-fit, the
same model the library fits with. This reads the images with another landmarker, MediaPipe's Face
Mesh (468 points, its model ships in that wheel), and prints, per results folder, the mean
distance of the 21 lower face-oval points (cheek to chin to cheek) and of all 468 points between
each result and its target (the file of the same name in TARGETS_DIR), over the target's eye
distance; and MediaPipe's own floor: each target against itself after a JPEG q95 round trip.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import mediapipe as mp

OVAL_LOW = [234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361, 323, 454]


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    targets, folders = Path(sys.argv[1]), [Path(a) for a in sys.argv[2:]]
    mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1)

    def points(img):
        r = mesh.process(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
        if not r.multi_face_landmarks:
            return None
        h, w = img.shape[:2]
        return np.array([[p.x * w, p.y * h] for p in r.multi_face_landmarks[0].landmark])

    rows = {"JPEG q95 (floor)": ([], [])} | {str(f): ([], []) for f in folders}
    for t in sorted(folders[0].glob("*.png")):
        target = cv2.imread(str(targets / t.name))
        pt = points(target)
        if pt is None:
            continue
        iod = np.linalg.norm(pt[[33, 133]].mean(0) - pt[[362, 263]].mean(0))
        images = {"JPEG q95 (floor)": cv2.imdecode(cv2.imencode(".jpg", target, [cv2.IMWRITE_JPEG_QUALITY, 95])[1], 1)}
        images |= {str(f): cv2.imread(str(f / t.name)) for f in folders}
        for name, img in images.items():
            p = points(img) if img is not None else None
            if p is None:
                print(f"no face: {name} {t.name}")
                continue
            d = np.linalg.norm(p - pt, axis=1) / iod
            rows[name][0].append(d[OVAL_LOW].mean())
            rows[name][1].append(d.mean())
    for name, (oval, every) in rows.items():
        print(f"{name}: lower face oval {np.mean(oval):.4f}, all 468 points {np.mean(every):.4f} "
              f"(eye distances, {len(oval)} images)")


if __name__ == "__main__":
    main()
