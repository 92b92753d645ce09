@testable import FaceSwap
import XCTest

final class TrainTests: XCTestCase {
    /// The model file's checksum is the standard CRC-32 (IEEE 802.3): its check value for the
    /// ASCII digits "123456789" is 0xCBF43926.
    func testCRC32CheckValue() {
        XCTAssertEqual(ModelFile.crc32(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(ModelFile.crc32([UInt8]()), 0)
    }

    /// Base64 as RFC 4648 gives it (its test vectors, section 10), and what is not base64 refused.
    func testBase64RFC4648Vectors() {
        let vectors = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
                       ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")]
        for (plain, coded) in vectors {
            XCTAssertEqual(Array(plain.utf8).withUnsafeBytes { Base64.encode($0) }, coded)
            XCTAssertEqual(Base64.decode(Substring(coded)), Array(plain.utf8))
        }
        let all = (0..<256).map { UInt8($0) }
        XCTAssertEqual(Base64.decode(Substring(all.withUnsafeBytes { Base64.encode($0) })), all)
        for bad in ["Zg=", "Z===", "Zm9v!A==", "Zg==Zg==", "=Zg="] { XCTAssertNil(Base64.decode(Substring(bad)), bad) }
    }

    /// A person's detail face goes into the header and comes back: its 68 points exactly, its
    /// pixels as a JPEG of quality 95 keeps them; a value that is not one is refused by name.
    func testDetailFaceRoundTrip() throws {
        let img = try Image(width: 96, height: 80, format: .bgr8)
        let px = img.data.assumingMemoryBound(to: UInt8.self)
        for y in 0..<img.height {
            for x in 0..<img.width {
                let p = px + y * img.stride + 3 * x
                p[0] = UInt8(40 + x); p[1] = UInt8(30 + 2 * y); p[2] = UInt8(200 - x)
            }
        }
        let points = (0..<68).map { Point(Double($0) * 1.25 + 0.1, 80 - Double($0) / 3) }
        var info = ModelInfo()
        info.detailB = try DetailFace(image: img, landmarks: points).encoded()
        let file = [UInt8]().withUnsafeBytes { ModelFile.encode(info, weights: $0) }
        let (back, _) = try ModelFile.decode(file, path: "m.fsm")
        XCTAssertNil(back.detailA)
        let face = try DetailFace.decode(try XCTUnwrap(back.detailB), key: "detail_b")
        XCTAssertEqual(face.landmarks, points)
        XCTAssertEqual(face.image.width, 96)
        XCTAssertEqual(face.image.height, 80)
        var worst = 0
        let out = face.image.data.assumingMemoryBound(to: UInt8.self)
        for y in 0..<80 { for x in 0..<96 * 3 { worst = max(worst, abs(Int(out[y * face.image.stride + x]) - Int(px[y * img.stride + x]))) } }
        XCTAssertLessThanOrEqual(worst, 6)
        XCTAssertThrowsError(try DetailFace.decode("1,2,3;Zm9v", key: "detail_b")) { e in
            XCTAssertTrue((e as? FaceSwapError)?.message.contains("detail_b") ?? false)
        }
    }

    /// A header written is read back field for field; damage of any kind is refused by name.
    func testModelFileRoundTripAndRefusals() throws {
        var info = ModelInfo()
        info.size = 128
        info.nameA = "Ada Lovelace"
        info.nameB = "Grace Hopper"
        info.shiftA = [1.5, -2.25, 30.125]
        info.iterations = 4321
        info.seconds = 98.765
        info.seed = 42
        info.rng = [1, 2, 3, UInt64.max]
        info.hyper.gan = 0.1
        info.hyper.learningRate = 3e-4
        info.trainingState = true
        let weights: [UInt8] = Array(0..<200).map { UInt8($0 % 256) }
        let file = weights.withUnsafeBytes { ModelFile.encode(info, weights: $0) }
        let (back, range) = try ModelFile.decode(file, path: "m.fsm")
        XCTAssertEqual(back, info)
        XCTAssertEqual(Array(file[range]), weights)

        func refused(_ bytes: [UInt8], _ words: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try ModelFile.decode(bytes, path: "m.fsm"), file: file, line: line) { e in
                let err = e as? FaceSwapError
                XCTAssertEqual(err?.status, .model, file: file, line: line)
                XCTAssertTrue(err?.message.contains(words) ?? false, "\(err?.message ?? "") lacks '\(words)'", file: file, line: line)
            }
        }
        var flipped = file
        flipped[file.count / 2] ^= 1
        refused(flipped, "checksum")
        refused(Array(file.prefix(file.count - 10)), "truncated")
        refused(Array("GIF89a and more bytes than a header".utf8), "not a libfaceswap model")
        func withCRC(_ bytes: [UInt8]) -> [UInt8] {
            var out = bytes
            let crc = ModelFile.crc32(out[0..<(out.count - 4)])
            for i in 0..<4 { out[out.count - 4 + i] = UInt8((crc >> (8 * UInt32(i))) & 0xFF) }
            return out
        }
        var newer = file
        newer[8] = 2
        refused(withCRC(newer), "newer")

        // The autoencoder whose decoders upscale (64 -> 128) is an architecture of its own and
        // records its input side; a header that does not say it, or says another, is refused.
        XCTAssertTrue(String(decoding: file.prefix(300), as: UTF8.self).contains("architecture=shared-encoder-autoencoder-1\n"))
        var up = info
        up.inputSize = 64
        let upFile = weights.withUnsafeBytes { ModelFile.encode(up, weights: $0) }
        let upHeader = String(decoding: upFile.prefix(300), as: UTF8.self)
        XCTAssertTrue(upHeader.contains("architecture=shared-encoder-autoencoder-upscale-1\n"), upHeader)
        XCTAssertTrue(upHeader.contains("\nsize=128\ninput_size=64\n"), upHeader)
        let (upBack, _) = try ModelFile.decode(upFile, path: "m.fsm")
        XCTAssertEqual(upBack, up)
        XCTAssertEqual(upBack.inputSize, 64)
        XCTAssertEqual(upBack.size, 128)
        func edited(_ bytes: [UInt8], _ from: String, _ to: String) -> [UInt8] {
            let f = Array(from.utf8), t = Array(to.utf8)
            precondition(f.count == t.count)   // the same length: the header length stands
            let at = (0...(bytes.count - f.count)).first { Array(bytes[$0..<($0 + f.count)]) == f }!
            var out = bytes
            out.replaceSubrange(at..<(at + f.count), with: t)
            return withCRC(out)
        }
        refused(edited(upFile, "input_size=64", "input_size=32"), "input_size 32")
        refused(edited(upFile, "input_size=64", "input_sizf=64"), "no 'input_size'")
        refused(edited(upFile, "\nsize=128", "\nsize=064"), "input_size 64 with size 64")
    }

    /// The generator's stream is a pure function of its seed (resuming relies on it) and its
    /// uniform draws have the right mean.
    func testRandomIsRepeatable() {
        var a = Xoshiro(seed: 7), b = Xoshiro(seed: 7), c = Xoshiro(seed: 8)
        let sa = (0..<100).map { _ in a.next() }
        XCTAssertEqual(sa, (0..<100).map { _ in b.next() })
        XCTAssertNotEqual(sa, (0..<100).map { _ in c.next() })
        var d = Xoshiro(state: a.words)
        XCTAssertEqual(d.next(), a.next())
        var g = Xoshiro(seed: 1)
        let mean = (0..<100_000).map { _ in g.unit() }.reduce(0, +) / 100_000
        XCTAssertEqual(mean, 0.5, accuracy: 0.01)
    }
}
