import CFaceShim
#if canImport(Glibc)
import Glibc
#endif

public struct ReenactOptions: Sendable {
    /// How much of the driver's expression (relative to its neutral first frame) is applied.
    public var expression: Double = 1.0
    /// How much of the driver's head motion (rotation, scale, translation) is applied (0–2; above
    /// 1 amplifies it: each point's displacement by the head motion times this, a head-bob gain).
    public var headMotion: Double = 1.0
    /// The inside of a mouth that opens wider than in the photo: `MouthFill`'s raw values
    /// (0 off, 1 synthesised from the photo's colours, 2 the driver's, colour-matched).
    public var mouthFill: Int = MouthFill.synthesised.rawValue
    /// Video: write the driver and the result side by side.
    public var sideBySide: Bool = false
    /// Tracking and smoothing of the driver's face. Its `threads` also bound the threads one
    /// frame's warp of the photo may use (its rows shared among them: the same output), kept from
    /// frame to frame and used while they make the warp faster (`fsx_workers`).
    public var stream = StreamOptions()
    public init() {}

    /// Ranges: the option table (Core/OptionTable.swift).
    func validate() throws {
        try OptionField.validate(Self.fields, self, .reenact)
        try stream.validate()
    }
}

/// How an opening mouth's inside is filled (ReenactOptions.mouthFill, the C field mouth_fill).
public enum MouthFill: Int, Sendable {
    /// The warped photo as it is (its closed lips' pixels stretched).
    case off = 0
    /// A cavity and teeth drawn in the photo's own colours and lighting (`MouthInterior`).
    case synthesised = 1
    /// The driver's mouth interior warped in, colour-matched on the lip ring.
    case driver = 2
}

/// Animates a still photo from a driving video (classical, landmark-driven): the driver's
/// landmark motion relative to its neutral frame, with the head pose normalised away by a
/// similarity, is carried onto the photo's 68 points; the head pose change is applied on top;
/// the photo is warped piecewise-affinely over a mesh of the face, a ring around the head and
/// fixed points beyond it and on the image border (the background stays still); the mouth, when
/// it opens wider than the photo shows, is filled with a cavity and teeth in the photo's colours
/// (or, by option, from the driver's, colour-matched); an eye closing further than the photo's
/// gets its upper lid drawn down over it (`Eyelids`).
/// Made from a landmark-GAN model instead of a photo, the same points are those of B's mean shape
/// on a plain canvas, and B is generated at them (`TrainedPerson`) instead of a warped photo.
/// Not thread-safe (it tracks the driver).
public final class Reenactor {
    public let options: ReenactOptions
    public let source: Image          // BGR8, even width and height (a model's: B's neutral on its canvas)
    public let sourceFace: Face
    public let tracker: FaceTracker
    private var neutral: [Point]? = nil
    /// The neutral frame's head pose and the photo's (HeadPose.swift: the yaw is turned in 3-D).
    private var neutralPose: HeadPose? = nil
    private let sourcePose: HeadPose
    /// The inner-lip gap of the driver's most closed mouth so far, in the neutral frame's pose
    /// (nil: no frame yet); the jaw and mouth's neutral is the neutral frame's closed to it.
    private var closedGap: Double? = nil
    /// closedGap is 0 as an estimate (the neutral frame's mouth is open and no frame has read
    /// closed yet), not a gap the driver has shown.
    private var closedIsEstimate = false
    private let sourceMesh: FaceMesh
    private let fixed: [Point]
    /// The photo's 68 points triangulated (Delaunay), each with its orientation's sign in the
    /// photo: the mesh the fold guard keeps from flipping (`unfolded`).
    private let triangles: [(Int, Int, Int, Double)]
    /// The photo's mouth colours (mouth_fill synthesised; nil: not that mode, or lips too small).
    private let interior: MouthInterior?
    /// Points whose relation carries the head pose: nose and eye corners.
    static let posePoints = Array(27...35) + [36, 39, 42, 45]

    /// The person of a landmark-GAN model drawn instead of a warped photo (nil: a photo).
    private let person: TrainedPerson?
    /// The photo's warp's threads besides the caller's, kept from frame to frame (nil: none could
    /// be made; the warp runs on the caller's thread).
    private let workers: OpaquePointer?

