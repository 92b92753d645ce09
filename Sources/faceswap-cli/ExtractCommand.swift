import CFaceSwapABI

enum ExtractCommand {
    static let help = """
    usage: faceswap extract INPUT... -o DIR [options]

    Finds the faces in photos, folders of photos and videos, aligns each (a similarity transform
    from its 68 landmarks onto the mean face) and writes DIR/NAME.png (the square crop) with
    DIR/NAME.json (source, frame, image->crop transform, landmarks in crop pixels, sharpness).
    Blurry faces and near-duplicates of faces already kept are skipped. These folders are what
    `faceswap train --faces-a DIR --faces-b DIR` learns from.

      -o, --output DIR         folder for the crops (created if missing)
      --size N                 crop side in pixels (\(Options.about(FS_OPTIONS_EXTRACT, "size")))
      --padding P              room around the face, as a fraction of the crop (\(Options.about(FS_OPTIONS_EXTRACT, "padding")))
      --min-sharpness V        skip faces whose Laplacian variance is below V; 0 keeps all
                               (\(Options.about(FS_OPTIONS_EXTRACT, "min_sharpness")))
      --duplicate D            skip faces within D grey levels (mean abs difference of 32x32
                               thumbnails) of one already kept from the same input; 0 keeps all
                               (\(Options.about(FS_OPTIONS_EXTRACT, "duplicate_distance")))
      --every N                video: look at every N-th frame (\(Options.about(FS_OPTIONS_EXTRACT, "every_nth_frame")))
      --faces N                at most N faces per image or frame, largest first (\(Options.about(FS_OPTIONS_EXTRACT, "max_faces")))
      --quiet                  no progress bar
    \(Args.detectorHelp)
    """

    static let valued: Set<String> = Args.detectorValued.union(["-o", "--output", "--size", "--padding", "--min-sharpness",
                                                                "--duplicate", "--every", "--faces"])
    static let switches: Set<String> = ["--help", "--quiet"]

    /// Extraction options from the command line.
    static func options(_ a: Args) throws -> fs_extract_options {
        var o = fs_extract_options()
        try check(fs_extract_options_init(&o, MemoryLayout<fs_extract_options>.size))
        let k = FS_OPTIONS_EXTRACT
        try a.set("--size", k, "size", \.size, in: &o)
        try a.set("--padding", k, "padding", \.padding, in: &o)
        try a.set("--min-sharpness", k, "min_sharpness", \.min_sharpness, in: &o)
        try a.set("--duplicate", k, "duplicate_distance", \.duplicate_distance, in: &o)
        try a.set("--every", k, "every_nth_frame", \.every_nth_frame, in: &o)
        try a.set("--faces", k, "max_faces", \.max_faces, in: &o)
        return o
    }

    static func run(_ argv: ArraySlice<String>) throws {
        let a = try Args(argv, valued: valued, switches: switches)
        if a.has("--help") { print(help); return }
        guard !a.positional.isEmpty else { throw UsageError(message: "give at least one photo, folder or video (see --help)") }
        guard let out = a.string("-o") ?? a.string("--output") else { throw UsageError(message: "-o DIR is required (see --help)") }
        var o = try options(a)
        let (detector, landmarker) = try detectorAndLandmarker(a)
        catchInterrupt()
        let bar = a.has("--quiet") ? nil : Terminal.Progress("extracting", total: 0, unit: "frames/s")
        var s = fs_extract_stats()
        s.struct_size = UInt32(MemoryLayout<fs_extract_stats>.size)
        try withCStrings(a.positional) { inputs in
            try check(fs_extract(detector.pointer, landmarker.pointer, inputs, inputs.count, out, &o, progressCallback, userPointer(bar), &s))
        }
        bar?.finish()
        Terminal.error("faceswap: \(s.frames) images/frames: \(s.frames_without_face) without a face, \(s.frames_with_one_face) with one, " +
                       "\(s.frames_with_more_faces) with more; \(s.faces_found) faces found, \(s.skipped_blurry) blurry and " +
                       "\(s.skipped_duplicate) duplicates skipped, \(s.written) written to \(out)")
    }
}
