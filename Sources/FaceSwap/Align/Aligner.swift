/// Alignment to the canonical face: a similarity transform from a face's landmarks to the
/// template, and the aligned square crop.
public enum Aligner {
    /// Points used for the fit: the inner face (brows, nose, eyes, mouth), steadier than the jaw.
    static let innerPoints = Array(17..<68)
    /// For a dlib 5-point face: which template (68-point) index each point sits at.
    static let fivePointMap = [45, 42, 36, 39, 33]
    /// Eye points count this many times in the fit: the eyes are the steadiest, best-located
    /// points, and what later stages (and people) judge an alignment by. Measured on same-person
    /// pairs from the shared data, weight 1 leaves eye centres up to 3.4 % of the crop off the
    /// template, weight 6 at most 2.2 % (and 1.7 % without head yaw).
    static let eyeWeight = 6.0

    /// The template's 68 points in crop pixels of a size × size crop with this padding.
    public static func template(size: Int, padding: Double) throws -> [Point] {
        try check(size: size, padding: padding)
        let s = Double(size)
        return MeanFace.points.map { Point((padding + $0.x * (1 - 2 * padding)) * s, (padding + $0.y * (1 - 2 * padding)) * s) }
    }

    static func check(size: Int, padding: Double) throws {
        if size < 8 || size > 4096 { throw FaceSwapError(.invalidArgument, "aligned size \(size) is outside 8–4096") }
        if !(padding >= 0 && padding <= 0.45) { throw FaceSwapError(.invalidArgument, "padding \(padding) is outside 0–0.45") }
    }

    /// Image pixels → crop pixels, by Umeyama's least squares over the inner points.
    public static func transform(for face: Face, size: Int, padding: Double) throws -> Affine {
        let t = try template(size: size, padding: padding)
        let src: [Point], dst: [Point]
        switch face.landmarks.count {
        case 68:
            src = innerPoints.map { face.landmarks[$0] }
            dst = innerPoints.map { t[$0] }
        case 5:
            src = face.landmarks
            dst = fivePointMap.map { t[$0] }
        default:
            throw FaceSwapError(.invalidArgument, "the face has \(face.landmarks.count) landmarks; fit 68 or 5 first (fs_landmarks_fit)")
        }
        for p in src where !(p.x.isFinite && p.y.isFinite) {
            throw FaceSwapError(.invalidArgument, "the face's landmarks are not finite numbers")
        }
        let weights = src.count == 68 - 17 ? innerPoints.map { (36...47).contains($0) ? eyeWeight : 1 } : nil
        return try Affine.similarity(from: src, to: dst, weights: weights)
    }

    /// The size × size crop of image under transform (image → crop pixels).
    public static func crop(_ image: Image, transform: Affine, size: Int) throws -> Image {
        if size < 8 || size > 4096 { throw FaceSwapError(.invalidArgument, "aligned size \(size) is outside 8–4096") }
        for v in transform.array where !v.isFinite {
            throw FaceSwapError(.invalidArgument, "the transform has a non-finite entry")
        }
        return try image.warped(transform, width: size, height: size)
    }
}
