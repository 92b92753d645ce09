"""Checks of the installed wheel, run by Tests/wheel/run.sh with the test venv's Python (with no
environment but PATH and HOME, and, where the machine allows, the system's libraries hidden).

    check_wheel.py libs ALLOWED          every ELF file of the package resolves all it needs inside
                                         the package or in ALLOWED (the manylinux baseline + Python's own)
    check_wheel.py no-model SRC TGT      without the 68-point model: a clear FS_ERR_MODEL error
    check_wheel.py api SRC TGT REF OUT ALLOWED
                                         import, swap (face changed, equal to the C CLI's REF),
                                         PNG round trip, and the process maps nothing outside the
                                         package and ALLOWED
    check_wheel.py same A B              two image files have the same pixels

ALLOWED is a file of library paths, one a line. Each command prints what it checked and exits 1
on the first failure, naming it.
"""

import os
import subprocess
import sys

import numpy as np

LD_SO = "/lib64/ld-linux-x86-64.so.2"


def fail(msg: str) -> None:
    print(f"FAIL: {msg}")
    sys.exit(1)


def package_dirs():
    """The installed package folder and auditwheel's folder of vendored libraries, found without
    importing faceswap (so `libs` works even if loading the library would not)."""
    import importlib.util
    spec = importlib.util.find_spec("faceswap")
    pkg = os.path.dirname(spec.origin)
    return pkg, os.path.join(os.path.dirname(pkg), "faceswap.libs")


def allowed_paths(path: str) -> set:
    with open(path) as f:
        return {os.path.realpath(line.strip()) for line in f if line.strip()}


def mapped_libraries() -> set:
    """Real paths of the shared objects mapped into this process."""
    out = set()
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split(maxsplit=5)
            if len(parts) == 6 and ".so" in parts[5]:
                out.add(os.path.realpath(parts[5].strip()))
    return out


def outside(paths, allowed: set, *folders: str) -> list:
    """The paths that are neither in one of the folders nor allowed."""
    inside = tuple(os.path.realpath(f) + os.sep for f in folders)
    return sorted(p for p in paths if not p.startswith(inside) and p not in allowed)


def cmd_libs(allowed_file: str) -> None:
    pkg, libs = package_dirs()
    allowed = allowed_paths(allowed_file)
    elves = [os.path.join(d, n) for d in (pkg, libs) for n in sorted(os.listdir(d))
             if ".so" in n and os.path.isfile(os.path.join(d, n))]
    names = {os.path.basename(e) for e in elves}
    for want in ("libfaceswap.so", "libfaceswap-video.so"):
        if want not in names:
            fail(f"{want} is not in the installed package {pkg}")
    if not any(n.startswith("libopencv_imgcodecs.so.") for n in os.listdir(pkg)):
        fail(f"OpenCV's imgcodecs is not in {pkg} (the library dlopens it by name for PNG)")
    if not any(n.startswith("libopencv_objdetect.so.") for n in os.listdir(pkg)):
        fail(f"OpenCV's objdetect is not in {pkg} (the library dlopens it by name for the Haar detector)")
    for elf in elves:
        # What ldd prints: the dynamic loader's own resolution of every DT_NEEDED, recursively.
        run = subprocess.run([LD_SO, "--list", elf], capture_output=True, text=True)
        if run.returncode != 0 or "not found" in run.stdout:
            fail(f"{elf} does not load: {run.stdout.strip()} {run.stderr.strip()}")
        resolved = []
        for line in run.stdout.splitlines():
            if "=>" in line:
                target = line.split("=>")[1].split("(")[0].strip()
                if target:
                    resolved.append(os.path.realpath(target))
        bad = outside(resolved, allowed, pkg, libs)
        if bad:
            fail(f"{elf} resolves libraries outside the wheel and the manylinux baseline: {bad}")
    print(f"libs: {len(elves)} ELF files of the package resolve inside it or the baseline")


def cmd_no_model(src: str, tgt: str) -> None:
    import faceswap
    name = "shape_predictor_68_face_landmarks.dat"
    try:
        faceswap.swap(faceswap.load_image(src), faceswap.load_image(tgt))
    except faceswap.FaceSwapError as e:
        if e.status != faceswap.Status.MODEL or name not in e.message:
            fail(f"without the model: {e!r}, expected status MODEL naming {name}")
        print(f"no-model: FS_ERR_MODEL: {e.message}")
        return
    fail("swap worked without the 68-point model: it was found somewhere (faceswap models says where)")


