// faceswap-bench: per-stage and end-to-end medians of many runs on the shared data, release build.
// Usage: faceswap-bench [--data DIR] [--runs N] [--out DIR] | --mean-face
import FaceSwap
#if canImport(Glibc)
import Glibc
#endif

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? .nan : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
}

func ms(_ v: Double) -> String {
    let r = (v * 10000).rounded() / 10
    return "\(r) ms"
}

func machine() -> String {
    var model = "unknown CPU"
    if let info = try? Files.read("/proc/cpuinfo"), let text = String(validating: info, as: UTF8.self) {
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            model = line.split(separator: ":", maxSplits: 1).last.map { String($0).trimmingPrefix(" ") } ?? model
            break
        }
    }
    let cores = sysconf(Int32(_SC_NPROCESSORS_ONLN))
    var u = utsname()
    uname(&u)
    let host = withUnsafeBytes(of: &u.nodename) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
    return "\(model), \(cores) cores, host \(host)"
}

extension String {
    func trimmingPrefix(_ p: String) -> String { var s = Substring(self); while s.hasPrefix(p) { s = s.dropFirst(p.count) }; return String(s) }
}

/// Times body `runs` times (after one warm-up) and returns the median in seconds.
func time(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
    try body()
    var xs: [Double] = []
    for _ in 0..<runs {
        let t = now()
        try body()
        xs.append(now() - t)
    }
    return median(xs)
}


/// Learned conversion (issue 5): training step and conversion times on faces extracted from two
/// shared clips.
func learnedBench(data: String, outDir: String, runs: Int, landmarker: Landmarker) throws {
    let detector = try Detector()
    var eo = ExtractOptions()
    eo.duplicateDistance = 0
    let extractor = try Extractor(detector: detector, landmarker: landmarker, options: eo)
    for (clip, dir) in [("vr_face2", "faces_a"), ("vr_face3", "faces_b")] where (try? Files.list(outDir + "/" + dir))?.isEmpty ?? true {
        let t = now()
        let s = try extractor.run([data + "/videos/\(clip).mp4"], into: outDir + "/" + dir)
        print("extract \(clip).mp4: \(s.frames) frames, \(s.written) faces in \(ms((now() - t) / Double(max(1, s.frames)))) per frame")
    }
    var o = TrainOptions()
    o.checkpointEvery = 0
    o.previewEvery = 0
    let trainer = try Trainer(facesA: outDir + "/faces_a", facesB: outDir + "/faces_b", modelPath: outDir + "/bench.fsm", options: o)
    let steps = max(5, runs / 3)
    let tStep = try time(steps) { try trainer.step() }
    let c = trainer.model.parameterCounts
    print("learned conversion, networks on \(NetworkBackend.report)")
    print("  network 64x64: \(c.encoder + 2 * c.decoder) parameters (encoder \(c.encoder), decoders 2 x \(c.decoder)); " +
          "discriminator (GAN option) \(c.discriminator) each")
    print("  training iteration (batch 16 of A + batch 16 of B, augmentation + L1/SSIM/mask losses + Adam): \(ms(tStep)); " +
          "per identity step \(ms(tStep / 2))  [median of \(steps)]")
    try trainer.checkpoint()
    let model = try FaceModel.load(path: outDir + "/bench.fsm")
    let frame = try Image.load(path: data + "/faces/fr_obama1.jpg")
    let face = try landmarker.fit(frame, try detector.detect(frame)[0])
    let t = try Aligner.transform(for: face, size: 64, padding: model.info.padding)
    let crop = try Aligner.crop(frame.ensuring(.bgr8), transform: t, size: 64)
    let tConvert = try time(runs) { _ = try model.convert(crop, to: .b, shifted: true) }
    let swapper = try Swapper(detector: detector, landmarker: landmarker, model: model)
    let tSwapFace = try time(runs) { try swapper.swapFace(nil, face, into: try frame.copy()) }
    let tSwap = try time(runs) { _ = try swapper.swap(nil, onto: frame) }
    print("  convert one aligned face (encoder + decoder): \(ms(tConvert)); swap one known face (align + convert + " +
          "mask/colour/multiband): \(ms(tSwapFace)); whole swap of a \(frame.width)x\(frame.height) photo (+ detect, landmarks): \(ms(tSwap))")
    print("  floor: `.build/release/faceswap-floor train \(steps) 16` (the same network under dlib's dnn_trainer)\n")
}

