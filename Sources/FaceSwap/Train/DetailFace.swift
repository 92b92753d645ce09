import CFaceShim

/// One real face of a person, kept in the model file (header keys `detail_a`, `detail_b`): a
/// training crop at its extracted resolution with its 68 landmarks. A learned face has the
/// decoder's smooth shapes and little fine detail of its own; with `skin_texture`, conversion
/// warps this face onto the result and takes its fine band (pores, lashes, lid lines: the
/// person's own) on the face inside its outline, scaled to the target frame's band, and the
/// target's band only for the finest detail it leaves (SkinTexture, fsx_skin_texture). A fixed
/// face per person, not one per expression: in a video the detail does not jump from one
/// training frame's to another's.
struct DetailFace {
    let image: Image
    let landmarks: [Point]

    /// Among the `nearest` crops nearest the set's mean shape (after rotation and scale: a neutral,
    /// frontal face), the sharpest (the sidecar's Laplacian variance), at its extracted size.
    static func pick(from set: FaceSet, nearest: Int = 10) throws -> DetailFace {
        func normalised(_ p: [Point]) -> [Point] {
            let c = Point.mean(p)
            let d = p.map { $0 - c }
            let n = d.reduce(0) { $0 + $1.x * $1.x + $1.y * $1.y }.squareRoot()
            return n > 0 ? d.map { $0 * (1 / n) } : d
        }
        let shapes = set.sidecars.map { normalised(Array($0.landmarks.prefix(68))) }
        var mean = [Point](repeating: Point(0, 0), count: 68)
        for s in shapes { for j in 0..<68 { mean[j] = mean[j] + s[j] } }
        mean = normalised(mean)
        // Procrustes: for unit shapes a, b the distance after the best rotation is
        // 2 − 2·|Σ a·b + i Σ a×b|; only the modulus matters for the order.
        func fit(_ s: [Point]) -> Double {
            var dot = 0.0, cross = 0.0
            for j in 0..<68 { dot += s[j].x * mean[j].x + s[j].y * mean[j].y; cross += s[j].x * mean[j].y - s[j].y * mean[j].x }
            return (dot * dot + cross * cross).squareRoot()
        }
        let order = shapes.indices.sorted { fit(shapes[$0]) > fit(shapes[$1]) }
        let best = order.prefix(nearest).max { set.sidecars[$0].sharpness < set.sidecars[$1].sharpness }!
        return DetailFace(image: try Image.load(path: set.paths[best]).ensuring(.bgr8),
                          landmarks: Array(set.sidecars[best].landmarks.prefix(68)))
    }

    /// The header value: "x0,y0,…,x67,y67;" and the crop as base64 JPEG (quality 95).
    func encoded() throws -> String {
        let points = landmarks.flatMap { [$0.x, $0.y] }.map { "\($0)" }.joined(separator: ",")
        return try image.encode(.jpeg, quality: 95).withBytes { points + ";" + Base64.encode($0) }
    }

    /// Parses a header value written by `encoded`.
    static func decode(_ value: String, key: String) throws -> DetailFace {
        func bad() -> FaceSwapError { FaceSwapError(.model, "the header's \(key) is not 68 points and a base64 JPEG") }
        guard let semi = value.firstIndex(of: ";") else { throw bad() }
        let numbers = value[..<semi].split(separator: ",").compactMap { Double($0) }.filter(\.isFinite)
        guard numbers.count == 136, let bytes = Base64.decode(value[value.index(after: semi)...]) else { throw bad() }
        let image = try bytes.withUnsafeBytes { try Image.decode($0) }.ensuring(.bgr8)
        return DetailFace(image: image, landmarks: (0..<68).map { Point(numbers[2 * $0], numbers[2 * $0 + 1]) })
    }
}
