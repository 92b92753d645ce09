import CFaceShim

/// The public fs_status values, in one place.
public enum Status: Int32, Sendable {
    case ok = 0
    case invalidArgument = 1
    case unsupported = 2
    case tooLarge = 3
    case decode = 4
    case io = 5
    case model = 6
    case noFace = 7
    case outOfMemory = 8
    case cancelled = 9
    case bufferTooSmall = 10
    case `internal` = 11

    public var name: String {
        switch self {
        case .ok: return "FS_OK: success"
        case .invalidArgument: return "FS_ERR_INVALID_ARGUMENT: invalid argument"
        case .unsupported: return "FS_ERR_UNSUPPORTED: unsupported format, option or CPU"
        case .tooLarge: return "FS_ERR_TOO_LARGE: image too large"
        case .decode: return "FS_ERR_DECODE: corrupt, truncated or empty image data"
        case .io: return "FS_ERR_IO: file input/output error"
        case .model: return "FS_ERR_MODEL: model file missing or invalid"
        case .noFace: return "FS_ERR_NO_FACE: no face found"
        case .outOfMemory: return "FS_ERR_OUT_OF_MEMORY: out of memory"
        case .cancelled: return "FS_ERR_CANCELLED: cancelled"
        case .bufferTooSmall: return "FS_ERR_BUFFER_TOO_SMALL: buffer too small"
        case .internal: return "FS_ERR_INTERNAL: internal error"
        }
    }
}

/// The one error type of the core; the C layer maps it to fs_status + message.
public struct FaceSwapError: Error, CustomStringConvertible, Sendable {
    public let status: Status
    public let message: String
    public init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }
    public var description: String { message }
}

/// Turns a shim return code into a thrown error carrying the shim's message.
@inline(__always)
func shim(_ rc: Int32, _ context: String) throws {
    if rc != 0 { throw shimError(rc, context) }
}

func shimError(_ rc: Int32, _ context: String) -> FaceSwapError {
    let status = Status(rawValue: rc) ?? .internal
    let detail = String(cString: fsx_error())
    return FaceSwapError(status, detail.isEmpty ? context : "\(context): \(detail)")
}

/// Refuses to run on a CPU without the instruction set the shim was built for.
func requireSupportedCPU() throws {
    if fsx_cpu_supported() == 0 {
        throw FaceSwapError(.unsupported, String(cString: fsx_cpu_requirement()))
    }
}