var args = Array(CommandLine.arguments.dropFirst())
if args.first == "--mean-face" {
    let shape = try Landmarker.meanShape(modelPath: try ModelResolver.find(ModelResolver.landmarks68))
    print(MeanFaceGenerator.source(try MeanFaceGenerator.normalised(shape)))
    exit(0)
}
if args.contains("--help") || args.contains("-h") {
    print("""
    usage: faceswap-bench [--data DIR] [--runs N] [--out DIR] [--only SECTION,...] [--learned]
      per-stage medians (release build) on the test data (default Tests/data), each beside its floor
      (the same OpenCV/dlib/ffmpeg work done directly); writes the 1280x720 test JPEG and clips to
      OUT (default .build/bench)
      --runs N         runs per median (default 30)
      --only S,...     only these sections: detect, swap, startup, video, reenact, jitter, pipeline,
                       learned (the handle-creation line and the goals table always print)
      --learned        only the learned-conversion figures
      --mean-face      print the mean face's Swift source (MeanFace.swift) and exit
    """)
    exit(0)
}
func opt(_ name: String) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}
/// `--only a,b`: run only the named sections (detect, swap, video, reenact, learned, and those the
/// other files add); the handle-creation line and the goals table always print.
func want(_ section: String) -> Bool {
    guard let only = opt("--only") else { return true }
    return only.split(separator: ",").contains(Substring(section))
}
let data = opt("--data") ?? "Tests/data"
let runs = Int(opt("--runs") ?? "") ?? 30
let outDir = opt("--out") ?? ".build/bench"
_ = mkdir(outDir, 0o755)

print("faceswap-bench \(Version.string) — \(machine())")
print("medians of \(runs) runs after one warm-up; release build\n")

// Handle creation (model loading) is reported separately: once per handle.
var t0 = now()
let landmarker = try Landmarker()
let tLandmarker = now() - t0
// A cached model's leaves are checked as fits first read them; cacheState checks all of them.
let cacheState = landmarker.cacheState
let tLandmarkerReady = now() - t0
t0 = now()
var fastOptions = DetectorOptions()
fastOptions.minFaceSize = 320  // scan at 1/4 scale: faces >= 320 px
let fast = try Detector(fastOptions)
let tDetector = now() - t0
let detectorState = fast.cacheState  // loads the detector from its cache, as the first detect does
let tDetectorReady = now() - t0
let full = try Detector()
print("handle creation: landmarker (68-point model) \(ms(tLandmarker)) (\(cacheState.name); ready for a fit, " +
      "every leaf's checksum checked (cacheState) after \(ms(tLandmarkerReady))), " +
      "HOG detector \(ms(tDetector)) (\(detectorState.name); loaded by its first use, ready after \(ms(tDetectorReady)))\n")
if args.contains("--learned") {  // only the learned-conversion figures (e.g. to compare BLAS builds)
    try learnedBench(data: data, outDir: outDir, runs: runs, landmarker: landmarker)
    exit(0)
}

// The 1280x720 one-face JPEG of the issue, made from a shared photo.
let portrait = try Image.load(path: data + "/faces/fr_obama1.jpg")
let hd = try portrait.resized(width: 1280, height: 720)
let jpeg = try hd.encode(.jpeg, quality: 90)
let jpegPath = outDir + "/obama_1280x720.jpg"
try jpeg.withBytes { try Files.writeAtomically(jpegPath, $0) }

