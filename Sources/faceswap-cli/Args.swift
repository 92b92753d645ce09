import FaceSwap

/// A usage error: printed as one line, exit code 2.
struct UsageError: Error { let message: String }

/// A tiny command-line parser: --flag, --option VALUE, --option=VALUE, positionals.
struct Args {
    var positional: [String] = []
    var values: [String: String] = [:]
    var flags: Set<String> = []

    /// `valued`: options that take a value; `switches`: options that do not.
    init(_ argv: ArraySlice<String>, valued: Set<String>, switches: Set<String>) throws {
        var i = argv.startIndex
        var onlyPositional = false
        while i < argv.endIndex {
            let a = argv[i]
            i += 1
            if onlyPositional || !a.hasPrefix("-") || a == "-" { positional.append(a); continue }
            if a == "--" { onlyPositional = true; continue }
            var name = a, inline: String? = nil
            // Split at the first '=' scalar: as a Character, "=" followed by a combining mark
            // (a value starting with one) is a different grapheme and would not be found.
            if let eq = a.unicodeScalars.firstIndex(of: "=") {
                name = String(a.unicodeScalars[..<eq])
                inline = String(a.unicodeScalars[a.unicodeScalars.index(after: eq)...])
            }
            if name == "-h" { name = "--help" }
            if switches.contains(name) {
                if inline != nil { throw UsageError(message: "\(name) takes no value") }
                flags.insert(name)
            } else if valued.contains(name) {
                if let inline { values[name] = inline; continue }
                guard i < argv.endIndex else { throw UsageError(message: "\(name) needs a value") }
                values[name] = argv[i]
                i += 1
            } else {
                throw UsageError(message: "unknown option '\(name)' (see --help)")
            }
        }
    }

    func has(_ flag: String) -> Bool { flags.contains(flag) }
    func string(_ name: String) -> String? { values[name] }

    func int(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
        guard let s = values[name] else { return nil }
        guard let v = Int(s), range.contains(v) else {
            throw UsageError(message: "\(name) must be a whole number in \(range.lowerBound)–\(range.upperBound), not '\(s)'")
        }
        return v
    }

    func double(_ name: String, _ range: ClosedRange<Double>) throws -> Double? {
        guard let s = values[name] else { return nil }
        guard let v = Double(s), v.isFinite, range.contains(v) else {
            throw UsageError(message: "\(name) must be a number in \(range.lowerBound)–\(range.upperBound), not '\(s)'")
        }
        return v
    }

    func choice(_ name: String, _ allowed: [String]) throws -> String? {
        guard let s = values[name] else { return nil }
        guard allowed.contains(s) else {
            throw UsageError(message: "\(name) must be one of \(allowed.joined(separator: ", ")), not '\(s)'")
        }
        return s
    }

    /// Detector options shared by every command that detects.
    func detectorOptions() throws -> DetectorOptions {
        var o = DetectorOptions()
        if let b = try choice("--detector", ["hog", "cnn", "haar"]) { o.backend = DetectorBackend(name: b)! }
        if let v = try int("--upsample", 0...3) { o.upsample = v }
        if let v = try int("--min-face", 1...ImageLimits.maxSide) { o.minFaceSize = v }
        if let v = try double("--downscale", 0...1) { o.downscale = v }
        if let v = try double("--margin", 0...4) { o.margin = v }
        if let v = try double("--threshold", -10...10) { o.threshold = v }
        return o
    }

    static let detectorValued: Set<String> = ["--detector", "--upsample", "--min-face", "--downscale", "--margin",
                                              "--threshold", "--landmarks-model"]
    static let detectorHelp = """
      --detector hog|cnn|haar   face detector backend (default hog: dlib HOG)
      --min-face PX             smallest face to find, in pixels (default 80); larger is faster:
                                320 scans a quarter-size image
      --downscale S             scan at scale S in (0,1] instead of the automatic one
      --upsample N              double the image N times before scanning (0-3; finds small faces)
      --margin M                grow the square face box by M (default 0.5)
      --threshold T             detector score threshold (default 0)
      --landmarks-model PATH    dlib shape predictor (default: shape_predictor_68_face_landmarks.dat)
    """
}
