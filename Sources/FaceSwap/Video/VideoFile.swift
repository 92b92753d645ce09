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

/// A part of a video: frames first ..< first + count (count 0: to the end), numbered from 0 in
/// presentation order, with `warmup` frames before it tracked but not written.
public struct FrameRange: Sendable, Equatable {
    public var first: Int, count: Int, warmup: Int
    public init(first: Int, count: Int, warmup: Int) {
        self.first = first; self.count = count; self.warmup = warmup
    }
    /// The frame after the part (nil: the part runs to the end).
    var end: Int? { count > 0 ? first + count : nil }
}

/// A frame's picture as the decoder made it (YUV 4:2:0, a reference to the decoder's buffer): a
/// writer encodes it as it is outside the regions a job changed (VideoWriter.write).
final class DecodedPicture: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    init(_ pointer: UnsafeMutableRawPointer) { self.pointer = pointer }
    deinit { fsx_vframe_free(pointer) }
}

/// Decodes a video file frame by frame (libavformat/libavcodec) into BGR8 images.
public final class VideoReader {
    let handle: UnsafeMutableRawPointer
    public let info: VideoInfo
    public let path: String
    /// Set before the first frame is read: only that part is returned (see Frame.Role); the
    /// frames before its warm-up are decoded and dropped.
    public var range: FrameRange?
    /// Frames decoded so far (returned or dropped).
    public private(set) var decoded = 0
    /// Each frame also keeps its decoded picture when that is limited-range YUV 4:2:0 (Frame.picture).
    var keepPictures = false
    private var finished = false

    /// threads: the decoder's own threads (0: libavcodec's choice, 1: none).
    public init(path: String, threads: Int = 0) throws {
        self.path = path
        var i = fsx_video_info()
        guard let h = fsx_vreader_open(path, &i, Int32(clamping: max(0, threads))) else { throw shimError(fsx_last_status(), "video") }
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
        /// What a job does with a frame: swap and write it; swap it to settle the tracks but not
        /// write it (warm-up before a part); or only take its time as the end of the part's last
        /// frame (the frame after a part: neither swapped nor written).
        public enum Role: Sendable { case output, warmup, boundary }
        public let image: Image
        public let pts: Int64
        public let duration: Int64
        public let seconds: Double
        public var role: Role = .output
        /// The decoded picture (only when the reader keeps them, see keepPictures).
        var picture: DecodedPicture? = nil
    }

    /// Frames a job will write: the part's count, else the container's estimate (0: unknown).
    public var expectedFrames: Int {
        guard let range else { return info.frames }
        return range.count > 0 ? range.count : max(0, info.frames - range.first)
    }

    /// The next frame, or nil at the end. `reusing`: an image to decode into when it is an owned
    /// BGR8 image of the video's size that nothing else uses (else a new one is made).
    public func next(reusing spare: Image? = nil) throws -> Frame? {
        let img: Image
        if let spare, spare.width == info.width, spare.height == info.height, spare.format == .bgr8, !spare.isWrapped {
            img = spare
        } else {
            img = try Image(width: info.width, height: info.height, format: .bgr8)
        }
        var pts: Int64 = 0, dur: Int64 = 0, sec = 0.0
        var eof: Int32 = 0
        while !finished {
            var raw: UnsafeMutableRawPointer? = nil
            if keepPictures {
                try shim(fsx_vreader_next(handle, img.view, &pts, &dur, &sec, &eof, &raw), "'\(path)'")
            } else {
                try shim(fsx_vreader_next(handle, img.view, &pts, &dur, &sec, &eof, nil), "'\(path)'")
            }
            let picture = raw.map(DecodedPicture.init)
            if eof != 0 { finished = true; break }
            let index = decoded
            decoded += 1
            guard let range else { return Frame(image: img, pts: pts, duration: dur, seconds: sec, picture: picture) }
            if index < range.first - range.warmup { continue }  // before the warm-up: dropped
            if let end = range.end, index >= end {
                finished = true  // the frame after the part: its time ends the part's last frame
                return Frame(image: img, pts: pts, duration: dur, seconds: sec, role: .boundary)
            }
            return Frame(image: img, pts: pts, duration: dur, seconds: sec, role: index < range.first ? .warmup : .output,
                         picture: picture)
        }
        return nil
    }
}

