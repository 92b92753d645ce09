import CFaceShim
#if canImport(Glibc)
import Glibc
#endif

/// Which learned method a model holds (the C ABI's `method`, EnumKind.modelKind's names).
public enum ModelKind: Int32, Sendable, CaseIterable {
    /// One shared encoder, a decoder per person (A, B): swaps A <-> B (`faceswap train`).
    case autoencoder = 0
    /// A U-Net generator that draws person B from a landmark map, trained with a patch
    /// discriminator (`faceswap train-gan`): drives B by anyone's landmarks.
    case landmarkGAN = 1

    /// The model file header's `architecture` value.
    public var architecture: String { self == .autoencoder ? "shared-encoder-autoencoder-1" : "landmark-gan-1" }
}

/// What a model file says about its network and its training (the text header of a .fsm file).
public struct ModelInfo: Sendable, Equatable {
    public var kind: ModelKind = .autoencoder
    /// Output side in pixels (the aligned crop conversion works on): 64 or 128.
    public var size: Int = 64
    /// The network's input side: the output's, or 64 for a 128-px output (the autoencoder whose
    /// decoders upscale: the aligned face is shrunk to 64 px (area averaging) for the encoder).
    /// Set it after `size`.
    public var inputSize: Int {
        get { upscaledFrom ?? size }
        set { upscaledFrom = newValue == size ? nil : newValue }
    }
    private var upscaledFrom: Int? = nil
    public var bottleneck: Int = 512
    /// The aligned crop's padding (Aligner's template) the network was trained on.
    public var padding: Double = 0.15
    public var nameA: String = "A"
    public var nameB: String = "B"
    /// The classic pre-processing: A's faces are shifted by mean(B) − mean(A) per channel (B, G, R,
    /// 0–255 scale) before training; conversion applies the same shift to A's faces.
    public var shiftA: [Double] = [0, 0, 0]
    public var iterations: Int = 0
    public var seconds: Double = 0
    public var seed: UInt64 = 1
    public var rng: [UInt64] = [0, 0, 0, 0]
    public var hyper = TrainHyper()
    /// The landmark GAN: B's mean aligned 68-point shape in network pixels (x0, y0, x1, …; 136
    /// values), onto which conversion retargets a target face's expression. Empty otherwise.
    public var meanShape: [Double] = []
    /// Whether the file carries the discriminators and optimiser state (a checkpoint to resume).
    public var trainingState = false
    /// A real face of A and of B (DetailFace's header values; nil in models made before 0.21.0
    /// until they resume training, and A's in a landmark GAN).
    var detailA: String? = nil, detailB: String? = nil
    public init() {}

    /// The header's `architecture`: the upscaling autoencoder is an architecture of its own, so
    /// that a reader that does not build it refuses it by name.
    public var architecture: String { upscales ? ModelInfo.upscalingAutoencoder : kind.architecture }
    var upscales: Bool { inputSize != size }
    static let upscalingAutoencoder = "shared-encoder-autoencoder-upscale-1"
}

/// Training hyper-parameters that a resumed run must keep.
public struct TrainHyper: Sendable, Equatable {
    public var batch = 16
    public var learningRate = 2e-4
    public var l1 = 1.0
    public var ssim = 1.0
    public var mask = 0.1
    /// Weight of the adversarial (least-squares GAN, patch discriminator) loss; 0 = off.
    public var gan = 0.0
    /// Pixel-loss weight outside the face mask (1 inside).
    public var background = 0.25
    public init() {}
}

