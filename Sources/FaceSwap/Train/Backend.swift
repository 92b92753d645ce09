import CFaceShim

/// What runs the learned networks (dlib's DNN: the autoencoder, the recognizer, the CNN
/// detector): a CUDA device when the library was built against a dlib with CUDA (`FS_DLIB_CUDA=1
/// make build`), else the CPU through the BLAS the process loaded. Fixed for the process.
public struct NetworkBackend: Sendable, Equatable {
    /// "cpu: BLAS /usr/lib/.../libopenblasp-r0.3.21.so (dlib 19.24.0)" or
    /// "cuda: 1 device(s), device 0 NAME (dlib ... built with CUDA and cuDNN)".
    public let description: String
    public let isCUDA: Bool

    /// Asked once: a CUDA build without a usable driver throws here, with dlib's message.
    public static func current() throws -> NetworkBackend {
        var text = [CChar](repeating: 0, count: 256)
        var cuda: Int32 = 0
        try shim(fsx_dnn_backend(&text, text.count, &cuda), "network backend")
        let bytes = text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return NetworkBackend(description: String(decoding: bytes, as: UTF8.self), isCUDA: cuda != 0)
    }

    /// The description, or what went wrong asking (a CUDA build without a usable device).
    public static var report: String {
        do { return try current().description } catch { return "unavailable: \(error)" }
    }
}
