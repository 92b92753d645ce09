import CFaceShim
#if canImport(Glibc)
import Glibc
#endif

/// A synthetic clip for measuring the stream's jitter (issue 11, item 4): a still photo moved along
/// an exactly known path — a pan with varying speed, a zoom, a little roll — so that the true
/// position of every pixel of the face is known in every frame.
public struct JitterClip {
    /// The photo, pre-scaled (area filter) so that its face has the clip's inter-ocular distance;
    /// the path then only resamples it by 0.9–1.1.
    public let photo: Image
    /// The photo's 68 landmarks (fitted once, at full resolution, then scaled with it).
    public let landmarks: [Point]
    public let width: Int, height: Int, count: Int
    public let fps: Double
    /// Centre of the photo's landmarks.
    public let centre: Point

    /// `still`: a photo of one face; `faceHeight`: the inter-ocular distance in the clip as a
    /// fraction of its height.
    public init(still: Image, detector: Detector, landmarker: Landmarker, width: Int = 1280, height: Int = 720,
                count: Int = 150, fps: Double = 30, iodFraction: Double = 0.14) throws {
        let bgr = try still.ensuring(.bgr8)
        guard let face = try detector.detect(bgr).first else { throw FaceSwapError(.noFace, "no face in the jitter clip's photo") }
        let fitted = try landmarker.fit(bgr, face)
        guard let iod = fitted.interocularDistance, iod > 1 else { throw FaceSwapError(.noFace, "the jitter clip's photo has no 68 landmarks") }
        let s = iodFraction * Double(height) / iod
        let w = max(1, Int((Double(bgr.width) * s).rounded())), h = max(1, Int((Double(bgr.height) * s).rounded()))
        photo = try bgr.resized(width: w, height: h)
        let sx = Double(w) / Double(bgr.width), sy = Double(h) / Double(bgr.height)
        // Pixel centres: x' + 0.5 = (x + 0.5) · s.
        landmarks = fitted.landmarks.map { Point(($0.x + 0.5) * sx - 0.5, ($0.y + 0.5) * sy - 0.5) }
        centre = Point.mean(landmarks)
        self.width = width
        self.height = height
        self.count = count
        self.fps = fps
    }

    /// The path's phase: time run at a speed varying between 0.4× and 1.6×.
    private func phase(_ t: Double) -> Double {
        let ts = 2.3
        return t + 0.6 * ts / (2 * Double.pi) * sin(2 * Double.pi * t / ts)
    }

    /// Photo → frame at time `k / fps` (k may be fractional): the face's centre panned around the
    /// frame's centre (±8 % of the width, ±5 % of the height), zoomed ±10 %, rolled ±4°.
    public func transform(_ k: Double) -> Affine {
        let u = phase(k / fps)
        let c = Point(Double(width) / 2 + 0.08 * Double(width) * sin(2 * Double.pi * u / 4),
                      Double(height) / 2 + 0.05 * Double(height) * sin(2 * Double.pi * u / 3 + 1))
        let s = 1 + 0.1 * sin(2 * Double.pi * u / 3.5)
        let a = 4 * Double.pi / 180 * sin(2 * Double.pi * u / 2.7)
        let r = s * cos(a), q = s * sin(a)
        return Affine(r, -q, c.x - (r * centre.x - q * centre.y), q, r, c.y - (q * centre.x + r * centre.y))
    }

    public func frame(_ k: Int) throws -> Image {
        try photo.warped(transform(Double(k)), width: width, height: height)
    }

    /// The true landmarks of frame k.
    public func truth(_ k: Double) -> [Point] { let t = transform(k); return landmarks.map { t.apply($0) } }
}

