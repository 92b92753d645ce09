@testable import FaceSwap
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The face tracker on synthetic video whose motion is known exactly: every frame is a real photo
/// warped onto a fixed canvas with a known (sub-pixel) translation, so the ground truth for the
/// landmarks of frame k is those of frame 0 moved by the frame's offset.
final class VideoTests: XCTestCase {
    static let width = 480, height = 400

    /// `photo` scaled to fit the canvas, centred, then moved by `offset` (canvas pixels).
    static func frame(_ photo: Image, offset: Point = Point(0, 0)) throws -> Image {
        let s = min(Double(width) / Double(photo.width), Double(height) / Double(photo.height))
        let tx = (Double(width) - s * Double(photo.width)) / 2, ty = (Double(height) - s * Double(photo.height)) / 2
        return try photo.warped(Affine(s, 0, tx + offset.x, 0, s, ty + offset.y), width: width, height: height)
    }

    static func photo(_ name: String) throws -> Image { try Image.load(path: TestData.face(name)).ensuring(.bgr8) }

    /// A w × h frame of `name` scaled so that its detected face is `side` pixels wide, centred at `c`.
    static func placed(_ name: String, side: Double, at c: Point, width w: Int, height h: Int) throws -> Image {
        let photo = try VideoTests.photo(name)
        let r = try XCTUnwrap(try Shared.detector.detect(photo).first).rect
        let s = side / r.width
        return try photo.warped(Affine(s, 0, c.x - s * r.center.x, 0, s, c.y - s * r.center.y), width: w, height: h)
    }

    /// Distance between the eye centres (means of points 36–41 and 42–47).
    static func interocular(_ p: [Point]) -> Double { Point.mean(p[36...41]).distance(to: Point.mean(p[42...47])) }

    /// A steady drift of (0.6, −0.35) px per frame, plus a sub-pixel wobble.
    static func offset(_ k: Int) -> Point {
        Point(0.6 * Double(k) + 0.3 * sin(Double(k) * 0.9), -0.35 * Double(k) + 0.25 * cos(Double(k) * 1.3) - 0.25)
    }

    /// Tracks `count` moving frames; returns the tracker and the landmarks it gave per frame.
    func trackMotion(_ options: StreamOptions, count: Int) throws -> (FaceTracker, [[Point]], [Double]) {
        let photo = try VideoTests.photo("fb_carl_sagan2.jpg")
        let tracker = try FaceTracker(detector: Shared.detector, landmarker: Shared.landmarker, options: options)
        var tracks: [[Point]] = [], ids: [Double] = []
        for k in 0..<count {
            let faces = try tracker.track(try VideoTests.frame(photo, offset: VideoTests.offset(k)))
            XCTAssertEqual(faces.count, 1, "frame \(k)")
            guard let face = faces.first else { continue }
            XCTAssertEqual(face.landmarks.count, 68)
            tracks.append(face.landmarks)
            ids.append(face.score)
        }
        return (tracker, tracks, ids)
    }

    /// Detection every frame (`detectInterval` 1) scans each frame at the detector's own scale,
    /// as a photo is scanned: the reduced-scale periodic scans (faces of at least 0.7× the smallest
    /// track) are for longer intervals only, where they save time between fits; at interval 1 a
    /// coarser scan only moved the boxes the fits start from. Checked on a real clip: at interval 1
    /// every frame is scanned, never at a reduced scale, and finds what the detector finds alone;
    /// at the default interval the periodic scans do use the reduced scale.
    func testDetectEveryFrameScansAtTheDetectorsOwnScale() throws {
        try requireData()
        for interval in [1, 5] {
            var options = StreamOptions()
            options.detectInterval = interval
            options.minCutoff = 0
            let tracker = try FaceTracker(detector: Shared.detector, landmarker: Shared.landmarker, options: options)
            let reader = try VideoReader(path: TestData.root + "/videos/vr_face4.mp4")
            var k = 0
            while let f = try reader.next(), k < 40 {
                let tracked = try tracker.track(f.image)
                if interval == 1 { XCTAssertEqual(tracked.count, try Shared.detector.detect(f.image).count, "frame \(k)") }
                k += 1
            }
            print("interval \(interval): \(tracker.detections) scans in \(k) frames, scan scale while tracking " +
                  "\(tracker.trackingScanScale.map { String($0) } ?? "the detector's own") (detector's \(Shared.detector.scanScale))")
            if interval == 1 {
                XCTAssertEqual(tracker.detections, k)
                XCTAssertNil(tracker.trackingScanScale)
            } else {
                XCTAssertLessThan(tracker.detections, k / 2)
                XCTAssertLessThan(try XCTUnwrap(tracker.trackingScanScale), Shared.detector.scanScale)
            }
        }
    }

