#if canImport(Glibc)
import Glibc
#endif

/// stderr output and a progress bar shown only on a terminal.
enum Terminal {
    static func error(_ s: String) { fputs(s + "\n", stderr) }
    static var stderrIsTTY: Bool { isatty(2) == 1 }

    /// A one-line progress bar: "label [#####.....] 12/40  3.1/s  ETA 9s"; quiet unless stderr is a TTY.
    final class Progress {
        let label: String
        let unit: String
        var total: Int
        /// Extra text after the bar (e.g. the current losses).
        var note = ""
        let enabled: Bool
        let start = Terminal.now()
        var last = 0.0
        var shown = false
        init(_ label: String, total: Int, unit: String = "fps") {
            self.label = label
            self.unit = unit
            self.total = total
            enabled = Terminal.stderrIsTTY
        }
        func update(_ done: Int, total newTotal: Int) {
            total = newTotal
            update(done)
        }
        /// Ends the bar's line (if one was drawn).
        func finish() {
            if enabled && shown { fputs("\n", stderr) }
            shown = false
        }
        func update(_ done: Int) {
            guard enabled else { return }
            shown = true
            let t = Terminal.now()
            if done < total && t - last < 0.1 { return }
            last = t
            let width = 30
            let frac = total > 0 ? min(1, Double(done) / Double(total)) : 0
            let filled = Int(frac * Double(width))
            let rate = Double(done) / max(t - start, 1e-6)
            let eta = rate > 0 && total > done ? Int(Double(total - done) / rate) : 0
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let rateText = rate >= 10 ? String(Int(rate)) : String(Double(Int(rate * 10)) / 10)
            fputs("\r\(label) [\(bar)] \(done)/\(total)  \(rateText) \(unit)  ETA \(eta)s \(note)", stderr)
        }
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
