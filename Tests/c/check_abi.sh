#!/usr/bin/env bash
# check_abi.sh REPO_ROOT SO_PATH — the header and the shared library agree on the C ABI.
# check_abi.sh --header-functions REPO_ROOT — prints the header's functions (H below), one a line.
#
#  - H: every function declared in REPO_ROOT/include/faceswap.h (the names fs_...( at declaration
#    positions: comments and preprocessor lines — so macros such as FS_ABI_COMPATIBLE() — are
#    removed by running the header through the C preprocessor without its #includes; typedefs
#    and function-pointer declarators are not functions);
#  - E: every symbol SO_PATH exports: defined entries of .dynsym with GLOBAL (or WEAK/UNIQUE)
#    binding. Swift leaves a few LOCAL entries in .dynsym; they are not exported and do not count.
#
# Fails, printing the differences, when an exported symbol is not fs_-prefixed, a header function
# is not exported, an exported fs_ symbol is not in the header, or a header function is declared
# without FS_API. Needs cc (or $CC) and readelf (binutils; nm -D is the fallback).
set -euo pipefail

LIST_ONLY=0
if [ $# -eq 2 ] && [ "$1" = --header-functions ]; then
    LIST_ONLY=1
    ROOT=$2
    SO=
elif [ $# -eq 2 ]; then
    ROOT=$1
    SO=$2
else
    echo "usage: $0 REPO_ROOT SO_PATH | $0 --header-functions REPO_ROOT" >&2
    exit 2
fi
HEADER=$ROOT/include/faceswap.h
CC=${CC:-cc}

[ -f "$HEADER" ] || { echo "check_abi: no header at $HEADER" >&2; exit 2; }
[ "$LIST_ONLY" = 1 ] || [ -f "$SO" ] || { echo "check_abi: no library at $SO" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fs_abi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---- the header's functions ---------------------------------------------------------------
# Preprocess without the system #includes: comments and #defines disappear, FS_API expands to
# the visibility attribute (cc defines __GNUC__). One statement per line.
grep -v '^[[:space:]]*#[[:space:]]*include' "$HEADER" |
    "$CC" -E -P -x c - -o "$tmp/header.i"
tr '\n' ' ' <"$tmp/header.i" | sed 's/;/;\n/g; s/{/{\n/g; s/}/}\n/g' >"$tmp/statements"

# Declaration statements: not typedefs; a name fs_... directly followed by "(" is a function
# declarator. Function-pointer declarators "(*fs_cb)(" are blanked out first.
FUNC_RE='(^|[^A-Za-z0-9_])fs_[A-Za-z0-9_]+[[:space:]]*\('
grep -v '^[[:space:]]*typedef\b' "$tmp/statements" |
    sed -E 's/\([[:space:]]*\*[[:space:]]*[A-Za-z_][A-Za-z0-9_]*[[:space:]]*\)/(*fnptr)/g' |
    grep -E "$FUNC_RE" >"$tmp/decls" || true
names() { grep -oE "$FUNC_RE" | sed -E 's/^[^A-Za-z0-9_]*//; s/[[:space:]]*\($//' | sort -u; }
names <"$tmp/decls" >"$tmp/header_funcs"
if [ "$LIST_ONLY" = 1 ]; then
    cat "$tmp/header_funcs"
    exit 0
fi

# Every declaration must carry FS_API (visibility default after preprocessing).
missing_api=$(grep -v 'visibility *( *"default" *)' "$tmp/decls" | names || true)

# ---- the library's exports ----------------------------------------------------------------
if command -v readelf >/dev/null 2>&1; then
    readelf --dyn-syms -W "$SO" |
        awk '$1 ~ /^[0-9]+:$/ && NF >= 8 && $7 != "UND" && ($5 == "GLOBAL" || $5 == "WEAK" || $5 == "UNIQUE") { print $8 }' |
        sed 's/@.*//' | sort -u >"$tmp/exports"
    tool="readelf --dyn-syms"
elif command -v nm >/dev/null 2>&1; then
    # Upper-case type letters are global; u is GNU unique; v/w are weak.
    nm -D --defined-only "$SO" | awk 'NF >= 3 && $2 ~ /^[A-Zuvw]$/ { print $3 }' |
        sed 's/@.*//' | sort -u >"$tmp/exports"
    tool="nm -D --defined-only"
else
    echo "check_abi: neither readelf nor nm is installed (binutils)" >&2
    exit 2
fi

grep '^fs_' "$tmp/exports" >"$tmp/exports_fs" || true
grep -v '^fs_' "$tmp/exports" >"$tmp/exports_other" || true

nh=$(wc -l <"$tmp/header_funcs")
ne=$(wc -l <"$tmp/exports")
echo "check_abi: $nh functions declared in include/faceswap.h; $ne exported symbols in $(basename "$SO") ($tool, GLOBAL/WEAK, defined)"

fail=0
if [ "$nh" -eq 0 ]; then
    echo "check_abi: FAIL: no function found in $HEADER (parser broken?)"
    fail=1
fi
if [ -s "$tmp/exports_other" ]; then
    echo "check_abi: FAIL: exported symbols without the fs_ prefix ($(wc -l <"$tmp/exports_other")):"
    sed 's/^/    /' "$tmp/exports_other"
    fail=1
fi
not_exported=$(comm -23 "$tmp/header_funcs" "$tmp/exports_fs")
if [ -n "$not_exported" ]; then
    echo "check_abi: FAIL: declared in the header but not exported:"
    printf '    %s\n' $not_exported
    fail=1
fi
not_declared=$(comm -13 "$tmp/header_funcs" "$tmp/exports_fs")
if [ -n "$not_declared" ]; then
    echo "check_abi: FAIL: exported but not declared in the header:"
    printf '    %s\n' $not_declared
    fail=1
fi
if [ -n "$missing_api" ]; then
    echo "check_abi: FAIL: declared without FS_API:"
    printf '    %s\n' $missing_api
    fail=1
fi

if [ "$fail" -ne 0 ]; then
    echo "check_abi: FAILED"
    exit 1
fi
echo "check_abi: OK: $nh header functions = $(wc -l <"$tmp/exports_fs") exported fs_ symbols; no other exports"
