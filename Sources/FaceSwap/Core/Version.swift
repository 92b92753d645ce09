import CFaceSwapABI

/// The library version: FS_VERSION_* and FS_ABI_VERSION of include/faceswap.h, the one place it is
/// written (the core reads the header's macros, so the two cannot disagree).
public enum Version {
    public static let major = Int(FS_VERSION_MAJOR)
    public static let minor = Int(FS_VERSION_MINOR)
    public static let patch = Int(FS_VERSION_PATCH)
    public static let abi = Int(FS_ABI_VERSION)
    public static var number: Int { major * 10000 + minor * 100 + patch }
    public static var string: String { "\(major).\(minor).\(patch)" }
}