    /// A small face that appears while a large one is tracked is found by the sweep for
    /// newcomers (the periodic scans look only for faces of at least 0.7× the tracked one): a
    /// 280-px face tracked from frame 0, a 100-px face pasted from frame 30 on, in the frame's
    /// lower quarter. Ground truth: the detector alone, on the frame, finds the small face where
    /// the new track is; the large track keeps its id throughout. The sweep's scan runs on a
    /// worker thread with threads 2 and on the caller's with threads 1: the same frame finds the
    /// newcomer, in the same box (the join does not depend on the thread's speed).
    func testSmallNewcomerIsFoundByTheSweep() throws {
        try requireData()
        let w = 960, h = 540
        // 280 px: the tracked box (2.8 RMS radii of the fit, Track.seatSide) is then well inside
        // one rung of the periodic scans' scale ladder (at 260 px it sits on a rung's edge, where
        // 2 px decide whether the periodic scan itself reaches down to the 100-px newcomer).
        let big = try VideoTests.placed("fb_carl_sagan2.jpg", side: 280, at: Point(300, 280), width: w, height: h)
        let small = try VideoTests.placed("fr_biden2.jpg", side: 100, at: Point(760, Double((h + 3) / 4 * 3 + 20)), width: w, height: h)
        let withBoth = try Image(width: w, height: h, format: .bgr8)
        memcpy(withBoth.data, big.data, h * big.stride)
        for y in 0..<h {  // the small face's half of the frame from `small`
            memcpy(withBoth.data + y * withBoth.stride + 560 * 3, small.data + y * small.stride + 560 * 3, (w - 560) * 3)
        }
        let truth = try Shared.detector.detect(withBoth).map(\.rect).filter { $0.width < 150 }
        XCTAssertEqual(truth.count, 1, "the detector alone finds the small face")
        var found: [(frame: Int, rect: Rect)] = []
        for threads in [2, 1] {
            var options = StreamOptions()
            options.threads = threads
            let tracker = try FaceTracker(detector: Shared.detector, landmarker: Shared.landmarker, options: options)
            // The bound FaceTracker documents: a face present from frame 30 is tracked by then.
            let limit = 30 + FaceTracker.fullScanEvery * options.detectInterval + FaceTracker.sweepFrames + 1
            var foundAt: Int? = nil, bigID: Double? = nil
            for k in 0..<limit where foundAt == nil {
                let faces = try tracker.track(k < 30 ? big : withBoth)
                if k < 30 { XCTAssertEqual(faces.count, 1, "frame \(k)") }
                let large = faces.filter { $0.rect.width >= 150 }
                XCTAssertEqual(large.count, 1, "frame \(k)")
                if bigID == nil { bigID = large.first?.score }
                XCTAssertEqual(large.first?.score, bigID, "the large face keeps its track (frame \(k))")
                if let t = truth.first, let f = faces.first(where: { $0.rect.width < 150 }) {
                    XCTAssertGreaterThan(f.rect.intersectionOverUnion(t), 0.5)
                    XCTAssertEqual(f.landmarks.count, 68)
                    foundAt = k
                    found.append((k, f.rect))
                }
            }
            print("threads \(threads): small newcomer (100 px beside a 280-px track) found at frame " +
                  "\(foundAt.map(String.init) ?? "never") (appeared at 30, limit \(limit)); \(tracker.detections) scans, " +
                  "\(tracker.sweepScans) sweeps")
            XCTAssertNotNil(foundAt, "threads \(threads)")
            XCTAssertGreaterThanOrEqual(tracker.sweepScans, 1)
        }
        XCTAssertEqual(found.count, 2)
        if found.count == 2 {
            XCTAssertEqual(found[0].frame, found[1].frame, "the same frame with and without the worker thread")
            XCTAssertEqual(found[0].rect, found[1].rect)
        }
    }

