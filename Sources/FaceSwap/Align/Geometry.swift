/// Geometry as plain values.
public struct Point: Equatable, Sendable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }

    public static func + (a: Point, b: Point) -> Point { Point(a.x + b.x, a.y + b.y) }
    public static func - (a: Point, b: Point) -> Point { Point(a.x - b.x, a.y - b.y) }
    public static func * (a: Point, s: Double) -> Point { Point(a.x * s, a.y * s) }
    public func distance(to p: Point) -> Double { ((x - p.x) * (x - p.x) + (y - p.y) * (y - p.y)).squareRoot() }

    public static func mean<C: Collection>(_ points: C) -> Point where C.Element == Point {
        guard !points.isEmpty else { return Point(0, 0) }
        var s = Point(0, 0)
        for p in points { s = s + p }
        return s * (1.0 / Double(points.count))
    }
}

public struct Rect: Equatable, Sendable {
    public var x: Double, y: Double, width: Double, height: Double
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    public var center: Point { Point(x + width / 2, y + height / 2) }
    public var area: Double { width * height }
    public func contains(_ p: Point) -> Bool { p.x >= x && p.x < x + width && p.y >= y && p.y < y + height }

    /// The smallest rectangle holding every point (`points` not empty).
    public static func bounding<S: Sequence<Point>>(_ points: S) -> Rect {
        var x0 = Double.infinity, y0 = Double.infinity, x1 = -Double.infinity, y1 = -Double.infinity
        for p in points { x0 = min(x0, p.x); y0 = min(y0, p.y); x1 = max(x1, p.x); y1 = max(y1, p.y) }
        return Rect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }

    /// The square of side (1 + margin) × max(width, height) centred on this rectangle.
    public func grownSquare(margin: Double) -> Rect {
        let side = max(width, height) * (1 + margin)
        let c = center
        return Rect(x: c.x - side / 2, y: c.y - side / 2, width: side, height: side)
    }

    public func intersectionOverUnion(_ o: Rect) -> Double {
        let ix = max(0, min(x + width, o.x + o.width) - max(x, o.x))
        let iy = max(0, min(y + height, o.y + o.height) - max(y, o.y))
        let inter = ix * iy
        let union = area + o.area - inter
        return union > 0 ? inter / union : 0
    }
}

/// A 2×3 affine matrix: x' = m0·x + m1·y + m2, y' = m3·x + m4·y + m5.
public struct Affine: Equatable, Sendable {
    public var m: (Double, Double, Double, Double, Double, Double)
    public init(_ a: Double, _ b: Double, _ c: Double, _ d: Double, _ e: Double, _ f: Double) {
        m = (a, b, c, d, e, f)
    }
    public static let identity = Affine(1, 0, 0, 0, 1, 0)
    public static func == (l: Affine, r: Affine) -> Bool { l.array == r.array }

    public var array: [Double] { [m.0, m.1, m.2, m.3, m.4, m.5] }
    public init?(_ a: [Double]) {
        guard a.count == 6, a.allSatisfy({ $0.isFinite }) else { return nil }
        self.init(a[0], a[1], a[2], a[3], a[4], a[5])
    }

    public func apply(_ p: Point) -> Point {
        Point(m.0 * p.x + m.1 * p.y + m.2, m.3 * p.x + m.4 * p.y + m.5)
    }

    public var determinant: Double { m.0 * m.4 - m.1 * m.3 }
    /// The uniform scale of a similarity (sqrt of |det|).
    public var scale: Double { abs(determinant).squareRoot() }

    public func inverted() throws -> Affine {
        let det = determinant
        guard det.isFinite, abs(det) > 1e-12 else {
            throw FaceSwapError(.invalidArgument, "the transform is singular (determinant \(det)) and has no inverse")
        }
        let a = m.4 / det, b = -m.1 / det, d = -m.3 / det, e = m.0 / det
        return Affine(a, b, -(a * m.2 + b * m.5), d, e, -(d * m.2 + e * m.5))
    }

    /// self ∘ other: first other, then self.
    public func after(_ o: Affine) -> Affine {
        Affine(m.0 * o.m.0 + m.1 * o.m.3, m.0 * o.m.1 + m.1 * o.m.4, m.0 * o.m.2 + m.1 * o.m.5 + m.2,
               m.3 * o.m.0 + m.4 * o.m.3, m.3 * o.m.1 + m.4 * o.m.4, m.3 * o.m.2 + m.4 * o.m.5 + m.5)
    }

    /// The least-squares similarity (rotation, uniform scale, translation; no reflection) taking
    /// `src` to `dst`, optionally weighted per point — Umeyama (1991), which in 2-D has this
    /// closed form.
    public static func similarity(from src: [Point], to dst: [Point], weights: [Double]? = nil) throws -> Affine {
        guard src.count == dst.count, src.count >= 2, weights == nil || weights!.count == src.count else {
            throw FaceSwapError(.invalidArgument, "a similarity needs at least 2 point pairs (got \(src.count), \(dst.count))")
        }
        let w = weights ?? [Double](repeating: 1, count: src.count)
        let total = w.reduce(0, +)
        guard total > 0 else { throw FaceSwapError(.invalidArgument, "similarity weights sum to zero") }
        var ms = Point(0, 0), md = Point(0, 0)
        for i in src.indices { ms = ms + src[i] * w[i]; md = md + dst[i] * w[i] }
        ms = ms * (1 / total)
        md = md * (1 / total)
        var sxx = 0.0, a = 0.0, b = 0.0
        for i in src.indices {
            let u = src[i] - ms, v = dst[i] - md
            sxx += w[i] * (u.x * u.x + u.y * u.y)
            a += w[i] * (u.x * v.x + u.y * v.y)
            b += w[i] * (u.x * v.y - u.y * v.x)
        }
        guard sxx > 1e-12, sxx.isFinite else {
            throw FaceSwapError(.invalidArgument, "the source points coincide; no similarity transform exists")
        }
        a /= sxx
        b /= sxx
        return Affine(a, -b, md.x - (a * ms.x - b * ms.y), b, a, md.y - (b * ms.x + a * ms.y))
    }
}
