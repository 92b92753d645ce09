"""Writes docs/img/reenact-turn.png, the still strip of head turns (issue 12 item 4): rows driver |
result at head_motion 0 (the turn taken out: the photo keeps facing its way) | head_motion 1 |
head_motion 2 (the head-bob gain doubles the turn); columns the driver's neutral frame and two
turns of about ±20° (test_reenact_turn.py's frames of vr_face4.mp4, measured there).

    FACESWAP_LIBRARY=.build/release/libfaceswap.so python3 docs/make_reenact_turn_strip.py

Each result is a reenactor (raw tracking) fed the neutral frame, then the column's frame; tiles as
make_reenact_strip.py's.
"""

import sys

from make_reenact_strip import CLIP, OUT, PHOTO, face_box, fs, read_frames, save_sheet, tile

NEUTRAL, TURNS = 54, (60, 192)   # test_reenact_turn.py: NEUTRAL, TURNED
OUT_TURN = OUT.with_name("reenact-turn.png")


def main():
    frames = read_frames(CLIP, max(TURNS) + 1)
    photo = fs.load_image(PHOTO)
    photo = photo[: photo.shape[0] & ~1, : photo.shape[1] & ~1].copy()
    picks = (NEUTRAL,) + TURNS
    with fs.Detector() as det, fs.Landmarker() as lm:
        photo_box = face_box(det, photo)
        grid = [[tile(frames[i], face_box(det, frames[i])) for i in picks]]
        for gain in (0.0, 1.0, 2.0):
            row = []
            for i in picks:
                with fs.Reenactor(photo, det, lm, head_motion=gain, detect_interval=1, min_cutoff=0.0) as r:
                    r.push(frames[NEUTRAL], 0.0)
                    row.append(tile(r.push(frames[i], 1 / 30), photo_box))
            grid.append(row)
    save_sheet(grid, OUT_TURN)
    print(f"{OUT_TURN}: frames {picks}, {OUT_TURN.stat().st_size // 1024} KB", file=sys.stderr)


if __name__ == "__main__":
    main()
