import CFaceShim
#if canImport(Glibc)
import Glibc
#endif

public enum PixelFormat: Int32, Sendable, CaseIterable {
    case gray8 = 1, bgr8 = 2, rgb8 = 3, bgra8 = 4, rgba8 = 5

    public var channels: Int {
        switch self {
        case .gray8: return 1
        case .bgr8, .rgb8: return 3
        case .bgra8, .rgba8: return 4
        }
    }
    public var name: String {
        switch self {
        case .gray8: return "GRAY8"
        case .bgr8: return "BGR8"
        case .rgb8: return "RGB8"
        case .bgra8: return "BGRA8"
        case .rgba8: return "RGBA8"
        }
    }
}

public enum ImageLimits {
    public static let maxSide = 1 << 15
    public static let maxPixels = 1 << 28

    /// Throws unless width × height is a size the library accepts.
    public static func check(width: Int, height: Int, _ what: String = "image") throws {
        if width <= 0 || height <= 0 {
            throw FaceSwapError(.invalidArgument, "\(what) size \(width)×\(height) is not positive")
        }
        if width > maxSide || height > maxSide || width * height > maxPixels {
            throw FaceSwapError(.tooLarge, "\(what) of \(width)×\(height) pixels is over the limit " +
                "(\(maxSide) per side, \(maxPixels) pixels in all)")
        }
    }
}

/// Pixels in memory: owned (allocated here) or wrapping a caller's buffer.
/// Immutable in shape; its pixels are written only by the pipeline stages that say so.
public final class Image: @unchecked Sendable {
    public let width: Int
    public let height: Int
    public let stride: Int
    public let format: PixelFormat
    public let data: UnsafeMutableRawPointer
    private let owned: Bool

    /// A new zeroed image.
    public convenience init(width: Int, height: Int, format: PixelFormat) throws {
        try self.init(width: width, height: height, format: format, zeroed: true)
    }

    /// A new image, zeroed or with its pixels left as malloc gives them (for a stage that
    /// writes every one, as after `copy(outside:)`: no zeroing pass).
    init(width: Int, height: Int, format: PixelFormat, zeroed: Bool) throws {
        try ImageLimits.check(width: width, height: height)
        let stride = width * format.channels
        guard let p = zeroed ? calloc(height, stride) : malloc(max(height * stride, 1)) else {
            throw FaceSwapError(.outOfMemory, "cannot allocate a \(width)×\(height) \(format.name) image")
        }
        self.width = width
        self.height = height
        self.stride = stride
        self.format = format
        self.data = p
        self.owned = true
    }

    /// A copy of this image in which `hole` (inside it) is left unwritten: for a caller that
    /// writes every pixel of it next. One pass over the rest.
    func copy(outside hole: IntRect) throws -> Image {
        let out = try Image(width: width, height: height, format: format, zeroed: false)
        let px = format.channels, row = width * px
        for y in 0..<height {
            let s = data + y * stride, d = out.data + y * out.stride
            if hole.isEmpty || y < hole.y || y >= hole.y + hole.height {
                memcpy(d, s, row)
            } else {
                memcpy(d, s, hole.x * px)
                let right = (hole.x + hole.width) * px
                memcpy(d + right, s + right, row - right)
            }
        }
        return out
    }

    /// Wraps (borrows) a caller's pixels; `copy` makes an owned copy instead.
    public init(data: UnsafeMutableRawPointer?, width: Int, height: Int, stride: Int,
                format: PixelFormat, copy: Bool) throws {
        try ImageLimits.check(width: width, height: height)
        guard let data else { throw FaceSwapError(.invalidArgument, "image data is NULL") }
        let row = width * format.channels
        if stride < row {
            throw FaceSwapError(.invalidArgument, "stride \(stride) is smaller than a row of " +
                "\(width) \(format.name) pixels (\(row) bytes)")
        }
        if stride > Int.max / height {
            throw FaceSwapError(.invalidArgument, "stride \(stride) × height \(height) overflows")
        }
        self.width = width
        self.height = height
        self.format = format
        if copy {
            guard let p = malloc(height * row) else {
                throw FaceSwapError(.outOfMemory, "cannot allocate a \(width)×\(height) \(format.name) image")
            }
            for y in 0..<height { memcpy(p + y * row, data + y * stride, row) }
            self.data = p
            self.stride = row
            self.owned = true
        } else {
            self.data = data
            self.stride = stride
            self.owned = false
        }
    }

    deinit { if owned { free(data) } }

    /// This thread's scratch buffer `slot` as an image (fsx_scratch): no allocation, zeroed only
    /// when `zeroed`. Valid on this thread until the same slot is asked for again; for a stage's
    /// working images that do not outlive one call.
    static func scratch(slot: Int32, width: Int, height: Int, format: PixelFormat, zeroed: Bool) throws -> Image {
        try ImageLimits.check(width: width, height: height)
        let row = width * format.channels
        guard let p = fsx_scratch(slot, height * row, zeroed ? 1 : 0) else {
            throw FaceSwapError(.outOfMemory, "cannot allocate a \(width)×\(height) \(format.name) image")
        }
        return try Image(data: p, width: width, height: height, stride: row, format: format, copy: false)
    }

    public var isWrapped: Bool { !owned }
    var view: fsx_view { fsx_view(data: data, width: Int32(width), height: Int32(height), stride: stride, format: format.rawValue) }

    /// A new image with these pixels in another format.
    public func converted(to target: PixelFormat) throws -> Image {
        let out = try Image(width: width, height: height, format: target)
        try shim(fsx_convert(view, out.view), "convert \(format.name) to \(target.name)")
        return out
    }

    /// This image if it already is in `target`, else a converted copy.
    public func ensuring(_ target: PixelFormat) throws -> Image {
        format == target ? self : try converted(to: target)
    }

    public func copy() throws -> Image { try converted(to: format) }

    /// Copies every pixel of `other` (same size and format) into this image.
    public func assign(from other: Image) throws {
        guard other.width == width, other.height == height else {
            throw FaceSwapError(.invalidArgument, "image sizes differ: \(other.width)×\(other.height) vs \(width)×\(height)")
        }
        try shim(fsx_convert(other.view, view), "copy pixels")
    }

    public func resized(width w: Int, height h: Int) throws -> Image {
        let out = try Image(width: w, height: h, format: format)
        try shim(fsx_resize(view, out.view), "resize")
        return out
    }

    /// This image when it is w × h already, else a copy resized to w × h.
    public func scaled(width w: Int, height h: Int) throws -> Image {
        w == width && h == height ? self : try resized(width: w, height: h)
    }

    /// A GRAY8 copy scaled to w × h (what detectors scan).
    public func grayResized(width w: Int, height h: Int) throws -> Image {
        let out = try Image(width: w, height: h, format: .gray8)
        try shim(fsx_resize_gray(view, out.view), "resize to grey")
        return out
    }

    /// A new image of the given size: this one warped by `transform` (image → output pixels).
    public func warped(_ transform: Affine, width w: Int, height h: Int) throws -> Image {
        let out = try Image(width: w, height: h, format: format)
        var m = transform.m
        try withUnsafePointer(to: &m) { p in
            try p.withMemoryRebound(to: Double.self, capacity: 6) {
                try shim(fsx_warp_affine(view, out.view, $0), "warp")
            }
        }
        return out
    }

    /// Reads the byte at (x, y, channel). For tests and small probes, not hot loops.
    public func byte(x: Int, y: Int, channel: Int) -> UInt8 {
        data.load(fromByteOffset: y * stride + x * format.channels + channel, as: UInt8.self)
    }
}
