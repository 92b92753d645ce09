import CFaceShim
#if canImport(Glibc)
import Glibc
#endif

/// Which decoder a face goes through.
public enum Identity: Int, Sendable {
    case a = 0, b = 1
    public var other: Identity { self == .a ? .b : .a }
}

/// The learned conversion's networks (an autoencoder: one shared encoder, decoders A and B; or a
/// landmark GAN: one generator of B from landmark maps) and what the model file says about them. Loaded for conversion it is immutable and thread-safe (each concurrent
/// call runs on its own copy of the networks).
public final class FaceModel: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    public internal(set) var info: ModelInfo
    /// Each person's real face (DetailFace; A's, B's) as a source to warp, with its pyramid; nil
    /// where the file has none. Read from `info` when the model is loaded or copied.
    let details: [Source?]

    init(handle: UnsafeMutableRawPointer, info: ModelInfo, details: [Source?] = [nil, nil]) {
        self.handle = handle
        self.info = info
        self.details = details
    }

    /// The real face of `who` kept in the model, nil if none.
    func detail(_ who: Identity) -> Source? { details[who.rawValue] }

    static func details(_ info: ModelInfo) throws -> [Source?] {
        try [(info.detailA, "detail_a"), (info.detailB, "detail_b")].map { value, key in
            guard let value else { return nil }
            let d = try DetailFace.decode(value, key: key)
            let r = Rect.bounding(d.landmarks)
            return Source(image: d.image, face: Face(box: r, rect: r, score: 0, landmarks: d.landmarks), embedding: nil,
                          origin: Point(0, 0), levels: try Source.pyramid(of: d.image))
        }
    }

    /// A new, randomly initialised network (repeatable for a seed).
    static func fresh(_ info: ModelInfo) throws -> FaceModel {
        let h = info.kind == .autoencoder ? fsx_ae_create(Int32(info.inputSize), Int32(info.size), info.seed)
                                          : fsx_lgan_create(Int32(info.size), info.seed)
        guard let h else { throw shimError(fsx_last_status(), "creating the network") }
        return FaceModel(handle: h, info: info)
    }

    deinit { fsx_ae_free(handle) }

    /// The shim's loader of `info`'s weights (training: with the training state).
    static func load(_ info: ModelInfo, _ weights: UnsafePointer<UInt8>?, _ count: Int, training: Bool) -> UnsafeMutableRawPointer? {
        let t: Int32 = training ? 1 : 0
        return info.kind == .autoencoder ? fsx_ae_load(Int32(info.inputSize), Int32(info.size), weights, count, t)
                                         : fsx_lgan_load(Int32(info.size), weights, count, t)
    }

    /// Throws a clear FS_ERR_MODEL unless this model is of `kind` (`what`: what needs it).
    public func require(_ kind: ModelKind, for what: String) throws {
        guard info.kind != kind else { return }
        let has = info.kind == .autoencoder ? "an autoencoder (trained by `faceswap train`)"
                                            : "a landmark generator (trained by `faceswap train-gan`)"
        let needs = kind == .autoencoder ? "an autoencoder model (`faceswap train`)" : "a landmark generator model (`faceswap train-gan`)"
        throw FaceSwapError(.model, "\(what) needs \(needs), but this model is \(has)")
    }

    /// Loads a .fsm file; `training` also loads the discriminators and optimiser state (to resume).
    public static func load(path: String, training: Bool = false) throws -> FaceModel {
        try requireSupportedCPU()
        let bytes: [UInt8]
        do {
            bytes = try Files.read(path, limit: ModelFile.maxBytes)
        } catch let e as FaceSwapError where e.status == .io {
            // A model file that is missing or unreadable is FS_ERR_MODEL, as for dlib's models
            // (ModelResolver.find): the header's one rule for "the model you named is not there".
            throw FaceSwapError(.model, e.message)
        }
        let (info, range) = try ModelFile.decode(bytes, path: path)
        if training && !info.trainingState {
            throw FaceSwapError(.model, "'\(path)' holds no training state (it was saved for conversion only); " +
                                "resume from a checkpoint written by `faceswap train`")
        }
        let faces: [Source?]
        do { faces = try details(info) } catch let e as FaceSwapError { throw FaceSwapError(.model, "'\(path)': \(e.message)") }
        let h = bytes.withUnsafeBufferPointer {
            load(info, $0.baseAddress! + range.lowerBound, range.count, training: info.trainingState)
        }
        guard let h else {
            throw FaceSwapError(.model, "'\(path)': the weights do not match the architecture (\(String(cString: fsx_error())))")
        }
        return FaceModel(handle: h, info: info, details: faces)
    }

    /// Writes the model atomically; `training` keeps what resuming needs.
    public func save(path: String, training: Bool) throws {
        var p: UnsafeMutablePointer<UInt8>?
        var n = 0
        try shim(fsx_ae_save(handle, training ? 1 : 0, &p, &n), "saving the model")
        defer { free(p) }
        var i = info
        i.trainingState = training
        let bytes = ModelFile.encode(i, weights: UnsafeRawBufferPointer(start: p, count: n))
        try bytes.withUnsafeBytes { try Files.writeAtomically(path, $0) }
    }

    /// An immutable copy of the networks as they are now (no training state), for converting
    /// while this model goes on training (a pooled run copies the networks once, on first use).
    func snapshot() throws -> FaceModel {
        var i = info
        i.trainingState = false
        // From `info`: a trainer sets the detail faces after the model is made.
        let faces = try FaceModel.details(i)
        var p: UnsafeMutablePointer<UInt8>?
        var n = 0
        try shim(fsx_ae_save(handle, 0, &p, &n), "copying the model")
        defer { free(p) }
        guard let h = FaceModel.load(info, p, n, training: false) else { throw shimError(fsx_last_status(), "copying the model") }
        return FaceModel(handle: h, info: i, details: faces)
    }

    /// The output side (the aligned crop conversion works on) and the network's input side.
    public var size: Int { info.size }
    public var inputSize: Int { info.inputSize }

    /// An aligned size × size face as the encoder takes it: shrunk to the input side (area
    /// averaging) when the decoders upscale.
    func networkInput(_ face: Image) throws -> Image { try face.scaled(width: inputSize, height: inputSize) }

    /// Parameters of the encoder, one decoder and one discriminator (the landmark GAN: 0, the
    /// generator, the discriminator).
    public var parameterCounts: (encoder: Int, decoder: Int, discriminator: Int) {
        var c = [Int64](repeating: 0, count: 3)
        _ = fsx_ae_counts(handle, &c)
        return (Int(c[0]), Int(c[1]), Int(c[2]))
    }

    /// The layers, as dlib prints them.
    public var layerDescription: String {
        var p: UnsafeMutablePointer<CChar>?
        guard fsx_ae_describe(handle, &p) == 0, let p else { return "" }
        defer { free(p) }
        return String(cString: p)
    }

    /// Runs aligned faces (planar B, G, R floats in 0…1, n × 3 × I × I, I = inputSize) through the
    /// encoder and one decoder: n × 4 × S × S (B, G, R, mask; S = size).
    /// (The landmark GAN: the input is n landmark maps, LandmarkMap.channels × S × S each.)
    func run(_ input: [Float], count n: Int, decoder: Identity, pooled: Bool = true) throws -> [Float] {
        var out = [Float](repeating: 0, count: n * 4 * size * size)
        try shim(fsx_ae_run(handle, Int32(decoder.rawValue), input, Int32(n), &out, pooled ? 1 : 0), "running the network")
        return out
    }

    /// Converts one aligned S × S BGR8 face (S = size; shrunk to the input side for the encoder):
    /// returns the decoder's face (BGR8) and mask (GRAY8), S × S.
    /// `shifted`: the face is from set A and gets the training-time colour shift.
    public func convert(_ face: Image, to decoder: Identity, shifted: Bool) throws -> (face: Image, mask: Image) {
        guard face.width == size, face.height == size, face.format == .bgr8 else {
            throw FaceSwapError(.invalidArgument, "the model converts \(size)×\(size) BGR8 faces")
        }
        try require(.autoencoder, for: "converting a face through a decoder")
        let input = Tensors.planar(try networkInput(face), shift: shifted ? info.shiftA : nil)
        let out = try run(input, count: 1, decoder: decoder)
        return (try Tensors.image(out, sample: 0, size: size), try Tensors.mask(out, sample: 0, size: size))
    }
}

