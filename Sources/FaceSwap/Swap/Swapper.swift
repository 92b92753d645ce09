import CFaceShim
#if canImport(Glibc)
import Glibc
#endif

/// Optional per-stage timing of swaps (for the benchmark): seconds per named stage, summed.
public final class StageClock {
    public private(set) var totals: [String: Double] = [:]
    private var last = StageClock.now()
    public init() {}
    public func reset() { totals = [:]; last = StageClock.now() }
    public func start() { last = StageClock.now() }
    public func lap(_ stage: String) {
        let t = StageClock.now()
        totals[stage, default: 0] += t - last
        last = t
    }
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}

/// The result of one swap.
public struct SwapResult {
    public var image: Image
    /// The target faces that were replaced (landmarks fitted).
    public var faces: [Face]
    /// GRAY8, the target's size: how much of the source each pixel took (when asked for).
    public var mask: Image?
}

/// Face swapping: detect, fit landmarks, convert (affine / Delaunay from a source photo, or the
/// learned model), mask, colour, blend. Immutable after creation; one swapper and one prepared
/// source serve any number of threads.
public final class Swapper: @unchecked Sendable {
    public let detector: Detector
    public let landmarker: Landmarker
    public let recognizer: Recognizer?
    public let options: SwapOptions
    /// The learned conversion: target faces are converted by the model (no source photo needed).
    public let model: FaceModel?

    public init(detector: Detector, landmarker: Landmarker, recognizer: Recognizer? = nil,
                options: SwapOptions = SwapOptions(), model: FaceModel? = nil) throws {
        try options.validate()
        if let model, model.info.kind == .landmarkGAN, options.reverse {
            throw FaceSwapError(.invalidArgument, "reverse: a landmark GAN model draws person B only (it has no decoder A)")
        }
        guard landmarker.numPoints == 68 else {
            throw FaceSwapError(.unsupported, "face swapping needs the 68-point landmark model (this one has \(landmarker.numPoints))")
        }
        // A reference without a recognizer is the caller's mix of arguments (INVALID_ARGUMENT), for
        // the photo and the learned swapper alike; FS_ERR_MODEL is for a model file.
        if options.reference != nil && recognizer == nil {
            throw FaceSwapError(.invalidArgument, model != nil
                ? "use_reference: a learned swapper has no recognizer; choose faces by face_index, not a reference"
                : "use_reference needs a recognizer (fs_recognizer_create with \(ModelResolver.faceRecognition)); " +
                  "the recognizer passed is NULL")
        }
        self.detector = detector
        self.landmarker = landmarker
        self.recognizer = recognizer
        self.options = options
        self.model = model
    }

    /// Refuses a source this swapper cannot use: a photo swapper needs one; a learned swapper
    /// converts each face with its model and takes none (a source given to it would be ignored).
    public func check(source: Source?) throws {
        if source == nil && model == nil {
            throw FaceSwapError(.invalidArgument, "no source face and no model: give a source (fs_source_prepare) or a model")
        }
        if source != nil && model != nil {
            throw FaceSwapError(.invalidArgument, "a learned swapper converts each face with its model and takes no " +
                "source face: pass source = NULL (None), or make a photo swapper (fs_swapper_create) for this source")
        }
    }