func stageReport(_ title: String, bytes: UnsafeRawBufferPointer, detector: Detector) throws {
    let img = try Image.decode(bytes)
    let faces = try detector.detect(img)
    guard let face = faces.first else { print("\(title): no face found"); return }
    let fitted = try landmarker.fit(img, face)
    let tDecode = try time(runs) { _ = try Image.decode(bytes) }
    let tDetect = try time(runs) { _ = try detector.detect(img) }
    // The automatic mode's finer scan of a photo is in colour (dlib's strongest-channel gradient).
    let tDetectGrey = try time(runs) { _ = try detector.detect(img, finerInColour: false) }
    let tLandmarks = try time(runs) { _ = try landmarker.fit(img, face) }
    let tAlign = try time(runs) {
        let t = try Aligner.transform(for: fitted, size: 256, padding: 0.25)
        _ = try Aligner.crop(img, transform: t, size: 256)
    }
    let tAll = try time(runs) {
        let i = try Image.decode(bytes)
        for f in try detector.detect(i) { _ = try landmarker.fit(i, f) }
    }
    print("\(title)  [\(img.width)x\(img.height), \(faces.count) face(s), scan scale \(detector.scanScale)]")
    print("  decode            \(ms(tDecode))")
    print("  detect            \(ms(tDetect))  (finer scan in colour; all grey \(ms(tDetectGrey)): " +
          "colour / grey \((tDetect / tDetectGrey * 100).rounded() / 100))")
    print("  68 landmarks      \(ms(tLandmarks))  (one face)")
    print("  align 256 crop    \(ms(tAlign))")
    print("  decode+detect+landmarks (end to end)  \(ms(tAll))\n")
}

