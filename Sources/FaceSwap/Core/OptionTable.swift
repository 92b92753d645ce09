/// Every tunable option of the library, with its name, kind, default, range and a one-line
/// summary, in one table per options struct. The defaults are read from the option structs
/// themselves (their `init()` is the one place a default is written); the ranges are written
/// here only: each struct's `validate()` checks its fields against this table, and the C ABI
/// (fs_option_*), the CLI, the Python binding and the frei0r plugin read names, defaults and
/// ranges from it rather than keeping their own.

/// What kind of value an option holds (numbers are carried as Double in this table).
public enum OptionType: Int32, Sendable {
    case int = 1, float = 2, bool = 3, choice = 4, string = 5
}

/// One option: everything a front door needs to offer it.
public struct OptionSpec: Sendable {
    /// The field name in the C options struct (snake_case), e.g. "detect_interval".
    public let name: String
    public let type: OptionType
    /// For `.choice`: the enumeration whose names it takes.
    public let enumKind: EnumKind?
    /// The default as a number (strings: 0; the string default is `defaultString`).
    public let defaultValue: Double
    public let defaultString: String?
    /// Inclusive bounds unless the matching `…Exclusive` is set.
    public let min: Double, max: Double
    public let minExclusive: Bool, maxExclusive: Bool
    /// Values outside the range that are still accepted, with their meaning (e.g. 0 = automatic).
    public let special: Double?
    public let summary: String

    public func accepts(_ v: Double) -> Bool {
        if let special, v == special { return true }
        guard v.isFinite else { return false }
        if type == .int || type == .bool || type == .choice, v != v.rounded() { return false }
        if type == .choice { return enumKind?.name(Int32(v)) != nil }
        let lowOK = minExclusive ? v > min : v >= min
        let highOK = maxExclusive ? v < max : v <= max
        return lowOK && highOK
    }

    /// "0–1", "(0, 2)", "1–1000", "affine, delaunay", "0 or 1".
    public var rangeText: String {
        switch type {
        case .bool: return "0 or 1"
        case .choice: return enumKind?.canonicalNames.joined(separator: ", ") ?? ""
        case .string: return "text"
        case .int, .float:
            let lo = OptionSpec.number(min, type), hi = OptionSpec.number(max, type)
            let body = min < 0 && !(minExclusive || maxExclusive) ? "\(lo) to \(hi)" : (minExclusive || maxExclusive)
                ? "\(minExclusive ? "(" : "[")\(lo), \(hi)\(maxExclusive ? ")" : "]")" : "\(lo)–\(hi)"
            if let special { return "\(body) or \(OptionSpec.number(special, type))" }
            return body
        }
    }

    public var defaultText: String {
        switch type {
        case .string: return defaultString ?? "none"
        case .choice: return enumKind?.name(Int32(defaultValue)) ?? "\(defaultValue)"
        default: return OptionSpec.number(defaultValue, type)
        }
    }

    static func number(_ v: Double, _ type: OptionType) -> String {
        if type == .int || v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    /// Throws INVALID_ARGUMENT naming the option, the value and the range, in the library's terms.
    public func check(_ v: Double, in group: OptionGroup) throws {
        guard accepts(v) else {
            let shown = type == .choice ? "\(Int64(exactly: v) ?? 0)" : OptionSpec.number(v, type)
            throw FaceSwapError(.invalidArgument, "\(group.cStruct): \(name) \(shown) is outside \(rangeText)")
        }
    }
}

/// One field of a Swift options struct bound to its spec: how to read and write it as a number.
public struct OptionField<Root>: Sendable {
    public let spec: OptionSpec
    let read: @Sendable (Root) -> Double
    let write: @Sendable (inout Root, Double) -> Void
    public func get(_ r: Root) -> Double { read(r) }
    public func set(_ r: inout Root, _ v: Double) { write(&r, v) }
}

extension OptionField {
    private static func make(_ name: String, _ type: OptionType, _ kind: EnumKind? = nil, def: Double, min: Double, max: Double,
                             minEx: Bool = false, maxEx: Bool = false, special: Double? = nil, _ summary: String,
                             read: @escaping @Sendable (Root) -> Double, write: @escaping @Sendable (inout Root, Double) -> Void) -> OptionField {
        OptionField(spec: OptionSpec(name: name, type: type, enumKind: kind, defaultValue: def, defaultString: nil, min: min, max: max,
                                     minExclusive: minEx, maxExclusive: maxEx, special: special, summary: summary),
                    read: read, write: write)
    }

