import CFaceShim
#if canImport(Glibc)
import Glibc
#endif

public struct ExtractOptions: Sendable {
    /// Side of the aligned crops written (pixels).
    public var size = 256
    /// The aligner's padding: the 68-point template fills the middle 1 − 2·padding of the crop.
    public var padding = 0.25
    /// Faces whose aligned crop has a Laplacian variance below this are skipped as blurry (0: keep all).
    public var minSharpness = 20.0
    /// Faces nearer than this (mean absolute difference of 32 × 32 grey thumbnails, 0–255) to a
    /// face already kept from the same input are skipped as duplicates (0: keep all).
    public var duplicateDistance = 2.0
    /// Video: look at every N-th frame.
    public var everyNthFrame = 1
    /// At most this many faces per image or frame (largest first).
    public var maxFacesPerImage = 1
    public init() {}

    /// Ranges: the option table (Core/OptionTable.swift).
    func validate() throws { try OptionField.validate(Self.fields, self, .extract) }
}

public struct ExtractStats: Sendable, Equatable {
    /// Images and video frames looked at.
    public var frames = 0
    /// Frames by how many faces the detector found: [0, 1, 2 or more].
    public var framesByFaceCount = [0, 0, 0]
    public var facesFound = 0
    public var skippedBlurry = 0
    public var skippedDuplicate = 0
    public var written = 0
    public init() {}
}

/// Extraction: photos, folders and videos -> aligned square face crops (PNG) with a JSON sidecar
/// each (source, frame, image → crop transform, landmarks in crop pixels, sharpness).
public final class Extractor {
    public let detector: Detector
    public let landmarker: Landmarker
    public let options: ExtractOptions
    static let videoExtensions = ["mp4", "mov", "mkv", "avi", "webm", "m4v", "mpg", "mpeg", "ts"]
    static let imageExtensions = ["jpg", "jpeg", "png", "bmp", "tif", "tiff", "webp", "pgm", "ppm"]

    public init(detector: Detector, landmarker: Landmarker, options: ExtractOptions = ExtractOptions()) throws {
        try options.validate()
        guard landmarker.numPoints == 68 else {
            throw FaceSwapError(.unsupported, "extraction needs the 68-point landmark model (this one has \(landmarker.numPoints))")
        }
        self.detector = detector
        self.landmarker = landmarker
        self.options = options
    }

