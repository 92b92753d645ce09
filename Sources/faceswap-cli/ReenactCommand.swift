import CFaceSwapABI

enum ReenactCommand {
    static let help = """
    usage: faceswap reenact --source PHOTO.jpg [--source PHOTO2.jpg ...] --driving DRIVER.mp4 -o OUT.mp4 [options]
           faceswap reenact --model B.fsg --driving DRIVER.mp4 -o OUT.mp4 [--canvas WxH] [options]

    Makes the still photo follow the driving video's expressions and head motion while keeping
    its own identity (landmark-driven warping; the background stays still). The driver's first
    frame with a face is taken as its neutral pose. The driver's audio and timestamps are kept.
    Several --source photos (up to \(FS_REENACT_GRID_MAX)) are animated by the one driver, tracked once,
    and tiled in one video: ceil(sqrt(N)) columns (or --columns), each tile scaled to the smallest
    photo's height, 8 black pixels between tiles; with --side-by-side the driver is the first tile.
    With --model (a landmark GAN of person B, `faceswap train-gan`) B is generated instead,
    following the driver's expressions, with B's neutral head pose plus the driver's head motion:
    on a plain grey canvas (--canvas), B's model crop centred and half the canvas's smaller side
    wide at the neutral pose (the model holds no picture of B's surroundings).

      --source PATH            the photo to animate (one face); repeat it for a grid of photos
      --model PATH             a landmark GAN model (.fsg) instead of --source: person B generated
      --canvas WxH             with --model: the video's size (default 512x512; 16-4096 a side)
      --columns N              grid columns for several photos (default: ceil(sqrt(tiles));
                               N at or over the tiles: one row)
      --driving PATH           the driving video
      -o, --output PATH        result (.mp4, .mkv or .mov), the photo's size (one photo)
      --side-by-side           write driver | result next to each other
      --expression S           scale of the expression transfer; above 1 exaggerates
                               (\(Options.about(FS_OPTIONS_REENACT, "expression")))
      --head-motion S          share of the driver's head motion applied; above 1 amplifies it
                               (\(Options.about(FS_OPTIONS_REENACT, "head_motion")))
      --mouth-fill M           an opening mouth's inside: 0 off, 1 a cavity and teeth in the
                               photo's colours, 2 the driver's, colour-matched (not with --model:
                               the generator draws the mouth)
                               (\(Options.about(FS_OPTIONS_REENACT, "mouth_fill")))
      --no-mouth-fill          the same as --mouth-fill 0
      --detect-every N, --smooth-cutoff HZ, --smooth-beta B   tracking and smoothing (as `video`)
      --crf Q, --preset P      H.264 settings (as `video`: \(Options.defaultText(FS_OPTIONS_VIDEO, "crf")), \(Options.defaultText(FS_OPTIONS_VIDEO, "preset")))
      --threads N              threads to use (as `video`; \(Options.about(FS_OPTIONS_VIDEO, "threads")))
      --quiet                  no progress bar
    \(Args.detectorHelp)
    """

    static let valued: Set<String> = Args.detectorValued.union([
        "--source", "--model", "--canvas", "--columns", "--driving", "-o", "--output", "--expression", "--head-motion", "--mouth-fill", "--detect-every", "--smooth-cutoff",
        "--smooth-beta", "--crf", "--preset", "--threads"])
    static let switches: Set<String> = ["--help", "--side-by-side", "--no-mouth-fill", "--quiet"]

    /// Reenactment options from the command line (the stream options are set by run()).
    static func options(_ a: Args) throws -> fs_reenact_options {
        var o = fs_reenact_options()
        try check(fs_reenact_options_init(&o, MemoryLayout<fs_reenact_options>.size))
        try a.set("--expression", FS_OPTIONS_REENACT, "expression", \.expression, in: &o)
        try a.set("--head-motion", FS_OPTIONS_REENACT, "head_motion", \.head_motion, in: &o)
        try a.set("--mouth-fill", FS_OPTIONS_REENACT, "mouth_fill", \.mouth_fill, in: &o)
        a.set(switch: "--no-mouth-fill", \.mouth_fill, to: false, in: &o)
        a.set(switch: "--side-by-side", \.side_by_side, to: true, in: &o)
        try VideoCommand.setEncoding(a, FS_OPTIONS_VIDEO, crf: \.crf, threads: \.threads, in: &o)
        return o
    }

