import XCTest
@testable import FaceSwap

/// The reenactor's head pose (HeadPose.swift) on the mean 3-D face projected in poses known by
/// construction: the fit must give the pose back, and turning one projection must give the other.
final class HeadPoseTests: XCTestCase {
    /// MeanFace3D seen in a pose: scale · (R X).xy + t.
    static func project(yaw: Double, pitch: Double, roll: Double, scale: Double = 150,
                        t: Point = Point(320, 240)) -> [Point] {
        let r = Rotation3(yaw: yaw, pitch: pitch, roll: roll)
        return MeanFace3D.points.map { v in let q = r.apply(v); return Point(scale * q.0 + t.x, scale * q.1 + t.y) }
    }

    static let deg = Double.pi / 180

    func testFitGivesTheProjectedPoseBack() {
        for (y, p, r) in [(0.0, 0.0, 0.0), (20.0, -10.0, 5.0), (-25.0, 8.0, -12.0), (35.0, 0.0, 3.0)] {
            let pts = HeadPoseTests.project(yaw: y * Self.deg, pitch: p * Self.deg, roll: r * Self.deg)
            let pose = HeadPose.fit(pts)
            let a = pose.rotation.angles
            XCTAssertEqual(a.yaw / Self.deg, y, accuracy: 0.05, "yaw of (\(y), \(p), \(r))")
            XCTAssertEqual(a.pitch / Self.deg, p, accuracy: 0.05, "pitch of (\(y), \(p), \(r))")
            XCTAssertEqual(a.roll / Self.deg, r, accuracy: 0.05, "roll of (\(y), \(p), \(r))")
            XCTAssertEqual(pose.scale, 150, accuracy: 0.1)
            XCTAssertEqual(pose.t.x, 320, accuracy: 0.1)
            XCTAssertEqual(pose.t.y, 240, accuracy: 0.1)
        }
    }

    func testFitToleratesLandmarkNoise() {
        // ±1.5 px (about 1 % of the eye distance at this scale), a fixed pseudo-random pattern.
        var seed: UInt64 = 12345
        func noise() -> Double {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return (Double(seed >> 11) / Double(1 << 53) - 0.5) * 3
        }
        let pts = HeadPoseTests.project(yaw: 18 * Self.deg, pitch: -6 * Self.deg, roll: 4 * Self.deg)
            .map { $0 + Point(noise(), noise()) }
        let a = HeadPose.fit(pts).rotation.angles
        XCTAssertEqual(a.yaw / Self.deg, 18, accuracy: 2)
        XCTAssertEqual(a.pitch / Self.deg, -6, accuracy: 2)
        XCTAssertEqual(a.roll / Self.deg, 4, accuracy: 1)
    }

    /// A face at yaw 10° turned by the turn between its pose and yaw 30° lands on the yaw-30°
    /// projection: the near side wider, the far side narrower, exactly as the 3-D model says.
    func testTurningOneProjectionGivesTheOther() {
        let from = HeadPoseTests.project(yaw: 10 * Self.deg, pitch: 0, roll: 0)
        let to = HeadPoseTests.project(yaw: 30 * Self.deg, pitch: 0, roll: 0)
        let pFrom = HeadPose.fit(from), pTo = HeadPose.fit(to)
        let turn = HeadPose.turn(from: pFrom, to: pTo)
        XCTAssertEqual(turn.angles.yaw / Self.deg, 20, accuracy: 0.05)
        XCTAssertEqual(turn.angles.pitch / Self.deg, 0, accuracy: 0.05)
        let turned = pFrom.turned(from, by: turn)
        for i in 0..<68 { XCTAssertLessThan(turned[i].distance(to: to[i]), 0.05, "point \(i)") }
        // Half-widths along x, nose tip (30) to jaw points 2 and 14: one grows, the other shrinks.
        func halves(_ p: [Point]) -> (Double, Double) { (p[30].x - p[2].x, p[14].x - p[30].x) }
        let (l0, r0) = halves(from), (l1, r1) = halves(turned)
        XCTAssertTrue((l1 - l0) * (r1 - r0) < 0, "a turn widens one half and narrows the other")
        // A gain of 0 changes nothing; the inverse turn comes back.
        let none = pFrom.turned(from, by: HeadPose.turn(from: pFrom, to: pTo, gain: 0))
        for i in 0..<68 { XCTAssertLessThan(none[i].distance(to: from[i]), 1e-9) }
        let back = pTo.turned(to, by: turn.transposed)
        for i in 0..<68 { XCTAssertLessThan(back[i].distance(to: from[i]), 0.05, "point \(i) back") }
    }
}
