import CFaceSwapABI

enum ReenactCommand {
    static let help = """
    usage: faceswap reenact --source PHOTO.jpg [--source PHOTO2.jpg ...] --driving DRIVER.mp4 -o OUT.mp4 [options]

    Makes the still photo follow the driving video's expressions and head motion while keeping
    its own identity (landmark-driven warping; the background stays still). The driver's first
    frame with a face is taken as its neutral pose. The driver's audio and timestamps are kept.
    Several --source photos (up to \(FS_REENACT_GRID_MAX)) are animated by the one driver, tracked once,
    and tiled in one video: ceil(sqrt(N)) columns (or --columns), each tile scaled to the smallest
    photo's height, 8 black pixels between tiles; with --side-by-side the driver is the first tile.

      --source PATH            the photo to animate (one face); repeat it for a grid of photos
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
                               photo's colours, 2 the driver's, colour-matched
                               (\(Options.about(FS_OPTIONS_REENACT, "mouth_fill")))
      --no-mouth-fill          the same as --mouth-fill 0
      --detect-every N, --smooth-cutoff HZ, --smooth-beta B   tracking and smoothing (as `video`)
      --crf Q, --preset P      H.264 settings (as `video`: \(Options.defaultText(FS_OPTIONS_VIDEO, "crf")), \(Options.defaultText(FS_OPTIONS_VIDEO, "preset")))
      --threads N              threads to use (as `video`; \(Options.about(FS_OPTIONS_VIDEO, "threads")))
      --quiet                  no progress bar
    \(Args.detectorHelp)
    """

    static let valued: Set<String> = Args.detectorValued.union([
        "--source", "--columns", "--driving", "-o", "--output", "--expression", "--head-motion", "--mouth-fill", "--detect-every", "--smooth-cutoff",
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

    static func run(_ argv: ArraySlice<String>) throws {
        let a = try Args(argv, valued: valued, switches: switches)
        if a.has("--help") { print(help); return }
        guard a.positional.isEmpty else { throw UsageError(message: "unexpected argument '\(a.positional[0])' (see --help)") }
        let sources = a.strings("--source")
        guard !sources.isEmpty else { throw UsageError(message: "--source is required (see --help)") }
        guard sources.count <= Int(FS_REENACT_GRID_MAX) else {
            throw UsageError(message: "\(sources.count) --source photos: at most \(FS_REENACT_GRID_MAX) (see --help)")
        }
        let columns = try a.int("--columns", 0...Int(FS_REENACT_GRID_MAX)) ?? 0
        guard let driving = a.string("--driving") else { throw UsageError(message: "--driving is required (see --help)") }
        guard let output = a.string("-o") ?? a.string("--output") else { throw UsageError(message: "-o OUT is required (see --help)") }
        var o = try options(a)
        var stream = try a.streamOptions()
        let (detector, landmarker) = try detectorAndLandmarker(a)
        // One reenactor per photo; an error names the photo (its path and its place on the line).
        let reenactors = try sources.enumerated().map { i, path in
            try about(sources.count > 1 ? "--source #\(i + 1) '\(path)'" : "'\(path)'") {
                let photo = try Images.load(path)
                return try withUnsafePointer(to: &stream) { s in
                    o.stream = s
                    defer { o.stream = nil }
                    return try Handle.make(fs_reenactor_free) { fs_reenactor_create(detector.pointer, landmarker.pointer, photo.pointer, &o, $0) }
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
