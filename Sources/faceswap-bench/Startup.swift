// Start-up (issue 11, item 5): a whole-process `faceswap swap` of two photos against the swap
// inside it. The CLI next to this binary is spawned as a user runs it; its wall time covers
// loading the libraries, creating the detector and landmarker (from their model caches),
// decoding, the swap, encoding and writing the result.
import FaceSwap
#if canImport(Glibc)
import Glibc
#endif

/// One run of a child process: wall seconds and the CPU seconds it used (user + system).
struct ChildRun {
    let wall: Double
    let cpu: Double
}

/// Runs `path args...` with the environment plus `env` (stdout to /dev/null) and waits; nil if it
/// did not start or did not exit with 0.
func timedRun(_ path: String, _ args: [String], env: [String: String] = [:]) -> ChildRun? {
    var environment: [String] = []
    var index = 0
    while let entry = environ[index] {
        let s = String(cString: entry)
        index += 1
        if let eq = s.firstIndex(of: "="), env[String(s[..<eq])] != nil { continue }
        environment.append(s)
    }
    environment += env.map { "\($0.key)=\($0.value)" }
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
    defer { for p in argv + envp { free(p) } }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    var pid: pid_t = 0
    let t = now()
    guard posix_spawn(&pid, path, &actions, nil, argv, envp) == 0 else { return nil }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let wall = now() - t
    guard (status & 0x7f) == 0 && ((status >> 8) & 0xff) == 0 else { return nil }
    func seconds(_ tv: timeval) -> Double { Double(tv.tv_sec) + Double(tv.tv_usec) * 1e-6 }
    return ChildRun(wall: wall, cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime))
}

/// Times the whole-process CLI swap of `source` onto `target` (median of `runs` after a warm-up:
/// warm page cache, model caches in place) and records its goal against `inProcess`, the
/// in-process end-to-end swap (decode both, prepare, swap, encode; detector min face 320 px). The
/// goal's run passes the same detector option (--min-face 320) so that the ratio measures start-up
/// alone; the CLI's default (min face 80 px: two full-size HOG scans) is printed beside it. Also:
/// the process start alone (`faceswap-cli version`: loading the libraries), a first run with an
/// empty model cache and the run after it, and a run without caches (FACESWAP_NO_MODEL_CACHE=1).
func startupBench(source: String, target: String, outDir: String, inProcess: Double, runs: Int = 7) {
    let me = CommandLine.arguments[0]
    let dir = me.contains("/") ? String(me[..<me.lastIndex(of: "/")!]) : "."
    let cli = dir + "/faceswap-cli"
    let plain = ["swap", "--source", source, "--target", target, "-o", outDir + "/startup_swap.jpg"]
    let same = plain + ["--min-face", "320"]
    print("start-up: `faceswap-cli \(plain.joined(separator: " ")) [--min-face 320]`, whole process, " +
          "median of \(runs) after a warm-up (wall; CPU user+system)")
    guard timedRun(cli, same) != nil, timedRun(cli, plain) != nil, timedRun(cli, ["version"]) != nil else {
        print("  \(cli) did not run the swap; skipped\n")
        return
    }
    var rows: [String: [ChildRun]] = [:]
    for _ in 0..<runs {
        for (key, args) in [("same", same), ("plain", plain), ("version", ["version"])] {
            if let r = timedRun(cli, args) { rows[key, default: []].append(r) }
        }
    }
    func show(_ key: String) -> String {
        let r = rows[key] ?? []
        return "\(ms(median(r.map(\.wall)))) (CPU \(ms(median(r.map(\.cpu)))))"
    }
    func show(_ r: ChildRun?) -> String { r.map { "\(ms($0.wall)) (CPU \(ms($0.cpu)))" } ?? "failed" }
    // A first run: an empty cache folder (the caches are built and written), then the run after it.
    let fresh = outDir + "/startup_cache"
    _ = system("rm -rf '\(fresh)'")
    let first = timedRun(cli, same, env: ["XDG_CACHE_HOME": fresh])
    let second = timedRun(cli, same, env: ["XDG_CACHE_HOME": fresh])
    let uncached = timedRun(cli, same, env: ["FACESWAP_NO_MODEL_CACHE": "1"])
    _ = system("rm -rf '\(fresh)'")
    print("  --min-face 320 (the in-process swap's detector): \(show("same")); the CLI's default (min face 80): \(show("plain"))")
    print("  process start alone (`faceswap-cli version`, loading the libraries): \(show("version"))")
    print("  first run, empty model cache: \(show(first)); the run after it: \(show(second)); " +
          "without caches (FACESWAP_NO_MODEL_CACHE=1): \(show(uncached))")
    goal("whole-process CLI swap", median((rows["same"] ?? []).map(\.wall)), over: "in-process swap (end to end)", inProcess, atMost: 2)
    print("")
}
