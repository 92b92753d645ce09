import CFaceShim
#if canImport(Glibc)
import Glibc
#endif

/// The person of a landmark-GAN model on a plain canvas: what a Reenactor made from a model
/// shows instead of a warped photo (`faceswap reenact --model b.fsg`).
///
/// The frame: a canvas of one grey (128), with B's model crop at B's neutral placement — the
/// crop's centre at the canvas's, the crop as wide as half the canvas's smaller side (the
/// model holds no photo of B, so nothing of B's surroundings is invented). For 68 points on the
/// canvas, `draw` removes their pose (the similarity of their inner points, 17–67, onto B's mean
/// shape's: what stays is their expression on B's shape), generates B from them in the crop
/// (FaceModel.generate), and composites the generated crop back where the points are (the
/// inverse similarity: B's head moves, turns and scales with them), its border feathered.
struct TrainedPerson {
    let model: FaceModel
    /// The empty canvas, BGR8.
    let canvas: Image
    /// S × S: 255 over the crop, falling to 0 over its outer eighth (the crop's edge not seen).
    let alpha: Image
    /// B's mean shape (from training, crop pixels).
    let mean: [Point]
    /// B's mean shape at its neutral placement on the canvas.
    let neutral: [Point]

    /// The canvas sizes are 16–4096 (an odd one loses its last row/column: H.264 4:2:0).
    init(model: FaceModel, width: Int, height: Int) throws {
        try model.require(.landmarkGAN, for: "reenacting a trained person")
        guard (16...4096).contains(width), (16...4096).contains(height) else {
            throw FaceSwapError(.invalidArgument, "the canvas \(width)×\(height) is outside 16–4096 on a side")
        }
        let w = width & ~1, h = height & ~1, s = model.size
        self.model = model
        canvas = try Image(width: w, height: h, format: .bgr8)
        memset(canvas.data, 128, canvas.stride * h)
        alpha = try Image(width: s, height: s, format: .gray8)
        let e = Double(s) / 8, f = Double(s) - e
        try shim(fsx_fill_poly(alpha.view, [Float(e), Float(e), Float(f), Float(e), Float(f), Float(f), Float(e), Float(f)], 4,
                               0, 0, 255, 1), "crop alpha")
        // σ = e/4: the blur's tail is under 1 level at the crop's edge (the warp repeats the
        // edge's values beyond it).
        try shim(fsx_blur(alpha.view, e / 4), "crop alpha")
        mean = (0..<68).map { Point(model.info.meanShape[2 * $0], model.info.meanShape[2 * $0 + 1]) }
        let k = 0.5 * Double(min(w, h)) / Double(s)
        let place = Affine(k, 0, (Double(w) - k * Double(s)) / 2, 0, k, (Double(h) - k * Double(s)) / 2)
        neutral = mean.map { place.apply($0) }
    }

    /// B drawn at `points` (68, canvas pixels) on a copy of the canvas.
    func draw(_ points: [Point]) throws -> Image {
        let inner = Aligner.innerPoints
        let toCrop = try Affine.similarity(from: inner.map { points[$0] }, to: inner.map { mean[$0] })
        let (face, _) = try model.generate(points.map { toCrop.apply($0) })
        let back = try toCrop.inverted()
        let out = try canvas.copy()
        let a = try alpha.warped(back, width: out.width, height: out.height)
        let drawn = try face.warped(back, width: out.width, height: out.height)
        if let detail = model.detail(.b) { try addDetail(of: detail, to: drawn, at: points) }
        try Blender.blend(.alpha, face: drawn, into: out, alpha: a, hard: a)
        return out
    }

    /// B's own fine detail on the generated face (drawn at `points`, canvas pixels): B's detail
    /// face (the model's real crop of B) warped onto the points, and its band given to the face
    /// as a swap's `skin_texture` 1 gives it — at its own strength, since the canvas has no
    /// frame whose sharpness it should match (the warped detail face is its own reference).
    private func addDetail(of detail: Source, to drawn: Image, at points: [Point]) throws {
        let mesh = FaceMesh(points, forehead: 0)
        let size = mesh.faceSize
        let roi = IntRect.around(mesh.outlinePoints, pad: 4, clip: drawn.width, drawn.height)
        guard size >= 4, !roi.isEmpty else { return }
        var spans: [Int32] = []
        let (hard, alpha) = try FaceMask.make(mesh, roi: roi, erode: 0, feather: 1, keepMouth: false, spans: &spans)
        let (pixels, from) = detail.texture(forFaceSize: size, forehead: 0)
        let real = try GeometricConverter.warp(source: pixels, sourceMesh: from, targetMesh: mesh, roi: roi, mode: .delaunay,
                                               spans: spans, margin: 0, hard: hard, alpha: alpha)
        try SkinTexture.apply(1, to: try drawn.region(roi), reference: real, hard: hard, target: points, placed: points,
                              size: size, roi: roi, learned: true, detail: real,
                              detailShape: detail.face.landmarks)
    }
}
