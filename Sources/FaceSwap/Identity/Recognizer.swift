import CFaceShim

/// dlib's face-recognition ResNet: 128-D embeddings; distance < 0.6 means the same person.
/// Immutable and thread-safe. Needs dlib_face_recognition_resnet_model_v1.dat.
public final class Recognizer: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer
    public static let samePersonThreshold = 0.6

    public init(modelPath: String? = nil) throws {
        try requireSupportedCPU()
        let path = try ModelResolver.find(ModelResolver.faceRecognition, explicit: modelPath)
        guard let h = fsx_frnet_create(path) else {
            throw shimError(fsx_last_status(), "cannot load the face recognition model '\(path)'")
        }
        handle = h
    }

    deinit { fsx_frnet_free(handle) }

    /// The embedding of a face with 68 (or 5) landmarks.
    public func embed(_ image: Image, _ face: Face) throws -> [Float] {
        try face.requireLandmarks(face.landmarks.count == 5 ? 5 : 68, for: "an identity embedding")
        let bgr = try image.ensuring(.bgr8)
        let xy = face.landmarks.flatMap { [Float($0.x), Float($0.y)] }
        var out = [Float](repeating: 0, count: 128)
        try shim(out.withUnsafeMutableBufferPointer { fsx_frnet_embed(handle, bgr.view, xy, Int32(face.landmarks.count), $0.baseAddress!) }, "identity")
        return out
    }

    /// The identity of the person in a reference photo: the embedding of its `faceIndex`-th
    /// largest face (0: the largest), found with `detector` and fitted with `landmarker`.
    /// NO_FACE when the photo has no face; INVALID_ARGUMENT when it has fewer than faceIndex + 1.
    public func reference(_ photo: Image, faceIndex: Int = 0, detector: Detector, landmarker: Landmarker) throws -> [Float] {
        guard faceIndex >= 0 else { throw FaceSwapError(.invalidArgument, "face_index \(faceIndex) is negative") }
        let faces = try detector.detect(photo)
        if faces.isEmpty {
            throw FaceSwapError(.noFace, "no face found in the reference photo, so it has no identity to match " +
                                "(a detector with upsample 1 or a smaller min_face_size finds smaller faces)")
        }
        guard faceIndex < faces.count else {
            throw FaceSwapError(.invalidArgument, "face_index \(faceIndex): the reference photo has \(faces.count) face(s)")
        }
        return try embed(photo, try landmarker.fit(photo, faces[faceIndex]))
    }

    public static func distance(_ a: [Float], _ b: [Float]) -> Double {
        var s = 0.0
        for (x, y) in zip(a, b) { s += Double(x - y) * Double(x - y) }
        return s.squareRoot()
    }
}
