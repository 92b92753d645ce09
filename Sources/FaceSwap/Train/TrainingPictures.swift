#if canImport(Glibc)
import Glibc
#endif
import CFaceShim

/// What the frame preview needs, made on the first preview: one of A's faces in its own frame (the
/// sidecar's photo or video frame) with its landmarks, the tools to swap it, and B's identity
/// (the mean embedding of some of B's faces) when the recognizer model is installed.
struct FramePreviewState {
    let frame: Image
    let face: Face
    let detector: Detector
    let landmarker: Landmarker
    let recognizer: Recognizer?
    let identityB: [Float]?
    let identityA: [Float]?
}

extension Trainer {
    /// The identity curve's files, next to the model: NAME.identity.csv, NAME.identity.png.
    public var identityCSVPath: String { Trainer.stem(modelPath) + ".identity.csv" }
    public var identityPlotPath: String { Trainer.stem(modelPath) + ".identity.png" }

    /// A's face at its real size: one of A's frames (the middle crop of A whose source can be read
    /// again), that frame swapped by the model as it is now, side by side, and below them the face
    /// before | after at 1:1 (2× when small). nil when no crop of A names a source that can be found
    /// (see locateSource). With the recognizer installed it also
    /// measures the swapped face's distance to B (and to A) and writes the identity curve.
    public func framePreview() throws -> Image? {
        if !framePreviewTried {
            framePreviewTried = true
            framePreviewState = try makeFramePreviewState()
        }
        guard let st = framePreviewState else { return nil }
        let swapper = try Swapper(detector: st.detector, landmarker: st.landmarker, model: try model.snapshot())
        let swapped = try st.frame.copy()
        try swapper.swapFace(nil, st.face, into: swapped)
        if let rec = st.recognizer, let b = st.identityB, let a = st.identityA {
            let e = try rec.embed(swapped, st.face)
            recordIdentity(toB: Recognizer.distance(e, b), toA: Recognizer.distance(e, a))
            try writeIdentityCurve()
        }
        let height = min(st.frame.height, 480)
        let frames = try Montage.sideBySide([st.frame, swapped], height: height)
        let crop = try Montage.faceCrop(before: st.frame, after: swapped, face: st.face)
        let label = 28, gap = 8
        let canvas = try Image(width: max(frames.width, crop.width), height: 2 * label + frames.height + gap + crop.height,
                               format: .bgr8)
        memset(canvas.data, 255, canvas.stride * canvas.height)
        let black: [UInt8] = [0, 0, 0]
        let scale = st.frame.height == height ? "1:1" : "scaled to \(height) px high"
        try shim(fsx_draw_text(canvas.view, "iteration \(iteration): a frame of \(model.info.nameA) | swapped by the model (\(scale))",
                               8, 20, 0.55, black), "preview")
        try canvas.region(IntRect(x: 0, y: label, width: frames.width, height: frames.height)).assign(from: frames)
        let y = label + frames.height + gap
        try shim(fsx_draw_text(canvas.view, "the face before | after, \(crop.height > Int(st.face.box.height) + 2 ? "2x" : "1:1")",
                               8, Double(y + 20), 0.55, black), "preview")
        try canvas.region(IntRect(x: 0, y: y + label, width: crop.width, height: crop.height)).assign(from: crop)
        return canvas
    }

    /// The first readable source among A's crops, from the middle of the set outward.
    func makeFramePreviewState() throws -> FramePreviewState? {
        guard let setA else { return nil }
        let n = setA.count
        let order = (0..<n).sorted { abs($0 - n / 2) < abs($1 - n / 2) }
        for i in order.prefix(8) {
            let meta = setA.sidecars[i]
            guard let frame = try? Trainer.sourceImage(meta, cropFolder: setA.folder), let toImage = try? meta.transform.inverted(),
                  Trainer.isSource(frame, of: setA, i) else { continue }
            let points = meta.landmarks.map { toImage.apply($0) }
            guard points.allSatisfy({ $0.x >= 0 && $0.y >= 0 && $0.x < Double(frame.width) && $0.y < Double(frame.height) })
            else { continue }
            let rect = Rect.bounding(points)
            let face = Face(box: rect.grownSquare(margin: 0.5), rect: rect, score: 0, landmarks: points)
            let recognizer = try? Recognizer()
            return FramePreviewState(frame: frame, face: face, detector: try Detector(), landmarker: try Landmarker(),
                                     recognizer: recognizer, identityB: try recognizer.map { try meanIdentity(setB, $0) },
                                     identityA: try recognizer.map { try $0.embed(frame, face) })
        }
        return nil
    }

