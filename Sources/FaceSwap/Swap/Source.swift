/// A source face prepared once and reused for many targets (and every frame of a video):
/// a BGR crop around the face, its 68 landmarks in that crop, and its identity when known.
public final class Source: @unchecked Sendable {
    public let image: Image
    public let face: Face
    public let embedding: [Float]?
    /// Where the crop sits in the image the source came from.
    public let origin: Point
    /// Made by the learned model for one target face: already in that face's pose and
    /// expression, so it is only mapped back (no expression transfer).
    let learned: Bool
    /// Learned, with landmarks fitted on the model's face: warped (Delaunay) onto the target's.
    var fitted = false
    /// The learned model's mask output (GRAY8, the crop's size) and the image → crop transform.
    var modelMask: (mask: Image, transform: Affine)? = nil
    /// A landmark GAN's crop extent (GRAY8, the generated crop's pixels, Swapper.cropFade):
    /// warped onto the target with the face's own mesh, as the face is, and cut from the masks.
    var drawnMask: Image? = nil
    /// Learned: a real face of the person it shows (the model's DetailFace), whose fine band
    /// `skin_texture` gives it (SkinTexture); nil if the model has none.
    var detail: Source? = nil
    /// The crop halved again and again (area averages; empty for a learned face): what a face
    /// drawn several times smaller than the source's is warped from. A bilinear sample reads 4
    /// source pixels however many the target pixel covers, so sampling the full-size crop at 4-11×
    /// minification aliases its fine detail (Tests/python/test_small_faces.py, part d).
    let levels: [Image]

    init(image: Image, face: Face, embedding: [Float]?, origin: Point, learned: Bool = false, levels: [Image] = []) {
        self.image = image
        self.face = face
        self.embedding = embedding
        self.origin = origin
        self.learned = learned
        self.levels = levels
    }

    /// Smallest side of a pyramid level: below it a face no longer has features to sample.
    static let smallestLevel = 48

    /// The pyramid of `crop`: its halves down to `smallestLevel` (at most `count` of them).
    static func pyramid(of crop: Image, count: Int = 4) throws -> [Image] {
        var levels: [Image] = []
        var last = crop
        while levels.count < count, min(last.width, last.height) >= 2 * smallestLevel {
            last = try last.resized(width: (last.width + 1) / 2, height: (last.height + 1) / 2)
            levels.append(last)
        }
        return levels
    }

    /// The pixels to warp from for a face drawn `shrink` times smaller than the source's, and its
    /// landmarks there: the smallest level that is still at least the face's size (a level
    /// halves, so what is left to shrink is under 2×; a level is never enlarged).
    func texture(shrink: Double) -> (image: Image, landmarks: [Point]) {
        var k = 0, left = shrink
        while left >= 2 && k < levels.count { left /= 2; k += 1 }
        guard k > 0 else { return (image, face.landmarks) }
        let level = levels[k - 1]
        // Pixel centres: x' + 0.5 = (x + 0.5) · w'/w, per axis (a level's side rounds up).
        let sx = Double(level.width) / Double(image.width), sy = Double(level.height) / Double(image.height)
        return (level, face.landmarks.map { Point(($0.x + 0.5) * sx - 0.5, ($0.y + 0.5) * sy - 0.5) })
    }

    /// What to warp from onto a face of mesh size `size` (FaceMesh.faceSize): the pixels
    /// (`texture(shrink:)`) and the mesh of the landmarks there.
    func texture(forFaceSize size: Double, forehead: Double) -> (image: Image, mesh: FaceMesh) {
        let full = FaceMesh(face.landmarks, forehead: forehead)
        let t = texture(shrink: full.faceSize / size)
        // (The mesh is made of affine combinations of the landmarks, so it scales with them.)
        return (t.image, t.image === image ? full : FaceMesh(t.landmarks, forehead: forehead))
    }

    /// The face in the coordinates of the original source image.
    public var originalFace: Face { face.moved(by: origin) }
}
