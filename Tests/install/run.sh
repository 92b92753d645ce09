#!/usr/bin/env bash
# Installs into a temporary prefix and builds a C program with `cc app.c $(pkg-config --cflags --libs faceswap)`.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
prefix=$(mktemp -d /tmp/faceswap-prefix.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
make -s -C "$repo" install PREFIX="$prefix" >/dev/null
cat > "$prefix/app.c" <<'C'
#include <faceswap.h>
#include <stdio.h>
int main(void) {
    if (!FS_ABI_COMPATIBLE()) { fprintf(stderr, "ABI mismatch\n"); return 1; }
    fs_image *img = NULL;
    if (fs_image_create(4, 4, FS_FORMAT_BGR8, &img) != FS_OK) return 1;
    fs_image_free(img);
    printf("libfaceswap %s (header %d.%d.%d)\n", fs_version_string(), FS_VERSION_MAJOR, FS_VERSION_MINOR, FS_VERSION_PATCH);
    return fs_version() == FS_VERSION_NUMBER ? 0 : 1;
}
C
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cc "$prefix/app.c" -o "$prefix/app" $(pkg-config --cflags --libs faceswap)
"$prefix/app"
# The installed library exports only fs_ symbols and needs nothing from the Swift toolchain.
if nm -D --defined-only "$prefix/lib/libfaceswap.so" | awk '$2=="T"||$2=="D"||$2=="B"{print $3}' | grep -v '^fs_'; then
  echo "FAIL: non-fs_ symbols exported"; exit 1
fi
if ldd "$prefix/lib/libfaceswap.so" | grep -q /opt/swift; then echo "FAIL: depends on /opt/swift"; exit 1; fi
if ldd "$prefix/bin/faceswap" | grep -q /opt/swift; then echo "FAIL: CLI depends on /opt/swift"; exit 1; fi
"$prefix/bin/faceswap" version
echo "install check: 1 passed, 0 failed"
