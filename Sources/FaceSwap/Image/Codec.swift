import CFaceShim
#if canImport(Glibc)
import Glibc
#endif

public enum Codec: Int32, Sendable {
    case auto = 0, jpeg = 1, png = 2

    /// The codec a file name asks for by its extension.
    public static func forPath(_ path: String) throws -> Codec {
        let lower = path.lowercased()
        if lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg") { return .jpeg }
        if lower.hasSuffix(".png") { return .png }
        throw FaceSwapError(.unsupported, "cannot tell the image format of '\(path)' from its extension: use .jpg, .jpeg or .png")
    }
}

/// Encoded bytes allocated with malloc (released with free, or handed to a C caller).
public final class EncodedBytes {
    public private(set) var pointer: UnsafeMutablePointer<UInt8>?
    public let count: Int
    init(pointer: UnsafeMutablePointer<UInt8>, count: Int) {
        self.pointer = pointer
        self.count = count
    }
    /// Gives up ownership: the caller frees the pointer.
    public func release() -> UnsafeMutablePointer<UInt8>? {
        defer { pointer = nil }
        return pointer
    }
    /// The bytes, valid inside body (the object stays alive for the call).
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : count)) }
    }
    public var array: [UInt8] { withBytes { Array($0) } }
    deinit { free(pointer) }
}

extension Image {
    /// Reads and decodes an image file (see `decode`).
    public static func load(path: String) throws -> Image {
        let bytes = try Files.read(path)
        do {
            return try bytes.withUnsafeBytes { try decode($0) }
        } catch let e as FaceSwapError {
            throw FaceSwapError(e.status, "'\(path)': \(e.message)")
        }
    }

    /// Decodes JPEG (libjpeg: EXIF orientation applied, CMYK converted) or anything OpenCV reads
    /// (PNG 8/16-bit, grey, alpha...). Gives BGR8, or BGRA8 when the image has alpha.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> Image {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw FaceSwapError(.decode, "no image data (0 bytes)")
        }
        // The limit Files.read applies to image files; OpenCV takes the size as an int.
        if bytes.count > 1 << 30 {
            throw FaceSwapError(.tooLarge, "\(bytes.count) bytes of image data are over the 1 GiB limit")
        }
        let p = base.assumingMemoryBound(to: UInt8.self)
        if bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF {
            return try decodeJPEG(bytes, p)
        }
        if bytes.count >= 24 && bytes[0] == 0x89 && bytes[1] == 0x50 && bytes[2] == 0x4E && bytes[3] == 0x47 {
            // PNG: IHDR width/height at 16..23; refuse huge sizes before decoding.
            func be32(_ o: Int) -> Int { (Int(bytes[o]) << 24) | (Int(bytes[o + 1]) << 16) | (Int(bytes[o + 2]) << 8) | Int(bytes[o + 3]) }
            if be32(16) == 0 || be32(20) == 0 {
                throw FaceSwapError(.decode, "corrupt PNG header: the image size is \(be32(16))×\(be32(20))")
            }
            try ImageLimits.check(width: be32(16), height: be32(20), "PNG image")
            // Walk the chunks to IEND: a truncated file is refused here (libpng would print to
            // stderr before failing).
            var at = 8
            var ended = false
            while at + 12 <= bytes.count {
                let length = be32(at)
                if bytes[at + 4] == 0x49 && bytes[at + 5] == 0x45 && bytes[at + 6] == 0x4E && bytes[at + 7] == 0x44 { ended = true; break }
                if length > bytes.count { break }
                at += 12 + length
            }
            if !ended { throw FaceSwapError(.decode, "truncated or corrupt PNG (no IEND chunk within the data)") }
        }
        var handle: UnsafeMutableRawPointer?
        var w: Int32 = 0, h: Int32 = 0, f: Int32 = 0
        try shim(fsx_cv_decode(p, bytes.count, &handle, &w, &h, &f), "decode")
        defer { fsx_decoded_free(handle) }
        let image = try Image(width: Int(w), height: Int(h), format: PixelFormat(rawValue: f) ?? .bgr8)
        try shim(fsx_decoded_copy(handle, image.view), "decode")
        return image
    }

    private static func decodeJPEG(_ bytes: UnsafeRawBufferPointer, _ p: UnsafePointer<UInt8>) throws -> Image {
        var w: Int32 = 0, h: Int32 = 0, comps: Int32 = 0, orientation: Int32 = 1
        try shim(fsx_jpeg_header(p, bytes.count, &w, &h, &comps, &orientation), "JPEG")
        try ImageLimits.check(width: Int(w), height: Int(h), "JPEG image")
        let decoded = try Image(width: Int(w), height: Int(h), format: .bgr8)
        try shim(fsx_jpeg_decode(p, bytes.count, decoded.view), "JPEG")
        if orientation <= 1 { return decoded }
        let swap = orientation >= 5
        let out = try Image(width: swap ? decoded.height : decoded.width,
                            height: swap ? decoded.width : decoded.height, format: .bgr8)
        try shim(fsx_orient(decoded.view, out.view, orientation), "EXIF orientation")
        return out
    }

    /// Encodes to JPEG (quality 1–100, 0 = 92) or PNG.
    public func encode(_ codec: Codec, quality: Int = 0) throws -> EncodedBytes {
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        switch codec {
        case .jpeg:
            if quality < 0 || quality > 100 {
                throw FaceSwapError(.invalidArgument, "JPEG quality \(quality) is outside 1–100 (0 for the default 92)")
            }
            try shim(fsx_jpeg_encode(view, Int32(quality == 0 ? 92 : quality), &out, &size), "JPEG encode")
        case .png:
            let src = format == .rgb8 ? try converted(to: .bgr8) : format == .rgba8 ? try converted(to: .bgra8) : self
            try shim(fsx_png_encode(src.view, &out, &size), "PNG encode")
        case .auto:
            throw FaceSwapError(.invalidArgument, "encode needs a codec (JPEG or PNG), not AUTO")
        }
        guard let out else { throw FaceSwapError(.internal, "encoder returned no data") }
        return EncodedBytes(pointer: out, count: size)
    }

    /// Encodes and writes atomically (temporary file + rename; no fsync, as a video output).
    public func save(path: String, codec: Codec = .auto, quality: Int = 0) throws {
        let c = codec == .auto ? try Codec.forPath(path) : codec
        let encoded = try encode(c, quality: quality)
        try encoded.withBytes { try Files.writeAtomically(path, $0, durable: false) }
    }
}
