import CFaceShim

/// The facial features drawn from the 68 landmarks (eyes, brows, lips, nostrils), their outlines
/// pushed outwards (lids, lashes, brow hair): where a per-face mask must treat the face as other
/// than skin. Shared by the occlusion mask and the skin-texture weight.
enum FaceFeatures {
    /// Feature outlines pushed outwards by these shares of the face size (lids, lashes; brow hair).
    static let eyeGrow = 0.04, browGrow = 0.035, lipGrow = 0.03, nostrilGrow = 0.03

    /// The polygon pushed outwards from its centroid by d (a geometric offset of a convex-ish outline).
    static func grown(_ pts: [Point], by d: Double) -> [Point] {
        let c = Point.mean(pts)
        return pts.map { q in
            let n = q.distance(to: c)
            return n > 0 ? q + (q - c) * (d / n) : q
        }
    }

    /// The unit vector from the chin (8) to the top of the nose (27): the face's "up".
    static func up(_ p: [Point]) -> Point {
        let n = p[27].distance(to: p[8])
        return n > 0 ? (p[27] - p[8]) * (1 / n) : Point(0, -1)
    }

    /// Fills a polygon given in image coordinates into `m`, whose pixel (0, 0) is image point
    /// `origin`, at `scale` mask pixels per image pixel. `shift`: `m` is the part of that mask
    /// from its pixel `shift` on (whole pixels, applied after the scaling: the same pixels as in
    /// the whole mask, wherever the polygon lies within `m`).
    static func fill(_ m: Image, _ pts: [Point], origin: Point, scale: Double, value: Int32 = 255,
                     shift: (x: Int, y: Int) = (0, 0)) throws {
        let q = pts.map { ($0 - origin) * scale }
        try shim(fsx_fill_poly(m.view, FaceMesh.flat(q), Int32(q.count), Double(shift.x), Double(shift.y), value, 0),
                 "feature mask")
    }

    /// The features by kind.
    struct Parts: OptionSet {
        let rawValue: Int
        static let brows = Parts(rawValue: 1), eyes = Parts(rawValue: 2), lips = Parts(rawValue: 4), nostrils = Parts(rawValue: 8)
        static let all: Parts = [.brows, .eyes, .lips, .nostrils]
    }

    /// The features (`parts` of them) of the 68 landmarks `p` (image coordinates) as polygons
    /// with their values: the brows as a band around the brow line with `brow`, the eyes, the lips
    /// and the nostrils with 255.
    static func polygons(_ p: [Point], size: Double, brow: Int32, parts: Parts = .all) -> [(points: [Point], value: Int32)] {
        let d = up(p) * (browGrow * size)
        var out: [(points: [Point], value: Int32)] = []
        if parts.contains(.brows) {
            for line in [Array(p[17...21]), Array(p[22...26])] {
                out.append((line.map { $0 + d } + line.reversed().map { $0 - d }, brow))
            }
        }
        let rest: [(Parts, ArraySlice<Point>, Double)] = [(.eyes, p[36...41], eyeGrow), (.eyes, p[42...47], eyeGrow),
                                                          (.lips, p[48...59], lipGrow), (.nostrils, p[30...35], nostrilGrow)]
        for (kind, part, grow) in rest where parts.contains(kind) {
            out.append((grown(Array(part), by: grow * size), 255))
        }
        return out
    }

    /// Draws the features (`parts` of them) of the 68 landmarks `p` (image coordinates) into `m`
    /// (see `fill`, `polygons`).
    static func draw(into m: Image, _ p: [Point], size: Double, origin: Point, scale: Double, brow: Int32,
                     parts: Parts = .all, shift: (x: Int, y: Int) = (0, 0)) throws {
        for poly in polygons(p, size: size, brow: brow, parts: parts) {
            try fill(m, poly.points, origin: origin, scale: scale, value: poly.value, shift: shift)
        }
    }
}
