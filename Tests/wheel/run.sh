#!/usr/bin/env bash
# The Python wheel (make wheel) as a user gets it: `pip install` into a fresh venv (the wheel +
# numpy from PyPI), then everything runs with no environment but PATH and HOME (no FACESWAP_*, no
# LD_LIBRARY_PATH) on a system that has only the manylinux baseline libraries: in a private mount
# namespace the system library folder is replaced by a copy holding only what Python itself and
# the manylinux baseline (libc, libstdc++, libX11, glib, ...) need, and /usr/local/lib,
# /usr/share/dlib and /usr/share/opencv4 are emptied. So OpenCV, dlib, BLAS, ffmpeg, imgcodecs and
# any installed libfaceswap can only come from the wheel.
#
# Checks: auditwheel's platform tag; every ELF file in the package resolves inside the wheel or the
# baseline; without the 68-point model a clear FS_ERR_MODEL error; with it (in ~/.local/share)
# faceswap.swap changes the face and nothing else and equals `faceswap-cli swap`; PNG through the
# wheel's imgcodecs; the console script's swap, video (frames equal to `faceswap-cli video`'s,
# counted by ffprobe), detect (boxes equal to the C tool's), --help, and its errors and exit codes.
#
# Usage: Tests/wheel/run.sh dist/faceswap-<version>-*.whl   (make test-wheel builds and passes it)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
[ $# = 1 ] && [ -f "$1" ] || { echo "usage: $0 WHEEL (one file; make test-wheel builds it): got '$*'"; exit 1; }
wheel=$(realpath "$1")
data=${DATA:-$repo/Tests/data}
cli=$repo/.build/release/faceswap-cli     # the C tool: the independent run to compare with
src=$repo/samples/source.jpg tgt=$repo/samples/target.jpg video=$data/videos/vr_face5.mp4
model=/usr/share/dlib/shape_predictor_68_face_landmarks.dat
for f in "$cli" "$src" "$tgt" "$video" "$model"; do [ -f "$f" ] || { echo "FAIL: missing $f"; exit 1; }; done
start=$SECONDS
tmp=$(mktemp -d /tmp/faceswap-wheel.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/empty" "$tmp/out"
pass=0 failed=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
# check NAME COMMAND...: one test, passed when the command succeeds (its output is shown)
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

# 1. The platform tag in the file name is the one auditwheel finds for the libraries inside.
plat=$(basename "$wheel" .whl); plat=${plat##*-}
show=$(${PYTHON:-python3} -m auditwheel show "$wheel" 2>&1 | tr -s ' \n' ' ') || true   # one line
if [[ $plat == manylinux_* ]] && grep -q "consistent with the following platform tag: \"$plat\"" <<<"$show"; then
  ok "auditwheel show: $plat"
else
  bad "auditwheel show: the wheel is tagged '$plat'; auditwheel says: $show"
fi

# 2. A fresh venv with the system's Python; the wheel and numpy from PyPI.
/usr/bin/python3 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary numpy "$wheel"
py=$tmp/venv/bin/python
checker=$tmp/check_wheel.py
cp "$repo/Tests/wheel/check_wheel.py" "$checker"

# 3. What may stay visible: the libraries Python itself maps (with numpy and ctypes) and the
# manylinux baseline (auditwheel's policy lib_whitelist, PEP 600), with what those need in turn.
baseline="libc.so.6 libm.so.6 libmvec.so.1 libdl.so.2 librt.so.1 libpthread.so.0 libutil.so.1 libanl.so.1
  libnsl.so.1 libresolv.so.2 libgcc_s.so.1 libstdc++.so.6 libatomic.so.1 libz.so.1 libexpat.so.1 libX11.so.6
  libXext.so.6 libXrender.so.1 libICE.so.6 libSM.so.6 libGL.so.1 libgobject-2.0.so.0 libgthread-2.0.so.0
  libglib-2.0.so.0"
python_own=$("$py" -c '
import ctypes, json, argparse, importlib.util, numpy
print("\n".join(sorted({l.split()[-1] for l in open("/proc/self/maps") if ".so" in l})))')
libdir=/usr/lib/x86_64-linux-gnu
{
  ldd "$(realpath "$py")"
  for f in $python_own; do ldd "$f" 2>/dev/null || true; done
  for n in $baseline; do
    # awk reads all of ldconfig's list (a `| head` could end a writer early: SIGPIPE under pipefail)
    p=$(ldconfig -p | awk -v n="$n (" 'index($0, n) && /x86-64/ && !found {print $NF; found = 1}')
    [ -n "$p" ] && { echo "$n => $p (0)"; ldd "$p"; }
  done
} | awk '$2 == "=>" && $3 ~ /^\// && $3 !~ /faceswap|venv/ {print $1, $3}' | sort -u > "$tmp/keep.txt"
mkdir -p "$tmp/bare-lib"
while read -r name path; do cp -L "$path" "$tmp/bare-lib/$name"; done < "$tmp/keep.txt"
cp -L /lib64/ld-linux-x86-64.so.2 "$tmp/bare-lib/"
(cd "$tmp/bare-lib" && ls | sed "s|^|$libdir/|") > "$tmp/allowed.txt"

# run_bare COMMAND...: COMMAND with no environment but PATH and HOME, the system's libraries hidden.
if unshare -m --propagation private true 2>/dev/null; then
  hidden=1
  run_bare() {
    unshare -m --propagation private /bin/sh -c '
      tmp=$1; shift
      mount -t tmpfs none /usr/local/lib
      for d in /usr/share/dlib /usr/share/opencv4; do [ -d "$d" ] && mount --bind "$tmp/empty" "$d"; done
      mount --bind "$tmp/bare-lib" /usr/lib/x86_64-linux-gnu     # last: mount itself needs libraries
      exec /usr/bin/env -i PATH=/usr/bin:/bin HOME="$tmp/home" "$@"' sh "$tmp" "$@"
  }
else
  hidden=0
  echo "optional capability missing: mount namespaces (unshare -m needs root): the system's libraries are not hidden; the checks of what the package resolves and maps still run"
  run_bare() { /usr/bin/env -i PATH=/usr/bin:/bin HOME="$tmp/home" "$@"; }
fi
if [ $hidden = 1 ]; then
  # The namespace really hides them: the system's libopencv_core (loadable outside) is gone there.
  core=$(ldd "$cli" | awk '$1 ~ /^libopencv_core\.so/ {print $1}')
  "$py" -c "import ctypes; ctypes.CDLL('$core')" || { echo "FAIL: cannot check hiding: $core does not load outside"; exit 1; }
  if run_bare "$py" -c "import ctypes; ctypes.CDLL('$core')" 2>/dev/null; then
    bad "hidden: the system's OpenCV is still loadable in the namespace"
  else
    ok "hidden: system OpenCV, dlib, ffmpeg, /usr/local/lib and the model folders out of sight ($(wc -l < "$tmp/allowed.txt") baseline libraries kept)"
  fi
fi

# 4. Every ELF file of the package resolves inside the wheel or the baseline.
check "libs" run_bare "$py" "$checker" libs "$tmp/allowed.txt"

# 5. No 68-point model anywhere: a clear error from the API and from the console script.
check "no model: API" run_bare "$py" "$checker" no-model "$src" "$tgt"
set +e
msg=$(run_bare "$tmp/venv/bin/faceswap" swap --source "$src" --target "$tgt" -o "$tmp/out/x.png" 2>&1); rc=$?
set -e
if [ $rc = 1 ] && grep -q "shape_predictor_68_face_landmarks.dat" <<<"$msg" && grep -q "pip install face_recognition_models" <<<"$msg"; then
  ok "no model: console script exits 1: $msg"
else
  bad "no model: console script: exit $rc: $msg"
fi
set +e
msg=$(run_bare "$tmp/venv/bin/faceswap" models 2>&1); rc=$?
set -e
if [ $rc = 1 ] && grep -q "the 68-point model is missing" <<<"$msg" && grep -q "libdlib-data" <<<"$msg"; then
  ok "no model: faceswap models exits 1 and says how to get it"
else
  bad "no model: faceswap models: exit $rc: $msg"
fi
# The model where a user puts it (the library's resolver looks in ~/.local/share/faceswap/models).
mkdir -p "$tmp/home/.local/share/faceswap/models"
cp "$model" "$tmp/home/.local/share/faceswap/models/"

# 6. The API: swap, compared with the C tool's run of the same job, PNG, what the process maps.
"$cli" swap --source "$src" --target "$tgt" -o "$tmp/ref.png" >/dev/null
check "api" run_bare "$py" "$checker" api "$src" "$tgt" "$tmp/ref.png" "$tmp/out" "$tmp/allowed.txt"

# 7. The console script.
fs=$tmp/venv/bin/faceswap
out=$(run_bare "$fs" version 2>&1 || true)
if grep -q "at $tmp/venv/lib/python3[0-9.]*/site-packages/faceswap/libfaceswap.so$" <<<"$out"; then
  ok "script: version: $out"; else bad "script: version: $out"; fi
check "script: swap" run_bare "$fs" swap --source "$src" --target "$tgt" -o "$tmp/out/swap.png"
check "script: swap result = faceswap-cli swap" run_bare "$py" "$checker" same "$tmp/out/swap.png" "$tmp/ref.png"
check "script: video" run_bare "$fs" video --source "$src" --input "$video" -o "$tmp/out/video.mp4"
"$cli" video --source "$src" --input "$video" -o "$tmp/ref.mp4" >/dev/null 2>&1
frames() { ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$1"; }
framemd5() { ffmpeg -v error -i "$1" -map 0:v -f framemd5 - | grep -v '^#'; }
n_in=$(frames "$video"); n_out=$(frames "$tmp/out/video.mp4" 2>/dev/null || echo none)
if [ "$n_in" = "$n_out" ] && [ "$(framemd5 "$tmp/out/video.mp4")" = "$(framemd5 "$tmp/ref.mp4")" ]; then
  ok "script: video: $n_out frames (ffprobe; input $n_in), each equal to faceswap-cli video's"
else
  bad "script: video: $n_out frames vs input $n_in, or frames differ from faceswap-cli video's"
fi
json=$(run_bare "$fs" detect --json "$tgt" || true)
ref_json=$("$cli" detect --json "$tgt")
if "$py" - "$json" "$ref_json" <<'PY'
import json, sys
a, b = (json.loads(s)["faces"] for s in sys.argv[1:3])
assert len(a) == len(b) == 1, (len(a), len(b))
assert len(a[0]["landmarks"]) == 68
assert all(abs(x - y) < 0.01 for x, y in zip(a[0]["box"], b[0]["box"])), (a[0]["box"], b[0]["box"])
PY
then ok "script: detect --json: 1 face, 68 landmarks, box equal to faceswap-cli detect's"; else bad "script: detect --json: $json vs $ref_json"; fi
# --help, and errors: one line saying what is wrong, exit 2 for usage, 1 for the rest.
expect() {  # expect NAME CODE PATTERN ARGS...: the script exits CODE and its stderr matches PATTERN
  local name=$1 code=$2 pattern=$3; shift 3
  local err rc
  set +e; err=$(run_bare "$fs" "$@" 2>&1 >/dev/null); rc=$?; set -e
  if [ $rc = "$code" ] && grep -qE "$pattern" <<<"$err"; then ok "script: $name (exit $rc)"; else bad "script: $name: exit $rc, expected $code: $err"; fi
}
set +e; out=$(run_bare "$fs" --help); rc=$?; set -e
if [ $rc = 0 ] && grep -q "swap" <<<"$out" && grep -q "video" <<<"$out"; then ok "script: --help"; else bad "script: --help: exit $rc: $out"; fi
expect "unknown command" 2 "invalid choice" frobnicate
expect "missing option" 2 "required: --target" swap --source "$src" -o "$tmp/out/y.png"
expect "unknown blend name" 2 "unknown blend mode 'paste'.*multiband" swap --source "$src" --target "$tgt" -o "$tmp/out/y.png" --blend paste
expect "value out of range" 2 "expression 4 is outside" swap --source "$src" --target "$tgt" -o "$tmp/out/y.png" --expression 4
expect "missing file" 1 "cannot open '$tmp/none.jpg'" swap --source "$tmp/none.jpg" --target "$tgt" -o "$tmp/out/y.png"
printf 'not a video\n' > "$tmp/bad.mp4"
expect "not a video" 1 "^faceswap: .*bad.mp4" video --source "$src" --input "$tmp/bad.mp4" -o "$tmp/out/y.mp4"
[ ! -e "$tmp/out/y.mp4" ] && [ ! -e "$tmp/out/y.png" ] && ok "script: no output left by a failed job" || bad "script: a failed job left output"

echo "wheel: $pass passed, $failed failed ($((SECONDS - start)) s)"
[ "$failed" = 0 ]
