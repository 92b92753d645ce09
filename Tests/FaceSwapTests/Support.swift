import FaceSwap
import XCTest

/// The test data: $FACESWAP_DATA, else Tests/data in the repository (where it ships).
enum TestData {
    static let root: String = {
        if let env = Files.environment("FACESWAP_DATA") { return env }
        let here = #filePath  // .../Tests/FaceSwapTests/Support.swift
        var parts = here.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(2)
        return parts.joined(separator: "/") + "/data"
    }()
    static func face(_ name: String) -> String { root + "/faces/" + name }
    static var available: Bool { Files.exists(root + "/MANIFEST.tsv") }
}

/// Handles are costly to make (model loading): one of each for all tests.
enum Shared {
    static let landmarker = try! Landmarker()
    static let detector = try! Detector()
    static let upsampling: Detector = {
        var o = DetectorOptions()
        o.upsample = 1
        return try! Detector(o)
    }()
}

/// Missing test data fails the test (it ships in the repository): it is never a reason to skip.
struct MissingTestData: Error, CustomStringConvertible {
    var description: String { "test data missing at \(TestData.root) (expected MANIFEST.tsv; it ships under Tests/data, or set FACESWAP_DATA)" }
}

func requireData() throws {
    guard TestData.available else { throw MissingTestData() }
}
