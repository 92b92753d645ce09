import FaceSwap
#if canImport(Glibc)
import Glibc
#endif

enum ReenactCommand {
    static let help = """
    usage: faceswap reenact --source PHOTO.jpg --driving DRIVER.mp4 -o OUT.mp4 [options]

    Makes the still photo follow the driving video's expressions and head motion while keeping
    its own identity (landmark-driven warping; the background stays still). The driver's first
    frame with a face is taken as its neutral pose. The driver's audio and timestamps are kept.

      --source PATH            the photo to animate (one face)
      --driving PATH           the driving video
      -o, --output PATH        result (.mp4, .mkv or .mov), the photo's size
      --side-by-side           write driver | result next to each other
      --expression S           scale of the expression transfer; above 1 exaggerates
                               (\(Args.about(ReenactOptions.self, "expression")))
      --head-motion S          share of the driver's head motion applied (\(Args.about(ReenactOptions.self, "head_motion")))
      --no-mouth-fill          do not fill an opening mouth from the driver's
      --detect-every N, --smooth-cutoff HZ, --smooth-beta B   tracking and smoothing (as `video`)
      --crf Q, --preset P      H.264 settings (as `video`: \(VideoEncoding().crf), \(VideoEncoding().preset))
      --threads N              threads to use (as `video`; \(Args.about(VideoEncoding.self, "threads")))
      --quiet                  no progress bar
    \(Args.detectorHelp)
    """

    static let valued: Set<String> = Args.detectorValued.union([
        "--source", "--driving", "-o", "--output", "--expression", "--head-motion", "--detect-every", "--smooth-cutoff",
        "--smooth-beta", "--crf", "--preset", "--threads"])
    static let switches: Set<String> = ["--help", "--side-by-side", "--no-mouth-fill", "--quiet"]

    /// Reenactment options from the command line.
    static func options(_ a: Args) throws -> ReenactOptions {
        var o = ReenactOptions()
        try a.set("--expression", "expression", in: &o)
        try a.set("--head-motion", "head_motion", in: &o)
        a.set(switch: "--no-mouth-fill", "mouth_fill", to: false, in: &o)
        a.set(switch: "--side-by-side", "side_by_side", to: true, in: &o)
        o.stream = try a.streamOptions()
        return o
    }

    static func run(_ argv: ArraySlice<String>) throws {
        let a = try Args(argv, valued: valued, switches: switches)
        if a.has("--help") { print(help); return }
        guard a.positional.isEmpty else { throw UsageError(message: "unexpected argument '\(a.positional[0])' (see --help)") }
        guard let sourcePath = a.string("--source") else { throw UsageError(message: "--source is required (see --help)") }
        guard let driving = a.string("--driving") else { throw UsageError(message: "--driving is required (see --help)") }
        guard let output = a.string("-o") ?? a.string("--output") else { throw UsageError(message: "-o OUT is required (see --help)") }
        let o = try options(a)
        let detector = try Detector(try a.detectorOptions())
        let landmarker = try Landmarker(modelPath: a.string("--landmarks-model"))
        let photo = try Image.load(path: sourcePath)
        let reenactor: Reenactor
        do {
            reenactor = try Reenactor(detector: detector, landmarker: landmarker, source: photo, options: o)
        } catch let e as FaceSwapError where e.status == .noFace {
            throw FaceSwapError(.noFace, "'\(sourcePath)': \(e.message)")
        }
        signal(SIGINT) { _ in interrupted = 1 }
        let bar = a.has("--quiet") ? nil : Terminal.Progress("reenacting", total: 0)
        let encoding = try a.videoEncoding()
        let result = try ReenactJob.run(reenactor: reenactor, driving: driving, output: output, sideBySide: o.sideBySide,
                                        encoding: encoding) { done, total in
            bar?.update(done, total: total)
            return interrupted == 0
        }
        bar?.finish()
        let fps = Double(result.frames) / max(result.seconds, 1e-6)
        Terminal.error("faceswap: \(result.frames) frames (\(result.framesWithFaces) with the driver's face) in \(JSON.number(result.seconds)) s, \(JSON.number(fps)) fps -> \(output)")
    }
}
