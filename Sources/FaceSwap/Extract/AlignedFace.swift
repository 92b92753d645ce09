import CFaceShim
#if canImport(Glibc)
import Glibc
#endif

/// The sidecar of one extracted face (`NAME.json` beside `NAME.png`): where it came from, the
/// image → crop similarity and the 68 landmarks in crop pixels.
///
///     {"source":"in/a.jpg","frame":-1,"face":0,"size":256,"padding":0.25,
///      "transform":[a,b,c,d,e,f],"sharpness":123.4,"landmarks":[[x,y], … 68 points]}
///
/// Written and read by a real JSON library (nlohmann::json, header-only, in the shim:
/// Sources/CFaceShim/sidecar.cpp) rather than by hand: the reader refuses anything but a
/// well-formed document of this shape with the reason (syntax error and where, missing key, wrong
/// type, wrong count, non-finite number), and any source path is escaped and read back exactly.
public struct AlignedFace: Sendable {
    public var source: String
    /// Video frame index, or -1 for a still image.
    public var frame: Int
    public var faceIndex: Int
    public var size: Int
    public var padding: Double
    public var transform: Affine
    public var landmarks: [Point]
    public var sharpness: Double

    public init(source: String, frame: Int, faceIndex: Int, size: Int, padding: Double,
                transform: Affine, landmarks: [Point], sharpness: Double) {
        self.source = source
        self.frame = frame
        self.faceIndex = faceIndex
        self.size = size
        self.padding = padding
        self.transform = transform
        self.landmarks = landmarks
        self.sharpness = sharpness
    }

    static let points = Int(FSX_SIDECAR_POINTS)

    /// The sidecar's JSON text (one line, ending in a newline).
    public func json() throws -> [UInt8] {
        guard landmarks.count == AlignedFace.points else {
            throw FaceSwapError(.invalidArgument, "a face sidecar holds \(AlignedFace.points) landmarks, not \(landmarks.count)")
        }
        var s = fsx_sidecar()
        s.frame = Int64(frame)
        s.face = Int64(faceIndex)
        s.size = Int64(size)
        s.padding = padding
        s.sharpness = sharpness
        withUnsafeMutableBytes(of: &s.transform) { raw in
            let t = raw.bindMemory(to: Double.self)
            for (i, v) in transform.array.enumerated() { t[i] = v }
        }
        withUnsafeMutableBytes(of: &s.landmarks) { raw in
            let l = raw.bindMemory(to: Double.self)
            for (i, p) in landmarks.enumerated() { l[2 * i] = p.x; l[2 * i + 1] = p.y }
        }
        var text: UnsafeMutablePointer<CChar>?
        var count = 0
        try shim(fsx_sidecar_write(source, &s, &text, &count), "face sidecar")
        defer { free(text) }
        guard let text else { throw FaceSwapError(.internal, "face sidecar: no text written") }
        return text.withMemoryRebound(to: UInt8.self, capacity: count) { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }

    /// Reads a sidecar's text; a malformed one is refused with `.decode` and the reason.
    public static func parse(_ bytes: [UInt8], path: String) throws -> AlignedFace {
        var s = fsx_sidecar()
        var source: UnsafeMutablePointer<CChar>?
        let rc = bytes.withUnsafeBytes { raw in
            fsx_sidecar_read(raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count, &s, &source)
        }
        defer { free(source) }
        if rc != 0 {
            throw FaceSwapError(Status(rawValue: rc) ?? .internal,
                                "'\(path)': not a face sidecar written by `faceswap extract`: \(String(cString: fsx_error()))")
        }
        let t = withUnsafeBytes(of: s.transform) { Array($0.bindMemory(to: Double.self)) }
        let l = withUnsafeBytes(of: s.landmarks) { Array($0.bindMemory(to: Double.self)) }
        guard let transform = Affine(t) else { throw FaceSwapError(.decode, "'\(path)': the transform is not finite") }
        return AlignedFace(source: source.map { String(cString: $0) } ?? "", frame: Int(s.frame), faceIndex: Int(s.face),
                           size: Int(s.size), padding: s.padding, transform: transform,
                           landmarks: (0..<points).map { Point(l[2 * $0], l[2 * $0 + 1]) }, sharpness: s.sharpness)
    }

    public static func parse(_ text: String, path: String) throws -> AlignedFace {
        try parse(Array(text.utf8), path: path)
    }
}
