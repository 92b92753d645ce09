/// The library version; include/faceswap.h's FS_VERSION_* macros must agree (the C test checks).
public enum Version {
    public static let major = 0
    public static let minor = 2
    public static let patch = 0
    public static let abi = 1
    public static var number: Int { major * 10000 + minor * 100 + patch }
    public static var string: String { "\(major).\(minor).\(patch)" }
}
