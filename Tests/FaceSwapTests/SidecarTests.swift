import FaceSwap
import Foundation
import XCTest

/// The face sidecar (NAME.json beside each extracted NAME.png): written and read back exactly,
/// checked against documents written by hand and against Foundation's JSONSerialization (an
/// independent reader and writer); anything malformed is refused with `.decode` and the reason.
final class SidecarTests: XCTestCase {
    /// A face with awkward values: thirds and sevenths (no short decimal form), a rotation, and a
    /// source path with quotes, backslashes, control characters and non-ASCII letters.
    static func knownFace() throws -> AlignedFace {
        let k = 1.0 / 3, a = 0.1
        let t = Affine(k * cos(a), -k * sin(a), 12.345, k * sin(a), k * cos(a), -1.0 / 7)
        let template = try Aligner.template(size: 256, padding: 0.25)
        XCTAssertEqual(template.count, 68)
        return AlignedFace(source: "clips/\"quoted\" back\\slash\ttab\nline \u{1}\u{1F} é 東京 😀.mp4", frame: 1234, faceIndex: 2,
                           size: 256, padding: 0.25, transform: t,
                           landmarks: template.map { $0 + Point(1.0 / 7, -1.0 / 3) }, sharpness: 98.765)
    }

    static func assertSame(_ a: AlignedFace, _ b: AlignedFace, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.source, b.source, file: file, line: line)
        XCTAssertEqual(a.frame, b.frame, file: file, line: line)
        XCTAssertEqual(a.faceIndex, b.faceIndex, file: file, line: line)
        XCTAssertEqual(a.size, b.size, file: file, line: line)
        XCTAssertEqual(a.padding, b.padding, file: file, line: line)
        XCTAssertEqual(a.transform, b.transform, file: file, line: line)
        XCTAssertEqual(a.landmarks, b.landmarks, file: file, line: line)
        XCTAssertEqual(a.sharpness, b.sharpness, file: file, line: line)
    }

    /// Write then read gives back every field bit for bit.
    func testRoundTripIsExact() throws {
        let face = try SidecarTests.knownFace()
        let text = try face.json()
        XCTAssertEqual(text.last, UInt8(ascii: "\n"))
        XCTAssertFalse(text.dropLast().contains(UInt8(ascii: "\n")), "one line")
        SidecarTests.assertSame(try AlignedFace.parse(text, path: "a.json"), face)
    }

    /// What is written is JSON as another library reads it, with the documented keys and values.
    func testWrittenTextReadsBackWithFoundation() throws {
        let face = try SidecarTests.knownFace()
        let object = try JSONSerialization.jsonObject(with: Data(try face.json()))
        guard let doc = object as? [String: Any] else { return XCTFail("not a JSON object") }
        XCTAssertEqual(Set(doc.keys), ["source", "frame", "face", "size", "padding", "transform", "sharpness", "landmarks"])
        XCTAssertEqual(doc["source"] as? String, face.source)
        XCTAssertEqual((doc["frame"] as? NSNumber)?.intValue, 1234)
        XCTAssertEqual((doc["face"] as? NSNumber)?.intValue, 2)
        XCTAssertEqual((doc["size"] as? NSNumber)?.intValue, 256)
        XCTAssertEqual((doc["padding"] as? NSNumber)?.doubleValue, 0.25)
        XCTAssertEqual((doc["sharpness"] as? NSNumber)?.doubleValue, 98.765)
        // Foundation's reader on Linux may round the last bit differently (it read 0.3316680550926753
        // as 0.33166805509267533); that the text holds the exact values shows testRoundTripIsExact.
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 4 * b.ulp }
        let t = (doc["transform"] as? [NSNumber])?.map(\.doubleValue) ?? []
        XCTAssertEqual(t.count, 6)
        XCTAssertTrue(zip(t, face.transform.array).allSatisfy(close), "\(t)")
        let l = (doc["landmarks"] as? [[NSNumber]]) ?? []
        XCTAssertEqual(l.count, 68)
        XCTAssertTrue(zip(l, face.landmarks).allSatisfy { $0.count == 2 && close($0[0].doubleValue, $1.x) && close($0[1].doubleValue, $1.y) })
    }

    /// A document written by hand (any key order, white space, extra keys) reads as it says;
    /// one written by Foundation too.
    func testReadsDocumentsWrittenElsewhere() throws {
        let points = (0..<68).map { "[\($0), \(2 * $0 + 1).5]" }.joined(separator: ",\n  ")
        let text = """
        {
          "landmarks": [\(points)],
          "transform": [2, 0, -10.25, 0, 2, -20],
          "padding": 0.1, "size": 64, "future_key": {"nested": [1, 2, 3]},
          "source": "x.png"
        }
        """
        let face = try AlignedFace.parse(text, path: "hand.json")
        XCTAssertEqual(face.size, 64)
        XCTAssertEqual(face.padding, 0.1)
        XCTAssertEqual(face.transform, Affine(2, 0, -10.25, 0, 2, -20))
        XCTAssertEqual(face.landmarks, (0..<68).map { Point(Double($0), Double(2 * $0 + 1) + 0.5) })
        XCTAssertEqual(face.source, "x.png")
        XCTAssertEqual(face.frame, -1, "a missing frame means a still image")
        XCTAssertEqual(face.faceIndex, 0)

        let known = try SidecarTests.knownFace()
        let doc: [String: Any] = [
            "source": known.source, "frame": known.frame, "face": known.faceIndex, "size": known.size,
            "padding": known.padding, "transform": known.transform.array, "sharpness": known.sharpness,
            "landmarks": known.landmarks.map { [$0.x, $0.y] },
        ]
        let back = try AlignedFace.parse(Array(try JSONSerialization.data(withJSONObject: doc)), path: "foundation.json")
        XCTAssertEqual(back.source, known.source)
        XCTAssertEqual(back.frame, known.frame)
        XCTAssertEqual(back.size, known.size)
        for (u, v) in zip(back.transform.array, known.transform.array) { XCTAssertEqual(u, v, accuracy: 1e-12) }
        for (p, q) in zip(back.landmarks, known.landmarks) { XCTAssertLessThan(p.distance(to: q), 1e-9) }
    }

    /// The fields of a valid document as raw JSON text, to be damaged one at a time.
    static let fields: [(String, String)] = [
        ("source", "\"a.jpg\""), ("frame", "-1"), ("face", "0"), ("size", "64"), ("padding", "0.1"),
        ("transform", "[2,0,-10,0,2,-20]"), ("sharpness", "50.5"),
        ("landmarks", "[" + (0..<68).map { "[\($0),\($0 + 1)]" }.joined(separator: ",") + "]"),
    ]

    static func document(_ changes: [String: String] = [:], removing: Set<String> = []) -> String {
        "{" + fields.filter { !removing.contains($0.0) }.map { "\"\($0.0)\":\(changes[$0.0] ?? $0.1)" }.joined(separator: ",") + "}"
    }

    func refused(_ bytes: [UInt8], _ words: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try AlignedFace.parse(bytes, path: "faces/x.json"), file: file, line: line) { e in
            guard let err = e as? FaceSwapError else { return XCTFail("\(e) is not a FaceSwapError", file: file, line: line) }
            XCTAssertEqual(err.status, .decode, err.message, file: file, line: line)
            for w in ["faces/x.json"] + words {
                XCTAssertTrue(err.message.contains(w), "'\(err.message)' lacks '\(w)'", file: file, line: line)
            }
        }
    }

    func refused(_ text: String, _ words: [String], file: StaticString = #filePath, line: UInt = #line) {
        refused(Array(text.utf8), words, file: file, line: line)
    }

    func testValidBaseDocumentReads() throws {
        let face = try AlignedFace.parse(SidecarTests.document(), path: "ok.json")
        XCTAssertEqual(face.landmarks[67], Point(67, 68))
        XCTAssertEqual(face.sharpness, 50.5)
    }

    /// Every truncation of a sidecar is refused (none crashes, none half-reads).
    func testTruncatedFilesAreRefused() throws {
        let text = try SidecarTests.knownFace().json()
        for n in 0..<(text.count - 1) {  // text.count - 1: all but the final newline, a whole document
            XCTAssertThrowsError(try AlignedFace.parse(Array(text[0..<n]), path: "cut.json"), "\(n) bytes") { e in
                XCTAssertEqual((e as? FaceSwapError)?.status, .decode)
            }
        }
        refused("{\"size\":64,", ["not valid JSON", "unexpected end of input"])
        refused("", ["not valid JSON"])
    }

    /// Wrong types, counts and ranges are named with the key and what was found.
    func testWrongTypesAndShapesAreRefusedByName() {
        func D(_ changes: [String: String] = [:], removing: Set<String> = []) -> String {
            SidecarTests.document(changes, removing: removing)
        }
        refused(D(["size": "\"64\""]), ["\"size\" is a string"])
        refused(D(["size": "64.5"]), ["\"size\"", "not a whole number"])
        refused(D(["size": "0"]), ["\"size\"", "outside"])
        refused(D(["size": "null"]), ["\"size\" is null"])
        refused(D(["padding": "[0.1]"]), ["\"padding\" is an array"])
        refused(D(["padding": "0.5"]), ["\"padding\" is 0.5, outside 0-0.45"])
        refused(D(["transform": "[2,0,-10,0,2]"]), ["\"transform\" has 5 entries, not 6"])
        refused(D(["transform": "[2,0,-10,0,2,\"-20\"]"]), ["\"transform\"[5] is a string"])
        refused(D(["transform": "{}"]), ["\"transform\" is an object"])
        refused(D(["landmarks": "[" + (0..<67).map { _ in "[1,2]" }.joined(separator: ",") + "]"]), ["67 points, not 68"])
        refused(D(["landmarks": "[[1]" + String(repeating: ",[1,2]", count: 67) + "]"]), ["\"landmarks\"[0] has 1 entry, not 2"])
        // JSON has no infinity or NaN; a number too large for a double is the nearest thing.
        refused(D(["landmarks": "[[1,2],[1e999,0]" + String(repeating: ",[1,2]", count: 66) + "]"]), ["not valid JSON", "1e999"])
        refused(D(["landmarks": "true"]), ["\"landmarks\" is true or false"])
        refused(D(["frame": "\"7\""]), ["\"frame\" is a string"])
        refused(D(["frame": "1.5"]), ["\"frame\"", "not a whole number"])
        refused(D(["face": "-1"]), ["\"face\"", "outside"])
        refused(D(["source": "5"]), ["\"source\" is a number, not a string"])
        refused(D(["sharpness": "\"sharp\""]), ["\"sharpness\" is a string"])
        for key in ["size", "padding", "transform", "landmarks"] {
            refused(D(removing: [key]), ["no \"\(key)\""])
        }
    }

    /// What is not JSON at all, or JSON of another shape, is refused as such.
    func testMalformedFilesAreRefused() {
        refused("[]", ["the document is an array, not an object"])
        refused("42", ["the document is a number, not an object"])
        refused("{", ["not valid JSON"])
        refused(SidecarTests.document() + " x", ["not valid JSON"])  // trailing garbage
        refused(SidecarTests.document().replacingOccurrences(of: ":", with: "=", options: [], range: nil), ["not valid JSON"])
        refused([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13], ["not valid JSON"])  // a PNG
        var badUTF8 = Array(SidecarTests.document().utf8)
        badUTF8[badUTF8.firstIndex(of: UInt8(ascii: "."))!] = 0xFF  // inside "a.jpg"
        refused(badUTF8, ["not valid JSON"])
        var nul = Array(SidecarTests.document().utf8)
        nul.insert(0, at: 1)
        refused(nul, ["not valid JSON"])
        // Deep nesting: refused or skipped without exhausting the stack.
        refused(String(repeating: "[", count: 100_000), ["not valid JSON"])
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        refused(SidecarTests.document(["sharpness": deep]), ["\"sharpness\" is an array"])
    }

    /// A face that cannot be written as a sidecar (not 68 points) is refused, not written.
    func testWritingNeeds68Landmarks() throws {
        var face = try SidecarTests.knownFace()
        face.landmarks.removeLast()
        XCTAssertThrowsError(try face.json()) { e in
            XCTAssertEqual((e as? FaceSwapError)?.status, .invalidArgument)
        }
    }

    /// `faceswap extract` on a real photo: the sidecar on disk says where the face came from, and
    /// its landmarks are a fresh 68-point fit of the photo carried through its transform.
    func testExtractorWritesSidecarOfTheFace() throws {
        try requireData()
        let folder = NSTemporaryDirectory() + "/fs-sidecar-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var options = ExtractOptions()
        options.size = 128
        let path = TestData.face("fb_carl_sagan2.jpg")
        let stats = try Extractor(detector: Shared.detector, landmarker: Shared.landmarker, options: options).run([path], into: folder)
        XCTAssertEqual(stats.written, 1)
        let bytes = try Files.read(folder + "/fb_carl_sagan2_0.json")
        let face = try AlignedFace.parse(bytes, path: "fb_carl_sagan2_0.json")
        XCTAssertEqual(face.source, path)
        XCTAssertEqual(face.frame, -1)
        XCTAssertEqual(face.faceIndex, 0)
        XCTAssertEqual(face.size, 128)
        XCTAssertEqual(face.padding, options.padding)

        let image = try Image.load(path: path)
        let fit = try Shared.landmarker.fit(image, try Shared.detector.detect(image)[0])
        let expected = fit.landmarks.map(face.transform.apply)
        XCTAssertLessThan(zip(face.landmarks, expected).map { $0.distance(to: $1) }.max() ?? .infinity, 1e-9)
        // The transform is the aligner's for that fit.
        XCTAssertEqual(face.transform.array, try Aligner.transform(for: fit, size: 128, padding: options.padding).array)
        let crop = try Image.load(path: folder + "/fb_carl_sagan2_0.png")
        XCTAssertEqual([crop.width, crop.height], [128, 128])
    }
}
