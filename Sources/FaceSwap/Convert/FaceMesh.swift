/// The 68 landmarks extended for warping and masking: forehead points above the brows and a ring
/// of points outside the face, placed by the same rule on source and target so they correspond.
struct FaceMesh {
    /// 68 landmarks, then 10 forehead points (above 17…26), then the outer ring.
    let points: [Point]
    /// Indices of the mask outline: jaw 0…16, then the (raised) brows from 26 back to 17.
    let outline: [Int]
    static let jaw = Array(0...16)
    static let innerMouth = Array(60...67)
    static let foreheadStart = 68
    static let ringStart = 78

    init(_ landmarks: [Point], forehead: Double) {
        precondition(landmarks.count == 68)
        let chin = landmarks[8]
        let brows = Point.mean(landmarks[17...26])
        let up = brows - chin
        let raise = up * forehead
        var pts = landmarks
        for i in 17...26 { pts.append(landmarks[i] + raise) }
        // Ring: outline points pushed 30 % further out from the face centre, for a continuous
        // warp across the feathered edge.
        let outline = FaceMesh.jaw + Array((FaceMesh.foreheadStart..<FaceMesh.ringStart).reversed())
        let centre = Point.mean(outline.map { pts[$0] })
        for i in stride(from: 0, to: outline.count, by: 2) {
            let p = pts[outline[i]]
            pts.append(centre + (p - centre) * 1.3)
        }
        points = pts
        self.outline = outline
    }

    var outlinePoints: [Point] { outline.map { points[$0] } }

    /// sqrt of the outline polygon's area: the face size masks and feathers scale with.
    var faceSize: Double {
        let p = outlinePoints
        var a = 0.0
        for i in p.indices {
            let q = p[(i + 1) % p.count]
            a += p[i].x * q.y - q.x * p[i].y
        }
        return (abs(a) / 2).squareRoot()
    }

    static func flat(_ pts: [Point]) -> [Float] { pts.flatMap { [Float($0.x), Float($0.y)] } }
}
