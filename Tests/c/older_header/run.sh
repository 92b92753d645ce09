#!/usr/bin/env bash
# Tests/c/older_header/run.sh SO_PATH DATA_DIR — a caller built against an older faceswap.h.
#
#   1. make_older_header.py makes, from include/faceswap.h, a copy in which every struct with
#      struct_size (options, output structs, fs_train_progress) is cut to its first fields;
#   2. older_header.c is compiled against that copy with -fsanitize=address,undefined (the program
#      is instrumented; the library is not, so no LD_PRELOAD is needed) and linked to SO_PATH;
#   3. it runs against the current library: nothing written past the caller's structs (canaries),
#      the omitted fields take the library's defaults, struct_size stays the caller's size.
# Called by Tests/c/run.sh (so `make test` runs it). Needs python3 and $CC (default cc) with ASan.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
[ $# -eq 2 ] || { echo "usage: $0 SO_PATH DATA_DIR" >&2; exit 2; }
SO=$1
DATA=$2
CC=${CC:-cc}
out=$repo/.build/ctest/older_header

mkdir -p "$out/include" "$out/lib" || exit 2
python3 "$here/make_older_header.py" "$repo/include/faceswap.h" "$out/include/faceswap.h" || exit 1
soname=$(readelf -d "$SO" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
rm -f "$out"/lib/*
ln -s "$SO" "$out/lib/libfaceswap.so"
if [ -n "$soname" ] && [ "$soname" != libfaceswap.so ]; then ln -s "$SO" "$out/lib/$soname"; fi

"$CC" -std=c11 -Wall -Wextra -Werror -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
    -fno-sanitize-recover=undefined -I "$out/include" "$here/older_header.c" \
    -L "$out/lib" -lfaceswap -o "$out/older_header" || { echo "older_header: FAILED to build"; exit 1; }
echo "built $out/older_header (ASan/UBSan) against the cut header $out/include/faceswap.h"

# Leak checking is valgrind's job (the library's runtimes keep process-lifetime caches).
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    LD_LIBRARY_PATH=$out/lib:$(dirname "$SO")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$out/older_header" "$DATA"
