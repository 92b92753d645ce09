import FaceSwap

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
        let image = try Image.load(path: a.positional[0])
        let detector = try Detector(try a.detectorOptions())
        let landmarker = try Landmarker(modelPath: a.string("--landmarks-model"))
        let faces = try detector.detect(image).map { try landmarker.fit(image, $0) }
        if a.has("--json") {
            print("{\"faces\":[" + faces.map(JSON.face).joined(separator: ",") + "]}")
        } else {
            print("\(faces.count) face(s)")
            for (i, f) in faces.enumerated() {
                print("face \(i): box \(JSON.number(f.box.x)),\(JSON.number(f.box.y)) \(JSON.number(f.box.width))x\(JSON.number(f.box.height))  score \(JSON.number(f.score))")
            }
        }
        if let out = a.string("--draw") {
            let canvas = try image.ensuring(.bgr8).copy()
            try Overlay.faces(faces, on: canvas)
            try canvas.save(path: out)
        }
    }
}
