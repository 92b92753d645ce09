"""The learned conversion's long-run check (too slow for the test suite; figures for the closing note).

    python3 Tests/python/learned_long_run.py --work DIR [--minutes 45] [--data Tests/data]
                                             [--method landmark-gan]

1. Extracts every frame of vr_face2.mp4 (person A) and vr_face3.mp4 (person B); frames 100-124 of
   each are held out of training.
2. Trains (or, with --resume, continues) DIR/ab.fsm for --minutes, previews in DIR/preview.
3. On the held-out frames: swaps A->B (and B->A) with the model and measures, with dlib's
   face-recognition embedding, the distance of each result face to person B (the mean embedding
   of B's training frames) and to person A (the original frame's own face), and the landmark error
   of the result's re-detected 68 points against the original frame's, over the inter-ocular
   distance, the fraction of frames within 0.6 of B, and the Pearson r of the inner-lip gap
   (re-detected on the result against the original frame's). Writes DIR/held_out_a2b.png
   (originals over results).
With --method landmark-gan the model is DIR/b.fsg, trained on B's frames alone (issue 19), and
only A->B is measured (A's held-out frames drive B).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bindings" / "python"))
os.environ.setdefault("FACESWAP_LIBRARY", str(REPO / ".build" / "release" / "libfaceswap.so"))
import faceswap as fs  # noqa: E402


def frames(video: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    if not any(out.glob("*.png")):
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), str(out / "%04d.png")], check=True)
    return sorted(out.glob("*.png"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", required=True, type=Path)
    ap.add_argument("--data", type=Path, default=REPO / "Tests" / "data")
    ap.add_argument("--minutes", type=float, default=45)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--evaluate-only", action="store_true")
    ap.add_argument("--expression", type=float, default=None, help="swap option (default: the library's)")
    ap.add_argument("--keep-model-shape", action="store_true", help="swap option keep_model_shape")
    ap.add_argument("--method", default="autoencoder", choices=("autoencoder", "landmark-gan"))
    args = ap.parse_args()
    w = args.work
    w.mkdir(parents=True, exist_ok=True)
    clips = {"a": args.data / "videos" / "vr_face2.mp4", "b": args.data / "videos" / "vr_face3.mp4"}
    for k, clip in clips.items():
        if not (w / k).is_dir():
            s = fs.extract(str(clip), w / k, duplicate_distance=0)
            print(f"extract {clip.name}: {json.dumps(s)}")
            (w / f"{k}_held").mkdir(exist_ok=True)
            for p in sorted((w / k).iterdir()):
                if int(p.stem.rsplit("_f", 1)[1][:6]) >= 100:
                    p.rename(w / f"{k}_held" / p.name)
    gan = args.method == "landmark-gan"
    model_path = w / ("b.fsg" if gan else "ab.fsm")
    if not args.evaluate_only:
        t = time.time()
        tr = fs.Trainer(None if gan else w / "a", w / "b", model_path, resume=args.resume,
                        preview_dir=w / "preview", preview_every=250, name_b="AOC",
                        **({"method": "landmark-gan", "gan": 0.1} if gan else {}),
                        **({} if gan else {"learning_rate": 3e-4, "name_a": "Swalwell"}))
        tr.run(seconds=args.minutes * 60)
        print(f"trained to iteration {tr.iteration} in {time.time() - t:.0f} s this session")
        tr.close()

    with fs.Model(model_path) as model:
        info = model.info
        print(f"model: {info['iterations']} iterations, {info['seconds'] / 60:.1f} min of training, "
              f"{info['decoder_parameters'] if gan else info['encoder_parameters'] + 2 * info['decoder_parameters']} parameters")
        rec = fs.Recognizer()
        det, lm = fs.Detector(), fs.Landmarker()

        def face_of(img):
            found = det.detect(img)
            return lm.fit(img, found[0]) if found else None

        report = {}
        def lip_gap(f):   # inner-lip opening per inter-ocular distance
            p = f.landmarks
            iod = np.linalg.norm(p[36:42].mean(0) - p[42:48].mean(0))
            return float(np.mean([np.linalg.norm(p[a] - p[b]) for a, b in ((61, 67), (62, 66), (63, 65))]) / iod)

        directions = (("A->B", "a", "b", False),) if gan else (("A->B", "a", "b", False), ("B->A", "b", "a", True))
        for direction, src_clip, other_clip, reverse in directions:
            all_src = frames(clips[src_clip], w / f"frames_{src_clip}")
            all_other = frames(clips[other_clip], w / f"frames_{other_clip}")
            # The target identity: mean embedding of the other person's training frames.
            refs = []
            for p in all_other[:100:10]:
                img = fs.load_image(p)
                f = face_of(img)
                refs.append(rec.embed(img, f))
            ref = np.mean(refs, axis=0)
            d_target, d_self, lm_err, shown, gaps = [], [], [], [], []
            extra = {} if args.expression is None else {"expression": args.expression}
            with fs.Swapper(model=model, reverse=reverse, detector=det, landmarker=lm,
                            keep_model_shape=args.keep_model_shape, **extra) as sw:
                for p in all_src[100:]:
                    img = fs.load_image(p)
                    f0 = face_of(img)
                    out = sw.swap(None, img)
                    f1 = face_of(out)
                    if f0 is None or f1 is None:
                        continue
                    e_out = rec.embed(out, f1)
                    d_target.append(float(np.linalg.norm(e_out - ref)))
                    d_self.append(float(np.linalg.norm(e_out - rec.embed(img, f0))))
                    iod = np.linalg.norm(f0.landmarks[36:42].mean(0) - f0.landmarks[42:48].mean(0))
                    lm_err.append(float(np.linalg.norm(f1.landmarks - f0.landmarks, axis=1).mean() / iod))
                    gaps.append((lip_gap(f0), lip_gap(f1)))
                    if len(shown) < 5 and int(p.stem) % 5 == 1:
                        shown.append(np.vstack([img, out]))
            if shown:
                h = min(s.shape[0] for s in shown)
                fs.save_image(np.hstack([s[:h] for s in shown]), w / f"held_out_{direction.replace('->', '2').lower()}.png")
            report[direction] = {
                "held_out_frames": len(d_target),
                "distance_to_target_person_mean": float(np.mean(d_target)),
                "distance_to_own_face_mean": float(np.mean(d_self)),
                "frames_nearer_target": int(sum(a < b for a, b in zip(d_target, d_self))),
                "landmark_error_iod_mean": float(np.mean(lm_err)),
                "landmark_error_iod_max": float(np.max(lm_err)),
                "frames_within_0_6_of_target": float(np.mean(np.array(d_target) <= 0.6)),
                "lip_gap_pearson_r": float(np.corrcoef(np.array(gaps).T)[0, 1]),
            }
            print(direction, json.dumps(report[direction], indent=1))
        (w / "report.json").write_text(json.dumps({"model": info, "held_out": report}, indent=1, default=str))


if __name__ == "__main__":
    main()
