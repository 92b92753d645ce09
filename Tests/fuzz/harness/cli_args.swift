// libFuzzer harness: the CLI's command-line parsing (Sources/faceswap-cli), compiled together
// with the CLI's own sources except main.swift, so it calls exactly what the commands call. Like
// the CLI, it is a client of the C ABI: it imports only the public header (CFaceSwapABI) and links
// libfaceswap.so (the instrumented one: Tests/fuzz/run.sh).
//
// Input: the arguments, separated by NUL bytes, as the shell would pass them; the first is the
// command (as main.swift dispatches it). For each command, the harness runs the parse and every
// check the command makes on its options before it reads a file (the library checks each value:
// fs_option_check, fs_enum_parse, the fs_*_options_init calls), without reading or writing any
// file. A new command needs a line in sets() and commandChecks(). Each may only throw UsageError
// (a value the library refuses becomes one, with the library's message); a trap or any other
// error (a LibraryError here means the CLI asked the library about an option wrongly) is a
// finding. Then a property of Args itself: writing what it parsed back as `--flag`, `--name=value`
// and `-- positionals...` parses to the same thing.
import CFaceSwapABI

private struct Unexpected: Error { let what: String }

private func commandChecks(_ command: String, _ argv: ArraySlice<String>) throws -> Args? {
    guard let (valued, switches) = sets(command) else { return nil }  // version, help, unknown: nothing to parse
    let a = try Args(argv, valued: valued, switches: switches)
    if a.has("--help") { return a }
    // The checks each command's run() makes on its options before it reads files (which the
    // harness never does). Which options are required is each command's own plain guard.
    switch command {
    case "detect":
        if let d = a.string("--draw") { try Options.checkImagePath("--draw", d) }
        _ = try a.detectorOptions()
    case "eval":
        _ = try a.detectorOptions()
    case "extract":
        _ = try ExtractCommand.options(a)
        _ = try a.detectorOptions()
    case "train":
        _ = try a.int("--iterations", 0...100_000_000)
        _ = try a.double("--minutes", 0...1_000_000)
        _ = try TrainCommand.options(a)
    case "swap":
        if let out = a.string("-o") ?? a.string("--output") { try Options.checkImagePath("-o", out) }
        if let c = a.string("--compare") { try Options.checkImagePath("--compare", c) }
        _ = try a.int("--quality", 1...100)
        _ = try SwapCommand.options(a)
        _ = try a.int("--source-face", 0...Int(Int32.max))
        _ = try a.detectorOptions()
    case "video":
        _ = try a.streamOptions()
        _ = try VideoCommand.options(a)
        _ = try SwapCommand.options(a)
        _ = try a.int("--source-face", 0...Int(Int32.max))
        _ = try a.detectorOptions()
    case "reenact":
        _ = try ReenactCommand.options(a)
        _ = try a.streamOptions()
        _ = try a.detectorOptions()
    default:
        break
    }
    return a
}

/// The option sets of each command that main.swift dispatches to (version/help parse nothing).
private func sets(_ command: String) -> (Set<String>, Set<String>)? {
    switch command {
    case "detect": return (DetectCommand.valued, DetectCommand.switches)
    case "eval": return (EvalCommand.valued, EvalCommand.switches)
    case "extract": return (ExtractCommand.valued, ExtractCommand.switches)
    case "train": return (TrainCommand.valued, TrainCommand.switches)
    case "swap": return (SwapCommand.valued, SwapCommand.switches)
    case "video": return (VideoCommand.valued, VideoCommand.switches)
    case "reenact": return (ReenactCommand.valued, ReenactCommand.switches)
    default: return nil
    }
}

/// Args parsed, written back in canonical form and parsed again, must be the same.
private func roundTrip(_ command: String, _ argv: ArraySlice<String>) throws {
    guard let (valued, switches) = sets(command), let a = try? Args(argv, valued: valued, switches: switches) else { return }
    var again: [String] = a.flags.sorted()
    for (name, value) in a.values.sorted(by: { $0.key < $1.key }) { again.append("\(name)=\(value)") }
    again.append("--")
    again += a.positional
    let b = try Args(again[...], valued: valued, switches: switches)
    guard a.flags == b.flags, a.values == b.values, a.positional == b.positional else {
        throw Unexpected(what: "round trip changed the arguments: \(argv) -> \(again)")
    }
    for name in a.values.keys { guard valued.contains(name) else { throw Unexpected(what: "value for unknown \(name)") } }
    for name in a.flags { guard switches.contains(name) else { throw Unexpected(what: "unknown flag \(name) set") } }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCLI(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let args = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    guard let command = args.first else { return 0 }
    let rest = args.dropFirst()
    do {
        _ = try commandChecks(command, rest)
    } catch is UsageError {
    } catch {
        fatalError("unexpected error from \(command) \(Array(rest)): \(error)")
    }
    do {
        try roundTrip(command, rest)
    } catch {
        fatalError("\(error)")
    }
    return 0
}
