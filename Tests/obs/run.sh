#!/usr/bin/env bash
# Tests/obs/run.sh — the OBS Studio filter "Face swap" (bindings/obs) inside the real libobs.
#
# Headless: the script runs itself under xvfb-run, and libobs renders with libobs-opengl on
# Mesa's llvmpipe. Tests/obs/harness.c drives libobs (see its top comment for how frames are
# fed and seen: the filter between two probe filters in libobs's own async-filter chain, on
# libobs's graphics thread); Tests/obs/compare.py checks the pixels. Checks:
#   1. the module loads (obs_open_module + obs_init_module), registers "faceswap_filter" as an
#      async video filter named from its locale, and its defaults, lists and ranges are the
#      library's own (fs_option_find / fs_enum_value_at called by the harness directly);
#   2. vr_face3 (590x590, 125 frames) as I420 frames, as a camera plug-in outputs them: the
#      probe before the filter sees the input bytes; frames change inside the face and stay
#      bit-identical away from it; they match `faceswap-cli video` with the same settings
#      (Y PSNR >= 35 dB on every frame in the face box, see compare.py for why that bound); the
#      rendered program output (read back from the GPU) shows the filtered face;
#   3. the same frames as NV12 equal the I420 run byte for byte; as RGBA (swapped in place) they
#      equal libfaceswap's own stream run by the harness through the C API, byte for byte, and
#      BGRA, BGRX and BGR3 equal RGBA; as I422, I444, YUY2, UYVY, YVYU their Y planes equal the
#      I420 run's, and they (and Y800) change in the face only;
#   4. changing a setting mid-stream rebuilds the stream (frames before unchanged, after differ);
#      learned models (a tiny autoencoder .fsm and landmark GAN .fsg, trained here) as the source
#      match `faceswap video --model` within the same bound;
#   5. Debian's media source (obs-ffmpeg's "ffmpeg_source") playing the H.264 clip in real time:
#      its frame format (I420), every filtered frame is a frame of the clip, in order, swapped;
#      equal to the CLI's within the same bound until OBS drops a frame (under load it drops
#      many, and the tracker's history then differs), and after that nearer the CLI's swap of
#      the frame than the input's face is (by >= 3 dB in the face box);
#   6. bad settings (missing photo, a photo without a face, an unknown blend name, a detect
#      interval out of range) and an unsupported frame format (P010): frames pass through
#      untouched, one warning in OBS's log with the library's message, the status says so; no
#      source: frames pass through, status says what to do;
#   7. 1280x720 I420 frames: the filter's time per frame (mean, p50/p90/p99/max) reported, with
#      the smallest face at 160 px and at the default 80; not asserted (speed is measured by
#      make bench: a test shares its two cores with whatever else runs);
#   8. `make install-obs` (PREFIX layout) and `make install-obs-user` (~/.config/obs-studio/
#      plugins) put the module where libobs's own module search finds it, with its locale.
#
# Environment: FACESWAP_DATA (test data), FACESWAP_LIBDIR (libfaceswap.so), FACESWAP_CLI,
# PYTHON, CC, VERBOSE=1 (OBS's log on stderr), KEEP=1 (keep the work folder).
# Prints "obs: N passed, M failed" last; exits non-zero when a check fails.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
if [ -z "${FS_OBS_UNDER_XVFB:-}" ]; then
    command -v xvfb-run >/dev/null || { echo "FAIL - no xvfb-run: apt-get install xvfb xauth"; echo "obs: 0 passed, 1 failed"; exit 1; }
    FS_OBS_UNDER_XVFB=1 exec xvfb-run -a -s "-screen 0 1280x720x24" bash "$0" "$@"
fi

DATA=${FACESWAP_DATA:-$repo/Tests/data}
LIBDIR=${FACESWAP_LIBDIR:-$repo/.build/release}
CLI=${FACESWAP_CLI:-$LIBDIR/faceswap-cli}
PY=${PYTHON:-python3}
CC=${CC:-cc}
SOURCE=$repo/samples/source.jpg
CLIP=$DATA/videos/vr_face3.mp4
CLIP720=$DATA/videos/vr_face4.mp4
MODULE=$repo/.build/obs/faceswap-obs.so
MODDATA=$repo/bindings/obs/data

