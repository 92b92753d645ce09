import CFaceSwapABI

enum EvalCommand {
    static let help = """
    usage: faceswap eval SOURCE TARGET RESULT [--json] [detector options]

    Measures a swap: identity distance of the result's face to the source and the target (dlib
    face-recognition ResNet, when its model is installed; < 0.6 means the same person), landmark
    error of the result against the target (fraction of the inter-ocular distance), the fraction
    of pixels changed outside the face regions, and the seam score (gradient on the mask outline
    in the result over the target's; about 1 when there is no visible seam), and the colour step
    at the face's edge (CIE ΔE76 between rings either side of the jaw and brows, per sector of 16
    around every face, result minus target: the worst sector and the mean; 2.3 is just noticeable).
    \(Args.detectorHelp)
    """

    static let valued: Set<String> = Args.detectorValued
    static let switches: Set<String> = ["--help", "--json"]

    static func run(_ argv: ArraySlice<String>) throws {
        let a = try Args(argv, valued: valued, switches: switches)
        if a.has("--help") { print(help); return }
        guard a.positional.count == 3 else { throw UsageError(message: "eval needs SOURCE TARGET RESULT (see --help)") }
        let images = try a.positional.map { try Images.load($0) }
        let (detector, landmarker) = try detectorAndLandmarker(a)
        let recognizer = try? Handle.make(fs_recognizer_free) { fs_recognizer_create(nil, $0) }  // optional model
        let swapper = try Handle.make(fs_swapper_free) {
            fs_swapper_create(detector.pointer, landmarker.pointer, recognizer?.pointer, nil, $0)
        }
        var m = fs_swap_metrics()
        m.struct_size = UInt32(MemoryLayout<fs_swap_metrics>.size)
        try check(fs_eval_swap(swapper.pointer, images[0].pointer, images[1].pointer, images[2].pointer, &m))
        let redetected = m.redetected != 0
        if a.has("--json") {
            print("{\"identity_to_source\":\(JSON.number(m.identity_to_source)),\"identity_to_target\":\(JSON.number(m.identity_to_target)),"
                + "\"landmark_error\":\(JSON.number(m.landmark_error)),\"changed_outside\":\(JSON.number(m.changed_outside)),"
                + "\"seam_score\":\(JSON.number(m.seam_score)),\"edge_step_worst\":\(JSON.number(m.edge_step_worst)),"
                + "\"edge_step_mean\":\(JSON.number(m.edge_step_mean)),\"redetected\":\(redetected)}")
        } else {
            print("identity distance to source  \(JSON.number(m.identity_to_source))\(recognizer == nil ? "  (face-recognition model not installed)" : "")")
            print("identity distance to target  \(JSON.number(m.identity_to_target))")
            print("landmark error vs target     \(JSON.number(m.landmark_error)) of the inter-ocular distance\(redetected ? "" : " (face not re-detected)")")
            print("changed outside the face     \(JSON.number(m.changed_outside * 100)) % of pixels")
            print("seam score                   \(JSON.number(m.seam_score))")
            print("colour step at the face edge \(JSON.number(m.edge_step_worst)) ΔE worst sector, \(JSON.number(m.edge_step_mean)) mean (2.3: just noticeable)")
        }
    }
}
