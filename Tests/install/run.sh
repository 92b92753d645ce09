#!/usr/bin/env bash
# Installs into a temporary prefix and builds a C program with `cc app.c $(pkg-config --cflags --libs faceswap)`;
# then checks the installed files' links and exports, and runs the installed CLI on a PNG and a video.
# Then the CMake package: a C++ program built with find_package(faceswap CONFIG) + faceswap::faceswap
# against a moved copy of the prefix (the package is relocatable) detects the face of a sample photo,
# and version requests the library cannot satisfy (newer, or of an older ABI) fail.
set -euo pipefail
# No `cmd | grep -q` here: under pipefail, grep -q exits at its first match and the writer (ldd, readelf)
# can die of SIGPIPE, failing a check that held. Outputs are captured first and searched as strings.
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
if grep -q /opt/swift <<<"$(ldd "$prefix/lib/libfaceswap.so")"; then echo "FAIL: depends on /opt/swift"; exit 1; fi
if grep -q /opt/swift <<<"$(ldd "$prefix/bin/faceswap")"; then echo "FAIL: CLI depends on /opt/swift"; exit 1; fi
"$prefix/bin/faceswap" version
# imgcodecs, objdetect and ffmpeg are loaded on first use, not linked (issue 11 item 5): the video module is
# installed next to the library, exports its entry only and needs no Swift toolchain either.
lazy='libopencv_imgcodecs|libopencv_objdetect|libavformat|libavcodec|libswscale|libavutil'
for f in "$prefix/lib/libfaceswap.so" "$prefix/bin/faceswap"; do
  if readelf -d "$f" | grep NEEDED | grep -E "$lazy"; then echo "FAIL: $f links imgcodecs/objdetect/ffmpeg"; exit 1; fi
done
mod=$prefix/lib/libfaceswap-video.so
[ -f "$mod" ] || { echo "FAIL: no $mod"; exit 1; }
grep -q "NEEDED.*libavformat" <<<"$(readelf -d "$mod")" || { echo "FAIL: $mod does not link ffmpeg"; exit 1; }
if grep -q /opt/swift <<<"$(ldd "$mod")"; then echo "FAIL: video module depends on /opt/swift"; exit 1; fi
exported=$(nm -D --defined-only "$mod" | awk '$2=="T"||$2=="D"||$2=="B"{print $3}')
[ "$exported" = fsx_video_module_v1 ] || { echo "FAIL: the video module exports: $exported"; exit 1; }
# The installed CLI (bin/) finds the module in ../lib and the PNG codec on first use.
data=${FACESWAP_DATA:-$repo/Tests/data}
"$prefix/bin/faceswap" swap --source "$repo/samples/source.jpg" --target "$repo/samples/target.jpg" -o "$prefix/a.png" >/dev/null
"$prefix/bin/faceswap" swap --source "$prefix/a.png" --target "$repo/samples/target.jpg" -o "$prefix/b.png" >/dev/null
"$prefix/bin/faceswap" video --source "$repo/samples/source.jpg" --input "$data/videos/vr_face5.mp4" -o "$prefix/v.mp4"
[ -s "$prefix/v.mp4" ] || { echo "FAIL: the installed CLI wrote no video"; exit 1; }

# CMake (bindings/cmake): the package files, used from a copy of the prefix somewhere else.
cmake_dir=$prefix/lib/cmake/faceswap
for f in faceswapConfig.cmake faceswapConfigVersion.cmake; do
  [ -f "$cmake_dir/$f" ] || { echo "FAIL: make install wrote no $cmake_dir/$f"; exit 1; }
