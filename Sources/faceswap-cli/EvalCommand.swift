import FaceSwap

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
        let images = try a.positional.map { try Image.load(path: $0) }
        let detector = try Detector(try a.detectorOptions())
        let landmarker = try Landmarker(modelPath: a.string("--landmarks-model"))
        let recognizer = try? Recognizer()
        let m = try Evaluator.evaluate(source: images[0], target: images[1], result: images[2], detector: detector,
                                       landmarker: landmarker, recognizer: recognizer)
        func opt(_ v: Double?) -> String { v.map(JSON.number) ?? "null" }
        if a.has("--json") {
            print("{\"identity_to_source\":\(opt(m.identityToSource)),\"identity_to_target\":\(opt(m.identityToTarget)),"
                + "\"landmark_error\":\(JSON.number(m.landmarkError)),\"changed_outside\":\(JSON.number(m.changedOutside)),"
                + "\"seam_score\":\(JSON.number(m.seamScore)),\"edge_step_worst\":\(JSON.number(m.edgeStepWorst)),"
                + "\"edge_step_mean\":\(JSON.number(m.edgeStepMean)),\"redetected\":\(m.redetected)}")
        } else {
            print("identity distance to source  \(opt(m.identityToSource))\(recognizer == nil ? "  (face-recognition model not installed)" : "")")
            print("identity distance to target  \(opt(m.identityToTarget))")
            print("landmark error vs target     \(JSON.number(m.landmarkError)) of the inter-ocular distance\(m.redetected ? "" : " (face not re-detected)")")
            print("changed outside the face     \(JSON.number(m.changedOutside * 100)) % of pixels")
            print("seam score                   \(JSON.number(m.seamScore))")
            print("colour step at the face edge \(JSON.number(m.edgeStepWorst)) ΔE worst sector, \(JSON.number(m.edgeStepMean)) mean (2.3: just noticeable)")
        }
    }
}
