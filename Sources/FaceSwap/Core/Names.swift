/// The names of every public enumeration, in one table: the C ABI (fs_enum_name, fs_enum_parse),
/// the CLI, the Python binding and the frei0r plugin all read them from here.
public enum EnumKind: Int32, Sendable, CaseIterable {
    case status = 1, pixelFormat = 2, codec = 3, detectorBackend = 4, convertMode = 5, colorMode = 6, blendMode = 7, modelKind = 8

    /// One value: its canonical name first, then the other spellings accepted when parsing.
    public struct Entry: Sendable {
        public let value: Int32
        public let names: [String]
        public var name: String { names[0] }
    }

    public var title: String {
        switch self {
        case .status: return "status"
        case .pixelFormat: return "pixel format"
        case .codec: return "codec"
        case .detectorBackend: return "detector backend"
        case .convertMode: return "conversion mode"
        case .colorMode: return "colour mode"
        case .blendMode: return "blend mode"
        case .modelKind: return "learned method"
        }
    }

    public var entries: [Entry] {
        func e(_ v: Int32, _ n: String...) -> Entry { Entry(value: v, names: n) }
        switch self {
        case .status:
            return [e(0, "ok"), e(1, "invalid-argument"), e(2, "unsupported"), e(3, "too-large"), e(4, "decode"),
                    e(5, "io"), e(6, "model"), e(7, "no-face"), e(8, "out-of-memory"), e(9, "cancelled"),
                    e(10, "buffer-too-small"), e(11, "internal")]
        case .pixelFormat:
            return [e(1, "gray8", "gray", "grey"), e(2, "bgr8", "bgr"), e(3, "rgb8", "rgb"),
                    e(4, "bgra8", "bgra"), e(5, "rgba8", "rgba")]
        case .codec:
            return [e(0, "auto"), e(1, "jpeg", "jpg"), e(2, "png")]
        case .detectorBackend:
            return [e(0, "hog"), e(1, "cnn", "mmod"), e(2, "haar")]
        case .convertMode:
            return [e(0, "affine"), e(1, "delaunay")]
        case .colorMode:
            return [e(0, "none"), e(1, "mean"), e(2, "reinhard"), e(3, "hist", "histogram")]
        case .blendMode:
            return [e(0, "alpha"), e(1, "poisson"), e(2, "multiband"), e(3, "poisson-exact")]
        case .modelKind:
            return [e(0, "autoencoder"), e(1, "landmark-gan", "gan")]
        }
    }

    /// The canonical name of `value`, or nil when the enumeration has no such value.
    public func name(_ value: Int32) -> String? { entries.first { $0.value == value }?.name }

    /// The value a name (or alias) stands for: case-insensitive, '_' read as '-'.
    public func value(_ name: String) -> Int32? {
        let key = String(name.lowercased().map { $0 == "_" ? "-" : $0 })
        return entries.first { $0.names.contains(key) }?.value
    }

    /// The value of `name`, or an error listing the canonical names.
    public func parse(_ name: String) throws -> Int32 {
        guard let v = value(name) else {
            throw FaceSwapError(.invalidArgument, "unknown \(title) '\(name)': use \(canonicalNames.joined(separator: ", "))")
        }
        return v
    }

    public var canonicalNames: [String] { entries.map(\.name) }
}
