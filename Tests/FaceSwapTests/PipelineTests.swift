@testable import FaceSwap
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The overlapped video pipeline and the faces of one image swapped at the same time, against
/// ground truth: the input's own frames and timestamps (read frame by frame by the decoder alone),
/// frame indices written into the pixels, and the faces swapped one after another.
final class PipelineTests: XCTestCase {
    static let clip = TestData.root + "/videos/vr_face5.mp4"

    /// A fresh empty folder for outputs.
    func folder() throws -> String {
        var template = Array("/tmp/faceswap-pipeline.XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw FaceSwapError(.io, "mkdtemp") }
        let dir = String(cString: p)
        addTeardownBlock { _ = system("rm -rf '\(dir)'") }
        return dir
    }

    /// Writes `index` as 8 black/white 16×16 blocks along the top-left of a BGR8 frame.
    static func stamp(_ img: Image, _ index: Int) {
        for bit in 0..<8 {
            let v: UInt8 = (index >> bit) & 1 == 1 ? 255 : 0
            for y in 0..<16 {
                let row = img.data + y * img.stride
                memset(row + bit * 16 * 3, Int32(v), 16 * 3)
            }
        }
    }

    /// The index stamped into a (decoded, lossy) frame: each block's centre pixel.
    static func index(of img: Image) -> Int {
        var n = 0
        for bit in 0..<8 where img.byte(x: bit * 16 + 8, y: 8, channel: 1) > 127 { n |= 1 << bit }
        return n
    }

    /// The input's frames as the decoder alone gives them: (pts, seconds).
    static func truth() throws -> [(Int64, Double)] {
        let r = try VideoReader(path: clip)
        var out: [(Int64, Double)] = []
        while let f = try r.next() { out.append((f.pts, f.seconds)) }
        return out
    }

    /// Every frame, in order, with its timestamp, through 1 and 2 and every core's threads.
    func testFramesKeepOrderAndTimestamps() throws {
        try requireData()
        let truth = try PipelineTests.truth()
        XCTAssertEqual(truth.count, 122)
        for threads in [1, 2, 0] {
            let dir = try folder()
            let reader = try VideoReader(path: PipelineTests.clip, threads: decoderThreads(threads))
            var enc = VideoEncoding()
            enc.threads = threads
            let writer = try VideoWriter(path: dir + "/out.mp4", reader: reader, encoding: enc)
            var seen = 0
            var calls: [Int] = []
            let caller = pthread_self()
            let (frames, marked) = try VideoPipeline.run(reader: reader, writer: writer, threads: threads, progress: { done, _ in
                XCTAssertTrue(pthread_equal(pthread_self(), caller) != 0, "progress on the caller's thread")
                calls.append(done)
                return true
            }) { frame in
                XCTAssertTrue(pthread_equal(pthread_self(), caller) != 0, "the transform on the caller's thread")
                PipelineTests.stamp(frame.image, seen)
                seen += 1
                return (frame.image, seen % 2 == 0)
            }
            XCTAssertEqual(frames, truth.count, "threads \(threads)")
            XCTAssertEqual(marked, truth.count / 2)
            XCTAssertEqual(calls, Array(1...truth.count), "progress once per frame, in order")
            let out = try VideoReader(path: dir + "/out.mp4")
            var k = 0
            while let f = try out.next() {
                guard k < truth.count else { XCTFail("more frames than the input"); break }
                XCTAssertEqual(PipelineTests.index(of: f.image), k, "frame order, threads \(threads)")
                XCTAssertEqual(f.seconds, truth[k].1, accuracy: 1e-6, "frame \(k)'s time, threads \(threads)")
                k += 1
            }
            XCTAssertEqual(k, truth.count, "frames written, threads \(threads)")
            XCTAssertTrue(out.info.hasAudio)
        }
    }

    /// Cancelling, or an error in the transform, stops every stage: the error of that frame is
    /// thrown as it is, progress is not called again, and no file (final or temporary) is left.
    func testCancelAndErrorsLeaveNothing() throws {
        try requireData()
        struct Boom: Error, Equatable { let frame: Int }
        for threads in [1, 2] {
            for failAt in [0, 9] {
                let dir = try folder()
                let reader = try VideoReader(path: PipelineTests.clip, threads: decoderThreads(threads))
                let writer = try VideoWriter(path: dir + "/out.mp4", reader: reader)
                var k = 0
                XCTAssertThrowsError(try VideoPipeline.run(reader: reader, writer: writer, threads: threads, progress: nil) { f in
                    defer { k += 1 }
                    if k == failAt { throw Boom(frame: k) }
                    return (f.image, false)
                }) { XCTAssertEqual($0 as? Boom, Boom(frame: failAt), "threads \(threads)") }
                XCTAssertEqual(k, failAt + 1, "no frame transformed after the failing one")
                XCTAssertEqual(try Files.list(dir), [], "left in the folder, threads \(threads)")
            }
            let dir = try folder()
            let reader = try VideoReader(path: PipelineTests.clip, threads: decoderThreads(threads))
            let writer = try VideoWriter(path: dir + "/out.mp4", reader: reader)
            var last = 0
            XCTAssertThrowsError(try VideoPipeline.run(reader: reader, writer: writer, threads: threads,
                                                       progress: { done, _ in last = done; return done < 10 }) { ($0.image, false) }) {
                let e = $0 as? FaceSwapError
                XCTAssertEqual(e?.status, .cancelled)
                XCTAssertEqual(e?.message, "cancelled after 10 frames; no output written")
            }
            XCTAssertEqual(last, 10, "progress not called after cancelling")
            XCTAssertEqual(try Files.list(dir), [], "left after cancelling, threads \(threads)")
        }
    }

    /// The faces of one image swapped at the same time give the bytes of swapping them in order.
    func testFacesInParallelEqualFacesInOrder() throws {
        try requireData()
        let swapper = try Swapper(detector: Shared.detector, landmarker: Shared.landmarker)
        let source = try swapper.prepare(try Image.load(path: TestData.face("fr_obama1.jpg")))
        for name in ["fr_two_people_obama_biden.jpg", "fr_obama_and_biden_waving.jpg", "fr_kit_harington_with_rose_leslie.jpg",
                     "dlib_bald_guys_collage.jpg"] {
            let target = try Image.load(path: TestData.face(name)).ensuring(.bgr8)
            let faces = try swapper.faces(in: target)
            XCTAssertGreaterThan(faces.count, 1, name)
            let inOrder = try target.copy(), together = try target.copy()
            let maskA = try Image(width: target.width, height: target.height, format: .gray8)
            let maskB = try Image(width: target.width, height: target.height, format: .gray8)
            for f in faces { try swapper.swapFace(source, f, into: inOrder, mask: maskA) }
            try swapper.swapFaces(source, faces, into: together, mask: maskB, threads: 4)
            XCTAssertEqual(memcmp(inOrder.data, together.data, target.stride * target.height), 0, name)
            XCTAssertEqual(memcmp(maskA.data, maskB.data, maskA.stride * maskA.height), 0, name + " mask")
            let chains = Swapper.independentChains(faces.map { swapper.reach(of: $0, learned: false) })
            XCTAssertEqual(chains.flatMap { $0 }.sorted(), Array(faces.indices), "every face once")
        }
    }

    /// Regions that touch share a chain, in order; apart, they do not.
    func testIndependentChains() {
        let r = { (x: Double) in Rect(x: x, y: 0, width: 10, height: 10) }
        XCTAssertEqual(Swapper.independentChains([r(0), r(20), r(5), r(40), r(45)]), [[0, 2], [1], [3, 4]])
        XCTAssertEqual(Swapper.independentChains([r(0), r(10)]), [[0], [1]], "edges that meet do not overlap")
        XCTAssertEqual(Swapper.independentChains([]), [])
    }
}
