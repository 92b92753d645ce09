// fs_detector, fs_landmarker, alignment.
import CFaceSwapABI
import FaceSwap

extension fs_detector_options: OptionsStruct {
    typealias Core = DetectorOptions
    static var minSize: Int { leadingSize(\fs_detector_options.backend) }
}

@_cdecl("fs_detector_options_init")
public func _fs_detector_options_init(_ o: UnsafeMutablePointer<fs_detector_options>?, _ size: Int) -> fs_status {
    call("fs_detector_options_init") { try initOptions(o, size) }
}

@_cdecl("fs_detector_create")
public func _fs_detector_create(_ opts: UnsafePointer<fs_detector_options>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_detector_create") {
        let o = try output(out)
        let c: fs_detector_options = try readOptions(opts, "options")
        var d = try DetectorOptions(c: c)
        d.modelPath = c.model_path.map { String(cString: $0) }
        o.pointee = Registry.shared.add(try Detector(d), .detector)
    }
}

@_cdecl("fs_detector_free")
public func _fs_detector_free(_ h: OpaquePointer?) { Registry.shared.remove(h, .detector) }

/// Writes faces into the caller's array (capacity entries) and the total into *count.
func writeFaces(_ faces: [Face], _ out: UnsafeMutablePointer<fs_face>?, _ capacity: Int, _ count: UnsafeMutablePointer<Int>) throws {
    // A size_t over Int.max arrives negative: no array is that large (and prefix(-1) would trap).
    if capacity < 0 { throw invalid("capacity \(UInt(bitPattern: capacity)) is larger than any array") }
    if capacity > 0 { _ = try required(out, "faces") }
    count.pointee = faces.count
    for (i, f) in faces.prefix(capacity).enumerated() { out![i] = fs_face(f) }
}

/// The body of a call that lists faces (fs_detect, fs_stream_get_faces, fs_swap_targets): *count
/// is required and 0 until `find` succeeds, then its faces go into the caller's array (writeFaces).
func listFaces(_ out: UnsafeMutablePointer<fs_face>?, _ capacity: Int, _ count: UnsafeMutablePointer<Int>?,
               _ find: () throws -> [Face]) throws {
    let n = try required(count, "count")
    n.pointee = 0
    try writeFaces(try find(), out, capacity, n)
}

@_cdecl("fs_detect")
public func _fs_detect(_ h: OpaquePointer?, _ img: OpaquePointer?, _ faces: UnsafeMutablePointer<fs_face>?,
                       _ capacity: Int, _ count: UnsafeMutablePointer<Int>?) -> fs_status {
    call("fs_detect") {
        try listFaces(faces, capacity, count) {
            let det = try Registry.shared.get(h, .detector, as: Detector.self)
            return try det.detect(try image(img))
        }
    }
}

@_cdecl("fs_landmarker_create")
public func _fs_landmarker_create(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_landmarker_create") {
        let o = try output(out)
        o.pointee = Registry.shared.add(try Landmarker(modelPath: path.map { String(cString: $0) }), .landmarker)
    }
}

@_cdecl("fs_landmarker_free")
public func _fs_landmarker_free(_ h: OpaquePointer?) { Registry.shared.remove(h, .landmarker) }

@_cdecl("fs_landmarker_num_points")
public func _fs_landmarker_num_points(_ h: OpaquePointer?) -> Int32 {
    (try? Registry.shared.get(h, .landmarker, as: Landmarker.self)).map { Int32($0.numPoints) } ?? 0
}

@_cdecl("fs_landmarks_fit")
public func _fs_landmarks_fit(_ h: OpaquePointer?, _ img: OpaquePointer?, _ face: UnsafeMutablePointer<fs_face>?) -> fs_status {
    call("fs_landmarks_fit") {
        let f = try required(face, "face")
        let lm = try Registry.shared.get(h, .landmarker, as: Landmarker.self)
        f.pointee = fs_face(try lm.fit(try image(img), try f.pointee.face()))
    }
}

@_cdecl("fs_align_transform")
public func _fs_align_transform(_ face: UnsafePointer<fs_face>?, _ size: Int32, _ padding: Float, _ out: UnsafeMutablePointer<fs_affine>?) -> fs_status {
    call("fs_align_transform") {
        let o = try required(out, "out")
        let f = try required(face, "face").pointee.face()
        o.pointee = try Aligner.transform(for: f, size: Int(size), padding: fromCFloat(padding)).c
    }
}

@_cdecl("fs_align_template")
public func _fs_align_template(_ size: Int32, _ padding: Float, _ points: UnsafeMutablePointer<fs_point>?) -> fs_status {
    call("fs_align_template") {
        let p = try required(points, "points")
        for (i, t) in try Aligner.template(size: Int(size), padding: fromCFloat(padding)).enumerated() {
            p[i] = fs_point(x: Float(t.x), y: Float(t.y))
        }
    }
}

@_cdecl("fs_align_crop")
public func _fs_align_crop(_ img: OpaquePointer?, _ t: UnsafePointer<fs_affine>?, _ size: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_align_crop") {
        let o = try output(out)
        let tr = try Affine(try required(t, "transform").pointee)
        publish(try Aligner.crop(try image(img), transform: tr, size: Int(size)), o)
    }
}

@_cdecl("fs_affine_invert")
public func _fs_affine_invert(_ t: UnsafePointer<fs_affine>?, _ out: UnsafeMutablePointer<fs_affine>?) -> fs_status {
    call("fs_affine_invert") {
        let o = try required(out, "out")
        o.pointee = try Affine(try required(t, "transform").pointee).inverted().c
    }
}

@_cdecl("fs_affine_apply")
public func _fs_affine_apply(_ t: UnsafePointer<fs_affine>?, _ points: UnsafeMutablePointer<fs_point>?, _ count: Int) -> fs_status {
    call("fs_affine_apply") {
        let tr = try Affine(try required(t, "transform").pointee)
        if count < 0 { throw invalid("count \(UInt(bitPattern: count)) is larger than any array") }
        if count == 0 { return }
        let p = try required(points, "points")
        for i in 0..<count {
            let q = tr.apply(Point(Double(p[i].x), Double(p[i].y)))
            p[i] = fs_point(x: Float(q.x), y: Float(q.y))
        }
    }
}