extension FaceModel {
    /// The landmark GAN: where B's 68 points go for a face whose aligned points (network pixels)
    /// are `aligned` — B's mean shape plus the face's expression, taken as its offsets from the
    /// alignment template once the remaining pose (a similarity of the inner points) is removed.
    public func drivenShape(_ aligned: [Point]) throws -> [Point] {
        try require(.landmarkGAN, for: "retargeting landmarks")
        guard aligned.count == 68 else { throw FaceSwapError(.invalidArgument, "retargeting needs 68 points") }
        let template = try Aligner.template(size: size, padding: info.padding)
        let inner = Array(17..<68)
        let pose = try Affine.similarity(from: inner.map { aligned[$0] }, to: inner.map { template[$0] })
        return (0..<68).map { i in
            Point(info.meanShape[2 * i], info.meanShape[2 * i + 1]) + (pose.apply(aligned[i]) - template[i])
        }
    }

    /// The landmark GAN: B's face drawn from the map of `shape` (68 points, network pixels):
    /// the generator's face (BGR8) and mask (GRAY8), S × S.
    public func generate(_ shape: [Point]) throws -> (face: Image, mask: Image) {
        try require(.landmarkGAN, for: "generating from landmarks")
        let out = try run(try LandmarkMap.render([shape], size: size), count: 1, decoder: .b)
        return (try Tensors.image(out, sample: 0, size: size), try Tensors.mask(out, sample: 0, size: size))
    }
}