    /// --canvas WxH (the library checks the range).
    static func canvas(_ text: String) throws -> (Int32, Int32) {
        let parts = text.lowercased().split(separator: "x")
        guard parts.count == 2, let w = Int32(parts[0]), let h = Int32(parts[1]) else {
            throw UsageError(message: "--canvas '\(text)' is not WIDTHxHEIGHT (e.g. 512x512)")
        }
        return (w, h)
    }

    static func run(_ argv: ArraySlice<String>) throws {
        let a = try Args(argv, valued: valued, switches: switches)
        if a.has("--help") { print(help); return }
        disableHugePages()  // a video job (Lib.swift)
        guard a.positional.isEmpty else { throw UsageError(message: "unexpected argument '\(a.positional[0])' (see --help)") }
        let sources = a.strings("--source")
        let modelPath = a.string("--model")
        if modelPath != nil && !sources.isEmpty { throw UsageError(message: "give --source or --model, not both") }
        guard !sources.isEmpty || modelPath != nil else { throw UsageError(message: "--source PHOTO (or --model B.fsg) is required (see --help)") }
        if modelPath == nil && a.string("--canvas") != nil { throw UsageError(message: "--canvas needs --model") }
        let canvas = try self.canvas(a.string("--canvas") ?? "512x512")
        guard sources.count <= Int(FS_REENACT_GRID_MAX) else {
            throw UsageError(message: "\(sources.count) --source photos: at most \(FS_REENACT_GRID_MAX) (see --help)")
        }
        let columns = try a.int("--columns", 0...Int(FS_REENACT_GRID_MAX)) ?? 0
        guard let driving = a.string("--driving") else { throw UsageError(message: "--driving is required (see --help)") }
        guard let output = a.string("-o") ?? a.string("--output") else { throw UsageError(message: "-o OUT is required (see --help)") }
        var o = try options(a)
        var stream = try a.streamOptions()
        let (detector, landmarker) = try detectorAndLandmarker(a)
        /// A reenactor made by `create` from the options (with the stream options set).
        func withOptions(_ create: (UnsafePointer<fs_reenact_options>, UnsafeMutablePointer<OpaquePointer?>) -> fs_status) throws -> Handle {
            try withUnsafePointer(to: &stream) { s in
                o.stream = s
                defer { o.stream = nil }
                return try Handle.make(fs_reenactor_free) { create(&o, $0) }
            }
        }
        // One reenactor per photo, or one of the model; an error names the file (its path and,
        // for several photos, its place on the line).
        let reenactors: [Handle]
        if let modelPath {
            reenactors = [try about("'\(modelPath)'") {
                let model = try Handle.make(fs_model_free) { fs_model_load(modelPath, $0) }
                return try withOptions { fs_reenactor_create_model(detector.pointer, landmarker.pointer, model.pointer, canvas.0, canvas.1, $0, $1) }
            }]
        } else {
            reenactors = try sources.enumerated().map { i, path in
                try about(sources.count > 1 ? "--source #\(i + 1) '\(path)'" : "'\(path)'") {
                    let photo = try Images.load(path)
                    return try withOptions { fs_reenactor_create(detector.pointer, landmarker.pointer, photo.pointer, $0, $1) }
                }
            }
        }
        catchInterrupt()
        let bar = a.has("--quiet") ? nil : Terminal.Progress("reenacting", total: 0)
        var stats = fs_video_stats()
        stats.struct_size = UInt32(MemoryLayout<fs_video_stats>.size)
        try withCStrings([a.string("--preset") ?? ""]) { preset in
            if a.string("--preset") != nil { o.preset = preset[0] }
            if reenactors.count == 1 {
                try check(fs_reenact_video(reenactors[0].pointer, driving, output, &o, progressCallback, userPointer(bar), &stats))
            } else {
                let list: [OpaquePointer?] = reenactors.map(\.pointer)
                try check(fs_reenact_grid_video(list, list.count, Int32(columns), driving, output, &o, progressCallback,
                                                userPointer(bar), &stats))
            }
        }
        bar?.finish()
        let fps = Double(stats.frames) / max(stats.seconds, 1e-6)
        Terminal.error("faceswap: \(stats.frames) frames (\(stats.frames_with_faces) with the driver's face) in \(JSON.number(stats.seconds)) s, \(JSON.number(fps)) fps -> \(output)")
    }
}