    /// The learned conversion of one target face: aligned as in training, through the shared
    /// encoder and the other person's decoder; a source in the aligned crop's coordinates.
    public func learnedSource(for face: Face, in image: Image) throws -> Source {
        guard let model else {
            throw FaceSwapError(.invalidArgument, "no source face and no model: give a source (fs_source_prepare) or a model")
        }
        try face.requireLandmarks(68, for: "the learned conversion")
        let s = model.size
        let t = try Aligner.transform(for: face, size: s, padding: model.info.padding)
        if model.info.kind == .landmarkGAN {
            // B drawn from the target's expression on B's mean shape; its points (known: they
            // were drawn) are warped onto the target's like a fitted learned face.
            let shape = try model.drivenShape(face.landmarks.map { t.apply($0) })
            let (generated, _) = try model.generate(shape)
            var local = face
            local.landmarks = shape
            let source = Source(image: generated, face: local, embedding: nil, origin: Point(0, 0), learned: true)
            source.fitted = true
            source.drawnMask = try Self.cropFade(width: generated.width, height: generated.height)
            source.detail = model.detail(.b)
            return source
        }
        let crop = try Aligner.crop(try image.ensuring(.bgr8), transform: t, size: s)
        let to: Identity = options.reverse ? .a : .b
        let (converted, mask) = try model.convert(crop, to: to, shifted: to == .b)
        var local = face
        local.landmarks = face.landmarks.map { t.apply($0) }
        var decoded = converted
        var fitted = false
        if !options.keepModelShape {
            // dlib's landmarks on the decoded face, at 4× (the predictor wants more than 64 px),
            // started from the target's detector rectangle carried into the crop.
            let k = 4.0
            let big = try converted.resized(width: s * Int(k), height: s * Int(k))
            let r = face.rect
            let corners = [Point(r.x, r.y), Point(r.x + r.width, r.y), Point(r.x, r.y + r.height),
                           Point(r.x + r.width, r.y + r.height)].map { t.apply($0) * k }
            let rect = Rect.bounding(corners)
            let fit = try landmarker.fit(big, Face(box: rect, rect: rect, score: 0))
            decoded = big
            local.landmarks = fit.landmarks
            fitted = true
        }
        let source = Source(image: decoded, face: local, embedding: nil, origin: Point(0, 0), learned: true)
        source.fitted = fitted
        source.modelMask = (mask, t)
        source.detail = model.detail(to)
        return source
    }

    /// A generated crop's extent: 255, falling to 0 over its outer sixteenth. B's chin reaches
    /// the crop's bottom edge (the training crops' padding), so a target's lowered chin maps past
    /// it, where the warp repeats the crop's last row: a line across the chin without the fade.
    /// (The generator's own mask channel, tried in its place, cut the face's fine band: sharpness
    /// 0.75 -> 0.67 of the target's, driven by vr_face4.)
    static func cropFade(width w: Int, height h: Int) throws -> Image {
        let out = try Image(width: w, height: h, format: .gray8)
        let e = max(1, Double(min(w, h)) / 16)
        for y in 0..<h {
            let row = out.data.advanced(by: y * out.stride).assumingMemoryBound(to: UInt8.self)
            for x in 0..<w {
                let d = Double(min(x, y, w - 1 - x, h - 1 - y)) + 0.5
                row[x] = UInt8((255 * min(1, d / e)).rounded())
            }
        }
        return out
    }

    /// Faces in an image with landmarks, largest first.
    public func faces(in image: Image) throws -> [Face] {
        try detector.detect(image).map { try landmarker.fit(image, $0) }
    }

    /// Prepares the `index`-th largest face of `image` as a source.
    public func prepare(_ image: Image, faceIndex index: Int = 0) throws -> Source {
        // The largest face: a large photo's large faces are found by a coarse scan alone
        // (Detector.largeFaces); only the chosen face's landmarks are fitted.
        let found = try (index == 0 ? detector.largeFaces(image) : nil) ?? detector.detect(image)
        guard !found.isEmpty else {
            throw FaceSwapError(.noFace, "no face found in the source image (a detector with upsample 1 or a smaller min_face_size finds smaller faces)")
        }
        guard index >= 0 && index < found.count else {
            throw FaceSwapError(.invalidArgument, "source face \(index) asked for, but the source has \(found.count) face(s)")
        }
        let face = try landmarker.fit(image, found[index])
        let embedding = try recognizer?.embed(image, face)
        // Keep a crop around the face (with room for the forehead and ring points), not the photo.
        let mesh = FaceMesh(face.landmarks, forehead: 1)
        let roi = IntRect.around(mesh.points, pad: 0.1 * mesh.faceSize, clip: image.width, image.height)
        let crop = try image.region(roi).converted(to: .bgr8)
        let shift = Point(Double(roi.x), Double(roi.y))
        return Source(image: crop, face: face.moved(by: Point(-shift.x, -shift.y)), embedding: embedding, origin: shift,
                      levels: try Source.pyramid(of: crop))
    }

