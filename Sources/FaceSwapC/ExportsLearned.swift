// fs_extract, fs_model, fs_swapper_create_learned, fs_trainer.
import CFaceSwapABI
import FaceSwap
#if canImport(Glibc)
import Glibc
#endif

func model(_ h: OpaquePointer?) throws -> FaceModel { try Registry.shared.get(h, .model, as: FaceModel.self) }
func trainer(_ h: OpaquePointer?) throws -> Trainer { try Registry.shared.get(h, .trainer, as: Trainer.self) }

extension fs_extract_options: OptionsStruct {
    typealias Core = ExtractOptions
    static var minSize: Int { leadingSize(\fs_extract_options.size) }
}

@_cdecl("fs_extract_options_init")
public func _fs_extract_options_init(_ o: UnsafeMutablePointer<fs_extract_options>?, _ size: Int) -> fs_status {
    call("fs_extract_options_init") { try initOptions(o, size) }
}

extension fs_extract_stats: OutputStruct {
    static var typeName: String { "fs_extract_stats" }
    static var minSize: Int { leadingSize(\fs_extract_stats.frames) }
}

@_cdecl("fs_extract")
public func _fs_extract(_ det: OpaquePointer?, _ lm: OpaquePointer?, _ inputs: UnsafePointer<UnsafePointer<CChar>?>?,
                        _ count: Int, _ outDir: UnsafePointer<CChar>?, _ opts: UnsafePointer<fs_extract_options>?,
                        _ progress: (@convention(c) (UnsafeMutableRawPointer?, Int64, Int64) -> Int32)?,
                        _ user: UnsafeMutableRawPointer?, _ stats: UnsafeMutablePointer<fs_extract_stats>?) -> fs_status {
    call("fs_extract") {
        let statsSize = try outputSize(stats, "stats")
        let d = try Registry.shared.get(det, .detector, as: Detector.self)
        let l = try Registry.shared.get(lm, .landmarker, as: Landmarker.self)
        let list = try required(inputs, "inputs")
        guard count > 0 && count <= 1_000_000 else { throw invalid("count \(UInt(bitPattern: count)) is outside 1–1000000") }
        let paths = try (0..<count).map { try string(list[$0], "inputs[\($0)]") }
        let folder = try string(outDir, "out_dir")
        let c: fs_extract_options = try readOptions(opts, "options")
        let o = try ExtractOptions(c: c)
        let s = try Extractor(detector: d, landmarker: l, options: o).run(paths, into: folder) { done, total in
            progress.map { $0(user, Int64(done), Int64(total)) == 0 } ?? true
        }
        if let stats, let statsSize {
            writeOutput(fs_extract_stats(struct_size: 0, frames: Int64(s.frames), frames_without_face: Int64(s.framesByFaceCount[0]),
                                         frames_with_one_face: Int64(s.framesByFaceCount[1]),
                                         frames_with_more_faces: Int64(s.framesByFaceCount[2]), faces_found: Int64(s.facesFound),
                                         skipped_blurry: Int64(s.skippedBlurry), skipped_duplicate: Int64(s.skippedDuplicate),
                                         written: Int64(s.written)),
                        stats, declared: statsSize)
        }
    }
}

@_cdecl("fs_model_load")
public func _fs_model_load(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_model_load") {
        let o = try output(out)
        o.pointee = Registry.shared.add(try FaceModel.load(path: try string(path, "path")), .model)
    }
}

@_cdecl("fs_model_free")
public func _fs_model_free(_ h: OpaquePointer?) { Registry.shared.remove(h, .model) }

/// Copies a label into a fixed C char array, NUL-terminated and truncated at a UTF-8 boundary.
func copyLabel<T>(_ s: String, into field: inout T) {
    withUnsafeMutableBytes(of: &field) { raw in
        var bytes: [UInt8] = []
        for ch in s.unicodeScalars {
            let u = Array(String(ch).utf8)
            if bytes.count + u.count > raw.count - 1 { break }
            bytes += u
        }
        for i in 0..<raw.count { raw[i] = i < bytes.count ? bytes[i] : 0 }
    }
}

