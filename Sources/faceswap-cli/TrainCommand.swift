import CFaceSwapABI

enum TrainCommand {
    static let help = """
    usage: faceswap train --faces-a DIR --faces-b DIR --model M.fsm (--iterations N | --minutes M) [options]

    Trains the learned conversion: one shared encoder and one decoder per person, so that
    decoder B applied to A's encoded face is B's face with A's pose and expression. The folders
    are made by `faceswap extract`. Before training, A's faces are shifted by
    mean(B) - mean(A) per channel. Augmentation: random rotation/scale/shift, flips,
    brightness/contrast, and the classic random warp of the input. The model file (with the
    training state) is written atomically every --checkpoint iterations, at the end and on Ctrl-C;
    --resume continues from it exactly. Also written: M.loss.csv and M.loss.png (loss curves), and
    with --preview DIR a grid of A, A->A, A->B, B, B->B, B->A every --preview-every iterations.

      --faces-a DIR, --faces-b DIR   extracted faces of person A and person B
      --model PATH             model file (.fsm) to write (or to continue with --resume)
      --iterations N           train N more iterations (one batch of A and one of B each)
      --minutes M              or train for M minutes (whichever comes first if both)
      --resume                 continue from PATH's checkpoint (same data, same results)
      --size 64|128            network input/output side (default \(Options.defaultText(FS_OPTIONS_TRAIN, "size")); new models only)
      --input-size 64          with --size 128: a 64-px input, decoders that upscale to 128 px
                               (the face's detail at 128 for about the compute of 64; new models only)
      --batch B                faces per identity per iteration (\(Options.about(FS_OPTIONS_TRAIN, "batch")))
      --lr R                   Adam learning rate (\(Options.about(FS_OPTIONS_TRAIN, "learning_rate")))
      --ssim W, --l1 W         loss weights (default \(Options.defaultText(FS_OPTIONS_TRAIN, "ssim_weight")), \(Options.defaultText(FS_OPTIONS_TRAIN, "l1_weight")));
                               --mask-loss W (default \(Options.defaultText(FS_OPTIONS_TRAIN, "mask_weight")))
      --gan W                  adversarial loss weight with patch discriminators (default \(Options.defaultText(FS_OPTIONS_TRAIN, "gan_weight")): off)
      --seed S                 random seed (default \(defaultSeed))
      --checkpoint N           write the model every N iterations (default \(Options.defaultText(FS_OPTIONS_TRAIN, "checkpoint_every")))
      --preview DIR            write preview grids into DIR; --preview-every N (default \(Options.defaultText(FS_OPTIONS_TRAIN, "preview_every")))
      --name-a NAME, --name-b NAME   labels for previews and plots
      --no-warp                train without the random warp (and other augmentation)
      --quiet                  no progress bar
    """

    static let ganHelp = """
    usage: faceswap train-gan --faces-b DIR --model B.fsg (--iterations N | --minutes M) [options]

    Trains the landmark GAN (the second learned method): a U-Net generator that draws person B
    from a rendering of B's own 68 landmarks (one channel of lines per feature group: jaw, brows,
    nose, eyes, lips), with L1 + SSIM reconstruction losses and a least-squares patch
    discriminator that judges (landmark map, face) pairs. The folder is made by `faceswap
    extract`; the model stores B's mean aligned landmark shape for retargeting. Checkpoints,
    --resume, loss files and Ctrl-C are as for `faceswap train`; the preview grid shows B, B's
    landmark map and the generated B.

      --faces-b DIR            extracted faces of person B
      --model PATH             model file to write (or to continue with --resume)
      --iterations N, --minutes M, --resume, --size, --batch, --lr, --ssim, --l1, --mask-loss,
      --seed, --checkpoint, --preview DIR, --preview-every N, --name-b NAME, --no-warp, --quiet
                               as for `faceswap train` (--no-warp: no augmentation)
      --gan W                  adversarial loss weight (default here \(ganDefaultWeight))
    """
    /// train-gan's adversarial weight unless --gan is given: the discriminator is the method.
    static let ganDefaultWeight: Float = 0.1

