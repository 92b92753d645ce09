import CFaceSwapABI
import FaceSwap
#if canImport(Glibc)
import Glibc
#endif

/// Live handles: a handle is the address of its Swift object, and the registry holds the
/// reference. Every call looks its handle up, so a NULL, freed, foreign or wrong-kind handle is an
/// FS_ERR_INVALID_ARGUMENT with a message instead of a crash.
enum HandleKind: String {
    case image = "fs_image", detector = "fs_detector", landmarker = "fs_landmarker"
    case recognizer = "fs_recognizer", swapper = "fs_swapper", source = "fs_source", stream = "fs_stream"
    case reenactor = "fs_reenactor", model = "fs_model", trainer = "fs_trainer"
}

final class Registry: @unchecked Sendable {
    static let shared = Registry()
    private var mutex = pthread_mutex_t()
    private var live: [UInt: (HandleKind, AnyObject)] = [:]

    private init() { pthread_mutex_init(&mutex, nil) }

    func add(_ object: AnyObject, _ kind: HandleKind) -> OpaquePointer {
        let key = UInt(bitPattern: Unmanaged.passUnretained(object).toOpaque())
        pthread_mutex_lock(&mutex)
        live[key] = (kind, object)
        pthread_mutex_unlock(&mutex)
        return OpaquePointer(bitPattern: key)!
    }

    func get<T: AnyObject>(_ handle: OpaquePointer?, _ kind: HandleKind, as: T.Type) throws -> T {
        guard let handle else { throw FaceSwapError(.invalidArgument, "\(kind.rawValue) handle is NULL") }
        let key = UInt(bitPattern: handle)
        pthread_mutex_lock(&mutex)
        let entry = live[key]
        pthread_mutex_unlock(&mutex)
        guard let (k, object) = entry else {
            throw FaceSwapError(.invalidArgument, "\(kind.rawValue) handle \(hex(key)) is not live (already freed, or not made by libfaceswap)")
        }
        guard k == kind, let typed = object as? T else {
            throw FaceSwapError(.invalidArgument, "handle \(hex(key)) is an \(k.rawValue), not an \(kind.rawValue)")
        }
        return typed
    }

    /// Drops the handle; NULL, unknown or wrong-kind handles are ignored (free(NULL) semantics).
    func remove(_ handle: OpaquePointer?, _ kind: HandleKind) {
        guard let handle else { return }
        let key = UInt(bitPattern: handle)
        var dropped: AnyObject?
        pthread_mutex_lock(&mutex)
        if let entry = live[key], entry.0 == kind { dropped = live.removeValue(forKey: key)?.1 }
        pthread_mutex_unlock(&mutex)
        _ = dropped  // released here, outside the lock
    }

    private func hex(_ v: UInt) -> String { "0x" + String(v, radix: 16) }
}