extension fs_model_info: OutputStruct {
    static var typeName: String { "fs_model_info" }
    static var minSize: Int { leadingSize(\fs_model_info.size) }
}

/// What fs_model_get_info and fs_trainer_get_model_info say of a model.
func modelInfo(_ m: FaceModel) -> fs_model_info {
    let c = m.parameterCounts
    var i = fs_model_info()
    i.size = Int32(m.info.size)
    i.bottleneck = Int32(m.info.bottleneck)
    i.iterations = Int64(m.info.iterations)
    i.seconds = m.info.seconds
    i.encoder_parameters = Int64(c.encoder)
    i.decoder_parameters = Int64(c.decoder)
    i.shift_a = (Float(m.info.shiftA[0]), Float(m.info.shiftA[1]), Float(m.info.shiftA[2]))
    copyLabel(m.info.nameA, into: &i.name_a)
    copyLabel(m.info.nameB, into: &i.name_b)
    i.has_training_state = m.info.trainingState ? 1 : 0
    i.method = m.info.kind.rawValue
    i.input_size = Int32(m.info.inputSize)
    copyLabel(NetworkBackend.report, into: &i.backend)
    return i
}

@_cdecl("fs_model_get_info")
public func _fs_model_get_info(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<fs_model_info>?) -> fs_status {
    call("fs_model_get_info") {
        let o = try required(out, "info")
        let size = try outputSize(o, "info")!
        writeOutput(modelInfo(try model(h)), o, declared: size)
    }
}

@_cdecl("fs_model_generate")
public func _fs_model_generate(_ h: OpaquePointer?, _ points: UnsafePointer<Float>?,
                               _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_model_generate") {
        let o = try output(out)
        let m = try model(h)
        let p = try required(points, "points")
        let s = Double(m.size)
        let shape = try (0..<68).map { i -> Point in
            let x = Double(p[2 * i]), y = Double(p[2 * i + 1])
            guard x.isFinite, y.isFinite, x >= -s, x <= 2 * s, y >= -s, y <= 2 * s else {
                throw invalid("points[\(i)] (\(x), \(y)) is not finite or lies more than \(Int(s)) px outside the \(Int(s))-px crop")
            }
            return Point(x, y)
        }
        o.pointee = Registry.shared.add(try m.generate(shape).face, .image)
    }
}

@_cdecl("fs_swapper_create_learned")
public func _fs_swapper_create_learned(_ det: OpaquePointer?, _ lm: OpaquePointer?, _ mh: OpaquePointer?, _ reverse: Int32,
                                       _ opts: UnsafePointer<fs_swap_options>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_swapper_create_learned") {
        let o = try output(out)
        let d = try Registry.shared.get(det, .detector, as: Detector.self)
        let l = try Registry.shared.get(lm, .landmarker, as: Landmarker.self)
        let m = try model(mh)
        guard reverse == 0 || reverse == 1 else { throw invalid("reverse is \(reverse); use 0 (A -> B) or 1 (B -> A)") }
        var options = try swapOptions(try readOptions(opts, "options"))
        options.reverse = reverse == 1
        o.pointee = Registry.shared.add(try Swapper(detector: d, landmarker: l, options: options, model: m), .swapper)
    }
}

extension fs_train_options: OptionsStruct {
    typealias Core = TrainOptions
    static var minSize: Int { leadingSize(\fs_train_options.size) }
    static func extraDefaults(_ o: inout fs_train_options) { o.seed = TrainOptions().seed }
}

@_cdecl("fs_train_options_init")
public func _fs_train_options_init(_ o: UnsafeMutablePointer<fs_train_options>?, _ size: Int) -> fs_status {
    call("fs_train_options_init") { try initOptions(o, size) }
}