    /// A face of about the tracked one's size that appears while it is tracked is found by the
    /// periodic scans' whole-frame scan (every `wholeScanEvery`-th; the others scan only a window
    /// around each track), within the bound FaceTracker documents, before any sweep: a 200-px face
    /// tracked from frame 0, a second 200-px face pasted from frame 30 on, outside the first's
    /// window. Ground truth: the detector alone, on the frame, finds the second face where the new
    /// track is; the first keeps its id and no scene cut is taken. A reenactor's tracker, which
    /// follows one face, scans the whole frame only every `fullScanEvery`-th periodic scan and runs
    /// no sweep: it takes the second face on at that scan (within its own bound), not before, and
    /// keeps its first face throughout.
    func testSimilarNewcomerIsFoundByAWholeFrameScan() throws {
        try requireData()
        let w = 960, h = 540
        let first = try VideoTests.placed("fb_carl_sagan2.jpg", side: 200, at: Point(250, 270), width: w, height: h)
        let second = try VideoTests.placed("fr_biden2.jpg", side: 200, at: Point(740, 270), width: w, height: h)
        let withBoth = try first.copy()
        for y in 110..<430 {  // the second face's square (320 px) from `second`
            memcpy(withBoth.data + y * withBoth.stride + 580 * 3, second.data + y * second.stride + 580 * 3, 320 * 3)
        }
        let truth = try Shared.detector.detect(withBoth).map(\.rect).filter { $0.center.x > 580 }
        XCTAssertEqual(truth.count, 1, "the detector alone finds the second face")
        let options = StreamOptions()
        let limit = 30 + FaceTracker.wholeScanEvery * options.detectInterval
        let limitOne = 30 + FaceTracker.fullScanEvery * options.detectInterval  // a reenactor's tracker
        let reenactor = try Reenactor(detector: Shared.detector, landmarker: Shared.landmarker, source: try VideoTests.photo("fr_biden2.jpg"))
        for tracker in [try FaceTracker(detector: Shared.detector, landmarker: Shared.landmarker, options: options), reenactor.tracker] {
            let followsOne = tracker === reenactor.tracker
            var foundAt: Int? = nil, firstID: Double? = nil
            for k in 0..<(followsOne ? limitOne : limit) where foundAt == nil {
                let faces = try tracker.track(k < 30 ? first : withBoth)
                let left = faces.filter { $0.rect.center.x < 500 }
                XCTAssertEqual(left.count, 1, "frame \(k)")
                if firstID == nil { firstID = left.first?.score }
                XCTAssertEqual(left.first?.score, firstID, "the first face keeps its track (frame \(k))")
                if let t = truth.first, let f = faces.first(where: { $0.rect.center.x > 580 }) {
                    XCTAssertGreaterThan(f.rect.intersectionOverUnion(t), 0.5)
                    foundAt = k
                }
            }
            print("\(followsOne ? "reenactor's tracker" : "stream's tracker"): second face (200 px beside a 200-px track, " +
                  "from frame 30) found at frame \(foundAt.map(String.init) ?? "never"); \(tracker.detections) scans, " +
                  "\(tracker.windowScans) of windows only, \(tracker.sweepScans) sweeps")
            XCTAssertEqual(tracker.sceneCuts, 0)
            XCTAssertEqual(tracker.sweepScans, 0)
            XCTAssertGreaterThan(tracker.windowScans, 0)
            if followsOne {
                XCTAssertNotNil(foundAt, "found by frame \(limitOne - 1)")
                XCTAssertGreaterThanOrEqual(foundAt ?? 0, limit, "not at the stream's rate of whole-frame scans")
                XCTAssertEqual(tracker.windowScans, tracker.detections - 2, "the first scan and the one that found it are whole")
            } else {
                XCTAssertNotNil(foundAt, "found by frame \(limit - 1)")
            }
        }
    }