    /// The faces of `image` a swap replaces: detected, fitted, chosen by the options.
    public func targets(in image: Image) throws -> [Face] { try select(try faces(in: image), in: image) }

    /// Which of the target's faces to replace, by the options.
    func select(_ found: [Face], in image: Image) throws -> [Face] {
        if options.faceIndex >= 0 {
            return options.faceIndex < found.count ? [found[options.faceIndex]] : []
        }
        if let reference = options.reference, let recognizer {
            return try found.filter {
                Recognizer.distance(try recognizer.embed(image, $0), reference) <= options.identityThreshold
            }
        }
        return found
    }

    /// Swaps the source onto the chosen faces of `target`; the target itself is not changed.
    public func swap(_ source: Source?, onto target: Image, wantMask: Bool = false) throws -> SwapResult {
        let out = try target.copy()
        let (faces, mask) = try swapInPlace(source, out, wantMask: wantMask)
        return SwapResult(image: out, faces: faces, mask: mask)
    }

    /// Swaps into `image`'s own pixels (for video frames and wrapped caller buffers).
    @discardableResult
    public func swapInPlace(_ source: Source?, _ image: Image, wantMask: Bool = false) throws -> ([Face], Image?) {
        try check(source: source)
        let chosen = try targets(in: image)
        if chosen.isEmpty && !options.keepUnmatched {
            throw FaceSwapError(.noFace, options.reference != nil || options.faceIndex >= 0
                ? "no face in the target matches the chosen face (index or reference)"
                : "no face found in the target image")
        }
        let mask = wantMask ? try Image(width: image.width, height: image.height, format: .gray8) : nil
        // The faces at the same time where their regions cannot touch (same result as in order).
        try swapFaces(source, chosen, into: image, mask: mask, threads: 0)
        return (chosen, mask)
    }

    /// Where the source's landmarks go in the target: the jaw on the target's, inner features
    /// between the target's and the source's own shape carried into the target's pose.
    func warpTargets(_ source: [Point], _ target: [Point]) throws -> [Point] {
        let beta = options.expression
        if options.mode == .affine || beta >= 1 { return target }
        let inner = Array(17..<68)
        let pose = try Affine.similarity(from: inner.map { source[$0] }, to: inner.map { target[$0] },
                                         weights: inner.map { (36...47).contains($0) ? 6 : 1 })
        return target.indices.map { i in
            if i < 17 { return target[i] }
            let b = i >= 48 ? beta + (1 - beta) * 0.5 : beta
            return target[i] * b + pose.apply(source[i]) * (1 - b)
        }
    }

    /// Replaces one target face whose landmarks are known; with no source, by the learned model.
    public func swapFace(_ given: Source?, _ face: Face, into image: Image, mask maskOut: Image? = nil,
                         clock: StageClock? = nil) throws {
        clock?.start()
        try check(source: given)
        try face.requireLandmarks(68, for: "swapping a face")
        var source = try given ?? learnedSource(for: face, in: image)
        if given == nil { clock?.lap("convert") }
        if given == nil && source.modelMask != nil && source.fitted {
            source = try jawRefitted(source, face, in: image)
            clock?.lap("jaw")
        }
        try place(source, face, into: image, mask: maskOut, clock: clock)
    }

    /// How far the jaw points of a decoded face move per unit of the jaw offset read back.
    /// dlib's re-fit follows a moved source jaw only part of the way (the seam and the target's
    /// own outline pull it too): on the held-out frames of the 30-minute model one pass at 1
    /// leaves half the jaw offset, at 2 about 0.05 of the eye distance, at 3 no better, and a
    /// second pass at 2 overshoots (issue 17 item 1).
    static let jawRefitGain = 2.0