    static let valued: Set<String> = [
        "--faces-a", "--faces-b", "--model", "--iterations", "--minutes", "--size", "--input-size", "--batch", "--lr", "--ssim", "--l1",
        "--mask-loss", "--gan", "--seed", "--checkpoint", "--preview", "--preview-every", "--name-a", "--name-b"]
    static let switches: Set<String> = ["--help", "--resume", "--quiet", "--no-warp"]

    /// fs_train_options_init's seed (not a table option).
    static var defaultSeed: UInt64 {
        var o = fs_train_options()
        _ = fs_train_options_init(&o, MemoryLayout<fs_train_options>.size)
        return o.seed
    }

    /// Training options from the command line (the texts are set by run()).
    static func options(_ a: Args) throws -> fs_train_options {
        var o = fs_train_options()
        try check(fs_train_options_init(&o, MemoryLayout<fs_train_options>.size))
        let k = FS_OPTIONS_TRAIN
        a.set(switch: "--resume", \.resume, to: true, in: &o)
        try a.set("--size", k, "size", \.size, in: &o)
        try a.set("--input-size", k, "input_size", \.input_size, in: &o)
        try a.set("--batch", k, "batch", \.batch, in: &o)
        try a.set("--lr", k, "learning_rate", \.learning_rate, in: &o)
        try a.set("--ssim", k, "ssim_weight", \.ssim_weight, in: &o)
        try a.set("--l1", k, "l1_weight", \.l1_weight, in: &o)
        try a.set("--mask-loss", k, "mask_weight", \.mask_weight, in: &o)
        try a.set("--gan", k, "gan_weight", \.gan_weight, in: &o)
        try a.set("--checkpoint", k, "checkpoint_every", \.checkpoint_every, in: &o)
        try a.set("--preview-every", k, "preview_every", \.preview_every, in: &o)
        if let v = a.string("--seed") {
            guard let s = UInt64(v) else { throw UsageError(message: "--seed must be a whole number ≥ 0, not '\(v)'") }
            o.seed = s
        }
        a.set(switch: "--no-warp", \.augment, to: false, in: &o)
        if o.resume != 0 && ["--size", "--input-size", "--batch", "--lr", "--ssim", "--l1", "--mask-loss", "--gan", "--seed"].contains(where: { a.string($0) != nil }) {
            throw UsageError(message: "--resume continues with the model's own settings; drop --size/--input-size/--batch/--lr/loss weights/--seed")
        }
        return o
    }

    /// What the training callback keeps: the bar, the log's clock and the last losses.
    final class Watch {
        let bar: Terminal.Progress?
        let start: Int64
        let iterations: Int?
        let quietLog: Bool
        var lastLog = Terminal.now()
        var lossA: Float = 0, lossB: Float = 0
        init(bar: Terminal.Progress?, start: Int64, iterations: Int?, quietLog: Bool) {
            self.bar = bar; self.start = start; self.iterations = iterations; self.quietLog = quietLog
        }
    }

    /// fs_trainer_run's callback: `user` is the Watch; Ctrl-C stops (the checkpoint is written).
    static let callback: fs_train_fn = { user, p in
        guard let user, let p = p?.pointee else { return interrupted == 0 ? 0 : 1 }
        let w = Unmanaged<Watch>.fromOpaque(user).takeUnretainedValue()
        w.lossA = p.loss_a.0
        w.lossB = p.loss_b.0
        // (The landmark GAN trains B alone: its A losses are NaN.)
        let losses = w.lossA.isNaN ? "loss \(JSON.number(w.lossB))" : "loss A \(JSON.number(w.lossA)) B \(JSON.number(w.lossB))"
        if let bar = w.bar {
            let done = Int(p.iteration - w.start)
            bar.note = losses
            bar.update(done, total: w.iterations ?? done)
        }
        if !w.quietLog && Terminal.now() - w.lastLog > 10 {
            w.lastLog = Terminal.now()
            Terminal.error("iteration \(p.iteration): \(losses)")
        }
        return interrupted == 0 ? 0 : 1
    }

