import CFaceShim

/// The extracted faces of one identity, in memory: each aligned crop (scaled to a working size)
/// with its face mask, and the mapping from the crops' template to the network's.
final class FaceSet {
    let folder: String
    var crops: [Image] = []
    var masks: [Image] = []
    /// Each crop's sidecar: where it came from (photo or video frame) and its landmarks.
    var sidecars: [AlignedFace] = []
    /// Each crop's file (at its extracted size).
    var paths: [String] = []
    /// Working side of the stored crops and their template padding.
    let side: Int
    let padding: Double
    /// Mean colour (B, G, R, 0–255) inside the face masks over the whole set.
    private(set) var mean: [Double] = [0, 0, 0]
    static let maxFaces = 20_000

    /// Loads every NAME.png with a NAME.json sidecar from `folder` (sorted by name).
    init(folder: String, modelSize: Int, modelPadding: Double) throws {
        self.folder = folder
        let names = try Files.list(folder).filter { $0.hasSuffix(".json") }.sorted()
        guard !names.isEmpty else {
            throw FaceSwapError(.invalidArgument, "'\(folder)' holds no extracted faces (NAME.png + NAME.json); " +
                                "make them with `faceswap extract VIDEO_OR_PHOTOS -o \(folder)`")
        }
        guard names.count <= FaceSet.maxFaces else {
            throw FaceSwapError(.tooLarge, "'\(folder)' holds \(names.count) faces; the limit is \(FaceSet.maxFaces)")
        }
        var side = 0, padding = 0.0
        var sums = [0.0, 0.0, 0.0], pixels = 0.0
        for name in names {
            let base = folder + "/" + String(name.dropLast(5))
            let meta = try AlignedFace.parse(try Files.read(base + ".json", limit: 1 << 20), path: base + ".json")
            let crop = try Image.load(path: base + ".png").ensuring(.bgr8)
            guard crop.width == meta.size, crop.height == meta.size else {
                throw FaceSwapError(.decode, "'\(base).png' is \(crop.width)×\(crop.height) but its sidecar says \(meta.size)")
            }
            if side == 0 {
                // Keep about 1.4 working pixels per network pixel: enough for rotation, little aliasing.
                let scale = (1 - 2 * modelPadding) * Double(modelSize) / ((1 - 2 * meta.padding) * Double(meta.size))
                side = min(meta.size, max(modelSize, Int((1.4 * scale * Double(meta.size)).rounded())))
                padding = meta.padding
            } else if meta.padding != padding {
                throw FaceSwapError(.invalidArgument, "'\(folder)' mixes crops of padding \(padding) and \(meta.padding); extract them alike")
            }
            let k = Double(side) / Double(meta.size)
            let small = side == meta.size ? crop : try crop.resized(width: side, height: side)
            let mask = try Image(width: side, height: side, format: .gray8)
            let mesh = FaceMesh(meta.landmarks.map { $0 * k }, forehead: 0.1)
            try shim(fsx_fill_hull(mask.view, FaceMesh.flat(mesh.outlinePoints), Int32(mesh.outline.count), 0, 0, 255), "face mask")
            var s = [0.0, 0.0, 0.0, 0.0], n = 0.0
            try shim(fsx_channel_sums(small.view, mask.view, &s, &n), "mean colour")
            for c in 0..<3 { sums[c] += s[c] }
            pixels += n
            crops.append(small)
            masks.append(mask)
            sidecars.append(meta)
            paths.append(base + ".png")
        }
        self.side = side
        self.padding = padding
        if pixels > 0 { mean = sums.map { $0 / pixels } }
    }

    var count: Int { crops.count }

    /// Crop i's 68 landmarks in working-crop pixels.
    func workingLandmarks(_ i: Int) -> [Point] {
        let k = Double(side) / Double(sidecars[i].size)
        return sidecars[i].landmarks.map { $0 * k }
    }

    /// The mean of every crop's landmarks in network pixels (the landmark GAN's mean shape of B).
    func meanShape(modelSize s: Int, modelPadding pm: Double) -> [Point] {
        let base = baseTransform(modelSize: s, modelPadding: pm)
        var sum = [Point](repeating: Point(0, 0), count: 68)
        for i in 0..<count { for (j, p) in workingLandmarks(i).prefix(68).enumerated() { sum[j] = sum[j] + base.apply(p) } }
        return sum.map { $0 * (1.0 / Double(max(1, count))) }
    }

    /// Working-crop pixels -> network pixels (the template maps onto the template).
    func baseTransform(modelSize s: Int, modelPadding pm: Double) -> Affine {
        let k = (1 - 2 * pm) * Double(s) / ((1 - 2 * padding) * Double(side))
        let t = pm * Double(s) - padding * Double(side) * k
        return Affine(k, 0, t, 0, k, t)
    }
}
