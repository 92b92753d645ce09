/// The sidecar of one extracted face (`NAME.json` beside `NAME.png`): where it came from, the
/// image → crop similarity and the 68 landmarks in crop pixels.
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

    var json: String {
        func esc(_ s: String) -> String {
            var o = ""
            for ch in s.unicodeScalars {
                switch ch {
                case "\"": o += "\\\""
                case "\\": o += "\\\\"
                default: o += ch.value < 0x20 ? "?" : String(ch)
                }
            }
            return o
        }
        let pts = landmarks.map { "[\($0.x),\($0.y)]" }.joined(separator: ",")
        return "{\"source\":\"\(esc(source))\",\"frame\":\(frame),\"face\":\(faceIndex),\"size\":\(size)," +
            "\"padding\":\(padding),\"transform\":[\(transform.array.map { "\($0)" }.joined(separator: ","))]," +
            "\"sharpness\":\(sharpness),\"landmarks\":[\(pts)]}\n"
    }

    /// Reads the fields training needs (size, padding, landmarks) from a sidecar's text.
    public static func parse(_ text: String, path: String) throws -> AlignedFace {
        func bad(_ s: String) -> FaceSwapError { FaceSwapError(.decode, "'\(path)': \(s)") }
        func numbers(after key: String) throws -> [Double] {
            let needle = Array("\"\(key)\":"), chars = Array(text)
            guard let at = chars.indices.first(where: { i in
                i + needle.count <= chars.count && Array(chars[i..<(i + needle.count)]) == needle
            }) else { throw bad("no \"\(key)\"") }
            var out: [Double] = []
            var token = ""
            var depth = 0
            for ch in chars[(at + needle.count)...] {
                if ch == "[" { depth += 1; continue }
                if ch.isNumber || ch == "-" || ch == "." || ch == "e" || ch == "E" || ch == "+" { token.append(ch); continue }
                if !token.isEmpty {
                    guard let v = Double(token), v.isFinite else { throw bad("\"\(key)\" holds a bad number '\(token)'") }
                    out.append(v)
                    token = ""
                }
                if ch == "]" { depth -= 1; if depth <= 0 { break } }
                if depth == 0 && (ch == "," || ch == "}") { break }
            }
            return out
        }
        let size = try numbers(after: "size")
        let padding = try numbers(after: "padding")
        let t = try numbers(after: "transform")
        let l = try numbers(after: "landmarks")
        guard size.count == 1, padding.count == 1, let transform = Affine(t), l.count == 136 else {
            throw bad("not a face sidecar written by `faceswap extract` (size, padding, transform, 68 landmarks)")
        }
        let landmarks = stride(from: 0, to: 136, by: 2).map { Point(l[$0], l[$0 + 1]) }
        return AlignedFace(source: "", frame: -1, faceIndex: 0, size: Int(size[0]), padding: padding[0],
                           transform: transform, landmarks: landmarks, sharpness: 0)
    }
}
