import CFaceSwapABI

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
        // Whole numbers as integers, but only where Int64 holds them (a fuzzed 6.7e61 trapped here).
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    /// Throws INVALID_ARGUMENT naming the option, the value and the range, in the library's terms.
    public func check(_ v: Double, in group: OptionGroup) throws {
        guard accepts(v) else {
            // A value that is not whole is shown as given (number() would truncate it for a whole-number option).
            let shown = type == .choice && v == v.rounded() ? "\(Int64(exactly: v) ?? 0)" : v.isFinite && v != v.rounded() ? "\(v)" : OptionSpec.number(v, type)
            throw FaceSwapError(.invalidArgument, "\(group.cStruct): \(name) \(shown) is outside \(rangeText)")
        }
    }
}

/// Where an option lives in the C struct: its byte offset and whether it is a float (else a
/// 4-byte integer or enum).
public struct CField: Sendable {
    public let offset: Int
    public let isFloat: Bool
}

/// One field of a Swift options struct bound to its spec: how to read and write it as a number,
/// and where it is in the C struct of the same name (nil: not a plain C field).
public struct OptionField<Root>: Sendable {
    public let spec: OptionSpec
    public let c: CField?
    let read: @Sendable (Root) -> Double
    let write: @Sendable (inout Root, Double) -> Void
    public func get(_ r: Root) -> Double { read(r) }
    public func set(_ r: inout Root, _ v: Double) { write(&r, v) }
}

/// Builds the fields of Swift options `Root` whose C struct is `C`: each option names its Swift
/// field and its C field (the C field's name is the option's name), and the defaults are read
/// from `Root()`.
public struct OptionFields<Root: OptionStruct> {
    typealias C = Root.CStruct
    let d = Root()

    private func make(_ name: String, _ type: OptionType, _ kind: EnumKind? = nil, def: Double, min: Double, max: Double,
                      minEx: Bool = false, maxEx: Bool = false, special: Double? = nil, c: CField?, _ summary: String,
                      read: @escaping @Sendable (Root) -> Double, write: @escaping @Sendable (inout Root, Double) -> Void) -> OptionField<Root> {
        OptionField(spec: OptionSpec(name: name, type: type, enumKind: kind, defaultValue: def, defaultString: nil, min: min, max: max,
                                     minExclusive: minEx, maxExclusive: maxEx, special: special, summary: summary),
                    c: c, read: read, write: write)
    }

    private func field<T>(_ kp: KeyPath<C, T>, float: Bool) -> CField {
        precondition(MemoryLayout<T>.size == 4, "option fields of the C structs are 4 bytes")
        return CField(offset: MemoryLayout<C>.offset(of: kp)!, isFloat: float)
    }

    func float(_ name: String, _ kp: WritableKeyPath<Root, Double> & Sendable, _ c: KeyPath<C, Float>, _ lo: Double, _ hi: Double,
               minEx: Bool = false, maxEx: Bool = false, special: Double? = nil, _ summary: String) -> OptionField<Root> {
        make(name, .float, def: d[keyPath: kp], min: lo, max: hi, minEx: minEx, maxEx: maxEx, special: special,
             c: field(c, float: true), summary, read: { $0[keyPath: kp] }, write: { $0[keyPath: kp] = $1 })
    }

    func int(_ name: String, _ kp: WritableKeyPath<Root, Int> & Sendable, _ c: KeyPath<C, Int32>, _ lo: Int, _ hi: Int,
             special: Int? = nil, _ summary: String) -> OptionField<Root> {
        make(name, .int, def: Double(d[keyPath: kp]), min: Double(lo), max: Double(hi), special: special.map(Double.init),
             c: field(c, float: false), summary, read: { Double($0[keyPath: kp]) }, write: { $0[keyPath: kp] = Int($1) })
    }

    /// A 0/1 switch.
    func bool(_ name: String, _ kp: WritableKeyPath<Root, Bool> & Sendable, _ c: KeyPath<C, Int32>, _ summary: String) -> OptionField<Root> {
        make(name, .bool, def: d[keyPath: kp] ? 1 : 0, min: 0, max: 1, c: field(c, float: false), summary,
             read: { $0[keyPath: kp] ? 1 : 0 }, write: { $0[keyPath: kp] = $1 != 0 })
    }

    func choice<E: RawRepresentable & Sendable, CE>(_ name: String, _ kp: WritableKeyPath<Root, E> & Sendable, _ c: KeyPath<C, CE>,
                                                    _ kind: EnumKind, _ summary: String) -> OptionField<Root> where E.RawValue == Int32 {
        make(name, .choice, kind, def: Double(d[keyPath: kp].rawValue), min: 0, max: 0, c: field(c, float: false), summary,
             read: { Double($0[keyPath: kp].rawValue) },
             write: { if let e = E(rawValue: Int32($1)) { $0[keyPath: kp] = e } })
    }