done
moved=$prefix/moved/usr
mkdir -p "$moved"
cp -a "$prefix/lib" "$prefix/include" "$moved/"
mkdir -p "$prefix/cmake-app"
cat > "$prefix/cmake-app/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(faceswap_cmake_app CXX)
find_package(faceswap ${WANT} CONFIG REQUIRED)
message(STATUS "faceswap ${faceswap_VERSION} (ABI ${faceswap_ABI_VERSION}) from ${faceswap_DIR}")
add_executable(app app.cpp)
target_link_libraries(app PRIVATE faceswap::faceswap)
CMAKE
cat > "$prefix/cmake-app/app.cpp" <<'CPP'
// Detects the faces of a photo and fits 68 landmarks to the largest: prints the count.
#include <faceswap.h>
#include <cstdio>
int main(int argc, char **argv) {
    if (argc != 2) { std::fprintf(stderr, "usage: app PHOTO\n"); return 2; }
    if (!FS_ABI_COMPATIBLE()) { std::fprintf(stderr, "ABI mismatch\n"); return 1; }
    std::printf("libfaceswap %s\n", fs_version_string());
    fs_detector *det = nullptr; fs_landmarker *lm = nullptr; fs_image *img = nullptr;
    fs_face faces[8]; size_t n = 0;
    if (fs_detector_create(nullptr, &det) || fs_landmarker_create(nullptr, &lm) ||
        fs_image_load(argv[1], &img) || fs_detect(det, img, faces, 8, &n) ||
        (n > 0 && fs_landmarks_fit(lm, img, &faces[0]))) {
        std::fprintf(stderr, "app: %s\n", fs_last_error_message());
        return 1;
    }
    std::printf("faces %zu landmarks %d\n", n, n > 0 ? (int)faces[0].num_landmarks : 0);
    fs_image_free(img); fs_landmarker_free(lm); fs_detector_free(det);
    return 0;
}
CPP
# configure WANT BUILD_DIR: configure the project asking for version WANT ("" = any) against the moved prefix
configure() { cmake -S "$prefix/cmake-app" -B "$2" -DWANT="$1" -DCMAKE_PREFIX_PATH="$moved" -DCMAKE_BUILD_TYPE=Release; }
configure 0.3 "$prefix/cmake-build" > "$prefix/cmake.log" 2>&1 || { cat "$prefix/cmake.log"; echo "FAIL: find_package(faceswap 0.3 CONFIG) against $moved"; exit 1; }
grep -q "from $moved/lib/cmake/faceswap" "$prefix/cmake.log" || { cat "$prefix/cmake.log"; echo "FAIL: faceswap not found in $moved"; exit 1; }
cmake --build "$prefix/cmake-build" > "$prefix/build.log" 2>&1 || { cat "$prefix/build.log"; echo "FAIL: building against faceswap::faceswap"; exit 1; }
app_libs=$(ldd "$prefix/cmake-build/app")
grep -q "libfaceswap.so.0 => $moved/lib/" <<<"$app_libs" || { echo "$app_libs"; echo "FAIL: app does not run on $moved/lib's library"; exit 1; }
out=$("$prefix/cmake-build/app" "$repo/samples/target.jpg")
echo "$out"
grep -q "^libfaceswap $(sed -n 's/^#define FS_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)/\2/p' "$repo/include/faceswap.h" | paste -sd.)\$" <<<"$out" &&
  grep -q "^faces 1 landmarks 68$" <<<"$out" || { echo "FAIL: the CMake-built app: $out (expected this version, 1 face, 68 landmarks)"; exit 1; }
# Versions it must refuse: newer than the library, and older than its ABI (0.2 was ABI 1).
for want in 99 0.2; do
  if configure "$want" "$prefix/cmake-build-$want" > "$prefix/cmake-$want.log" 2>&1; then
    echo "FAIL: find_package(faceswap $want CONFIG REQUIRED) succeeded"; exit 1
  fi
  grep -q "faceswapConfig.cmake, version: " "$prefix/cmake-$want.log" ||
    { cat "$prefix/cmake-$want.log"; echo "FAIL: find_package(faceswap $want) failed without naming the installed version"; exit 1; }
done
echo "install check: 4 passed, 0 failed"
