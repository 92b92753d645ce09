#if canImport(Glibc)
import Glibc
#endif

/// Options of a frame stream.
public struct StreamOptions: Sendable {
    /// Run the detector every N frames (and whenever a track is lost or the scene cuts);
    /// in between, landmarks are re-fitted in the box predicted from the previous frame.
    public var detectInterval: Int = 5
    /// One-Euro filter on the landmarks: cutoff (Hz) when still, and how fast it opens with
    /// speed (per inter-ocular distance per second). 0 min cutoff turns filtering off.
    public var minCutoff: Double = 2.0
    public var beta: Double = 8.0
    /// Mean absolute difference (0–255) of consecutive 32×18 grey thumbnails above which the
    /// scene is taken to have cut: tracks and filters restart.
    public var sceneCut: Double = 28
    /// Threads a frame may use to swap its faces at the same time (0: every core, 1: only the
    /// caller's thread). Above 1 (or 0 on more than one core), the tracker's periodic sweep for
    /// newcomers also runs on a second thread of the stream's own (FaceTracker, SweepScan).
    public var threads: Int = 0
    public init() {}

    /// Ranges: the option table (Core/OptionTable.swift).
    func validate() throws { try OptionField.validate(Self.fields, self, .stream) }
}

/// How a track's shape filter treats the face's regions: factors on the shape filter's cutoff and
/// beta per region (jaw, brows, nose, eyes, mouth) and the cutoff of its speed estimate (Hz).
struct ShapeTuning: Sendable {
    var regions: [(cutoff: Double, beta: Double)]
    var derivativeCutoff: Double

    /// Swapping (FaceStream): every region alike, smoothed hard (the swapped face must not
    /// shimmer; the target's own expression stays in the frame under the swap).
    static let stream = ShapeTuning(regions: Array(repeating: (1, 1), count: 5), derivativeCutoff: 1)
}

/// One tracked face. Its landmarks are filtered as a pose (a similarity: the centroid, and scale
/// with rotation) and a shape (the points with that pose taken out), each part with its own filter
/// whose cutoff opens with its own speed: a head that moves does not open the shape's filter, so
/// the fit's wobble of single points is smoothed as much while moving as when still. The pose's
/// filters predict from their velocity (TrendFilter), so steady motion is followed without lag.
final class Track {
    let id: Int
    var rect: Rect
    var pose: TrendFilter             // centroid x, y
    var turn: TrendFilter             // scale·cos, scale·sin (px at unit radius)
    var shape: OneEuroFilter          // the points in the pose's frame (unit RMS radius)
    var reference: [Point] = []       // the first fit, centred, unit RMS radius
    var landmarks: [Point] = []       // filtered
    var centroid: Point? = nil        // of the raw landmarks, last frame
    var filteredPose: [Double] = []   // cx, cy, a, b of the filtered landmarks, last frame
    var rawPose: [Double] = []        // cx, cy, a, b of the raw fit, last frame
    var poseVelocity = [0.0, 0, 0, 0] // of the filtered pose, per frame
    var iod: Double
    /// Of the raw fit, last frame: the RMS distance of its points from their centroid.
    var rawRadius = 0.0
    /// The box came from the detector this frame: the fit is made in it as it is.
    var reseat = true

    init(id: Int, rect: Rect, iod: Double, options: StreamOptions, shapeTuning: ShapeTuning = .stream) {
        self.id = id
        self.rect = rect
        self.iod = iod
        pose = TrendFilter(minCutoff: options.minCutoff, beta: options.beta, scale: iod, speedDimensions: 2)
        turn = TrendFilter(minCutoff: options.minCutoff * Track.turnCutoff, beta: options.beta, scale: iod, speedDimensions: 2)
        shape = OneEuroFilter(minCutoff: options.minCutoff * Track.shapeCutoff, beta: options.beta * Track.shapeBeta,
                              derivativeCutoff: shapeTuning.derivativeCutoff, scale: 0.4, speedDimensions: 2)
        // The 68 points' regions (jaw, brows, nose, eyes, mouth), as coordinate ranges.
        shape.groups = [0..<34, 34..<54, 54..<72, 72..<96, 96..<136]
        shape.groupGains = shapeTuning.regions
    }

