#if canImport(Glibc)
import Glibc
#endif
import CFaceShim

public struct TrainOptions: Sendable {
    /// The learned method of a new model (a resumed model keeps its own, and must be of this kind).
    public var kind: ModelKind = .autoencoder
    /// Network side: 64 or 128 (new models only; a resumed model keeps its own).
    public var size = 64
    /// The network's input side: 0 (the default) the same as `size`; 64 with size 128 makes the
    /// autoencoder whose decoders upscale (a 64-px input, a 128-px face). New models only.
    public var inputSize = 0
    /// The network crop's template padding (Aligner); conversion aligns target faces the same way.
    public var padding = 0.15
    public var hyper = TrainHyper()
    public var augmentation = Augmentation()
    public var seed: UInt64 = 1
    /// Write the model (with training state) every this many iterations (0: only at the end).
    public var checkpointEvery = 250
    /// Write a preview grid every this many iterations into `previewFolder` (0: never).
    public var previewEvery = 100
    public var previewFolder: String? = nil
    public var nameA = "A"
    public var nameB = "B"
    /// Continue from the model file's checkpoint instead of starting a new model.
    public var resume = false
    public init() {}

    func validate() throws {
        // Ranges: the option table (Core/OptionTable.swift); what a range cannot say, below.
        try OptionField.validate(Self.fields, self, .train)
        func bad(_ s: String) -> FaceSwapError { FaceSwapError(.invalidArgument, "fs_train_options: \(s)") }
        if size != 64 && size != 128 { throw bad("size \(size) is not 64 or 128") }
        if inputSize != 0 && inputSize != size && !(inputSize == 64 && size == 128 && kind == .autoencoder) {
            throw bad("input_size \(inputSize) with size \(size): use 0 (the size), or 64 with size 128 (the autoencoder only)")
        }
        if !(padding >= 0 && padding <= 0.45) { throw bad("padding \(padding) is outside 0–0.45") }
        if hyper.l1 + hyper.ssim <= 0 { throw bad("at least one of the l1 and ssim weights must be > 0") }
        let a = augmentation
        for v in [a.rotationDegrees, a.scale, a.shift, a.brightness, a.contrast, a.warp] where !(v >= 0 && v <= 45) {
            throw bad("augmentation amounts must be within 0–45")
        }
    }
}

/// Losses of one iteration (one batch of A, one of B).
public struct TrainStep: Sendable {
    public var iteration: Int
    public var seconds: Double
    /// total, l1, 1 − ssim, mask mse, gan (generator), gan (discriminator)
    public var lossA: [Float]
    public var lossB: [Float]
}

/// Trains a learned model: the shared-encoder autoencoder on two folders of extracted faces, or
/// the landmark GAN on B's folder alone. Checkpoints are the model file itself (with training
/// state), written atomically; a resumed run continues bit for bit.
public final class Trainer {
    public let modelPath: String
    public let options: TrainOptions
    public private(set) var model: FaceModel
    /// A's faces (nil for the landmark GAN, which learns B alone).
    let setA: FaceSet?, setB: FaceSet
    var rng: Xoshiro
    public private(set) var history: [TrainStep] = []
    /// The swapped frame's identity distances at each preview (TrainingPictures.swift).
    public internal(set) var identityHistory: [(iteration: Int, toB: Double, toA: Double)] = []
    var framePreviewState: FramePreviewState? = nil
    var framePreviewTried = false
    let started = StageClock.now()
    let secondsBefore: Double

    public var iteration: Int { model.info.iterations }
    public var facesA: Int { setA?.count ?? 0 }
    var isGAN: Bool { model.info.kind == .landmarkGAN }
    public var facesB: Int { setB.count }
    public var csvPath: String { Trainer.stem(modelPath) + ".loss.csv" }
    public var plotPath: String { Trainer.stem(modelPath) + ".loss.png" }

    static func stem(_ p: String) -> String { p.hasSuffix(".fsm") || p.hasSuffix(".fsg") ? String(p.dropLast(4)) : p }

