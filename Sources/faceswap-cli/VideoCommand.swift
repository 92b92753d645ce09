import CFaceSwapABI

enum VideoCommand {
    static let help = """
    usage: faceswap video --source A.jpg --input IN.mp4 -o OUT.mp4 [swap options] [video options]
           faceswap video --model M.fsm [--reverse] --input IN.mp4 -o OUT.mp4 [options]

    Swaps the face of A onto the faces in every frame of IN. Every frame, its timestamp (variable
    frame rates included) and the audio track are kept; frames with no face pass through
    unchanged. A progress bar shows on a terminal; Ctrl-C stops cleanly and leaves no output file
    (the video is written to a temporary name and renamed when complete).

      --source PATH            photo of the face to use
      --model PATH             or a learned model (`faceswap train`): A's faces become B's
      --reverse                with --model: B's faces become A's
      --input PATH             the video (anything ffmpeg reads)
      -o, --output PATH        result (.mp4, .mkv or .mov): H.264, audio copied
      --detect-every N         run the detector every N frames, track in between
                               (\(Options.about(FS_OPTIONS_STREAM, "detect_interval")))
      --smooth-cutoff HZ       One-Euro filter cutoff when still; 0: no filter
                               (\(Options.about(FS_OPTIONS_STREAM, "min_cutoff")))
      --smooth-beta B          how fast the filter opens with motion (\(Options.about(FS_OPTIONS_STREAM, "beta")))
      --crf Q                  H.264 quality, 0 lossless (\(Options.about(FS_OPTIONS_VIDEO, "crf")))
      --preset P               x264 preset (default \(Options.defaultText(FS_OPTIONS_VIDEO, "preset")))
      --threads N              threads to use: decoding, swapping and encoding overlap; 0: every
                               core, 1: one (\(Options.about(FS_OPTIONS_VIDEO, "threads")))
      --quiet                  no progress bar
    Swap options as for `faceswap swap` (--mode, --color, --color-strength, --edge-color, --blend,
    --expression, --forehead, --feather, --erode, --source-mouth, --keep-occluders, --faces,
    --reference, --source-face, --keep-unmatched, --model-mask, --model-shape).
    \(Args.detectorHelp)
    """

    static let valued: Set<String> = SwapCommand.valued.union(["--input", "--detect-every", "--smooth-cutoff", "--smooth-beta",
                                                               "--crf", "--preset", "--threads"])
    static let switches: Set<String> = SwapCommand.switches.union(["--quiet"])

    /// H.264 settings shared by `video` and `reenact`, set on their options struct.
    static func setEncoding<S>(_ a: Args, _ kind: fs_options_kind, crf: WritableKeyPath<S, Int32>, threads: WritableKeyPath<S, Int32>,
                               in o: inout S) throws {
        try a.set("--crf", kind, "crf", crf, in: &o)
        try a.set("--threads", kind, "threads", threads, in: &o)
    }

    /// Video encoding options from the command line (the preset text is set by run()).
    static func options(_ a: Args) throws -> fs_video_options {
        var o = fs_video_options()
        try check(fs_video_options_init(&o, MemoryLayout<fs_video_options>.size))
        try setEncoding(a, FS_OPTIONS_VIDEO, crf: \.crf, threads: \.threads, in: &o)
        return o
    }

    static func run(_ argv: ArraySlice<String>) throws {
        let a = try Args(argv, valued: valued, switches: switches)
        if a.has("--help") { print(help); return }
        disableHugePages()  // a video job (Lib.swift)
        SwapCommand.stopBLASUnlessUsed(a)
        guard a.positional.isEmpty else { throw UsageError(message: "unexpected argument '\(a.positional[0])' (see --help)") }
        let sourcePath = a.string("--source")
        guard let input = a.string("--input") else { throw UsageError(message: "--input is required (see --help)") }
        guard let output = a.string("-o") ?? a.string("--output") else { throw UsageError(message: "-o OUT is required (see --help)") }
        var stream = try a.streamOptions()
        var o = try options(a)
        let (swapper, sourceFace) = try SwapCommand.makeSwapper(a, sourcePath: sourcePath)
        let source = try SwapCommand.loadSource(swapper, path: sourcePath, face: sourceFace)?.source

        catchInterrupt()
        let bar = a.has("--quiet") ? nil : Terminal.Progress("swapping", total: 0)
        var stats = fs_video_stats()
        stats.struct_size = UInt32(MemoryLayout<fs_video_stats>.size)
        try withCStrings([a.string("--preset") ?? ""]) { preset in
            if a.string("--preset") != nil { o.preset = preset[0] }
            try withUnsafePointer(to: &stream) { s in
                o.stream = s
                try check(fs_video_swap(swapper.pointer, source?.pointer, input, output, &o, progressCallback, userPointer(bar), &stats))
            }
        }
        bar?.finish()
        let fps = Double(stats.frames) / max(stats.seconds, 1e-6)
        Terminal.error("faceswap: \(stats.frames) frames (\(stats.frames_with_faces) with faces, \(stats.scene_cuts) scene cuts) in \(JSON.number(stats.seconds)) s, \(JSON.number(fps)) fps -> \(output)")
    }
}