/// The landmark GAN's input: 68 points drawn as anti-aliased lines, one channel per feature group
/// (jaw, brows, nose, eyes, lips), by the shim (fsx_lgan_render).
public enum LandmarkMap {
    public static let channels = Int(FSX_LGAN_CHANNELS)

    /// Renders each face's 68 points (network pixels) into out at offset (channels × size² floats per face).
    static func render(_ faces: [[Point]], size: Int, into out: inout [Float], at offset: Int = 0) throws {
        guard faces.allSatisfy({ $0.count == 68 }) else {
            throw FaceSwapError(.invalidArgument, "a landmark map needs 68 points per face")
        }
        let flat = faces.flatMap { $0.flatMap { [$0.x, $0.y] } }
        let n = faces.count, len = n * channels * size * size
        guard offset >= 0, out.count >= offset + len else { throw FaceSwapError(.internal, "landmark map: buffer too small") }
        try out.withUnsafeMutableBufferPointer { o in
            try shim(fsx_lgan_render(flat, Int32(n), Int32(size), o.baseAddress! + offset), "landmark map")
        }
    }

    static func render(_ faces: [[Point]], size: Int) throws -> [Float] {
        var out = [Float](repeating: 0, count: faces.count * channels * size * size)
        try render(faces, size: size, into: &out)
        return out
    }

    /// Channel-wise maximum of one map as a BGR8 picture (each group its own colour), for previews.
    static func picture(_ map: [Float], sample i: Int, size s: Int) throws -> Image {
        let colours: [[Float]] = [[255, 255, 255], [0, 200, 255], [255, 120, 0], [0, 255, 0], [60, 60, 255]]
        let img = try Image(width: s, height: s, format: .bgr8)
        let plane = s * s, base = img.data.assumingMemoryBound(to: UInt8.self)
        for y in 0..<s { for x in 0..<s { for c in 0..<3 {
            var v: Float = 0
            for k in 0..<channels { v = max(v, map[(i * channels + k) * plane + y * s + x] * colours[k][c]) }
            base[y * img.stride + 3 * x + c] = UInt8(min(255, v))
        } } }
        return img
    }
}

/// Image <-> planar float tensors (NCHW, B, G, R in 0…1).
enum Tensors {
    static func planar(_ img: Image, shift: [Double]?, into out: inout [Float], at offset: Int,
                       contrast: Float = 1, brightness: Float = 0) {
        let s = img.width, plane = s * s
        let sh = shift.map { $0.map { Float($0) } } ?? [0, 0, 0]
        let base = img.data.assumingMemoryBound(to: UInt8.self)
        out.withUnsafeMutableBufferPointer { o in
            for y in 0..<s {
                let row = base + y * img.stride
                for x in 0..<s {
                    for c in 0..<3 {
                        let v = ((Float(row[3 * x + c]) + sh[c]) / 255 - 0.5) * contrast + 0.5 + brightness
                        o[offset + c * plane + y * s + x] = min(1, max(0, v))
                    }
                }
            }
        }
    }

    static func planar(_ img: Image, shift: [Double]?) -> [Float] {
        var out = [Float](repeating: 0, count: 3 * img.width * img.width)
        planar(img, shift: shift, into: &out, at: 0)
        return out
    }

    static func gray(_ img: Image, into out: inout [Float], at offset: Int) {
        let s = img.width
        let base = img.data.assumingMemoryBound(to: UInt8.self)
        for y in 0..<s { for x in 0..<s { out[offset + y * s + x] = Float(base[y * img.stride + x]) / 255 } }
    }

    static func byte(_ v: Float) -> UInt8 { UInt8(max(0, min(255, (v * 255).rounded()))) }

    /// Sample i's colour channels (of a 4- or 3-channel tensor) as a BGR8 image.
    static func image(_ t: [Float], sample i: Int, size s: Int, channels k: Int = 4) throws -> Image {
        let img = try Image(width: s, height: s, format: .bgr8)
        let plane = s * s, base = img.data.assumingMemoryBound(to: UInt8.self)
        for y in 0..<s { for x in 0..<s { for c in 0..<3 {
            base[y * img.stride + 3 * x + c] = byte(t[(i * k + c) * plane + y * s + x])
        } } }
        return img
    }

    static func mask(_ t: [Float], sample i: Int, size s: Int) throws -> Image {
        let img = try Image(width: s, height: s, format: .gray8)
        let plane = s * s, base = img.data.assumingMemoryBound(to: UInt8.self)
        for y in 0..<s { for x in 0..<s { base[y * img.stride + x] = byte(t[(i * 4 + 3) * plane + y * s + x]) } }
        return img
    }
}
