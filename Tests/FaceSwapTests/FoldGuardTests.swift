import XCTest
@testable import FaceSwap

/// The reenactor's fold guard (Reenactor.unfolded) on the canonical face with moves whose folds
/// are known by construction: a lower inner lip pushed above the upper one, and a jaw point
/// pushed across its neighbour. Ground truth is geometric: after the guard no triangle of the
/// guarded mesh has turned over and no lip or eyelid pair has crossed, and points on no
/// offending element keep exactly the move they were given.
final class FoldGuardTests: XCTestCase {
    // Static, not stored per test case: XCTest keeps its test-case objects alive to the end, which
    // the sanitizer run's leak check would report.
    static let s0 = MeanFace.points.map { $0 * 200 }
    let s0 = FoldGuardTests.s0
    let down = Point(0, 1)

    /// The triangles turned over and the pairs crossed in `p` (relative to the photo `s0`).
    func folds(_ p: [Point], _ triangles: [(Int, Int, Int, Double)]) -> (triangles: Int, pairs: Int) {
        let flipped = triangles.filter { a, b, c, sign in sign * Reenactor.area(p[a], p[b], p[c]) < -1e-6 }.count
        let pairs = Reenactor.innerLips + Reenactor.eyelids.flatMap { $0 }
        let crossed = pairs.filter { u, l in p[l].y - p[u].y < min(0, s0[l].y - s0[u].y) - 1e-6 }.count  // down = +y
        return (flipped, crossed)
    }

    func testFoldsAreUndoneAndOtherMovesKept() throws {
        let triangles = try Reenactor.foldTriangles(s0)
        XCTAssertGreaterThan(triangles.count, 80)
        // An exaggerated expression: every point moved by a smooth field (no fold by itself)...
        var moved = s0.map { $0 + Point(0.02 * $0.y, 0.03 * $0.x) }
        XCTAssertEqual(folds(moved, triangles).triangles, 0)
        XCTAssertEqual(folds(moved, triangles).pairs, 0)
        XCTAssertEqual(Reenactor.unfolded(moved, photo: s0, triangles: triangles, down: down), moved,
                       "nothing offends: the guard must change nothing")
        // ...plus two folds: the lower inner lip (65-67) 30 px above the upper (61-63), and jaw
        // point 8 pushed 40 px past point 9.
        for i in 65...67 { moved[i] = moved[i] + Point(0, -30) }
        moved[8] = moved[9] + Point(40, 0)
        let before = folds(moved, triangles)
        XCTAssertGreaterThan(before.pairs, 0, "the test's lip move must cross the lips")
        XCTAssertGreaterThan(before.triangles, 0, "the test's jaw move must turn a triangle over")
        let out = Reenactor.unfolded(moved, photo: s0, triangles: triangles, down: down)
        let after = folds(out, triangles)
        XCTAssertEqual(after.triangles, 0, "triangles still turned over")
        XCTAssertEqual(after.pairs, 0, "lip or eyelid pairs still crossed")
        // Points far from both folds (brows, eyes, nose top) keep their move exactly.
        for i in Array(17...47) { XCTAssertEqual(out[i], moved[i], "point \(i) changed") }
        // The offending points moved back towards the photo, not past it.
        for i in [8, 65, 66, 67] {
            XCTAssertLessThan(out[i].distance(to: s0[i]), moved[i].distance(to: s0[i]) + 1e-9, "point \(i)")
        }
    }

    /// After a turn (the reenactor's second guard): the far side's jaw outline pushed past the eye
    /// corner and the nose, with the inner points moved by the turn too. Yielding the outline,
    /// the guard shrinks only the outline's moves (from `base`, the points before the turn): the
    /// nose and eyes keep theirs, and nothing is turned over afterwards.
    func testYieldingPointsGiveWayFirst() throws {
        let triangles = try Reenactor.foldTriangles(s0)
        let base = s0
        // A turn's share: every point 12 px towards +x, and jaw points 13-16 130 px further,
        // across the right eye's outer corner (45, 46) and the nose (30, 35) at this scale.
        var moved = base.map { $0 + Point(12, 0) }
        for i in 13...16 { moved[i] = moved[i] + Point(-130, 0) }
        XCTAssertGreaterThan(folds(moved, triangles).triangles, 0, "the test's outline move must fold")
        let out = Reenactor.unfolded(moved, photo: s0, triangles: triangles, down: down, from: base,
                                     yielding: Reenactor.outline)
        XCTAssertEqual(folds(out, triangles).triangles, 0, "triangles still turned over")
        XCTAssertEqual(folds(out, triangles).pairs, 0, "pairs crossed")
        for i in 17..<68 { XCTAssertEqual(out[i], moved[i], "inner point \(i) changed") }
        for i in 13...16 {
            XCTAssertLessThan(out[i].distance(to: base[i]), moved[i].distance(to: base[i]), "outline point \(i) not held back")
        }
        // Without yielding, the same fold is undone by moving inner points back as well.
        let all = Reenactor.unfolded(moved, photo: s0, triangles: triangles, down: down, from: base)
        XCTAssertTrue((17..<68).contains { all[$0] != moved[$0] }, "the plain guard should move inner points")
    }
}
