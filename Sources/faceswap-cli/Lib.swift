// The CLI's whole view of the library: the public C header (include/faceswap.h) and nothing else.
import CFaceSwapABI
#if canImport(Glibc)
import Glibc
#endif

/// A failed library call: its status and the library's own message (fs_last_error_message).
/// `hint` is what this front door adds (a flag, a file name), never a change of the message.
struct LibraryError: Error {
    let status: fs_status
    let message: String
    var hint = ""
}

/// The library's message for the last failing call on this thread.
func lastError() -> String { String(cString: fs_last_error_message()) }

/// Throws the library's error when `status` is not FS_OK.
func check(_ status: fs_status) throws {
    if status != FS_OK { throw LibraryError(status: status, message: lastError()) }
}

/// Runs `body`; a library error it throws gets `prefix` before its message (e.g. the file it was about).
func about<T>(_ prefix: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch var e as LibraryError {
        e = LibraryError(status: e.status, message: "\(prefix): \(e.message)", hint: e.hint)
        throw e
    }
}

/// An owned library handle, released by its fs_*_free when the last reference goes.
final class Handle {
    let pointer: OpaquePointer
    private let release: (OpaquePointer?) -> Void
    init(_ pointer: OpaquePointer, _ release: @escaping (OpaquePointer?) -> Void) {
        self.pointer = pointer
        self.release = release
    }
    deinit { release(pointer) }

    /// Makes a handle with `make` (an fs_*_create/_load call writing *out) and owns it.
    static func make(_ release: @escaping (OpaquePointer?) -> Void,
                     _ make: (UnsafeMutablePointer<OpaquePointer?>) -> fs_status) throws -> Handle {
        var out: OpaquePointer?
        try check(make(&out))
        return Handle(out!, release)
    }
}

enum Images {
    static func load(_ path: String) throws -> Handle { try Handle.make(fs_image_free) { fs_image_load(path, $0) } }
    /// A new image with the pixels of `image`.
    static func copy(_ image: Handle) throws -> Handle {
        var view = fs_image_view()
        try check(fs_image_get_view(image.pointer, &view))
        return try Handle.make(fs_image_free) { fs_image_from_view(&view, $0) }
    }
    static func save(_ image: Handle, _ path: String, quality: Int32 = 0) throws {
        try check(fs_image_save(image.pointer, path, FS_CODEC_AUTO, quality))
    }
}

/// The landmarks of a face as an array.
func landmarks(_ f: fs_face) -> [fs_point] {
    var pts = f.landmarks
    let n = Int(max(0, min(f.num_landmarks, FS_MAX_LANDMARKS)))
    return withUnsafeBytes(of: &pts) { Array($0.bindMemory(to: fs_point.self).prefix(n)) }
}

/// The faces a counting call (fs_detect, fs_swap_targets) finds, asked once for the count and once
/// more if there were more than room for.
func faces(_ fill: (UnsafeMutablePointer<fs_face>?, Int, UnsafeMutablePointer<Int>) -> fs_status) throws -> [fs_face] {
    var room = 16
    while true {
        var buf = [fs_face](repeating: fs_face(), count: room)
        var n = 0
        try check(fill(&buf, room, &n))
        if n <= room { return Array(buf.prefix(n)) }
        room = n
    }
}

/// Face detector and landmarker from the common detector flags.
func detectorAndLandmarker(_ a: Args) throws -> (Handle, Handle) {
    var o = try a.detectorOptions()
    let detector = try Handle.make(fs_detector_free) { out in fs_detector_create(&o, out) }
    let landmarker = try Handle.make(fs_landmarker_free) { out in
        if let path = a.string("--landmarks-model") { return fs_landmarker_create(path, out) }
        return fs_landmarker_create(nil, out)
    }
    return (detector, landmarker)
}

