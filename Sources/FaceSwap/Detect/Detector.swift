import CFaceShim
#if canImport(Glibc)
import Glibc
#endif

public enum DetectorBackend: Int32, Sendable {
    case hog = 0, cnn = 1, haar = 2
    public var name: String { EnumKind.detectorBackend.name(rawValue)! }
    public init?(name: String) {
        guard let v = EnumKind.detectorBackend.value(name) else { return nil }
        self.init(rawValue: v)
    }
}

public struct DetectorOptions: Sendable {
    public var backend: DetectorBackend = .hog
    public var modelPath: String? = nil
    /// Times to double the image before scanning (finds faces half the size each time);
    /// -1 (the default): automatic, see `Detector.detect(_:minFaceSize:fastOnly:)`.
    public var upsample: Int = -1
    /// Smallest face wanted, in input pixels; sets the automatic scan scale.
    public var minFaceSize: Int = 80
    /// 0: automatic, min(1, window / minFaceSize); else the scan scale in (0, 1].
    public var downscale: Double = 0
    /// Box side = (1 + margin) × detected face size.
    public var margin: Double = 0.5
    public var threshold: Double = 0
    /// Keep at most this many faces, largest first (0: all).
    public var maxFaces: Int = 0
    public init() {}

    /// Ranges: the option table (Core/OptionTable.swift).
    func validate() throws { try OptionField.validate(Self.fields, self, .detector) }
}

/// What creating a handle did with its on-disk model cache ($XDG_CACHE_HOME/faceswap, see
/// Sources/CFaceShim/model_cache.hpp).
public enum ModelCacheState: Int32, Sendable {
    /// No cache: disabled (FACESWAP_NO_MODEL_CACHE=1), no cache folder, it could not be written,
    /// or the handle has none (CNN, Haar).
    case off = 0
    /// Loaded from a valid cache.
    case hit = 1
    /// Built the slow way, and the cache written (the first use).
    case written = 2
    /// A stale, truncated or corrupt cache was found: built the slow way and rewritten.
    case rebuilt = 3

    public var name: String {
        switch self {
        case .off: return "no cache"
        case .hit: return "cache hit"
        case .written: return "cache written"
        case .rebuilt: return "cache rebuilt"
        }
    }
}

/// A face detector: dlib HOG, dlib CNN (MMOD) or OpenCV Haar. Immutable and thread-safe.
public final class Detector: @unchecked Sendable {
    public let options: DetectorOptions
    private let handle: UnsafeMutableRawPointer
    /// The smallest face each backend finds in the image it scans (its window).
    private var window: Double { options.backend == .haar ? 40 : 80 }

    /// What creating this detector did with the HOG detector's cache.
    public var cacheState: ModelCacheState {
        options.backend == .hog ? ModelCacheState(rawValue: fsx_hog_cache_state(handle)) ?? .off : .off
    }

    public init(_ options: DetectorOptions = DetectorOptions()) throws {
        try requireSupportedCPU()
        try options.validate()
        self.options = options
        let made: UnsafeMutableRawPointer?
        switch options.backend {
        case .hog:
            made = fsx_hog_create()
        case .cnn:
            let path = try ModelResolver.find(ModelResolver.cnnDetector, explicit: options.modelPath)
            made = fsx_cnn_create(path)
        case .haar:
            let path = try ModelResolver.find(ModelResolver.haarCascade, explicit: options.modelPath)
            made = fsx_haar_create(path)
        }
        guard let made else { throw shimError(fsx_last_status(), "cannot create the \(options.backend.name) detector") }
        handle = made
    }

    deinit {
        switch options.backend {
        case .hog: fsx_hog_free(handle)
        case .cnn: fsx_cnn_free(handle)
        case .haar: fsx_haar_free(handle)
        }
    }

    /// The scale at which an image is scanned.
    public var scanScale: Double { scanScale(minFaceSize: nil) }

    /// The scan scale for faces of at least `minFaceSize` pixels (nil: the options' own).
    public func scanScale(minFaceSize: Double?) -> Double {
        let base: Double
        if let m = minFaceSize, m > Double(options.minFaceSize) {
            base = min(1.0, window / m)
        } else {
            base = options.downscale > 0 ? options.downscale : min(1.0, window / Double(options.minFaceSize))
        }
        return base * Double(1 << max(0, options.upsample))
    }