    /// Animates `photo` (its largest face).
    public convenience init(detector: Detector, landmarker: Landmarker, source photo: Image, options: ReenactOptions = ReenactOptions()) throws {
        try Reenactor.check(options, landmarker)
        // H.264 4:2:0 wants even sizes: drop a last odd row/column.
        let w = photo.width & ~1, h = photo.height & ~1
        guard w >= 16 && h >= 16 else { throw FaceSwapError(.invalidArgument, "the source photo is too small (\(photo.width)×\(photo.height))") }
        let bgr = try photo.ensuring(.bgr8)
        let source = try bgr.region(IntRect(x: 0, y: 0, width: w, height: h)).converted(to: .bgr8)
        guard let found = try detector.detect(source).first else {
            throw FaceSwapError(.noFace, "no face found in the source photo")
        }
        try self.init(detector: detector, landmarker: landmarker, source: source, face: try landmarker.fit(source, found),
                      person: nil, options: options)
    }

    /// Draws the person of a landmark-GAN model (`faceswap train-gan`) on a plain width × height
    /// canvas (`TrainedPerson`) instead of warping a photo: B's mean shape, centred, is the
    /// "photo's" face; each frame's target points (the driver's expression and head motion, as for
    /// a photo) are drawn by the generator. `mouthFill` is not read (the generator draws the mouth).
    public convenience init(detector: Detector, landmarker: Landmarker, model: FaceModel, width: Int, height: Int,
                            options: ReenactOptions = ReenactOptions()) throws {
        try Reenactor.check(options, landmarker)
        let person = try TrainedPerson(model: model, width: width, height: height)
        let ps = person.neutral
        let box = Rect.bounding(ps)
        try self.init(detector: detector, landmarker: landmarker, source: try person.draw(ps),
                      face: Face(box: box, rect: box, score: 0, landmarks: ps), person: person, options: options)
    }

    /// What both kinds of reenactor need of their options and landmarker.
    private static func check(_ options: ReenactOptions, _ landmarker: Landmarker) throws {
        try options.validate()
        guard landmarker.numPoints == 68 else { throw FaceSwapError(.unsupported, "reenactment needs the 68-point landmark model") }
    }

    /// `source`: BGR8, even sizes; `face`: its face with 68 points.
    private init(detector: Detector, landmarker: Landmarker, source: Image, face: Face, person: TrainedPerson?,
                 options: ReenactOptions) throws {
        let w = source.width, h = source.height
        self.source = source
        self.person = person
        sourceFace = face
        sourcePose = HeadPose.fit(sourceFace.landmarks)
        self.options = options
        tracker = try FaceTracker(detector: detector, landmarker: landmarker, options: options.stream,
                                  shapeTuning: Reenactor.shapeTuning, newcomers: false)
        sourceMesh = FaceMesh(sourceFace.landmarks, forehead: 0.35)
        // Fixed points: a ring well outside the head, and the image border.
        let outline = sourceMesh.outlinePoints
        let c = Point.mean(outline)
        let r = outline.map { $0.distance(to: c) }.max() ?? 1
        var pts: [Point] = []
        // Ring points beyond the image are pulled in to just inside the border (dropping them
        // would join the moving face straight to the border points and drag the background).
        for k in 0..<16 {
            let a = Double(k) * 2 * Double.pi / 16
            let p = Point(min(max(c.x + 1.9 * r * cos(a), 4), Double(w - 5)), min(max(c.y + 1.9 * r * sin(a), 4), Double(h - 5)))
            if !pts.contains(where: { $0.distance(to: p) < 8 }) { pts.append(p) }
        }
        let W = Double(w - 1), H = Double(h - 1)
        pts += [Point(0, 0), Point(W / 2, 0), Point(W, 0), Point(W, H / 2), Point(W, H), Point(W / 2, H), Point(0, H), Point(0, H / 2)]
        fixed = pts
        let s0 = sourceFace.landmarks
        triangles = try Reenactor.foldTriangles(s0)
        interior = options.mouthFill == MouthFill.synthesised.rawValue && person == nil ? try MouthInterior(photo: source, face: s0) : nil
        workers = fsx_workers_create(Int32(clamping: Threads.resolve(options.stream.threads)))
    }