    /// The rotation/scale and shape filters' cutoffs and beta relative to the options' (which the
    /// centroid's filter uses as they are): turning and zooming are slower than moving, and a
    /// shape changes only with the expression. Measured on the jitter clip (StreamJitter) and held
    /// to the reenactment's landmark-error test (expressions must not lag).
    static let turnCutoff = 0.25, shapeCutoff = 0.1, shapeBeta = 0.25

    /// Where the box to fit in sits on the last raw fit: its centre's offset from the points'
    /// centroid and its side, in units of their RMS radius. The detector's own box sits there
    /// (medians over 204 faces, Tests/data's photos and every 5th frame of its clips, fast HOG
    /// scan: x −0.03, y −0.15, side 2.81; spread 0.1, 0.12, 0.2 from face to face). A constant,
    /// so the box is a function of the last frame's fit alone: two tracks of one face that started
    /// from different detector boxes (a video cut into chunks: each chunk's track starts at its
    /// warm-up, the whole video's long before) follow the same boxes once their fits agree, which
    /// each fit in the other's box brings closer. (A seat learnt from a track's first detection,
    /// kept while detections agreed, kept the two boxes apart for good: up to 50 px on a test clip.)
    static let seatOffset = Point(0, -0.15), seatSide = 2.8

    /// The similarity taking `reference` onto `points`, as (cx, cy, a, b): p = c + [a −b; b a]·r.
    static func poseOf(_ points: [Point], reference: [Point]) -> [Double] {
        let c = Point.mean(points)
        var a = 0.0, b = 0.0, rr = 0.0
        for i in points.indices {
            let u = reference[i], v = points[i] - c
            a += u.x * v.x + u.y * v.y
            b += u.x * v.y - u.y * v.x
            rr += u.x * u.x + u.y * u.y
        }
        return [c.x, c.y, a / max(rr, 1e-12), b / max(rr, 1e-12)]
    }

    /// Filters one raw fit; returns the filtered landmarks.
    func filter(_ raw: [Point], time t: Double) -> [Point] {
        if reference.isEmpty || reference.count != raw.count {
            let c = Point.mean(raw)
            let radius = (raw.map { ($0.x - c.x) * ($0.x - c.x) + ($0.y - c.y) * ($0.y - c.y) }.reduce(0, +) / Double(raw.count)).squareRoot()
            reference = raw.map { ($0 - c) * (1 / max(radius, 1e-6)) }
            shape.scale = 0.4  // the inter-ocular distance is about 0.4 of the RMS radius
        }
        let p = Track.poseOf(raw, reference: reference)
        let s2 = max(p[2] * p[2] + p[3] * p[3], 1e-12)
        // The raw points in the pose's frame: r = R⁻¹(x − c) / s.
        var local = [Double](repeating: 0, count: 2 * raw.count)
        for i in raw.indices {
            let d = raw[i] - Point(p[0], p[1])
            local[2 * i] = (p[2] * d.x + p[3] * d.y) / s2
            local[2 * i + 1] = (-p[3] * d.x + p[2] * d.y) / s2
        }
        let fp = pose.filter([p[0], p[1]], time: t) + turn.filter([p[2], p[3]], time: t)
        rawPose = p
        rawRadius = (raw.map { ($0.x - p[0]) * ($0.x - p[0]) + ($0.y - p[1]) * ($0.y - p[1]) }.reduce(0, +) / Double(raw.count)).squareRoot()
        let fs = shape.filter(local, time: t)
        var out = [Point](repeating: Point(0, 0), count: raw.count)
        for i in raw.indices {
            let x = fs[2 * i], y = fs[2 * i + 1]
            out[i] = Point(fp[0] + fp[2] * x - fp[3] * y, fp[1] + fp[3] * x + fp[2] * y)
        }
        if !filteredPose.isEmpty { poseVelocity = (0..<4).map { fp[$0] - filteredPose[$0] } }
        filteredPose = fp
        return out
    }

