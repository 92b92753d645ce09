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

@_cdecl("fs_reenact_video")
public func _fs_reenact_video(_ h: OpaquePointer?, _ driving: UnsafePointer<CChar>?, _ output: UnsafePointer<CChar>?,
                              _ opts: UnsafePointer<fs_reenact_options>?,
                              _ progress: (@convention(c) (UnsafeMutableRawPointer?, Int64, Int64) -> Int32)?,
                              _ user: UnsafeMutableRawPointer?, _ stats: UnsafeMutablePointer<fs_video_stats>?) -> fs_status {
    call("fs_reenact_video") {
        let statsSize = try outputSize(stats, "stats")
        let c: fs_reenact_options = try readOptions(opts, "options")
        let o = try ReenactOptions(c: c)
        let result = try ReenactJob.run(reenactor: try reenactor(h), driving: try string(driving, "driving_path"),
                                        output: try string(output, "output_path"), sideBySide: o.sideBySide,
                                        encoding: videoEncoding(crf: c.crf, preset: c.preset, threads: c.threads)) { done, total in
            progress.map { $0(user, Int64(done), Int64(total)) == 0 } ?? true
        }
        if let stats, let statsSize { writeOutput(videoStats(result), stats, declared: statsSize) }
    }
}