let jpegBytes = jpeg.array
if want("detect") {
try jpegBytes.withUnsafeBytes { try stageReport("1280x720 JPEG, downscale option (min face 320 px)", bytes: $0, detector: fast) }
try jpegBytes.withUnsafeBytes { try stageReport("1280x720 JPEG, full-size HOG", bytes: $0, detector: full) }
for name in ["fr_two_people_obama_biden.jpg", "sn_city_portrait.jpg", "sn_classroom_in_tanzania.jpg"] {
    let bytes = try Files.read(data + "/faces/" + name)
    try bytes.withUnsafeBytes { try stageReport(name + ", full-size HOG", bytes: $0, detector: full) }
}
}
// ---- Face swap (issue 3): two 1280x720 JPEGs, end to end and per stage ----
let cityHD = try Image.load(path: data + "/faces/sn_city_portrait.jpg").resized(width: 1280, height: 720)
let cityJPEG = try cityHD.encode(.jpeg, quality: 90)
let cityPath = outDir + "/city_1280x720.jpg"
try cityJPEG.withBytes { try Files.writeAtomically(cityPath, $0) }
let srcBytes = jpegBytes, dstBytes = cityJPEG.array
// The floor: the same OpenCV / dlib calls made directly from C++, in this run.
runFloor("'\(jpegPath)' \(runs) 0.25 '\(cityPath)'")
print("")
var inProcessSwap: Double? = nil  // startup (issue 11 item 5): the multiband end-to-end figure below
if want("swap") {
print("face swap, 1280x720 JPEG source (obama) onto 1280x720 JPEG target (city portrait), detector min face 320 px")
for blend in [BlendMode.multiband, .alpha, .poisson, .poissonExact] {
    var o = SwapOptions()
    o.blend = blend
    let swapper = try Swapper(detector: fast, landmarker: landmarker, options: o)
    let prepared = try srcBytes.withUnsafeBytes { try swapper.prepare(try Image.decode($0)) }
    let tEnd = try time(runs) {
        let s = try srcBytes.withUnsafeBytes { try Image.decode($0) }
        let t = try dstBytes.withUnsafeBytes { try Image.decode($0) }
        let src = try swapper.prepare(s)
        let r = try swapper.swap(src, onto: t)
        _ = try r.image.encode(.jpeg)
    }
    let tMore = try time(runs) {
        let t = try dstBytes.withUnsafeBytes { try Image.decode($0) }
        let r = try swapper.swap(prepared, onto: t)
        _ = try r.image.encode(.jpeg)
    }
    print("  blend \(blend.name): end to end \(ms(tEnd)); with a prepared source, one more target \(ms(tMore))")
    if blend == .multiband { inProcessSwap = tEnd }  // startup
    if blend == .multiband || blend == .poisson || blend == .poissonExact {
        // Per-stage medians of the face stages.
        let target = try dstBytes.withUnsafeBytes { try Image.decode($0) }
        let face = try swapper.faces(in: target)[0]
        // Each run also times the target's JPEG decode, the per-face goals' denominator, beside
        // the stages, in the same conditions: timed on its own just before this section, the same
        // decode read 2.3 or 3.0 ms from one run to the next (0.18.0's three runs), 2.3 ms in all
        // three when timed again after it.
        func stages(_ sw: Swapper) throws -> [String: Double] {
            var times: [String: [Double]] = [:]
            for _ in 0..<runs {
                let t0 = now()
                _ = try dstBytes.withUnsafeBytes { try Image.decode($0) }
                times["decode", default: []].append(now() - t0)
                let clock = StageClock()
                let copy = try target.copy()
                try sw.swapFace(prepared, face, into: copy, clock: clock)
                for (k, v) in clock.totals { times[k, default: []].append(v) }
            }
            return times.mapValues(median)
        }
        let per = try stages(swapper)
        let order = ["prepare", "warp", "mask", "colour", "blend"]
        print("    stages: " + order.map { "\($0) \(ms(per[$0] ?? 0))" }.joined(separator: ", "))
        if blend == .multiband {
            // The same with other options (the opt-in stages).
            func stagesWith(_ change: (inout SwapOptions) -> Void) throws -> [String: Double] {
                var oc = o
                change(&oc)
                return try stages(try Swapper(detector: fast, landmarker: landmarker, options: oc))
            }
            // The colour stage with the seam's colour match on (edge_color 1; off by default).
            let edged = try stagesWith { $0.edgeColor = 1 }
            print("    colour stage with edge_color 1: \(ms(edged["colour"] ?? 0)) (default, off: \(ms(per["colour"] ?? 0))), "
                  + "its seam occluders (occlusion stage) \(ms(edged["occlusion"] ?? 0))")
            let four = ["warp", "mask", "colour", "blend"].map { per[$0] ?? 0 }.reduce(0, +)
            // The skin texture (option skin_texture, off by default): its own stage.
            let textured = try stagesWith { $0.skinTexture = 1 }
            print("    texture stage with skin_texture 1: \(ms(textured["texture"] ?? 0)) (the four default stages: \(ms(four)))")
            goal("per-face stages (warp+mask+colour+blend, multiband)", four, over: "decode of the 720p JPEG", per["decode"] ?? .nan, atMost: 1.5)
            // The occlusion mask (option occlusion, off by default): its own stage, and the four
            // stages with it against the same floor.
            let occ = try stagesWith { $0.occlusion = true }
            let withOcc = ["warp", "mask", "occlusion", "colour", "blend"].map { occ[$0] ?? 0 }.reduce(0, +)
            print("    with occlusion: occlusion stage \(ms(occ["occlusion"] ?? 0)), the five stages \(ms(withOcc))")
            goal("per-face stages with occlusion (multiband)", withOcc, over: "decode of the 720p JPEG", occ["decode"] ?? .nan, atMost: 1.5)
        }
    }
}
do {  // the other way round: a smaller target face (~390 px)
    let swapper = try Swapper(detector: fast, landmarker: landmarker)
    let prepared = try dstBytes.withUnsafeBytes { try swapper.prepare(try Image.decode($0)) }
    let tEnd = try time(runs) {
        let s = try dstBytes.withUnsafeBytes { try Image.decode($0) }
        let t = try srcBytes.withUnsafeBytes { try Image.decode($0) }
        _ = try swapper.swap(try swapper.prepare(s), onto: t).image.encode(.jpeg)
    }
    let tMore = try time(runs) {
        let t = try srcBytes.withUnsafeBytes { try Image.decode($0) }
        _ = try swapper.swap(prepared, onto: t).image.encode(.jpeg)
    }
    print("  reverse (city onto obama, multiband): end to end \(ms(tEnd)); with a prepared source, one more target \(ms(tMore))")
}
let target = try dstBytes.withUnsafeBytes { try Image.decode($0) }
print("  decode 1280x720 \(ms(try time(runs) { _ = try dstBytes.withUnsafeBytes { try Image.decode($0) } }))," +
      " detect+68 points \(ms(try time(runs) { for f in try fast.detect(target) { _ = try landmarker.fit(target, f) } }))," +
      " JPEG encode \(ms(try time(runs) { _ = try target.encode(.jpeg) }))\n")
}

