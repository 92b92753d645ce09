// fs_recognizer, fs_swapper, fs_source, swapping, colour sets, metrics.
import CFaceSwapABI
import FaceSwap
#if canImport(Glibc)
import Glibc
#endif

func swapper(_ h: OpaquePointer?) throws -> Swapper { try Registry.shared.get(h, .swapper, as: Swapper.self) }
func source(_ h: OpaquePointer?) throws -> Source { try Registry.shared.get(h, .source, as: Source.self) }
/// The source of a swap: NULL is allowed only with a swapper that carries a learned model.
func source(_ h: OpaquePointer?, for sw: OpaquePointer?) throws -> Source? {
    if h == nil, try swapper(sw).model != nil { return nil }
    if h == nil { throw invalid("fs_source handle is NULL (only a swapper made by fs_swapper_create_learned swaps without a source)") }
    return try source(h)
}

func embedding(_ p: UnsafePointer<Float>?, _ name: String) throws -> [Float] {
    let p = try required(p, name)
    return Array(UnsafeBufferPointer(start: p, count: Int(FS_EMBEDDING_SIZE)))
}

@_cdecl("fs_recognizer_create")
public func _fs_recognizer_create(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_recognizer_create") {
        let o = try output(out)
        o.pointee = Registry.shared.add(try Recognizer(modelPath: path.map { String(cString: $0) }), .recognizer)
    }
}

@_cdecl("fs_recognizer_free")
public func _fs_recognizer_free(_ h: OpaquePointer?) { Registry.shared.remove(h, .recognizer) }

@_cdecl("fs_face_embedding")
public func _fs_face_embedding(_ h: OpaquePointer?, _ img: OpaquePointer?, _ face: UnsafePointer<fs_face>?,
                               _ out: UnsafeMutablePointer<Float>?) -> fs_status {
    call("fs_face_embedding") {
        let o = try required(out, "embedding")
        let r = try Registry.shared.get(h, .recognizer, as: Recognizer.self)
        let e = try r.embed(try image(img), try required(face, "face").pointee.face())
        for (i, v) in e.enumerated() { o[i] = v }
    }
}

@_cdecl("fs_reference_embedding")
public func _fs_reference_embedding(_ h: OpaquePointer?, _ det: OpaquePointer?, _ lm: OpaquePointer?, _ img: OpaquePointer?,
                                    _ faceIndex: Int32, _ out: UnsafeMutablePointer<Float>?) -> fs_status {
    call("fs_reference_embedding") {
        let o = try required(out, "embedding")
        let r = try Registry.shared.get(h, .recognizer, as: Recognizer.self)
        let e = try r.reference(try image(img), faceIndex: Int(faceIndex),
                                detector: try Registry.shared.get(det, .detector, as: Detector.self),
                                landmarker: try Registry.shared.get(lm, .landmarker, as: Landmarker.self))
        for (i, v) in e.enumerated() { o[i] = v }
    }
}

@_cdecl("fs_embedding_distance")
public func _fs_embedding_distance(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?) -> Float {
    guard let a, let b else { return .nan }
    return Float(Recognizer.distance(Array(UnsafeBufferPointer(start: a, count: 128)), Array(UnsafeBufferPointer(start: b, count: 128))))
}

extension fs_swap_options: OptionsStruct {
    typealias Core = SwapOptions
    static var minSize: Int { leadingSize(\fs_swap_options.mode) }
}

@_cdecl("fs_swap_options_init")
public func _fs_swap_options_init(_ o: UnsafeMutablePointer<fs_swap_options>?, _ size: Int) -> fs_status {
    call("fs_swap_options_init") { try initOptions(o, size) }
}

/// The table's options (Core/OptionTable.swift) plus the reference embedding, which is not one.
func swapOptions(_ c: fs_swap_options) throws -> SwapOptions {
    var o = try SwapOptions(c: c)
    if c.use_reference != 0 {
        var ref = c.reference
        o.reference = withUnsafeBytes(of: &ref) { Array($0.bindMemory(to: Float.self)) }
    }
    return o
}

@_cdecl("fs_swapper_create")
public func _fs_swapper_create(_ det: OpaquePointer?, _ lm: OpaquePointer?, _ rec: OpaquePointer?,
                               _ opts: UnsafePointer<fs_swap_options>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_swapper_create") {
        let o = try output(out)
        let d = try Registry.shared.get(det, .detector, as: Detector.self)
        let l = try Registry.shared.get(lm, .landmarker, as: Landmarker.self)
        let r = rec == nil ? nil : try Registry.shared.get(rec, .recognizer, as: Recognizer.self)
        let options = try swapOptions(try readOptions(opts, "options"))
        o.pointee = Registry.shared.add(try Swapper(detector: d, landmarker: l, recognizer: r, options: options), .swapper)
    }
}

@_cdecl("fs_swapper_free")
public func _fs_swapper_free(_ h: OpaquePointer?) { Registry.shared.remove(h, .swapper) }