passed=0
failed=0
ok() { echo "ok   - $*"; passed=$((passed + 1)); }
bad() { echo "FAIL - $*"; failed=$((failed + 1)); }
finish() {
    echo "obs: $passed passed, $failed failed ($(($(date +%s) - started)) s)"
    [ "$failed" -eq 0 ]
    exit $?
}
die() { bad "$*"; finish; }
started=$(date +%s)

# Runs a command that prints ok/FAIL lines itself, and counts them; a command that fails
# without saying why is a failure too.
counted() {
    "$@" >"$work/out.txt" 2>"$work/err.txt"
    local rc=$? p f
    cat "$work/out.txt"
    p=$(grep -c '^ok   - ' "$work/out.txt")
    f=$(grep -c '^FAIL - ' "$work/out.txt")
    passed=$((passed + p))
    failed=$((failed + f))
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
        tail -5 "$work/err.txt"
        bad "$(basename "$1") $2 exited $rc"
    fi
    return $rc
}

pkg-config --exists libobs || die "libobs not found by pkg-config: apt-get install libobs-dev"
OBS_PLUGINS=$(pkg-config --variable=libdir libobs)/obs-plugins
[ -f "$OBS_PLUGINS/obs-ffmpeg.so" ] || die "no $OBS_PLUGINS/obs-ffmpeg.so (the media source): apt-get install obs-studio"
command -v ffmpeg >/dev/null || die "no ffmpeg on PATH: apt-get install ffmpeg"
[ -x "$CLI" ] || die "no CLI at $CLI: make build"
[ -f "$CLIP" ] && [ -f "$CLIP720" ] || die "no clips in $DATA/videos (set FACESWAP_DATA)"
"$PY" -c 'import numpy' 2>/dev/null || die "$PY has no numpy: pip install numpy"

work=$(mktemp -d /tmp/faceswap-obs.XXXXXX)
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; else echo "work folder: $work"; fi
compare() { counted "$PY" "$here/compare.py" "$@"; }

# ---- build the module and the harness --------------------------------------------------------------
if make -s -C "$repo" obs BUILD="$LIBDIR" >"$work/build.log" 2>&1 && [ -f "$MODULE" ]; then
    ok "built $MODULE"
else cat "$work/build.log"; die "the module did not build"; fi
if "$CC" -std=gnu11 -O2 -Wall -Wextra "$here/harness.c" -I"$repo/include" $(pkg-config --cflags libobs) \
    -L"$LIBDIR" -lfaceswap -Wl,-rpath,"$LIBDIR" $(pkg-config --libs libobs) -lX11 -lpthread -lm \
    -o "$work/harness" 2>"$work/harness.log"; then ok "built the harness"
else cat "$work/harness.log"; die "the harness did not build"; fi
H=$work/harness
common=(module="$MODULE" data="$MODDATA")

# ---- inputs: decoded frames, the face's place, the CLI's run ----------------------------------------
W=590 HT=590 N=125 FPS=25
ffmpeg -nostdin -v error -y -i "$CLIP" -f rawvideo -pix_fmt yuv420p "$work/clip.yuv" &&
    ffmpeg -nostdin -v error -y -i "$CLIP" -f rawvideo -pix_fmt rgba "$work/clip.rgba" &&
    ffmpeg -nostdin -v error -y -i "$CLIP" -frames:v 1 "$work/first.png" &&
    "$CLI" detect "$work/first.png" --json >"$work/face.json" || die "cannot decode $CLIP or find its face"
[ "$(($(stat -c %s "$work/clip.yuv") / (W * HT * 3 / 2)))" = "$N" ] || die "$CLIP is not $N frames of ${W}x$HT"
# the CLI with the filter's settings below (the library's defaults otherwise), lossless
if "$CLI" video --source "$SOURCE" --input "$CLIP" -o "$work/cli.mp4" --crf 0 --quiet --mode delaunay \
    --blend multiband --color reinhard --expression 0.5 --detect-every 5 2>"$work/cli.err"; then
    ffmpeg -nostdin -v error -y -i "$work/cli.mp4" -f rawvideo -pix_fmt yuv420p "$work/cli.yuv"
