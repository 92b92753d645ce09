import CFaceSwapABI
#if canImport(Glibc)
import Glibc
#endif

let usage = """
usage: faceswap COMMAND [options]        (faceswap COMMAND --help for each)

commands:
  swap                    put the face from one photo onto the face(s) in another
  video                   swap faces in every frame of a video (audio and timestamps kept)
  reenact                 animate a still photo from a driving video
  extract INPUT... -o DIR  aligned face crops from photos, folders and videos (for training)
  train                   learn a two-person face model (shared encoder, one decoder each)
  train-gan               learn one person's face drawn from landmarks (generator + discriminator)
  eval SRC TGT RESULT     measure a swap (identity, landmarks, changes outside, seam)
  detect IMAGE            find faces and 68 landmarks (--json, --draw)
  version                 print the library version

Model files are found via FACESWAP_MODEL_PATH, ~/.local/share/faceswap/models and /usr/share/dlib.
"""

/// What the CLI user can do about a library error, in this front door's terms (the library's
/// messages speak of options and fields, not flags).
func hint(for e: LibraryError, command: String) -> String {
    switch (e.status, command) {
    case (FS_ERR_NO_FACE, _): return "; for small faces try --upsample 1 or --min-face 40"
    case (FS_ERR_CANCELLED, "train"), (FS_ERR_CANCELLED, "train-gan"): return "; continue with the same command and --resume"
    default: return ""
    }
}

let argv = CommandLine.arguments
guard fs_abi_version() == FS_ABI_VERSION else {  // FS_ABI_COMPATIBLE()
    Terminal.error("faceswap: libfaceswap \(String(cString: fs_version_string())) has ABI \(fs_abi_version()); this program needs ABI \(FS_ABI_VERSION)")
    exit(1)
}
guard argv.count >= 2 else {
    Terminal.error(usage)
    exit(2)
}
do {
    let rest = argv.dropFirst(2)
    switch argv[1] {
    case "detect": try DetectCommand.run(rest)
    case "swap": try SwapCommand.run(rest)
    case "eval": try EvalCommand.run(rest)
    case "extract": try ExtractCommand.run(rest)
    case "train": try TrainCommand.run(rest)
    case "train-gan": try TrainCommand.run(rest, gan: true)
    case "video": try VideoCommand.run(rest)
    case "reenact": try ReenactCommand.run(rest)
    case "version", "--version": print("faceswap \(String(cString: fs_version_string())) (ABI \(fs_abi_version()))")
    case "help", "--help", "-h": print(usage)
    default: throw UsageError(message: "unknown command '\(argv[1])' (try: faceswap --help)")
    }
} catch let e as UsageError {
    Terminal.error("faceswap: \(e.message)")
    exit(2)
} catch let e as LibraryError {
    Terminal.error("faceswap: \(e.message)\(e.hint)\(hint(for: e, command: argv[1]))")
    exit(e.status == FS_ERR_CANCELLED ? 130 : 1)
} catch {
    Terminal.error("faceswap: \(error)")
    exit(1)
}