    /// Where a crop's source is now: the sidecar's path as written, else (the crops or the sources
    /// moved, or a relative path written from another folder) the same relative path or file name
    /// looked up from the crop folder and from its parent. nil when none is readable.
    static func locateSource(_ written: String, cropFolder: String) -> String? {
        let name = written.split(separator: "/").last.map(String.init) ?? written
        let parent = cropFolder + "/.."
        var candidates = [written]
        if !written.hasPrefix("/") { candidates += [cropFolder + "/" + written, parent + "/" + written] }
        candidates += [cropFolder + "/" + name, parent + "/" + name]
        return candidates.first { !$0.isEmpty && Files.exists($0) }
    }

    /// Whether `frame` is what crop i of `set` was cut from: the crop cut again under the sidecar's
    /// transform differs from the stored one by at most 12 grey levels on average (a file found by
    /// name alone may be another video or photo).
    static func isSource(_ frame: Image, of set: FaceSet, _ i: Int) -> Bool {
        let k = Double(set.side) / Double(set.sidecars[i].size), t = set.sidecars[i].transform.m
        let scaled = Affine(t.0 * k, t.1 * k, t.2 * k, t.3 * k, t.4 * k, t.5 * k)
        guard let again = try? Aligner.crop(frame, transform: scaled, size: set.side) else { return false }
        let kept = set.crops[i]
        guard again.format == kept.format, again.width == kept.width, again.height == kept.height else { return false }
        var sum = 0
        let rowBytes = kept.width * kept.format.channels
        for y in 0..<kept.height {
            let a = (again.data + y * again.stride).assumingMemoryBound(to: UInt8.self)
            let b = (kept.data + y * kept.stride).assumingMemoryBound(to: UInt8.self)
            for x in 0..<rowBytes { sum += abs(Int(a[x]) - Int(b[x])) }
        }
        return Double(sum) / Double(rowBytes * kept.height) <= 12
    }

    /// A crop's source image: the photo, or the video's frame (numbered from 0 as extraction numbers them).
    static func sourceImage(_ meta: AlignedFace, cropFolder: String) throws -> Image {
        guard let path = locateSource(meta.source, cropFolder: cropFolder) else {
            throw FaceSwapError(.io, "'\(meta.source)' is not readable")
        }
        if meta.frame < 0 { return try Image.load(path: path).ensuring(.bgr8) }
        let reader = try VideoReader(path: path, threads: 1)
        reader.range = FrameRange(first: meta.frame, count: 1, warmup: 0)
        guard let f = try reader.next() else {
            throw FaceSwapError(.decode, "'\(meta.source)' has no frame \(meta.frame)")
        }
        return f.image
    }

    /// The mean embedding of up to 8 of the set's faces, spread over it (landmarks from the sidecars).
    func meanIdentity(_ set: FaceSet, _ recognizer: Recognizer) throws -> [Float] {
        let n = min(8, set.count)
        var sum = [Float](repeating: 0, count: 128)
        for k in 0..<n {
            let i = k * set.count / n, meta = set.sidecars[i]
            let s = Double(set.side) / Double(meta.size)
            let points = meta.landmarks.map { $0 * s }
            let all = Rect(x: 0, y: 0, width: Double(set.side), height: Double(set.side))
            let e = try recognizer.embed(set.crops[i], Face(box: all, rect: all, score: 0, landmarks: points))
            for j in 0..<128 { sum[j] += e[j] / Float(n) }
        }
        return sum
    }

    func recordIdentity(toB: Double, toA: Double) {
        if identityHistory.last?.iteration == iteration { identityHistory.removeLast() }
        identityHistory.append((iteration, toB, toA))
    }

    /// NAME.identity.csv (iteration, distance to B, distance to A) and its plot, atomically.
    func writeIdentityCurve() throws {
        var csv = "iteration,distance_to_b,distance_to_a\n"
        for r in identityHistory { csv += "\(r.iteration),\(r.toB),\(r.toA)\n" }
        try Array(csv.utf8).withUnsafeBytes { try Files.writeAtomically(identityCSVPath, $0) }
        let i = model.info
        let first = Double(identityHistory.first?.iteration ?? 0), last = Double(identityHistory.last?.iteration ?? 1)
        try Chart.lines([
            Chart.Series(name: "to B, \(i.nameB)", points: identityHistory.map { (Double($0.iteration), $0.toB) }, colour: [20, 60, 220]),
            Chart.Series(name: "to A, \(i.nameA)", points: identityHistory.map { (Double($0.iteration), $0.toA) },
                         colour: [200, 80, 20]),
            Chart.Series(name: "0.6: same person", points: [(first, 0.6), (max(last, first + 1), 0.6)], colour: [150, 150, 150]),
        ], title: "identity distance of A's frame swapped (dlib ResNet), \(i.size)x\(i.size)", xLabel: "iteration")
            .save(path: identityPlotPath)
    }
}
