// Version, errors and memory.
import CFaceShim
import CFaceSwapABI
import FaceSwap
#if canImport(Glibc)
import Glibc
#endif

/// "MAJOR.MINOR.PATCH" from the header's macros, made once and kept for the process (static to callers).
private let versionText: UnsafePointer<CChar> = UnsafePointer(strdup(Version.string)!)

@_cdecl("fs_version")
public func _fs_version() -> UInt32 { UInt32(Version.number) }

@_cdecl("fs_version_string")
public func _fs_version_string() -> UnsafePointer<CChar> { versionText }

@_cdecl("fs_abi_version")
public func _fs_abi_version() -> Int32 { Int32(Version.abi) }

@_cdecl("fs_status_string")
public func _fs_status_string(_ status: fs_status) -> UnsafePointer<CChar> {
    staticStrings.get(Status(rawValue: Int32(bitPattern: status.rawValue))?.name ?? "unknown status")  // the core's names
}

@_cdecl("fs_last_error_message")
public func _fs_last_error_message() -> UnsafePointer<CChar> { fsx_error() }

@_cdecl("fs_free")
public func _fs_free(_ p: UnsafeMutableRawPointer?) { free(p) }

@_cdecl("fs_model_find")
public func _fs_model_find(_ name: UnsafePointer<CChar>?, _ buf: UnsafeMutablePointer<CChar>?, _ size: Int) -> fs_status {
    call("fs_model_find") {
        let n = try string(name, "name")
        let buf = try required(buf, "buf")
        let path = try ModelResolver.find(n)
        let bytes = Array(path.utf8)
        let capacity = UInt(bitPattern: size)  // size_t: SIZE_MAX is large, not -1
        if UInt(bytes.count + 1) > capacity {
            throw FaceSwapError(.bufferTooSmall, "the path needs \(bytes.count + 1) bytes; buf_size is \(capacity)")
        }
        for (i, b) in bytes.enumerated() { buf[i] = CChar(bitPattern: b) }
        buf[bytes.count] = 0
    }
}
