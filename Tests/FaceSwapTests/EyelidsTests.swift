import XCTest
@testable import FaceSwap

/// The reenactor's drawn eyelids (Eyelids) on a synthetic photo whose ground truth is known by
/// construction: skin of one colour everywhere, the two eye openings (the polygons of the target's
/// eye points) filled with a dark iris colour. An eye as open as the photo's is not touched; a
/// shut one has its whole opening turned to skin (bar the lash line at its lower edge); a half
/// closed one has the upper part of its opening covered and the lower part still dark.
final class EyelidsTests: XCTestCase {
    static let s0 = MeanFace.points.map { $0 * 200 + Point(40, 40) }
    let s0 = EyelidsTests.s0
    let skin: (UInt8, UInt8, UInt8) = (120, 150, 200), iris: (UInt8, UInt8, UInt8) = (30, 25, 20)

    /// Even-odd point in polygon.
    func inside(_ p: Point, _ poly: [Point]) -> Bool {
        var c = false
        var j = poly.count - 1
        for i in poly.indices {
            let a = poly[i], b = poly[j]
            if (a.y > p.y) != (b.y > p.y), p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x { c.toggle() }
            j = i
        }
        return c
    }

    /// The photo as the warp would leave it for `points`: skin, with their eye openings dark.
    func photo(_ points: [Point]) throws -> Image {
        let img = try Image(width: 280, height: 300, format: .bgr8)
        let eyes = [Array(36...41), Array(42...47)].map { $0.map { points[$0] } }
        for y in 0..<img.height {
            let row = img.data.advanced(by: y * img.stride).assumingMemoryBound(to: UInt8.self)
            for x in 0..<img.width {
                let dark = eyes.contains { inside(Point(Double(x), Double(y)), $0) }
                let c = dark ? iris : skin
                row[3 * x] = c.0; row[3 * x + 1] = c.1; row[3 * x + 2] = c.2
            }
        }
        return img
    }

    func bytes(_ img: Image) -> [UInt8] {
        (0..<img.height).flatMap { y in
            Array(UnsafeBufferPointer(start: img.data.advanced(by: y * img.stride).assumingMemoryBound(to: UInt8.self), count: 3 * img.width))
        }
    }

    /// `s0` with each upper lid (37, 38, 43, 44) lowered so its gap is `q` of the photo's.
    func lidded(_ q: Double) -> [Point] {
        var t = s0
        for (u, l) in [(37, 41), (38, 40), (43, 47), (44, 46)] { t[u] = t[l] - (s0[l] - s0[u]) * q }
        return t
    }

    /// The colour at (x, y). Pixels sit at their integer coordinates, as Eyelids places them.
    func pixel(_ img: Image, _ x: Int, _ y: Int) -> (Int, Int, Int) {
        let row = img.data.advanced(by: y * img.stride).assumingMemoryBound(to: UInt8.self)
        return (Int(row[3 * x]), Int(row[3 * x + 1]), Int(row[3 * x + 2]))
    }

    func isSkin(_ c: (Int, Int, Int)) -> Bool {
        abs(c.0 - Int(skin.0)) <= 30 && abs(c.1 - Int(skin.1)) <= 30 && abs(c.2 - Int(skin.2)) <= 30
    }

    func testOpenEyesAreNotTouched() throws {
        for q in [1.0, 1.3] {
            let t = lidded(q)
            let closure = Eyelids.closure(target: t, photo: s0)
            XCTAssertEqual(closure, [0, 0], "q \(q)")
            let img = try photo(t), before = bytes(img)
            Eyelids.draw(into: img, target: t, closure: closure)
            XCTAssertEqual(bytes(img), before, "an eye open as the photo's or wider must stay as warped (q \(q))")
        }
    }

    func testShutEyesBecomeSkin() throws {
        let t = lidded(0.5)   // at or below `shut`: fully closed
        let closure = Eyelids.closure(target: t, photo: s0)
        XCTAssertEqual(closure, [1, 1])
        let img = try photo(t)
        Eyelids.draw(into: img, target: t, closure: closure)
        for eye in [Array(36...41), Array(42...47)] {
            let poly = eye.map { t[$0] }
            var dark = 0, total = 0
            for y in 0..<img.height {
                for x in 0..<img.width where inside(Point(Double(x), Double(y)), poly) {
                    total += 1
                    let c = pixel(img, x, y)
                    if c.0 + c.1 + c.2 < 3 * 60 { dark += 1 }   // still the iris's colour
                }
            }
            XCTAssertGreaterThan(total, 20, "the test's eye opening is too small")
            // The lids' arcs are parabolas through the points, the opening a polygon: a pixel of its
            // rim may differ.
            XCTAssertLessThanOrEqual(dark, total / 20, "eye \(eye[0]): \(dark) of \(total) opening pixels still dark")
        }
        // Away from the eyes (below the lower lids, beyond the corners) the skin is untouched.
        XCTAssertTrue(isSkin(pixel(img, Int(t[41].x), Int(t[41].y) + 6)))
        XCTAssertTrue(isSkin(pixel(img, Int(t[36].x) - 6, Int(t[36].y))))
    }

    func testHalfClosedEyeCoversItsUpperPart() throws {
        let q = 0.8
        let t = lidded(q)
        let closure = Eyelids.closure(target: t, photo: s0)
        // The share left showing: (q − shut) / (1 − shut) of the photo's opening, q of which the warp shows.
        let expected = 1 - (q - Eyelids.shut) / (1 - Eyelids.shut) / q
        XCTAssertEqual(closure[0], expected, accuracy: 1e-9)
        XCTAssertGreaterThan(closure[0], 0.2)
        XCTAssertLessThan(closure[0], 0.8)
        let img = try photo(t)
        Eyelids.draw(into: img, target: t, closure: closure)
        // The middle of the left eye: between the upper lid (37, 38) and the lower (40, 41).
        let up = Point.mean([t[37], t[38]]), low = Point.mean([t[40], t[41]])
        let x = Int(((up.x + low.x) / 2).rounded())
        let covered = up.y + (low.y - up.y) * closure[0] * 0.4, open = up.y + (low.y - up.y) * (closure[0] + 1) / 2
        XCTAssertTrue(isSkin(pixel(img, x, Int(covered.rounded()))), "the lid covers the opening's upper part")
        let c = pixel(img, x, Int(open.rounded()))
        XCTAssertLessThan(c.0 + c.1 + c.2, 3 * 60, "below the lid's edge the eye still shows")
    }
}