// ---- startup (issue 11 item 5): the whole-process CLI swap against the in-process one (Startup.swift) ----
if want("startup") {
    let inProcess = try inProcessSwap ?? time(runs) {
        let swapper = try Swapper(detector: fast, landmarker: landmarker)
        let s = try srcBytes.withUnsafeBytes { try Image.decode($0) }
        let t = try dstBytes.withUnsafeBytes { try Image.decode($0) }
        _ = try swapper.swap(try swapper.prepare(s), onto: t).image.encode(.jpeg)
    }
    startupBench(source: jpegPath, target: cityPath, outDir: outDir, inProcess: inProcess)
}
// ---- end startup ----

// ---- Video (issue 4): a 1280x720 clip made from a shared talking-head clip ----
let clip = outDir + "/talking_1280x720.mp4"
let make = "ffmpeg -y -v error -i '\(data)/videos/vr_face2.mp4' -vf 'scale=-2:720,pad=1280:720:(ow-iw)/2:0' " +
    "-c:v libx264 -crf 18 -preset veryfast -c:a copy '\(clip)'"
if !want("video") {
} else if system(make) == 0 {
    let swapper = try Swapper(detector: try Detector(), landmarker: landmarker)
    let source = try swapper.prepare(try Image.load(path: data + "/faces/fr_obama1.jpg"))
    // Decode alone.
    var t = now()
    var frames: [VideoReader.Frame] = []
    let reader = try VideoReader(path: clip)
    while let f = try reader.next() { frames.append(f) }
    let decodeFPS = Double(frames.count) / (now() - t)
    // Swap alone (stream: detect every 5 frames, track, filter, swap), on copies of the frames.
    let copies = try frames.map { try $0.image.copy() }
    let stream = try FaceStream(swapper: swapper, source: source)
    t = now()
    for (i, f) in copies.enumerated() { try stream.process(f, time: frames[i].seconds) }
    let swapFPS = Double(copies.count) / (now() - t)
    // Tracking alone, and the swap stage alone with known landmarks.
    let tracker = try FaceTracker(detector: swapper.detector, landmarker: landmarker)
    t = now()
    for f in frames { try tracker.track(f.image, time: f.seconds) }
    let trackFPS = Double(frames.count) / (now() - t)
    // Encode alone.
    let reader2 = try VideoReader(path: clip)
    let writer = try VideoWriter(path: outDir + "/encode_only.mp4", reader: reader2)
    t = now()
    for f in frames { try writer.write(f.image, pts: f.pts, duration: f.duration) }
    try writer.finish()
    let encodeFPS = Double(frames.count) / (now() - t)
    let job = try VideoJob.run(input: clip, output: outDir + "/talking_swapped.mp4", swapper: swapper, source: source)
    print("video, \(clip): 1280x720, \(frames.count) frames, one face")
    print("  decode \(Int(decodeFPS)) fps; tracking (detect every 5 + 68 points + filter) \(Int(trackFPS)) fps; " +
          "swap (tracking + warp/mask/colour/multiband) \(Int(swapFPS)) fps; encode (x264 veryfast) \(Int(encodeFPS)) fps")
    print("  whole job (decode + swap + encode + audio copy): \(Int(Double(job.frames) / job.seconds)) fps\n")
    try trackingBench(clip: clip, frames: frames, detector: swapper.detector, landmarker: landmarker)  // issue 11 item 1: Jitter.swift
} else {
    print("video: ffmpeg not available, skipped\n")
}

