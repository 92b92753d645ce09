#!/usr/bin/env bash
# Tests/plugin/run.sh — the frei0r plugin (bindings/frei0r) inside the real ffmpeg.
#
#   1. builds .build/frei0r/faceswap.so (make -C bindings/frei0r);
#   2. runs `ffmpeg -vf frei0r=faceswap:...` over a test clip (FREI0R_PATH at the built folder)
#      and checks: exit status 0; the input's frame count; the frames changed inside the face and
#      not outside it; the same frames as `faceswap-cli video` with the same options (both
#      lossless, compared with ffmpeg's psnr filter: >= 35 dB on every frame);
#   3. does the same with learned models (.fsm, and a landmark GAN's .fsg) as the source, against
#      `faceswap video --model`;
#   4. checks that a bad setting (missing source photo, unknown blend name, detect interval out of
#      the library's range) passes frames through unchanged with exit status 0 and exactly one line
#      on stderr (the library's message), and that an ffmpeg that pads frame rows (5.x, width not
#      a multiple of 16) is named with the fix;
#   5. checks what a host sees before any frame (Tests/plugin/params.c loads the plugin): the
#      explanations give the library's names, ranges and defaults, the same as the CLI's help, and
#      frei0r's 0..1 maps onto the option's range (a normalised detect interval gives the same
#      frames as the number of frames it stands for).
#
# Environment:
#   FACESWAP_DATA   test data folder (default: <repo>/Tests/data)
#   FACESWAP_LIBDIR folder of libfaceswap.so (default: <repo>/.build/release)
#   FACESWAP_CLI    the CLI (default: <repo>/.build/release/faceswap-cli)
#   FFMPEG, FFPROBE the binaries (default: from PATH)
#   KEEP=1          keep the work folder
# Prints "N passed, M failed" last; exits non-zero when a check fails.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
DATA=${FACESWAP_DATA:-$repo/Tests/data}
LIBDIR=${FACESWAP_LIBDIR:-$repo/.build/release}
CLI=${FACESWAP_CLI:-$repo/.build/release/faceswap-cli}
FFMPEG=${FFMPEG:-ffmpeg}
FFPROBE=${FFPROBE:-ffprobe}
PY=${PYTHON:-python3}
CLIP=$DATA/videos/vr_face3.mp4
SOURCE=$repo/samples/source.jpg
PLUGDIR=$repo/.build/frei0r

passed=0
failed=0
ok() { echo "ok   - $*"; passed=$((passed + 1)); }
bad() { echo "FAIL - $*"; failed=$((failed + 1)); }
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}
die() { echo "run.sh: $*" >&2; bad "$*"; finish; }

command -v "$FFMPEG" >/dev/null || die "no ffmpeg on PATH (apt-get install ffmpeg)"
command -v "$FFPROBE" >/dev/null || die "no ffprobe on PATH (apt-get install ffmpeg)"
[ -f "$CLIP" ] || die "no clip at $CLIP (set FACESWAP_DATA)"
[ -x "$CLI" ] || die "no CLI at $CLI (make build)"
"$PY" -c 'import numpy' 2>/dev/null || die "$PY has no numpy (pip install numpy)"

work=$(mktemp -d /tmp/faceswap-plugin.XXXXXX)
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; else echo "work folder: $work"; fi

# ---- build -----------------------------------------------------------------------------------
if make -s -C "$repo/bindings/frei0r" LIBDIR="$LIBDIR" OUT="$PLUGDIR" >"$work/build.log" 2>&1 &&
    [ -f "$PLUGDIR/faceswap.so" ]; then
    ok "built $PLUGDIR/faceswap.so"
else
    cat "$work/build.log"
    die "the plugin did not build"
fi
export FREI0R_PATH=$PLUGDIR
export LD_LIBRARY_PATH=$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

# ---- what a host sees before any frame: names, ranges and defaults are the library's -----------
CC=${CC:-cc}
if "$CC" -std=c11 -Wall -Wextra -o "$work/params" "$here/params.c" -ldl 2>"$work/params.err" &&
    "$work/params" "$PLUGDIR/faceswap.so" >"$work/params.txt" 2>>"$work/params.err"; then
    ok "a host loads the plugin and reads its $(grep -c '^param ' "$work/params.txt") parameters"