    static func float(_ name: String, _ kp: WritableKeyPath<Root, Double> & Sendable, _ lo: Double, _ hi: Double, minEx: Bool = false,
                      maxEx: Bool = false, special: Double? = nil, defaults: Root, _ summary: String) -> OptionField {
        make(name, .float, def: defaults[keyPath: kp], min: lo, max: hi, minEx: minEx, maxEx: maxEx, special: special, summary,
             read: { $0[keyPath: kp] }, write: { $0[keyPath: kp] = $1 })
    }

    static func int(_ name: String, _ kp: WritableKeyPath<Root, Int> & Sendable, _ lo: Int, _ hi: Int, special: Int? = nil,
                    defaults: Root, _ summary: String) -> OptionField {
        make(name, .int, def: Double(defaults[keyPath: kp]), min: Double(lo), max: Double(hi), special: special.map(Double.init), summary,
             read: { Double($0[keyPath: kp]) }, write: { $0[keyPath: kp] = Int($1) })
    }

    /// A 0/1 switch; `inverted`: the C field means the opposite of the Swift one.
    static func bool(_ name: String, _ kp: WritableKeyPath<Root, Bool> & Sendable, inverted: Bool = false, defaults: Root,
                     _ summary: String) -> OptionField {
        make(name, .bool, def: defaults[keyPath: kp] != inverted ? 1 : 0, min: 0, max: 1, summary,
             read: { $0[keyPath: kp] != inverted ? 1 : 0 }, write: { $0[keyPath: kp] = ($1 != 0) != inverted })
    }

    static func choice<E: RawRepresentable & Sendable>(_ name: String, _ kp: WritableKeyPath<Root, E> & Sendable, _ kind: EnumKind,
                                                       defaults: Root, _ summary: String) -> OptionField where E.RawValue == Int32 {
        make(name, .choice, kind, def: Double(defaults[keyPath: kp].rawValue), min: 0, max: 0, summary,
             read: { Double($0[keyPath: kp].rawValue) },
             write: { if let e = E(rawValue: Int32($1)) { $0[keyPath: kp] = e } })
    }

    /// A text option (checked by its owner, not by range).
    static func text(_ name: String, _ kp: WritableKeyPath<Root, String> & Sendable, defaults: Root, _ summary: String) -> OptionField {
        OptionField(spec: OptionSpec(name: name, type: .string, enumKind: nil, defaultValue: 0, defaultString: defaults[keyPath: kp],
                                     min: 0, max: 0, minExclusive: false, maxExclusive: false, special: nil, summary: summary),
                    read: { _ in 0 }, write: { _, _ in })
    }

    /// Checks every numeric field of `r` against its range.
    static func validate(_ fields: [OptionField], _ r: Root, _ group: OptionGroup) throws {
        for f in fields where f.spec.type != .string { try f.spec.check(f.get(r), in: group) }
    }
}

/// An options struct with a table: `fields` in the order of the C struct's fields.
public protocol OptionStruct: Sendable {
    init()
    static var group: OptionGroup { get }
    static var fields: [OptionField<Self>] { get }
}

extension OptionStruct {
    /// The field named `name` (the C field name); a programming error when there is none.
    public static func field(_ name: String) -> OptionField<Self> {
        guard let f = fields.first(where: { $0.spec.name == name }) else { fatalError("no option '\(name)' in \(group.cStruct)") }
        return f
    }
    public static func spec(_ name: String) -> OptionSpec { field(name).spec }
}

extension DetectorOptions: OptionStruct { public static var group: OptionGroup { .detector } }
extension SwapOptions: OptionStruct { public static var group: OptionGroup { .swap } }
extension StreamOptions: OptionStruct { public static var group: OptionGroup { .stream } }
extension VideoEncoding: OptionStruct { public static var group: OptionGroup { .video } }
extension ReenactOptions: OptionStruct { public static var group: OptionGroup { .reenact } }
extension ExtractOptions: OptionStruct { public static var group: OptionGroup { .extract } }
extension TrainOptions: OptionStruct { public static var group: OptionGroup { .train } }

/// The options structs of the C ABI, each with its table.
public enum OptionGroup: Int32, Sendable, CaseIterable {
    case detector = 1, swap = 2, stream = 3, video = 4, reenact = 5, extract = 6, train = 7