    /// The decoded face's jaw fitted where it is seen. dlib's jaw on the 4x-upscaled 64-px
    /// decoded face does not agree with where the same face's outline reads once it is placed at
    /// the target's size: the decoded cheek's shading edge lands inside the target's jaw (0.1 of
    /// the eye distance on the near side of a turned head), and a re-fit of the result takes that
    /// edge for the jaw. So the face is placed once on a copy of the region it may touch, the jaw
    /// is fitted there from the target's own rectangle, and each source jaw point is moved by the
    /// offset of that jaw point from the target's (carried into the crop, times jawRefitGain).
    /// Autoencoder sources only (a landmark GAN's points are drawn, not fitted).
    func jawRefitted(_ source: Source, _ face: Face, in image: Image) throws -> Source {
        guard let (mask, t) = source.modelMask, let model else { return source }
        // A copy of what this face's swap may read or write (its parallel reach), face shifted into it.
        let r = reach(of: face, learned: true)
        let box = IntRect.around([Point(r.x, r.y), Point(r.x + r.width, r.y + r.height)], pad: 0,
                                 clip: image.width, image.height)
        if box.isEmpty { return source }
        let probe = try image.region(box).copy()
        let o = Point(Double(box.x), Double(box.y))
        let shifted = face.moved(by: Point(-o.x, -o.y))
        let placed = Source(image: source.image, face: source.face, embedding: nil, origin: source.origin, learned: true)
        placed.fitted = true
        placed.modelMask = (mask, t.after(Affine(1, 0, o.x, 0, 1, o.y)))
        try place(placed, shifted, into: probe, mask: nil, clock: nil)
        let seen = try landmarker.fit(probe, Face(box: shifted.box, rect: shifted.rect, score: 0)).landmarks
        // Image offsets into the source's pixels: the crop transform's linear part, times the upscale.
        let k = Swapper.jawRefitGain * Double(source.image.width) / Double(model.size)
        var local = source.face
        for i in 0..<17 {
            let d = seen[i] - shifted.landmarks[i]
            local.landmarks[i] = local.landmarks[i] + Point(k * (t.m.0 * d.x + t.m.1 * d.y), k * (t.m.3 * d.x + t.m.4 * d.y))
        }
        let moved = Source(image: source.image, face: local, embedding: nil, origin: source.origin, learned: true)
        moved.fitted = true
        moved.modelMask = source.modelMask
        moved.detail = source.detail
        return moved
    }

