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

    init(image: Image, face: Face, embedding: [Float]?, origin: Point, learned: Bool = false) {
        self.image = image
        self.face = face
        self.embedding = embedding
        self.origin = origin
        self.learned = learned
    }

    /// The face in the coordinates of the original source image.
    public var originalFace: Face { face.moved(by: origin) }
}