@_cdecl("fs_trainer_create")
public func _fs_trainer_create(_ a: UnsafePointer<CChar>?, _ b: UnsafePointer<CChar>?, _ path: UnsafePointer<CChar>?,
                               _ opts: UnsafePointer<fs_train_options>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_trainer_create") {
        let o = try output(out)
        let c: fs_train_options = try readOptions(opts, "options")
        var t = try TrainOptions(c: c)
        t.seed = c.seed
        t.previewFolder = c.preview_dir.map { String(cString: $0) }
        t.nameA = c.name_a.map { String(cString: $0) } ?? "A"
        t.nameB = c.name_b.map { String(cString: $0) } ?? "B"
        // The landmark GAN learns B alone: faces_a may be NULL (and is ignored).
        let facesA = t.kind == .landmarkGAN ? a.map { String(cString: $0) } : try string(a, "faces_a")
        o.pointee = Registry.shared.add(try Trainer(facesA: facesA, facesB: try string(b, "faces_b"),
                                                    modelPath: try string(path, "model_path"), options: t), .trainer)
    }
}

@_cdecl("fs_trainer_free")
public func _fs_trainer_free(_ h: OpaquePointer?) { Registry.shared.remove(h, .trainer) }

@_cdecl("fs_trainer_run")
public func _fs_trainer_run(_ h: OpaquePointer?, _ iterations: Int64, _ seconds: Double,
                            _ progress: (@convention(c) (UnsafeMutableRawPointer?, UnsafePointer<fs_train_progress>?) -> Int32)?,
                            _ user: UnsafeMutableRawPointer?) -> fs_status {
    call("fs_trainer_run") {
        let t = try trainer(h)
        guard iterations >= 0, seconds >= 0, seconds.isFinite else {
            throw invalid("iterations (\(iterations)) and seconds (\(seconds)) must be ≥ 0")
        }
        guard iterations > 0 || seconds > 0 else { throw invalid("say how long to train: iterations > 0 or seconds > 0") }
        try t.run(iterations: iterations > 0 ? Int(iterations) : nil, seconds: seconds > 0 ? seconds : nil) { s in
            guard let progress else { return true }
            var p = fs_train_progress()
            p.struct_size = UInt32(MemoryLayout<fs_train_progress>.size)
            p.iteration = Int64(s.iteration)
            p.seconds = s.seconds
            withUnsafeMutableBytes(of: &p.loss_a) { r in for i in 0..<6 { r.storeBytes(of: s.lossA[i], toByteOffset: 4 * i, as: Float.self) } }
            withUnsafeMutableBytes(of: &p.loss_b) { r in for i in 0..<6 { r.storeBytes(of: s.lossB[i], toByteOffset: 4 * i, as: Float.self) } }
            return progress(user, &p) == 0
        }
    }
}

@_cdecl("fs_trainer_save")
public func _fs_trainer_save(_ h: OpaquePointer?) -> fs_status {
    call("fs_trainer_save") { try trainer(h).checkpoint() }
}

@_cdecl("fs_trainer_get_iteration")
public func _fs_trainer_get_iteration(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> fs_status {
    call("fs_trainer_get_iteration") {
        let o = try required(out, "iteration")
        o.pointee = Int64(try trainer(h).iteration)
    }
}

@_cdecl("fs_trainer_preview")
public func _fs_trainer_preview(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_trainer_preview") {
        let o = try output(out)
        o.pointee = Registry.shared.add(try trainer(h).preview(), .image)
    }
}

@_cdecl("fs_trainer_get_model_info")
public func _fs_trainer_get_model_info(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<fs_model_info>?) -> fs_status {
    call("fs_trainer_get_model_info") {
        let o = try required(out, "info")
        let size = try outputSize(o, "info")!
        writeOutput(modelInfo(try trainer(h).model), o, declared: size)
    }
}

@_cdecl("fs_trainer_get_face_counts")
public func _fs_trainer_get_face_counts(_ h: OpaquePointer?, _ a: UnsafeMutablePointer<Int64>?, _ b: UnsafeMutablePointer<Int64>?) -> fs_status {
    call("fs_trainer_get_face_counts") {
        let t = try trainer(h)
        let oa = try required(a, "faces_a"), ob = try required(b, "faces_b")
        oa.pointee = Int64(t.facesA)
        ob.pointee = Int64(t.facesB)
    }
}
