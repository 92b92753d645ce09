@testable import FaceSwap
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The model caches (Sources/CFaceShim/model_cache.hpp): the HOG detector's filter banks and
/// the shape predictor's flat, mapped layout. What a cached handle finds must be exactly what dlib's
/// own detector and predictor find (DlibReference calls dlib directly: a freshly built
/// get_frontal_face_detector(), a shape_predictor read by dlib::deserialize), and a damaged cache
/// must be noticed and rebuilt. Each test uses its own empty cache folder.
final class ModelCacheTests: XCTestCase {
    static let photos = ["fr_obama1.jpg", "fr_two_people_obama_biden.jpg", "dlib_bald_guys_collage.jpg",
                         "sn_city_portrait.jpg", "fb_einstein2.jpg", "rcv_threequarter_face.jpg"]

    var folder = ""
    var saved: [String: String?] = [:]

    override func setUpWithError() throws {
        try requireData()
        var template = Array((FileManagerFree.tmp + "/fs-model-cache-XXXXXX").utf8CString)
        folder = String(cString: try XCTUnwrap(mkdtemp(&template), "mkdtemp"))
        for name in ["XDG_CACHE_HOME", "FACESWAP_NO_MODEL_CACHE"] { saved[name] = Files.environment(name) }
        setenv("XDG_CACHE_HOME", folder, 1)
        unsetenv("FACESWAP_NO_MODEL_CACHE")
    }

    override func tearDown() {
        for (name, value) in saved {
            if let value { setenv(name, value, 1) } else { unsetenv(name) }
        }
        _ = system("rm -rf '\(folder)'")
    }

    /// The one cache file whose name ends in `suffix`.
    func cacheFile(_ suffix: String) throws -> String {
        let names = try Files.list(folder + "/faceswap").filter { $0.hasSuffix(suffix) }
        XCTAssertEqual(names.count, 1, "cache files ending in \(suffix): \(names)")
        let name = try XCTUnwrap(names.first)
        return name.hasPrefix("/") ? name : folder + "/faceswap/" + name
    }

    static func size(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : -1
    }

    /// Flips every bit of the byte at `offset`.
    static func flip(_ path: String, at offset: Int) {
        let fd = open(path, O_RDWR)
        defer { close(fd) }
        var b: UInt8 = 0
        XCTAssertEqual(pread(fd, &b, 1, off_t(offset)), 1)
        b ^= 0xff
        XCTAssertEqual(pwrite(fd, &b, 1, off_t(offset)), 1)
    }