    /// The box to fit in next: where the detector's box sits on the last raw fit (seatOffset,
    /// seatSide), moved on and grown by the filtered pose's velocity. (A box placed from the
    /// filtered pose closes a loop: the fit leans towards its box, so the filter's own error came
    /// back through the next fit.)
    func predictedRect() -> Rect {
        let f = filteredPose, v = poseVelocity
        let growth = ((f[2] + v[2]) * (f[2] + v[2]) + (f[3] + v[3]) * (f[3] + v[3])).squareRoot()
            / max((f[2] * f[2] + f[3] * f[3]).squareRoot(), 1e-12)
        let r = rawRadius * growth
        let centre = Point(rawPose[0] + v[0], rawPose[1] + v[1]) + Track.seatOffset * r
        let side = Track.seatSide * r
        return Rect(x: centre.x - side / 2, y: centre.y - side / 2, width: side, height: side)
    }
}

/// Follows the faces of a video: detection every N frames, landmark re-fitting in between in the
/// box predicted from the previous frame, filters on the landmarks' pose and shape (see Track),
/// scene-cut resets, one track per face. Used by FaceStream (swapping) and Reenactor (the
/// driver's face). Not thread-safe.
///
/// Cost: the periodic scans while faces are tracked (detect interval above 1) are of two kinds.
/// Three in four (`wholeScanEvery`) scan only a window around each track, for faces of at least
/// 0.7× its own size (confirmTracks): what a periodic scan does for a tracked face (confirm it,
/// re-seat a box that drifted from it, end a track whose face is gone) at a quarter of a
/// whole-frame scan's cost for one face at 720p (2.7-2.9 ms against 9-12 ms of CPU). The fourth
/// scans the whole frame for faces of at least 0.7× the smallest tracked one (a scan at a smaller
/// scale, on a ladder of √2 steps with hysteresis so the scale does not follow every small change
/// of the box), which also starts tracks for newcomers of about the tracked size: one present
/// from frame F is tracked by frame F + wholeScanEvery × detectInterval − 1 at the latest (19
/// frames at the defaults; 4 when every periodic scan was whole). A scan forced by a lost track or
/// a scene cut, or made with no track, is whole, and so is the next frame's scan after a window
/// scan ended a track. A reenactor's tracker (`newcomers` false) follows its driver's face: it
/// scans the whole frame only every `fullScanEvery`-th periodic scan (a larger face that came in,
/// or one a first scan missed while it tracked another, is found within fullScanEvery ×
/// detectInterval frames, 115 at the defaults) and runs no sweep. Smaller newcomers are looked for by a sweep at
/// the detector's own scale that starts every `fullScanEvery`-th scan: a grey copy of that frame
/// is scanned whole on a worker thread of the tracker's own (SweepScan) while the next frames are
/// tracked, and its faces join the tracks `sweepFrames` frames later, always at that frame
/// whatever the thread's speed (the push there waits for the scan if it is not done), so the
/// tracks do not depend on timing or on `threads`. With `threads` 1 the scan runs at that frame
/// on the caller's thread. A live stream's pushes then pay only the grey copy, not a full-scale
/// scan on top of their fit (frame 0's push, such a scan plus a fit and a swap, takes 51 ms at
/// 720p and 106-111 ms at 1080p in `faceswap-bench --only pipeline` on the project's 2-core machine). A face present from frame F is
/// tracked by frame F + fullScanEvery × detectInterval + sweepFrames at the latest (123 frames at the
/// defaults; the earlier sweep in four bands over four frames, one scan in every 24: 124).
/// The scene-cut test samples a 32×18 thumbnail (6×6 pixels per cell) instead of resizing the frame.
public final class FaceTracker {
    public let detector: Detector
    public let landmarker: Landmarker
    public let options: StreamOptions
    private var tracks: [Track] = []
    private var nextID = 0
    private var frameIndex = 0
    private var previousThumb: [Int32]? = nil
    private var forceDetect = true
    private var scanRung: Int? = nil
    private var scansSinceFull = 0
    private var scansSinceWhole = 0
    /// The sweep for newcomers under way (nil: none). Dropping it waits for its thread.
    private var sweep: SweepScan? = nil
    public private(set) var sceneCuts = 0
    public private(set) var detections = 0
    /// Sweeps for faces of any size (the detector's own scale) finished while faces were tracked.
    public private(set) var fullScans = 0
    /// Sweeps started (each one whole-frame scan).
    public private(set) var sweepScans = 0
    /// Periodic scans made of the tracks' windows only (confirmTracks), not the whole frame.
    public private(set) var windowScans = 0
    /// The scale of the last periodic scan made while faces were tracked (nil: none yet).
    public private(set) var trackingScanScale: Double? = nil
    /// While faces are tracked, every this many periodic scans a sweep for faces of any size starts.
    public static let fullScanEvery = 23
    /// A sweep's faces join the tracks this many frames after the frame it scans: time for its
    /// thread's scan (about 50 ms at 720p, 100 ms at 1080p, see above), which a live 30 fps
    /// source gives (267 ms) and pushes back to back at 3-5 ms each do not quite.
    public static let sweepFrames = 8
    /// While faces are tracked (and newcomers are looked for), every this many periodic scans
    /// one scans the whole frame; the others scan only each track's window (confirmTracks).
    public static let wholeScanEvery = 4
    /// A track's window: its box grown by this share of its side on each side (clipped to the
    /// frame), scanned for faces of at least `windowFace` × the box's side. On the clips of
    /// Tests/data and the bench's (nine clips, 1,356 frames), every window scan found its track's
    /// face where the whole frame's scan did: the tracks and their landmarks are the same as with
    /// whole-frame scans at every periodic scan (a margin of 0.5 ended one or two tracks more on
    /// fr_short_hamilton_clip.mp4, at 1.6× the cost).
    static let windowMargin = 0.3, windowFace = 0.7