    /// A text option (checked by its owner, not by range; not read from C by the table).
    func text(_ name: String, _ kp: WritableKeyPath<Root, String> & Sendable, _ summary: String) -> OptionField<Root> {
        OptionField(spec: OptionSpec(name: name, type: .string, enumKind: nil, defaultValue: 0, defaultString: d[keyPath: kp],
                                     min: 0, max: 0, minExclusive: false, maxExclusive: false, special: nil, summary: summary),
                    c: nil, read: { _ in 0 }, write: { _, _ in })
    }
}

extension OptionField {
    /// Checks every numeric field of `r` against its range.
    static func validate(_ fields: [OptionField], _ r: Root, _ group: OptionGroup) throws {
        for f in fields where f.spec.type != .string { try f.spec.check(f.get(r), in: group) }
    }
}

/// An options struct with a table: `fields` in the order of the C struct's fields.
public protocol OptionStruct: Sendable {
    /// The C options struct of include/faceswap.h these options are read from.
    associatedtype CStruct
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

    /// The table's options read from a whole C struct (the caller's bytes over the defaults):
    /// enum values the header does not name are UNSUPPORTED, switches other than 0/1 and numbers
    /// out of range INVALID_ARGUMENT (by validate()). Fields outside the table keep Self()'s values.
    public init(c: CStruct) throws {
        self.init()
        var copy = c
        let fields = Self.fields
        try withUnsafeBytes(of: &copy) { raw in
            for f in fields {
                guard let at = f.c else { continue }
                let v = at.isFloat ? fromCFloat(raw.load(fromByteOffset: at.offset, as: Float.self))
                                   : Double(raw.load(fromByteOffset: at.offset, as: Int32.self))
                if f.spec.type == .choice, let kind = f.spec.enumKind, kind.name(Int32(v)) == nil {
                    throw FaceSwapError(.unsupported, "unknown \(kind.title) \(UInt32(bitPattern: Int32(v))); use " +
                                        kind.canonicalNames.joined(separator: ", "))
                }
                if f.spec.type == .bool, v != 0 && v != 1 {
                    throw FaceSwapError(.invalidArgument, "\(f.spec.name) is \(Int64(v)); use 0 or 1")
                }
                f.set(&self, v)  // a float keeps NaN and infinities for validate() to refuse by name
            }
        }
    }

    /// Writes the table's defaults into a C struct (fields outside the table are left as they are).
    public static func writeDefaults(into c: inout CStruct) {
        let d = Self()
        withUnsafeMutableBytes(of: &c) { raw in
            for f in fields {
                guard let at = f.c else { continue }
                if at.isFloat { raw.storeBytes(of: Float(f.get(d)), toByteOffset: at.offset, as: Float.self) }
                else { raw.storeBytes(of: Int32(f.get(d)), toByteOffset: at.offset, as: Int32.self) }
            }
        }
    }
}

extension DetectorOptions: OptionStruct {
    public typealias CStruct = fs_detector_options
    public static var group: OptionGroup { .detector }
}
extension SwapOptions: OptionStruct {
    public typealias CStruct = fs_swap_options
    public static var group: OptionGroup { .swap }
}
extension StreamOptions: OptionStruct {
    public typealias CStruct = fs_stream_options
    public static var group: OptionGroup { .stream }
}
extension VideoEncoding: OptionStruct {
    public typealias CStruct = fs_video_options
    public static var group: OptionGroup { .video }
}
extension ReenactOptions: OptionStruct {
    public typealias CStruct = fs_reenact_options
    public static var group: OptionGroup { .reenact }
}
extension ExtractOptions: OptionStruct {
    public typealias CStruct = fs_extract_options
    public static var group: OptionGroup { .extract }
}
extension TrainOptions: OptionStruct {
    public typealias CStruct = fs_train_options
    public static var group: OptionGroup { .train }
}

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
        let b = OptionFields<DetectorOptions>()
        return [
            b.choice("backend", \.backend, \.backend, .detectorBackend, "face detector: dlib HOG, dlib's MMOD CNN or OpenCV's Haar cascade"),
            b.int("upsample", \.upsample, \.upsample, 0, 3, special: -1,
                  "times to double the image before scanning (finds faces half the size each time); -1: automatic, a finer scan of small photos, of photos where none or only small faces were found"),
            b.int("min_face_size", \.minFaceSize, \.min_face_size, 1, ImageLimits.maxSide,
                 "smallest face wanted, in input pixels; sets the scan scale (320 scans a quarter-size image)"),
            b.float("downscale", \.downscale, \.downscale, 0, 1, minEx: true, special: 0, "scan scale in (0, 1]; 0: automatic from min_face_size"),
            b.float("margin", \.margin, \.margin, 0, 4, "box side = (1 + margin) × the detector's face size"),
            b.float("threshold", \.threshold, \.threshold, -10, 10, "minimum detector score kept (dlib's adjust_threshold)"),
            b.int("max_faces", \.maxFaces, \.max_faces, 0, 100_000, "keep at most this many faces, largest first (0: all)"),
        ]
    }()
}