/// What `StreamJitter.measure` found.
public struct JitterReport: Sendable {
    /// Mean optical flow (px per frame) inside the face between consecutive output frames warped
    /// back along the true path (a perfectly placed, steady face does not move there).
    public var flow: Double
    /// The same for the input frames (nothing swapped): what resampling alone adds.
    public var inputFlow: Double?
    /// Mean absolute change (grey levels, 0–255) of the back-warped frames blurred (σ 6 px) inside
    /// the face: a smooth change of brightness, which the flow (taken on the texture) leaves out.
    public var flicker: Double
    /// How many frames the output face's landmark centroid trails the true path (sub-frame: the
    /// shift of the true path, in steps of 0.05 frame, that brings it closest; whole frames: the
    /// integer shift that does).
    public var lag: Double
    public var lagFrames: Int
    /// Mean distance (px) of the output face's landmark centroid from the true one (constant fit
    /// offset removed), at no shift.
    public var centroidError: Double
    /// The output landmarks mapped back along the true path (into the photo's coordinates, where
    /// the true ones stand still): mean frame-to-frame step of a point, and of their centroid (px).
    public var pointJitter: Double
    public var centroidJitter: Double
    public var frames: Int
}

/// The jitter measurement of issue 11, item 4: a JitterClip through a FaceStream, each output frame
/// warped back along the true path into the first frame's coordinates, the dense optical flow
/// (fsx_flow_mean: pyramidal Lucas–Kanade) between consecutive back-warped frames averaged inside
/// the face (the hull of the true landmarks).
public enum StreamJitter {
    /// How the faces of each frame are found: through a FaceStream with these options; per frame
    /// (the detector at its own scale and a 68-point fit in its box, nothing carried between
    /// frames: the plain per-frame swap); or the true landmarks (what the swap stages alone add).
    public enum Mode { case stream(StreamOptions), perFrame, truth }

    public static func measure(_ clip: JitterClip, swapper: Swapper, source: Source?, options: StreamOptions,
                               inputFlow: Bool = false) throws -> JitterReport {
        try measure(clip, swapper: swapper, source: source, mode: .stream(options), inputFlow: inputFlow)
    }

    public static func measure(_ clip: JitterClip, swapper: Swapper, source: Source?, mode: Mode,
                               inputFlow: Bool = false) throws -> JitterReport {
        var stream: FaceStream? = nil
        if case .stream(let options) = mode { stream = try FaceStream(swapper: swapper, source: source, options: options) }
        // The reference canvas: the photo's face upright at scale 1, centred in a square crop.
        let reach = clip.landmarks.map { $0.distance(to: clip.centre) }.max() ?? 1
        let side = Int((2.5 * reach / 8).rounded(.up)) * 8
        let ref = Affine(1, 0, Double(side) / 2 - clip.centre.x, 0, 1, Double(side) / 2 - clip.centre.y)
        let mask = try Image(width: side, height: side, format: .gray8)
        let hull = convexHull(clip.landmarks.map { ref.apply($0) })
        for y in 0..<side {
            for x in 0..<side where inside(Point(Double(x), Double(y)), hull) {
                mask.data.storeBytes(of: 255, toByteOffset: y * mask.stride + x, as: UInt8.self)
            }
        }
        var flows: [Double] = [], inFlows: [Double] = [], flickers: [Double] = []
        var previous: Image? = nil, previousIn: Image? = nil
        var centroids: [Point?] = []
        var backPoints: [[Point]] = []
        for k in 0..<clip.count {
            let frame = try clip.frame(k)
            let back = try ref.after(clip.transform(Double(k)).inverted())
            if inputFlow {
                let b = try frame.warped(back, width: side, height: side)
                if let p = previousIn { inFlows.append(try flow(p, b, mask).flow) }
                previousIn = b
            }
            var lm: [Point] = []
            switch mode {
            case .stream:
                try stream!.process(frame, time: Double(k) / clip.fps)
                lm = stream!.faces.first?.landmarks ?? []
            case .perFrame:
                if let f = try swapper.detector.detect(frame, fastOnly: true).first {
                    let fitted = try swapper.landmarker.fit(frame, f)
                    try swapper.swapFace(source, fitted, into: frame)
                    lm = fitted.landmarks
                }
            case .truth:
                lm = clip.truth(Double(k))
                let r = Rect.bounding(lm)
                try swapper.swapFace(source, Face(box: r.grownSquare(margin: 0.5), rect: r, score: 1, landmarks: lm), into: frame)
            }
            centroids.append(lm.count == 68 ? Point.mean(lm) : nil)
            if lm.count == 68, let inv = try? clip.transform(Double(k)).inverted() { backPoints.append(lm.map { inv.apply($0) }) } else { backPoints.append([]) }
            let b = try frame.warped(back, width: side, height: side)
            if let p = previous { let f = try flow(p, b, mask); flows.append(f.flow); flickers.append(f.flicker) }
            previous = b
        }
        // Lag: the shift d of the true path that best explains the output centroids,
        // c_k ≈ T_{k-d}(c + b) with b a constant offset of the fit (photo coordinates).
        let skip = 5
        func error(_ d: Double) -> Double {
            var offsets: [Point] = []
            for k in skip..<clip.count { if let c = centroids[k], let inv = try? clip.transform(Double(k) - d).inverted() { offsets.append(inv.apply(c) - clip.centre) } }
            guard !offsets.isEmpty else { return .infinity }
            let b = Point.mean(offsets)
            var sum = 0.0, n = 0
            for k in skip..<clip.count { if let c = centroids[k] { sum += c.distance(to: clip.transform(Double(k) - d).apply(clip.centre + b)); n += 1 } }
            return sum / Double(max(n, 1))
        }
        var best = 0.0, bestError = Double.infinity
        for i in -40...100 {
            let d = Double(i) * 0.05
            let e = error(d)
            if e < bestError { bestError = e; best = d }
        }
        var pj = 0.0, cj = 0.0, nj = 0
        for k in 1..<backPoints.count where backPoints[k].count == 68 && backPoints[k - 1].count == 68 {
            pj += zip(backPoints[k], backPoints[k - 1]).map { $0.distance(to: $1) }.reduce(0, +) / 68
            cj += Point.mean(backPoints[k]).distance(to: Point.mean(backPoints[k - 1]))
            nj += 1
        }
        let whole = (-2...5).min { error(Double($0)) < error(Double($1)) } ?? 0
        return JitterReport(flow: flows.reduce(0, +) / Double(max(1, flows.count)),
                            inputFlow: inputFlow ? inFlows.reduce(0, +) / Double(max(1, inFlows.count)) : nil,
                            flicker: flickers.reduce(0, +) / Double(max(1, flickers.count)),
                            lag: best, lagFrames: whole, centroidError: error(0),
                            pointJitter: pj / Double(max(nj, 1)), centroidJitter: cj / Double(max(nj, 1)),
                            frames: centroids.filter { $0 != nil }.count)
    }

