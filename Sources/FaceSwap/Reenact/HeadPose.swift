#if canImport(Glibc)
import Glibc
#endif

/// A mean 3-D face for the 68 points: MeanFace's x, y (dlib's mean shape, frontal) with a depth
/// per point, so a face's points can be turned (yaw) as a head turns, not sheared.
///
/// Source of the depths: written down here by hand as typical adult values, in centimetres
/// behind the nose tip (pronasale), from the proportions of the soft-tissue profile as the usual
/// anthropometric tables give them (nose tip ~2 cm ahead of the nasion and the alar base, the
/// inner eye corners ~3 cm and the outer ones ~4 cm behind it, lips ~2 cm, mouth corners ~3.5 cm,
/// chin ~3 cm, the jaw outline sweeping back to ~10 cm at the ear-level contour points 0 and 16).
/// They are not copied from any data set. The scale to MeanFace's units is fixed by one
/// measurement: the outer eye corners (36, 45) about 9 cm apart. Checked against real photos by
/// the test (Tests/python/test_reenact_turn.py) only through what it does: a turned driver's yaw
/// read back from the output by an independent solvePnP.
enum MeanFace3D {
    /// Depth behind the nose tip, cm, per point (symmetric left/right).
    static let depthCm: [Double] = [
        9.8, 9.2, 8.5, 7.6, 6.5, 5.2, 4.0, 3.2, 2.8, 3.2, 4.0, 5.2, 6.5, 7.6, 8.5, 9.2, 9.8,  // jaw 0–16
        4.6, 3.4, 2.8, 2.5, 2.4, 2.4, 2.5, 2.8, 3.4, 4.6,                                    // brows 17–26
        2.3, 1.6, 0.9, 0.0, 2.2, 1.6, 1.4, 1.6, 2.2,                                         // nose 27–35
        4.2, 3.3, 3.1, 3.0, 3.2, 3.4, 3.0, 3.1, 3.3, 4.2, 3.4, 3.2,                          // eyes 36–47
        3.6, 2.6, 2.0, 1.8, 2.0, 2.6, 3.6, 2.9, 2.4, 2.3, 2.4, 2.9,                          // outer lips 48–59
        3.4, 2.5, 2.3, 2.5, 3.4, 2.6, 2.4, 2.6,                                              // inner lips 60–67
    ]

    /// The 68 points in 3-D, MeanFace units, centred on their mean: x right, y down, z away from
    /// the camera (a frontal face looks along −z).
    static let points: [(Double, Double, Double)] = {
        let unitsPerCm = (MeanFace.points[45].x - MeanFace.points[36].x) / 9.0
        let c = Point.mean(MeanFace.points)
        let zs = depthCm.map { $0 * unitsPerCm }
        let zc = zs.reduce(0, +) / Double(zs.count)
        return (0..<68).map { (MeanFace.points[$0].x - c.x, MeanFace.points[$0].y - c.y, zs[$0] - zc) }
    }()

    /// The points a pose is fitted to: the rigid ones (the jaw above the mouth corners, the nose,
    /// the eye corners); the brows, lids, lips and lower jaw move with the expression.
    static let rigid = Array(0...4) + Array(12...16) + Array(27...35) + [36, 39, 42, 45]
}

/// A 3×3 rotation, row-major.
struct Rotation3 {
    var m: [Double]

    /// Rz(roll) · Ry(yaw) · Rx(pitch), radians: yaw turns about the image's vertical, pitch about
    /// its horizontal, roll in the image plane.
    init(yaw: Double, pitch: Double, roll: Double) {
        let (cy, sy, cp, sp, cr, sr) = (cos(yaw), sin(yaw), cos(pitch), sin(pitch), cos(roll), sin(roll))
        let rz = [cr, -sr, 0, sr, cr, 0, 0, 0, 1.0]
        let ry = [cy, 0, sy, 0, 1, 0, -sy, 0, cy]
        let rx = [1.0, 0, 0, 0, cp, -sp, 0, sp, cp]
        m = Rotation3.mul(rz, Rotation3.mul(ry, rx))
    }
    init(_ m: [Double]) { self.m = m }

    static func mul(_ a: [Double], _ b: [Double]) -> [Double] {
        (0..<9).map { k in let i = k / 3, j = k % 3; return a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j] }
    }
    func after(_ b: Rotation3) -> Rotation3 { Rotation3(Rotation3.mul(m, b.m)) }
    var transposed: Rotation3 { Rotation3([m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]]) }
    func apply(_ v: (Double, Double, Double)) -> (Double, Double, Double) {
        (m[0] * v.0 + m[1] * v.1 + m[2] * v.2, m[3] * v.0 + m[4] * v.1 + m[5] * v.2, m[6] * v.0 + m[7] * v.1 + m[8] * v.2)
    }
    /// The angles of `init(yaw:pitch:roll:)` back (|yaw| < 90°).
    var angles: (yaw: Double, pitch: Double, roll: Double) {
        let yaw = asin(min(max(-m[6], -1), 1))
        return (yaw, atan2(m[7], m[8]), atan2(m[3], m[0]))
    }
}

/// A face's head pose under weak perspective: image point = scale · (rotation · model point).xy + t,
/// fitted to the mean 3-D face (MeanFace3D) by Gauss-Newton over yaw, pitch, roll, scale, t.
struct HeadPose {
    var rotation: Rotation3
    var scale: Double
    var t: Point