    deinit { fsx_workers_free(workers) }

    /// Takes the next frame with a face as the driver's neutral expression and pose.
    public func reset() {
        neutral = nil
        neutralPose = nil
        closedGap = nil
        closedIsEstimate = false
        tracker.reset()
    }

    /// The photo animated by one driving frame. nil face in the driver: the photo as it is.
    public func animate(_ driver: Image, time: Double? = nil) throws -> Image {
        try animate(driver, face: Reenactor.driverFace(try tracker.track(driver, time: time)))
    }

    /// The driver's face a reenactor follows among a frame's tracked faces: the largest.
    public static func driverFace(_ faces: [Face]) -> Face? { faces.max(by: { $0.rect.area < $1.rect.area }) }

    /// The photo animated by one driving frame whose face was tracked elsewhere (another
    /// reenactor's tracker: several photos animated from one track of the driver). Frames must
    /// come in order, as to animate(_:time:). nil or a face without 68 points: the photo as it is.
    public func animate(_ driver: Image, face: Face?) throws -> Image {
        guard let d = face, d.landmarks.count == 68 else {
            return try source.copy()
        }
        if neutral == nil {
            neutral = d.landmarks; neutralPose = HeadPose.fit(d.landmarks); closedGap = nil; closedIsEstimate = false
        }
        let target = try targetPoints(d.landmarks)
        if let person { return try person.draw(target) }
        let out = try render(target)
        if let fill = MouthFill(rawValue: options.mouthFill), fill != .off {
            try fillMouth(out, fill, target: target, driver: driver, driverPoints: d.landmarks)
        }
        // Eyes closing: the photo's upper lids drawn down over them (open eyes are left as warped).
        Eyelids.draw(into: out, target: target, closure: Eyelids.closure(target: target, photo: sourceFace.landmarks))
        return out
    }

    /// The driver's shape filter: the eyes and the mouth filtered fast (a blink lasts 3–5 frames;
    /// speech moves the lips at 3–6 Hz), the jaw, brows and nose as the stream does, and the speed
    /// estimate that opens the filter quick enough to follow a blink's onset.
    /// With the defaults (min_cutoff 2, beta 8): eyes and mouth 2 Hz + 8 per eye distance per
    /// second of their speed, estimated at 4 Hz (the stream: 0.2 Hz + 2, estimated at 1 Hz).
    static let shapeTuning = ShapeTuning(regions: [(1, 1), (1, 1), (1, 1), (10, 4), (10, 4)], derivativeCutoff: 4)

    /// Inner-lip pairs (upper, lower) and eyelid pairs (upper, lower) of the 68 points.
    static let innerLips = [(61, 67), (62, 66), (63, 65)]
    static let eyelids = [[(37, 41), (38, 40)], [(43, 47), (44, 46)]]
    /// The openings' upper and lower sides (mouth, eyes); their corners belong to neither.
    static let openings: [(Set<Int>, Set<Int>)] = [([61, 62, 63], [65, 66, 67]), ([37, 38], [40, 41]), ([43, 44], [46, 47])]

    /// The mean gap of pairs (upper, lower) along `down` (negative: crossed).
    static func gap(_ p: [Point], _ pairs: [(Int, Int)], down: Point) -> Double {
        pairs.map { (p[$0.1] - p[$0.0]).dot(down) }.reduce(0, +) / Double(pairs.count)
    }

    /// The eye-corner distance: between the midpoints of each eye's corners (36/39, 42/45), which
    /// blinks and expressions do not move.
    static func eyeCornerDistance(_ p: [Point]) -> Double {
        Point.mean([p[36], p[39]]).distance(to: Point.mean([p[42], p[45]]))
    }

    /// Whether a face's inner lips read closed: open by at most 0.05 of the eye-corner distance.
    static func mouthIsClosed(_ p: [Point], down: Point) -> Bool {
        gap(p, innerLips, down: down) <= 0.05 * eyeCornerDistance(p)
    }