    /// The longest side a finer scan of the automatic mode may scan: 1024 px for a small photo,
    /// 2048 px when the fast scan found nothing or a small face (worth a slower second look).
    static let finerScanSide = 1024, finerScanSideWhenWanted = 2048

    /// Faces in `image`, largest first. None is not an error. `minFaceSize` (pixels) may raise
    /// the smallest face looked for, which scans a smaller image (trackers that know the size).
    ///
    /// With `upsample` -1 (automatic, the default) a photo is scanned at the fast scale first, then
    /// once more doubled or quadrupled when that may find faces it missed: when the photo is small
    /// (its longer side at most 512 px), when nothing was found, or when a face was found near the
    /// smallest size the fast scan sees (a crowd may hold smaller ones). The finer scan's faces are
    /// added where the fast scan found none, so the faces found fast keep their boxes. The finer
    /// scan doubles while the scanned image's longer side stays within `finerScanSide`
    /// (`finerScanSideWhenWanted` when none or a small face was found), at most twice: faces down
    /// to about 25 px in photos up to 512 px, 40 px up to 1024 px.
    /// It is skipped for the CNN backend (which finds smaller faces already, at a high cost per
    /// pixel), with `minFaceSize` or `downscale` set above the window's size (the caller asked for
    /// large faces), and with `fastOnly` (video: trackers, sweeps, face-set extraction).
    ///
    /// The finer scan looks at a colour photo in colour (HOG: as dlib does, each pixel's strongest
    /// channel gradient, which finds faces whose edges differ in hue more than in grey, e.g. dark
    /// skin against a dark headscarf); the fast scan, and so every video frame, scans grey: the
    /// faces it finds keep their boxes, and only the photos that get a second look pay the colour
    /// scan (`finerInColour` false: grey too, for the benchmark's ratio).
    ///
    /// `threads`: a large scan (HOG, at least `sharedScanPixels` scanned) may share its pyramid
    /// levels between two threads; the faces are the same as on one.
    public func detect(_ image: Image, minFaceSize: Double? = nil, fastOnly: Bool = false,
                       finerInColour: Bool = true, threads: Int = 1) throws -> [Face] {
        let fast = try scan(image, minFaceSize: minFaceSize, upsample: max(0, options.upsample), colour: false, threads: threads)
        guard !fastOnly, minFaceSize == nil, options.upsample < 0, options.backend != .cnn,
              Double(options.minFaceSize) <= window, options.downscale == 0 || options.downscale >= 1 else { return fast }
        let longer = max(image.width, image.height)
        let nearLimit = fast.contains { min($0.rect.width, $0.rect.height) < 1.5 * window }
        let wanted = fast.isEmpty || nearLimit
        guard longer <= 512 || wanted else { return fast }
        let budget = wanted ? Detector.finerScanSideWhenWanted : Detector.finerScanSide
        var k = 0
        while k < 2, longer << (k + 1) <= budget { k += 1 }
        guard k > 0 else { return fast }
        var faces = fast
        for f in try scan(image, minFaceSize: nil, upsample: k, colour: finerInColour, threads: threads)
        where !fast.contains(where: { $0.rect.intersectionOverUnion(f.rect) > 0.3 || $0.rect.contains(f.rect.center) }) {
            faces.append(f)
        }
        faces.sort { $0.rect.area > $1.rect.area }
        if options.maxFaces > 0 && faces.count > options.maxFaces { faces.removeSubrange(options.maxFaces...) }
        return faces
    }

    /// The smallest scan (pixels scanned) whose pyramid levels are shared between two threads
    /// when the caller allows them: below it a thread's start costs more than it saves.
    static let sharedScanPixels = 500_000

