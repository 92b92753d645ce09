#!/usr/bin/env bash
# Tests/gstreamer/run.sh — libfaceswap inside GStreamer and MLT, in real pipelines.
#
#   1. builds the native element (.build/gstreamer/libgstfaceswap.so) and the frei0r plugin;
#      gst-inspect-1.0 lists the element with typed properties whose ranges, defaults and names
#      are the library's (checked against `faceswap-cli --help`, which prints the same table);
#   2. the native element over a lossless clip: EOS reached (gst-launch -e, exit 0), frame count
#      = ffprobe's, faces changed, every sample away from the face bit-identical, and the frames
#      identical to `faceswap-cli video` with the same settings (see "tolerance" below);
#      a learned model (.fsm autoencoder, .fsg landmark GAN) as the source gives the frames of
#      `faceswap-cli video --model`;
#   3. GStreamer's frei0r wrapper (frei0r-filter-faceswap) over the same clip: its numbers are
#      0..1 (detect-interval 3 frames must be written 0.002002), and then identical frames;
#   4. every format of the element's caps (BGR, RGB, BGRx, RGBx, BGRA, RGBA direct; I420, NV12
#      through one BGR conversion): faces changed, away from them bit-identical;
#      the decoder's padded buffers (GstVideoMeta strides) give the same frames as packed ones;
#   5. a caps change mid-stream (concat: BGR 576x576, then NV12 400x400): both swapped;
#   6. a clip with no face passes through bit-exact (BGR and I420); bad settings stop the
#      pipeline with the library's message and a non-zero exit (gst-launch: 255 when the pipeline
#      cannot start), no crash (no signal); a property set while playing applies from the next
#      frame (Tests/gstreamer/change.c), a refused one stops the pipeline with the message; a live pipeline's
#      LATENCY query is answered and the element adds 0 (it holds no frame back);
#   7. `make install-gstreamer` (part of `make install`; staged with DESTDIR) puts the element in
#      lib/gstreamer-1.0, where GST_PLUGIN_PATH finds it, linked to $PREFIX/lib's library;
#   8. MLT: melt with -filter frei0r.faceswap (FREI0R_PATH): faces changed, frame count kept.
#
# Tolerance: 0. The clip is lossless RGB (FFV1), so GStreamer and the CLI's decoder hand the
# library the same BGR pixels (checked first); the library is deterministic (threads do not
# change a frame); the CLI writes yuv420p H.264 at crf 0 (lossless in YUV), so the element's
# BGR frames are put through the writer's conversion and must then be byte-identical. The writer
# converts by its own code on AVX2 builds (frames.py to-yuv420p does the same) and by swscale
# (bilinear, one slice: ffmpeg -filter_threads 1) on portable ones: the element's frames are
# converted both ways, and the CLI's must equal one of them. Any difference is a real one.
#
# Environment: FACESWAP_DATA (default <repo>/Tests/data), KEEP=1 keeps the work folder.
# Prints "gstreamer: N passed, M failed" last; exits non-zero when a check fails.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
DATA=${FACESWAP_DATA:-$repo/Tests/data}
CLI=$repo/.build/release/faceswap-cli
PY=${PYTHON:-python3}
SOURCE=$repo/samples/source.jpg
NOFACE=$DATA/faces/dlib_dogs_noface.jpg   # four dogs, no human face (MANIFEST: 0 HOG detections)
CLIP=$DATA/videos/vr_face3.mp4            # a face in all 125 frames (MANIFEST)

