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

/// Reads a caller's options struct of `declared` bytes over our defaults: an older caller with a
/// smaller struct keeps the new fields' defaults; a newer one's extra fields are ignored.
func readOptions<T>(_ p: UnsafePointer<T>?, defaults: T, name: String) throws -> T {
    guard let p else { return defaults }
    let declared = Int(UnsafeRawPointer(p).load(as: UInt32.self))
    if declared < 8 || declared > 65536 {
        throw invalid("\(name).struct_size is \(declared); set it from \(name)'s default_options() (sizeof)")
    }
    var out = defaults
    withUnsafeMutableBytes(of: &out) { dst in
        let n = min(declared, dst.count)
        dst.baseAddress!.copyMemory(from: UnsafeRawPointer(p), byteCount: n)
        dst.storeBytes(of: UInt32(dst.count), as: UInt32.self)
    }
    return out
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