    /// The faces of a large photo that are large themselves, for a caller that wants the largest
    /// face only (Swapper.prepare, the source's face 0): the fast scan's coarse pyramid levels
    /// only (HOG: levels whose window is about 170 photo pixels or more, about a quarter of the
    /// scan's cost). dlib's whole scan finds these faces on the same levels, with the same boxes
    /// (the same windows; only a smaller, higher-scoring window on a finer level over the same
    /// face, or a face only the automatic mode's finer scan finds, could make the whole
    /// `detect`'s largest face another: Tests/python/test_detect.py compares the two on every
    /// photo of Tests/data/faces). nil when there is nothing to gain or nothing was found there
    /// (then `detect` is the answer): not HOG, upsampling asked for, a photo of at most 512 px (the
    /// automatic mode scans it finer anyway), a scan already too coarse for such levels, or a
    /// largest face near the smallest these levels find.
    public func largeFaces(_ image: Image) throws -> [Face]? {
        guard options.backend == .hog, options.upsample <= 0, max(image.width, image.height) > 512 else { return nil }
        let wanted = Detector.largeFaceSize * scanScale(minFaceSize: nil)  // in scanned pixels
        let level = Int((log(wanted / window) / log(1.2)).rounded(.down))
        guard level >= 1 else { return nil }
        let found = try scan(image, minFaceSize: nil, upsample: max(0, options.upsample), colour: false, firstLevel: level)
        // A face found on the first of these levels only may be a face the whole scan sees a
        // level or more finer, under a higher-scoring smaller window (fr_kit_harington1.jpg: 126
        // px in the whole scan, 181 px here): the largest face must come from a level above it.
        guard let largest = found.first,
              min(largest.rect.width, largest.rect.height) * scanScale(minFaceSize: nil) >= window * pow(1.2, Double(level + 1))
        else { return nil }
        return found
    }

    /// The face size (photo pixels) from which largeFaces() looks.
    static let largeFaceSize = 170.0

    /// One scan at the options' scale (or `minFaceSize`'s) doubled `upsample` times; HOG on the
    /// colour image when `colour` and the image has colour channels, else on grey. HOG: of the
    /// pyramid levels from `firstLevel` (0: all), on two threads when `threads` allows and the
    /// scan is large.
    private func scan(_ image: Image, minFaceSize: Double?, upsample: Int, colour: Bool,
                      firstLevel: Int = 0, threads: Int = 1) throws -> [Face] {
        let scale = scanScale(minFaceSize: minFaceSize) / Double(1 << max(0, options.upsample)) * Double(1 << upsample)
        let w = max(1, Int((Double(image.width) * scale).rounded()))
        let h = max(1, Int((Double(image.height) * scale).rounded()))
        if w > ImageLimits.maxSide || h > ImageLimits.maxSide || w * h > ImageLimits.maxPixels {
            throw FaceSwapError(.tooLarge, "upsampling a \(image.width)×\(image.height) image \(1 << upsample)× " +
                "(to \(w)×\(h)) is over the limit (\(ImageLimits.maxSide) per side, \(ImageLimits.maxPixels) pixels in all)")
        }
        let sx = Double(w) / Double(image.width), sy = Double(h) / Double(image.height)
        var boxes = [fsx_box](repeating: fsx_box(), count: 64)
        var count: Int32 = 0
        func run(_ body: (UnsafeMutablePointer<fsx_box>, Int32) -> Int32) throws {
            let rc = boxes.withUnsafeMutableBufferPointer { body($0.baseAddress!, Int32($0.count)) }
            try shim(rc, "detect")
            if Int(count) > boxes.count {
                boxes = [fsx_box](repeating: fsx_box(), count: Int(count))
                try shim(boxes.withUnsafeMutableBufferPointer { body($0.baseAddress!, Int32($0.count)) }, "detect")
            }
        }
        switch options.backend {
        case .hog:
            let scanned = colour && image.format.channels >= 3
                ? try image.ensuring(.bgr8).scaled(width: w, height: h) : try image.grayResized(width: w, height: h)
            let shared = threads > 1 && w * h >= Detector.sharedScanPixels ? 2 : 1
            try run { fsx_hog_detect_levels(handle, scanned.view, options.threshold, Int32(firstLevel), Int32(shared), $0, $1, &count) }
        case .haar:
            let gray = try image.grayResized(width: w, height: h)
            try run { fsx_haar_detect(handle, gray.view, Int32(window), $0, $1, &count) }
        case .cnn:
            let bgr = try image.ensuring(.bgr8).scaled(width: w, height: h)
            try run { fsx_cnn_detect(handle, bgr.view, options.threshold, $0, $1, &count) }
        }
        var faces: [Face] = []
        for b in boxes.prefix(Int(count)) {
            let rect = Rect(x: b.x / sx, y: b.y / sy, width: b.w / sx, height: b.h / sy)
            faces.append(Face(box: rect.grownSquare(margin: options.margin), rect: rect, score: b.score))
        }
        faces.sort { $0.rect.area > $1.rect.area }
        if options.maxFaces > 0 && faces.count > options.maxFaces { faces.removeSubrange(options.maxFaces...) }
        return faces
    }
}