    /// The C struct's name, used in messages: "fs_swap_options".
    public var cStruct: String {
        switch self {
        case .detector: return "fs_detector_options"
        case .swap: return "fs_swap_options"
        case .stream: return "fs_stream_options"
        case .video: return "fs_video_options"
        case .reenact: return "fs_reenact_options"
        case .extract: return "fs_extract_options"
        case .train: return "fs_train_options"
        }
    }

    public var specs: [OptionSpec] {
        switch self {
        case .detector: return DetectorOptions.fields.map(\.spec)
        case .swap: return SwapOptions.fields.map(\.spec)
        case .stream: return StreamOptions.fields.map(\.spec)
        case .video: return VideoEncoding.fields.map(\.spec)
        case .reenact: return ReenactOptions.fields.map(\.spec)
        case .extract: return ExtractOptions.fields.map(\.spec)
        case .train: return TrainOptions.fields.map(\.spec)
        }
    }

    public func spec(_ name: String) -> OptionSpec? { specs.first { $0.name == name } }
}

// MARK: - The tables

extension DetectorOptions {
    public static let fields: [OptionField<DetectorOptions>] = {
        let d = DetectorOptions()
        return [
            .choice("backend", \.backend, .detectorBackend, defaults: d, "face detector: dlib HOG, dlib's MMOD CNN or OpenCV's Haar cascade"),
            .int("upsample", \.upsample, 0, 3, defaults: d, "times to double the image before scanning (finds faces half the size each time)"),
            .int("min_face_size", \.minFaceSize, 1, ImageLimits.maxSide, defaults: d,
                 "smallest face wanted, in input pixels; sets the scan scale (320 scans a quarter-size image)"),
            .float("downscale", \.downscale, 0, 1, minEx: true, special: 0, defaults: d, "scan scale in (0, 1]; 0: automatic from min_face_size"),
            .float("margin", \.margin, 0, 4, defaults: d, "box side = (1 + margin) × the detector's face size"),
            .float("threshold", \.threshold, -10, 10, defaults: d, "minimum detector score kept (dlib's adjust_threshold)"),
            .int("max_faces", \.maxFaces, 0, 100_000, defaults: d, "keep at most this many faces, largest first (0: all)"),
        ]
    }()
}

extension SwapOptions {
    public static let fields: [OptionField<SwapOptions>] = {
        let d = SwapOptions()
        return [
            .choice("mode", \.mode, .convertMode, defaults: d, "conversion: one affine map, or piecewise-affine over a Delaunay mesh"),
            .choice("color", \.color, .colorMode, defaults: d, "colour correction of the source face to the target's"),
            .choice("blend", \.blend, .blendMode, defaults: d, "how the face is blended into the target"),
            .float("expression", \.expression, 0, 1, defaults: d,
                   "how far eyes, brows, nose and mouth take the target's shape and expression (0: the source's shape)"),
            .float("forehead", \.forehead, 0, 1, defaults: d, "raise the mask above the brows by this fraction of the brow-to-chin height"),
            .float("erode", \.erode, -0.3, 0.3, defaults: d, "shrink (> 0) or grow (< 0) the mask by this fraction of the face size"),
            .float("feather", \.feather, 0, 0.5, defaults: d, "feather radius, as a fraction of the face size"),
            .bool("keep_mouth", \.keepMouth, defaults: d, "keep the target's mouth interior (teeth, tongue)"),
            .int("face_index", \.faceIndex, -1, 1000, defaults: d, "-1: every face of the target; N: only the N-th largest"),
            .bool("keep_unmatched", \.keepUnmatched, defaults: d, "a target with no (matching) face is returned unchanged instead of failing"),
            .float("identity_threshold", \.identityThreshold, 0, 2, minEx: true, maxEx: true, defaults: d,
                   "largest embedding distance to the reference that counts as the same person"),
            .bool("use_model_mask", \.modelMask, defaults: d, "learned swapper: also limit the mask to the model's own mask output"),
            .bool("keep_model_shape", \.followTargetShape, inverted: true, defaults: d,
                  "learned swapper: keep the decoder's face shape instead of warping it onto the target's"),
        ]
    }()
}

extension StreamOptions {
    public static let fields: [OptionField<StreamOptions>] = {
        let d = StreamOptions()
        return [
            .int("detect_interval", \.detectInterval, 1, 1000, defaults: d,
                 "run the detector every N frames; landmarks are tracked in between"),
            .float("min_cutoff", \.minCutoff, 0, 1000, defaults: d, "One-Euro filter cutoff when still, Hz (0: no filtering)"),
            .float("beta", \.beta, 0, 1000, defaults: d, "how fast the filter's cutoff rises with motion"),
            .float("scene_cut", \.sceneCut, 0, 255, minEx: true, defaults: d,
                   "thumbnail difference (0–255) between frames that counts as a scene cut"),
        ]
    }()
}

extension VideoEncoding {
    public static let fields: [OptionField<VideoEncoding>] = {
        let d = VideoEncoding()
        return [.int("crf", \.crf, 0, 51, defaults: d, "H.264 quality: 0 lossless – 51"),
                .text("preset", \.preset, defaults: d, "x264 preset: " + presets.joined(separator: ", "))]
    }()
}

extension ReenactOptions {
    public static let fields: [OptionField<ReenactOptions>] = {
        let d = ReenactOptions()
        return [
            .float("expression", \.expression, 0, 2, defaults: d, "scale of the driver's expression applied (above 1 exaggerates)"),
            .float("head_motion", \.headMotion, 0, 1, defaults: d, "share of the driver's head motion applied"),
            .bool("mouth_fill", \.mouthFill, defaults: d, "fill an opening mouth from the driver's"),
            .bool("side_by_side", \.sideBySide, defaults: d, "video: write driver | result side by side"),
        ]
    }()
}

extension ExtractOptions {
    public static let fields: [OptionField<ExtractOptions>] = {
        let d = ExtractOptions()
        return [
            .int("size", \.size, 32, 1024, defaults: d, "side of the aligned crops written, pixels"),
            .float("padding", \.padding, 0, 0.45, defaults: d, "room around the face, as a fraction of the crop"),
            .float("min_sharpness", \.minSharpness, 0, 1e9, defaults: d, "skip faces whose Laplacian variance is below this (0: keep all)"),
            .float("duplicate_distance", \.duplicateDistance, 0, 255, defaults: d,
                   "skip faces within this mean grey difference of one already kept (0: keep all)"),
            .int("every_nth_frame", \.everyNthFrame, 1, 100_000, defaults: d, "videos: look at every N-th frame"),
            .int("max_faces", \.maxFacesPerImage, 1, 1000, defaults: d, "faces per image or frame, largest first"),
        ]
    }()
}

extension TrainOptions {
    /// The C ABI's switch: the default augmentation on (1) or none (0).
    public var augment: Bool {
        get { augmentation != .none }
        set { augmentation = newValue ? Augmentation() : .none }
    }