passed=0
failed=0
ok() { echo "ok   - $*"; passed=$((passed + 1)); }
bad() { echo "FAIL - $*"; failed=$((failed + 1)); }
finish() {
    echo "gstreamer: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}
die() { bad "$*"; finish; }

for tool in gst-launch-1.0:gstreamer1.0-tools gst-inspect-1.0:gstreamer1.0-tools ffmpeg:ffmpeg \
    ffprobe:ffmpeg melt:melt pkg-config:pkg-config; do
    command -v "${tool%%:*}" >/dev/null || die "no ${tool%%:*} on PATH (apt-get install ${tool#*:})"
done
[ -x "$CLI" ] || die "no CLI at $CLI (make build)"
[ -f "$CLIP" ] && [ -f "$NOFACE" ] || die "no test data in $DATA (set FACESWAP_DATA)"
"$PY" -c 'import numpy' 2>/dev/null || die "$PY has no numpy (pip install numpy)"

work=$(mktemp -d /tmp/faceswap-gstreamer.XXXXXX)
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; else echo "work folder: $work"; fi
frames() { "$PY" "$here/frames.py" "$@"; }
# as_cli CLI_YUV ELEMENT_BGR: "frames differing_frames max_diff conversion" of the CLI's I420 frames
# against the element's BGR frames put through the writer's conversion (see "Tolerance" above):
# its own (AVX2 builds) first, then swscale's (portable builds).
as_cli() {
    local n d m
    frames to-yuv420p "$2" $W $H "$2.own.yuv"
    read -r n d m <<<"$(frames same "$1" "$2.own.yuv" $((W * H * 3 / 2)))"
    if [ "$d" = 0 ]; then echo "$n 0 $m own"; return; fi
    ffmpeg -nostdin -v error -filter_threads 1 -f rawvideo -pix_fmt bgr24 -s ${W}x$H -i "$2" \
        -sws_flags bilinear -f rawvideo -pix_fmt yuv420p "$2.sws.yuv"
    read -r n d m <<<"$(frames same "$1" "$2.sws.yuv" $((W * H * 3 / 2)))"
    echo "$n $d $m swscale"
}
count_frames() { ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$1"; }

# ---- 1. build, find, inspect ------------------------------------------------------------------
if make -s -C "$repo" .build/gstreamer/libgstfaceswap.so >"$work/build.log" 2>&1 &&
    make -s -C "$repo/bindings/frei0r" >>"$work/build.log" 2>&1; then
    ok "built .build/gstreamer/libgstfaceswap.so and .build/frei0r/faceswap.so"
else
    cat "$work/build.log"
    die "the element or the frei0r plugin did not build"
fi
export GST_PLUGIN_PATH=$repo/.build/gstreamer
export FREI0R_PATH=$repo/.build/frei0r
export GST_REGISTRY=$work/registry.bin # a private registry: scanned afresh, the user's untouched
# -e: EOS on the way out, so sinks finish their files; -f: no fault handler, so a crash ends the
# process with its signal (instead of gst-launch waiting for a debugger); a hang ends after 120 s
launch() { timeout 120 gst-launch-1.0 -f -e "$@"; }

if gst-inspect-1.0 faceswap >"$work/inspect.txt" 2>&1 && grep -q 'Filter/Effect/Video' "$work/inspect.txt"; then
    ok "gst-inspect-1.0 faceswap lists the element (GST_PLUGIN_PATH=.build/gstreamer)"
else cat "$work/inspect.txt"; bad "gst-inspect-1.0 faceswap does not find the element"; fi
# a property's type line, e.g. "Integer. Range: 1 - 1000 Default: 5"
prop() { sed -n "/^  $1 *:/,/^  [a-z]/p" "$work/inspect.txt" | grep -E 'Integer|Double|Boolean|Enum' | head -1 | tr -s ' ' | sed 's/^ //; s/ $//'; }
help_of() { "$CLI" "$1" --help 2>&1 | tr -s ' \n' ' '; }
# the CLI prints the library's table: "--detect-every N ... (default 5; 1–1000)", "--expression E ... default 0.6; 0–1"
di=$(help_of video | sed -n 's/.*--detect-every N[^(]*(default \([^;]*\); \([0-9]*\)–\([0-9]*\)).*/Integer. Range: \2 - \3 Default: \1/p')
ex=$(help_of swap | sed -n 's/.*--expression E.*; default \([^;]*\); \([0-9.]*\)–\([0-9.]*\) .*/\2 - \3 Default: \1/p')
got=$(prop detect-interval)
if [ -n "$di" ] && [[ "$got" == *"$di"* ]]; then ok "detect-interval: '$got' (the CLI: ${di#Integer. })"
else bad "detect-interval: '$got', the CLI's table says '$di'"; fi
got=$(prop expression)
if [ -n "$ex" ] && [[ "$got" == "Double. Range: "*" Default: "* ]] &&
    [ "$(echo "$got" | awk '{print $3+0, $5+0, $7+0}')" = "$(echo "$ex" | awk '{print $1+0, $3+0, $5+0}')" ]; then
    ok "expression: '$got' (the CLI: $ex)"
else bad "expression: '$got', the CLI's table says '$ex'"; fi
for p in mode color blend; do
    want=$(help_of swap | grep -o -- "--$p [a-z|-]*" | head -1 | sed "s/^--$p //")
    names=$(sed -n "/^  $p *:/,/^  [a-z]/p" "$work/inspect.txt" | sed -n 's/^ *([0-9]*): \([a-z-]*\) .*/\1/p' | paste -sd'|')
    if [ -n "$want" ] && [ "$names" = "$want" ] && [[ "$(prop "$p")" == "Enum \"GstFaceswap"* ]]; then
        ok "$p: $(prop "$p"), values $names (the CLI's names)"
    else bad "$p: enum values '$names', the CLI's names '$want' ($(prop "$p"))"; fi
done
for p in "face-index:Integer" "min-cutoff:Double" "keep-mouth:Boolean" "threads:Integer" "occlusion:Boolean" \
    "edge-color:Double" "skin-texture:Double"; do
    if [[ "$(prop "${p%%:*}")" == "${p#*:}"* ]]; then ok "${p%%:*}: $(prop "${p%%:*}")"
    else bad "${p%%:*}: '$(prop "${p%%:*}")', expected a ${p#*:} property"; fi
done

# ---- the clip: 50 frames of vr_face3, 576x576 (rows need no padding), lossless BGR -------------
W=576 H=576 N=50
ffmpeg -nostdin -v error -y -i "$CLIP" -frames:v $N -an -vf crop=$W:$H:7:7 -pix_fmt bgr0 -c:v ffv1 "$work/in.mkv" &&
    ffmpeg -nostdin -v error -y -i "$work/in.mkv" -frames:v 10 -c:v ffv1 "$work/in10.mkv" &&
    ffmpeg -nostdin -v error -y -i "$work/in.mkv" -frames:v 1 "$work/first.png" &&
    "$CLI" detect "$work/first.png" --json >"$work/face.json" || die "could not prepare the test clip"
IN_FRAMES=$(count_frames "$work/in.mkv")
[ "$IN_FRAMES" = $N ] || die "ffprobe counts $IN_FRAMES frames in the test clip, not $N"
DECODE="filesrc location=$work/in.mkv ! decodebin ! videoconvert"
ffmpeg -nostdin -v error -i "$work/in.mkv" -f rawvideo -pix_fmt bgr24 "$work/ffmpeg_in.bgr"
launch -q $DECODE ! video/x-raw,format=BGR ! filesink location="$work/in.bgr" >/dev/null 2>&1
read -r n diff maxd <<<"$(frames same "$work/in.bgr" "$work/ffmpeg_in.bgr" $((W * H * 3)))"
if [ "$diff" = 0 ] && [ "$n" = $N ]; then ok "GStreamer and ffmpeg decode the lossless clip to the same BGR ($n frames)"
else die "GStreamer and ffmpeg decode the clip differently ($n frames, $diff differ, max $maxd): no common ground truth"; fi

# ---- 2. the native element against faceswap-cli video ----------------------------------------
SETTINGS="detect-interval=3 expression=0.5"          # the same settings on every side
CLI_SETTINGS=(--detect-every 3 --expression 0.5)
start=$(date +%s.%N)
launch $DECODE ! video/x-raw,format=BGR ! faceswap source="$SOURCE" $SETTINGS ! filesink location="$work/native.bgr" \
    >"$work/native.out" 2>&1
rc=$?
secs=$("$PY" -c "import time; print(round(time.time() - $start, 1))")
if [ $rc = 0 ] && grep -q 'Got EOS from element' "$work/native.out" && ! grep -q ERROR "$work/native.out"; then
    ok "gst-launch-1.0 -e ... ! faceswap ! filesink: EOS reached, exit 0 ($N frames in $secs s)"
else cat "$work/native.out"; bad "the native pipeline exited $rc without EOS"; fi
read -r n changed inner outside <<<"$(frames face "$work/in.bgr" "$work/native.bgr" BGR $W $H "$work/face.json")"
if [ "$n" = "$IN_FRAMES" ]; then ok "frame count $n = ffprobe's $IN_FRAMES"; else bad "frame count $n != ffprobe's $IN_FRAMES"; fi
if [ "$changed" = "$n" ] && [ "$outside" = 0 ]; then
    ok "face changed in $changed/$n frames (median mean |diff| $inner); away from it bit-identical"
else bad "face changed in $changed/$n frames (median $inner); away from it max diff $outside (want 0)"; fi

if "$CLI" video --source "$SOURCE" --input "$work/in.mkv" -o "$work/cli.mkv" --crf 0 --quiet "${CLI_SETTINGS[@]}" \
    2>"$work/cli.err"; then
    ffmpeg -nostdin -v error -i "$work/cli.mkv" -f rawvideo -pix_fmt yuv420p "$work/cli.yuv"
    read -r n diff maxd conv <<<"$(as_cli "$work/cli.yuv" "$work/native.bgr")"
    if [ "$n" = $N ] && [ "$diff" = 0 ]; then
        ok "native element = faceswap-cli video ($SETTINGS): $n frames byte-identical (tolerance 0; the writer's conversion: $conv)"
    else bad "native element != faceswap-cli video: $diff of $n frames differ, max $maxd levels (tolerance 0)"; fi
else
    cat "$work/cli.err"
    bad "faceswap-cli video failed"
fi

head -c $((W * H * 3 * 10)) "$work/in.bgr" >"$work/in10.bgr"

# ---- 2b. learned models (.fsm, .fsg) as the source = faceswap-cli video --model ----------------
# Tiny models (2 iterations, 5 faces a side): what matters is that both paths convert alike.
# An autoencoder also turns B into A with reverse=true; a landmark GAN has one identity.
F=$((W * H * 3))
model_check() {   # model_check KIND PATH REVERSE(yes|no)
    local kind=$1 model=$2 rev=$3 rc n diff maxd changed reversed=-
    launch -q filesrc location="$work/in10.mkv" ! decodebin ! videoconvert ! video/x-raw,format=BGR ! \
        faceswap source="$model" $SETTINGS ! filesink location="$work/model.bgr" >"$work/model.out" 2>&1
    rc=$?
    "$CLI" video --model "$model" --input "$work/in10.mkv" -o "$work/model_cli.mkv" --crf 0 --quiet \
        "${CLI_SETTINGS[@]}" 2>>"$work/model.out"
    ffmpeg -nostdin -v error -y -i "$work/model_cli.mkv" -f rawvideo -pix_fmt yuv420p "$work/model_cli.yuv"
    read -r n diff maxd _ <<<"$(as_cli "$work/model_cli.yuv" "$work/model.bgr")"
    read -r _ changed _ <<<"$(frames same "$work/in10.bgr" "$work/model.bgr" $F)"
    if [ "$rev" = yes ]; then
        launch -q filesrc location="$work/in10.mkv" ! decodebin ! videoconvert ! video/x-raw,format=BGR ! \
            faceswap source="$model" reverse=true $SETTINGS ! filesink location="$work/model_rev.bgr" >>"$work/model.out" 2>&1
        read -r _ reversed _ <<<"$(frames same "$work/model.bgr" "$work/model_rev.bgr" $F)"
    fi
    if [ $rc = 0 ] && [ "$n" = 10 ] && [ "$diff" = 0 ] && [ "$changed" = 10 ] && { [ "$rev" = no ] || [ "$reversed" = 10 ]; }; then
        ok "source=$kind = faceswap-cli video --model: 10 frames byte-identical, all changed$([ "$rev" = yes ] && echo "; reverse=true changes all 10")"
    else cat "$work/model.out"; bad "source=$kind: exit $rc, $diff of $n frames differ from the CLI (max $maxd), $changed changed, reverse differs in $reversed"; fi
}
if "$CLI" extract "$CLIP" -o "$work/fa" --every 25 --quiet 2>"$work/train.err" &&
    "$CLI" extract "$DATA/videos/vr_face2.mp4" -o "$work/fb" --every 25 --quiet 2>>"$work/train.err" &&
    "$CLI" train --faces-a "$work/fa" --faces-b "$work/fb" --model "$work/m.fsm" --iterations 2 --batch 2 \
        --quiet 2>>"$work/train.err" &&
    "$CLI" train-gan --faces-b "$work/fb" --model "$work/g.fsg" --iterations 2 --batch 2 \
        --quiet 2>>"$work/train.err"; then
    model_check "model.fsm (autoencoder)" "$work/m.fsm" yes
    model_check "model.fsg (landmark GAN)" "$work/g.fsg" no
else
    cat "$work/train.err"
    bad "could not extract/train the tiny models"
fi

# ---- 3. GStreamer's frei0r wrapper over the frei0r plugin --------------------------------------
gst-inspect-1.0 frei0r-filter-faceswap >"$work/frei0r.txt" 2>&1
range=$(sed -n '/^  detect-interval *:/,/^  [a-z]/p' "$work/frei0r.txt" | grep Double | tr -s ' ' | sed 's/^ //; s/ $//')
if [[ "$range" == "Double. Range: 0 - 1 Default: "* ]]; then
    ok "frei0r-filter-faceswap found via FREI0R_PATH; its detect-interval is frei0r's 0..1 ('$range')"
else cat "$work/frei0r.txt" | head -20; bad "frei0r-filter-faceswap: detect-interval '$range' (expected frei0r's 0..1)"; fi
# 3 frames on the library's 1..1000 is 1 + round(v * 999) with v = 2/999 = 0.002002
launch $DECODE ! video/x-raw,format=RGBA ! frei0r-filter-faceswap source="$SOURCE" detect-interval=0.002002 \
    expression=0.5 ! videoconvert ! video/x-raw,format=BGR ! filesink location="$work/frei0r.bgr" >"$work/frei0r.out" 2>&1
rc=$?
read -r n diff maxd <<<"$(frames same "$work/native.bgr" "$work/frei0r.bgr" $((W * H * 3)))"
if [ $rc = 0 ] && [ "$n" = $N ] && [ "$diff" = 0 ] && ! grep -q 'faceswap frei0r' "$work/frei0r.out"; then
    ok "frei0r-filter-faceswap (RGBA, detect-interval=0.002002) = native element (detect-interval=3): $n frames identical"
else cat "$work/frei0r.out"; bad "frei0r wrapper: exit $rc, $n frames, $diff differ from the native element (max $maxd)"; fi

# ---- 4. every format of the caps --------------------------------------------------------------
ten=$((W * H * 3 * 10))
head -c $ten "$work/native.bgr" >"$work/native10.bgr"
for f in RGB BGRx RGBx BGRA RGBA; do # the library takes these as they are: the same frames as BGR
    launch -q filesrc location="$work/in10.mkv" ! decodebin ! videoconvert ! video/x-raw,format=$f ! \
        faceswap source="$SOURCE" $SETTINGS ! videoconvert ! video/x-raw,format=BGR ! \
        filesink location="$work/fmt_$f.bgr" >"$work/fmt.out" 2>&1
    rc=$?
    read -r n diff maxd <<<"$(frames same "$work/native10.bgr" "$work/fmt_$f.bgr" $((W * H * 3)))"
    if [ $rc = 0 ] && [ "$n" = 10 ] && [ "$diff" = 0 ]; then ok "$f: the same 10 frames as BGR (swapped in place)"
    else cat "$work/fmt.out"; bad "$f: exit $rc, $n frames, $diff differ from BGR's (max $maxd)"; fi
done
for f in I420 NV12; do # through one conversion to BGR and back: only the changed blocks are written
    launch -q filesrc location="$work/in10.mkv" ! decodebin ! videoconvert ! video/x-raw,format=$f ! \
        filesink location="$work/in_$f.yuv" >/dev/null 2>&1
    RAW="filesrc location=$work/in_$f.yuv blocksize=$((W * H * 3 / 2)) ! video/x-raw,format=$f,width=$W,height=$H,framerate=25/1"
    launch -q $RAW ! faceswap source="$SOURCE" $SETTINGS ! filesink location="$work/fmt_$f.yuv" >"$work/fmt.out" 2>&1
    rc=$?
    read -r n changed inner outside <<<"$(frames face "$work/in_$f.yuv" "$work/fmt_$f.yuv" $f $W $H "$work/face.json")"
    if [ $rc = 0 ] && [ "$n" = 10 ] && [ "$changed" = 10 ] && [ "$outside" = 0 ]; then
        ok "$f: face changed in 10/10 frames (median $inner), every sample away from it bit-identical"
    else cat "$work/fmt.out"; bad "$f: exit $rc, $n frames, face changed in $changed (median $inner), away max diff $outside"; fi
    # the changed samples are the swap done outside the element (videoconvert to BGR, swap,
    # videoconvert back): the same conversions, exactly; the rest is the input's, exactly
    launch -q $RAW ! videoconvert ! video/x-raw,format=BGR ! \
        faceswap source="$SOURCE" $SETTINGS ! videoconvert ! video/x-raw,format=$f ! \
        filesink location="$work/ext_$f.yuv" >/dev/null 2>&1
    read -r samples there elsewhere <<<"$(frames converted "$work/in_$f.yuv" "$work/fmt_$f.yuv" "$work/ext_$f.yuv" $((W * H * 3 / 2)))"
    if [ "$samples" -gt 0 ] && [ "$there" = 0 ] && [ "$elsewhere" = 0 ]; then
        ok "$f: the $samples changed samples = videoconvert ! BGR ! faceswap ! videoconvert's; all others the input's"
    else bad "$f: $samples changed samples differ from the outside conversion by up to $there; others by $elsewhere"; fi
done

# padded frames: with an encoder downstream the H.264 decoder hands out buffers whose rows are
# padded (a GstVideoMeta gives the strides); 590 px is no multiple of 4 either. The whole clip
# (125 frames), I420: the same frames as when the element gets packed buffers (filesink takes no
# meta), compared through a lossless FFV1 file decoded by GStreamer to the same packed layout.
MP4="filesrc location=$CLIP ! decodebin ! videoconvert ! video/x-raw,format=I420 ! faceswap source=$SOURCE $SETTINGS"
launch -q $MP4 ! videoconvert ! avenc_ffv1 ! matroskamux ! filesink location="$work/padded.mkv" >"$work/padded.out" 2>&1
rc=$?
launch -q $MP4 ! filesink location="$work/packed.yuv" >>"$work/padded.out" 2>&1
launch -q filesrc location="$work/padded.mkv" ! decodebin ! video/x-raw,format=I420 ! filesink location="$work/padded.yuv" \
    >>"$work/padded.out" 2>&1
CLIP_FRAMES=$(count_frames "$CLIP")
# (the samples only: the rows' padding bytes are whatever videoconvert's buffer pool held there)
read -r n diff maxd <<<"$(frames same "$work/packed.yuv" "$work/padded.yuv" $((592 * 590 + 2 * 296 * 295)) 590 590)"
if [ $rc = 0 ] && [ "$n" = "$CLIP_FRAMES" ] && [ "$diff" = 0 ]; then
    ok "padded decoder buffers (I420 590x590, GstVideoMeta strides): exit 0, $n frames (ffprobe's), identical to packed ones"
else cat "$work/padded.out"; bad "padded decoder buffers: exit $rc, $n frames (ffprobe: $CLIP_FRAMES), $diff differ from packed (max $maxd)"; fi

# ---- 5. caps change mid-stream: BGR 576x576, then NV12 400x400, through one element ----------
S=400
ffmpeg -nostdin -v error -y -i "$work/first.png" -vf scale=$S:$S "$work/first400.png" &&
    "$CLI" detect "$work/first400.png" --json >"$work/face400.json"
segments() { # $1: the element (faceswap or identity), $2: the folder for one file per buffer
    mkdir -p "$2"
    launch concat name=c ! $1 ! multifilesink location="$2/%05d" \
        filesrc location="$work/in10.mkv" ! decodebin ! videoconvert ! video/x-raw,format=BGR ! c. \
        filesrc location="$work/in10.mkv" ! decodebin ! videoscale ! videoconvert ! \
        video/x-raw,format=NV12,width=$S,height=$S ! c.
}
segments "faceswap source=$SOURCE $SETTINGS" "$work/seg" >"$work/seg.out" 2>&1
rc=$?
segments identity "$work/ref" >/dev/null 2>&1
sizes=$(for f in "$work"/seg/*; do stat -c %s "$f"; done | uniq -c | awk '{printf "%s x %s B; ", $1, $2}')
if [ $rc = 0 ] && grep -q 'Got EOS' "$work/seg.out" && [ "$sizes" = "10 x $((W * H * 3)) B; 10 x $((S * S * 3 / 2)) B; " ]; then
    ok "caps change: EOS, exit 0; 10 BGR ${W}x$H buffers then 10 NV12 ${S}x$S ($sizes)"
else cat "$work/seg.out"; bad "caps change: exit $rc, buffers: $sizes"; fi
cat "$work"/seg/0000[0-9] >"$work/seg_a.bgr"; cat "$work"/ref/0000[0-9] >"$work/ref_a.bgr"
cat "$work"/seg/0001[0-9] >"$work/seg_b.yuv"; cat "$work"/ref/0001[0-9] >"$work/ref_b.yuv"
read -r n1 c1 i1 o1 <<<"$(frames face "$work/ref_a.bgr" "$work/seg_a.bgr" BGR $W $H "$work/face.json")"
read -r n2 c2 i2 o2 <<<"$(frames face "$work/ref_b.yuv" "$work/seg_b.yuv" NV12 $S $S "$work/face400.json")"
if [ "$c1" = 10 ] && [ "$o1" = 0 ] && [ "$c2" = 10 ] && [ "$o2" = 0 ]; then
    ok "caps change: face swapped in both sizes (BGR: 10/10, median $i1; NV12 ${S}x$S: 10/10, median $i2), away from it bit-identical"
else bad "caps change: BGR changed $c1/$n1 (away max $o1), NV12 changed $c2/$n2 (away max $o2)"; fi

# ---- 6a. no face: bit-exact pass-through ------------------------------------------------------
ffmpeg -nostdin -v error -y -loop 1 -framerate 25 -i "$NOFACE" -frames:v 20 \
    -vf "scale=448:-2,crop=448:448,zoompan=z='1+0.002*on':d=1:s=448x448:fps=25" -pix_fmt bgr0 -c:v ffv1 "$work/noface.mkv"
for f in BGR I420; do
    NF="filesrc location=$work/noface.mkv ! decodebin ! videoconvert ! video/x-raw,format=$f"
    launch -q $NF ! filesink location="$work/noface_in.raw" >/dev/null 2>&1
    launch -q $NF ! faceswap source="$SOURCE" ! filesink location="$work/noface_out.raw" >"$work/noface.out" 2>&1
    rc=$?
    if [ $f = BGR ]; then size=$((448 * 448 * 3)); else size=$((448 * 448 * 3 / 2)); fi
    read -r n diff maxd <<<"$(frames same "$work/noface_in.raw" "$work/noface_out.raw" $size)"
    if [ $rc = 0 ] && [ "$n" = 20 ] && [ "$diff" = 0 ]; then ok "no face ($f): 20 frames pass through bit-exact"
    else cat "$work/noface.out"; bad "no face ($f): exit $rc, $n frames, $diff changed (max $maxd)"; fi
done

# ---- 6b. bad settings: the library's message, a non-zero exit, no crash -----------------------
for case in "missing photo|source=$work/missing.jpg|cannot load source '$work/missing.jpg': fs_image_load: cannot open" \
    "photo without a face|source=$NOFACE|cannot use source '$NOFACE': fs_source_prepare" \
    "no source set||no source photo: set the property source=" \
    "scene-cut 0 (range excludes 0)|source=$SOURCE scene-cut=0|scene_cut 0 is outside"; do
    IFS='|' read -r what props want <<<"$case"
    launch $DECODE ! faceswap $props ! fakesink >"$work/err.out" 2>&1
    rc=$?
    if [ $rc -ne 0 ] && ! { [ $rc -gt 128 ] && [ $rc -lt 193 ]; } && grep -q "ERROR: from element .*faceswap" "$work/err.out" &&
        grep -qF "$want" "$work/err.out"; then
        ok "$what: exit $rc, $(grep -m1 'ERROR: from element' "$work/err.out" | sed 's/.*faceswap0: //')"
    else cat "$work/err.out"; bad "$what: exit $rc (want non-zero, not a signal), no 'ERROR: from element' with '$want'"; fi
done

# ---- 6c. properties changed while playing (Tests/gstreamer/change.c) ---------------------------
if cc -std=gnu11 -Wall -Wextra -o "$work/change" "$here/change.c" $(pkg-config --cflags --libs gstreamer-1.0) \
    2>"$work/change.err"; then
    # blend=alpha from frame 10 on: frames 0-9 as before, 10-49 those of a fresh stream with
    # blend=alpha over the same frames and timestamps (a change rebuilds the stream: tracks restart)
    got=$(timeout 120 "$work/change" "$DECODE ! video/x-raw,format=BGR ! faceswap name=fs source=$SOURCE $SETTINGS ! \
        filesink location=$work/changed.bgr" 10 blend alpha 2>>"$work/change.err")
    ffmpeg -nostdin -v error -y -i "$work/in.mkv" -vf "select=gte(n\,10)" -copyts -c:v ffv1 "$work/from10.mkv"
    launch -q filesrc location="$work/from10.mkv" ! decodebin ! videoconvert ! video/x-raw,format=BGR ! \
        faceswap source="$SOURCE" $SETTINGS blend=alpha ! filesink location="$work/from10.bgr" >/dev/null 2>&1
    head -c $((F * 10)) "$work/changed.bgr" >"$work/changed_a.bgr"; head -c $((F * 10)) "$work/native.bgr" >"$work/native_a.bgr"
    tail -c +$((F * 10 + 1)) "$work/changed.bgr" >"$work/changed_b.bgr"; tail -c +$((F * 10 + 1)) "$work/native.bgr" >"$work/native_b.bgr"
    read -r n1 d1 _ <<<"$(frames same "$work/changed_a.bgr" "$work/native_a.bgr" $F)"
    read -r n2 d2 _ <<<"$(frames same "$work/changed_b.bgr" "$work/from10.bgr" $F)"
    read -r _ d3 _ <<<"$(frames same "$work/changed_b.bgr" "$work/native_b.bgr" $F)"
    if [ "$got" = eos ] && [ "$n1/$d1" = 10/0 ] && [ "$n2/$d2" = 40/0 ] && [ "$d3" = 40 ]; then
        ok "blend=alpha set at frame 10 while playing: 10 frames as before, then 40 = a fresh blend=alpha stream (all 40 differ from multiband)"
    else cat "$work/change.err"; bad "blend changed while playing: '$got'; before $d1/$n1 differ, after $d2/$n2 differ from the fresh alpha run, $d3 from multiband"; fi
    # a value the library refuses, set while playing: the pipeline stops with its message
    got=$(timeout 120 "$work/change" "$DECODE ! faceswap name=fs source=$SOURCE ! fakesink" 5 scene-cut 0 2>>"$work/change.err")
    rc=$?
    if [ $rc = 1 ] && [ "$got" = "error: bad stream settings: fs_stream_create: fs_stream_options: scene_cut 0 is outside (0, 255]" ]; then
        ok "scene-cut=0 set while playing: the pipeline stops with '${got#error: }'"
    else cat "$work/change.err"; bad "scene-cut=0 while playing: exit $rc, '$got'"; fi
else cat "$work/change.err"; bad "Tests/gstreamer/change.c did not build"; fi

# ---- 6d. latency: answered, and 0 added --------------------------------------------------------
if cc -std=gnu11 -Wall -Wextra -o "$work/latency" "$here/latency.c" $(pkg-config --cflags --libs gstreamer-1.0) \
    2>"$work/latency.err"; then
    with=$("$work/latency" "$SOURCE" faceswap 2>>"$work/latency.err")
    without=$("$work/latency" "$SOURCE" identity 2>>"$work/latency.err")
    if [[ "$with" == live=1\ min=* ]] && [ "$with" = "$without" ]; then
        ok "LATENCY query on a live pipeline answered: $with, the same as with identity (the element adds 0)"
    else cat "$work/latency.err"; bad "latency: with faceswap '$with', with identity '$without'"; fi
else cat "$work/latency.err"; bad "Tests/gstreamer/latency.c did not build"; fi

# ---- 7. make install-gstreamer (staged): lib/gstreamer-1.0, found through GST_PLUGIN_PATH --------
# (the part of `make install` this binding adds; -o build: use the library already built). The
# build tree's library stands in for the installed one (LD_LIBRARY_PATH): Tests/install checks that.
prefix=/opt/faceswap-test stage=$work/stage
installed=$stage$prefix/lib/gstreamer-1.0/libgstfaceswap.so
if make -s -C "$repo" -o build install-gstreamer PREFIX=$prefix DESTDIR="$stage" >"$work/install.log" 2>&1 &&
    [ -f "$installed" ]; then
    runpath=$(readelf -d "$installed" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
    GST_PLUGIN_PATH=$stage$prefix/lib/gstreamer-1.0 LD_LIBRARY_PATH=$repo/.build/release GST_REGISTRY=$work/registry2.bin \
        gst-inspect-1.0 faceswap >"$work/inspect2.txt" 2>&1
    found=$(sed -n 's/^  Filename *//p' "$work/inspect2.txt")
    if [ "$runpath" = "$prefix/lib" ] && [ "$found" = "$installed" ]; then
        ok "make install-gstreamer: \$PREFIX/lib/gstreamer-1.0/libgstfaceswap.so (RUNPATH $runpath), found through GST_PLUGIN_PATH"
    else head "$work/inspect2.txt"; bad "make install-gstreamer: RUNPATH '$runpath', gst-inspect found '$found'"; fi
    make -s -C "$repo" uninstall-gstreamer PREFIX=$prefix DESTDIR="$stage" >>"$work/install.log" 2>&1
    if [ ! -e "$installed" ]; then ok "make uninstall-gstreamer removes it"; else bad "make uninstall-gstreamer left $installed"; fi
else cat "$work/install.log"; bad "make install-gstreamer did not install lib/gstreamer-1.0/libgstfaceswap.so"; fi

# ---- 8. MLT: melt -filter frei0r.faceswap -------------------------------------------------------
# melt finds frei0r plugins in FREI0R_PATH (set above); parameters by index: 0 = source, 8 = fps
ffmpeg -nostdin -v error -y -i "$work/in.mkv" -c:v libx264 -qp 0 -pix_fmt yuv420p "$work/in.mp4"
timeout 120 melt -silent "$work/in.mp4" -filter frei0r.faceswap 0="$SOURCE" 8=25 \
    -consumer avformat:"$work/melt.mp4" vcodec=libx264 qp=0 an=1 >"$work/melt.out" 2>&1
rc=$?
MELT_FRAMES=$(count_frames "$work/melt.mp4" 2>/dev/null)
if [ $rc = 0 ] && [ "$MELT_FRAMES" = "$(count_frames "$work/in.mp4")" ]; then
    ok "melt -filter frei0r.faceswap: exit 0, $MELT_FRAMES frames (ffprobe: the input's)"
else cat "$work/melt.out"; bad "melt: exit $rc, ${MELT_FRAMES:-no} frames, input $(count_frames "$work/in.mp4")"; fi
ffmpeg -nostdin -v error -i "$work/in.mp4" -f rawvideo -pix_fmt bgr24 "$work/mp4_in.bgr"
ffmpeg -nostdin -v error -i "$work/melt.mp4" -f rawvideo -pix_fmt bgr24 "$work/melt.bgr"
read -r n changed inner outside <<<"$(frames face "$work/mp4_in.bgr" "$work/melt.bgr" BGR $W $H "$work/face.json")"
# away from the face only MLT's YUV -> RGBA -> YUV conversions around frei0r could touch the
# pixels: on bookworm's MLT 7.12 they come back exact (0); up to 2 levels of rounding allowed
if [ "$changed" = "$n" ] && [ "$n" = $N ] && [ "$outside" -le 2 ]; then
    ok "melt: face changed in $changed/$n frames (median $inner); away from it max diff $outside (MLT's conversions)"
else bad "melt: face changed in $changed/$n frames (median $inner), away from it max diff $outside"; fi
if grep -q 'faceswap frei0r' "$work/melt.out"; then bad "melt: the plugin complained: $(grep -m1 'faceswap frei0r' "$work/melt.out")"
else ok "melt: the plugin printed nothing"; fi

finish