def face_change(before: np.ndarray, after: np.ndarray, face) -> tuple:
    """Mean absolute difference per pixel inside the detector's rectangle (the face itself) and
    outside the grown box (everything the swap must leave alone)."""
    def region(r):
        x, y, w, h = (int(round(v)) for v in r)
        m = np.zeros(before.shape[:2], bool)
        m[max(y, 0):max(y + h, 0), max(x, 0):max(x + w, 0)] = True
        return m
    d = np.abs(before.astype(np.int16) - after.astype(np.int16)).mean(axis=2)
    return float(d[region(face.rect)].mean()), float(d[~region(face.box)].mean())


def cmd_api(src: str, tgt: str, ref: str, out_dir: str, allowed_file: str) -> None:
    import faceswap
    pkg, libs = package_dirs()
    if os.path.dirname(os.path.realpath(faceswap.capi.library_path)) != os.path.realpath(pkg):
        fail(f"libfaceswap was loaded from {faceswap.capi.library_path}, not from the wheel's {pkg}")
    if faceswap.version() != faceswap.__version__:
        fail(f"library {faceswap.version()} != package {faceswap.__version__}")
    source, target = faceswap.load_image(src), faceswap.load_image(tgt)
    result = faceswap.swap(source, target)
    faces = faceswap.detect_landmarks(target)
    if len(faces) != 1:
        fail(f"{tgt}: {len(faces)} faces, expected 1")
    inside, rest = face_change(target, result, faces[0])
    # The face is replaced (another person: 17.7 grey levels on average over the detector's
    # rectangle, measured); outside the grown box the blend mask is zero: nothing changes there.
    if not (inside > 10.0 and rest < 0.05):
        fail(f"swap: mean change {inside:.2f} inside the face, {rest:.3f} outside its box "
             "(expected > 10 and < 0.05)")
    print(f"api: swap changed the face by {inside:.2f} grey levels, the rest by {rest:.4f}")
    # An independent run: the C command-line tool (system build, outside this environment).
    reference = faceswap.load_image(ref)  # a PNG: imgcodecs, loaded by the library from the wheel
    if reference.shape != result.shape or not np.array_equal(reference, result):
        diff = np.abs(reference.astype(int) - result.astype(int)).max() if reference.shape == result.shape else "shape"
        fail(f"swap differs from faceswap-cli swap's {ref} (max difference {diff})")
    print("api: equal to faceswap-cli swap with the same settings")
    png = os.path.join(out_dir, "roundtrip.png")
    faceswap.save_image(result, png)
    if not np.array_equal(faceswap.load_image(png), result):
        fail("PNG round trip changed the pixels")
    maps = mapped_libraries()
    # Python's own modules (the standard library's, numpy's in the venv) may be mapped too.
    import sysconfig
    python_dirs = (os.path.dirname(os.__file__), sysconfig.get_path("platlib"))
    codecs = [p for p in maps if "libopencv_imgcodecs" in p]
    if not codecs or any(not p.startswith(pkg + os.sep) for p in codecs):
        fail(f"imgcodecs mapped from {codecs}, not from the wheel's {pkg}")
    bad = outside(maps, allowed_paths(allowed_file), *python_dirs)
    if bad:
        fail(f"the process mapped libraries from outside the wheel and the baseline: {bad}")
    print(f"api: PNG round trip exact; {len(maps)} mapped libraries, all in the wheel or the baseline")


def cmd_same(a: str, b: str) -> None:
    import faceswap
    x, y = faceswap.load_image(a), faceswap.load_image(b)
    if x.shape != y.shape or not np.array_equal(x, y):
        fail(f"{a} and {b} differ")
    print(f"same: {a} = {b}")


if __name__ == "__main__":
    cmds = {"libs": cmd_libs, "no-model": cmd_no_model, "api": cmd_api, "same": cmd_same}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        fail(f"usage: check_wheel.py {'|'.join(cmds)} ARGS...")
    cmds[sys.argv[1]](*sys.argv[2:])