// ---- Reenactment (issue 6): a 720x720 photo driven by a 720x720 talking-head clip ----
let driver720 = outDir + "/driver_720x720.mp4"
if want("reenact"), system("ffmpeg -y -v error -i '\(data)/videos/vr_face3.mp4' -vf scale=720:720 -c:v libx264 -crf 18 -preset veryfast -c:a copy '\(driver720)'") == 0 {
    let photo = try Image.load(path: data + "/faces/fr_biden2.jpg").resized(width: 720, height: 720)
    let re = try Reenactor(detector: try Detector(), landmarker: landmarker, source: photo)
    let reader = try VideoReader(path: driver720)
    var frames: [VideoReader.Frame] = []
    while let f = try reader.next() { frames.append(f) }
    // Per-frame latency of each push (fs_reenactor_push = Reenactor.animate), frames in memory.
    var reLatency: [Double] = []
    var t = now()
    for f in frames {
        let t1 = now()
        _ = try re.animate(f.image, time: f.seconds)
        reLatency.append(now() - t1)
    }
    let fps = Double(frames.count) / (now() - t)
    let re2 = try Reenactor(detector: try Detector(), landmarker: landmarker, source: photo)
    t = now()
    let job = try ReenactJob.run(reenactor: re2, driving: driver720, output: outDir + "/reenacted_720.mp4")
    print("reenactment, 720x720 photo, 720x720 driver (\(frames.count) frames): animate \(Int(fps)) fps; " +
          "whole job (decode + animate + encode) \(Int(Double(job.frames) / (now() - t))) fps")
    // Issue 12 item 6: the stream reenactor against the swap's stream (fs_stream_push =
    // FaceStream.process) at the same size, on the same clip, same default detector: each push
    // timed alone. The swap stream works on a copy of each frame (it swaps in place).
    let swapper = try Swapper(detector: try Detector(), landmarker: landmarker)
    let stream = try FaceStream(swapper: swapper, source: try swapper.prepare(photo))
    var swapLatency: [Double] = []
    for f in frames {
        let img = try f.image.copy()
        let t1 = now()
        try stream.process(img, time: f.seconds)
        swapLatency.append(now() - t1)
    }
    let reP50 = percentile(reLatency, 50), reP99 = percentile(reLatency, 99)
    let swP50 = percentile(swapLatency, 50), swP99 = percentile(swapLatency, 99)
    print("  latency per frame, 720x720 (\(frames.count) frames): reenactor push p50 \(ms(reP50)), p99 \(ms(reP99)); " +
          "swap stream push p50 \(ms(swP50)), p99 \(ms(swP99))")
    goal("reenactor push p50, 720x720", reP50, over: "swap stream push p50", swP50, atMost: 1)
    goal("reenactor push p99, 720x720", reP99, over: "swap stream push p99", swP99, atMost: 1)
    print("")
}

if want("jitter") { try jitterBench(data: data, landmarker: landmarker) }  // issue 11 item 4: Jitter.swift
if want("pipeline") { try pipelineBench(data: data, outDir: outDir, runs: runs, landmarker: landmarker) }  // issue 11 items 2-3: Pipeline.swift
if want("learned") { try learnedBench(data: data, outDir: outDir, runs: runs, landmarker: landmarker) }
print("floor: `.build/release/faceswap-floor \(jpegPath) \(runs) 0.25 \(cityPath)` makes the same calls directly from C++\n")
printGoals()