    /// Video keeps the fast scan: a frame holding only a 32-px face gives no face to the tracker
    /// (whose scans are the detector's fast ones, every frame at interval 1 included), while the
    /// same image as a photo does (the automatic finer scan of `Detector.detect`).
    func testTrackerKeepsTheFastScanThatPhotosRefine() throws {
        try requireData()
        let photo = try VideoTests.photo("fr_biden2.jpg")
        let r = try XCTUnwrap(try Shared.detector.detect(photo).first).rect
        let s = 32 / r.width
        let small = try photo.warped(Affine(s, 0, 0, 0, s, 0), width: Int(Double(photo.width) * s), height: Int(Double(photo.height) * s))
        XCTAssertEqual(try Shared.detector.detect(small).count, 1, "the photo path finds the small face")
        var options = StreamOptions()
        options.detectInterval = 1
        let tracker = try FaceTracker(detector: Shared.detector, landmarker: Shared.landmarker, options: options)
        for k in 0..<3 { XCTAssertEqual(try tracker.track(small).count, 0, "frame \(k)") }
        XCTAssertEqual(tracker.detections, 3)
    }

    /// Unfiltered (min cutoff 0), the tracked landmarks follow the known motion: the shape's
    /// centroid within 1.5 % of the inter-ocular distance (IOD) of frame 0's moved by the offset, and
    /// the points within 3 % IOD on average (the shape predictor's own repeatability when the
    /// pixels under it are resampled at another sub-pixel phase). One track throughout, detection
    /// only every `detectInterval` frames, no scene cut.
    func testTrackedLandmarksFollowKnownMotion() throws {
        try requireData()
        var options = StreamOptions()
        options.minCutoff = 0
        let count = 40
        let (tracker, tracks, ids) = try trackMotion(options, count: count)
        XCTAssertEqual(tracks.count, count)
        guard tracks.count == count else { return }
        let iod = VideoTests.interocular(tracks[0])
        XCTAssertGreaterThan(iod, 40)
        var worstCentroid = 0.0, worstMean = 0.0
        let c0 = Point.mean(tracks[0]), o0 = VideoTests.offset(0)
        for k in 1..<count {
            let shift = VideoTests.offset(k) - o0
            let centroidError = Point.mean(tracks[k]).distance(to: c0 + shift) / iod
            let meanError = zip(tracks[k], tracks[0]).map { $0.distance(to: $1 + shift) }.reduce(0, +) / 68 / iod
            worstCentroid = max(worstCentroid, centroidError)
            worstMean = max(worstMean, meanError)
        }
        print("tracker, unfiltered: IOD \(iod) px; worst centroid error \(worstCentroid), worst mean point error \(worstMean) IOD")
        XCTAssertLessThan(worstCentroid, 0.015)
        XCTAssertLessThan(worstMean, 0.03)
        XCTAssertEqual(Set(ids).count, 1, "one track throughout")
        XCTAssertEqual(tracker.sceneCuts, 0)
        XCTAssertEqual(tracker.detections, (count + options.detectInterval - 1) / options.detectInterval)
    }