else cat "$work/cli.err"; die "faceswap-cli video failed"; fi
settings=(set:source="$SOURCE" set:mode=delaunay set:blend=multiband set:color=reinhard set:expression=0.5
    set:detect_interval=5)
run() { counted "$H" run "${common[@]}" size=${W}x$HT fps=$FPS "$@"; }
bytes() { stat -c %s "$1"; }

# ---- 1. the module, its type, its properties -----------------------------------------------------------
counted "$H" describe "${common[@]}"

# ---- 2. I420, as a camera outputs it ----------------------------------------------------------------------
run input="$work/clip.yuv" informat=i420 frames=$N format=i420 in="$work/i420.in" out="$work/i420.out" \
    timing="$work/i420.timing" render=10,60,110 render_out="$work/i420.render" log="$work/i420.log" "${settings[@]}"
if cmp -s "$work/i420.in" "$work/clip.yuv"; then ok "the probe before the filter saw the input's bytes (chain order)"
else bad "the probe before the filter did not see the input's bytes"; fi
compare region i420 $W $HT "$work/clip.yuv" "$work/i420.out" "$work/face.json"
compare psnr $W $HT "$work/i420.out" "$work/cli.yuv" "$work/clip.yuv" "$work/face.json"
compare render $W $HT "$work/i420.render" "$work/i420.out" "$work/clip.yuv" 10,60,110 "$work/face.json"
compare timing "$work/i420.timing" "I420 ${W}x$HT"
warnings=$(grep -c '^200: \[faceswap\]' "$work/i420.log")
if [ "$warnings" = 0 ]; then ok "no warning from the filter in OBS's log"
else bad "the filter warned: $(grep '^200: \[faceswap\]' "$work/i420.log" | head -2)"; fi

# ---- 3. NV12, RGBA (in place, against the C API), BGRA, BGRX ----------------------------------------------
fs420=$((W * HT * 3 / 2)) fs4=$((W * HT * 4)) M=40
run input="$work/clip.yuv" informat=i420 frames=$M format=nv12 out="$work/nv12.out" "${settings[@]}"
head -c $((M * fs420)) "$work/i420.out" >"$work/i420.first"
compare same $W $HT i420 "$work/i420.first" nv12 "$work/nv12.out" "NV12 = I420"
run input="$work/clip.rgba" informat=rgba frames=$N format=rgba out="$work/rgba.out" "${settings[@]}"
counted "$H" reference input="$work/clip.rgba" size=${W}x$HT frames=$N fps=$FPS out="$work/rgba.ref" source="$SOURCE" \
    mode=delaunay blend=multiband color=reinhard expression=0.5 detect_interval=5
compare same $W $HT rgba "$work/rgba.ref" rgba "$work/rgba.out" "RGBA in place = libfaceswap's stream through the C API"
compare region rgba $W $HT "$work/clip.rgba" "$work/rgba.out" "$work/face.json"
head -c $((M * fs4)) "$work/rgba.out" >"$work/rgba.first"
for f in bgra bgrx bgr3; do
    run input="$work/clip.rgba" informat=rgba frames=$M format=$f out="$work/$f.out" "${settings[@]}"
    compare same $W $HT rgba "$work/rgba.first" $f "$work/$f.out" "${f^^} = RGBA"
done
# the other YUV layouts, made from the I420 frames (chroma repeated over its 2x2 block: the filter
# sees the same colours): luma is written per pixel from the same swap, so Y equals the I420 run's;
# chroma is written per sample of each layout; grey (Y800) is swapped as grey
Q=20
head -c $((Q * fs420)) "$work/i420.out" >"$work/i420.q"
for f in i422 i444 yuy2 uyvy yvyu y800; do
    run input="$work/clip.yuv" informat=i420 frames=$Q format=$f in="$work/$f.in" out="$work/$f.out" "${settings[@]}"
    [ $f != y800 ] && compare luma $W $HT i420 "$work/i420.q" $f "$work/$f.out" "${f^^}"
    compare region $f $W $HT "$work/$f.in" "$work/$f.out" "$work/face.json"
done