    /// Pastes a prepared source onto one target face whose landmarks are known.
    func place(_ source: Source, _ face: Face, into image: Image, mask maskOut: Image?, clock: StageClock?) throws {
        // A learned face mapped back as decoded keeps the decoder's face shape; one with fitted
        // landmarks (like a photo source) takes the target's jaw and, by `expression`, its features.
        let exact = source.learned && !source.fitted
        let tMesh = FaceMesh(exact ? face.landmarks : try warpTargets(source.face.landmarks, face.landmarks),
                             forehead: options.forehead)
        let size = tMesh.faceSize
        guard size >= 4 else { return }  // a degenerate face: nothing to paste
        let (texture, sMesh) = source.texture(forFaceSize: size, forehead: options.forehead)
        let feather = max(1, options.feather * size)
        let pad = feather + max(0, -options.erode * size) + 4
        let roi = IntRect.around(tMesh.outlinePoints, pad: pad, clip: image.width, image.height)
        if roi.isEmpty { return }

        let region = try image.region(roi)
        // Work in BGR8; a BGR8 target is worked on in place.
        let work = region.format == .bgr8 ? region : try region.converted(to: .bgr8)
        clock?.lap("prepare")
        // The mask first: its row spans bound the work of every later stage.
        var spans: [Int32] = []
        // The stages' working images (masks, warped face) live in this thread's scratch buffers:
        // no fresh pages to clear for every face. They do not outlive this call.
        let (hard, alpha) = try FaceMask.make(tMesh, roi: roi, erode: options.erode, feather: feather,
                                              keepMouth: options.keepMouth, spans: &spans, scratch: true)
        clock?.lap("mask")
        if options.occlusion {  // what covers the face stays the target's
            try Occlusion.remove(from: hard, alpha: alpha, work: work, landmarks: face.landmarks, size: size, roi: roi)
            clock?.lap("occlusion")
        } else if options.edgeColor > 0 && options.color != .none {
            // The seam's match: what crosses the seam (beard, hair, a hand) stays the target's
            // within the erosion and feather band and a little deeper (Occlusion.seamBand).
            let depth = max(0, options.erode) * size + feather + Occlusion.seamBand * size
            try Occlusion.remove(from: hard, alpha: alpha, work: work, landmarks: face.landmarks, size: size, roi: roi,
                                 seam: (tMesh.outlinePoints, Array(tMesh.points[0..<68]), depth))
            clock?.lap("occlusion")
        }
        // Pixels the blend reads beyond the mask: the membrane's ring (3 px), everything for the exact solve.
        let margin = options.blend == .poisson ? 4 : options.blend == .poissonExact ? roi.width : 0
        // Read beyond the filled columns: the Poisson blends (the ring, the whole region) and the
        // skin texture (filters over the region) read zeros there, as from a fresh image.
        let zeroed = margin > 0 || options.skinTexture > 0
        let warped = try GeometricConverter.warp(source: texture, sourceMesh: sMesh, targetMesh: tMesh, roi: roi,
                                                 mode: exact ? .affine : source.learned ? .delaunay : options.mode,
                                                 spans: spans, margin: margin, hard: hard, alpha: alpha,
                                                 scratch: true, zeroed: zeroed)
        clock?.lap("warp")
        if options.useModelMask, let (m, t) = source.modelMask {
            // The decoder's mask, mapped from the crop into the region (crop -> image -> roi).
            let toROI = Affine(1, 0, -Double(roi.x), 0, 1, -Double(roi.y)).after(try t.inverted())
            let learned = try m.warped(toROI, width: roi.width, height: roi.height)
            try FaceMask.intersect(alpha, learned)
            try FaceMask.intersect(hard, learned)
        }
        if let m = source.drawnMask {
            // The generated crop's extent, through the face's mesh (a learned face has one level).
            let grey = m.width == texture.width ? m : try m.resized(width: texture.width, height: texture.height)
            let drawn = try GeometricConverter.warp(source: try grey.converted(to: .bgr8), sourceMesh: sMesh, targetMesh: tMesh,
                                                    roi: roi, mode: .delaunay, spans: spans, margin: 0, hard: hard, alpha: alpha)
            let g = try drawn.converted(to: .gray8)
            try FaceMask.intersect(alpha, g)
            try FaceMask.intersect(hard, g)
        }
        clock?.lap("mask")
        try ColourTransfer.apply(options.color, to: warped, reference: work, mask: hard, spans: spans, margin: margin,
                                 strength: options.colorStrength)
        if options.color != .none {
            try ColourTransfer.matchEdge(warped, reference: work, mask: hard, spans: spans, margin: margin,
                                         faceSize: size, strength: options.colorStrength * options.edgeColor)
        }
        if image.format == .gray8 || ColourTransfer.isGrey(work) {
            // A grey photo stays grey: the source's colours would show as a tint.
            try warped.assign(from: try warped.converted(to: .gray8))
        }
        clock?.lap("colour")
        if options.skinTexture > 0 {  // the target's fine skin detail under the source's features
            // A learned face's person's own detail: their real face warped onto the same mesh.
            let detail = try source.detail.map { d -> Image in
                let (pixels, mesh) = d.texture(forFaceSize: size, forehead: options.forehead)
                return try GeometricConverter.warp(source: pixels, sourceMesh: mesh, targetMesh: tMesh, roi: roi,
                                                   mode: .delaunay, spans: spans, margin: margin, hard: hard, alpha: alpha)
            }
            try SkinTexture.apply(options.skinTexture, to: warped, reference: work, hard: hard, target: face.landmarks,
                                  placed: Array(tMesh.points[0..<68]), size: size, roi: roi, learned: source.learned,
                                  detail: detail, detailShape: source.detail?.face.landmarks)
            clock?.lap("texture")
        }
        try Blender.blend(options.blend, face: warped, into: work, alpha: alpha, hard: hard, spans: spans, region: roi)
        if work !== region { try shim(fsx_write_colour(work.view, region.view), "write back") }
        clock?.lap("blend")
        if let maskOut { try FaceMask.union(try maskOut.region(roi), alpha) }
    }
}