    /// facesA: nil (and ignored) for the landmark GAN.
    public init(facesA: String?, facesB: String, modelPath: String, options: TrainOptions = TrainOptions()) throws {
        try requireSupportedCPU()
        try options.validate()
        guard !modelPath.isEmpty else { throw FaceSwapError(.invalidArgument, "no model path given") }
        self.modelPath = modelPath
        self.options = options
        if options.resume {
            model = try FaceModel.load(path: modelPath, training: true)
            try model.require(options.kind, for: options.kind == .autoencoder ? "`faceswap train --resume`" : "`faceswap train-gan --resume`")
        } else {
            var info = ModelInfo()
            info.kind = options.kind
            info.size = options.size
            info.inputSize = options.inputSize == 0 ? options.size : options.inputSize
            info.padding = options.padding
            info.hyper = options.hyper
            info.seed = options.seed
            info.nameA = options.nameA
            info.nameB = options.nameB
            model = try FaceModel.fresh(info)
        }
        let info = model.info
        if info.kind == .autoencoder {
            guard let facesA else { throw FaceSwapError(.invalidArgument, "no folder of A's faces given") }
            setA = try FaceSet(folder: facesA, modelSize: info.size, modelPadding: info.padding)
        } else {
            setA = nil
        }
        setB = try FaceSet(folder: facesB, modelSize: info.size, modelPadding: info.padding)
        if options.resume {
            rng = Xoshiro(state: info.rng)
            let done = info.iterations
            history = Trainer.readCSV(Trainer.stem(modelPath) + ".loss.csv").filter { $0.iteration <= done }
        } else {
            rng = Xoshiro(seed: info.seed)
            if let setA {
                // The classic pre-processing: A += mean(B) − mean(A), per channel, inside the faces.
                let (ma, mb) = (setA.mean, setB.mean)
                model.info.shiftA = (0..<3).map { mb[$0] - ma[$0] }
            } else {
                model.info.meanShape = setB.meanShape(modelSize: info.size, modelPadding: info.padding).flatMap { [$0.x, $0.y] }
            }
            model.info.rng = rng.words
        }
        // Each person's real face for conversion's fine detail (DetailFace), also given to a
        // model made before 0.21.0 when it resumes.
        if model.info.detailB == nil { model.info.detailB = try DetailFace.pick(from: setB).encoded() }
        if let setA, model.info.detailA == nil { model.info.detailA = try DetailFace.pick(from: setA).encoded() }
        secondsBefore = model.info.seconds
    }

    /// One iteration: a batch of A through decoder A, then a batch of B through decoder B (the
    /// landmark GAN: one batch of B's landmark maps through the generator; A's losses are NaN).
    @discardableResult
    public func step() throws -> TrainStep {
        let info = model.info
        var hyper = fsx_ae_hyper(learning_rate: Float(info.hyper.learningRate), l1_weight: Float(info.hyper.l1),
                                 ssim_weight: Float(info.hyper.ssim), mask_weight: Float(info.hyper.mask),
                                 gan_weight: Float(info.hyper.gan), background_weight: Float(info.hyper.background))
        func train(_ b: Batch, _ who: Identity) throws -> [Float] {
            var l = [Float](repeating: 0, count: Int(FSX_AE_LOSSES))
            try shim(fsx_ae_train_step(model.handle, Int32(who.rawValue), b.input, b.target, b.mask, Int32(b.count),
                                       &hyper, &l, nil), "training step")
            return l
        }
        var losses: [[Float]] = []
        if let setA {
            for (set, who) in [(setA, Identity.a), (setB, Identity.b)] {
                losses.append(try train(try Augmenter.batch(set, count: info.hyper.batch, size: info.size, inputSize: info.inputSize,
                                                            padding: info.padding,
                                                            shift: who == .a ? info.shiftA : nil,
                                                            augmentation: options.augmentation, rng: &rng), who))
            }
        } else {
            losses.append([Float](repeating: .nan, count: Int(FSX_AE_LOSSES)))
            losses.append(try train(try Augmenter.landmarkBatch(setB, count: info.hyper.batch, size: info.size, padding: info.padding,
                                                                augmentation: options.augmentation, rng: &rng), .b))
        }
        model.info.iterations += 1
        model.info.rng = rng.words
        model.info.seconds = secondsBefore + StageClock.now() - started
        let s = TrainStep(iteration: model.info.iterations, seconds: model.info.seconds, lossA: losses[0], lossB: losses[1])
        history.append(s)
        return s
    }

