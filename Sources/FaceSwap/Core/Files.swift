#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Small POSIX file helpers (the core avoids Foundation to keep libfaceswap.so self-contained).
public enum Files {
    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// Reads a whole file. Refuses files over `limit` bytes.
    public static func read(_ path: String, limit: Int = 1 << 30) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FaceSwapError(.io, "cannot open '\(path)': \(errnoText())") }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw FaceSwapError(.io, "cannot stat '\(path)': \(errnoText())") }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw FaceSwapError(.io, "'\(path)' is a folder, not a file") }
        let size = Int(st.st_size)
        if size > limit { throw FaceSwapError(.tooLarge, "'\(path)' is \(size) bytes; the limit is \(limit)") }
        // st_size is a hint: /proc files report 0, and files may grow while read.
        var bytes = [UInt8](repeating: 0, count: max(size, 4096))
        var done = 0
        while true {
            if done == bytes.count {
                if bytes.count >= limit { throw FaceSwapError(.tooLarge, "'\(path)' is over the \(limit)-byte limit") }
                bytes.append(contentsOf: [UInt8](repeating: 0, count: min(bytes.count, limit - bytes.count)))
            }
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FaceSwapError(.io, "cannot read '\(path)': \(errnoText())")
            }
            if n == 0 { break }
            done += n
        }
        bytes.removeSubrange(done...)
        return bytes
    }

    public static func exists(_ path: String) -> Bool { access(path, R_OK) == 0 }

    /// Writes bytes atomically: a temporary file in the same folder, then rename over path, so that
    /// a reader sees the old file or the whole new one. `durable`: fsync before the rename, so that
    /// the new bytes also survive a crash of the machine (model files: hours of training); an
    /// output image or a list is written as the video outputs are, without it (an fsync of a new
    /// file waits for the disk: ~35 ms on this machine's ext4, more than the whole swap).
    /// On any failure the temporary file is removed and path is untouched.
    public static func writeAtomically(_ path: String, _ bytes: UnsafeRawBufferPointer, durable: Bool = true) throws {
        guard !path.isEmpty else { throw FaceSwapError(.invalidArgument, "empty output path") }
        var template = Array((path + ".tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd < 0 { throw FaceSwapError(.io, "cannot create a file next to '\(path)': \(errnoText())") }
        let tmp = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var ok = false
        defer {
            if !ok { unlink(tmp) }
        }
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                let why = errnoText()
                close(fd)
                throw FaceSwapError(.io, "cannot write '\(path)': \(why)")
            }
            done += n
        }
        if durable && fsync(fd) != 0 {
            let why = errnoText()
            close(fd)
            throw FaceSwapError(.io, "cannot write '\(path)': \(why)")
        }
        _ = fchmod(fd, 0o644)
        if close(fd) != 0 { throw FaceSwapError(.io, "cannot write '\(path)': \(errnoText())") }
        if rename(tmp, path) != 0 { throw FaceSwapError(.io, "cannot replace '\(path)': \(errnoText())") }
        ok = true
    }

    /// The names in a folder (no "." or ".."), unsorted.
    public static func list(_ folder: String) throws -> [String] {
        guard let dir = opendir(folder) else { throw FaceSwapError(.io, "cannot open folder '\(folder)': \(errnoText())") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Creates a folder (and its parents) unless it exists.
    public static func makeFolder(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw FaceSwapError(.io, "cannot create folder '\(prefix)': \(errnoText())")
            }
            prefix += "/"
        }
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw FaceSwapError(.io, "'\(path)' is not a folder")
        }
    }

    public static func environment(_ name: String) -> String? {
        guard let v = getenv(name) else { return nil }
        return String(cString: v)
    }
}
