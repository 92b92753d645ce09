import CFaceSwapABI

/// Minimal JSON writing for the CLI's --json outputs.
///
/// Kept by hand on purpose: the CLI only writes two small documents of fixed keys, numbers and
/// booleans (`detect --json`, `eval --json`; no strings, so nothing to escape), and never parses
/// JSON; non-finite numbers become null.
enum JSON {
    static func number(_ v: Double) -> String {
        guard v.isFinite else { return "null" }
        let r = (v * 1000).rounded() / 1000
        if r == r.rounded() && abs(r) < 1e15 { return String(Int(r)) }
        return "\(r)"
    }
    static func number(_ v: Float) -> String { number(Double(v)) }
    static func rect(_ r: fs_rect) -> String { [r.x, r.y, r.width, r.height].map(number).joined(separator: ",") }
    static func face(_ f: fs_face) -> String {
        let lm = landmarks(f).map { "[\(number($0.x)),\(number($0.y))]" }.joined(separator: ",")
        return "{\"box\":[\(rect(f.box))],\"rect\":[\(rect(f.rect))],\"score\":\(number(f.score)),\"landmarks\":[\(lm)]}"
    }
}
