// Issue 11, items 1 and 4: the tracking step against its C++ floor, and the stream's jitter on a
// synthetic clip moved along a known path (raw mode against the defaults).
import FaceSwap
#if canImport(Glibc)
import Glibc
#endif

/// The tracking step (FaceTracker with the stream's defaults) on the clip's frames played forward
/// and back (no cut at the turns) `laps` times, so the periodic scans of every kind and the start
/// are counted at their steady rates; against the floor (`faceswap-floor track`: HOG at the scale
/// the tracker scans this face at, every N frames, + one 68-point fit per frame), in the same run.
func trackingBench(clip: String, frames: [VideoReader.Frame], detector: Detector, landmarker: Landmarker, laps: Int = 4) throws {
    var order: [Int] = []
    for lap in 0..<laps { order += lap % 2 == 0 ? Array(frames.indices) : Array(frames.indices.reversed().dropFirst().dropLast()) }
    let fps = 30.0
    var perFrame: [Double] = []
    var last: FaceTracker? = nil
    for _ in 0..<3 {
        let tracker = try FaceTracker(detector: detector, landmarker: landmarker)
        let t = now()
        for (n, i) in order.enumerated() { try tracker.track(frames[i].image, time: Double(n) / fps) }
        perFrame.append((now() - t) / Double(order.count))
        last = tracker
    }
    guard let tracker = last else { return }
    let options = tracker.options
    let scale = tracker.trackingScanScale ?? detector.scanScale
    print("tracking, \(clip): \(order.count) frames (\(frames.count) forward and back, \(laps) laps); " +
          "\(tracker.detections) scans (\(tracker.fullScans) for faces of any size), scan scale while tracking \(scale)")
    print("  tracking step \(ms(median(perFrame))) per frame (\(Int((1 / median(perFrame)).rounded())) fps; median of 3 runs)")
    runFloor("track '\(clip)' \(options.detectInterval) \(scale) 5")
    if let floor = floors["tracking"] {
        goal("tracking step", median(perFrame), over: "floor: detect ÷ N + one 68-point fit", floor, atMost: 1.3)
    }
    print("")
}

/// Jitter (issue 11, item 4): a still photo moved along a known path (JitterClip), swapped through
/// the stream in raw mode (detect every frame, no smoothing) and with the defaults; the optical
/// flow inside the face between consecutive output frames warped back along the true path.
func jitterBench(data: String, landmarker: Landmarker) throws {
    let detector = try Detector()
    let clip = try JitterClip(still: try Image.load(path: data + "/faces/fr_biden2.jpg"), detector: detector, landmarker: landmarker)
    let swapper = try Swapper(detector: detector, landmarker: landmarker)
    let source = try swapper.prepare(try Image.load(path: data + "/faces/fr_obama1.jpg"))
    var raw = StreamOptions()
    raw.detectInterval = 1
    raw.minCutoff = 0
    let r = try StreamJitter.measure(clip, swapper: swapper, source: source, options: raw, inputFlow: true)
    let d = try StreamJitter.measure(clip, swapper: swapper, source: source, options: StreamOptions())
    let o = try StreamJitter.measure(clip, swapper: swapper, source: source, mode: .truth)
    func line(_ name: String, _ j: JitterReport) -> String {
        "  \(name): flow in the face \((j.flow * 1000).rounded() / 1000) px/frame; lag \(j.lag) frame (whole frames: " +
        "\(j.lagFrames)); flicker \((j.flicker * 1000).rounded() / 1000) grey levels/frame; centroid error \((j.centroidError * 100).rounded() / 100) px; landmark steps " +
        "\((j.pointJitter * 1000).rounded() / 1000) px (centroid \((j.centroidJitter * 1000).rounded() / 1000)); \(j.frames)/\(clip.count) frames with a face"
    }
    print("jitter, fr_biden2.jpg moved along a known path (\(clip.width)x\(clip.height), \(clip.count) frames, pan/zoom/roll, " +
          "varying speed), fr_obama1.jpg swapped in; flow of the input frames alone \(((r.inputFlow ?? 0) * 1000).rounded() / 1000) px/frame")
    print(line("raw mode (detect every frame, no filter)", r))
    print(line("default (detect every 5, tracked, filtered)", d))
    print(line("true landmarks (the swap stages alone)", o))
    goal("stream jitter (flow in the face, default ÷ raw)", d.flow, over: "raw mode", r.flow, atMost: 0.4, unit: "")
    print("")
}
