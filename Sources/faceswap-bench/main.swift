import FaceSwap
let args = CommandLine.arguments
if args.count > 1 && args[1] == "--mean-face" {
    let shape = try Landmarker.meanShape(modelPath: try ModelResolver.find(ModelResolver.landmarks68))
    print(MeanFaceGenerator.source(try MeanFaceGenerator.normalised(shape)))
}