/// The model file (.fsm), version 1. All integers little-endian.
///
///     offset  size  field
///     0       8     magic "FSMODEL\0"
///     8       4     format version (1)
///     12      4     header length H
///     16      H     header: UTF-8 text, one key=value per line (ModelInfo; unknown keys ignored;
///                   the autoencoder whose decoders upscale has its own architecture and an
///                   input_size key, so that older readers refuse it by name)
///     16+H    8     weights length W
///     24+H    W     weights: dlib's serialisation of the networks (autoencoder: encoder, decoder A,
///                   decoder B, then (training state only) discriminators A, B and the Adam state
///                   of each network; landmark GAN: generator, then discriminator and Adam states)
///     24+H+W  4     CRC-32 (IEEE) of every byte before it
///
/// A reader refuses another magic, a newer format version, a checksum mismatch, a missing key,
/// an architecture it does not build, and weights that do not match the architecture.
public enum ModelFile {
    public static let magic: [UInt8] = Array("FSMODEL".utf8) + [0]
    public static let formatVersion: UInt32 = 1
    static let maxBytes = 1 << 30

    public static func encode(_ info: ModelInfo, weights: UnsafeRawBufferPointer) -> [UInt8] {
        var text = ""
        func put(_ k: String, _ v: String) { text += "\(k)=\(v)\n" }
        put("architecture", info.architecture)
        put("created_by", "libfaceswap \(Version.string)")
        put("size", "\(info.size)")
        if info.upscales { put("input_size", "\(info.inputSize)") }
        put("bottleneck", "\(info.bottleneck)")
        put("padding", "\(info.padding)")
        put("name_a", info.nameA.filter { $0 != "\n" })
        put("name_b", info.nameB.filter { $0 != "\n" })
        put("shift_a", info.shiftA.map { "\($0)" }.joined(separator: ","))
        put("iterations", "\(info.iterations)")
        put("seconds", "\(info.seconds)")
        put("seed", "\(info.seed)")
        put("rng", info.rng.map { "\($0)" }.joined(separator: ","))
        put("batch", "\(info.hyper.batch)")
        put("learning_rate", "\(info.hyper.learningRate)")
        put("loss_l1", "\(info.hyper.l1)")
        put("loss_ssim", "\(info.hyper.ssim)")
        put("loss_mask", "\(info.hyper.mask)")
        put("loss_gan", "\(info.hyper.gan)")
        put("background_weight", "\(info.hyper.background)")
        put("training_state", info.trainingState ? "1" : "0")
        if info.kind == .landmarkGAN { put("mean_shape", info.meanShape.map { "\($0)" }.joined(separator: ",")) }
        if let d = info.detailA { put("detail_a", d) }
        if let d = info.detailB { put("detail_b", d) }
        let header = Array(text.utf8)
        var out: [UInt8] = magic
        out.reserveCapacity(header.count + weights.count + 64)
        func le<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        le(formatVersion)
        le(UInt32(header.count))
        out += header
        le(UInt64(weights.count))
        out.append(contentsOf: weights)
        le(crc32(out))
        return out
    }

