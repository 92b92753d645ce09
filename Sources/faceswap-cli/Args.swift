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

    /// Sets the library option `name` of `r` from `flag`'s value, when given. Its kind, range and
    /// accepted names come from the library's option table: the CLI keeps no copy of them.
    func set<R: OptionStruct>(_ flag: String, _ name: String, in r: inout R) throws {
        guard let s = values[flag] else { return }
        let field = R.field(name), spec = field.spec
        switch spec.type {
        case .choice:
            guard let v = spec.enumKind?.value(s) else {
                throw UsageError(message: "\(flag) must be one of \(spec.rangeText), not '\(s)'")
            }
            field.set(&r, Double(v))
        case .int, .float, .bool:
            guard let v = Double(s), spec.accepts(v) else {
                let what = spec.type == .float ? "a number" : "a whole number"
                throw UsageError(message: "\(flag) must be \(what) in \(spec.rangeText), not '\(s)'")
            }
            field.set(&r, v)
        case .string:
            preconditionFailure("\(name) is a text option: read it with string()")
        }
    }

    /// Sets a 0/1 library option from a switch's presence (`whenPresent`: the value it sets).
    func set<R: OptionStruct>(switch flag: String, _ name: String, to whenPresent: Bool, in r: inout R) {
        if has(flag) { R.field(name).set(&r, whenPresent ? 1 : 0) }
    }

    /// "default 0.6; 0–1": the option's default and range, for help texts.
    static func about<R: OptionStruct>(_ type: R.Type, _ name: String) -> String {
        let spec = R.spec(name)
        return spec.type == .choice ? "default \(spec.defaultText)" : "default \(spec.defaultText); \(spec.rangeText)"
    }

    /// Tracking and smoothing options shared by `video` and `reenact`.
    func streamOptions() throws -> StreamOptions {
        var o = StreamOptions()
        for (flag, name) in [("--detect-every", "detect_interval"), ("--smooth-cutoff", "min_cutoff"), ("--smooth-beta", "beta")] {
            try set(flag, name, in: &o)
        }
        return o
    }

    /// H.264 settings shared by `video` and `reenact`.
    func videoEncoding() throws -> VideoEncoding {
        var o = VideoEncoding()
        try set("--crf", "crf", in: &o)
        try set("--threads", "threads", in: &o)
        if let p = string("--preset") { o.preset = p }
        try o.validate()
        return o
    }

    /// Detector options shared by every command that detects.
    func detectorOptions() throws -> DetectorOptions {
        var o = DetectorOptions()
        for (flag, name) in [("--detector", "backend"), ("--upsample", "upsample"), ("--min-face", "min_face_size"),
                             ("--downscale", "downscale"), ("--margin", "margin"), ("--threshold", "threshold")] {
            try set(flag, name, in: &o)
        }
        return o
    }

    static let detectorValued: Set<String> = ["--detector", "--upsample", "--min-face", "--downscale", "--margin",
                                              "--threshold", "--landmarks-model"]
    static let detectorHelp = """
      --detector \(EnumKind.detectorBackend.canonicalNames.joined(separator: "|"))   face detector backend (\(about(DetectorOptions.self, "backend")): dlib HOG)
      --min-face PX             smallest face to find, in pixels (\(about(DetectorOptions.self, "min_face_size")));
                                larger is faster: 320 scans a quarter-size image
      --downscale S             scan at scale S in (0,1] instead of the automatic one (0)
      --upsample N              double the image N times before scanning (\(about(DetectorOptions.self, "upsample")))
      --margin M                grow the square face box by M (\(about(DetectorOptions.self, "margin")))
      --threshold T             detector score threshold (\(about(DetectorOptions.self, "threshold")))
      --landmarks-model PATH    dlib shape predictor (default: shape_predictor_68_face_landmarks.dat)
    """
}