    /// With the default One-Euro filter, a face moving at speed v (px/s) lags by at most
    /// v / (2π · minCutoff) (the filter's steady lag with the cutoff at its minimum; any speed
    /// raises the cutoff and shortens it) on top of the unfiltered tolerance.
    func testFilteredTrackLagsByAtMostTheCutoffsBound() throws {
        try requireData()
        let options = StreamOptions()
        let count = 40
        let (_, tracks, ids) = try trackMotion(options, count: count)
        guard tracks.count == count else { return XCTFail("lost the face") }
        let iod = VideoTests.interocular(tracks[0])
        // The drift's speed, with the wobble's largest frame-to-frame step added (px/s at 30 fps).
        let v = ((0.6 + 0.3 * 0.9) * (0.6 + 0.3 * 0.9) + (0.35 + 0.25 * 1.3) * (0.35 + 0.25 * 1.3)).squareRoot() * 30
        let lagBound = v / (2 * Double.pi * options.minCutoff)
        let c0 = Point.mean(tracks[0]), o0 = VideoTests.offset(0)
        var worst = 0.0
        for k in 1..<count {
            let error = Point.mean(tracks[k]).distance(to: c0 + VideoTests.offset(k) - o0)
            worst = max(worst, error)
        }
        print("tracker, filtered: worst centroid error \(worst) px; bound \(lagBound) px lag + \(0.015 * iod) px fit")
        XCTAssertLessThan(worst, lagBound + 0.015 * iod)
        XCTAssertEqual(Set(ids).count, 1)
    }

    /// Switching to another photo is a scene cut: the track restarts (a new id) on the new face,
    /// with the landmarks a fresh detection and fit give (the filter restarts too, so unsmoothed);
    /// a frame without a face gives no face; a face after it starts yet another track.
    func testSceneCutResetsTheTrackAndFacelessFramesGiveNone() throws {
        try requireData()
        let a = try VideoTests.photo("fb_carl_sagan2.jpg"), b = try VideoTests.photo("sn_adele_2016.jpg")
        let none = try VideoTests.photo("dlib_dogs_noface.jpg")
        let tracker = try FaceTracker(detector: Shared.detector, landmarker: Shared.landmarker)
        var firstID = -1.0
        for k in 0..<6 {
            let faces = try tracker.track(try VideoTests.frame(a, offset: VideoTests.offset(k)))
            XCTAssertEqual(faces.count, 1)
            if k == 0 { firstID = faces.first?.score ?? -1 }
        }
        XCTAssertEqual(tracker.sceneCuts, 0)

        let frameB = try VideoTests.frame(b)
        let faces = try tracker.track(frameB)
        XCTAssertEqual(tracker.sceneCuts, 1)
        XCTAssertEqual(faces.count, 1)
        let fresh = try Shared.detector.detect(frameB)
        XCTAssertEqual(fresh.count, 1)
        if let got = faces.first, let box = fresh.first {
            XCTAssertNotEqual(got.score, firstID, "a new track after the cut")
            let expected = try Shared.landmarker.fit(frameB, box).landmarks
            let error = zip(got.landmarks, expected).map { $0.distance(to: $1) }.max() ?? .infinity
            XCTAssertLessThan(error, 1e-6, "landmarks after a cut are the fresh fit, unfiltered")
        }
        let idB = faces.first?.score ?? -1

        XCTAssertEqual(try tracker.track(try VideoTests.frame(none)).count, 0)
        XCTAssertEqual(tracker.sceneCuts, 2)
        XCTAssertEqual(tracker.faces.count, 0)
        XCTAssertEqual(try tracker.track(try VideoTests.frame(none, offset: Point(0.5, 0.5))).count, 0)

        let back = try tracker.track(frameB)
        XCTAssertEqual(tracker.sceneCuts, 3)
        XCTAssertEqual(back.count, 1)
        XCTAssertNotEqual(back.first?.score, idB, "the face after a face-less frame is a new track")
    }

    /// A video that starts without a face (and a photo of no face at all) gives 0 faces.
    func testFacelessFramesGiveNoFaces() throws {
        try requireData()
        for name in ["dlib_dogs_noface.jpg", "sn_zebra_stripes.jpg"] {
            let tracker = try FaceTracker(detector: Shared.detector, landmarker: Shared.landmarker)
            let frame = try VideoTests.frame(try VideoTests.photo(name))
            for k in 0..<3 {
                XCTAssertEqual(try tracker.track(frame).count, 0, "\(name) frame \(k)")
            }
            XCTAssertEqual(tracker.detections, 3, "\(name): with no track, every frame is scanned")
        }
    }
}
