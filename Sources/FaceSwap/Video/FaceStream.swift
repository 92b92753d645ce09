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
    /// caller's thread).
    public var threads: Int = 0
    public init() {}

    /// Ranges: the option table (Core/OptionTable.swift).
    func validate() throws { try OptionField.validate(Self.fields, self, .stream) }
}

/// One tracked face.
final class Track {
    let id: Int
    var rect: Rect
    var filter: OneEuroFilter
    var landmarks: [Point] = []       // filtered
    var centroid: Point? = nil        // of the raw landmarks, last frame
    var velocity = Point(0, 0)        // of the filtered landmarks' centroid, per frame
    var iod: Double
    /// The detector rect relative to the landmarks (centre offset and size, in IOD units).
    var rectOffset = Point(0, 0)
    var rectSize = 0.0
    /// The box came from the detector this frame: re-learn how it sits on the landmarks.
    var reseat = true

    init(id: Int, rect: Rect, iod: Double, options: StreamOptions) {
        self.id = id
        self.rect = rect
        self.iod = iod
        filter = OneEuroFilter(minCutoff: options.minCutoff, beta: options.beta, scale: iod)
    }
}

/// Follows the faces of a video: detection every N frames, landmark re-fitting in between in the
/// box predicted from the previous frame, a One-Euro filter on the landmarks, scene-cut resets,
/// one track per face. Used by FaceStream (swapping) and Reenactor (the driver's face).
/// Not thread-safe.
public final class FaceTracker {
    public let detector: Detector
    public let landmarker: Landmarker
    public let options: StreamOptions
    private var tracks: [Track] = []
    private var nextID = 0
    private var frameIndex = 0
    private var previousThumb: Image? = nil
    private var forceDetect = true
    public private(set) var sceneCuts = 0
    public private(set) var detections = 0

    public init(detector: Detector, landmarker: Landmarker, options: StreamOptions = StreamOptions()) throws {
        try options.validate()
        self.detector = detector
        self.landmarker = landmarker
        self.options = options
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
    }

    /// Tracks the faces of the next frame; `time` in seconds (nil: frame number / 30).
    @discardableResult
    public func track(_ frame: Image, time: Double? = nil) throws -> [Face] {
        try trackFaces(frame, time: time ?? Double(frameIndex) / 30)
        return tracks.map { Face(box: $0.rect, rect: $0.rect, score: Double($0.id), landmarks: $0.landmarks) }
    }