    /// Mean optical-flow magnitude (px) from a to b inside mask (GRAY8; nil: everywhere), taken on
    /// the images' texture; the mean flow vector; and the flicker (mean absolute change of the
    /// blurred grey images).
    public static func flow(_ a: Image, _ b: Image, _ mask: Image?) throws -> (flow: Double, mean: Point, flicker: Double) {
        var mean = 0.0, dx = 0.0, dy = 0.0, flicker = 0.0
        if let mask {
            var v = mask.view
            try shim(fsx_flow_mean(a.view, b.view, &v, &mean, &dx, &dy, &flicker), "optical flow")
        } else {
            try shim(fsx_flow_mean(a.view, b.view, nil, &mean, &dx, &dy, &flicker), "optical flow")
        }
        return (mean, Point(dx, dy), flicker)
    }

    /// Andrew's monotone chain, counter-clockwise in image coordinates' sense of the cross product.
    static func convexHull(_ points: [Point]) -> [Point] {
        let p = points.sorted { $0.x != $1.x ? $0.x < $1.x : $0.y < $1.y }
        guard p.count > 2 else { return p }
        func cross(_ o: Point, _ a: Point, _ b: Point) -> Double { (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x) }
        var lower: [Point] = [], upper: [Point] = []
        for q in p {
            while lower.count >= 2 && cross(lower[lower.count - 2], lower[lower.count - 1], q) <= 0 { lower.removeLast() }
            lower.append(q)
        }
        for q in p.reversed() {
            while upper.count >= 2 && cross(upper[upper.count - 2], upper[upper.count - 1], q) <= 0 { upper.removeLast() }
            upper.append(q)
        }
        return Array(lower.dropLast() + upper.dropLast())
    }

    static func inside(_ q: Point, _ hull: [Point]) -> Bool {
        guard hull.count > 2 else { return false }
        for i in hull.indices {
            let a = hull[i], b = hull[(i + 1) % hull.count]
            if (b.x - a.x) * (q.y - a.y) - (b.y - a.y) * (q.x - a.x) < 0 { return false }
        }
        return true
    }
}
