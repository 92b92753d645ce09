import FaceSwap
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ImageTests: XCTestCase {
    func testPNGRoundTripIsExactAndJPEGClose() throws {
        let img = try Image(width: 64, height: 48, format: .bgr8)
        for y in 0..<48 { for x in 0..<64 { for c in 0..<3 {
            img.data.storeBytes(of: UInt8(x + y * 2 + c * 40), toByteOffset: y * img.stride + x * 3 + c, as: UInt8.self)
        } } }
        let png = try img.encode(.png).array.withUnsafeBytes { try Image.decode($0) }
        XCTAssertEqual(png.width, 64)
        for y in 0..<48 { for x in 0..<64 { XCTAssertEqual(png.byte(x: x, y: y, channel: 1), img.byte(x: x, y: y, channel: 1)) } }
        let jpg = try img.encode(.jpeg, quality: 95).array.withUnsafeBytes { try Image.decode($0) }
        var err = 0
        for y in 0..<48 { for x in 0..<64 { err += abs(Int(jpg.byte(x: x, y: y, channel: 2)) - Int(img.byte(x: x, y: y, channel: 2))) } }
        XCTAssertLessThan(Double(err) / Double(64 * 48), 4)
    }

    func testLimitsAndBadData() {
        XCTAssertThrowsError(try Image(width: 0, height: 10, format: .gray8))
        XCTAssertThrowsError(try Image(width: 40000, height: 10, format: .gray8)) { e in
            XCTAssertEqual((e as? FaceSwapError)?.status, .tooLarge)
        }
        XCTAssertThrowsError(try Image(width: 20000, height: 20000, format: .gray8)) { e in
            XCTAssertEqual((e as? FaceSwapError)?.status, .tooLarge)
        }
        let garbage: [UInt8] = [0xFF, 0xD8, 0xFF, 0x00, 0x13, 0x37]
        XCTAssertThrowsError(try garbage.withUnsafeBytes { try Image.decode($0) }) { e in
            XCTAssertEqual((e as? FaceSwapError)?.status, .decode)
        }
        let text = Array("hello, this is not an image\n".utf8)
        XCTAssertThrowsError(try text.withUnsafeBytes { try Image.decode($0) }) { e in
            XCTAssertEqual((e as? FaceSwapError)?.status, .decode)
        }
    }

    /// A JPEG that declares 60000×60000 is refused from its header, before pixels are allocated.
    func testHugeDeclaredJPEGIsRefusedFromHeader() throws {
        let small = try Image(width: 16, height: 16, format: .bgr8)
        var bytes = try small.encode(.jpeg).array
        guard let sof = (0..<bytes.count - 9).first(where: { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 }) else {
            return XCTFail("no SOF0 marker")
        }
        bytes[sof + 5] = 0xEA; bytes[sof + 6] = 0x60  // height 60000
        bytes[sof + 7] = 0xEA; bytes[sof + 8] = 0x60  // width 60000
        XCTAssertThrowsError(try bytes.withUnsafeBytes { try Image.decode($0) }) { e in
            XCTAssertEqual((e as? FaceSwapError)?.status, .tooLarge)
        }
    }

    /// Saving is atomic: a failed save leaves the old file whole and no temporary behind.
    func testSaveIsAtomic() throws {
        let dir = "/tmp/fs-atomic-\(getpid())"
        mkdir(dir, 0o755)
        let path = dir + "/out.png"
        let a = try Image(width: 8, height: 8, format: .bgr8)
        try a.save(path: path)
        let before = try Files.read(path)
        XCTAssertThrowsError(try a.save(path: dir + "/missing-folder/out.png"))
        XCTAssertThrowsError(try a.save(path: dir + "/out.bmp"))
        XCTAssertEqual(try Files.read(path), before)
        var count = 0
        if let d = opendir(dir) {
            while let e = readdir(d) { if e.pointee.d_name.0 != 46 { count += 1 } }  // skip . and ..
            closedir(d)
        }
        XCTAssertEqual(count, 1, "only out.png should be in the folder")
    }

    func testGreyscaleAndCMYKLoadAsBGR() throws {
        try requireData()
        let grey = try Image.load(path: TestData.face("fb_carl_sagan1.jpg"))
        XCTAssertEqual(grey.format, .bgr8)
        XCTAssertEqual(grey.byte(x: 300, y: 300, channel: 0), grey.byte(x: 300, y: 300, channel: 2))
        let cmyk = try Image.load(path: TestData.face("rcv_one_face_cmyk.jpg"))
        XCTAssertEqual(cmyk.width, 800)
        XCTAssertEqual(cmyk.height, 634)
    }
}
