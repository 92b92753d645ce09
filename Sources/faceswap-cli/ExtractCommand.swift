import FaceSwap
#if canImport(Glibc)
import Glibc
#endif

enum ExtractCommand {
    static let help = """
    usage: faceswap extract INPUT... -o DIR [options]

    Finds the faces in photos, folders of photos and videos, aligns each (a similarity transform
    from its 68 landmarks onto the mean face) and writes DIR/NAME.png (the square crop) with
    DIR/NAME.json (source, frame, image->crop transform, landmarks in crop pixels, sharpness).
    Blurry faces and near-duplicates of faces already kept are skipped. These folders are what
    `faceswap train --faces-a DIR --faces-b DIR` learns from.

      -o, --output DIR         folder for the crops (created if missing)
      --size N                 crop side in pixels (\(Args.about(ExtractOptions.self, "size")))
      --padding P              room around the face, as a fraction of the crop (\(Args.about(ExtractOptions.self, "padding")))
      --min-sharpness V        skip faces whose Laplacian variance is below V; 0 keeps all
                               (\(Args.about(ExtractOptions.self, "min_sharpness")))
      --duplicate D            skip faces within D grey levels (mean abs difference of 32x32
                               thumbnails) of one already kept from the same input; 0 keeps all
                               (\(Args.about(ExtractOptions.self, "duplicate_distance")))
      --every N                video: look at every N-th frame (\(Args.about(ExtractOptions.self, "every_nth_frame")))
      --faces N                at most N faces per image or frame, largest first (\(Args.about(ExtractOptions.self, "max_faces")))
      --quiet                  no progress bar
    \(Args.detectorHelp)
    """

    static let valued: Set<String> = Args.detectorValued.union(["-o", "--output", "--size", "--padding", "--min-sharpness",
                                                                "--duplicate", "--every", "--faces"])
    static let switches: Set<String> = ["--help", "--quiet"]

    /// Extraction options from the command line.
    static func options(_ a: Args) throws -> ExtractOptions {
        var o = ExtractOptions()
        for (flag, name) in [("--size", "size"), ("--padding", "padding"), ("--min-sharpness", "min_sharpness"),
                             ("--duplicate", "duplicate_distance"), ("--every", "every_nth_frame"), ("--faces", "max_faces")] {
            try a.set(flag, name, in: &o)
        }
        return o
    }

    static func run(_ argv: ArraySlice<String>) throws {
        let a = try Args(argv, valued: valued, switches: switches)
        if a.has("--help") { print(help); return }
        guard !a.positional.isEmpty else { throw UsageError(message: "give at least one photo, folder or video (see --help)") }
        guard let out = a.string("-o") ?? a.string("--output") else { throw UsageError(message: "-o DIR is required (see --help)") }
        let o = try options(a)
        let extractor = try Extractor(detector: try Detector(try a.detectorOptions()),
                                      landmarker: try Landmarker(modelPath: a.string("--landmarks-model")), options: o)
        signal(SIGINT) { _ in interrupted = 1 }
        let bar = a.has("--quiet") ? nil : Terminal.Progress("extracting", total: 0, unit: "frames/s")
        let s = try extractor.run(a.positional, into: out) { done, total in
            bar?.update(done, total: total)
            return interrupted == 0
        }
        bar?.finish()
        Terminal.error("faceswap: \(s.frames) images/frames: \(s.framesByFaceCount[0]) without a face, \(s.framesByFaceCount[1]) with one, " +
                       "\(s.framesByFaceCount[2]) with more; \(s.facesFound) faces found, \(s.skippedBlurry) blurry and " +
                       "\(s.skippedDuplicate) duplicates skipped, \(s.written) written to \(out)")
    }
}