    /// Whether newcomers are looked for while faces are tracked: a whole-frame scan every
    /// `wholeScanEvery`-th periodic scan and the sweep. Without (a reenactor, which follows its
    /// driver's face), a whole-frame scan every `fullScanEvery`-th and no sweep.
    let newcomers: Bool

    /// The shape filter's per-region tuning (the stream's unless a reenactor sets its own).
    let shapeTuning: ShapeTuning

    public convenience init(detector: Detector, landmarker: Landmarker, options: StreamOptions = StreamOptions()) throws {
        try self.init(detector: detector, landmarker: landmarker, options: options, shapeTuning: .stream)
    }

    init(detector: Detector, landmarker: Landmarker, options: StreamOptions, shapeTuning: ShapeTuning,
         newcomers: Bool = true) throws {
        try options.validate()
        self.detector = detector
        self.landmarker = landmarker
        self.options = options
        self.shapeTuning = shapeTuning
        self.newcomers = newcomers
    }

    /// The tracked faces of the last frame (filtered landmarks); score holds the track id.
    public var faces: [Face] {
        tracks.map { Face(box: $0.rect.grownSquare(margin: detector.options.margin), rect: $0.rect, score: Double($0.id), landmarks: $0.landmarks) }
    }

    /// Frames seen since the start or the last reset.
    public var frameCount: Int { frameIndex }

    public func reset() {
        tracks = []
        previousThumb = nil
        forceDetect = true
        frameIndex = 0
        scanRung = nil
        scansSinceFull = 0
        scansSinceWhole = 0
        sweep = nil
    }

    /// Tracks the faces of the next frame; `time` in seconds (nil: frame number / 30).
    @discardableResult
    public func track(_ frame: Image, time: Double? = nil) throws -> [Face] {
        try trackFaces(frame, time: time ?? Double(frameIndex) / 30)
        return tracks.map { Face(box: $0.rect, rect: $0.rect, score: Double($0.id), landmarks: $0.landmarks) }
    }

