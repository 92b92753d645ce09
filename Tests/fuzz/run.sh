#!/usr/bin/env bash
# libFuzzer harnesses for libfaceswap: build them (instrumented library included) and run each for
# a fixed time, then print executions, speed, corpus and crashes per harness and in total.
#
#   bash Tests/fuzz/run.sh [SECONDS] [HARNESS...]        (make fuzz / make fuzz-ci run this)
#
# SECONDS per harness: argument 1, else $FUZZ_SECONDS, else 60 (0: build only). HARNESS: any of
#   image_decode   fs_image_decode on arbitrary bytes (libjpeg-turbo, OpenCV), convert, re-encode
#   image_view     fs_image_from_view / fs_image_wrap with fuzzed sizes, strides and formats;
#                  convert, encode, fs_align_crop / fs_affine_* with fuzzed matrices
#   detect         HOG fs_detect + 68-point fs_landmarks_fit on fuzzed small images and rectangles
#   model_sp       fs_landmarker_create on fuzzed shape-predictor files (dlib's format read part
#                  by part, with and without the raw-binary cache, and the cache reader), then
#                  fitting with what loads
#   model_fsm      fs_model_load on fuzzed learned-conversion model files (.fsm), with and without
#                  the checksum made right (to reach the header parser and dlib's deserialiser)
#   cli_args       the CLI's option parsing (Sources/faceswap-cli, all commands) over the library's
#                  option checks (fs_option_check, fs_enum_parse)
#   frei0r_params  the frei0r plugin's parameters (f0r_set_param_value strings/doubles, f0r_update)
#   (default: all of them, in this order)
#
# Environment:
#   FUZZ_SECONDS   seconds per harness (when no argument)          FUZZ_TIMEOUT  per input (30 s)
#   FUZZ_WORK      crash artifacts, new corpus, logs (default .build-fuzz/work: gitignored)
#   FUZZ_SCRATCH   SwiftPM scratch path (default .build-fuzz; never the release .build)
#   FUZZ_NO_BUILD=1  use the harnesses already built         FUZZ_RSS_MB   memory limit (4096)
#   FUZZ_ARGS      extra libFuzzer flags for every harness (e.g. "-seed=1")
#   FS_PORTABLE=1  passes through to the library build (baseline x86-64 instead of x86-64-v3)
#
# What gets instrumented: the Swift core and @_cdecl layer (-sanitize=address + SanitizerCoverage
# edge/trace-cmp/inline-8bit-counters/pc-table), the C++ shim (-fsanitize=address,undefined,
# fuzzer-no-link; no coverage callbacks in system headers: coverage-ignore.txt) and the harnesses
# (-fsanitize=fuzzer,address,undefined). libjpeg-turbo,
# libpng, OpenCV and dlib's compiled parts are the system's: not instrumented, so they steer no
# coverage and ASan sees only what crosses into instrumented code (memcpy and friends included).
# Everything is built with the Swift toolchain's clang (it has the libFuzzer runtime) and lld:
# the instrumented libfaceswap.so leaves the sanitizer symbols to the executable, which -z defs
# (Package.swift) would refuse, so this build adds -z undefs after it (lld honours the last one).
#
# A crash leaves its input in $FUZZ_WORK/<harness>/artifacts/ (crash-*, leak-*, timeout-*, oom-*);
# reproduce it with:  .build-fuzz/fuzz-bin/<harness> $FUZZ_WORK/<harness>/artifacts/crash-...
# The seed corpus (Tests/fuzz/corpus/<harness>, see corpus/SOURCES.md) is only read; what the
# fuzzer finds goes to $FUZZ_WORK/<harness>/corpus. Exit status: 0 only if no harness crashed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/Tests/fuzz
SECONDS_EACH=${1:-${FUZZ_SECONDS:-60}}
shift $(( $# > 0 ? 1 : 0 ))
ALL=(image_decode image_view detect model_sp model_fsm cli_args frei0r_params)
C_HARNESSES=" image_decode image_view detect model_sp model_fsm frei0r_params "
HARNESSES=("$@")
[ ${#HARNESSES[@]} -eq 0 ] && HARNESSES=("${ALL[@]}")
for h in "${HARNESSES[@]}"; do
    case " ${ALL[*]} " in *" $h "*) ;; *) echo "run.sh: unknown harness '$h' (have: ${ALL[*]})" >&2; exit 2 ;; esac
done

SWIFT_BIN=${SWIFT_BIN:-/opt/swift/usr/bin}
[ -x "$SWIFT_BIN/swift" ] || SWIFT_BIN=$(dirname "$(command -v swift)")
export PATH=$SWIFT_BIN:$PATH
CLANG=$SWIFT_BIN/clang
SCRATCH=${FUZZ_SCRATCH:-$ROOT/.build-fuzz}
case "$(cd "$(dirname "$SCRATCH")" 2>/dev/null && pwd)/$(basename "$SCRATCH")" in
    "$ROOT/.build") echo "run.sh: refusing to use the release build folder $ROOT/.build" >&2; exit 2 ;;
esac
WORK=${FUZZ_WORK:-$SCRATCH/work}
BIN=$SCRATCH/fuzz-bin
TIMEOUT=${FUZZ_TIMEOUT:-30}
RSS_MB=${FUZZ_RSS_MB:-4096}
# One core per harness: no thread pools in OpenCV, OpenBLAS or OpenMP.
export OPENCV_FOR_THREADS_NUM=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:handle_abort=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# A Swift trap goes to libFuzzer's handler (the runtime's own backtracer trips ASan).
export SWIFT_BACKTRACE=enable=no

build() {
    echo "== building the instrumented library (scratch $SCRATCH)"
    # (The ignore list's checksum is in the flags so that editing it rebuilds the shim.)
    local cflags=(-fsanitize=fuzzer-no-link -fsanitize-coverage-ignorelist="$HERE/coverage-ignore.txt"
                  -DFS_FUZZ_IGNORELIST_SUM="$(cksum < "$HERE/coverage-ignore.txt" | cut -d' ' -f1)"
                  -fsanitize=undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g)
    local xflags=()
    for f in "${cflags[@]}"; do xflags+=(-Xcc "$f" -Xcxx "$f"); done
    (cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" --product faceswap -j "${FUZZ_BUILD_JOBS:-2}" \
        --sanitize=address \
        -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
        "${xflags[@]}" \
        -Xswiftc -use-ld=lld -Xlinker -z -Xlinker undefs) || return 1
    LIB=$(cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
    ln -sf libfaceswap.so "$LIB/libfaceswap.so.0"
    mkdir -p "$BIN"
    local h
    for h in $C_HARNESSES; do
        case " ${HARNESSES[*]} " in *" $h "*) ;; *) continue ;; esac
        echo "== harness $h"
        "$CLANG" -std=gnu11 -g -O1 -fuse-ld=lld -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
            -Wall -Wno-unused-function -I"$ROOT/include" -I"$HERE/harness" "$HERE/harness/$h.c" \
            -L"$LIB" -lfaceswap -lm -ldl -Wl,-rpath,"$LIB" -o "$BIN/$h" || return 1
    done
    case " ${HARNESSES[*]} " in
    *" cli_args "*)
        echo "== harness cli_args"
        # The CLI's sources but main.swift, with the harness: a client of the C ABI like the CLI
        # (Package.swift), importing only the public header's module and linking the instrumented
        # libfaceswap.so (which leaves the sanitizer symbols to this executable).
        local cli=() f
        for f in "$ROOT"/Sources/faceswap-cli/*.swift; do [ "$(basename "$f")" = main.swift ] || cli+=("$f"); done
        swiftc -O -g -parse-as-library -module-name FuzzCLI -sanitize=fuzzer,address -use-ld=lld \
            -Xcc -fmodule-map-file="$LIB/CFaceSwapABI.build/module.modulemap" \
            "$HERE/harness/cli_args.swift" "${cli[@]}" \
            -L"$LIB" -lfaceswap -Xlinker -rpath -Xlinker "$LIB" -o "$BIN/cli_args" || return 1
        ;;
    esac
}

if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
    build || { echo "run.sh: build failed" >&2; exit 1; }
fi
[ "$SECONDS_EACH" = 0 ] && exit 0

# The face photo the frei0r harness may pick as its source (see corpus/SOURCES.md).
export FS_FUZZ_FACE=${FS_FUZZ_FACE:-$HERE/data/face.jpg}

extra_flags() {  # per-harness libFuzzer flags
    # The C harnesses' stderr is closed (OpenCV prints on every corrupt file; the harnesses and the
    # sanitizers keep their own copy of it); cli_args keeps it for Swift's trap messages.
    case $1 in
        image_decode|detect) echo "-max_len=131072 -close_fd_mask=2" ;;
        model_sp) echo "-max_len=32768 -close_fd_mask=2" ;;
        model_fsm) echo "-max_len=16384 -close_fd_mask=2" ;;
        cli_args) echo "-max_len=512" ;;
        frei0r_params) echo "-max_len=2048 -close_fd_mask=2" ;;
        *) echo "-max_len=8192 -close_fd_mask=2" ;;
    esac
}

stat_of() { sed -n "s/^stat::$1: *//p" "$2" | tail -1; }