@_cdecl("fs_source_prepare")
public func _fs_source_prepare(_ sw: OpaquePointer?, _ img: OpaquePointer?, _ index: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_source_prepare") {
        let o = try output(out)
        o.pointee = Registry.shared.add(try swapper(sw).prepare(try image(img), faceIndex: Int(index)), .source)
    }
}

@_cdecl("fs_source_get_face")
public func _fs_source_get_face(_ h: OpaquePointer?, _ face: UnsafeMutablePointer<fs_face>?) -> fs_status {
    call("fs_source_get_face") {
        let f = try required(face, "face")
        f.pointee = fs_face(try source(h).originalFace)
    }
}

@_cdecl("fs_source_free")
public func _fs_source_free(_ h: OpaquePointer?) { Registry.shared.remove(h, .source) }

@_cdecl("fs_swap")
public func _fs_swap(_ sw: OpaquePointer?, _ src: OpaquePointer?, _ target: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?,
                     _ mask: UnsafeMutablePointer<OpaquePointer?>?, _ count: UnsafeMutablePointer<Int>?) -> fs_status {
    call("fs_swap") {
        mask?.pointee = nil
        count?.pointee = 0
        let o = try output(out)
        let result = try swapper(sw).swap(try source(src, for: sw), onto: try image(target), wantMask: mask != nil)
        publish(result.image, o)
        if let mask, let m = result.mask { publish(m, mask) }
        count?.pointee = result.faces.count
    }
}

@_cdecl("fs_swap_targets")
public func _fs_swap_targets(_ sw: OpaquePointer?, _ target: OpaquePointer?, _ faces: UnsafeMutablePointer<fs_face>?,
                             _ capacity: Int, _ count: UnsafeMutablePointer<Int>?) -> fs_status {
    call("fs_swap_targets") {
        try listFaces(faces, capacity, count) { try swapper(sw).targets(in: try image(target)) }
    }
}

@_cdecl("fs_swap_inplace")
public func _fs_swap_inplace(_ sw: OpaquePointer?, _ src: OpaquePointer?, _ target: OpaquePointer?, _ count: UnsafeMutablePointer<Int>?) -> fs_status {
    call("fs_swap_inplace") {
        count?.pointee = 0
        let (faces, _) = try swapper(sw).swapInPlace(try source(src, for: sw), try image(target))
        count?.pointee = faces.count
    }
}

@_cdecl("fs_swap_face")
public func _fs_swap_face(_ sw: OpaquePointer?, _ src: OpaquePointer?, _ target: OpaquePointer?, _ face: UnsafePointer<fs_face>?) -> fs_status {
    call("fs_swap_face") {
        try swapper(sw).swapFace(try source(src, for: sw), try required(face, "face").pointee.face(), into: try image(target))
    }
}

@_cdecl("fs_color_mean_shift")
public func _fs_color_mean_shift(_ a: UnsafePointer<OpaquePointer?>?, _ na: Int, _ b: UnsafePointer<OpaquePointer?>?, _ nb: Int) -> fs_status {
    call("fs_color_mean_shift") {
        func set(_ p: UnsafePointer<OpaquePointer?>?, _ n: Int, _ name: String) throws -> [Image] {
            if n == 0 { throw invalid("\(name) is empty (count 0)") }
            if n < 0 || n > 1 << 24 { throw invalid("\(name) count \(UInt(bitPattern: n)) is implausibly large") }
            let p = try required(p, name)
            return try (0..<n).map { i in
                guard p[i] != nil else { throw invalid("\(name)[\(i)] is NULL") }
                return try image(p[i])
            }
        }
        try ColourTransfer.meanShift(try set(a, na, "set_a"), towards: try set(b, nb, "set_b"))
    }
}

extension fs_swap_metrics: OutputStruct {
    static var typeName: String { "fs_swap_metrics" }
    static var minSize: Int { leadingSize(\fs_swap_metrics.redetected) }
}

@_cdecl("fs_eval_swap")
public func _fs_eval_swap(_ sw: OpaquePointer?, _ src: OpaquePointer?, _ target: OpaquePointer?, _ result: OpaquePointer?,
                          _ out: UnsafeMutablePointer<fs_swap_metrics>?) -> fs_status {
    call("fs_eval_swap") {
        let o = try required(out, "metrics")
        let size = try outputSize(o, "metrics")!
        let s = try swapper(sw)
        let m = try Evaluator.evaluate(source: try image(src, "source"), target: try image(target, "target"),
                                       result: try image(result, "result"),
                                       detector: s.detector, landmarker: s.landmarker, recognizer: s.recognizer, options: s.options)
        writeOutput(fs_swap_metrics(struct_size: 0, redetected: m.redetected ? 1 : 0,
                                    identity_to_source: m.identityToSource ?? .nan, identity_to_target: m.identityToTarget ?? .nan,
                                    landmark_error: m.landmarkError, changed_outside: m.changedOutside, seam_score: m.seamScore,
                                    edge_step_worst: m.edgeStepWorst, edge_step_mean: m.edgeStepMean),
                    o, declared: size)
    }
}