    /// Trains until `iterations` more have run or `seconds` have passed (whichever is given and
    /// first). `progress` sees every step; returning false stops: the checkpoint is written and
    /// FS_ERR_CANCELLED thrown.
    public func run(iterations: Int?, seconds: Double?, progress: ((TrainStep) -> Bool)? = nil) throws {
        guard iterations != nil || seconds != nil else {
            throw FaceSwapError(.invalidArgument, "say how long to train: a number of iterations or minutes")
        }
        if let n = iterations, n < 0 || n > 100_000_000 { throw FaceSwapError(.invalidArgument, "iterations \(n) is outside 0–100000000") }
        let until = iteration + (iterations ?? Int.max / 2)
        let t0 = StageClock.now()
        while iteration < until, seconds.map({ StageClock.now() - t0 < $0 }) ?? true {
            let s = try step()
            if options.previewEvery > 0, options.previewFolder != nil, s.iteration % options.previewEvery == 0 { try writePreview() }
            if options.checkpointEvery > 0, s.iteration % options.checkpointEvery == 0 { try checkpoint() }
            if let progress, !progress(s) {
                try checkpoint()
                throw FaceSwapError(.cancelled, "training cancelled at iteration \(iteration); checkpoint written to '\(modelPath)' (training can resume from it)")
            }
        }
        try checkpoint()
        if options.previewFolder != nil { try writePreview() }
    }

    /// Writes the model with its training state, the loss CSV and the loss plot (all atomically).
    public func checkpoint() throws {
        try model.save(path: modelPath, training: true)
        var csv = "iteration,seconds,total_a,l1_a,ssim_a,mask_a,gan_g_a,gan_d_a,total_b,l1_b,ssim_b,mask_b,gan_g_b,gan_d_b\n"
        for s in history {
            csv += "\(s.iteration),\(s.seconds)," + (s.lossA + s.lossB).map { "\($0)" }.joined(separator: ",") + "\n"
        }
        try Array(csv.utf8).withUnsafeBytes { try Files.writeAtomically(csvPath, $0) }
        try lossPlot().save(path: plotPath)
    }

    /// Loss curves (moving average over 1 % of the run) for A and B.
    public func lossPlot() throws -> Image {
        func smoothed(_ f: (TrainStep) -> Float) -> [(x: Double, y: Double)] {
            let w = max(1, history.count / 100)
            var out: [(x: Double, y: Double)] = []
            var sum = 0.0
            for (i, s) in history.enumerated() {
                sum += Double(f(s))
                if i >= w { sum -= Double(f(history[i - w])) }
                if i % max(1, history.count / 800) == 0 || i == history.count - 1 {
                    out.append((Double(s.iteration), sum / Double(min(i + 1, w))))
                }
            }
            return out
        }
        let i = model.info
        let b = Chart.Series(name: "\(i.nameB) (B)", points: smoothed { $0.lossB[0] }, colour: [20, 60, 220])
        if isGAN {
            return try Chart.lines([b], title: "landmark GAN loss (L1 + SSIM + mask + GAN), \(i.size)x\(i.size), batch \(i.hyper.batch)",
                                   xLabel: "iteration")
        }
        return try Chart.lines([
            Chart.Series(name: "\(i.nameA) (A)", points: smoothed { $0.lossA[0] }, colour: [200, 80, 20]), b,
        ], title: "training loss (L1 + SSIM + mask), \(i.size)x\(i.size), batch \(i.hyper.batch)", xLabel: "iteration")
    }

