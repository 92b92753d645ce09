#!/usr/bin/env bash
# Tests/stress/run.sh release|tsan [THREADS [CALLS]] — the concurrency stress test (stress.c).
#
#   release  `make stress`: stress.c built by cc against the release library (.build/release,
#            made by `make build`); checks every concurrent result against the single-threaded one.
#   tsan     `make test-tsan`: libfaceswap built with --sanitize=thread in its own scratch path
#            (.build-tsan; never .build), stress.c built by the toolchain's clang with
#            -fsanitize=thread, run with TSAN_OPTIONS; fails on any ThreadSanitizer report as well
#            as on any wrong result. Suppressions: Tests/stress/tsan.supp (see there).
#
# Environment: FACESWAP_DATA (default <repo>/Tests/data), STRESS_THREADS (8), STRESS_CALLS
# (1000 per thread), FACESWAP_SO (release mode: the library to test), SWIFT (swift), CC (cc).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"
[ -d /opt/swift/usr/bin ] && case ":$PATH:" in *:/opt/swift/usr/bin:*) ;; *) PATH="/opt/swift/usr/bin:$PATH" ;; esac
mode=${1:-release}
threads=${2:-${STRESS_THREADS:-8}}
calls=${3:-${STRESS_CALLS:-1000}}
DATA=$(cd "${FACESWAP_DATA:-$repo/Tests/data}" 2>/dev/null && pwd) || { echo "stress: no test data folder (set FACESWAP_DATA)" >&2; exit 2; }

case $mode in
release)
    SO=${FACESWAP_SO:-$repo/.build/release/libfaceswap.so}
    out=$repo/.build-stress
    CC=${CC:-cc}
    CFLAGS=(-O2)
    EXTRA=()
    ;;
tsan)
    scratch=$repo/.build-tsan
    SO=$scratch/release/libfaceswap.so
    out=$scratch/stress
    CC=$(command -v clang) || { echo "stress: no clang (the Swift toolchain's) on PATH" >&2; exit 2; }
    CFLAGS=(-O1 -fno-omit-frame-pointer -fsanitize=thread)
    # The toolchain's static TSan runtime carries libdispatch interceptors: link the toolchain's
    # libdispatch and BlocksRuntime (as Swift executables do).
    swiftlib=$(dirname "$(dirname "$CC")")/lib/swift/linux
    EXTRA=(-L "$swiftlib" -ldispatch -lBlocksRuntime -Wl,-rpath,"$swiftlib")
    mkdir -p "$out"
    echo "== build (TSan): ${SWIFT:-swift} build -c release --scratch-path .build-tsan --sanitize=thread --product faceswap"
    t0=$SECONDS
    # The __tsan_* symbols of the sanitized library come from the stress program's runtime.
    if ! "${SWIFT:-swift}" build -c release --scratch-path "$scratch" --sanitize=thread \
        -Xcc -fno-omit-frame-pointer -Xcxx -fno-omit-frame-pointer \
        -Xlinker --unresolved-symbols=ignore-in-object-files -j "${FS_TSAN_JOBS:-2}" --product faceswap \
        >"$out/build.log" 2>&1; then
        grep -v 'Cannot export local symbol' "$out/build.log" | tail -n 30
        echo "stress: FAILED: TSan build"
        exit 1
    fi
    echo "   ($(( SECONDS - t0 )) s)"
    ;;
*) echo "usage: run.sh release|tsan [THREADS [CALLS]]" >&2; exit 2 ;;
esac

[ -f "$SO" ] || { echo "stress: no library at $SO (make build)" >&2; exit 2; }
SO=$(cd "$(dirname "$SO")" && pwd)/$(basename "$SO")
mkdir -p "$out/lib" && rm -f "$out"/lib/*
ln -s "$SO" "$out/lib/libfaceswap.so"
ln -s "$SO" "$out/lib/libfaceswap.so.0"

echo "== build: $CC ${CFLAGS[*]} Tests/stress/stress.c"
"$CC" -std=c11 -Wall -Wextra -Werror -g "${CFLAGS[@]}" -I "$repo/include" "$here/stress.c" \
    -L "$out/lib" -lfaceswap "${EXTRA[@]}" -pthread -lm -o "$out/stress" 2>&1 | grep -v 'Cannot export local symbol'
[ -x "$out/stress" ] || { echo "stress: FAILED to build stress.c"; exit 1; }

echo "== run: stress $DATA $threads $calls ($mode)"
log=$out/stress.log
t0=$SECONDS
if [ "$mode" = tsan ]; then
    # exitcode 66 when TSan reported anything (the program's own failures exit 1).
    TSAN_OPTIONS="halt_on_error=0:exitcode=66:second_deadlock_stack=1:suppressions=$here/tsan.supp:print_suppressions=1${TSAN_OPTIONS:+:$TSAN_OPTIONS}" \
        LD_LIBRARY_PATH="$out/lib" "$out/stress" "$DATA" "$threads" "$calls" >"$log" 2>&1
else
    LD_LIBRARY_PATH="$out/lib" "$out/stress" "$DATA" "$threads" "$calls" >"$log" 2>&1
fi
rc=$?
grep -v '^$' "$log" | grep -E '^stress:|passed, [0-9]+ failed' | head -n 20
if [ "$mode" = tsan ]; then
    reports=$(grep -c 'WARNING: ThreadSanitizer' "$log")
    echo "stress: ThreadSanitizer reports: $reports (log: $log)"
    if [ "$reports" -ne 0 ]; then grep -A14 'WARNING: ThreadSanitizer' "$log" | head -n 60; fi
fi
echo "   ($(( SECONDS - t0 )) s)"
case $rc in
0) echo "stress: OK" ;;
66) echo "stress: FAILED: ThreadSanitizer reported data races or other errors"; exit 1 ;;
*) tail -n 20 "$log"; echo "stress: FAILED (exit $rc)"; exit 1 ;;
esac
