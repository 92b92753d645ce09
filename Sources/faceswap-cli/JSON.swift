import FaceSwap

/// Minimal JSON writing for the CLI's --json outputs.
///
/// Kept by hand on purpose (unlike the face sidecar, which the library both writes and reads
/// through nlohmann::json in the shim): the CLI only writes, two small documents of fixed keys,
/// numbers and booleans (`detect --json`, `eval --json`; no strings, so nothing to escape), and
/// never parses JSON; non-finite numbers become null. A library here would need a C bridge for a
/// whole value tree (the CLI links the Swift core, not the C++ shim) larger than this file.
enum JSON {
    static func number(_ v: Double) -> String {
        guard v.isFinite else { return "null" }
        let r = (v * 1000).rounded() / 1000
        if r == r.rounded() && abs(r) < 1e15 { return String(Int(r)) }
        return "\(r)"
    }
    static func face(_ f: Face) -> String {
        let box = [f.box.x, f.box.y, f.box.width, f.box.height].map(number).joined(separator: ",")
        let rect = [f.rect.x, f.rect.y, f.rect.width, f.rect.height].map(number).joined(separator: ",")
        let lm = f.landmarks.map { "[\(number($0.x)),\(number($0.y))]" }.joined(separator: ",")
        return "{\"box\":[\(box)],\"rect\":[\(rect)],\"score\":\(number(f.score)),\"landmarks\":[\(lm)]}"
    }
}
