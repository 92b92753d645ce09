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
    public init() {}

    public static let presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"]

    public func validate() throws {
        try OptionField.validate(Self.fields, self, .video)
        guard Self.presets.contains(preset) else {
            throw FaceSwapError(.invalidArgument, "fs_video_options: preset '\(preset)' is not an x264 preset: use "
                                + Self.presets.joined(separator: ", "))
        }
    }
}
