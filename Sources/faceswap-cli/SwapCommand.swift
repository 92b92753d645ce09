import FaceSwap

enum SwapCommand {
    static let help = """
    usage: faceswap swap --source A.jpg --target B.jpg -o OUT.png [options]

    Puts the face of the person in A onto the face(s) in B, keeping B's pose, expression, lighting
    and everything outside the face. OUT has exactly B's size.

      --source PATH              photo of the face to use
      --target PATH              photo to put it into
      -o, --output PATH          result (.png or .jpg; written atomically)
      --mode affine|delaunay     conversion: one global affine, or piecewise-affine over a Delaunay
                                 mesh that follows B's expression (default delaunay)
      --color none|mean|reinhard|hist
                                 colour correction inside the face mask (default reinhard)
      --blend alpha|poisson|multiband|poisson-exact
                                 blending (default multiband: Laplacian pyramid; poisson: a fast
                                 membrane solution; poisson-exact: OpenCV seamlessClone, slower)
      --faces all|N              replace every face (default) or only the N-th largest (0 = largest)
      --reference R.jpg          replace only faces of the person in R (needs the face-recognition
                                 model, see README)
      --source-face N            which face of A to use (default 0, the largest)
      --expression E             delaunay: how far the eyes, brows, nose and mouth take B's shape
                                 and expression (1) or keep A's (0); default 0.6
      --forehead F               raise the mask above the brows by F of the face height (default 0.1)
      --feather F                feather radius, fraction of face size (default 0.06)
      --erode E                  shrink the mask by E of the face size; negative grows (default 0.04)
      --source-mouth             use A's mouth interior too (default: keep B's teeth and tongue,
                                 which follow B's expression)
      --keep-unmatched           if B has no (matching) face, write B unchanged instead of failing
      --compare PATH             also write source | target | result side by side
      --mask PATH                also write the blend mask (grey PNG)
      --quality Q                JPEG quality 1-100 (default 92)
    \(Args.detectorHelp)
    """

    static let valued: Set<String> = Args.detectorValued.union([
        "--source", "--target", "-o", "--output", "--mode", "--color", "--blend", "--faces", "--reference",
        "--source-face", "--forehead", "--expression", "--feather", "--erode", "--compare", "--mask", "--quality"])

    /// Swap options from the command line (shared with `video` and the plugin's parameter strings).
    static func options(_ a: Args) throws -> SwapOptions {
        var o = SwapOptions()
        if let m = try a.choice("--mode", ConvertMode.allCases.map(\.name)) { o.mode = ConvertMode.allCases.first { $0.name == m }! }
        if let c = try a.choice("--color", ColorMode.allCases.map(\.name)) { o.color = ColorMode.allCases.first { $0.name == c }! }
        if let b = try a.choice("--blend", BlendMode.allCases.map(\.name)) { o.blend = BlendMode.allCases.first { $0.name == b }! }
        if let f = a.string("--faces"), f != "all" {
            guard let n = Int(f), n >= 0 else { throw UsageError(message: "--faces must be 'all' or a face number (0 = largest), not '\(f)'") }
            o.faceIndex = n
        }
        if let v = try a.double("--forehead", 0...1) { o.forehead = v }
        if let v = try a.double("--expression", 0...1) { o.expression = v }
        if let v = try a.double("--feather", 0...0.5) { o.feather = v }
        if let v = try a.double("--erode", -0.3...0.3) { o.erode = v }
        o.keepMouth = !a.has("--source-mouth")
        o.keepUnmatched = a.has("--keep-unmatched")
        return o
    }

    /// The swapper and prepared source from the command line (shared by `swap` and `video`).
    static func makeSwapper(_ a: Args, sourcePath: String) throws -> (Swapper, Source) {
        var options = try options(a)
        let detector = try Detector(try a.detectorOptions())
        let landmarker = try Landmarker(modelPath: a.string("--landmarks-model"))
        var recognizer: Recognizer? = nil
        if let refPath = a.string("--reference") {
            let r = try Recognizer()
            recognizer = r
            let ref = try Image.load(path: refPath)
            guard let face = try detector.detect(ref).first else {
                throw FaceSwapError(.noFace, "no face found in the reference image '\(refPath)'")
            }
            options.reference = try r.embed(ref, try landmarker.fit(ref, face))
        }
        let swapper = try Swapper(detector: detector, landmarker: landmarker, recognizer: recognizer, options: options)
        let sourceImage = try Image.load(path: sourcePath)
        do {
            return (swapper, try swapper.prepare(sourceImage, faceIndex: try a.int("--source-face", 0...1000) ?? 0))
        } catch let e as FaceSwapError where e.status == .noFace {
            throw FaceSwapError(.noFace, "'\(sourcePath)': \(e.message)")
        }
    }

    static func run(_ argv: ArraySlice<String>) throws {
        let a = try Args(argv, valued: valued, switches: ["--help", "--source-mouth", "--keep-unmatched"])
        if a.has("--help") { print(help); return }
        guard a.positional.isEmpty else { throw UsageError(message: "unexpected argument '\(a.positional[0])' (see --help)") }
        guard let sourcePath = a.string("--source") else { throw UsageError(message: "--source is required (see --help)") }
        guard let targetPath = a.string("--target") else { throw UsageError(message: "--target is required (see --help)") }
        guard let outPath = a.string("-o") ?? a.string("--output") else { throw UsageError(message: "-o OUT is required (see --help)") }
        _ = try Codec.forPath(outPath)
        if let c = a.string("--compare") { _ = try Codec.forPath(c) }
        let quality = try a.int("--quality", 1...100) ?? 0
        let (swapper, source) = try makeSwapper(a, sourcePath: sourcePath)
        let sourceImage = try Image.load(path: sourcePath)
        let target = try Image.load(path: targetPath)
        let result: SwapResult
        do {
            result = try swapper.swap(source, onto: target, wantMask: a.string("--mask") != nil)
        } catch let e as FaceSwapError where e.status == .noFace {
            throw FaceSwapError(.noFace, "'\(targetPath)': \(e.message) (--keep-unmatched writes it unchanged)")
        }
        try result.image.save(path: outPath, quality: quality)
        if let maskPath = a.string("--mask"), let mask = result.mask { try mask.save(path: maskPath) }
        if let comparePath = a.string("--compare") {
            try Montage.sideBySide([sourceImage, target, result.image]).save(path: comparePath, quality: quality)
        }
        if result.faces.isEmpty { Terminal.error("faceswap: no face in '\(targetPath)'; wrote it unchanged") }
    }
}
