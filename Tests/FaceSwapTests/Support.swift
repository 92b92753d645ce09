import FaceSwap
import XCTest

/// The shared data folder: $FACESWAP_DATA, else ../shared/data beside the repository.
enum TestData {
    static let root: String = {
        if let env = Files.environment("FACESWAP_DATA") { return env }
        let here = #filePath  // .../Tests/FaceSwapTests/Support.swift
        var parts = here.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/../shared/data"
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

func skipUnlessData() throws {
    try XCTSkipUnless(TestData.available, "shared data not found at \(TestData.root)")
}
