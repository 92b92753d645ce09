"""Writes docs/img/reenact-turn.png, the still strip of head turns (issue 12 item 4): rows driver |
result at head_motion 0 (the turn taken out: the photo keeps facing its way) | head_motion 1 |
head_motion 2 (the head-bob gain doubles the turn); columns the driver's neutral frame, its turn
of about 20° and the same turn mirrored (test_reenact_turn.py's driver: vr_face3.mp4 frames
45 -> 3, +23.7° / -22.8° by its independent solvePnP; the mirrored column is driven from the
mirrored neutral frame).

    FACESWAP_LIBRARY=.build/release/libfaceswap.so python3 docs/make_reenact_turn_strip.py

Each result is a reenactor (raw tracking) fed the neutral frame, then the column's frame; tiles as
make_reenact_strip.py's.
"""

import sys

from make_reenact_strip import CLIP, OUT, PHOTO, face_box, fs, read_frames, save_sheet, tile

import numpy as np

TURN_CLIP = CLIP.with_name("vr_face3.mp4")
NEUTRAL, TURNED = 45, 3   # test_reenact_turn.py: NEUTRAL, TURNED
OUT_TURN = OUT.with_name("reenact-turn.png")


def main():
    frames = read_frames(TURN_CLIP, NEUTRAL + 1)
    mirror = lambda img: np.ascontiguousarray(img[:, ::-1])  # noqa: E731
    # (neutral, shown) per column: the neutral itself, the turn, the turn mirrored
    columns = [(frames[NEUTRAL], frames[NEUTRAL]), (frames[NEUTRAL], frames[TURNED]),
               (mirror(frames[NEUTRAL]), mirror(frames[TURNED]))]
    photo = fs.load_image(PHOTO)
    photo = photo[: photo.shape[0] & ~1, : photo.shape[1] & ~1].copy()
    with fs.Detector() as det, fs.Landmarker() as lm:
        photo_box = face_box(det, photo)
        grid = [[tile(shown, face_box(det, shown)) for _, shown in columns]]
        for gain in (0.0, 1.0, 2.0):
            row = []
            for neutral, shown in columns:
                with fs.Reenactor(photo, det, lm, head_motion=gain, detect_interval=1, min_cutoff=0.0) as r:
                    r.push(neutral, 0.0)
                    row.append(tile(r.push(shown, 1 / 30), photo_box))
            grid.append(row)
    save_sheet(grid, OUT_TURN)
    print(f"{OUT_TURN}: {TURN_CLIP.name} frames {NEUTRAL} -> {TURNED} and mirrored, {OUT_TURN.stat().st_size // 1024} KB", file=sys.stderr)


if __name__ == "__main__":
    main()