    public static let fields: [OptionField<TrainOptions>] = {
        let d = TrainOptions()
        return [
            .int("size", \.size, 64, 128, defaults: d, "network side for new models: 64 or 128"),
            .int("batch", \.hyper.batch, 1, 256, defaults: d, "faces per identity per iteration"),
            .float("learning_rate", \.hyper.learningRate, 0, 0.1, minEx: true, defaults: d, "Adam's learning rate"),
            .float("l1_weight", \.hyper.l1, 0, 100, defaults: d, "weight of the L1 pixel loss"),
            .float("ssim_weight", \.hyper.ssim, 0, 100, defaults: d, "weight of the 1 − SSIM loss"),
            .float("mask_weight", \.hyper.mask, 0, 100, defaults: d, "weight of the mask loss"),
            .float("gan_weight", \.hyper.gan, 0, 100, defaults: d, "weight of the adversarial loss (0: off)"),
            .float("background_weight", \.hyper.background, 0, 100, defaults: d, "pixel-loss weight outside the face mask"),
            .bool("augment", \.augment, defaults: d, "random similarity, flips, colour jitter and random warp of the inputs"),
            .int("checkpoint_every", \.checkpointEvery, 0, 1 << 30, defaults: d, "iterations between checkpoints (0: only at the end)"),
            .int("preview_every", \.previewEvery, 0, 1 << 30, defaults: d, "iterations between preview grids (0: never)"),
            .bool("resume", \.resume, defaults: d, "continue from the model file's checkpoint"),
        ]
    }()
}
