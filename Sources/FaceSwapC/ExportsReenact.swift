// fs_reenactor and fs_reenact_video.
import CFaceSwapABI
import FaceSwap

func reenactor(_ h: OpaquePointer?) throws -> Reenactor { try Registry.shared.get(h, .reenactor, as: Reenactor.self) }

extension fs_reenact_options: OptionsStruct {
    typealias Core = ReenactOptions
    static var minSize: Int { leadingSize(\fs_reenact_options.expression) }
    static func extraDefaults(_ o: inout fs_reenact_options) { o.crf = Int32(VideoEncoding().crf) }
}

@_cdecl("fs_reenact_options_init")
public func _fs_reenact_options_init(_ o: UnsafeMutablePointer<fs_reenact_options>?, _ size: Int) -> fs_status {
    call("fs_reenact_options_init") { try initOptions(o, size) }
}

func reenactOptions(_ c: fs_reenact_options) throws -> ReenactOptions {
    var o = try ReenactOptions(c: c)
    o.stream = try streamOptions(try readOptions(c.stream, "options->stream"))
    return o
}

@_cdecl("fs_reenactor_create")
public func _fs_reenactor_create(_ det: OpaquePointer?, _ lm: OpaquePointer?, _ photo: OpaquePointer?,
                                 _ opts: UnsafePointer<fs_reenact_options>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_reenactor_create") {
        let o = try output(out)
        let c: fs_reenact_options = try readOptions(opts, "options")
        let r = try Reenactor(detector: try Registry.shared.get(det, .detector, as: Detector.self),
                              landmarker: try Registry.shared.get(lm, .landmarker, as: Landmarker.self),
                              source: try image(photo), options: try reenactOptions(c))
        o.pointee = Registry.shared.add(r, .reenactor)
    }
}

@_cdecl("fs_reenactor_free")
public func _fs_reenactor_free(_ h: OpaquePointer?) { Registry.shared.remove(h, .reenactor) }

@_cdecl("fs_reenactor_push")
public func _fs_reenactor_push(_ h: OpaquePointer?, _ frame: OpaquePointer?, _ time: Double, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_reenactor_push") {
        let o = try output(out)
        let r = try reenactor(h)
        publish(try r.animate(try image(frame), time: time >= 0 && time.isFinite ? time : nil), o)
    }
}

@_cdecl("fs_reenactor_reset")
public func _fs_reenactor_reset(_ h: OpaquePointer?) -> fs_status {
    call("fs_reenactor_reset") { try reenactor(h).reset() }
}

/// fs_reenact_video and fs_reenact_grid_video after their own arguments: options, the job, stats.
func reenactVideo(_ reenactors: [Reenactor], columns: Int, _ driving: UnsafePointer<CChar>?, _ output: UnsafePointer<CChar>?,
                  _ opts: UnsafePointer<fs_reenact_options>?, _ progress: fs_progress_fn?,
                  _ user: UnsafeMutableRawPointer?, _ stats: UnsafeMutablePointer<fs_video_stats>?) throws {
    let statsSize = try outputSize(stats, "stats")
    let c: fs_reenact_options = try readOptions(opts, "options")
    let o = try ReenactOptions(c: c)
    let result = try ReenactJob.run(reenactors: reenactors, columns: columns, driving: try string(driving, "driving_path"),
                                    output: try string(output, "output_path"), sideBySide: o.sideBySide,
                                    encoding: videoEncoding(crf: c.crf, preset: c.preset, threads: c.threads)) { done, total in
        progress.map { $0(user, Int64(done), Int64(total)) == 0 } ?? true
    }
    if let stats, let statsSize { writeOutput(videoStats(result), stats, declared: statsSize) }
}

@_cdecl("fs_reenact_video")
public func _fs_reenact_video(_ h: OpaquePointer?, _ driving: UnsafePointer<CChar>?, _ output: UnsafePointer<CChar>?,
                              _ opts: UnsafePointer<fs_reenact_options>?, _ progress: fs_progress_fn?,
                              _ user: UnsafeMutableRawPointer?, _ stats: UnsafeMutablePointer<fs_video_stats>?) -> fs_status {
    call("fs_reenact_video") {
        try reenactVideo([try reenactor(h)], columns: 0, driving, output, opts, progress, user, stats)
    }
}

@_cdecl("fs_reenact_grid_video")
public func _fs_reenact_grid_video(_ list: UnsafePointer<OpaquePointer?>?, _ count: Int, _ columns: Int32,
                                   _ driving: UnsafePointer<CChar>?, _ output: UnsafePointer<CChar>?,
                                   _ opts: UnsafePointer<fs_reenact_options>?, _ progress: fs_progress_fn?,
                                   _ user: UnsafeMutableRawPointer?, _ stats: UnsafeMutablePointer<fs_video_stats>?) -> fs_status {
    call("fs_reenact_grid_video") {
        let limit = Int(FS_REENACT_GRID_MAX)
        if count <= 0 || count > limit { throw invalid("count \(UInt(bitPattern: count)) is outside 1–\(limit)") }
        let p = try required(list, "reenactors")
        var members: [Reenactor] = []
        for i in 0..<count {
            let r = try naming("reenactors[\(i)]") { try reenactor(p[i]) }
            if let j = members.firstIndex(where: { $0 === r }) {
                throw invalid("reenactors[\(i)] is reenactors[\(j)] again: each photo needs its own reenactor")
            }
            members.append(r)
        }
        guard columns >= 0 else { throw invalid("columns \(columns) is negative (0: automatic)") }
        try reenactVideo(members, columns: Int(columns), driving, output, opts, progress, user, stats)
    }
}

@_cdecl("fs_reenactor_create_model")
public func _fs_reenactor_create_model(_ det: OpaquePointer?, _ lm: OpaquePointer?, _ mh: OpaquePointer?, _ width: Int32,
                                       _ height: Int32, _ opts: UnsafePointer<fs_reenact_options>?,
                                       _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_reenactor_create_model") {
        let o = try output(out)
        let c: fs_reenact_options = try readOptions(opts, "options")
        let r = try Reenactor(detector: try Registry.shared.get(det, .detector, as: Detector.self),
                              landmarker: try Registry.shared.get(lm, .landmarker, as: Landmarker.self),
                              model: try model(mh), width: Int(width), height: Int(height), options: try reenactOptions(c))
        o.pointee = Registry.shared.add(r, .reenactor)
    }
}
