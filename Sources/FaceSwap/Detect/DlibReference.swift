import CFaceShim

/// dlib's own detector and shape predictor, called directly, without the library's caches or flat
/// layout: the references the cached handles are tested against (slow: the detector is rebuilt
/// from dlib's compressed text on every call, the predictor parsed from the model file once).
enum DlibReference {
    /// The rectangles dlib::get_frontal_face_detector() finds in `gray` (scanned as is), in dlib's order.
    static func hogDetect(_ image: Image, threshold: Double = 0) throws -> [(rect: Rect, score: Double)] {
        let gray = try image.ensuring(.gray8)
        var boxes = [fsx_box](repeating: fsx_box(), count: 256)
        var count: Int32 = 0
        try shim(boxes.withUnsafeMutableBufferPointer { fsx_hog_detect_dlib(gray.view, threshold, $0.baseAddress!, 256, &count) }, "dlib detect")
        return boxes.prefix(Int(min(count, 256))).map { (Rect(x: $0.x, y: $0.y, width: $0.w, height: $0.h), $0.score) }
    }

    /// The model caches' checksum of `bytes` (a test forging a cache whose checksums pass).
    static func cacheHash(_ bytes: ArraySlice<UInt8>, seed: UInt64 = 0) -> UInt64 {
        bytes.withUnsafeBytes { fsx_cache_hash64($0.baseAddress, $0.count, seed) }
    }

    /// The points dlib::shape_predictor (read from `modelPath` by dlib::deserialize) fits in `rect`.
    static func fit(modelPath: String, _ image: Image, rect: Rect, points: Int) throws -> [Point] {
        var box = fsx_box(x: rect.x, y: rect.y, w: rect.width, h: rect.height, score: 0)
        var xy = [Float](repeating: 0, count: 2 * max(points, 68))  // room for either model's points
        try shim(xy.withUnsafeMutableBufferPointer { fsx_sp_fit_dlib(modelPath, image.view, &box, $0.baseAddress!) }, "dlib landmarks")
        return (0..<points).map { Point(Double(xy[2 * $0]), Double(xy[2 * $0 + 1])) }
    }
}
