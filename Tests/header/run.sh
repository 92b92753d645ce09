#!/usr/bin/env bash
# Tests/header/run.sh — the header's documentation and its experimental tier (make test-header).
#
#   1. Tests/header/check_header_docs.py: every FS_API function of include/faceswap.h has its own
#      comment with a one-line summary and an "Errors:" line (cross-checked against the C test's
#      bad-input table), and the EXPERIMENTAL section's functions, and only they, are marked
#      FS_EXPERIMENTAL;
#   2. FS_WARN_EXPERIMENTAL works, with $CC (default cc) and, when there is one, $CXX (default c++)
#      on the header as C++: Tests/header/experimental_marker.c compiled (-fsyntax-only: no library
#      needed) with -DFS_WARN_EXPERIMENTAL -Wall -Wextra -Werror
#        a. using only the stable tier: must compile;
#        b. calling every experimental function (-DCALL_EXPERIMENTAL): must FAIL, with
#           "libfaceswap experimental API" reported for each function of the section;
#        c. the same calls without FS_WARN_EXPERIMENTAL: must compile (no caller's build changes).
# Exits non-zero when any step fails.
set -uo pipefail
export LC_ALL=C  # plain quotes in the compilers' messages

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
PYTHON=${PYTHON:-python3}
CC=${CC:-cc}
CXX=${CXX:-c++}
out=$(mktemp -d "${TMPDIR:-/tmp}/fs_header.XXXXXX")
trap 'rm -rf "$out"' EXIT
failed=0
fail() { echo "test-header: FAIL: $*"; failed=1; }

echo "== check_header_docs.py include/faceswap.h"
"$PYTHON" "$here/check_header_docs.py" "$repo/include/faceswap.h" || failed=1

experimental=$("$PYTHON" "$here/check_header_docs.py" --experimental "$repo/include/faceswap.h")
[ -n "$experimental" ] || fail "no function found in the experimental section"

compilers=("$CC -x c -std=c11")
if command -v "$CXX" >/dev/null 2>&1; then compilers+=("$CXX -x c++ -std=c++20"); fi
for compiler in "${compilers[@]}"; do
    # shellcheck disable=SC2206
    cc=($compiler -Wall -Wextra -Werror -fsyntax-only -I "$repo/include")
    src=$here/experimental_marker.c
    echo
    echo "== $compiler -DFS_WARN_EXPERIMENTAL -Wall -Wextra -Werror"
    if "${cc[@]}" -DFS_WARN_EXPERIMENTAL "$src" 2>"$out/a.txt"; then
        echo "a. stable tier only: compiles (as it must)"
    else
        cat "$out/a.txt"; fail "$compiler: the stable-only file does not compile with FS_WARN_EXPERIMENTAL"
    fi
    if "${cc[@]}" -DFS_WARN_EXPERIMENTAL -DCALL_EXPERIMENTAL "$src" 2>"$out/b.txt"; then
        fail "$compiler: calls of experimental functions compiled with FS_WARN_EXPERIMENTAL -Werror"
    else
        # 'fs_name' is deprecated (C) or 'fs_status fs_name(...)' is deprecated (C++)
        flagged=$(grep 'libfaceswap experimental API' "$out/b.txt" | grep -oE "fs_[a-z0-9_]+('|\()" |
                  tr -d "'(" | sort -u)
        missing=$(comm -23 <(echo "$experimental" | sort -u) <(echo "$flagged"))
        if [ -n "$missing" ]; then
            cat "$out/b.txt"; fail "$compiler: experimental functions not reported: $(echo $missing)"
        else
            echo "b. experimental calls: FAIL to compile (as they must); all $(echo "$flagged" | wc -l) functions reported, e.g.:"
            grep -m1 -B1 -A3 'libfaceswap experimental API' "$out/b.txt" | sed 's/^/     /'
        fi
    fi
    if "${cc[@]}" -DCALL_EXPERIMENTAL "$src" 2>"$out/c.txt"; then
        echo "c. experimental calls without FS_WARN_EXPERIMENTAL: compile (as they must)"
    else
        cat "$out/c.txt"; fail "$compiler: experimental calls do not compile without FS_WARN_EXPERIMENTAL"
    fi
done

echo
if [ "$failed" -ne 0 ]; then echo "test-header: FAILED"; exit 1; fi
echo "test-header: OK"
