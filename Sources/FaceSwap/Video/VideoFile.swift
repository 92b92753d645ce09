import CFaceShim
#if canImport(Glibc)
import Glibc
#endif

public struct VideoInfo: Sendable {
    public var width: Int, height: Int
    /// From the container (may be an estimate); the job counts the frames it actually decodes.
    public var frames: Int
    public var fps: Double
    public var duration: Double
    public var hasAudio: Bool
}

/// Decodes a video file frame by frame (libavformat/libavcodec) into BGR8 images.
public final class VideoReader {
    let handle: UnsafeMutableRawPointer
    public let info: VideoInfo
    public let path: String

    public init(path: String) throws {
        self.path = path
        var i = fsx_video_info()
        guard let h = fsx_vreader_open(path, &i) else { throw shimError(fsx_last_status(), "video") }
        handle = h
        info = VideoInfo(width: Int(i.width), height: Int(i.height), frames: Int(i.frames), fps: i.fps,
                         duration: i.duration, hasAudio: i.has_audio != 0)
        do {
            try ImageLimits.check(width: info.width, height: info.height, "video frame")
        } catch {
            fsx_vreader_close(h)
            throw error
        }
    }

    deinit { fsx_vreader_close(handle) }

    public struct Frame {
        public let image: Image
        public let pts: Int64
        public let duration: Int64
        public let seconds: Double
    }

    /// The next frame, or nil at the end.
    public func next() throws -> Frame? {
        let img = try Image(width: info.width, height: info.height, format: .bgr8)
        var pts: Int64 = 0, dur: Int64 = 0, sec = 0.0
        var eof: Int32 = 0
        try shim(fsx_vreader_next(handle, img.view, &pts, &dur, &sec, &eof), "'\(path)'")
        return eof != 0 ? nil : Frame(image: img, pts: pts, duration: dur, seconds: sec)
    }
}

/// Encodes H.264 with the reader's timestamps and copies its audio. Writes to a temporary file
/// next to the destination and renames it into place only when finished.
public final class VideoWriter {
    private var handle: UnsafeMutableRawPointer?
    private let path: String
    private let temporary: String

    /// width × height: the frames' size (nil: the reader's).
    public init(path: String, reader: VideoReader, width: Int? = nil, height: Int? = nil,
                encoding: VideoEncoding = VideoEncoding()) throws {
        try encoding.validate()
        let crf = encoding.crf, preset = encoding.preset
        self.path = path
        // Keep the extension last: the container is chosen from it.
        let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        let dir = String(path[..<slash]), name = String(path[slash...])
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else {
            throw FaceSwapError(.unsupported, "cannot tell the video format of '\(path)': use .mp4, .mkv or .mov")
        }
        temporary = dir + "." + name[..<dot] + ".partial-\(getpid())" + name[dot...]
        guard let h = fsx_vwriter_open(temporary, reader.handle, Int32(width ?? 0), Int32(height ?? 0), Int32(crf), preset) else {
            let e = shimError(fsx_last_status(), "'\(path)'")
            unlink(temporary)
            throw e
        }
        handle = h
    }

    deinit { abort() }

    public func write(_ frame: Image, pts: Int64, duration: Int64) throws {
        guard let handle else { throw FaceSwapError(.invalidArgument, "the video writer is closed") }
        try shim(fsx_vwriter_write(handle, frame.view, pts, duration), "writing '\(path)'")
    }

    /// Finishes the file and moves it into place.
    public func finish() throws {
        guard let h = handle else { return }
        handle = nil
        let rc = fsx_vwriter_finish(h)
        if rc != 0 {
            let e = shimError(rc, "finishing '\(path)'")
            unlink(temporary)
            throw e
        }
        if rename(temporary, path) != 0 {
            let why = String(cString: strerror(errno))
            unlink(temporary)
            throw FaceSwapError(.io, "cannot move the finished video to '\(path)': \(why)")
        }
    }

    /// Drops the partial file.
    public func abort() {
        if let h = handle {
            fsx_vwriter_abort(h)
            handle = nil
            unlink(temporary)
        }
    }
}

/// Progress reports: frames done, frames expected (an estimate; 0 when unknown). Return false to cancel.
public typealias ProgressHandler = (_ done: Int, _ total: Int) -> Bool

public struct VideoJobResult: Sendable {
    public var frames: Int
    public var framesWithFaces: Int
    public var sceneCuts: Int
    public var seconds: Double
}

/// Decode → transform every frame → encode, with every timestamp kept and the audio copied. Each
/// frame is written once the next one is known, so that its duration is exact even when the
/// decoder does not report one (variable frame rates). On error or cancel the writer drops its
/// temporary file: no output is left.
enum VideoPipeline {
    static func run(reader: VideoReader, writer: VideoWriter, progress: ProgressHandler?,
                    transform: (VideoReader.Frame) throws -> (Image, Bool)) throws -> (frames: Int, withFaces: Int) {
        var frames = 0, withFaces = 0
        var pending: (VideoReader.Frame, Image)? = nil
        var lastDuration: Int64 = 0
        do {
            while true {
                let frame = try reader.next()
                if let (p, img) = pending {
                    var d = p.duration
                    if let f = frame, f.pts > p.pts { d = f.pts - p.pts }
                    if d <= 0 { d = lastDuration }
                    lastDuration = d
                    try writer.write(img, pts: p.pts, duration: d)
                    frames += 1
                    if let progress, !progress(frames, max(reader.info.frames, frames)) {
                        throw FaceSwapError(.cancelled, "cancelled after \(frames) frames; no output written")
                    }
                }
                guard let frame else { break }
                let (out, face) = try transform(frame)
                if face { withFaces += 1 }
                pending = (frame, out)
            }
            if frames == 0 { throw FaceSwapError(.decode, "'\(reader.path)' has no decodable video frames") }
            try writer.finish()
        } catch {
            writer.abort()
            throw error
        }
        return (frames, withFaces)
    }
}

/// A whole video: decode, swap every frame through a stream, encode with the same timestamps,
/// audio copied. Frames with no face pass through unchanged. Cancelling leaves no output file.
public enum VideoJob {
    public static func run(input: String, output: String, swapper: Swapper, source: Source?,
                           options: StreamOptions = StreamOptions(), encoding: VideoEncoding = VideoEncoding(),
                           progress: ProgressHandler? = nil) throws -> VideoJobResult {
        let start = StageClock.now()
        let reader = try VideoReader(path: input)
        let writer = try VideoWriter(path: output, reader: reader, encoding: encoding)
        let stream = try FaceStream(swapper: swapper, source: source, options: options)
        let (frames, withFaces) = try VideoPipeline.run(reader: reader, writer: writer, progress: progress) { frame in
            (frame.image, try stream.process(frame.image, time: frame.seconds) > 0)
        }
        return VideoJobResult(frames: frames, framesWithFaces: withFaces, sceneCuts: stream.sceneCuts,
                              seconds: StageClock.now() - start)
    }
}
