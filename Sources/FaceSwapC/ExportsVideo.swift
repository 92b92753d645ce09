// fs_stream and fs_video_swap.
import CFaceSwapABI
import FaceSwap

func stream(_ h: OpaquePointer?) throws -> FaceStream { try Registry.shared.get(h, .stream, as: FaceStream.self) }

extension fs_stream_options: OptionsStruct {
    typealias Core = StreamOptions
    static var minSize: Int { leadingSize(\fs_stream_options.detect_interval) }
}

@_cdecl("fs_stream_options_init")
public func _fs_stream_options_init(_ o: UnsafeMutablePointer<fs_stream_options>?, _ size: Int) -> fs_status {
    call("fs_stream_options_init") { try initOptions(o, size) }
}

func streamOptions(_ c: fs_stream_options) throws -> StreamOptions { try StreamOptions(c: c) }

@_cdecl("fs_stream_create")
public func _fs_stream_create(_ sw: OpaquePointer?, _ src: OpaquePointer?, _ opts: UnsafePointer<fs_stream_options>?,
                              _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_stream_create") {
        let o = try output(out)
        let options = try streamOptions(try readOptions(opts, "options"))
        o.pointee = Registry.shared.add(try FaceStream(swapper: try swapper(sw), source: try source(src, for: sw), options: options), .stream)
    }
}

@_cdecl("fs_stream_free")
public func _fs_stream_free(_ h: OpaquePointer?) { Registry.shared.remove(h, .stream) }

@_cdecl("fs_stream_push")
public func _fs_stream_push(_ h: OpaquePointer?, _ frame: OpaquePointer?, _ time: Double, _ count: UnsafeMutablePointer<Int>?) -> fs_status {
    call("fs_stream_push") {
        count?.pointee = 0
        let s = try stream(h)
        let n = try s.process(try image(frame), time: time >= 0 && time.isFinite ? time : nil)
        count?.pointee = n
    }
}

@_cdecl("fs_stream_push_view")
public func _fs_stream_push_view(_ h: OpaquePointer?, _ v: UnsafePointer<fs_image_view>?, _ time: Double, _ count: UnsafeMutablePointer<Int>?) -> fs_status {
    call("fs_stream_push_view") {
        count?.pointee = 0
        let s = try stream(h)
        let n = try s.process(try imageFromView(v, copy: false), time: time >= 0 && time.isFinite ? time : nil)
        count?.pointee = n
    }
}

@_cdecl("fs_stream_get_faces")
public func _fs_stream_get_faces(_ h: OpaquePointer?, _ faces: UnsafeMutablePointer<fs_face>?, _ capacity: Int, _ count: UnsafeMutablePointer<Int>?) -> fs_status {
    call("fs_stream_get_faces") {
        try listFaces(faces, capacity, count) { try stream(h).faces }
    }
}

@_cdecl("fs_stream_reset")
public func _fs_stream_reset(_ h: OpaquePointer?) -> fs_status {
    call("fs_stream_reset") { try stream(h).reset() }
}

@_cdecl("fs_stream_flush")
public func _fs_stream_flush(_ h: OpaquePointer?) -> fs_status {
    call("fs_stream_flush") { try stream(h).reset() }
}

extension fs_video_options: OptionsStruct {
    typealias Core = VideoEncoding  // stream and preset NULL: the stream defaults, VideoEncoding's preset
    static var minSize: Int { leadingSize(\fs_video_options.crf) }
}

/// The encoding a caller asked for: crf, threads, and preset (NULL: the default). Ranges are
/// checked by the job (VideoEncoding.validate, from the table).
func videoEncoding(crf: Int32, preset: UnsafePointer<CChar>?, threads: Int32) -> VideoEncoding {
    var e = VideoEncoding()
    e.crf = Int(crf)
    e.threads = Int(threads)
    if let preset { e.preset = String(cString: preset) }
    return e
}

@_cdecl("fs_video_options_init")
public func _fs_video_options_init(_ o: UnsafeMutablePointer<fs_video_options>?, _ size: Int) -> fs_status {
    call("fs_video_options_init") { try initOptions(o, size) }
}

extension fs_video_stats: OutputStruct {
    static var typeName: String { "fs_video_stats" }
    static var minSize: Int { leadingSize(\fs_video_stats.frames) }
}

func videoStats(_ r: VideoJobResult) -> fs_video_stats {
    fs_video_stats(struct_size: 0, frames: Int64(r.frames), frames_with_faces: Int64(r.framesWithFaces),
                   scene_cuts: Int64(r.sceneCuts), seconds: r.seconds)
}

@_cdecl("fs_video_swap")
public func _fs_video_swap(_ sw: OpaquePointer?, _ src: OpaquePointer?, _ input: UnsafePointer<CChar>?, _ output: UnsafePointer<CChar>?,
                           _ opts: UnsafePointer<fs_video_options>?,
                           _ progress: (@convention(c) (UnsafeMutableRawPointer?, Int64, Int64) -> Int32)?,
                           _ user: UnsafeMutableRawPointer?, _ stats: UnsafeMutablePointer<fs_video_stats>?) -> fs_status {
    call("fs_video_swap") {
        let statsSize = try outputSize(stats, "stats")
        let o: fs_video_options = try readOptions(opts, "options")
        let inner: fs_stream_options = try readOptions(o.stream, "options->stream")
        // The numbers through the table (ranges checked by the job), the preset by hand.
        var encoding = try VideoEncoding(c: o)
        if let preset = o.preset { encoding.preset = String(cString: preset) }
        let result = try VideoJob.run(input: try string(input, "input_path"), output: try string(output, "output_path"),
                                      swapper: try swapper(sw), source: try source(src, for: sw), options: try streamOptions(inner),
                                      encoding: encoding) { done, total in
            progress.map { $0(user, Int64(done), Int64(total)) == 0 } ?? true
        }
        if let stats, let statsSize { writeOutput(videoStats(result), stats, declared: statsSize) }
    }
}