    /// The smallest face the next periodic scan looks for (nil: any size, the detector's own).
    /// With detection every frame (`detectInterval` 1) there is no tracking to save a scan for:
    /// each frame is scanned as a photo is, so its boxes and fits are the detector's own.
    private func scanFloor() -> Double? {
        guard options.detectInterval > 1,
              let smallest = tracks.map({ min($0.rect.width, $0.rect.height) }).min() else {
            scanRung = nil
            sweep = nil
            return nil
        }
        let wanted = 2 * log2(max(0.7 * smallest, 1))
        if let r = scanRung, wanted >= Double(r) - 0.25, wanted <= Double(r) + 1.25 {} else { scanRung = Int(wanted.rounded(.down)) }
        let floor = pow(2, Double(scanRung!) / 2)
        trackingScanScale = detector.scanScale(minFaceSize: floor)
        scansSinceFull += 1
        return floor
    }

    /// Starts the sweep for newcomers on `frame` when it is due (after a periodic scan), and joins
    /// a sweep's faces at its frame: faces found where a track already is are that track; the
    /// others start tracks.
    private func sweepStep(_ frame: Image) throws {
        if let s = sweep, frameIndex >= s.joinAt {
            sweep = nil
            fullScans += 1
            for f in try s.faces() {
                let r = f.rect
                if tracks.contains(where: { $0.rect.intersectionOverUnion(r) > 0 || $0.rect.contains(r.center) }) { continue }
                tracks.append(Track(id: nextID, rect: r, iod: max(r.width * 0.4, 1), options: options, shapeTuning: shapeTuning))
                nextID += 1
            }
        }
        if newcomers, scansSinceFull >= FaceTracker.fullScanEvery, sweep == nil, !tracks.isEmpty {
            scansSinceFull = 0
            sweepScans += 1
            sweep = try SweepScan(frame, detector: detector, joinAt: frameIndex + FaceTracker.sweepFrames,
                                  onWorker: Threads.resolve(options.threads) > 1)
        }
    }

    func trackFaces(_ frame: Image, time t: Double) throws {
        if isSceneCut(frame) {
            sceneCuts += 1
            tracks = []
            forceDetect = true
        }
        // A scan forced by a cut or a lost track, or made with no track, looks at the whole frame.
        let forced = forceDetect || tracks.isEmpty
        let detectNow = forced || frameIndex % options.detectInterval == 0
        forceDetect = false
        frameIndex += 1
        if detectNow {
            detections += 1
            let floor = scanFloor()
            scansSinceWhole += 1
            if floor != nil, !forced, scansSinceWhole < (newcomers ? FaceTracker.wholeScanEvery : FaceTracker.fullScanEvery) {
                windowScans += 1
                try confirmTracks(frame)
            } else {
                scansSinceWhole = 0
                try associate(try detector.detect(frame, minFaceSize: floor, fastOnly: true,
                                                  threads: Threads.resolve(options.threads)))
            }
        }
        try sweepStep(frame)
        // Predict each box from the last frame's fit (Track.predictedRect), except where a
        // detection placed it this frame.
        for tr in tracks where !tr.reseat && !tr.filteredPose.isEmpty { tr.rect = tr.predictedRect() }
        var kept: [Track] = []
        for tr in tracks {
            let raw = try landmarker.fit(frame, Face(box: tr.rect, rect: tr.rect, score: 0)).landmarks
            guard raw.count == 68 else { continue }
            let face = Face(box: tr.rect, rect: tr.rect, score: 0, landmarks: raw)
            let iod = face.interocularDistance ?? 0
            let c = Point.mean(raw)
            if !detectNow, let prev = tr.centroid {
                // Lost: the fit jumped or changed size, as when the face leaves the box.
                let step = tr.poseVelocity.count == 4 ? Point(tr.poseVelocity[0], tr.poseVelocity[1]) : Point(0, 0)
                let jump = c.distance(to: prev + step)
                if iod < 0.6 * tr.iod || iod > 1.6 * tr.iod || jump > 0.8 * tr.iod {
                    forceDetect = true
                    continue
                }
            }
            if tr.centroid == nil { tr.iod = max(iod, 1); tr.pose.scale = tr.iod; tr.turn.scale = tr.iod }
            tr.centroid = c
            tr.landmarks = tr.filter(raw, time: t)
            tr.reseat = false
            kept.append(tr)
        }
        tracks = kept
    }