/// Encodes H.264 with the reader's timestamps and copies its audio. Writes to a temporary file
/// next to the destination and renames it into place only when finished.
public final class VideoWriter {
    private var handle: UnsafeMutableRawPointer?
    private let path: String
    private let temporary: String

    /// width × height: the frames' size (nil: the reader's).
    /// The audio: the reader's whole audio stream (encoding.audio), or for a reader set to a part,
    /// its packets within the written frames' span; none when encoding.audio is false.
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
        // x264's threads: none when the job may use one thread, else its own choice.
        let x264Threads: Int32 = Threads.resolve(encoding.threads) == 1 ? 1 : 0
        let audio: Int32 = !encoding.audio ? FSX_AUDIO_NONE : reader.range == nil ? FSX_AUDIO_ALL : FSX_AUDIO_SPAN
        guard let h = fsx_vwriter_open(temporary, reader.handle, Int32(width ?? 0), Int32(height ?? 0), Int32(crf), preset,
                                       x264Threads, audio) else {
            let e = shimError(fsx_last_status(), "'\(path)'")
            unlink(temporary)
            throw e
        }
        handle = h
    }

    deinit { abort() }

    public func write(_ frame: Image, pts: Int64, duration: Int64) throws {
        try write(frame, pts: pts, duration: duration, picture: nil, regions: [])
    }

    /// With `picture` (the frame's decoded picture) and `regions` (the only parts of `frame`
    /// changed since it was decoded): the picture is encoded as decoded outside the regions, so
    /// no whole-frame conversion is made and the pixels there stay the decoder's exactly (when
    /// its size and format are the encoder's; else, as without it, the whole frame is converted).
    func write(_ frame: Image, pts: Int64, duration: Int64, picture: DecodedPicture?, regions: [IntRect]) throws {
        guard let handle else { throw FaceSwapError(.invalidArgument, "the video writer is closed") }
        var q: [Int32] = []
        q.reserveCapacity(4 * regions.count)
        for r in regions { q += [Int32(clamping: r.x), Int32(clamping: r.y), Int32(clamping: r.width), Int32(clamping: r.height)] }
        try shim(fsx_vwriter_write(handle, frame.view, picture?.pointer, q, Int32(regions.count), pts, duration),
                 "writing '\(path)'")
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
///
/// With more than one thread, decoding (a thread of its own), the transform (the caller's thread)
/// and encoding (a thread of its own) overlap through bounded queues; frames keep their order, and
/// progress is reported on the caller's thread after each frame is transformed. An error in any
/// stage stops the others; the error of the earliest frame's stage is thrown. Decoded frames'
/// buffers are reused once written (when nothing else holds them).
enum VideoPipeline {
    typealias Transform = (VideoReader.Frame) throws -> (Image, Bool)
    /// A transform that also says which regions of the frame it changed (nil: it may have changed
    /// anything); with a frame's decoded picture, only those are converted back (VideoWriter.write).
    typealias RegionTransform = (VideoReader.Frame) throws -> (Image, Bool, [IntRect]?)
    /// A frame to write: the decoded frame, its transformed image, the regions changed (nil: any).
    typealias Item = (VideoReader.Frame, Image, [IntRect]?)

    /// Frames ready to write, holding the last one back until the next one's pts gives its duration.
    struct Timing {
        var pending: Item? = nil
        var lastDuration: Int64 = 0
        var written = 0

        /// Writes the pending frame (its duration from `next`, nil at the end); `next` becomes pending
        /// unless it is the boundary after a part (only its time is used). Returns the frame
        /// written, for reuse.
        mutating func push(_ next: Item?, to writer: VideoWriter) throws -> VideoReader.Frame? {
            defer { pending = next?.0.role == .boundary ? nil : next }
            guard let (p0, img, regions) = pending else { return nil }
            var p = p0
            pending = nil
            var d = p.duration
            if let f = next?.0, f.pts > p.pts { d = f.pts - p.pts }
            if d <= 0 { d = lastDuration }
            lastDuration = d
            // The decoded picture goes with the frame into the writer (and is released after it).
            let picture = regions == nil || img !== p.image ? nil : p.picture
            p.picture = nil
            try writer.write(img, pts: p.pts, duration: d, picture: picture, regions: regions ?? [])
            written += 1
            return p
        }
    }

    static func cancelled(_ frames: Int) -> FaceSwapError {
        FaceSwapError(.cancelled, "cancelled after \(frames) frames; no output written")
    }

    static func noFrames(_ reader: VideoReader) -> FaceSwapError {
        FaceSwapError(.decode, "'\(reader.path)' has no decodable video frames")
    }

    /// A decoded frame's image to decode into again, when nothing else holds it.
    static func reusable(_ frame: inout VideoReader.Frame?) -> Image? {
        guard var img = frame?.image else { return nil }
        frame = nil
        return isKnownUniquelyReferenced(&img) ? img : nil
    }

    static func run(reader: VideoReader, writer: VideoWriter, threads: Int = 1, progress: ProgressHandler?,
                    transform: @escaping Transform) throws -> (frames: Int, withFaces: Int) {
        try run(reader: reader, writer: writer, threads: threads, progress: progress,
                regionTransform: { f in let (img, face) = try transform(f); return (img, face, nil) })
    }

    static func run(reader: VideoReader, writer: VideoWriter, threads: Int = 1, progress: ProgressHandler?,
                    regionTransform transform: RegionTransform) throws -> (frames: Int, withFaces: Int) {
        do {
            let result = Threads.resolve(threads) <= 1
                ? try serial(reader: reader, writer: writer, progress: progress, transform: transform)
                : try overlapped(reader: reader, writer: writer, progress: progress, transform: transform)
            if result.frames == 0, let range = reader.range {
                throw FaceSwapError(.decode, "first_frame \(range.first) is past the last frame of '\(reader.path)' "
                                    + "(\(reader.decoded) frames, numbered from 0)")
            }
            if result.frames == 0 { throw noFrames(reader) }
            try writer.finish()
            return result
        } catch {
            writer.abort()
            throw error
        }
    }

    /// One thread: decode, transform, encode, frame after frame.
    static func serial(reader: VideoReader, writer: VideoWriter, progress: ProgressHandler?,
                       transform: RegionTransform) throws -> (frames: Int, withFaces: Int) {
        var timing = Timing()
        var withFaces = 0
        var spare: Image? = nil
        while true {
            let frame = try reader.next(reusing: spare)
            spare = nil
            if let f = frame, f.role == .warmup {  // tracked, not written
                _ = try transform(f)
                continue
            }
            let out = try frame.map { f -> Item in
                if f.role == .boundary { return (f, f.image, nil) }
                let (img, face, regions) = try transform(f)
                if face { withFaces += 1 }
                return (f, img, regions)
            }
            var done = try timing.push(out, to: writer)
            if done != nil {
                spare = reusable(&done)
                if let progress, !progress(timing.written, max(reader.expectedFrames, timing.written)) {
                    throw cancelled(timing.written)
                }
            }
            if frame == nil { break }
        }
        return (timing.written, withFaces)
    }

    /// Three stages on three threads (the transform on the caller's).
    static func overlapped(reader: VideoReader, writer: VideoWriter, progress: ProgressHandler?,
                           transform: RegionTransform) throws -> (frames: Int, withFaces: Int) {
        let decoded = BoundedQueue<VideoReader.Frame>(capacity: 3)
        let transformed = BoundedQueue<Item>(capacity: 3)
        let spares = BoundedQueue<Image>(capacity: 8)
        // Each written by its stage's thread before it closes or cancels its queue (whose lock
        // orders the write before the reads below).
        var decodeError: Error? = nil, encodeError: Error? = nil
        var written = 0

        let decoder = try Worker {
            do {
                while let f = try reader.next(reusing: spares.tryPop()) {
                    if !decoded.push(f) { return }
                }
            } catch {
                decodeError = error
            }
            decoded.close()
        }
        let encoder: Worker
        do {
            encoder = try Worker {
                var timing = Timing()
                do {
                    while let item = transformed.pop() {
                        var done = try timing.push(item, to: writer)
                        // Never waits: once the decoder has ended nobody takes spares, and the
                        // frames still in flight may outnumber the queue's room.
                        if let img = reusable(&done) { spares.tryPush(img) }
                    }
                    if !transformed.isCancelled { _ = try timing.push(nil, to: writer) }
                } catch {
                    encodeError = error
                    transformed.cancel()
                    decoded.cancel()
                }
                written = timing.written
                spares.cancel()
            }
        } catch {
            decoded.cancel()
            decoder.join()
            throw error
        }

        var swappedCount = 0, withFaces = 0
        var stageError: Error? = nil
        while let f = decoded.pop() {
            do {
                if f.role == .boundary {  // its time only, for the encoder
                    if !transformed.push((f, f.image, nil)) { break }
                    continue
                }
                let (img, face, regions) = try transform(f)
                if f.role == .warmup { continue }  // tracked, not written
                if face { withFaces += 1 }
                if !transformed.push((f, img, regions)) { break }  // the encoder failed
                swappedCount += 1
                if let progress, !progress(swappedCount, max(reader.expectedFrames, swappedCount)) {
                    throw cancelled(swappedCount)
                }
            } catch {
                stageError = error
                break
            }
        }
        if stageError != nil {
            transformed.cancel()
            decoded.cancel()
        } else {
            transformed.close()
        }
        encoder.join()
        decoded.cancel()  // the encoder may have stopped early: let the decoder end
        decoder.join()
        // The earliest frame's error: a frame decoded but failing to transform comes before a
        // decode error further on; an encode error stops the transform, so it comes first.
        if let encodeError { throw encodeError }
        if let stageError { throw stageError }
        if let decodeError { throw decodeError }
        return (written, withFaces)
    }
}

/// The decoder's own threads for a job of `threads`: none on one; else libavcodec's choice.
func decoderThreads(_ threads: Int) -> Int { threads <= 1 ? 1 : 0 }

/// A whole video: decode, swap every frame through a stream, encode with the same timestamps,
/// audio copied. Frames with no face pass through unchanged. Cancelling leaves no output file.
/// `encoding.threads`: see VideoPipeline (0: every core).
public enum VideoJob {
    /// Whether the job converts only the swapped regions back to YUV (true), or whole frames as
    /// before (false: FACESWAP_VIDEO_WHOLE_FRAMES=1 in the environment, a diagnostic that
    /// Tests/python/test_video_regions.py compares against).
    static let regionWrites = getenv("FACESWAP_VIDEO_WHOLE_FRAMES").map { String(cString: $0) != "1" } ?? true

    public static func run(input: String, output: String, swapper: Swapper, source: Source?,
                           options: StreamOptions = StreamOptions(), encoding: VideoEncoding = VideoEncoding(),
                           progress: ProgressHandler? = nil) throws -> VideoJobResult {
        let start = StageClock.now()
        try swapper.check(source: source)  // before any file is opened or created
        let threads = Threads.resolve(encoding.threads)
        let reader = try VideoReader(path: input, threads: decoderThreads(threads))
        reader.range = encoding.range
        // Only the faces change: the writer encodes each decoded picture as it is outside them
        // (no conversion of the whole frame back to YUV; the background stays the decoder's).
        reader.keepPictures = VideoJob.regionWrites
        let writer = try VideoWriter(path: output, reader: reader, encoding: encoding)
        // The faces of a frame on as many threads as the stream options and the job allow.
        var options = options
        options.threads = options.threads == 0 ? threads : min(options.threads, threads)
        let stream = try FaceStream(swapper: swapper, source: source, options: options)
        let learned = source == nil
        let (frames, withFaces) = try VideoPipeline.run(reader: reader, writer: writer, threads: threads,
                                                        progress: progress, regionTransform: { frame in
            let faces = try stream.process(frame.image, time: frame.seconds)
            // What swapFace may have written: each swapped face's reach (Swapper.reach).
            let regions = stream.lastFaces.map { face -> IntRect in
                let r = swapper.reach(of: face, learned: learned)
                let x0 = Int(r.x.rounded(.down)), y0 = Int(r.y.rounded(.down))
                return IntRect(x: x0, y: y0, width: Int((r.x + r.width).rounded(.up)) - x0 + 1,
                               height: Int((r.y + r.height).rounded(.up)) - y0 + 1)
            }
            return (frame.image, faces > 0, regions)
        })
        return VideoJobResult(frames: frames, framesWithFaces: withFaces, sceneCuts: stream.sceneCuts,
                              seconds: StageClock.now() - start)
    }
}