    /// The face with its mouth closed by `g` along `down`: the lower lip moved up by g, the jaw
    /// below the mouth corners by g times its depth below them (1 at the chin), the corners by
    /// half. Only the lower face moves and only along `down`, so the result keeps the face's own
    /// jaw outline (another frame's jaw would bring its head turn with it).
    static func closedMouth(_ p: [Point], down: Point, by g: Double) -> [Point] {
        guard g != 0 else { return p }
        var q = p
        let corners = (Point.mean([p[48], p[54]])).dot(down), chin = p[8].dot(down)
        for i in 0...16 {
            let w = min(max((p[i].dot(down) - corners) / max(chin - corners, 1e-9), 0), 1)
            q[i] = p[i] - down * (g * w)
        }
        for i in Array(55...59) + Array(65...67) { q[i] = p[i] - down * g }
        for i in [48, 54, 60, 64] { q[i] = p[i] - down * (g / 2) }
        return q
    }

    /// Where the photo's 68 points go for this driver frame.
    ///
    /// The driver's points with its head pose normalised away (the similarity of its pose points
    /// onto the neutral frame's) minus its neutral, carried into the photo by the similarity of
    /// the neutral's pose points onto the photo's and scaled by `expression`, added to the photo's
    /// points; then the driver's head motion. The neutral is the first frame with a face, except
    /// for the jaw and mouth: a driver often starts mid-word, and a first frame with an open mouth
    /// made every later closed mouth a "closing" that the photo's closed lips cannot show. Their
    /// neutral is the neutral frame's with its mouth closed (`closedMouth`) to the inner-lip gap of
    /// the most closed mouth the driver has shown so far; while the neutral frame's mouth is open
    /// (inner lips apart by more than 0.05 of the eye distance) and no frame has read closed yet,
    /// to a gap of 0. The eyelids open and close in
    /// proportion: each eye's lid gap is the photo's own times 1 + expression × (the driver's gap
    /// over its neutral gap − 1), at least 0, so a closed driver's eye closes the photo's whatever
    /// their sizes; the upper lid moves, the lower keeps the carried motion. The inner lips never
    /// cross: a pair whose upper point would go below the lower meets at their middle. Then no
    /// fold (`unfolded`): the moves of points on a flipped triangle or crossed pair are shrunk.
    /// The head motion: the driver's yaw from its neutral (HeadPose: taken out of the driver's
    /// points first) turns the photo's points in 3-D, times `headMotion`, after the fold guard,
    /// followed by a second guard whose folds the jaw outline gives way to first; the rest, each
    /// point's displacement by it times `headMotion` (above 1, amplified; the blend of identity
    /// and a similarity is a similarity, so it cannot fold the mesh).
    func targetPoints(_ tracked: [Point]) throws -> [Point] {
        guard let neutral, let neutralPose else { return sourceFace.landmarks }
        // The driver's turn (yaw) from its neutral, and its points turned back by it: the
        // 2-D steps below then see roll, pitch, scale, shift and expression, not a turn's shear.
        let pose = HeadPose.fit(tracked)
        let current = pose.turned(tracked, by: HeadPose.turn(from: neutralPose, to: pose).transposed)
        let idx = Reenactor.posePoints
        let s0 = sourceFace.landmarks
        // Driver's current pose back to its neutral one: what remains is expression.
        let unpose = try Affine.similarity(from: idx.map { current[$0] }, to: idx.map { neutral[$0] })
        // Driver neutral -> photo: carries expression vectors into the photo's frame and size.
        let toPhoto = try Affine.similarity(from: idx.map { neutral[$0] }, to: idx.map { s0[$0] })
        let shape = current.map { unpose.apply($0) }
        // The driver's and the photo's "down" (perpendicular to the eye corners' line).
        func down(_ p: [Point]) -> Point {
            let a = Point.mean([p[36], p[39]]), b = Point.mean([p[42], p[45]])
            let d = b - a, n = max(d.distance(to: Point(0, 0)), 1e-9)
            return Point(-d.y / n, d.x / n)
        }
        let dn = down(neutral), dp = down(s0)
        // The jaw and mouth's neutral: the neutral frame's, closed to the most closed inner-lip gap
        // so far (0 as an estimate while its open mouth has not yet been seen closed).
        let g0 = Reenactor.gap(neutral, Reenactor.innerLips, down: dn)
        if closedGap == nil {
            closedIsEstimate = !Reenactor.mouthIsClosed(neutral, down: dn)
            closedGap = closedIsEstimate ? 0 : g0
        }
        let g = Reenactor.gap(shape, Reenactor.innerLips, down: dn)
        if closedIsEstimate ? Reenactor.mouthIsClosed(shape, down: dn) : g < closedGap! {
            // The estimate gives way to the first mouth the driver really closes.
            closedIsEstimate = false
            closedGap = g
        }
        let base = Reenactor.closedMouth(neutral, down: dn, by: g0 - closedGap!)
        let e = options.expression
        var points = (0..<68).map { i -> Point in
            let delta = shape[i] - base[i]
            let v = Point(toPhoto.m.0 * delta.x + toPhoto.m.1 * delta.y, toPhoto.m.3 * delta.x + toPhoto.m.4 * delta.y)
            return s0[i] + v * e
        }
        // Eyelids: the photo's gap scaled as the driver's.
        for pairs in Reenactor.eyelids {
            let g = Reenactor.gap(shape, pairs, down: dn), g0 = Reenactor.gap(base, pairs, down: dn)
            guard g0 > 1e-6 else { continue }
            let ratio = max(0, 1 + e * (min(g / g0, 2) - 1))
            for (u, l) in pairs { points[u] = points[l] - (s0[l] - s0[u]) * ratio }
        }
        // Inner lips: never crossed.
        for (u, l) in Reenactor.innerLips {
            let g = (points[l] - points[u]).dot(dp)
            if g < 0 {
                points[u] = points[u] + dp * (g / 2)
                points[l] = points[l] - dp * (g / 2)
            }
        }
        // No fold: above expression 1 (and on a noisy fit at 1) a mouth corner can pass a lip point.
        points = Reenactor.unfolded(points, photo: s0, triangles: triangles, down: dp)
        if options.headMotion > 0 {
            // The driver's turn, in 3-D about the photo's own pose: the near side widens. A wide turn
            // (a photo already facing aside, turned further; or amplified by head_motion) carries the
            // far side's jaw outline past the eye corner or the nose, as the mean face's points go
            // behind them: the outline, a silhouette on a real head, is held back first (`yielding`),
            // so the nose and eyes keep their turn. Measured (test_reenact_turn.py, vr_face3's 20°
            // turn, mirrored, onto fr_obama1, which faces ~20° aside): the guard after the turn on
            // all points left the output's yaw at 0.45 of the driver's.
            let before = points
            points = sourcePose.turned(points, by: HeadPose.turn(from: neutralPose, to: pose, gain: options.headMotion))
            points = Reenactor.unfolded(points, photo: s0, triangles: triangles, down: dp, from: before,
                                        yielding: Reenactor.outline)
        }
        if options.headMotion > 0 {
            // The driver's head motion, expressed in the photo: toPhoto ∘ unpose⁻¹ ∘ toPhoto⁻¹.
            let head = toPhoto.after(try unpose.inverted()).after(try toPhoto.inverted())
            points = points.map { p in
                let q = head.apply(p)
                return p + (q - p) * options.headMotion
            }
        }
        return points
    }

