// swift-tools-version:5.9
//
// libfaceswap: a Swift core over OpenCV and dlib, exported as libfaceswap.so with the
// hand-written C header include/faceswap.h. See docs/ARCHITECTURE.md for the layout.
import PackageDescription
import Foundation

let root = Context.packageDirectory

// dlib's detector scan and shape predictor are header templates, so the shim's own flags set
// their speed. Default: x86-64-v3 (AVX2 + FMA, Haswell/Zen and newer); the library checks the CPU
// at run time and refuses with a clear status on an older one. FS_PORTABLE=1 builds for baseline x86-64.
let portable = ProcessInfo.processInfo.environment["FS_PORTABLE"] == "1"
var shimFlags = ["-O3", "-fno-math-errno", "-Wno-deprecated-declarations", "-Wno-unused-command-line-argument"]
#if arch(x86_64)
if !portable { shimFlags += ["-march=x86-64-v3", "-DFS_SHIM_NEEDS_AVX2=1"] }
#endif

// GPU: FS_DLIB_CUDA=1 compiles the shim against a dlib built with CUDA and cuDNN (dlib's DNN then
// trains and runs the learned networks on the device), installed under FS_DLIB_PREFIX (default
// /usr/local), with CUDA's libraries under FS_CUDA_PREFIX (default /usr/local/cuda). The shim
// refuses to compile when that dlib has no CUDA (backend.cpp); at run time fs_model_get_info's
// `backend` says which device runs the networks. See the README's "GPU build".
let environment = ProcessInfo.processInfo.environment
let cuda = environment["FS_DLIB_CUDA"] == "1"
let dlibPrefix = environment["FS_DLIB_PREFIX"] ?? "/usr/local"
let cudaPrefix = environment["FS_CUDA_PREFIX"] ?? "/usr/local/cuda"
if cuda { shimFlags += ["-DFS_DLIB_CUDA=1", "-I\(dlibPrefix)/include", "-I\(cudaPrefix)/include"] }
let cudaLinking: [LinkerSetting] = !cuda ? [] :
    [.unsafeFlags(["-L\(dlibPrefix)/lib", "-L\(cudaPrefix)/lib64", "-Xlinker", "-rpath", "-Xlinker", "\(dlibPrefix)/lib",
                   "-Xlinker", "-rpath", "-Xlinker", "\(cudaPrefix)/lib64"])] +
    ["cudart", "cublas", "cudnn", "curand", "cusolver"].map { .linkedLibrary($0) }

// ffmpeg: only the video module (libfaceswap-video.so) links it; the shim loads that on first use.
let ffmpeg: [LinkerSetting] = ["avformat", "avcodec", "swscale", "avutil"].map { .linkedLibrary($0) }
// Not imgcodecs: the shim loads it on first use (codec_cv.cpp) — linked, it and the ~115 libraries
// it needs (GDAL, OpenEXR, GDCM…) cost ~90 ms of dynamic loading at every start of a process.
// Nor objdetect (the Haar detector, detect_haar.cpp): dnn, protobuf, calib3d… a few ms more.
let openCV: [LinkerSetting] = ["opencv_core", "opencv_imgproc", "opencv_photo"]
    .map { .linkedLibrary($0) }
// zlib: libpng needs it anyway; the shim calls its crc32 directly (checksum.cpp).
let zlib: [LinkerSetting] = [.linkedLibrary("z")]
let dlib: [LinkerSetting] = cudaLinking + [.linkedLibrary("dlib"), .linkedLibrary(":libblas.so.3"), .linkedLibrary(":liblapack.so.3"),
                             .linkedLibrary("jpeg"), .linkedLibrary("stdc++")]

