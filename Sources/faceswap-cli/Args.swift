import CFaceSwapABI

/// A usage error: printed as one line, exit code 2.
struct UsageError: Error { let message: String }

/// A tiny command-line parser: --flag, --option VALUE, --option=VALUE, positionals.
struct Args {
    var positional: [String] = []
    var values: [String: String] = [:]   // the last value of each option
    var lists: [String: [String]] = [:]  // every value of each option, in order (repeatable ones)
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
                let value: String
                if let inline { value = inline } else {
                    guard i < argv.endIndex else { throw UsageError(message: "\(name) needs a value") }
                    value = argv[i]
                    i += 1
                }
                values[name] = value
                lists[name, default: []].append(value)
            } else {
                throw UsageError(message: "unknown option '\(name)' (see --help)")
            }
        }
    }

    func has(_ flag: String) -> Bool { flags.contains(flag) }
    func string(_ name: String) -> String? { values[name] }
    /// Every value of a repeatable option, in the order given.
    func strings(_ name: String) -> [String] { lists[name] ?? [] }

    /// A whole number given to a CLI-only flag (not a library option), in `range`.
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

    /// The value of `flag` for the library option `name` of `kind`, as a number: an enum name is
    /// read by fs_enum_parse, a number checked by fs_option_check. Whether it is accepted is the
    /// library's to say (its message); the CLI adds which flag it came from.
    func optionValue(_ flag: String, _ kind: fs_options_kind, _ name: String) throws -> Double? {
        guard let s = values[flag] else { return nil }
        let info = try Options.info(kind, name)
        if info.type == FS_OPTION_ENUM {
            var v: Int32 = 0
            guard fs_enum_parse(info.enum_kind, s, &v) == FS_OK else { throw UsageError(message: "\(flag) \(s): \(Options.message())") }
            return Double(v)
        }
        guard let v = Double(s) else {
            throw UsageError(message: "\(flag) must be a number (\(String(cString: info.range_text))), not '\(s)'")
        }
        guard fs_option_check(kind, name, v) == FS_OK else { throw UsageError(message: "\(flag) \(s): \(Options.message())") }
        return v
    }

    /// Sets a float field of a C options struct from `flag` (when given).
    func set<S>(_ flag: String, _ kind: fs_options_kind, _ name: String, _ field: WritableKeyPath<S, Float>, in s: inout S) throws {
        if let v = try optionValue(flag, kind, name) { s[keyPath: field] = Float(v) }
    }

    /// Sets a whole-number field of a C options struct from `flag` (when given).
    func set<S>(_ flag: String, _ kind: fs_options_kind, _ name: String, _ field: WritableKeyPath<S, Int32>, in s: inout S) throws {
        if let v = try optionValue(flag, kind, name) { s[keyPath: field] = Int32(v) }
    }

    /// Sets an enum field of a C options struct from `flag`'s name (when given).
    func set<S, E: RawRepresentable>(_ flag: String, _ kind: fs_options_kind, _ name: String, _ field: WritableKeyPath<S, E>,
                                     in s: inout S) throws where E.RawValue == UInt32 {
        if let v = try optionValue(flag, kind, name), let e = E(rawValue: UInt32(Int32(v))) { s[keyPath: field] = e }
    }

    /// Sets a 0/1 field from a switch's presence (`whenPresent`: the value it sets).
    func set<S>(switch flag: String, _ field: WritableKeyPath<S, Int32>, to whenPresent: Bool, in s: inout S) {
        if has(flag) { s[keyPath: field] = whenPresent ? 1 : 0 }
    }

    /// Tracking and smoothing options shared by `video` and `reenact`.
    func streamOptions() throws -> fs_stream_options {
        var o = fs_stream_options()
        try check(fs_stream_options_init(&o, MemoryLayout<fs_stream_options>.size))
        try set("--detect-every", FS_OPTIONS_STREAM, "detect_interval", \.detect_interval, in: &o)
        try set("--smooth-cutoff", FS_OPTIONS_STREAM, "min_cutoff", \.min_cutoff, in: &o)
        try set("--smooth-beta", FS_OPTIONS_STREAM, "beta", \.beta, in: &o)
        return o
    }

    /// Detector options shared by every command that detects.
    func detectorOptions() throws -> fs_detector_options {
        var o = fs_detector_options()
        try check(fs_detector_options_init(&o, MemoryLayout<fs_detector_options>.size))
        let k = FS_OPTIONS_DETECTOR
        try set("--detector", k, "backend", \.backend, in: &o)
        try set("--upsample", k, "upsample", \.upsample, in: &o)
        try set("--min-face", k, "min_face_size", \.min_face_size, in: &o)
        try set("--downscale", k, "downscale", \.downscale, in: &o)
        try set("--margin", k, "margin", \.margin, in: &o)
        try set("--threshold", k, "threshold", \.threshold, in: &o)
        return o
    }

    static let detectorValued: Set<String> = ["--detector", "--upsample", "--min-face", "--downscale", "--margin",
                                              "--threshold", "--landmarks-model"]
    static let detectorHelp = """
      --detector \(Options.names(FS_ENUM_DETECTOR_BACKEND))   face detector backend (\(Options.about(FS_OPTIONS_DETECTOR, "backend")): dlib HOG)
      --min-face PX             smallest face to find, in pixels (\(Options.about(FS_OPTIONS_DETECTOR, "min_face_size")));
                                larger is faster: 320 scans a quarter-size image
      --downscale S             scan at scale S in (0,1] instead of the automatic one (0)
      --upsample N              double the image N times before scanning (\(Options.about(FS_OPTIONS_DETECTOR, "upsample")))
      --margin M                grow the square face box by M (\(Options.about(FS_OPTIONS_DETECTOR, "margin")))
      --threshold T             detector score threshold (\(Options.about(FS_OPTIONS_DETECTOR, "threshold")))
      --landmarks-model PATH    dlib shape predictor (default: shape_predictor_68_face_landmarks.dat)
    """
}