    /// Writes `value` (UInt32) at `payloadOffset` of the detector cache's payload and recomputes
    /// its checksums (the header: magic 8, format 4, dlib version 4, payload size 8, payload hash
    /// 8, header hash 8 over the 32 bytes before it, seed 1; the payload after the header).
    static func forge(_ path: String, payloadOffset: Int, value: UInt32) {
        guard let f = fopen(path, "rb") else { return XCTFail("cannot read \(path)") }
        var bytes = [UInt8](repeating: 0, count: size(path))
        XCTAssertEqual(fread(&bytes, 1, bytes.count, f), bytes.count)
        fclose(f)
        let header = 40
        withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(header + payloadOffset ..< header + payloadOffset + 4, with: $0) }
        withUnsafeBytes(of: DlibReference.cacheHash(bytes[header...]).littleEndian) { bytes.replaceSubrange(24..<32, with: $0) }
        withUnsafeBytes(of: DlibReference.cacheHash(bytes[0..<32], seed: 1).littleEndian) { bytes.replaceSubrange(32..<40, with: $0) }
        guard let g = fopen(path, "wb") else { return XCTFail("cannot write \(path)") }
        XCTAssertEqual(fwrite(bytes, 1, bytes.count, g), bytes.count)
        fclose(g)
    }

    /// The detector's rectangles and scores on each photo, in a fixed order.
    static func boxes(_ detector: Detector) throws -> [[Double]] {
        try photos.flatMap { name -> [[Double]] in
            let img = try Image.load(path: TestData.face(name))
            return try detector.detect(img).map { [$0.rect.x, $0.rect.y, $0.rect.width, $0.rect.height, $0.score] }.sorted { $0.lexicographicallyPrecedes($1) }
        }
    }

    /// dlib's own detector on the same grey images (the library scans at scale 1 with the default options).
    static let dlibBoxes: [[Double]] = {
        try! photos.flatMap { name -> [[Double]] in
            let img = try Image.load(path: TestData.face(name))
            let gray = try img.grayResized(width: img.width, height: img.height)
            return try DlibReference.hogDetect(gray).map { [$0.rect.x, $0.rect.y, $0.rect.width, $0.rect.height, $0.score] }
                .sorted { $0.lexicographicallyPrecedes($1) }
        }
    }()

    func testCachedDetectorFindsDlibsOwnBoxes() throws {
        let first = try Detector()
        XCTAssertEqual(first.cacheState, .written)
        let cached = try Detector()
        XCTAssertEqual(cached.cacheState, .hit)
        let expected = Self.dlibBoxes
        XCTAssertGreaterThan(expected.count, Self.photos.count, "the photos hold more faces than photos")
        XCTAssertEqual(try Self.boxes(cached), expected)
        XCTAssertEqual(try Self.boxes(first), expected)
    }

    func testDamagedDetectorCacheIsRebuilt() throws {
        _ = try Detector().cacheState  // the first use loads the detector and writes its cache
        let path = try cacheFile(".hogcache")
        let size = Self.size(path)
        XCTAssertGreaterThan(size, 50_000)  // the banks of five detectors: ~93 kB
        // Truncated, one byte flipped in the header, in the middle, at the end, an empty file, another file's bytes.
        let damage: [(String, () -> Void)] = [
            ("truncated", { XCTAssertEqual(truncate(path, off_t(size / 2)), 0) }),
            ("header byte", { Self.flip(path, at: 12) }),
            ("middle byte", { Self.flip(path, at: size / 2) }),
            ("last byte", { Self.flip(path, at: size - 1) }),
            ("empty", { XCTAssertEqual(truncate(path, 0), 0) }),
            ("not a cache", { _ = system("head -c \(size) '\(TestData.face("fr_obama1.jpg"))' > '\(path)'") }),
            // Checksums that pass over settings no detector has (the checksum is no signature): a
            // zero cell size (dlib's scanner would divide by it), a window of 9999 px.
            ("forged cell size 0", { Self.forge(path, payloadOffset: 0, value: 0) }),
            ("forged window 9999", { Self.forge(path, payloadOffset: 8, value: 9999) }),
        ]
        for (what, spoil) in damage {
            spoil()
            let d = try Detector()
            XCTAssertEqual(d.cacheState, .rebuilt, what)
            XCTAssertEqual(Self.size(path), size, "\(what): rewritten whole")
            XCTAssertEqual(try Self.boxes(d), Self.dlibBoxes, what)
            XCTAssertEqual(try Detector().cacheState, .hit, "\(what): the rewritten cache is used")
        }
    }

    /// dlib's own points for every face dlib finds in the photos (and a shifted, enlarged box each).
    func assertLandmarksMatchDlib(_ landmarker: Landmarker, _ what: String) throws {
        var fits = 0
        for name in Self.photos {
            let img = try Image.load(path: TestData.face(name))
            for face in try Shared.detector.detect(img) {
                let r = face.rect
                for rect in [r, Rect(x: r.x + 7, y: r.y - 5, width: r.width * 1.3, height: r.height * 1.2)] {
                    for image in [img, try img.ensuring(.gray8)] {
                        let ours = try landmarker.fit(image, Face(box: rect, rect: rect, score: 0)).landmarks
                        let dlib = try DlibReference.fit(modelPath: landmarker.modelPath, image, rect: rect, points: landmarker.numPoints)
                        XCTAssertEqual(ours, dlib, "\(what): \(name), rect \(rect)")
                        fits += 1
                    }
                }
            }
        }
        XCTAssertGreaterThan(fits, 4 * Self.photos.count)
    }

    func testCachedLandmarksAreDlibsOwn() throws {
        for name in [ModelResolver.landmarks68, ModelResolver.landmarks5] {
            let path = try ModelResolver.find(name)
            let first = try Landmarker(modelPath: path)
            XCTAssertEqual(first.cacheState, .written, name)
            let cached = try Landmarker(modelPath: path)
            XCTAssertEqual(cached.cacheState, .hit, name)
            try assertLandmarksMatchDlib(cached, "\(name) from its cache")
            try assertLandmarksMatchDlib(first, "\(name) parsed")
        }
    }

    func testDamagedLandmarkCacheIsRebuilt() throws {
        let model = try ModelResolver.find(ModelResolver.landmarks5)  // the small model: quick to rebuild
        _ = try Landmarker(modelPath: model)
        let path = try cacheFile(".spflat")
        let size = Self.size(path)
        let damage: [(String, () -> Void)] = [
            ("truncated", { XCTAssertEqual(truncate(path, off_t(size - 1000)), 0) }),
            ("header byte", { Self.flip(path, at: 40) }),
            ("a leaf byte", { Self.flip(path, at: size - size / 3) }),
            ("last byte", { Self.flip(path, at: size - 1) }),
            ("grown", { XCTAssertEqual(truncate(path, off_t(size + 64)), 0) }),
            ("empty", { XCTAssertEqual(truncate(path, 0), 0) }),
            ("not a cache", { _ = system("head -c \(size) '\(model)' > '\(path)'") }),
        ]
        for (what, spoil) in damage {
            spoil()
            let lm = try Landmarker(modelPath: model)
            XCTAssertEqual(lm.cacheState, .rebuilt, what)
            XCTAssertEqual(Self.size(path), size, "\(what): rewritten whole")
            try assertLandmarksMatchDlib(lm, what)
            XCTAssertEqual(try Landmarker(modelPath: model).cacheState, .hit, "\(what): the rewritten cache is used")
        }
        // The 68-point model's cache, truncated: rebuilt too.
        let big = try ModelResolver.find(ModelResolver.landmarks68)
        _ = try Landmarker(modelPath: big)
        // The cache is named after the model file's path, size and mtime: match the model's own name
        // (a bare "68" also matches the 5-point cache when its size or mtime has those digits).
        let bigName = String(big.split(separator: "/").last ?? "")
        let bigPath = try Files.list(folder + "/faceswap").filter { $0.hasSuffix(".spflat") && $0.contains(bigName) }
        XCTAssertEqual(bigPath.count, 1)
        let p = bigPath[0].hasPrefix("/") ? bigPath[0] : folder + "/faceswap/" + bigPath[0]
        XCTAssertEqual(truncate(p, off_t(Self.size(p) / 2)), 0)
        let lm = try Landmarker(modelPath: big)
        XCTAssertEqual(lm.cacheState, .rebuilt)
        try assertLandmarksMatchDlib(lm, "68 points, truncated cache")
    }

    func testNoCacheFolderOrCachesOffFallBackSilently() throws {
        // A cache folder that cannot be made (under a regular file), then caches switched off.
        let blocker = folder + "/file"
        XCTAssertEqual(system("echo x > '\(blocker)'"), 0)
        setenv("XDG_CACHE_HOME", blocker + "/cache", 1)
        let d = try Detector()
        XCTAssertEqual(d.cacheState, .off)
        XCTAssertEqual(try Self.boxes(d), Self.dlibBoxes)
        let lm = try Landmarker(modelPath: try ModelResolver.find(ModelResolver.landmarks5))
        XCTAssertEqual(lm.cacheState, .off)
        try assertLandmarksMatchDlib(lm, "unwritable cache folder")
        setenv("XDG_CACHE_HOME", folder, 1)
        setenv("FACESWAP_NO_MODEL_CACHE", "1", 1)
        XCTAssertEqual(try Detector().cacheState, .off)
        XCTAssertEqual(try Landmarker(modelPath: try ModelResolver.find(ModelResolver.landmarks5)).cacheState, .off)
        XCTAssertFalse(Files.exists(folder + "/faceswap"), "nothing written with FACESWAP_NO_MODEL_CACHE=1")
    }
}

/// The temporary folder ($TMPDIR or /tmp).
enum FileManagerFree {
    static var tmp: String { Files.environment("TMPDIR").flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp" }
}