    func trackFaces(_ frame: Image, time t: Double) throws {
        if try isSceneCut(frame) {
            sceneCuts += 1
            tracks = []
            forceDetect = true
        }
        let detectNow = forceDetect || tracks.isEmpty || frameIndex % options.detectInterval == 0
        forceDetect = false
        frameIndex += 1
        if detectNow {
            detections += 1
            // While faces are tracked, the periodic detection looks for faces at least half the
            // size of the smallest one (a smaller scan), on a coarse ladder of sizes so that the
            // scan scale does not follow every small change of the box; every fourth one (and
            // with no tracks) scans for any size, so that small newcomers are found too.
            let smallest = tracks.map { min($0.rect.width, $0.rect.height) }.min()
            let floor = detections % 4 == 0 ? nil : smallest.map { pow(2, (log2(max($0 * 0.5, 1))).rounded(.down)) }
            try associate(try detector.detect(frame, minFaceSize: floor))
        }
        // Predict each box: where the last frame's (filtered) landmarks put the detector's box,
        // moved on by their velocity. The smoothed box keeps the fit itself steady.
        for tr in tracks where !tr.reseat && !tr.landmarks.isEmpty {
            let centre = Point.mean(tr.landmarks) + tr.velocity + tr.rectOffset * tr.iod
            let side = tr.rectSize * tr.iod
            tr.rect = Rect(x: centre.x - side / 2, y: centre.y - side / 2, width: side, height: side)
        }
        var kept: [Track] = []
        for tr in tracks {
            let raw = try landmarker.fit(frame, Face(box: tr.rect, rect: tr.rect, score: 0)).landmarks
            guard raw.count == 68 else { continue }
            let face = Face(box: tr.rect, rect: tr.rect, score: 0, landmarks: raw)
            let iod = face.interocularDistance ?? 0
            let c = Point.mean(raw)
            if !detectNow, let prev = tr.centroid {
                // Lost: the fit jumped or changed size, as when the face leaves the box.
                let jump = c.distance(to: prev + tr.velocity)
                if iod < 0.6 * tr.iod || iod > 1.6 * tr.iod || jump > 0.8 * tr.iod {
                    forceDetect = true
                    continue
                }
            }
            if tr.reseat {
                // Remember how the detector's box sits on these landmarks, for prediction.
                tr.reseat = false
                tr.rectOffset = (tr.rect.center - c) * (1 / max(iod, 1))
                tr.rectSize = max(tr.rect.width, tr.rect.height) / max(iod, 1)
                if tr.centroid == nil { tr.iod = max(iod, 1); tr.filter.scale = tr.iod }
            }
            tr.centroid = c
            let flat = tr.filter.filter(raw.flatMap { [$0.x, $0.y] }, time: t)
            let filtered = (0..<68).map { Point(flat[2 * $0], flat[2 * $0 + 1]) }
            tr.velocity = tr.landmarks.isEmpty ? Point(0, 0) : Point.mean(filtered) - Point.mean(tr.landmarks)
            tr.landmarks = filtered
            kept.append(tr)
        }
        tracks = kept
    }

    /// Matches detections to tracks by overlap; new faces start new tracks; unmatched tracks end.
    private func associate(_ found: [Face]) throws {
        var remaining = found
        var kept: [Track] = []
        for tr in tracks {
            guard let best = remaining.indices.max(by: { remaining[$0].rect.intersectionOverUnion(tr.rect) < remaining[$1].rect.intersectionOverUnion(tr.rect) }) else { continue }
            let overlap = remaining[best].rect.intersectionOverUnion(tr.rect)
            guard overlap > 0.3 else { continue }
            // A detection that agrees with the track only confirms it: the box keeps following
            // the landmarks (detector boxes vary from scan to scan, and landmarks fitted in a
            // box that jumps every N frames would jump with it). One that disagrees re-seats it.
            if overlap < 0.6 {
                tr.rect = remaining[best].rect
                tr.reseat = true
            }
            remaining.remove(at: best)
            kept.append(tr)
        }
        for f in remaining {
            let iod = max(f.rect.width * 0.4, 1)
            kept.append(Track(id: nextID, rect: f.rect, iod: iod, options: options))
            nextID += 1
        }
        tracks = kept
    }

    private func isSceneCut(_ frame: Image) throws -> Bool {
        let thumb = try frame.grayResized(width: 32, height: 18)
        defer { previousThumb = thumb }
        guard let prev = previousThumb else { return false }
        var sum = 0
        for y in 0..<18 {
            for x in 0..<32 { sum += abs(Int(thumb.byte(x: x, y: y, channel: 0)) - Int(prev.byte(x: x, y: y, channel: 0))) }
        }
        return Double(sum) / Double(32 * 18) > options.sceneCut
    }
}

/// Swaps a video frame by frame, steadily: a FaceTracker finds and smooths the faces, the
/// swapper replaces each. Not thread-safe: one stream per video, used from one thread at a time.
public final class FaceStream {
    public let swapper: Swapper
    public let source: Source?
    public let tracker: FaceTracker

    public init(swapper: Swapper, source: Source?, options: StreamOptions = StreamOptions()) throws {
        if source == nil && swapper.model == nil {
            throw FaceSwapError(.invalidArgument, "a stream needs a source face or a swapper with a model")
        }
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
        try swapper.swapFaces(source, faces, into: frame, threads: tracker.options.threads)
        return faces.count
    }
}