total_execs=0 total_crashes=0 failed=0
rows=()
for h in "${HARNESSES[@]}"; do
    mkdir -p "$WORK/$h/corpus" "$WORK/$h/artifacts"
    log=$WORK/$h/last-run.log
    before=$(ls "$WORK/$h/artifacts" | wc -l)
    dict=()
    [ -f "$HERE/dict/$h.dict" ] && dict=(-dict="$HERE/dict/$h.dict")
    seeds=()
    [ -d "$HERE/corpus/$h" ] && seeds=("$HERE/corpus/$h")
    echo "== fuzzing $h for ${SECONDS_EACH}s (log: $log)"
    # shellcheck disable=SC2046,SC2086
    "$BIN/$h" -max_total_time="$SECONDS_EACH" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB" -malloc_limit_mb="$RSS_MB" \
        -print_final_stats=1 -artifact_prefix="$WORK/$h/artifacts/" $(extra_flags "$h") \
        "${dict[@]}" ${FUZZ_ARGS:-} "$WORK/$h/corpus" "${seeds[@]}" > "$log" 2>&1
    rc=$?
    execs=$(stat_of number_of_executed_units "$log"); execs=${execs:-0}
    rate=$(stat_of average_exec_per_sec "$log"); rate=${rate:-0}
    corp=$(grep -Eo 'corp: [0-9]+/[0-9]+[bKM]?b?' "$log" | tail -1 | sed 's/corp: //')
    files=$(ls "$WORK/$h/corpus" | wc -l)
    crashes=$(( $(ls "$WORK/$h/artifacts" | wc -l) - before ))
    if [ $rc -ne 0 ] && [ $crashes -eq 0 ]; then crashes=1; fi  # died without an artifact (e.g. at start-up)
    if [ $crashes -gt 0 ]; then
        failed=1
        echo "!! $h: exit $rc, $crashes new artifact(s) in $WORK/$h/artifacts; the report:"
        grep -E -m 20 'ERROR: |SUMMARY: |runtime error|Fatal error|fuzz contract|deadly signal|Test unit written' "$log" | sed 's/^/   /'
    fi
    total_execs=$((total_execs + execs)) total_crashes=$((total_crashes + crashes))
    rows+=("$(printf '%-14s %6ss %12s %8s %16s %8s %8s' "$h" "$SECONDS_EACH" "$execs" "$rate" "${corp:--}" "$files" "$crashes")")
done

echo
printf '%-14s %7s %12s %8s %16s %8s %8s\n' harness time executions exec/s "corpus" "saved" crashes
for r in "${rows[@]}"; do echo "$r"; done
printf '%-14s %7s %12s %8s %16s %8s %8s\n' TOTAL "" "$total_execs" "" "" "" "$total_crashes"
echo "fuzz: ${#HARNESSES[@]} harnesses, $total_execs executions, $total_crashes crashes"
exit $failed