/// What the library says of its options and enums (fs_option_find, fs_enum_*): the CLI's help
/// texts take every default, range and name from here and keep no copy.
enum Options {
    static func info(_ kind: fs_options_kind, _ name: String) throws -> fs_option_info {
        var info = fs_option_info()
        info.struct_size = UInt32(MemoryLayout<fs_option_info>.size)
        try check(fs_option_find(kind, name, &info))
        return info
    }

    /// The library's last message without the function name it starts with ("fs_option_check: ").
    static func message() -> String {
        let m = lastError()
        guard m.hasPrefix("fs_"), let colon = m.firstIndex(of: ":") else { return m }
        return String(m[m.index(after: colon)...].drop(while: { $0 == " " }))
    }

    /// "default 0.6; 0–1" (enums: "default delaunay"), for help texts.
    static func about(_ kind: fs_options_kind, _ name: String) -> String {
        guard let i = try? info(kind, name) else { preconditionFailure("the library has no option \(name): \(lastError())") }
        let d = String(cString: i.default_text)
        return i.type == FS_OPTION_ENUM || i.type == FS_OPTION_STRING ? "default \(d)" : "default \(d); \(String(cString: i.range_text))"
    }

    /// The default alone: "18", "veryfast".
    static func defaultText(_ kind: fs_options_kind, _ name: String) -> String {
        guard let i = try? info(kind, name) else { preconditionFailure("the library has no option \(name): \(lastError())") }
        return String(cString: i.default_text)
    }

    /// The canonical names of an enum as a help text shows them: "affine|delaunay".
    static func names(_ kind: fs_enum_kind) -> String {
        var names: [String] = []
        var value: Int32 = 0, count = 1, i = 0
        while i < count, fs_enum_value_at(kind, i, &value, &count) == FS_OK {
            if let n = fs_enum_name(kind, value) { names.append(String(cString: n)) }
            i += 1
        }
        return names.joined(separator: "|")
    }

    /// Checks early that an image path's extension names a codec the library writes (fs_enum_parse
    /// of FS_ENUM_CODEC), so that no work is done for an output that cannot be saved.
    static func checkImagePath(_ flag: String, _ path: String) throws {
        let base = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        let ext = base.contains(".") ? String(base.split(separator: ".", omittingEmptySubsequences: false).last!) : ""
        var codec: Int32 = 0
        guard fs_enum_parse(FS_ENUM_CODEC, ext, &codec) == FS_OK, codec != Int32(FS_CODEC_AUTO.rawValue) else {
            let writable = Options.names(FS_ENUM_CODEC).split(separator: "|").filter { $0 != "auto" }
            let what = ext.isEmpty ? "a name without an extension" : "'.\(ext)'"
            throw UsageError(message: "\(flag) '\(path)': \(what) is not an image format faceswap writes (it writes " +
                             "\(writable.joined(separator: " and "))): end the name with .jpg or .png")
        }
    }
}
