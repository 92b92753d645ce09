import CFaceShim
import CFaceSwapABI
import FaceSwap

/// Runs one exported call: any thrown error becomes its fs_status and the thread's message.
/// No logic lives here beyond argument translation.
@inline(__always)
func call(_ name: StaticString, _ body: () throws -> Void) -> fs_status {
    do {
        try body()
        return FS_OK
    } catch let e as FaceSwapError {
        fsx_set_error("\(name): \(e.message)")
        return fs_status(rawValue: UInt32(e.status.rawValue))
    } catch {
        fsx_set_error("\(name): \(error)")
        return FS_ERR_INTERNAL
    }
}

func invalid(_ what: String) -> FaceSwapError { FaceSwapError(.invalidArgument, what) }

/// Non-NULL or an error naming the argument.
@inline(__always)
func required<T>(_ p: T?, _ name: String) throws -> T {
    guard let p else { throw invalid("\(name) is NULL") }
    return p
}

func string(_ p: UnsafePointer<CChar>?, _ name: String) throws -> String {
    String(cString: try required(p, name))
}

func pixelFormat(_ f: fs_pixel_format) throws -> PixelFormat {
    guard let pf = PixelFormat(rawValue: Int32(bitPattern: f.rawValue)) else {
        throw FaceSwapError(.unsupported, "unknown pixel format \(f.rawValue); use FS_FORMAT_GRAY8, BGR8, RGB8, BGRA8 or RGBA8")
    }
    return pf
}

// ---- Structs that grow (see the header's Conventions) ------------------------------------------

/// The largest struct_size accepted: FS_STRUCT_SIZE_MAX.
let structSizeMax = Int(FS_STRUCT_SIZE_MAX)

/// Bytes from the start of T to the end of `field`: the least a caller's struct must hold
/// (struct_size and the first field after it).
func leadingSize<T, F>(_ field: KeyPath<T, F>) -> Int { MemoryLayout<T>.offset(of: field)! + MemoryLayout<F>.size }

/// The bytes of a C struct value with its padding zeroed (a Swift copy leaves padding unspecified), so
/// that what we write into a caller's struct is exactly the fields and zeros.
func withZeroPaddedBytes<T, R>(of value: T, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    let p = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<T>.size, alignment: MemoryLayout<T>.alignment)
    defer { p.deallocate() }
    p.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<T>.size)
    p.assumingMemoryBound(to: T.self).pointee = value  // field by field: the padding stays zero
    return body(UnsafeRawBufferPointer(start: p, count: MemoryLayout<T>.size))
}

/// An options struct of the header: struct_size first, filled by fs_<name>_init with the caller's
/// size, read over the defaults.
protocol OptionsStruct {
    /// The core's options whose table (Core/OptionTable.swift) these are read by.
    associatedtype Core: OptionStruct where Core.CStruct == Self
    init()
    var struct_size: UInt32 { get set }
    /// struct_size and the first option.
    static var minSize: Int { get }
    /// Sets what is not a table option to its default (most such fields default to zero/NULL).
    static func extraDefaults(_ o: inout Self)
}

extension OptionsStruct {
    static var typeName: String { Core.group.cStruct }
    /// The defaults at our sizeof: the core's table, then the rest.
    static var defaults: Self {
        var o = Self()
        o.struct_size = UInt32(MemoryLayout<Self>.size)
        Core.writeDefaults(into: &o)
        extraDefaults(&o)
        return o
    }
    static func extraDefaults(_ o: inout Self) {}
    static var initHint: String { "fill it with \(typeName)_init(&o, sizeof o) or \(typeName.uppercased())_INIT(&o)" }
}

/// fs_<name>_options_init: writes exactly `size` bytes, the defaults truncated to size (zeros past our
/// own struct), struct_size = size. Nothing is written when an argument is refused.
func initOptions<T: OptionsStruct>(_ p: UnsafeMutablePointer<T>?, _ size: Int) throws {
    let dst = UnsafeMutableRawPointer(try required(p, "options"))
    let n = UInt(bitPattern: size)  // size_t: SIZE_MAX is large, not -1
    guard n >= UInt(T.minSize) && n <= UInt(structSizeMax) else {
        throw invalid("size \(n) is outside \(T.minSize)–\(structSizeMax) (struct_size and the first option of \(T.typeName), " +
                      "at most FS_STRUCT_SIZE_MAX); pass sizeof *options, as \(T.typeName.uppercased())_INIT(&o) does")
    }
    let count = Int(n)
    withZeroPaddedBytes(of: T.defaults) { src in
        let k = min(count, src.count)
        dst.copyMemory(from: src.baseAddress!, byteCount: k)
        if count > k { (dst + k).initializeMemory(as: UInt8.self, repeating: 0, count: count - k) }
    }
    dst.storeBytes(of: UInt32(count), as: UInt32.self)
}