extension SwapOptions {
    public static let fields: [OptionField<SwapOptions>] = {
        let b = OptionFields<SwapOptions>()
        return [
            b.choice("mode", \.mode, \.mode, .convertMode, "conversion: one affine map, or piecewise-affine over a Delaunay mesh"),
            b.choice("color", \.color, \.color, .colorMode, "colour correction of the source face to the target's"),
            b.choice("blend", \.blend, \.blend, .blendMode, "how the face is blended into the target"),
            b.float("expression", \.expression, \.expression, 0, 1,
                   "how far eyes, brows, nose and mouth take the target's shape and expression (0: the source's shape)"),
            b.float("forehead", \.forehead, \.forehead, 0, 1, "raise the mask above the brows by this fraction of the brow-to-chin height"),
            b.float("erode", \.erode, \.erode, -0.3, 0.3, "shrink (> 0) or grow (< 0) the mask by this fraction of the face size"),
            b.float("feather", \.feather, \.feather, 0, 0.5, "feather radius, as a fraction of the face size"),
            b.bool("keep_mouth", \.keepMouth, \.keep_mouth, "keep the target's mouth interior (teeth, tongue)"),
            b.int("face_index", \.faceIndex, \.face_index, -1, 1000, "-1: every face of the target; N: only the N-th largest"),
            b.bool("keep_unmatched", \.keepUnmatched, \.keep_unmatched, "a target with no (matching) face is returned unchanged instead of failing"),
            b.float("identity_threshold", \.identityThreshold, \.identity_threshold, 0, 2, minEx: true, maxEx: true,
                   "largest embedding distance to the reference that counts as the same person"),
            b.bool("use_model_mask", \.useModelMask, \.use_model_mask, "learned swapper: also limit the mask to the model's own mask output"),
            b.bool("keep_model_shape", \.keepModelShape, \.keep_model_shape,
                  "learned swapper: keep the decoder's face shape instead of warping it onto the target's"),
            b.float("color_strength", \.colorStrength, \.color_strength, 0, 1,
                   "how much of the colour correction applies: 0 the source's own colours, 1 the full match"),
            b.bool("occlusion", \.occlusion, \.occlusion,
                  "keep what covers the target's face (glasses, hands, hair, microphones) in front of the swapped face"),
            b.float("edge_color", \.edgeColor, \.edge_color, 0, 1,
                   "how much of the low-frequency colour and light match at the face's edge applies, a beard or hair crossing the seam kept (0: off; it moves the identity towards the target's)"),
            b.float("skin_texture", \.skinTexture, \.skin_texture, 0, 1,
                   "how much of the target's fine skin texture replaces the source's on the skin, away from eyes, brows, nostrils and mouth (a learned face's eyes and nostrils take it too) (0: off)"),
        ]
    }()
}

extension StreamOptions {
    public static let fields: [OptionField<StreamOptions>] = {
        let b = OptionFields<StreamOptions>()
        return [
            b.int("detect_interval", \.detectInterval, \.detect_interval, 1, 1000,
                 "run the detector every N frames; landmarks are tracked in between"),
            b.float("min_cutoff", \.minCutoff, \.min_cutoff, 0, 1000, "One-Euro filter cutoff when still, Hz (0: no filtering)"),
            b.float("beta", \.beta, \.beta, 0, 1000, "how fast the filter's cutoff rises with motion"),
            b.float("scene_cut", \.sceneCut, \.scene_cut, 0, 255, minEx: true,
                   "thumbnail difference (0–255) between frames that counts as a scene cut"),
            b.int("threads", \.threads, \.threads, 0, 1024, "threads a frame may use to swap its faces at once (0: every core)"),
        ]
    }()
}