    /// The preview grid: rows A, A→A, A→B, B, B→B, B→A over six fixed faces of each set (the
    /// landmark GAN: B, B's landmark map, the generator's B from it).
    public func preview(columns: Int = 6) throws -> Image {
        let info = model.info, s = info.size, plane = 3 * info.inputSize * info.inputSize
        var rows: [[Image]] = []
        if setA == nil {
            let n = min(columns, setB.count)
            let base = setB.baseTransform(modelSize: s, modelPadding: info.padding)
            let picks = (0..<n).map { $0 * setB.count / n }
            let maps = try LandmarkMap.render(picks.map { setB.workingLandmarks($0).map { base.apply($0) } }, size: s)
            let out = try model.run(maps, count: n, decoder: .b, pooled: false)
            rows.append(try picks.map { try setB.crops[$0].warped(base, width: s, height: s) })
            rows.append(try (0..<n).map { try LandmarkMap.picture(maps, sample: $0, size: s) })
            rows.append(try (0..<n).map { try Tensors.image(out, sample: $0, size: s) })
            return try grid(rows, labels: ["\(info.nameB)", "landmark map", "generated \(info.nameB)"], columns: columns)
        }
        for (set, who) in [(setA!, Identity.a), (setB, Identity.b)] {
            let n = min(columns, set.count)
            var input = [Float](repeating: 0, count: n * plane)
            var faces: [Image] = []
            let base = set.baseTransform(modelSize: s, modelPadding: info.padding)
            for i in 0..<n {
                let face = try set.crops[i * set.count / n].warped(base, width: s, height: s)
                faces.append(face)
                Tensors.planar(try model.networkInput(face), shift: who == .a ? info.shiftA : nil, into: &input, at: i * plane)
            }
            let same = try model.run(input, count: n, decoder: who, pooled: false)
            let swapped = try model.run(input, count: n, decoder: who.other, pooled: false)
            rows.append(faces)
            rows.append(try (0..<n).map { try Tensors.image(same, sample: $0, size: s) })
            rows.append(try (0..<n).map { try Tensors.image(swapped, sample: $0, size: s) })
        }
        let labels = ["\(info.nameA)", "\(info.nameA) > \(info.nameA)", "\(info.nameA) > \(info.nameB)",
                      "\(info.nameB)", "\(info.nameB) > \(info.nameB)", "\(info.nameB) > \(info.nameA)"]
        return try grid(rows, labels: labels, columns: columns)
    }

    /// Rows of pictures with a label each, under the iteration number.
    func grid(_ rows: [[Image]], labels: [String], columns: Int) throws -> Image {
        let info = model.info, s = info.size
        let tile = max(128, s), gap = 4, labelWidth = 200
        let width = labelWidth + columns * (tile + gap), height = 30 + rows.count * (tile + gap)
        let canvas = try Image(width: width, height: height, format: .bgr8)
        memset(canvas.data, 255, canvas.stride * height)
        try shim(fsx_draw_text(canvas.view, "iteration \(info.iterations)", 8, 20, 0.55, [0, 0, 0]), "preview")
        for (r, row) in rows.enumerated() {
            let y = 30 + r * (tile + gap)
            try shim(fsx_draw_text(canvas.view, String(labels[r].prefix(24)), 8, Double(y + tile / 2), 0.5, [0, 0, 0]), "preview")
            for (c, img) in row.enumerated() {
                try canvas.region(IntRect(x: labelWidth + c * (tile + gap), y: y, width: tile, height: tile))
                    .assign(from: try img.resized(width: tile, height: tile))
            }
        }
        return canvas
    }

    func writePreview() throws {
        guard let folder = options.previewFolder else { return }
        try Files.makeFolder(folder)
        let img = try preview()
        try img.save(path: folder + "/preview.png")
        let n = String(iteration)
        let number = String(repeating: "0", count: max(0, 7 - n.count)) + n
        try img.save(path: folder + "/preview_" + number + ".png")
        if setA != nil, let frame = try framePreview() {
            try frame.save(path: folder + "/preview_frame.png")
            try frame.save(path: folder + "/preview_frame_" + number + ".png")
        }
    }

    static func readCSV(_ path: String) -> [TrainStep] {
        guard let bytes = try? Files.read(path, limit: 1 << 28) else { return [] }
        var out: [TrainStep] = []
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n").dropFirst() {
            let v = line.split(separator: ",").compactMap { Double($0) }
            guard v.count == 14 else { continue }
            out.append(TrainStep(iteration: Int(v[0]), seconds: v[1], lossA: v[2..<8].map { Float($0) }, lossB: v[8..<14].map { Float($0) }))
        }
        return out
    }
}