    /// Twice the signed area of the triangle a, b, c.
    static func area(_ a: Point, _ b: Point, _ c: Point) -> Double {
        (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
    }

    /// The triangles the fold guard checks, each with the sign of its area in the photo: the
    /// Delaunay mesh of the photo's 68 points without those across an opening (a vertex on its
    /// upper side and one on its lower): a closed mouth's are slivers that opening it may turn
    /// over, as it should (the opening's own guard is the pair order). Measured: with them kept,
    /// the guard held the mouth back at expression 1 (test_reenact_expression's vr_face4 ->
    /// fr_rose_leslie1 mouth amplitude 0.80 -> 0.56).
    static func foldTriangles(_ s0: [Point]) throws -> [(Int, Int, Int, Double)] {
        let tri = try GeometricConverter.delaunay(s0).map(Int.init)
        return stride(from: 0, to: tri.count, by: 3).compactMap { k in
            let t = [tri[k], tri[k + 1], tri[k + 2]]
            let across = Reenactor.openings.contains { up, low in t.contains(where: up.contains) && t.contains(where: low.contains) }
            return across ? nil : (t[0], t[1], t[2], Reenactor.area(s0[t[0]], s0[t[1]], s0[t[2]]) < 0 ? -1 : 1)
        }
    }

    /// The jaw outline (0–16): on a turned head a silhouette, not fixed points of the skin.
    static let outline = Set(0...16)

    /// `points` (the photo's 68 moved by the expression) with no fold: no triangle of the photo's
    /// mesh flipped against its orientation in the photo, no inner-lip or eyelid pair crossed
    /// (gap along `down` below the photo's own, if that is negative, else below 0). The points of
    /// an offending triangle or pair have their moves (from `base`, default the photo's points)
    /// shrunk by 0.8, and again while any offends; after 30 rounds (0.8^30 ≈ 0.001) the points
    /// still offending are put back at `base`, which must have no fold itself (the photo's has
    /// none). Points on no offending element keep their move. Of an offending element with points
    /// of `yielding` still off `base`, only those are shrunk (before round 30).
    static func unfolded(_ points: [Point], photo s0: [Point], triangles: [(Int, Int, Int, Double)],
                         down: Point, from base: [Point]? = nil, yielding: Set<Int> = []) -> [Point] {
        let pairs = innerLips + eyelids.flatMap { $0 }
        let tol = 1e-6
        let b = base ?? s0
        func offenders(_ p: [Point], first: Bool) -> Set<Int> {
            var bad = Set<Int>()
            func add(_ element: [Int]) {
                let yield = first ? element.filter { yielding.contains($0) && p[$0].distance(to: b[$0]) > tol } : []
                bad.formUnion(yield.isEmpty ? element : yield)
            }
            for (a, c, d, sign) in triangles where sign * area(p[a], p[c], p[d]) < -tol { add([a, c, d]) }
            for (u, l) in pairs where (p[l] - p[u]).dot(down) < min(0, (s0[l] - s0[u]).dot(down)) - tol {
                add([u, l])
            }
            return bad
        }
        var p = points
        for round in 0... {
            let bad = offenders(p, first: round < 30)
            if bad.isEmpty { break }
            // Each pass changes at least one point still off `base`: this ends.
            for i in bad { p[i] = round < 30 ? b[i] + (p[i] - b[i]) * 0.8 : b[i] }
        }
        return p
    }

    private func render(_ target: [Point]) throws -> Image {
        let tMesh = FaceMesh(target, forehead: 0.35)
        let src = sourceMesh.points + fixed, dst = tMesh.points + fixed
        // Triangles whose three corners do not move (those between the fixed ring and the image
        // border) map the photo onto itself: left out, their pixels are the warp's uncovered ones,
        // which it copies from the photo through its base map (the identity) in whole runs, the
        // same pixels without the per-triangle work. (Where such a triangle meets a moving one,
        // the shared edge's corners are fixed, so the moving one's map there is the identity too.)
        let all = try GeometricConverter.delaunay(dst)
        var tri: [Int32] = []
        tri.reserveCapacity(all.count)
        for k in stride(from: 0, to: all.count, by: 3) {
            let t = all[k..<k + 3]
            if t.contains(where: { src[Int($0)] != dst[Int($0)] }) { tri += t }
        }
        // Only the region inside the fixed ring moves: the photo outside it copied, that region
        // warped (the warp writes each of its pixels).
        let moving = sourceMesh.points + tMesh.points + fixed.prefix(fixed.count - 8)
        let roi = IntRect.around(moving, pad: 2, clip: source.width, source.height)
        let out = try source.copy(outside: roi)
        if roi.isEmpty { return out }
        try shim(fsx_warp_piecewise(source.view, try out.region(roi).view, fsx_view(), Double(roi.x), Double(roi.y),
                                    Affine.identity.array, FaceMesh.flat(src), FaceMesh.flat(dst), tri, Int32(tri.count / 3), workers),
                 "reenact warp")
        return out
    }

    /// Fills the inner mouth when it is open wider than the photo's: synthesised from the photo's
    /// colours (`MouthInterior`) or from the driver's. Both stay inside the animated inner-lip
    /// polygon, feathered inward only.
    private func fillMouth(_ out: Image, _ fill: MouthFill, target: [Point], driver: Image, driverPoints: [Point]) throws {
        let inner = Array(60...67), lips = Array(48...67)
        func area(_ p: [Point]) -> Double {
            var a = 0.0
            for i in p.indices { let q = p[(i + 1) % p.count]; a += p[i].x * q.y - q.x * p[i].y }
            return abs(a) / 2
        }
        let opened = area(inner.map { target[$0] }), closed = area(inner.map { sourceFace.landmarks[$0] })
        let iod = sourceFace.interocularDistance ?? 1
        guard opened > closed + 0.02 * iod * iod else { return }
        let tLips = lips.map { target[$0] }, dLips = lips.map { driverPoints[$0] }
        let pad = 0.1 * iod + 4
        let roi = IntRect.around(tLips, pad: pad, clip: out.width, out.height)
        if roi.isEmpty { return }
        let region = try out.region(roi)
        let hole = try Image(width: roi.width, height: roi.height, format: .gray8)
        try shim(fsx_fill_poly(hole.view, FaceMesh.flat(inner.map { target[$0] }), 8, Double(roi.x), Double(roi.y), 255, 1), "mouth")
        let fillImage: Image
        let feather = max(1, 0.02 * iod)
        // How far the alpha is eroded inside the opening, and its blur.
        let erode: Double, blur: Double
        if fill == .synthesised {
            guard let interior else { return }
            // Drawn for this opening up to its edge, no erosion, a quarter feather's blur: its
            // rim is the dark of a lip's inner edge, which the eroded alpha (one feather) left
            // as the photo's closed lips stretched open, a band of lip colour inside the opening.
            // Measured (test_reenact_expression's dlib re-fit of the output, vr_face4 ->
            // fr_obama1): the re-fit read that band, and the teeth against it, as lip, the lips
            // about twice as thick as drawn (with the teeth's shadow, MouthInterior.draw).
            fillImage = try Image(width: roi.width, height: roi.height, format: .bgr8)
            interior.draw(into: fillImage, where: hole, roi: roi, points: target, iod: iod)
            erode = 0; blur = feather / 4
        } else {
            fillImage = try driverInterior(driver, roi: roi, region: region, hole: hole, target: target, driverPoints: dLips)
            erode = 2 * feather; blur = feather
        }
        // Feather inward only: the photo's lips outside the opening stay as they are. The blurred
        // alpha's tail (~2 % at the edge) is cut by the opening drawn without anti-aliasing: the
        // anti-aliased one's partial values reach ~1.5 px outside the polygon, where that tail
        // changed the photo's lips by 1–2 levels.
        let inside = try Image(width: roi.width, height: roi.height, format: .gray8)
        try shim(fsx_fill_poly(inside.view, FaceMesh.flat(inner.map { target[$0] }), 8, Double(roi.x), Double(roi.y), 255, 0), "mouth")
        let alpha = try hole.copy()
        if erode > 0 { try shim(fsx_morph(alpha.view, Int32(-erode.rounded(.up))), "mouth") }
        if blur > 0 { try shim(fsx_blur(alpha.view, blur), "mouth") }
        try FaceMask.intersect(alpha, inside)
        try Blender.blend(.alpha, face: fillImage, into: region, alpha: alpha, hard: inside)
    }

    /// The driver's mouth (its lip points `driverPoints`, 48–67) warped onto the animated one
    /// over `roi`, its colour matched to the photo's lips (mean shift on the lip ring: the outer
    /// lip polygon of `target` minus `hole`, the opening).
    private func driverInterior(_ driver: Image, roi: IntRect, region: Image, hole: Image, target: [Point],
                                driverPoints dLips: [Point]) throws -> Image {
        let tLips = Array(48...67).map { target[$0] }
        // Driver's mouth warped onto the animated mouth (target -> driver map).
        let base = try Affine.leastSquares(from: tLips, to: dLips)
        let tri = try GeometricConverter.delaunay(tLips)
        let drv = try driver.ensuring(.bgr8)
        let warped = try Image(width: roi.width, height: roi.height, format: .bgr8)
        try shim(fsx_warp_piecewise(drv.view, warped.view, fsx_view(), Double(roi.x), Double(roi.y), base.array,
                                    FaceMesh.flat(dLips), FaceMesh.flat(tLips), tri, Int32(tri.count / 3), nil), "mouth warp")
        // Colour: match the driver's lips to the photo's lips (mean shift on the lip ring).
        let ring = try Image(width: roi.width, height: roi.height, format: .gray8)
        try shim(fsx_fill_poly(ring.view, FaceMesh.flat(Array(48...59).map { target[$0] }), 12, Double(roi.x), Double(roi.y), 255, 1), "mouth")
        try shim(fsx_mask_subtract(ring.view, hole.view), "mouth")
        try ColourTransfer.apply(.mean, to: warped, reference: region, mask: ring)
        return warped
    }
}

/// A driving video in, animated photos out (driver's audio and timestamps kept).
public enum ReenactJob {
    /// The most photos one job animates (FS_REENACT_GRID_MAX).
    public static let maxPhotos = 16