extension VideoEncoding {
    public static let fields: [OptionField<VideoEncoding>] = {
        let b = OptionFields<VideoEncoding>()
        return [b.int("crf", \.crf, \.crf, 0, 51, "H.264 quality: 0 lossless – 51"),
                b.text("preset", \.preset, "x264 preset: " + presets.joined(separator: ", ")),
                b.int("threads", \.threads, \.threads, 0, 1024,
                      "threads the job may use: decoding, swapping and encoding overlap (0: every core, 1: one)"),
                b.int("first_frame", \.firstFrame, \.first_frame, 0, Int(Int32.max), "the first frame written (0: the first)"),
                b.int("frame_count", \.frameCount, \.frame_count, 0, Int(Int32.max), "frames written from first_frame (0: to the end)"),
                b.int("warmup", \.warmup, \.warmup, 0, 1_000_000,
                      "frames before first_frame tracked but not written, to settle the tracks at a cut"),
                b.bool("audio", \.audio, \.audio, "copy the input's audio (a part: the audio of its span)")]
    }()
}

extension ReenactOptions {
    public static let fields: [OptionField<ReenactOptions>] = {
        let b = OptionFields<ReenactOptions>()
        return [
            b.float("expression", \.expression, \.expression, 0, 2, "scale of the driver's expression applied (above 1 exaggerates)"),
            b.float("head_motion", \.headMotion, \.head_motion, 0, 2, "share of the driver's head motion applied (above 1 amplifies it: a head-bob gain)"),
            b.int("mouth_fill", \.mouthFill, \.mouth_fill, 0, 2,
                  "an opening mouth's inside: 0 off, 1 synthesised in the photo's colours, 2 the driver's"),
            b.bool("side_by_side", \.sideBySide, \.side_by_side, "video: write driver | result side by side"),
        ]
    }()
}

extension ExtractOptions {
    public static let fields: [OptionField<ExtractOptions>] = {
        let b = OptionFields<ExtractOptions>()
        return [
            b.int("size", \.size, \.size, 32, 1024, "side of the aligned crops written, pixels"),
            b.float("padding", \.padding, \.padding, 0, 0.45, "room around the face, as a fraction of the crop"),
            b.float("min_sharpness", \.minSharpness, \.min_sharpness, 0, 1e9, "skip faces whose Laplacian variance is below this (0: keep all)"),
            b.float("duplicate_distance", \.duplicateDistance, \.duplicate_distance, 0, 255,
                   "skip faces within this mean grey difference of one already kept (0: keep all)"),
            b.int("every_nth_frame", \.everyNthFrame, \.every_nth_frame, 1, 100_000, "videos: look at every N-th frame"),
            b.int("max_faces", \.maxFacesPerImage, \.max_faces, 1, 1000, "faces per image or frame, largest first"),
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
        let b = OptionFields<TrainOptions>()
        return [
            b.int("size", \.size, \.size, 64, 128, "network side for new models: 64 or 128"),
            b.int("batch", \.hyper.batch, \.batch, 1, 256, "faces per identity per iteration"),
            b.float("learning_rate", \.hyper.learningRate, \.learning_rate, 0, 0.1, minEx: true, "Adam's learning rate"),
            b.float("l1_weight", \.hyper.l1, \.l1_weight, 0, 100, "weight of the L1 pixel loss"),
            b.float("ssim_weight", \.hyper.ssim, \.ssim_weight, 0, 100, "weight of the 1 − SSIM loss"),
            b.float("mask_weight", \.hyper.mask, \.mask_weight, 0, 100, "weight of the mask loss"),
            b.float("gan_weight", \.hyper.gan, \.gan_weight, 0, 100, "weight of the adversarial loss (0: off)"),
            b.float("background_weight", \.hyper.background, \.background_weight, 0, 100, "pixel-loss weight outside the face mask"),
            b.bool("augment", \.augment, \.augment, "random similarity, flips, colour jitter and random warp of the inputs"),
            b.int("checkpoint_every", \.checkpointEvery, \.checkpoint_every, 0, 1 << 30, "iterations between checkpoints (0: only at the end)"),
            b.int("preview_every", \.previewEvery, \.preview_every, 0, 1 << 30, "iterations between preview grids (0: never)"),
            b.bool("resume", \.resume, \.resume, "continue from the model file's checkpoint"),
            b.choice("method", \.kind, \.method, .modelKind,
                     "the learned method: the two-person autoencoder, or the landmark GAN of person B alone"),
            b.int("input_size", \.inputSize, \.input_size, 64, 64, special: 0,
                  "network input side for new models: 0 the same as size; 64 with size 128, an autoencoder whose decoders upscale"),
        ]
    }()
}
