import FaceSwap

/// Minimal JSON writing for the CLI's --json outputs.
enum JSON {
    static func number(_ v: Double) -> String {
        guard v.isFinite else { return "null" }
        let r = (v * 1000).rounded() / 1000
        if r == r.rounded() && abs(r) < 1e15 { return String(Int(r)) }
        return "\(r)"
    }
    static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 { out += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16) }
                else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
    static func face(_ f: Face) -> String {
        let box = [f.box.x, f.box.y, f.box.width, f.box.height].map(number).joined(separator: ",")
        let rect = [f.rect.x, f.rect.y, f.rect.width, f.rect.height].map(number).joined(separator: ",")
        let lm = f.landmarks.map { "[\(number($0.x)),\(number($0.y))]" }.joined(separator: ",")
        return "{\"box\":[\(box)],\"rect\":[\(rect)],\"score\":\(number(f.score)),\"landmarks\":[\(lm)]}"
    }
}
