import CFaceShim
#if canImport(Glibc)
import Glibc
#endif

/// Line charts for people (the training loss curve).
public enum Chart {
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        /// B, G, R
        public var colour: [UInt8]
        public init(name: String, points: [(x: Double, y: Double)], colour: [UInt8]) {
            self.name = name; self.points = points; self.colour = colour
        }
    }

    static func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1000 { return String(Int(v.rounded())) }
        let digits = a >= 1 ? 2 : a >= 0.1 ? 3 : 4
        var s = String(Int((v * pow(10, Double(digits))).rounded()))
        let neg = s.hasPrefix("-")
        if neg { s.removeFirst() }
        while s.count <= digits { s = "0" + s }
        s.insert(".", at: s.index(s.endIndex, offsetBy: -digits))
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return (neg ? "-" : "") + s
    }

    /// A white chart with axes, 5 ticks on each, a title and a legend.
    public static func lines(_ series: [Series], title: String, xLabel: String, width: Int = 800, height: Int = 450) throws -> Image {
        let img = try Image(width: width, height: height, format: .bgr8)
        memset(img.data, 255, img.stride * height)
        let black: [UInt8] = [0, 0, 0], grey: [UInt8] = [210, 210, 210]
        let left = 70.0, right = Double(width) - 20, top = 40.0, bottom = Double(height) - 50
        let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let x0 = all.map(\.x).min() ?? 0, x1 = max((all.map(\.x).max() ?? 1), x0 + 1e-9)
        let y0 = min(0, all.map(\.y).min() ?? 0), y1 = max((all.map(\.y).max() ?? 1) * 1.05, y0 + 1e-9)
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * (right - left) }
        func py(_ y: Double) -> Double { bottom - (y - y0) / (y1 - y0) * (bottom - top) }
        for i in 0...4 {
            let fx = x0 + (x1 - x0) * Double(i) / 4, fy = y0 + (y1 - y0) * Double(i) / 4
            try shim(fsx_draw_polyline(img.view, [Float(px(fx)), Float(top), Float(px(fx)), Float(bottom)], 2, grey, 1), "chart")
            try shim(fsx_draw_polyline(img.view, [Float(left), Float(py(fy)), Float(right), Float(py(fy))], 2, grey, 1), "chart")
            try shim(fsx_draw_text(img.view, label(fx), px(fx) - 12, bottom + 18, 0.45, black), "chart")
            try shim(fsx_draw_text(img.view, label(fy), 8, py(fy) + 5, 0.45, black), "chart")
        }
        try shim(fsx_draw_polyline(img.view, [Float(left), Float(top), Float(left), Float(bottom), Float(right), Float(bottom)], 3, black, 1), "chart")
        try shim(fsx_draw_text(img.view, title, left, 25, 0.6, black), "chart")
        try shim(fsx_draw_text(img.view, xLabel, (left + right) / 2 - 30, Double(height) - 12, 0.5, black), "chart")
        for (k, s) in series.enumerated() {
            let pts = s.points.filter { $0.x.isFinite && $0.y.isFinite }.flatMap { [Float(px($0.x)), Float(py($0.y))] }
            try shim(fsx_draw_polyline(img.view, pts, Int32(pts.count / 2), s.colour, 2), "chart")
            let ly = top + 20 + Double(k) * 20
            try shim(fsx_draw_polyline(img.view, [Float(right - 150), Float(ly - 5), Float(right - 120), Float(ly - 5)], 2, s.colour, 2), "chart")
            try shim(fsx_draw_text(img.view, s.name, right - 112, ly, 0.5, black), "chart")
        }
        return img
    }
}