/// Reads a caller's options struct of struct_size bytes over our defaults: an older caller with a
/// smaller struct keeps the newer fields' defaults; a newer one's extra fields are ignored. NULL gives
/// the defaults. `arg` names the argument in messages ("options", "options->stream").
func readOptions<T: OptionsStruct>(_ p: UnsafePointer<T>?, _ arg: String) throws -> T {
    guard let p else { return T.defaults }
    let declared = Int(UnsafeRawPointer(p).load(as: UInt32.self))
    if declared < T.minSize || declared > structSizeMax {
        throw invalid("\(T.typeName).struct_size is \(declared) (\(arg)), outside \(T.minSize)–\(structSizeMax); \(T.initHint)")
    }
    var out = T.defaults
    withUnsafeMutableBytes(of: &out) { dst in
        dst.baseAddress!.copyMemory(from: UnsafeRawPointer(p), byteCount: min(declared, dst.count))
        dst.storeBytes(of: UInt32(dst.count), as: UInt32.self)
    }
    return out
}

/// An output struct the library fills: the caller sets struct_size; we write at most that many bytes.
protocol OutputStruct {
    static var typeName: String { get }
    /// struct_size and the first field.
    static var minSize: Int { get }
}

/// The caller's struct_size of an output struct, checked before any work (nil when p is NULL).
func outputSize<T: OutputStruct>(_ p: UnsafeMutablePointer<T>?, _ arg: String) throws -> Int? {
    guard let p else { return nil }
    let declared = Int(UnsafeRawPointer(p).load(as: UInt32.self))
    if declared < T.minSize || declared > structSizeMax {
        throw invalid("\(arg)->struct_size is \(declared), outside \(T.minSize)–\(structSizeMax); set it to sizeof(\(T.typeName)) before the call")
    }
    return declared
}

/// Writes min(declared, our size) bytes of value into the caller's struct and struct_size = that count.
func writeOutput<T: OutputStruct>(_ value: T, _ p: UnsafeMutablePointer<T>, declared: Int) {
    let dst = UnsafeMutableRawPointer(p)
    withZeroPaddedBytes(of: value) { src in
        let k = min(declared, src.count)
        dst.copyMemory(from: src.baseAddress!, byteCount: k)
        dst.storeBytes(of: UInt32(k), as: UInt32.self)
    }
}

extension fs_face {
    init(_ f: Face) {
        self.init()
        box = fs_rect(x: Float(f.box.x), y: Float(f.box.y), width: Float(f.box.width), height: Float(f.box.height))
        rect = fs_rect(x: Float(f.rect.x), y: Float(f.rect.y), width: Float(f.rect.width), height: Float(f.rect.height))
        score = Float(f.score)
        num_landmarks = Int32(min(f.landmarks.count, Int(FS_MAX_LANDMARKS)))
        let n = Int(num_landmarks)
        withUnsafeMutableBytes(of: &landmarks) { raw in
            let pts = raw.bindMemory(to: fs_point.self)
            for i in 0..<n { pts[i] = fs_point(x: Float(f.landmarks[i].x), y: Float(f.landmarks[i].y)) }
        }
    }

    func face() throws -> Face {
        func r(_ v: fs_rect) -> Rect { Rect(x: Double(v.x), y: Double(v.y), width: Double(v.width), height: Double(v.height)) }
        let n = Int(num_landmarks)
        guard n >= 0 && n <= Int(FS_MAX_LANDMARKS) else { throw invalid("face.num_landmarks \(n) is outside 0–\(FS_MAX_LANDMARKS)") }
        var copy = landmarks
        let points = withUnsafeBytes(of: &copy) { raw -> [Point] in
            let pts = raw.bindMemory(to: fs_point.self)
            return (0..<n).map { Point(Double(pts[$0].x), Double(pts[$0].y)) }
        }
        return Face(box: r(box), rect: r(rect), score: Double(score), landmarks: points)
    }
}

extension Affine {
    init(_ a: fs_affine) throws {
        let v = [a.m.0, a.m.1, a.m.2, a.m.3, a.m.4, a.m.5]
        guard let t = Affine(v) else { throw invalid("the transform has a non-finite entry") }
        self = t
    }
    var c: fs_affine { fs_affine(m: m) }
}