let package = Package(
    name: "faceswap",
    products: [
        .library(name: "faceswap", type: .dynamic, targets: ["FaceSwapC"]),
        // Video files (ffmpeg), loaded by the shim on the first video call: libfaceswap-video.so
        // next to libfaceswap.so (and to the CLI). See Sources/CFaceShim/video_module.h.
        .library(name: "faceswap-video", type: .dynamic, targets: ["FaceSwapVideo", "FaceSwapVideoLink"]),
        .executable(name: "faceswap-cli", targets: ["faceswap-cli"]),
        .executable(name: "faceswap-bench", targets: ["faceswap-bench"]),
        .executable(name: "faceswap-floor", targets: ["faceswap-floor"]),
    ],
    targets: [
        // C++ behind a C header: every function catches every exception.
        .target(
            name: "CFaceShim",
            cxxSettings: [
                .headerSearchPath("."),
                .unsafeFlags(["-I/usr/include/opencv4"] + shimFlags),
            ],
            linkerSettings: openCV + dlib + zlib
        ),
        // The video module: video.cpp over ffmpeg's libraries, with the shim's headers (common.hpp's
        // error helpers report through the host's functions: module.cpp). Only its entry is exported.
        .target(
            name: "FaceSwapVideo",
            exclude: ["exports.map"],
            publicHeadersPath: ".",  // none: nothing imports it
            // The shim's flags: its BGR -> YUV conversion is vectorised for AVX2 (swscale's otherwise).
            cxxSettings: [.unsafeFlags(["-I\(root)/Sources/CFaceShim", "-I\(root)/Sources/CFaceShim/include",
                                        "-fvisibility=hidden"] + shimFlags)],
            linkerSettings: ffmpeg + [.linkedLibrary("stdc++"), .unsafeFlags([
                "-Xlinker", "--version-script=\(root)/Sources/FaceSwapVideo/exports.map",
                "-Xlinker", "-z", "-Xlinker", "defs",
            ])]
        ),
        // Link flags only (an empty Swift file): no Swift runtime in the video module. See Link.swift.
        .target(name: "FaceSwapVideoLink", linkerSettings: [.unsafeFlags(["-static-stdlib", "-nostartfiles"])]),
        // The Swift core: all the logic, no Foundation.
        // (It reads the version from the public header's macros: CFaceSwapABI.)
        .target(name: "FaceSwap", dependencies: ["CFaceShim", "CFaceSwapABI"]),
        // The @_cdecl layer: argument checks, C <-> Swift translation, nothing else.
        // The public header as a Clang module, with compile-time checks of its struct layouts.
        .target(name: "CFaceSwapABI"),
        .target(
            name: "FaceSwapC",
            dependencies: ["FaceSwap", "CFaceSwapABI"],
            exclude: ["exports.map"],
            linkerSettings: [.unsafeFlags([
                "-static-stdlib",
                "-Xlinker", "--version-script=\(root)/Sources/FaceSwapC/exports.map",
                "-Xlinker", "-z", "-Xlinker", "defs",
                "-Xlinker", "-soname=libfaceswap.so.0",
            ])]
        ),
        // The CLI is a client of the C ABI like any other: it imports only the public header
        // (CFaceSwapABI) and links the very libfaceswap.so users get (built first: `make build`
        // builds the library product, then the rest), found next to it or in ../lib (an installed
        // prefix). It carries its own Swift runtime (no /opt/swift needed once installed).
        .executableTarget(name: "faceswap-cli", dependencies: ["CFaceSwapABI"],
                          linkerSettings: [.linkedLibrary("faceswap"), .unsafeFlags([
                              "-static-stdlib", "-Xlinker", "-rpath", "-Xlinker", "$ORIGIN",
                              "-Xlinker", "-rpath", "-Xlinker", "$ORIGIN/../lib",
                          ])]),
        .executableTarget(name: "faceswap-bench", dependencies: ["FaceSwap"]),
        // The floor: the same OpenCV/dlib calls made directly from C++, built with the shim's flags.
        .executableTarget(
            name: "faceswap-floor",
            cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4"] + shimFlags)],
            linkerSettings: openCV + [.linkedLibrary("opencv_imgcodecs")] + dlib + [.linkedLibrary("m")]
        ),
        .testTarget(name: "FaceSwapTests", dependencies: ["FaceSwap"], path: "Tests/FaceSwapTests"),
    ],
    cxxLanguageStandard: .cxx17
)
