/// A source face prepared once and reused for many targets (and every frame of a video):
/// a BGR crop around the face, its 68 landmarks in that crop, and its identity when known.
public final class Source: @unchecked Sendable {
    public let image: Image
    public let face: Face
    public let embedding: [Float]?

    init(image: Image, face: Face, embedding: [Float]?) {
        self.image = image
        self.face = face
        self.embedding = embedding
    }
}
