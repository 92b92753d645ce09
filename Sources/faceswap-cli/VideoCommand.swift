import FaceSwap
#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT; the progress callback turns it into a clean cancel.
nonisolated(unsafe) var interrupted: sig_atomic_t = 0

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
                               (\(Args.about(StreamOptions.self, "detect_interval")))
      --smooth-cutoff HZ       One-Euro filter cutoff when still; 0: no filter
                               (\(Args.about(StreamOptions.self, "min_cutoff")))
      --smooth-beta B          how fast the filter opens with motion (\(Args.about(StreamOptions.self, "beta")))
      --crf Q                  H.264 quality, 0 lossless (\(Args.about(VideoEncoding.self, "crf")))
      --preset P               x264 preset (default \(VideoEncoding().preset))
      --threads N              threads to use: decoding, swapping and encoding overlap; 0: every
                               core, 1: one (\(Args.about(VideoEncoding.self, "threads")))
      --quiet                  no progress bar
    Swap options as for `faceswap swap` (--mode, --color, --blend, --expression, --forehead,
    --feather, --erode, --source-mouth, --faces, --reference, --source-face).
    \(Args.detectorHelp)
    """

    static let valued: Set<String> = SwapCommand.valued.union(["--input", "--detect-every", "--smooth-cutoff", "--smooth-beta",
                                                               "--crf", "--preset", "--threads"])
    static let switches: Set<String> = ["--help", "--source-mouth", "--keep-unmatched", "--quiet"]

    static func run(_ argv: ArraySlice<String>) throws {
        let a = try Args(argv, valued: valued, switches: switches)
        if a.has("--help") { print(help); return }
        guard a.positional.isEmpty else { throw UsageError(message: "unexpected argument '\(a.positional[0])' (see --help)") }
        let sourcePath = a.string("--source")
        guard let input = a.string("--input") else { throw UsageError(message: "--input is required (see --help)") }
        guard let output = a.string("-o") ?? a.string("--output") else { throw UsageError(message: "-o OUT is required (see --help)") }
        let stream = try a.streamOptions()
        let encoding = try a.videoEncoding()
        let (swapper, source) = try SwapCommand.makeSwapper(a, sourcePath: sourcePath)

        signal(SIGINT) { _ in interrupted = 1 }
        let bar = a.has("--quiet") ? nil : Terminal.Progress("swapping", total: 0)
        let result = try VideoJob.run(input: input, output: output, swapper: swapper, source: source, options: stream,
                                      encoding: encoding) { done, total in
            bar?.update(done, total: total)
            return interrupted == 0
        }
        bar?.finish()
        let fps = Double(result.frames) / max(result.seconds, 1e-6)
        Terminal.error("faceswap: \(result.frames) frames (\(result.framesWithFaces) with faces, \(result.sceneCuts) scene cuts) in \(JSON.number(result.seconds)) s, \(JSON.number(fps)) fps -> \(output)")
    }
}