    /// The pose whose projection of MeanFace3D's rigid points best fits (least squares) `p`'s.
    static func fit(_ p: [Point]) -> HeadPose {
        let idx = MeanFace3D.rigid
        let model = idx.map { MeanFace3D.points[$0] }
        let obs = idx.map { p[$0] }
        // Start: frontal, roll from the eye corners, scale and position from the spread.
        let eyes = p[45] - p[36]
        let c = Point.mean(obs)
        let spread = obs.map { $0.distance(to: c) }.reduce(0, +)
        let mspread = model.map { ($0.0 * $0.0 + $0.1 * $0.1).squareRoot() }.reduce(0, +)
        var x = [0, 0, atan2(eyes.y, eyes.x), log(spread / max(mspread, 1e-9)), c.x, c.y]
        func residuals(_ x: [Double]) -> [Double] {
            let r = Rotation3(yaw: x[0], pitch: x[1], roll: x[2]), s = exp(x[3])
            var out: [Double] = []
            out.reserveCapacity(2 * model.count)
            for (k, v) in model.enumerated() {
                let q = r.apply(v)
                out.append(s * q.0 + x[4] - obs[k].x)
                out.append(s * q.1 + x[5] - obs[k].y)
            }
            return out
        }
        // Gauss-Newton (Levenberg-damped), forward-difference Jacobian: 6 unknowns, 50 residuals.
        var lambda = 1e-3
        var res = residuals(x), cost = res.reduce(0) { $0 + $1 * $1 }
        for _ in 0..<30 {
            let steps = [1e-5, 1e-5, 1e-5, 1e-5, 1e-3, 1e-3]
            let cols = (0..<6).map { j -> [Double] in
                var y = x; y[j] += steps[j]
                return zip(residuals(y), res).map { ($0 - $1) / steps[j] }
            }
            var a = [Double](repeating: 0, count: 36), b = [Double](repeating: 0, count: 6)
            for i in 0..<6 {
                for j in 0..<6 { a[6 * i + j] = zip(cols[i], cols[j]).reduce(0) { $0 + $1.0 * $1.1 } }
                a[7 * i] *= 1 + lambda
                b[i] = -zip(cols[i], res).reduce(0) { $0 + $1.0 * $1.1 }
            }
            guard let d = solve6(a, b) else { break }
            let y = zip(x, d).map { $0 + $1 }
            let r2 = residuals(y), c2 = r2.reduce(0) { $0 + $1 * $1 }
            if c2 < cost {
                let done = cost - c2 < 1e-10 * max(cost, 1e-12)
                x = y; res = r2; cost = c2; lambda = max(lambda / 10, 1e-9)
                if done { break }
            } else {
                lambda *= 10
                if lambda > 1e6 { break }
            }
        }
        // Keep the fit to moderate turns: beyond ±60° a 68-point fit is not a turn to reproduce.
        let lim = Double.pi / 3
        return HeadPose(rotation: Rotation3(yaw: min(max(x[0], -lim), lim), pitch: min(max(x[1], -lim), lim), roll: x[2]),
                        scale: exp(x[3]), t: Point(x[4], x[5]))
    }

    /// Gaussian elimination with partial pivoting of a 6×6 system (nil: singular).
    private static func solve6(_ a0: [Double], _ b0: [Double]) -> [Double]? {
        var a = a0, b = b0
        for col in 0..<6 {
            let piv = (col..<6).max { abs(a[6 * $0 + col]) < abs(a[6 * $1 + col]) }!
            guard abs(a[6 * piv + col]) > 1e-12 else { return nil }
            if piv != col {
                for j in 0..<6 { a.swapAt(6 * piv + j, 6 * col + j) }
                b.swapAt(piv, col)
            }
            for r in (col + 1)..<6 {
                let f = a[6 * r + col] / a[6 * col + col]
                for j in col..<6 { a[6 * r + j] -= f * a[6 * col + j] }
                b[r] -= f * b[col]
            }
        }
        var x = [Double](repeating: 0, count: 6)
        for r in stride(from: 5, through: 0, by: -1) {
            var s = b[r]
            for j in (r + 1)..<6 { s -= a[6 * r + j] * x[j] }
            x[r] = s / a[6 * r + r]
        }
        return x
    }

    /// The yaw of the rotation from `from` to `to`, in the camera's frame, times `gain`, as a
    /// rotation. The roll (in the image plane) is left out: the 2-D head similarity carries it.
    /// So is the pitch, which stays with the 2-D steps as before: turned in 3-D as well, it moved
    /// the vertical expression measures (test_reenact_expression.py, vr_face4 -> fr_rose_leslie1:
    /// mouth amplitude 0.90 -> 0.89, eye r 0.84 -> 0.78; yaw only: 0.91, 0.82).
    static func turn(from: HeadPose, to: HeadPose, gain: Double = 1) -> Rotation3 {
        let a = to.rotation.after(from.rotation.transposed).angles
        return Rotation3(yaw: a.yaw * gain, pitch: 0, roll: 0)
    }

    /// `points` (a face in this pose) turned by `turn` (camera frame) about the face's centre:
    /// each point lifted to 3-D with the mean face's depth in this pose, rotated, projected back.
    /// The near side widens, the far side narrows.
    func turned(_ points: [Point], by turn: Rotation3) -> [Point] {
        (0..<points.count).map { i in
            let depth = rotation.apply(MeanFace3D.points[i]).2
            let v = ((points[i].x - t.x) / scale, (points[i].y - t.y) / scale, depth)
            let q = turn.apply(v)
            return Point(scale * q.0 + t.x, scale * q.1 + t.y)
        }
    }
}
