import FaceSwap
import XCTest

final class GeometryTests: XCTestCase {
    /// Umeyama recovers a known similarity exactly from noiseless points, and in least squares
    /// with noise stays close to it.
    func testSimilarityRecoversKnownTransform() throws {
        let angle = 0.37, scale = 1.8, tx = 40.0, ty = -12.5
        let truth = Affine(scale * cos(angle), -scale * sin(angle), tx, scale * sin(angle), scale * cos(angle), ty)
        var rng = SystemRandomNumberGenerator()
        let src = (0..<51).map { _ in Point(Double.random(in: 0...300, using: &rng), Double.random(in: 0...300, using: &rng)) }
        let dst = src.map(truth.apply)
        let fit = try Affine.similarity(from: src, to: dst)
        for (a, b) in zip(fit.array, truth.array) { XCTAssertEqual(a, b, accuracy: 1e-9) }
        let noisy = dst.map { Point($0.x + Double.random(in: -0.5...0.5), $0.y + Double.random(in: -0.5...0.5)) }
        let fit2 = try Affine.similarity(from: src, to: noisy)
        XCTAssertEqual(fit2.scale, scale, accuracy: 0.01)
    }

    func testInverseComposesToIdentity() throws {
        let t = Affine(1.2, -0.3, 5, 0.3, 1.2, -7)
        let id = try t.inverted().after(t)
        for (a, b) in zip(id.array, Affine.identity.array) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        XCTAssertThrowsError(try Affine(1, 2, 0, 2, 4, 0).inverted())
    }

    func testDegenerateInputsAreErrors() {
        XCTAssertThrowsError(try Affine.similarity(from: [Point(1, 1), Point(1, 1)], to: [Point(0, 0), Point(1, 1)]))
        XCTAssertThrowsError(try Affine.similarity(from: [Point(1, 1)], to: [Point(0, 0)]))
    }

    func testGrownSquareContainsRect() {
        let r = Rect(x: 10, y: 20, width: 80, height: 60)
        let s = r.grownSquare(margin: 0.5)
        XCTAssertEqual(s.width, 120)
        XCTAssertEqual(s.width, s.height)
        XCTAssertEqual(s.center, r.center)
    }

    /// The compiled-in canonical face is the model file's own mean shape, normalised.
    func testTemplateIsTheModelsMeanShape() throws {
        let model = try ModelResolver.find(ModelResolver.landmarks68)
        let expected = try MeanFaceGenerator.normalised(try Landmarker.meanShape(modelPath: model))
        let template = try Aligner.template(size: 1000, padding: 0).map { $0 * 0.001 }
        XCTAssertEqual(template.count, 68)
        for (a, b) in zip(template, expected) {
            XCTAssertEqual(a.x, b.x, accuracy: 2e-6)
            XCTAssertEqual(a.y, b.y, accuracy: 2e-6)
        }
        // Inner points fit the unit square and touch it on the longer axis.
        let inner = template[17...]
        let spanX = inner.map(\.x).max()! - inner.map(\.x).min()!, spanY = inner.map(\.y).max()! - inner.map(\.y).min()!
        XCTAssertEqual(max(spanX, spanY), 1, accuracy: 1e-5)
    }
}
