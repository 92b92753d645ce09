import CFaceShim

/// dlib's shape predictor (68 or 5 points). Immutable and thread-safe.
public final class Landmarker: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer
    public let numPoints: Int
    public let modelPath: String

    public init(modelPath: String? = nil) throws {
        try requireSupportedCPU()
        let path = try ModelResolver.find(ModelResolver.landmarks68, explicit: modelPath)
        guard let h = fsx_sp_load(path) else {
            throw shimError(fsx_last_status(), "cannot load landmark model '\(path)' (is it a dlib shape_predictor .dat file?)")
        }
        let n = Int(fsx_sp_num_parts(h))
        guard n == 68 || n == 5 else {
            fsx_sp_free(h)
            throw FaceSwapError(.model, "landmark model '\(path)' has \(n) points; libfaceswap uses 68- or 5-point models")
        }
        handle = h
        numPoints = n
        self.modelPath = path
    }

    deinit { fsx_sp_free(handle) }

    /// What creating this landmarker did with the model's cache. From a cache, every leaf that no
    /// fit has read yet is checked first (fits check each leaf as they first read it): a damaged
    /// one makes the landmarker rebuild from the model file, and the answer is `.rebuilt`.
    public var cacheState: ModelCacheState { ModelCacheState(rawValue: fsx_sp_cache_state(handle)) ?? .off }

    /// Fits the points inside `face.rect`; returns the face with landmarks set.
    public func fit(_ image: Image, _ face: Face) throws -> Face {
        let r = face.rect
        guard r.width >= 1, r.height >= 1, r.x.isFinite, r.y.isFinite, r.width.isFinite, r.height.isFinite,
              abs(r.x) < 1e7, abs(r.y) < 1e7, r.width < 1e7, r.height < 1e7 else {
            throw FaceSwapError(.invalidArgument, "face rectangle (\(r.x), \(r.y), \(r.width), \(r.height)) is empty or not finite")
        }
        var box = fsx_box(x: r.x, y: r.y, w: r.width, h: r.height, score: face.score)
        var xy = [Float](repeating: 0, count: 2 * numPoints)
        try shim(xy.withUnsafeMutableBufferPointer { fsx_sp_fit(handle, image.view, &box, $0.baseAddress!) }, "landmarks")
        var out = face
        out.landmarks = (0..<numPoints).map { Point(Double(xy[2 * $0]), Double(xy[2 * $0 + 1])) }
        return out
    }

    /// The model's own mean shape (dlib's initial_shape) in the unit box.
    public static func meanShape(modelPath: String) throws -> [Point] {
        var xy = [Float](repeating: 0, count: 2 * 68)
        var parts: Int32 = 0
        try shim(xy.withUnsafeMutableBufferPointer { fsx_sp_mean_shape(modelPath, $0.baseAddress!, 68, &parts) }, "mean shape")
        return (0..<Int(min(parts, 68))).map { Point(Double(xy[2 * $0]), Double(xy[2 * $0 + 1])) }
    }
}
