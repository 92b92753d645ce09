import CFaceSwapABI

enum DetectCommand {
    static let help = """
    usage: faceswap detect IMAGE [--json] [--draw OUT.png] [detector options]

    Finds faces and their 68 landmarks. Prints one line per face, or with --json:
      {"faces":[{"box":[x,y,w,h],"rect":[x,y,w,h],"score":s,"landmarks":[[x,y],...68]},...]}
    box is the square face crop (grown by --margin); rect is the detector's own rectangle.

      --json                    print JSON on stdout
      --draw OUT.png            write the image with boxes (green), detector rects (blue) and
                                landmarks (red) drawn
    \(Args.detectorHelp)
    """

    static let valued: Set<String> = Args.detectorValued.union(["--draw"])
    static let switches: Set<String> = ["--help", "--json"]

    static func run(_ argv: ArraySlice<String>) throws {
        let a = try Args(argv, valued: valued, switches: switches)
        if a.has("--help") { print(help); return }
        guard a.positional.count == 1 else { throw UsageError(message: "detect needs exactly one IMAGE (see --help)") }
        if let d = a.string("--draw") { try Options.checkImagePath("--draw", d) }
        let image = try Images.load(a.positional[0])
        let (detector, landmarker) = try detectorAndLandmarker(a)
        var found = try faces { fs_detect(detector.pointer, image.pointer, $0, $1, $2) }
        for i in found.indices { try check(fs_landmarks_fit(landmarker.pointer, image.pointer, &found[i])) }
        if a.has("--json") {
            print("{\"faces\":[" + found.map(JSON.face).joined(separator: ",") + "]}")
        } else {
            print("\(found.count) face(s)")
            for (i, f) in found.enumerated() {
                print("face \(i): box \(JSON.number(f.box.x)),\(JSON.number(f.box.y)) \(JSON.number(f.box.width))x\(JSON.number(f.box.height))  score \(JSON.number(f.score))")
            }
        }
        if let out = a.string("--draw") {
            let canvas = try Handle.make(fs_image_free) { fs_image_convert(image.pointer, FS_FORMAT_BGR8, $0) }
            try check(fs_draw_faces(canvas.pointer, found, found.count))
            try Images.save(canvas, out)
        }
    }
}