    /// Parses a file's bytes: the header and where the weights are.
    public static func decode(_ bytes: [UInt8], path: String) throws -> (ModelInfo, Range<Int>) {
        func bad(_ s: String) -> FaceSwapError { FaceSwapError(.model, "'\(path)': \(s)") }
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic else {
            throw bad("not a libfaceswap model file (it does not start with FSMODEL; train one with `faceswap train`)")
        }
        func u32(_ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[o + $1]) << (8 * UInt32($1)) } }
        func u64(_ o: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[o + $1]) << (8 * UInt64($1)) } }
        guard bytes.count >= 16 + 8 + 4 else { throw bad("truncated (\(bytes.count) bytes)") }
        let version = u32(8)
        if version > formatVersion {
            throw bad("model format version \(version) is newer than this libfaceswap (\(Version.string)) reads " +
                      "(up to \(formatVersion)); update libfaceswap")
        }
        if version == 0 { throw bad("model format version 0 is not valid") }
        let h = Int(u32(12))
        guard h <= bytes.count - 28 else { throw bad("truncated or corrupt (header length \(h))") }
        let w64 = u64(16 + h)
        guard w64 <= UInt64(bytes.count), Int(w64) == bytes.count - 28 - h else {
            throw bad("truncated or corrupt (weights length \(w64), file \(bytes.count) bytes)")
        }
        let end = bytes.count - 4
        if crc32(bytes[0..<end]) != u32(end) {
            throw bad("corrupt: checksum mismatch (the file was damaged or partly written)")
        }
        guard let text = String(validating: bytes[16..<(16 + h)], as: UTF8.self) else { throw bad("the header is not UTF-8 text") }
        var kv: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            kv[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        func need(_ k: String) throws -> String {
            guard let v = kv[k] else { throw bad("the header has no '\(k)'") }
            return v
        }
        func number<T: LosslessStringConvertible>(_ k: String, _: T.Type) throws -> T {
            guard let v = T(try need(k)) else { throw bad("header value \(k)=\(kv[k] ?? "") is not a number") }
            return v
        }
        let arch = try need("architecture")
        let upscaling = arch == ModelInfo.upscalingAutoencoder
        guard let kind = upscaling ? .autoencoder : ModelKind.allCases.first(where: { $0.architecture == arch }) else {
            let known = (ModelKind.allCases.map(\.architecture) + [ModelInfo.upscalingAutoencoder]).map { "'\($0)'" }
            throw bad("architecture '\(arch)' is not one this build knows (\(known.joined(separator: ", ")))")
        }
        var info = ModelInfo()
        info.kind = kind
        info.size = try number("size", Int.self)
        guard info.size == 64 || info.size == 128 else { throw bad("size \(info.size) (this build runs 64 and 128)") }
        info.inputSize = upscaling ? try number("input_size", Int.self) : info.size
        if upscaling && (info.inputSize != 64 || info.size != 128) {
            throw bad("input_size \(info.inputSize) with size \(info.size) (this build's upscaling autoencoder runs 64 -> 128)")
        }
        info.bottleneck = try number("bottleneck", Int.self)
        guard info.bottleneck == 512 || kind != .autoencoder else { throw bad("bottleneck \(info.bottleneck) (this build runs 512)") }
        info.padding = try number("padding", Double.self)
        guard info.padding >= 0 && info.padding <= 0.45 else { throw bad("padding \(info.padding) is outside 0–0.45") }
        info.nameA = try need("name_a")
        info.nameB = try need("name_b")
        info.shiftA = try need("shift_a").split(separator: ",").map {
            guard let d = Double($0), d.isFinite else { throw bad("shift_a is not three numbers") }
            return d
        }
        guard info.shiftA.count == 3 else { throw bad("shift_a is not three numbers") }
        info.iterations = try number("iterations", Int.self)
        info.seconds = try number("seconds", Double.self)
        info.seed = try number("seed", UInt64.self)
        info.rng = try need("rng").split(separator: ",").map {
            guard let v = UInt64($0) else { throw bad("rng is not four integers") }
            return v
        }
        guard info.rng.count == 4 else { throw bad("rng is not four integers") }
        info.hyper.batch = try number("batch", Int.self)
        info.hyper.learningRate = try number("learning_rate", Double.self)
        info.hyper.l1 = try number("loss_l1", Double.self)
        info.hyper.ssim = try number("loss_ssim", Double.self)
        info.hyper.mask = try number("loss_mask", Double.self)
        info.hyper.gan = try number("loss_gan", Double.self)
        info.hyper.background = try number("background_weight", Double.self)
        info.trainingState = try need("training_state") == "1"
        if kind == .landmarkGAN {
            info.meanShape = try need("mean_shape").split(separator: ",").map {
                guard let d = Double($0), d.isFinite else { throw bad("mean_shape is not 136 numbers") }
                return d
            }
            guard info.meanShape.count == 136 else { throw bad("mean_shape is not 136 numbers") }
        }
        info.detailA = kv["detail_a"]
        info.detailB = kv["detail_b"]
        return (info, (24 + h)..<end)
    }

    /// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF)
    /// of every byte: zlib's `crc32`, which computes exactly this standard checksum.
    public static func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        if let crc = bytes.withContiguousStorageIfAvailable({ fsx_crc32(0, $0.baseAddress, $0.count) }) { return crc }
        return Array(bytes).withUnsafeBufferPointer { fsx_crc32(0, $0.baseAddress, $0.count) }
    }
}