    /// One photo: the video is the photo's size, or driver | photo with sideBySide.
    public static func run(reenactor: Reenactor, driving: String, output: String, sideBySide: Bool = false,
                           encoding: VideoEncoding = VideoEncoding(), progress: ProgressHandler? = nil) throws -> VideoJobResult {
        try run(reenactors: [reenactor], driving: driving, output: output, sideBySide: sideBySide,
                encoding: encoding, progress: progress)
    }

    /// Several photos by one driver, tiled (MontageGrid: the driver's frame first with sideBySide,
    /// then the photos in order, all at the smallest photo's height, `columns` as MontageGrid's).
    /// The driver is tracked once per frame, by the first reenactor's tracker; every reenactor
    /// animates its photo from that one track (its own expression, head motion and mouth fill).
    public static func run(reenactors: [Reenactor], columns: Int = 0, driving: String, output: String, sideBySide: Bool = false,
                           encoding: VideoEncoding = VideoEncoding(), progress: ProgressHandler? = nil) throws -> VideoJobResult {
        guard let lead = reenactors.first, reenactors.count <= maxPhotos else {
            throw FaceSwapError(.invalidArgument, "\(reenactors.count) photos: 1–\(maxPhotos) can be animated at once")
        }
        let start = StageClock.now()
        for r in reenactors { r.reset() }  // the video's own first face is its neutral frame
        let threads = Threads.resolve(encoding.threads)
        let reader = try VideoReader(path: driving, threads: decoderThreads(threads))
        let photos = reenactors.map { (width: $0.source.width, height: $0.source.height) }
        let grid = try MontageGrid(sizes: (sideBySide ? [(width: reader.info.width, height: reader.info.height)] : []) + photos,
                                   height: photos.map(\.height).min()!, columns: columns, gap: 8)
        let writer = try VideoWriter(path: output, reader: reader, width: grid.width, height: grid.height, encoding: encoding)
        let (frames, withFaces) = try VideoPipeline.run(reader: reader, writer: writer, threads: threads,
                                                        progress: progress) { frame in
            let faces = try lead.tracker.track(frame.image, time: frame.seconds)
            let driver = Reenactor.driverFace(faces)
            let animated = try reenactors.map { try $0.animate(frame.image, face: driver) }
            return (try grid.compose((sideBySide ? [frame.image] : []) + animated), !faces.isEmpty)
        }
        return VideoJobResult(frames: frames, framesWithFaces: withFaces, sceneCuts: lead.tracker.sceneCuts,
                              seconds: StageClock.now() - start)
    }
}

fileprivate extension Point {
    func dot(_ o: Point) -> Double { x * o.x + y * o.y }
}
