import CFaceShim

/// Integer rectangle (regions of interest).
public struct IntRect {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) { self.x = x; self.y = y; self.width = width; self.height = height }
    public var isEmpty: Bool { width <= 0 || height <= 0 }

    /// The bounding box of points grown by pad, clipped to w × h.
    static func around(_ pts: [Point], pad: Double, clip w: Int, _ h: Int) -> IntRect {
        let x0 = max(0, Int((pts.map(\.x).min()! - pad).rounded(.down)))
        let y0 = max(0, Int((pts.map(\.y).min()! - pad).rounded(.down)))
        let x1 = min(w, Int((pts.map(\.x).max()! + pad).rounded(.up)) + 1)
        let y1 = min(h, Int((pts.map(\.y).max()! + pad).rounded(.up)) + 1)
        return IntRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }
}

extension Image {
    /// A view of a rectangle of this image (no copy); valid while this image lives.
    public func region(_ r: IntRect) throws -> Image {
        try Image(data: data + r.y * stride + r.x * format.channels, width: r.width, height: r.height,
                  stride: stride, format: format, copy: false)
    }
}

/// Conversion by geometry: the source face warped onto the target's landmarks, globally (affine)
/// or piecewise-affine over a Delaunay triangulation.
enum GeometricConverter {
    /// Warps `source` into a BGR8 image covering `roi` of the target. `valid` gets 255 where the
    /// sample came from inside the source image.
    ///
    /// Only the columns of `spans` (widened by `margin`) are filled; a sample from outside the
    /// source zeroes `hard` and `alpha` there. The rest is zero, unless `scratch` asks for this
    /// thread's scratch buffer 0 (Image.scratch) with `zeroed` false: then the rest holds an
    /// earlier face's pixels, for callers that read only the filled columns.
    static func warp(source: Image, sourceMesh: FaceMesh, targetMesh: FaceMesh, roi: IntRect,
                     mode: ConvertMode, spans: [Int32], margin: Int, hard: Image, alpha: Image,
                     scratch: Bool = false, zeroed: Bool = true) throws -> Image {
        let out = scratch ? try Image.scratch(slot: 0, width: roi.width, height: roi.height, format: .bgr8, zeroed: zeroed)
                          : try Image(width: roi.width, height: roi.height, format: .bgr8)
        // Global map target -> source: least-squares affine over the 68 landmarks.
        let base = try Affine.leastSquares(from: Array(targetMesh.points.prefix(68)), to: Array(sourceMesh.points.prefix(68)))
        var tri: [Int32] = []
        if mode == .delaunay {
            tri = try delaunay(targetMesh.points)
        }
        let src = FaceMesh.flat(sourceMesh.points), dst = FaceMesh.flat(targetMesh.points)
        let m = base.array
        try shim(fsx_warp_rows(source.view, out.view, hard.view, alpha.view, spans, Int32(margin), Double(roi.x), Double(roi.y),
                               m, src, dst, tri, Int32(tri.count / 3)), "warp")
        return out
    }

    static func delaunay(_ pts: [Point]) throws -> [Int32] {
        var tri = [Int32](repeating: 0, count: 3 * 4 * pts.count)
        var count: Int32 = 0
        let xy = FaceMesh.flat(pts)
        try shim(tri.withUnsafeMutableBufferPointer {
            fsx_delaunay(xy, Int32(pts.count), 0, 0, $0.baseAddress!, Int32($0.count / 3), &count)
        }, "delaunay")
        return Array(tri.prefix(3 * min(Int(count), tri.count / 3)))
    }
}

extension Affine {
    /// The least-squares affine map taking src to dst (6 parameters, normal equations).
    public static func leastSquares(from src: [Point], to dst: [Point]) throws -> Affine {
        guard src.count == dst.count, src.count >= 3 else {
            throw FaceSwapError(.invalidArgument, "an affine fit needs at least 3 point pairs")
        }
        // Centre for conditioning.
        let ms = Point.mean(src), md = Point.mean(dst)
        var sxx = 0.0, sxy = 0.0, syy = 0.0, ux = 0.0, uy = 0.0, vx = 0.0, vy = 0.0
        for (p, q) in zip(src, dst) {
            let a = p - ms, b = q - md
            sxx += a.x * a.x; sxy += a.x * a.y; syy += a.y * a.y
            ux += a.x * b.x; uy += a.y * b.x; vx += a.x * b.y; vy += a.y * b.y
        }
        let det = sxx * syy - sxy * sxy
        guard abs(det) > 1e-9 else { throw FaceSwapError(.invalidArgument, "the landmarks are collinear; no affine fit") }
        let a0 = (ux * syy - uy * sxy) / det, a1 = (uy * sxx - ux * sxy) / det
        let b0 = (vx * syy - vy * sxy) / det, b1 = (vy * sxx - vx * sxy) / det
        return Affine(a0, a1, md.x - a0 * ms.x - a1 * ms.y, b0, b1, md.y - b0 * ms.x - b1 * ms.y)
    }
}
