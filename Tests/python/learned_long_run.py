"""The learned conversion's long-run check (too slow for the test suite; figures for the closing note).

    python3 Tests/python/learned_long_run.py --work DIR [--minutes 45 | --iterations N] [--data Tests/data]
                                             [--method landmark-gan] [--variant 64|128|64to128]
                                             [--gan W]

1. Extracts every frame of vr_face2.mp4 (person A; --a another clip) and vr_face3.mp4 (person B;
   --b); the frames from 100 on (100-124 of the default clips) of
   each are held out of training.
2. Trains (or, with --resume, continues) DIR/ab.fsm for --minutes, or until it has --iterations
   iterations (for comparisons on a shared machine, where minutes buy different amounts of
   training), previews in DIR/preview. --gan W: the adversarial loss weight of a new
   autoencoder (the trainer's gan option; default: the library's, off).
3. On the held-out frames: swaps A->B (and B->A) with the model and measures, with dlib's
   face-recognition embedding, the distance of each result face to person B (the mean embedding
   of B's training frames) and to person A (the original frame's own face), and the landmark error
   of the result's re-detected 68 points against the original frame's, over the inter-ocular
   distance, the fraction of frames within 0.6 of B, and the Pearson r of the inner-lip gap
   (re-detected on the result against the original frame's) and of the eyes' lid gap. Writes DIR/held_out_a2b.png
   (originals over results).
4. Sharpness: the variance of OpenCV's 3x3 Laplacian (cv2.Laplacian, ksize 1) of the grey image
   inside the hull of the result's re-fitted jaw and brow points (0-26) eroded by 9 px, the
   result's over the target frame's at the same place, per frame and its median; the same in a box
   around the eyes (points 36-47) and one around the mouth (48-67), each widened by 10 % of the
   inter-ocular distance; the face's also over the median of the other person's real held-out
   frames (at their own size: issue 19's "a real frame of B"). --skin-texture sets the swap option of that name (to compare the target's
   fine skin detail on and off on one model: --evaluate-only --skin-texture 0 / 1).
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


# --variant: the autoencoder's output side and input side.
VARIANTS = {"64": {"size": 64, "input_size": 64}, "128": {"size": 128, "input_size": 128},
            "64to128": {"size": 128, "input_size": 64}}


def frames(video: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    if not any(out.glob("*.png")):
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), str(out / "%04d.png")], check=True)
    return sorted(out.glob("*.png"))


def sharpness(result: np.ndarray, target: np.ndarray, p: np.ndarray) -> dict:
    """(ratio, result's, target's) Laplacian variance in the face (jaw+brow hull of p eroded by
    9 px), the eyes' box (36-47) and the mouth's (48-67); p: the result's re-fitted 68 points."""
    import cv2
    gr, gt = (cv2.cvtColor(x[..., :3], cv2.COLOR_BGR2GRAY) for x in (result, target))
    lr, lt = (cv2.Laplacian(g, cv2.CV_64F, ksize=1) for g in (gr, gt))   # ksize 1: the 3x3 aperture
    face = np.zeros(gr.shape, np.uint8)
    cv2.fillConvexPoly(face, cv2.convexHull(np.round(p[:27]).astype(np.int32)), 255)
    face = cv2.erode(face, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (19, 19))) > 0
    iod = np.linalg.norm(p[36:42].mean(0) - p[42:48].mean(0))
    out = {"face": face}
    for name, idx in (("eyes", slice(36, 48)), ("mouth", slice(48, 68))):
        (x0, y0), (x1, y1) = p[idx].min(0) - 0.1 * iod, p[idx].max(0) + 0.1 * iod
        m = np.zeros(gr.shape, bool)
        m[max(0, int(y0)):int(np.ceil(y1)) + 1, max(0, int(x0)):int(np.ceil(x1)) + 1] = True
        out[name] = m
    res = {}
    for k, m in out.items():
        a, b = float(lr[m].var()), float(lt[m].var())
        res[k] = (a / b, a, b)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", required=True, type=Path)
    ap.add_argument("--data", type=Path, default=REPO / "Tests" / "data")
    ap.add_argument("--minutes", type=float, default=None, help="training time (default 45 unless --iterations)")
    ap.add_argument("--iterations", type=int, default=None,
                    help="train until the model has this many iterations (instead of --minutes)")
    ap.add_argument("--gan", type=float, default=None,
                    help="adversarial loss weight of a new autoencoder (default: the library's)")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--evaluate-only", action="store_true")
    ap.add_argument("--expression", type=float, default=None, help="swap option (default: the library's)")
    ap.add_argument("--skin-texture", type=float, default=None, help="swap option (default: the library's)")
    ap.add_argument("--a2b-only", action="store_true", help="measure A->B only")
    ap.add_argument("--report", type=Path, default=None, help="where to write the JSON report (default DIR/report.json)")
    ap.add_argument("--keep-model-shape", action="store_true", help="swap option keep_model_shape")
    ap.add_argument("--method", default="autoencoder", choices=("autoencoder", "landmark-gan"))
    ap.add_argument("--a", default="vr_face2.mp4", help="person A's clip in DATA/videos (default vr_face2.mp4)")
    ap.add_argument("--b", default="vr_face3.mp4", help="person B's clip in DATA/videos (default vr_face3.mp4)")
    ap.add_argument("--variant", default=None, choices=("64", "128", "64to128"),
                    help="autoencoder sides: 64, 128, or 64to128 (a 64-px input, decoders that upscale to "
                         "128); default: the library's (new models only)")
    args = ap.parse_args()
    if args.minutes is not None and args.iterations is not None:
        ap.error("--minutes and --iterations: give one")
    if args.gan is not None and args.method == "landmark-gan":
        ap.error("--gan is the autoencoder's adversarial weight (the landmark GAN uses 0.1)")
    w = args.work
    w.mkdir(parents=True, exist_ok=True)
    clips = {"a": args.data / "videos" / args.a, "b": args.data / "videos" / args.b}
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
    session = {}
    if not args.evaluate_only:
        t = time.time()
        tr = fs.Trainer(None if gan else w / "a", w / "b", model_path, resume=args.resume,
                        preview_dir=w / "preview", preview_every=250, name_b="AOC",
                        **({"method": "landmark-gan", "gan": 0.1} if gan else {}),
                        **({} if gan else {"learning_rate": 3e-4, "name_a": "Swalwell"}),
                        **({} if args.variant is None else VARIANTS[args.variant]),
                        **({} if args.gan is None else {"gan": args.gan}))
        start = tr.iteration
        if args.iterations is None:
            steps = tr.run(seconds=(45 if args.minutes is None else args.minutes) * 60)
        else:
            steps = tr.run(iterations=args.iterations - start) if args.iterations > start else []
        print(f"trained to iteration {tr.iteration} in {time.time() - t:.0f} s this session")
        if len(steps) > 1:
            session = {"iterations": [steps[0]["iteration"], steps[-1]["iteration"]],
                       "seconds_per_iteration": (steps[-1]["seconds"] - steps[0]["seconds"]) / (len(steps) - 1)}
            print(f"{session['seconds_per_iteration']:.3f} s per iteration (training wall time, "
                  f"iterations {session['iterations'][0]}-{session['iterations'][1]})")
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
        def opening(f, pairs):   # mean distance of point pairs per inter-ocular distance
            p = f.landmarks
            iod = np.linalg.norm(p[36:42].mean(0) - p[42:48].mean(0))
            return float(np.mean([np.linalg.norm(p[a] - p[b]) for a, b in pairs]) / iod)

        def lip_gap(f):   # inner-lip opening
            return opening(f, ((61, 67), (62, 66), (63, 65)))

        def eye_open(f):   # both eyes' lid gaps
            return opening(f, ((37, 41), (38, 40), (43, 47), (44, 46)))

        directions = (("A->B", "a", "b", False),) if gan or args.a2b_only else (("A->B", "a", "b", False), ("B->A", "b", "a", True))
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
            # The sharpness of real held-out frames of the other person, at their own size.
            real = []
            for p in all_other[100:125]:
                img = fs.load_image(p)
                f = face_of(img)
                if f is not None:
                    real.append(sharpness(img, img, np.asarray(f.landmarks, np.float64))["face"][1])
            d_target, d_self, lm_err, shown, gaps, eyes = [], [], [], [], [], []
            sharp = {"face": [], "eyes": [], "mouth": []}
            extra = {} if args.expression is None else {"expression": args.expression}
            if args.skin_texture is not None:
                extra["skin_texture"] = args.skin_texture
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
                    eyes.append((eye_open(f0), eye_open(f1)))
                    for k, v in sharpness(out, img, np.asarray(f1.landmarks, np.float64)).items():
                        sharp[k].append(v)
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
                "eye_openness_pearson_r": float(np.corrcoef(np.array(eyes).T)[0, 1]),
                "eye_openness_driver_min_max": [float(np.min(np.array(eyes)[:, 0])), float(np.max(np.array(eyes)[:, 0]))],
                "skin_texture": args.skin_texture,
            }
            for k, v in sharp.items():
                ratios = [r for r, _, _ in v]
                report[direction][f"sharpness_{k}_ratio_median"] = float(np.median(ratios))
                report[direction][f"sharpness_{k}_result_target_median"] = [float(np.median([x[1] for x in v])),
                                                                           float(np.median([x[2] for x in v]))]
                report[direction][f"sharpness_{k}_ratio_per_frame"] = [round(r, 3) for r in ratios]
            real_b = float(np.median(real))
            report[direction]["sharpness_face_real_other_person_median"] = real_b
            report[direction]["sharpness_face_vs_real_other_person"] = float(np.median([x[1] for x in sharp["face"]])) / real_b
            report[direction]["frames_face_sharpness_at_least_0_7"] = float(np.mean(np.array(sharp["face"])[:, 0] >= 0.7))
            print(direction, json.dumps(report[direction], indent=1))
        (args.report or w / "report.json").write_text(json.dumps({"model": info, "session": session, "held_out": report}, indent=1, default=str))


if __name__ == "__main__":
    main()
