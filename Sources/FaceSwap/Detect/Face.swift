/// One face: detector boxes, score and (once fitted) landmarks, in image pixels.
public struct Face: Equatable, Sendable {
    /// Square, grown outward by the detector's margin so that the whole face is inside.
    public var box: Rect
    /// The detector's own rectangle (what the landmark model was trained on).
    public var rect: Rect
    public var score: Double
    /// 68 (iBUG order) or 5 points; empty until fitted.
    public var landmarks: [Point]

    public init(box: Rect, rect: Rect, score: Double, landmarks: [Point] = []) {
        self.box = box; self.rect = rect; self.score = score; self.landmarks = landmarks
    }

    /// The same face with its box, rectangle and landmarks moved by `offset` (into a region's
    /// coordinates: minus the region's origin; back: plus it).
    public func moved(by offset: Point) -> Face {
        var f = self
        f.landmarks = landmarks.map { $0 + offset }
        f.rect.x += offset.x; f.rect.y += offset.y
        f.box.x += offset.x; f.box.y += offset.y
        return f
    }

    /// Eye centres (68-point: means of 36–41 and 42–47; 5-point: eye corner pairs).
    public var eyeCenters: (left: Point, right: Point)? {
        if landmarks.count == 68 {
            return (Point.mean(landmarks[36...41]), Point.mean(landmarks[42...47]))
        }
        if landmarks.count == 5 {  // dlib 5-point: 0,1 one eye's corners; 2,3 the other's; 4 nose
            return (Point.mean([landmarks[2], landmarks[3]]), Point.mean([landmarks[0], landmarks[1]]))
        }
        return nil
    }

    /// Throws unless the face has `count` landmarks, all finite and within a sane range.
    public func requireLandmarks(_ count: Int, for what: String) throws {
        guard landmarks.count == count else {
            throw FaceSwapError(.invalidArgument, "\(what) needs a face with \(count) landmarks (this one has \(landmarks.count))")
        }
        for p in landmarks where !(p.x.isFinite && p.y.isFinite && abs(p.x) < 1e7 && abs(p.y) < 1e7) {
            throw FaceSwapError(.invalidArgument, "\(what): the face's landmarks are not finite numbers in range")
        }
    }

    public var interocularDistance: Double? {
        guard let e = eyeCenters else { return nil }
        return e.left.distance(to: e.right)
    }
}