    static func ext(_ path: String) -> String {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return "" }
        return path[path.index(after: dot)...].lowercased()
    }

    static func stem(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: ".") else { return name }
        return String(name[..<dot].map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
    }

    /// Files to read: inputs as given, folders expanded to the images and videos inside (sorted).
    public static func expand(_ inputs: [String]) throws -> [String] {
        var out: [String] = []
        for path in inputs {
            var st = stat()
            guard stat(path, &st) == 0 else { throw FaceSwapError(.io, "cannot read '\(path)': \(Files.errnoText())") }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                let names = try Files.list(path).filter {
                    imageExtensions.contains(ext($0)) || videoExtensions.contains(ext($0))
                }
                out += names.sorted().map { path.hasSuffix("/") ? path + $0 : path + "/" + $0 }
            } else {
                out.append(path)
            }
        }
        return out
    }

    /// Extracts every input into `folder` (created if missing). `progress(done, total)` counts
    /// inputs (and frames within a video); returning false cancels (files written so far stay).
    public func run(_ inputs: [String], into folder: String,
                    progress: ((_ done: Int, _ total: Int) -> Bool)? = nil) throws -> ExtractStats {
        guard !inputs.isEmpty else { throw FaceSwapError(.invalidArgument, "nothing to extract: no input files") }
        try Files.makeFolder(folder)
        let files = try Extractor.expand(inputs)
        guard !files.isEmpty else { throw FaceSwapError(.invalidArgument, "no images or videos in \(inputs.joined(separator: ", "))") }
        var stats = ExtractStats()
        let isVideo = files.map { Extractor.videoExtensions.contains(Extractor.ext($0)) }
        // Progress counts images and (as their headers say) video frames.
        let sizes = files.indices.map { isVideo[$0] ? max(1, (try? VideoReader(path: files[$0]).info.frames) ?? 1) : 1 }
        let totals = sizes.reduce(0, +)
        var done = 0
        for (i, file) in files.enumerated() {
            var kept: [[UInt8]] = []
            let stem = Extractor.stem(file)
            if isVideo[i] {
                let reader = try VideoReader(path: file)
                var index = 0
                while let frame = try reader.next() {
                    if index % options.everyNthFrame == 0 {
                        try extract(frame.image, source: file, frame: index, stem: stem, folder: folder, kept: &kept, stats: &stats)
                    }
                    index += 1
                    done += 1
                    if let progress, !progress(min(done, totals), totals) {
                        throw FaceSwapError(.cancelled, "extraction cancelled after \(stats.written) faces")
                    }
                }
                done += max(0, sizes[i] - index)
            } else {
                let image = try Image.load(path: file)
                try extract(image, source: file, frame: -1, stem: stem, folder: folder, kept: &kept, stats: &stats)
                done += 1
                if let progress, !progress(done, totals) {
                    throw FaceSwapError(.cancelled, "extraction cancelled after \(stats.written) faces")
                }
            }
        }
        return stats
    }

    /// A 32 × 32 grey thumbnail for duplicate checks.
    static func thumbnail(_ crop: Image) throws -> [UInt8] {
        let t = try crop.grayResized(width: 32, height: 32)
        var out = [UInt8](repeating: 0, count: 32 * 32)
        let base = t.data.assumingMemoryBound(to: UInt8.self)
        for y in 0..<32 { for x in 0..<32 { out[y * 32 + x] = base[y * t.stride + x] } }
        return out
    }

    static func distance(_ a: [UInt8], _ b: [UInt8]) -> Double {
        var s = 0
        for i in a.indices { s += abs(Int(a[i]) - Int(b[i])) }
        return Double(s) / Double(a.count)
    }

    /// Laplacian variance of the face's middle (the template's inner box), in grey.
    static func sharpness(_ crop: Image, padding: Double) throws -> Double {
        let s = crop.width
        let inset = Int((padding + 0.15 * (1 - 2 * padding)) * Double(s))
        let side = max(8, s - 2 * inset)
        let grey = try crop.region(IntRect(x: inset, y: inset, width: side, height: side)).converted(to: .gray8)
        var v = 0.0
        try shim(fsx_sharpness(grey.view, &v), "sharpness")
        return v
    }

    func extract(_ image: Image, source: String, frame: Int, stem: String, folder: String,
                 kept: inout [[UInt8]], stats: inout ExtractStats) throws {
        stats.frames += 1
        // The fast scan only: video frames, and faces too small to train on anyway.
        let found = try detector.detect(image, fastOnly: true)
        stats.framesByFaceCount[min(found.count, 2)] += 1
        stats.facesFound += found.count
        for (k, box) in found.prefix(options.maxFacesPerImage).enumerated() {
            let face = try landmarker.fit(image, box)
            let t = try Aligner.transform(for: face, size: options.size, padding: options.padding)
            let crop = try Aligner.crop(image.ensuring(.bgr8), transform: t, size: options.size)
            let sharp = try Extractor.sharpness(crop, padding: options.padding)
            if sharp < options.minSharpness { stats.skippedBlurry += 1; continue }
            let thumb = try Extractor.thumbnail(crop)
            if options.duplicateDistance > 0, kept.contains(where: { Extractor.distance($0, thumb) < options.duplicateDistance }) {
                stats.skippedDuplicate += 1
                continue
            }
            kept.append(thumb)
            if kept.count > 64 { kept.removeFirst() }
            let name = frame >= 0 ? "\(stem)_f\(pad6(frame))_\(k)" : "\(stem)_\(k)"
            let base = folder.hasSuffix("/") ? folder + name : folder + "/" + name
            try crop.save(path: base + ".png")
            let sidecar = AlignedFace(source: source, frame: frame, faceIndex: k, size: options.size, padding: options.padding,
                                      transform: t, landmarks: face.landmarks.map { t.apply($0) }, sharpness: sharp)
            let json = try sidecar.json()
            try json.withUnsafeBytes { try Files.writeAtomically(base + ".json", $0, durable: false) }  // as its .png
            stats.written += 1
        }
    }

    func pad6(_ n: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, 6 - s.count)) + s
    }
}