    /// Matches detections to tracks by overlap; new faces start new tracks; unmatched tracks end.
    private func associate(_ found: [Face]) throws {
        var remaining = found
        var kept: [Track] = []
        for tr in tracks {
            guard let best = seat(tr, among: remaining) else { continue }
            remaining.remove(at: best)
            kept.append(tr)
        }
        for f in remaining {
            let iod = max(f.rect.width * 0.4, 1)
            kept.append(Track(id: nextID, rect: f.rect, iod: iod, options: options, shapeTuning: shapeTuning))
            nextID += 1
        }
        tracks = kept
    }

    /// The detection among `found` that is `tr`'s face (the best overlap, IoU above 0.3), nil if
    /// none. A detection that agrees with the track only confirms it: the box keeps following
    /// the landmarks (detector boxes vary from scan to scan, and landmarks fitted in a box that
    /// jumps every N frames would jump with it). One that disagrees (IoU below 0.6) is this
    /// frame's box (the next frames' boxes follow the fit again, Track.seatOffset).
    private func seat(_ tr: Track, among found: [Face]) -> Int? {
        guard let best = found.indices.max(by: { found[$0].rect.intersectionOverUnion(tr.rect) < found[$1].rect.intersectionOverUnion(tr.rect) })
        else { return nil }
        let overlap = found[best].rect.intersectionOverUnion(tr.rect)
        guard overlap > 0.3 else { return nil }
        if overlap < 0.6 {
            tr.rect = found[best].rect
            tr.reseat = true
        }
        return best
    }

    /// The periodic scan that only confirms (or re-seats) the tracks: each track's window (its
    /// box grown by `windowMargin` of its side on each side, clipped to the frame) scanned for
    /// faces of at least `windowFace` × its side (a scale of its own: no ladder, as the boxes of
    /// faces that agree with the track are not used), its faces matched to that track alone as
    /// associate() matches them; a track with none ends (and the next frame scans the whole
    /// frame, as after a lost track), and the faces start no track.
    private func confirmTracks(_ frame: Image) throws {
        let before = tracks.count
        defer { if tracks.count < before { forceDetect = true } }
        tracks = try tracks.filter { tr in
            let r = tr.rect, m = FaceTracker.windowMargin * max(r.width, r.height)
            let x0 = max(0, Int((r.x - m).rounded(.down))), y0 = max(0, Int((r.y - m).rounded(.down)))
            let x1 = min(frame.width, Int((r.x + r.width + m).rounded(.up)))
            let y1 = min(frame.height, Int((r.y + r.height + m).rounded(.up)))
            guard x1 > x0, y1 > y0 else { return false }
            let window = IntRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
            let found = try detector.detect(try frame.region(window), minFaceSize: FaceTracker.windowFace * min(r.width, r.height),
                                            fastOnly: true)
            return seat(tr, among: found.map { $0.moved(by: Point(Double(x0), Double(y0))) }) != nil
        }
    }

    /// A 32×18 grey thumbnail, each cell the mean of 6×6 pixels sampled evenly inside it
    /// (a resize of the whole frame cost more than the rest of a tracked frame).
    static func thumbnail(_ frame: Image) -> [Int32] {
        let cw = 32, ch = 18, k = 6
        var out = [Int32](repeating: 0, count: cw * ch)
        let channels = frame.format.channels
        let base = frame.data.assumingMemoryBound(to: UInt8.self)
        // The sampled columns' byte offsets, the same on every row.
        let columns = (0..<(cw * k)).map { min(frame.width - 1, ($0 * 2 + 1) * frame.width / (2 * cw * k)) * channels }
        for cy in 0..<ch {
            for sy in 0..<k {
                let y = min(frame.height - 1, ((cy * k + sy) * 2 + 1) * frame.height / (2 * ch * k))
                let row = base + y * frame.stride
                for cx in 0..<cw {
                    var sum: Int32 = 0
                    for sx in 0..<k {
                        let p = row + columns[cx * k + sx]
                        sum += channels >= 3 ? Int32(p[0]) + Int32(p[1]) + Int32(p[2]) : 3 * Int32(p[0])
                    }
                    out[cy * cw + cx] += sum
                }
            }
        }
        for i in out.indices { out[i] = (out[i] + Int32(3 * k * k / 2)) / Int32(3 * k * k) }
        return out
    }