    /// `faceswap train`, or with gan `faceswap train-gan` (the landmark GAN of B alone).
    static func run(_ argv: ArraySlice<String>, gan: Bool = false) throws {
        let a = try Args(argv, valued: valued, switches: switches)
        if a.has("--help") { print(gan ? ganHelp : help); return }
        guard a.positional.isEmpty else { throw UsageError(message: "unexpected argument '\(a.positional[0])' (see --help)") }
        if gan, a.string("--faces-a") != nil || a.string("--name-a") != nil {
            throw UsageError(message: "train-gan learns person B alone: drop --faces-a/--name-a")
        }
        let fa = a.string("--faces-a")
        guard let fb = a.string("--faces-b"), gan || fa != nil else {
            throw UsageError(message: gan ? "--faces-b DIR is required (make it with `faceswap extract`)"
                                          : "--faces-a DIR and --faces-b DIR are required (make them with `faceswap extract`)")
        }
        guard let model = a.string("--model") else { throw UsageError(message: "--model PATH is required (see --help)") }
        let iterations = try a.int("--iterations", 0...100_000_000)
        let minutes = try a.double("--minutes", 0...1_000_000)
        guard iterations != nil || minutes != nil else { throw UsageError(message: "say how long: --iterations N or --minutes M") }
        var o = try options(a)
        if gan {
            o.method = FS_MODEL_LANDMARK_GAN
            if a.string("--gan") == nil && o.resume == 0 { o.gan_weight = ganDefaultWeight }
        }
        let texts = [a.string("--preview"), a.string("--name-a"), a.string("--name-b")]
        let trainer = try withCStrings(texts.map { $0 ?? "" }) { c in
            if texts[0] != nil { o.preview_dir = c[0] }
            if texts[1] != nil { o.name_a = c[1] }
            if texts[2] != nil { o.name_b = c[2] }
            defer { o.preview_dir = nil; o.name_a = nil; o.name_b = nil }
            return try Handle.make(fs_trainer_free) { fs_trainer_create(fa, fb, model, &o, $0) }
        }
        var info = fs_model_info()
        info.struct_size = UInt32(MemoryLayout<fs_model_info>.size)
        try check(fs_trainer_get_model_info(trainer.pointer, &info))
        var facesA: Int64 = 0, facesB: Int64 = 0
        try check(fs_trainer_get_face_counts(trainer.pointer, &facesA, &facesB))
        let start = info.iterations
        let resuming = start > 0 ? "; resuming at iteration \(start)" : ""
        if gan {
            Terminal.error("faceswap: \(facesB) faces of B; landmark generator \(info.size)x\(info.size), " +
                           "\(info.decoder_parameters) parameters" + resuming)
        } else {
            Terminal.error("faceswap: \(facesA) faces of A, \(facesB) of B; network \(info.input_size)x\(info.input_size) -> \(info.size)x\(info.size), " +
                           "\(info.encoder_parameters + 2 * info.decoder_parameters) parameters (encoder \(info.encoder_parameters), decoders 2 x \(info.decoder_parameters))" +
                           resuming)
        }
        Terminal.error("faceswap: networks run on \(fixedText(&info.backend))")
        catchInterrupt()
        let watch = Watch(bar: a.has("--quiet") ? nil : Terminal.Progress("training", total: iterations ?? 0, unit: "it/s"),
                          start: start, iterations: iterations, quietLog: a.has("--quiet") || Terminal.stderrIsTTY)
        let status = withExtendedLifetime(watch) {
            fs_trainer_run(trainer.pointer, Int64(iterations ?? 0), (minutes ?? 0) * 60, callback, Unmanaged.passUnretained(watch).toOpaque())
        }
        watch.bar?.finish()
        try check(status)
        try check(fs_trainer_get_model_info(trainer.pointer, &info))
        // The loss files are named after the model: its path less ".fsm" or ".fsg" (see fs_trainer_create).
        let stem = model.hasSuffix(".fsm") || model.hasSuffix(".fsg") ? String(model.dropLast(4)) : model
        let losses = gan ? "loss \(JSON.number(watch.lossB))" : "loss A \(JSON.number(watch.lossA)) B \(JSON.number(watch.lossB))"
        Terminal.error("faceswap: iteration \(info.iterations) in \(JSON.number(info.seconds)) s of training; \(losses) -> " +
                       "\(model), \(stem).loss.csv, \(stem).loss.png")
    }
}