# ---- 4. a setting changed mid-stream ------------------------------------------------------------------------
K=20
run input="$work/clip.yuv" informat=i420 frames=$M format=i420 out="$work/change.out" change_at=$K change:blend=alpha \
    "${settings[@]}"
head -c $((K * fs420)) "$work/change.out" >"$work/change.before"
head -c $((K * fs420)) "$work/i420.out" >"$work/i420.before"
if cmp -s "$work/change.before" "$work/i420.before"; then ok "before the change (blend alpha at frame $K): the same frames"
else bad "frames before the settings change differ from the unchanged run"; fi
differ=$("$PY" -c "
import numpy as np
f = $fs420
a = np.fromfile('$work/change.out', np.uint8)[$K * f:].reshape(-1, f)
b = np.fromfile('$work/i420.out', np.uint8)[$K * f:$M * f].reshape(-1, f)
print(sum(int((x != y).any()) for x, y in zip(a, b)), len(a))")
read -r nd na <<<"$differ"
if [ "${na:-0}" = $((M - K)) ] && [ "$nd" = "$na" ]; then ok "after it: all $na frames differ (the new stream swaps with alpha blending)"
else bad "after the settings change ${nd:-?} of ${na:-?} frames differ"; fi

# ---- 4b. learned models (.fsm, .fsg) as the source: the filter = `faceswap video --model` ----------------
# Tiny models (2 iterations): what matters is that both paths convert with them alike.
L=30
if "$CLI" extract "$CLIP" -o "$work/fa" --every 10 --quiet 2>"$work/fa.err" &&
    "$CLI" extract "$DATA/videos/vr_face2.mp4" -o "$work/fb" --every 10 --quiet 2>"$work/fb.err" &&
    "$CLI" train --faces-a "$work/fa" --faces-b "$work/fb" --model "$work/m.fsm" --iterations 2 --batch 2 \
        --quiet 2>"$work/train.err" &&
    "$CLI" train-gan --faces-b "$work/fb" --model "$work/g.fsg" --iterations 2 --batch 2 \
        --quiet 2>>"$work/train.err" &&
    ffmpeg -nostdin -v error -y -i "$CLIP" -frames:v $L -c:v libx264 -qp 0 -preset ultrafast -an "$work/m.mp4"; then
    for model in "$work/m.fsm" "$work/g.fsg"; do  # an autoencoder, a landmark GAN
        if "$CLI" video --model "$model" --input "$work/m.mp4" -o "$work/mcli.mp4" --crf 0 --quiet --mode delaunay \
            --blend multiband --color reinhard --expression 0.5 --detect-every 5 2>"$work/mcli.err"; then
            ffmpeg -nostdin -v error -y -i "$work/mcli.mp4" -f rawvideo -pix_fmt yuv420p "$work/mcli.yuv"
            msettings=("${settings[@]}")
            msettings[0]=set:source="$model"
            run input="$work/clip.yuv" informat=i420 frames=$L format=i420 out="$work/model.out" "${msettings[@]}"
            compare psnr $W $HT "$work/model.out" "$work/mcli.yuv" "$work/clip.yuv" "$work/face.json"
        else cat "$work/mcli.err"; bad "faceswap video --model $(basename "$model") failed"; fi
    done
else
    cat "$work/fa.err" "$work/fb.err" "$work/train.err" 2>/dev/null
    bad "could not make the tiny learned models"
fi

# ---- 5. Debian's media source ------------------------------------------------------------------------------
counted "$H" media "${common[@]}" plugins="$OBS_PLUGINS" clip="$CLIP" size=${W}x$HT in="$work/media.in" \
    out="$work/media.out" meta="$work/media.meta" log="$work/media.log" "${settings[@]}"
compare media $W $HT "$work/media.in" "$work/media.out" "$work/media.meta" "$work/clip.yuv" "$work/cli.yuv" "$work/face.json"

# ---- 6. bad settings, no source, an unsupported format: pass-through, one line, a status ---------------------
S=10
# name : frame format : settings : expected status : the warning's text (empty: no warning)
cases=(
    "missing photo|i420|set:source=$work/missing.jpg|error|cannot load source '$work/missing.jpg': fs_image_load: cannot open"
    "photo without a face|i420|set:source=$DATA/faces/dlib_dogs_noface.jpg|error|cannot use source '$DATA/faces/dlib_dogs_noface.jpg'"
    "unknown blend name|i420|set:source=$SOURCE set:blend=paste|error|setting 'blend': fs_enum_parse: unknown blend mode 'paste'"
    "detect interval 5000|i420|set:source=$SOURCE set:detect_interval=5000|error|detect_interval 5000 is outside"
    "P010 frames|p010|set:source=$SOURCE|ready|frames in P010 format pass through untouched"
    "no source|i420||info|"
)
for c in "${cases[@]}"; do
    IFS='|' read -r what fmt sets expect want <<<"$c"
    # shellcheck disable=SC2086
    run input="$work/clip.yuv" informat=i420 frames=$S format=$fmt in="$work/bad.in" out="$work/bad.out" \
        log="$work/bad.log" expect=$expect $sets
    grep '^200: \[faceswap\]' "$work/bad.log" >"$work/bad.warnings"
    lines=$(wc -l <"$work/bad.warnings")
    if cmp -s "$work/bad.in" "$work/bad.out" && [ "$(bytes "$work/bad.out")" -gt 0 ]; then
        ok "$what: $S frames pass through untouched"
    else bad "$what: frames changed or missing"; fi
    if [ -z "$want" ] && [ "$lines" = 0 ]; then
        ok "$what: no warning in OBS's log ($(grep -o 'no source photo[^(]*' "$work/bad.log" | head -1))"
    elif [ -n "$want" ] && [ "$lines" = 1 ] && grep -qF "$want" "$work/bad.warnings"; then
        ok "$what: one warning in OBS's log: $(cut -c6- "$work/bad.warnings")"
    else cat "$work/bad.warnings"; bad "$what: $lines warnings, want one with: $want"; fi
done

# ---- 7. 720p: time per frame -----------------------------------------------------------------------------------
N7=90
ffmpeg -nostdin -v error -y -i "$CLIP720" -frames:v $N7 -vf "scale=720:720,pad=1280:720:280:0" -f rawvideo \
    -pix_fmt yuv420p "$work/720p.yuv" || die "cannot make the 720p frames"
for mf in 160 80; do
    counted "$H" run "${common[@]}" size=1280x720 fps=30 input="$work/720p.yuv" informat=i420 frames=$N7 format=i420 \
        out="$work/720p.out" timing="$work/720p.$mf.timing" set:source="$SOURCE" set:min_face_size=$mf
done
compare timing "$work/720p.160.timing" "I420 1280x720, smallest face 160 px"
compare timing "$work/720p.80.timing" "I420 1280x720, smallest face 80 px (the default)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

# ---- 8. installed layouts: libobs's module search finds the module and its locale -------------------------------
if make -s -C "$repo" obs-install-files BUILD="$LIBDIR" DESTDIR="$work/root" PREFIX=/usr/local >"$work/inst.log" 2>&1 &&
    [ -f "$work/root/usr/local/lib/obs-plugins/faceswap-obs.so" ] &&
    [ -f "$work/root/usr/local/share/obs/obs-plugins/faceswap-obs/locale/en-US.ini" ]; then
    ok "make install-obs: lib/obs-plugins/faceswap-obs.so and share/obs/obs-plugins/faceswap-obs/locale"
else cat "$work/inst.log"; bad "make install-obs did not install the module and its locale"; fi
LD_LIBRARY_PATH=$LIBDIR counted "$H" layout bin="$work/root/usr/local/lib/obs-plugins" \
    data="$work/root/usr/local/share/obs/obs-plugins/%module%"
if make -s -C "$repo" install-obs-user BUILD="$LIBDIR" HOME="$work/home" >"$work/user.log" 2>&1; then
    ok "make install-obs-user: $(cd "$work/home" && find .config -type f | sort | tr '\n' ' ')"
else cat "$work/user.log"; bad "make install-obs-user failed"; fi
LD_LIBRARY_PATH=$LIBDIR counted "$H" layout bin="$work/home/.config/obs-studio/plugins/%module%/bin/64bit" \
    data="$work/home/.config/obs-studio/plugins/%module%/data"

finish