else
    cat "$work/params.err"
    bad "Tests/plugin/params.c could not load the plugin"
fi
explanation() { sed -n "s/^param [0-9]* $1 [a-z]*: //p" "$work/params.txt"; }
value() { sed -n "s/^value [0-9]* $1 //p" "$work/params.txt"; }
help_of() { "$CLI" "$1" --help 2>&1 | tr -s ' \n' ' '; }
# the CLI prints the same table: "--detect-every N ... (default 5; 1–1000)", "--expression E ...
# default 0.6; 0–1", "--blend alpha|poisson|..."
di=$(help_of video | sed -n 's/.*--detect-every N[^(]*(default \([^;]*\); \([^)]*\)).*/\2, default \1/p')
ex=$(help_of swap | sed -n 's/.*--expression E.*; default \([^;]*\); \([^ ]*\) .*/\2, default \1/p')
for p in "detect_interval:$di" "expression:$ex"; do
    name=${p%%:*} want=${p#*:}
    got=$(explanation "$name")
    if [ -n "$want" ] && [[ "$got" == *"$want"* ]]; then ok "$name: '$got' (the CLI: $want)"
    else bad "$name: explanation '$got' does not say the library's '$want' (from faceswap-cli --help)"; fi
done
for p in mode color blend; do
    want=$(help_of swap | grep -o -- "--$p [a-z|-]*" | head -1 | sed "s/^--$p //; s/|/ | /g")
    got=$(explanation "$p")
    if [ -n "$want" ] && [[ "$got" == *": $want (default $(value "$p"))" ]]; then ok "$p: '$got'"
    else bad "$p: explanation '$got', the CLI's names '$want', default '$(value "$p")'"; fi
done
# defaults on frei0r's scale: 0..1 onto the range (expression 0-1: itself; detect_interval 1-1000)
if "$PY" -c "import sys; e, d = float('$(value expression)'), float('$(value detect_interval)')
sys.exit(0 if abs(e - 0.6) < 1e-9 and 1 + round(d * 999) == 5 else 1)"; then
    ok "defaults on frei0r's 0..1: expression $(value expression), detect_interval $(value detect_interval) (= 5 frames)"
else bad "defaults on frei0r's 0..1: expression $(value expression), detect_interval $(value detect_interval)"; fi

probe() { "$FFPROBE" -v error -select_streams v:0 "$@"; }
W=$(probe -show_entries stream=width -of csv=p=0 "$CLIP")
H=$(probe -show_entries stream=height -of csv=p=0 "$CLIP")
FPS=$(probe -show_entries stream=avg_frame_rate -of csv=p=0 "$CLIP")
FPS=$("$PY" -c "from fractions import Fraction; print(float(Fraction('$FPS')))")
frames_of() { probe -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$1"; }
IN_FRAMES=$(frames_of "$CLIP")
echo "clip: $CLIP (${W}x$H, $FPS fps, $IN_FRAMES frames)"

# The same settings on both sides: the CLI's defaults spelled out (detect every 5 frames,
# One-Euro filter on), frame times from the clip's rate (ffmpeg 5.x gives frei0r none when it
# re-aligns frames), swap options as `faceswap swap`'s defaults.
PARAMS="$SOURCE|delaunay|multiband|reinhard|0.5|5|y|auto|$FPS"
# Smoothing: both use the library's defaults (the plugin's "y"; the CLI without --smooth-*).
CLI_OPTS=(--mode delaunay --blend multiband --color reinhard --expression 0.5 --detect-every 5)
# ffmpeg 5.x pads frame rows for frei0r unless 4*width is a multiple of 64: pad, then crop back.
# bilinear conversions to and from RGBA, as the library's own decoder and encoder use.
VF="scale=flags=bilinear+accurate_rnd+full_chroma_int,format=rgba,pad=ceil(iw/16)*16:ih,frei0r=filter_name=faceswap:filter_params=$PARAMS,crop=$W:$H:0:0,scale=flags=bilinear+accurate_rnd,format=yuv420p"

# ---- the plugin over the clip ---------------------------------------------------------------
plug=$work/plugin.mp4
start=$(date +%s.%N)
"$FFMPEG" -nostdin -v error -y -i "$CLIP" -vf "$VF" -c:v libx264 -qp 0 -preset veryfast -an "$plug" \
    2>"$work/plugin.err"
rc=$?
secs=$("$PY" -c "import time; print(round(time.time() - $start, 1))")
if [ $rc -eq 0 ] && [ -s "$plug" ]; then ok "ffmpeg with the plugin exits 0 ($secs s)"; else
    cat "$work/plugin.err"; bad "ffmpeg with the plugin exited $rc"; fi
if grep -q 'faceswap frei0r' "$work/plugin.err"; then
    bad "the plugin complained: $(grep 'faceswap frei0r' "$work/plugin.err" | head -1)"
else ok "the plugin printed nothing"; fi

OUT_FRAMES=$(frames_of "$plug" 2>/dev/null)
if [ -n "$OUT_FRAMES" ] && [ "$OUT_FRAMES" = "$IN_FRAMES" ]; then ok "frame count $OUT_FRAMES = input's"
else bad "frame count ${OUT_FRAMES:-?} != input's $IN_FRAMES"; fi

# ---- the frames changed inside the face, not outside -----------------------------------------
"$FFMPEG" -nostdin -v error -y -i "$CLIP" -frames:v 1 "$work/first.png"
"$CLI" detect "$work/first.png" --json >"$work/first.json" 2>"$work/detect.err"
raw() { "$FFMPEG" -nostdin -v error -i "$1" -f rawvideo -pix_fmt rgb24 -; }
raw "$CLIP" >"$work/in.rgb"
raw "$plug" >"$work/plug.rgb"
"$PY" - "$work/in.rgb" "$work/plug.rgb" "$work/first.json" "$W" "$H" >"$work/face.txt" <<'PY'
import json, sys
import numpy as np
a_path, b_path, js, w, h = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
a = np.fromfile(a_path, np.uint8).reshape(-1, h, w, 3).astype(np.int16)
b = np.fromfile(b_path, np.uint8).reshape(-1, h, w, 3).astype(np.int16)
n = min(len(a), len(b))
faces = json.load(open(js))["faces"]
if not faces:
    print("0 0 0 0 no face in the first frame")
    sys.exit()
x, y, fw, fh = faces[0]["rect"]
# the inner half of the detector's rectangle: face in every frame of this talking-head clip
ix0, iy0, ix1, iy1 = [int(v) for v in (x + fw / 4, y + fh / 4, x + 3 * fw / 4, y + 3 * fh / 4)]
bx, by, bw, bh = faces[0]["box"]
outside = np.ones((h, w), bool)
m = 0.25 * bw  # the head moves a little: keep well away from the box
outside[max(0, int(by - m)):int(by + bh + m), max(0, int(bx - m)):int(bx + bw + m)] = False
d = np.abs(a[:n] - b[:n]).mean(axis=3)
inner = d[:, iy0:iy1, ix0:ix1].mean(axis=(1, 2))
out = d[:, outside].mean(axis=1)
changed = int((inner > 6).sum())
print(n, changed, f"{np.median(inner):.1f}", f"{out.max():.2f}", "ok")
PY
read -r nf changed inner_med out_max note <"$work/face.txt"
if [ "$note" = ok ] && [ "$changed" -ge $((nf * 95 / 100)) ]; then
    ok "changed inside the face in $changed/$nf frames (median mean |diff| $inner_med)"
else bad "changed inside the face in ${changed:-?}/${nf:-?} frames (median $inner_med) $note"; fi
if [ "$note" = ok ] && "$PY" -c "import sys; sys.exit(0 if $out_max < 2.5 else 1)"; then
    ok "unchanged away from the face (max mean |diff| $out_max: colour conversion only)"
else bad "changed away from the face (max mean |diff| ${out_max:-?})"; fi

# ---- frei0r's 0..1 onto the option's range --------------------------------------------------
# detect_interval 0.004004 is 1 + round(0.004004 × 999) = 5 frames on the library's 1–1000: the
# same frames as "5" (the first second, compared exactly: both lossless).
NVF=${VF/"|0.5|5|y|"/"|0.5|0.004004|y|"}
"$FFMPEG" -nostdin -v error -y -i "$CLIP" -t 1 -vf "$NVF" -c:v libx264 -qp 0 -preset veryfast -an \
    "$work/norm.mp4" 2>"$work/norm.err"
raw "$work/norm.mp4" >"$work/norm.rgb"
same=$("$PY" -c "
import numpy as np
a = np.fromfile('$work/norm.rgb', np.uint8); b = np.fromfile('$work/plug.rgb', np.uint8)[:a.size]
print(f'{a.size // ($W * $H * 3)} {int(np.abs(a.astype(int) - b).max()) if a.size else -1}')")
read -r nframes maxdiff <<<"$same"
if [ "$NVF" != "$VF" ] && [ "${nframes:-0}" -gt 0 ] && [ "$maxdiff" = 0 ] && ! grep -q 'faceswap frei0r' "$work/norm.err"; then
    ok "detect_interval 0.004004 (frei0r's scale) = 5 frames: $nframes frames identical"
else cat "$work/norm.err"; bad "detect_interval 0.004004 vs 5: $nframes frames, max diff $maxdiff"; fi

# ---- the same frames as the CLI --------------------------------------------------------------
cli=$work/cli.mp4
if "$CLI" video --source "$SOURCE" --input "$CLIP" -o "$cli" --crf 0 --quiet "${CLI_OPTS[@]}" \
    2>"$work/cli.err"; then
    "$FFMPEG" -nostdin -v info -i "$cli" -i "$plug" -lavfi "[0:v][1:v]psnr=stats_file=$work/psnr.log" \
        -f null - 2>"$work/psnr.err"
    summary=$(grep -o 'PSNR y:.*' "$work/psnr.err" | tail -1)
    avg=$(sed -n 's/.*average:\([0-9.inf]*\).*/\1/p' <<<"$summary")
    min=$(sed -n 's/.*min:\([0-9.inf]*\).*/\1/p' <<<"$summary")
    n=$(wc -l <"$work/psnr.log")
    echo "plugin vs CLI: $summary ($n frames)"
    if [ -n "$min" ] && [ "$n" = "$IN_FRAMES" ] && "$PY" -c "import sys; sys.exit(0 if float('$min') >= 35 else 1)"; then
        ok "plugin = CLI: PSNR average $avg dB, worst frame $min dB (>= 35) over $n frames"
    else bad "plugin != CLI: PSNR average ${avg:-?} dB, worst frame ${min:-?} dB over $n frames (need >= 35)"; fi
else
    cat "$work/cli.err"
    bad "faceswap-cli video failed"
fi

# ---- occlusion, edge_color, skin_texture (parameters 11-13) reach the library: the plugin = the CLI ---
# The first second with all on, against `faceswap video --keep-occluders --edge-color 1 --skin-texture
# 1`; and they change the frames (else the comparison would not show the parameters were used).
OVF=${VF/"|$FPS,crop"/"|$FPS|n|0|y|1|1,crop"}
"$FFMPEG" -nostdin -v error -y -i "$CLIP" -t 1 -c:v ffv1 -an "$work/occl_in.mkv" # lossless: the same frames
"$FFMPEG" -nostdin -v error -y -i "$work/occl_in.mkv" -vf "$OVF" -c:v libx264 -qp 0 -preset veryfast -an \
    "$work/occl.mp4" 2>"$work/occl.err"
if [ "$OVF" != "$VF" ] && "$CLI" video --source "$SOURCE" --input "$work/occl_in.mkv" -o "$work/occl_cli.mp4" --crf 0 \
    --quiet "${CLI_OPTS[@]}" --keep-occluders --edge-color 1 --skin-texture 1 2>"$work/occl_cli.err"; then
    read -r n_o min_o d_plain <<<"$("$PY" - "$work" "$W" "$H" <<'PY'
import subprocess, sys
import numpy as np
work, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def frames(p):
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", p, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3).astype(np.float64)
a, b, plain = frames(f"{work}/occl.mp4"), frames(f"{work}/occl_cli.mp4"), frames(f"{work}/plugin.mp4")
n = min(len(a), len(b))
psnr = [10 * np.log10(255 ** 2 / max(np.mean((a[i] - b[i]) ** 2), 1e-12)) for i in range(n)]
print(n, f"{min(psnr):.1f}", f"{np.abs(a[:n] - plain[:n]).max():.0f}")
PY
)"
    if [ "${n_o:-0}" -gt 0 ] && "$PY" -c "import sys; sys.exit(0 if float('$min_o') >= 35 and float('$d_plain') > 0 else 1)" &&
        ! grep -q 'faceswap frei0r' "$work/occl.err"; then
        ok "occlusion y, edge_color 1, skin_texture 1: plugin = CLI --keep-occluders --edge-color 1 --skin-texture 1, worst frame $min_o dB over $n_o frames; differs from the plain run (max |diff| $d_plain)"
    else cat "$work/occl.err"; bad "occlusion/edge_color/skin_texture: $n_o frames, worst PSNR ${min_o:-?} dB vs the CLI (need >= 35), max |diff| from the plain run ${d_plain:-?} (need > 0)"; fi
else cat "$work/occl_cli.err"; bad "faceswap-cli video --keep-occluders --edge-color 1 --skin-texture 1 failed"; fi

# ---- learned models as the source: the plugin = `faceswap video --model` ---------------------------
# Tiny models (2 iterations): an autoencoder (.fsm) and a landmark GAN (.fsg, issue 19). What
# matters here is that both paths convert identically.
model_check() {   # model_check KIND PATH
    local kind=$1 model=$2 rc mmin inavg
    mclip=(-nostdin -v error -y -i "$CLIP" -t 2)
    MVF="scale=flags=bilinear+accurate_rnd+full_chroma_int,format=rgba,pad=ceil(iw/16)*16:ih,frei0r=filter_name=faceswap:filter_params=$model|delaunay|multiband|reinhard|0.5|5|y|auto|$FPS,crop=$W:$H:0:0,scale=flags=bilinear+accurate_rnd,format=yuv420p"
    "$FFMPEG" "${mclip[@]}" -vf "$MVF" -c:v libx264 -qp 0 -preset veryfast -an "$work/mplug.mp4" 2>"$work/mplug.err"
    rc=$?
    "$FFMPEG" "${mclip[@]}" -c:v libx264 -qp 0 -preset veryfast -an "$work/mclip.mp4" 2>/dev/null
    if [ $rc -eq 0 ] && ! grep -q 'faceswap frei0r' "$work/mplug.err" &&
        "$CLI" video --model "$model" --input "$work/mclip.mp4" -o "$work/mcli.mp4" --crf 0 --quiet \
            "${CLI_OPTS[@]}" 2>"$work/mcli.err"; then
        "$FFMPEG" -nostdin -v info -i "$work/mcli.mp4" -i "$work/mplug.mp4" -lavfi "[0:v][1:v]psnr" -f null - \
            2>"$work/mpsnr.err"
        "$FFMPEG" -nostdin -v info -i "$work/mclip.mp4" -i "$work/mplug.mp4" -lavfi "[0:v][1:v]psnr" -f null - \
            2>"$work/mpsnr_in.err"
        mmin=$(grep -o 'PSNR y:.*' "$work/mpsnr.err" | tail -1 | sed -n 's/.*min:\([0-9.inf]*\).*/\1/p')
        inavg=$(grep -o 'PSNR y:.*' "$work/mpsnr_in.err" | tail -1 | sed -n 's/.*average:\([0-9.inf]*\).*/\1/p')
        if [ -n "$mmin" ] && "$PY" -c "import sys; sys.exit(0 if float('$mmin') >= 35 and float('$inavg') < 60 else 1)"; then
            ok "$kind through the plugin = faceswap video --model: worst frame $mmin dB; vs the input $inavg dB (changed)"
        else bad "$kind: plugin vs CLI worst frame ${mmin:-?} dB, vs input ${inavg:-?} dB"; fi
    else
        cat "$work/mplug.err" "$work/mcli.err" 2>/dev/null
        bad "$kind: the plugin (exit $rc) or faceswap video --model failed"
    fi
}
if "$CLI" extract "$CLIP" -o "$work/fa" --every 10 --quiet 2>"$work/fa.err" &&
    "$CLI" extract "$DATA/videos/vr_face2.mp4" -o "$work/fb" --every 10 --quiet 2>"$work/fb.err" &&
    "$CLI" train --faces-a "$work/fa" --faces-b "$work/fb" --model "$work/m.fsm" --iterations 2 --batch 2 \
        --quiet 2>"$work/train.err" &&
    "$CLI" train-gan --faces-b "$work/fb" --model "$work/g.fsg" --iterations 2 --batch 2 \
        --quiet 2>"$work/train_gan.err"; then
    model_check "learned model (.fsm, autoencoder)" "$work/m.fsm"
    model_check "landmark GAN model (.fsg)" "$work/g.fsg"
else
    cat "$work/fa.err" "$work/fb.err" "$work/train.err" "$work/train_gan.err" 2>/dev/null
    bad "could not extract/train the tiny models for the plugin check"
fi

# ---- errors: pass-through, exit 0, one line ------------------------------------------------------
short=(-nostdin -v error -y -i "$CLIP" -t 1)
"$FFMPEG" "${short[@]}" -vf "pad=ceil(iw/16)*16:ih,frei0r=filter_name=faceswap:filter_params=$work/missing.jpg,crop=$W:$H:0:0" \
    -c:v libx264 -qp 0 -preset ultrafast -an "$work/missing.mp4" 2>"$work/missing.err"
rc=$?
lines=$(grep -c 'faceswap frei0r' "$work/missing.err")
if [ $rc -eq 0 ] && [ "$lines" = 1 ] && grep -q "cannot load source '$work/missing.jpg'" "$work/missing.err"; then
    ok "missing source: exit 0, one line: $(grep 'faceswap frei0r' "$work/missing.err")"
else cat "$work/missing.err"; bad "missing source: exit $rc, $lines lines from the plugin"; fi
# an unknown name and a value out of the library's range: the library's message, once
for case in "unknown blend:$SOURCE||paste:fs_enum_parse: unknown blend mode 'paste': use alpha, poisson, multiband, poisson-exact" \
    "detect interval 5000:$SOURCE||||0.5|5000:detect_interval 5000 is outside 1–1000"; do
    what=${case%%:*} rest=${case#*:}
    params=${rest%%:*} want=${rest#*:}
    "$FFMPEG" "${short[@]}" -vf "pad=ceil(iw/16)*16:ih,frei0r=filter_name=faceswap:filter_params=$params,crop=$W:$H:0:0" \
        -f null - 2>"$work/bad.err"
    rc=$?
    lines=$(grep -c 'faceswap frei0r' "$work/bad.err")
    if [ $rc -eq 0 ] && [ "$lines" = 1 ] && grep -qF "$want" "$work/bad.err"; then
        ok "$what: exit 0, one line: $(grep 'faceswap frei0r' "$work/bad.err")"
    else cat "$work/bad.err"; bad "$what: exit $rc, $lines lines from the plugin (want one with: $want)"; fi
done
"$FFMPEG" "${short[@]}" -an -f rawvideo -pix_fmt rgb24 - 2>/dev/null >"$work/short_in.rgb"
raw "$work/missing.mp4" >"$work/short_out.rgb"
diff=$("$PY" -c "
import numpy as np
a = np.fromfile('$work/short_in.rgb', np.uint8).astype(int); b = np.fromfile('$work/short_out.rgb', np.uint8).astype(int)
print(f'{np.abs(a - b).mean():.3f}' if a.size == b.size and a.size else 'size')")
if [ "$diff" != size ] && "$PY" -c "import sys; sys.exit(0 if $diff < 1.5 else 1)"; then
    ok "missing source: frames pass through (mean |diff| $diff, colour conversion only)"
else bad "missing source: frames changed (mean |diff| $diff)"; fi

if [ $((W % 16)) -ne 0 ]; then
    "$FFMPEG" "${short[@]}" -vf "frei0r=filter_name=faceswap:filter_params=$SOURCE" -f null - 2>"$work/pad.err"
    rc=$?
    lines=$(grep -c 'faceswap frei0r' "$work/pad.err")
    ver=$("$FFMPEG" -version | head -1 | awk '{print $3}')
    if grep -q 'pads the rows' "$work/pad.err"; then
        if [ $rc -eq 0 ] && [ "$lines" = 1 ]; then ok "ffmpeg $ver pads ${W}-pixel rows: exit 0, one line naming the fix"
        else bad "padded rows: exit $rc, $lines lines"; fi
    elif [ $rc -eq 0 ] && [ "$lines" = 0 ]; then
        ok "ffmpeg $ver hands frei0r unpadded ${W}-pixel rows: no warning needed"
    else cat "$work/pad.err"; bad "unpadded width: exit $rc, $lines lines"; fi
fi

finish