/// Stops OpenBLAS's thread pool, for a command that does no matrix work (`swap` or `video` with the
/// HOG detector, no --reference, no --model). OpenBLAS starts the pool when the library loads
/// (one thread per extra core), and an idle pool thread spins (sched_yield) for about 0.1 s: over
/// a whole `faceswap swap` of two 720p photos, which is shorter. Measured here (2 cores, load 6):
/// CPU 47-96 ms and wall 66-130 ms with the pool, 42 ms and 53-64 ms with OPENBLAS_NUM_THREADS=1.
/// The pool is stopped through OpenBLAS's own calls, found by name so that another BLAS (or none)
/// leaves this a no-op: openblas_set_num_threads(1) first (later BLAS calls then run in the calling
/// thread), then blas_thread_shutdown_ (the call OpenBLAS's fork handler makes; a later threaded
/// call would start the pool again). Left alone when the user chose a thread count.
func stopIdleBLASThreads() {
    for name in ["OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_DEFAULT_NUM_THREADS"]
    where getenv(name) != nil { return }
    guard let setThreads = dlsym(nil, "openblas_set_num_threads"), let shutdown = dlsym(nil, "blas_thread_shutdown_") else { return }
    unsafeBitCast(setThreads, to: (@convention(c) (Int32) -> Void).self)(1)
    _ = unsafeBitCast(shutdown, to: (@convention(c) () -> Int32).self)()
}

/// Turns transparent huge pages off for this process (prctl PR_SET_THP_DISABLE), for a video
/// command. With THP "always" (many distributions' setting) the kernel backs each new 2 MB of
/// the frame buffers and decoder pools with a huge page, and with "madvise" still x264's buffers
/// (x264 asks for them), each cleared (and memory perhaps compacted for it) on the first touch;
/// over a 4 s 1080p `faceswap video` that cost 0.5-1.7 s of system time against 0.2-0.3 s with
/// 4 kB pages (measured here, 2 cores, load 5-8; the user time the same). A video's buffers are each streamed through once a
/// frame, so huge pages save little in TLB misses. Only this process (and children it starts)
/// is affected; a failure (an old kernel) leaves it as it was. Looked up by name, since Swift
/// cannot call the variadic prctl.
func disableHugePages() {
    guard let f = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") else { return }
    typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
    _ = unsafeBitCast(f, to: Prctl.self)(41 /* PR_SET_THP_DISABLE */, 1, 0, 0, 0)
}

/// `body` running on a second thread, for work that needs nothing the caller does meanwhile (the
/// target photo's decoding while the source is prepared); `join()` waits for it, and so does the
/// end of the object's life. Without a thread to be had, `body` runs in the caller's thread at once.
final class SecondThread {
    private final class Work {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
    private var id = pthread_t()
    private var running = false

    init(_ body: @escaping () -> Void) {
        let work = Unmanaged.passRetained(Work(body)).toOpaque()
        running = pthread_create(&id, nil, { raw in
            Unmanaged<Work>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, work) == 0
        if !running { Unmanaged<Work>.fromOpaque(work).takeRetainedValue().body() }
    }

    func join() {
        if running { pthread_join(id, nil) }
        running = false
    }

    deinit { join() }
}

/// C strings for the duration of `body` (inputs lists, text options).
func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) throws -> R) rethrows -> R {
    let copies = strings.map { UnsafePointer(strdup($0)) }
    defer { copies.forEach { free(UnsafeMutableRawPointer(mutating: $0)) } }
    return try body(copies)
}

/// Progress callbacks of the C API: `user` is the Terminal.Progress (or NULL for none). A SIGINT
/// (Ctrl-C) makes the call return non-zero, so the library cancels (FS_ERR_CANCELLED).
let progressCallback: fs_progress_fn = { user, done, total in
    if let user { Unmanaged<Terminal.Progress>.fromOpaque(user).takeUnretainedValue().update(Int(done), total: Int(total)) }
    return interrupted == 0 ? 0 : 1
}

/// The `user` pointer for progressCallback (valid while `bar` lives).
func userPointer(_ bar: Terminal.Progress?) -> UnsafeMutableRawPointer? {
    bar.map { Unmanaged.passUnretained($0).toOpaque() }
}

/// Set by SIGINT; the progress callbacks turn it into a clean cancel.
nonisolated(unsafe) var interrupted: sig_atomic_t = 0
func catchInterrupt() { signal(SIGINT) { _ in interrupted = 1 } }

/// A fixed char array of a C struct (NUL-terminated, as the library writes them) as a String.
func fixedText<T>(_ field: inout T) -> String {
    withUnsafeBytes(of: &field) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
}
