// The issue-11 goals (and issue 12 item 6: the stream reenactor against the swap stream) as
// ratios measured in one run: each figure next to its floor (the same work done directly with
// OpenCV / dlib / ffmpeg, or the library's own decode), the ratio and the goal.
// Ratios carry the claim on a noisy machine; the absolute times are printed beside them.
import FaceSwap
#if canImport(Glibc)
import Glibc
#endif

struct GoalRow {
    let name: String
    let value: Double       // seconds (or a plain number when unit is "")
    let floorName: String
    let floor: Double
    let limit: Double       // the ratio value/floor must be <= limit
    let unit: String
}

nonisolated(unsafe) var goalRows: [GoalRow] = []
/// Figures reported by faceswap-floor as "@ key milliseconds" lines, in seconds.
nonisolated(unsafe) var floors: [String: Double] = [:]

/// Records a goal: value / floor <= limit. Prints the ratio at once.
func goal(_ name: String, _ value: Double, over floorName: String, _ floor: Double, atMost limit: Double, unit: String = "ms") {
    goalRows.append(GoalRow(name: name, value: value, floorName: floorName, floor: floor, limit: limit, unit: unit))
    let r = floor > 0 ? value / floor : .nan
    print("  ratio: \(name) \(fmt(value, unit)) ÷ \(floorName) \(fmt(floor, unit)) = \(ratio(r)) (goal ≤ \(limit))")
}

func fmt(_ v: Double, _ unit: String) -> String {
    switch unit {
    case "ms": return ms(v)
    case "fps": return "\(Int(v.rounded())) fps"
    default: return "\((v * 1000).rounded() / 1000)"
    }
}

func ratio(_ r: Double) -> String { r.isFinite ? "\((r * 100).rounded() / 100)×" : "n/a" }

/// Runs the sibling faceswap-floor binary with `arguments`, echoes its output, and keeps its
/// "@ key ms" records in `floors` (seconds).
func runFloor(_ arguments: String) {
    let me = CommandLine.arguments[0]
    let dir = me.contains("/") ? String(me[..<me.lastIndex(of: "/")!]) : "."
    let command = "'\(dir)/faceswap-floor' \(arguments) 2>&1"
    print("$ faceswap-floor \(arguments)")
    guard let pipe = popen(command, "r") else { print("  (faceswap-floor did not start)"); return }
    var line = [CChar](repeating: 0, count: 4096)
    while fgets(&line, Int32(line.count), pipe) != nil {
        let text = String(cString: line).trimmingCharacters(in: "\n")
        if text.hasPrefix("@ ") {
            let parts = text.split(separator: " ")
            if parts.count == 3, let v = Double(parts[2]) { floors[String(parts[1])] = v / 1000 }
        } else {
            print(text)
        }
    }
    pclose(pipe)
}

/// The summary table: every goal, met or not.
func printGoals() {
    guard !goalRows.isEmpty else { return }
    print("goals (issues 11 and 12 item 6), this run:")
    for g in goalRows {
        let r = g.floor > 0 ? g.value / g.floor : .nan
        let met = r.isFinite && r <= g.limit
        let pad = String(repeating: " ", count: max(1, 52 - g.name.count))
        print("  \(g.name)\(pad)\(fmt(g.value, g.unit)) ÷ \(g.floorName) \(fmt(g.floor, g.unit)) = \(ratio(r))  goal ≤ \(g.limit)  \(met ? "met" : "NOT met")")
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
