/// How a written video is encoded (H.264 through libx264).
public struct VideoEncoding: Sendable {
    /// Quality: 0 lossless – 51.
    public var crf = 18
    /// x264 preset.
    public var preset = "veryfast"
    /// Threads the job may use (0: every core; 1: only the caller's thread, frame after frame):
    /// decoding, swapping and encoding overlap, and the faces of a frame are swapped at once.
    /// Every frame is swapped alike for every value; the H.264 bits may differ slightly, as
    /// x264's output depends on its own thread count.
    public var threads = 0
    /// A part of the video (fs_video_swap only; the reenactment job ignores these): the first
    /// frame written (frames numbered from 0 in presentation order), how many (0: to the end),
    /// and the frames before it tracked but not written, so the tracks are settled at the cut.
    public var firstFrame = 0
    public var frameCount = 0
    public var warmup = 0
    /// Copy the input's audio (for a part: the packets within the written frames' span).
    public var audio = true
    public init() {}

    /// The part asked for, or nil for the whole video.
    public var range: FrameRange? {
        firstFrame == 0 && frameCount == 0 ? nil : FrameRange(first: firstFrame, count: frameCount, warmup: warmup)
    }

    public static let presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"]

    public func validate() throws {
        try OptionField.validate(Self.fields, self, .video)
        guard Self.presets.contains(preset) else {
            throw FaceSwapError(.invalidArgument, "fs_video_options: preset '\(preset)' is not an x264 preset: use "
                                + Self.presets.joined(separator: ", "))
        }
    }
}
