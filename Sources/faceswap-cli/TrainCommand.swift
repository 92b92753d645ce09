import FaceSwap
#if canImport(Glibc)
import Glibc
#endif

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
      --size 64|128            network input/output side (default \(TrainOptions().size); new models only)
      --batch B                faces per identity per iteration (\(Args.about(TrainOptions.self, "batch")))
      --lr R                   Adam learning rate (\(Args.about(TrainOptions.self, "learning_rate")))
      --ssim W, --l1 W         loss weights (default \(TrainOptions.spec("ssim_weight").defaultText), \(TrainOptions.spec("l1_weight").defaultText));
                               --mask-loss W (default \(TrainOptions.spec("mask_weight").defaultText))
      --gan W                  adversarial loss weight with patch discriminators (default \(TrainOptions.spec("gan_weight").defaultText): off)
      --seed S                 random seed (default 1)
      --checkpoint N           write the model every N iterations (default \(TrainOptions().checkpointEvery))
      --preview DIR            write preview grids into DIR; --preview-every N (default \(TrainOptions().previewEvery))
      --name-a NAME, --name-b NAME   labels for previews and plots
      --no-warp                train without the random warp (and other augmentation)
      --quiet                  no progress bar
    """

    static let valued: Set<String> = [
        "--faces-a", "--faces-b", "--model", "--iterations", "--minutes", "--size", "--batch", "--lr", "--ssim", "--l1",
        "--mask-loss", "--gan", "--seed", "--checkpoint", "--preview", "--preview-every", "--name-a", "--name-b"]
    static let switches: Set<String> = ["--help", "--resume", "--quiet", "--no-warp"]

    /// Training options from the command line.
    static func options(_ a: Args) throws -> TrainOptions {
        var o = TrainOptions()
        a.set(switch: "--resume", "resume", to: true, in: &o)
        if let v = try a.choice("--size", ["64", "128"]) { o.size = Int(v)! }
        for (flag, name) in [("--batch", "batch"), ("--lr", "learning_rate"), ("--ssim", "ssim_weight"), ("--l1", "l1_weight"),
                             ("--mask-loss", "mask_weight"), ("--gan", "gan_weight"), ("--checkpoint", "checkpoint_every"),
                             ("--preview-every", "preview_every")] {
            try a.set(flag, name, in: &o)
        }
        if let v = a.string("--seed") {
            guard let s = UInt64(v) else { throw UsageError(message: "--seed must be a whole number ≥ 0, not '\(v)'") }
            o.seed = s
        }
        o.previewFolder = a.string("--preview")
        if let v = a.string("--name-a") { o.nameA = v }
        if let v = a.string("--name-b") { o.nameB = v }
        a.set(switch: "--no-warp", "augment", to: false, in: &o)
        if o.resume && ["--size", "--batch", "--lr", "--ssim", "--l1", "--mask-loss", "--gan", "--seed"].contains(where: { a.string($0) != nil }) {
            throw UsageError(message: "--resume continues with the model's own settings; drop --size/--batch/--lr/loss weights/--seed")
        }
        return o
    }

    static func run(_ argv: ArraySlice<String>) throws {
        let a = try Args(argv, valued: valued, switches: switches)
        if a.has("--help") { print(help); return }
        guard a.positional.isEmpty else { throw UsageError(message: "unexpected argument '\(a.positional[0])' (see --help)") }
        guard let fa = a.string("--faces-a"), let fb = a.string("--faces-b") else {
            throw UsageError(message: "--faces-a DIR and --faces-b DIR are required (make them with `faceswap extract`)")
        }
        guard let model = a.string("--model") else { throw UsageError(message: "--model PATH is required (see --help)") }
        let iterations = try a.int("--iterations", 0...100_000_000)
        let minutes = try a.double("--minutes", 0...1_000_000)
        guard iterations != nil || minutes != nil else { throw UsageError(message: "say how long: --iterations N or --minutes M") }
        let o = try options(a)
        let trainer = try Trainer(facesA: fa, facesB: fb, modelPath: model, options: o)
        let c = trainer.model.parameterCounts
        Terminal.error("faceswap: \(trainer.facesA) faces of A, \(trainer.facesB) of B; network \(trainer.model.size)x\(trainer.model.size), " +
                       "\(c.encoder + 2 * c.decoder) parameters (encoder \(c.encoder), decoders 2 x \(c.decoder))" +
                       (trainer.iteration > 0 ? "; resuming at iteration \(trainer.iteration)" : ""))
        signal(SIGINT) { _ in interrupted = 1 }
        let start = trainer.iteration
        let bar = a.has("--quiet") ? nil : Terminal.Progress("training", total: iterations ?? 0, unit: "it/s")
        let quietLog = a.has("--quiet") || Terminal.stderrIsTTY
        var lastLog = Terminal.now()
        try trainer.run(iterations: iterations, seconds: minutes.map { $0 * 60 }) { s in
            if let bar {
                bar.note = "loss A \(JSON.number(Double(s.lossA[0]))) B \(JSON.number(Double(s.lossB[0])))"
                bar.update(s.iteration - start, total: iterations ?? (s.iteration - start))
            }
            if !quietLog && Terminal.now() - lastLog > 10 {
                lastLog = Terminal.now()
                Terminal.error("iteration \(s.iteration): loss A \(JSON.number(Double(s.lossA[0]))) B \(JSON.number(Double(s.lossB[0])))")
            }
            return interrupted == 0
        }
        bar?.finish()
        let last = trainer.history.last
        Terminal.error("faceswap: iteration \(trainer.iteration) in \(JSON.number(trainer.model.info.seconds)) s of training; loss A " +
                       "\(JSON.number(Double(last?.lossA[0] ?? 0))) B \(JSON.number(Double(last?.lossB[0] ?? 0))) -> \(model), " +
                       "\(trainer.csvPath), \(trainer.plotPath)")
    }
}