    private func isSceneCut(_ frame: Image) -> Bool {
        let thumb = FaceTracker.thumbnail(frame)
        defer { previousThumb = thumb }
        guard let prev = previousThumb else { return false }
        var sum: Int32 = 0
        for i in thumb.indices { sum += abs(thumb[i] - prev[i]) }
        return Double(sum) / Double(thumb.count) > options.sceneCut
    }
}

/// One sweep for newcomers: the detector's fast scan at its own scale of a grey copy of one
/// frame, run on a worker thread (`onWorker`; or, when that is off or no thread can be had, by
/// faces() on the caller's thread: the same scan of the same copy, so the same faces). The
/// thread is joined by faces() or when the sweep is dropped (the tracker's reset or end): it never
/// outlives its tracker. A process that exits with a stream not freed waits for a running scan
/// (an atexit handler, at most one scan's time) so that no scan runs while exit() tears down the
/// libraries' statics (the crash a background HOG load caused, Sources/CFaceShim/detect_hog.cpp).
final class SweepScan {
    /// The frame index (FaceTracker.frameCount) at which the tracker takes the faces.
    let joinAt: Int
    private final class Outcome: @unchecked Sendable { var value: Result<[Face], Error>? = nil }
    private let outcome = Outcome()
    private let scan: () -> Result<[Face], Error>
    private var worker: Worker? = nil

    init(_ frame: Image, detector: Detector, joinAt: Int, onWorker: Bool) throws {
        // Copied: the caller swaps the frame in place, and the thread reads it later.
        let grey = try frame.grayResized(width: frame.width, height: frame.height)
        self.joinAt = joinAt
        scan = { Result { try detector.detect(grey, fastOnly: true) } }
        if onWorker {
            let out = outcome, scan = scan
            SweepScan.running.begin()
            worker = try? Worker {
                out.value = scan()
                SweepScan.running.end()
            }
            if worker == nil { SweepScan.running.end() }
        }
    }

    /// The sweep threads running; exit() waits for none to be left.
    private static let running = Running()
    private final class Running: @unchecked Sendable {
        private let monitor = Monitor()
        private var count = 0
        init() { atexit { SweepScan.running.waitForNone() } }
        func begin() { monitor.locked { count += 1 } }
        func end() { monitor.locked { count -= 1; monitor.broadcast() } }
        func waitForNone() { monitor.locked { while count > 0 { monitor.wait() } } }
    }

    /// The faces found, waiting for the thread if it is still scanning.
    func faces() throws -> [Face] {
        worker?.join()  // pthread_join: the thread's write of value is visible after it
        if outcome.value == nil { outcome.value = scan() }
        return try outcome.value!.get()
    }
}

/// Swaps a video frame by frame, steadily: a FaceTracker finds and smooths the faces, the
/// swapper replaces each. Not thread-safe: one stream per video, used from one thread at a time.
public final class FaceStream {
    public let swapper: Swapper
    public let source: Source?
    public let tracker: FaceTracker

    public init(swapper: Swapper, source: Source?, options: StreamOptions = StreamOptions()) throws {
        try swapper.check(source: source)
        self.swapper = swapper
        self.source = source
        tracker = try FaceTracker(detector: swapper.detector, landmarker: swapper.landmarker, options: options)
    }

    public var faces: [Face] { tracker.faces }
    public var sceneCuts: Int { tracker.sceneCuts }
    public func reset() { tracker.reset() }

    /// Processes one frame in place; `time` in seconds (nil: frame number / 30).
    /// Returns the number of faces swapped.
    @discardableResult
    public func process(_ frame: Image, time: Double? = nil) throws -> Int {
        let faces = try tracker.track(frame, time: time)
        lastFaces = faces
        try swapper.swapFaces(source, faces, into: frame, threads: tracker.options.threads)
        return faces.count
    }

    /// The faces the last process() swapped.
    private(set) var lastFaces: [Face] = []
}
