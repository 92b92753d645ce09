@testable import FaceSwap
import XCTest

/// The stream's jitter against ground truth (issue 11, item 4): a still photo moved along an
/// exactly known path (JitterClip: pan at varying speed, zoom, roll; 1280×720, 150 frames), swapped
/// through the stream; each output frame warped back along the true path, where a perfectly placed,
/// steady face does not move; the optical flow inside the face between consecutive back-warped
/// frames is what the swap added.
final class StreamJitterTests: XCTestCase {
    /// The flow measurement itself: a textured image against itself moved by a known sub-pixel
    /// shift reads that shift away from the borders (where content enters and leaves): the mean
    /// vector within 3 %, the mean magnitude within 8 % (per-pixel noise only adds to a magnitude);
    /// against itself it reads ~0.
    func testFlowReadsAKnownShift() throws {
        try requireData()
        let photo = try Image.load(path: TestData.face("fr_biden2.jpg")).ensuring(.bgr8).resized(width: 400, height: 400)
        let shift = Point(1.5, -0.75)
        let a = try photo.warped(Affine(1, 0, -100, 0, 1, -100), width: 200, height: 200)
        let b = try photo.warped(Affine(1, 0, -100 + shift.x, 0, 1, -100 + shift.y), width: 200, height: 200)
        let inner = try Image(width: 200, height: 200, format: .gray8)
        for y in 30..<170 { for x in 30..<170 { inner.data.storeBytes(of: 255, toByteOffset: y * inner.stride + x, as: UInt8.self) } }
        let measured = try StreamJitter.flow(a, b, inner)
        let moved = measured.flow, length = shift.distance(to: Point(0, 0))
        let still = try StreamJitter.flow(a, a, inner).flow
        print("flow of a (1.5, -0.75) px shift: mean magnitude \(moved) px, mean vector \(measured.mean) (true \(length)); of no shift: \(still)")
        XCTAssertLessThan(measured.mean.distance(to: shift), 0.03 * length)
        XCTAssertEqual(moved, length, accuracy: 0.08 * length)
        XCTAssertLessThan(still, 0.01)
    }

    /// The library's defaults (detect every 5 frames, tracked, filtered) add at most 0.4× the flow
    /// of its raw mode (detect every frame, no smoothing), and the output face's landmarks trail
    /// the true path by at most one frame (the shift of the true path that fits them best, whole
    /// and to 0.05 frame). The face is found in every frame.
    func testDefaultStreamJittersAtMostFourTenthsOfRawWithinOneFrame() throws {
        try requireData()
        let detector = Shared.detector, landmarker = Shared.landmarker
        let clip = try JitterClip(still: try Image.load(path: TestData.face("fr_biden2.jpg")), detector: detector, landmarker: landmarker)
        let swapper = try Swapper(detector: detector, landmarker: landmarker)
        let source = try swapper.prepare(try Image.load(path: TestData.face("fr_obama1.jpg")))
        var raw = StreamOptions()
        raw.detectInterval = 1
        raw.minCutoff = 0
        let r = try StreamJitter.measure(clip, swapper: swapper, source: source, options: raw)
        let d = try StreamJitter.measure(clip, swapper: swapper, source: source, options: StreamOptions())
        print("jitter: raw \(r.flow) px/frame (landmark steps \(r.pointJitter)), default \(d.flow) px/frame " +
              "(landmark steps \(d.pointJitter)) = \(d.flow / r.flow)x raw; lag \(d.lag) frame (whole: \(d.lagFrames))")
        XCTAssertEqual(r.frames, clip.count)
        XCTAssertEqual(d.frames, clip.count)
        XCTAssertLessThanOrEqual(d.flow, 0.4 * r.flow)
        XCTAssertLessThanOrEqual(d.lagFrames, 1)
        XCTAssertLessThanOrEqual(abs(d.lag), 1)
        XCTAssertLessThan(d.pointJitter, r.pointJitter)
    }
}
