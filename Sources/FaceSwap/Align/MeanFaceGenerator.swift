/// Derives the canonical face from a 68-point model's mean shape (dlib's initial_shape):
/// uniform scale and centring so that the inner points (17–67) fit the unit square.
public enum MeanFaceGenerator {
    public static func normalised(_ shape: [Point]) throws -> [Point] {
        guard shape.count == 68 else { throw FaceSwapError(.model, "mean shape has \(shape.count) points, not 68") }
        let inner = Rect.bounding(shape[17...])
        let side = max(inner.width, inner.height), c = inner.center
        return shape.map { Point(0.5 + ($0.x - c.x) / side, 0.5 + ($0.y - c.y) / side) }
    }

    /// Swift source for MeanFace.swift's table.
    public static func source(_ points: [Point]) -> String {
        func f(_ v: Double) -> String {
            let r = (v * 1_000_000).rounded() / 1_000_000
            return "\(r)"
        }
        return points.map { "        Point(\(f($0.x)), \(f($0.y)))," }.joined(separator: "\n")
    }
}
