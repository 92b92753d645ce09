// Issue 11, items 2 and 3 (--only pipeline): the whole `faceswap video` job against a plain ffmpeg
// transcode with the same x264 settings (720p and 1080p with one face, 720p with three faces),
// the frei0r filter inside ffmpeg against the same ffmpeg command without it, and the stream's
// per-frame latency (p50, p99) at 720p and 1080p. Whole processes are timed as a user runs them
// (start-up included), interleaved run by run so that both sides of a ratio share the machine's
// noise; the medians go into the goals table.
import FaceSwap
#if canImport(Glibc)
import Glibc
#endif

/// The folder of this binary (faceswap-cli, faceswap-floor and libfaceswap.so sit beside it).
func binaryDir() -> String {
    let me = CommandLine.arguments[0]
    return me.contains("/") ? String(me[..<me.lastIndex(of: "/")!]) : "."
}

/// Runs a shell command; true when it exits 0. Its output goes to `log` (appended).
func shell(_ command: String, log: String) -> Bool {
    system("{ \(command) ; } >>'\(log)' 2>&1") == 0
}

/// Medians of the wall times of commands run in turn, `runs` rounds after one warm-up round;
/// nil for a command that failed (its log says why).
func timeInTurn(_ commands: [String], runs: Int, log: String) -> [Double?] {
    var times = Array(repeating: [Double](), count: commands.count)
    var failed = Array(repeating: false, count: commands.count)
    for round in 0...runs {
        for (i, c) in commands.enumerated() where !failed[i] {
            let t = now()
            if !shell(c, log: log) { failed[i] = true; continue }
            if round > 0 { times[i].append(now() - t) }
        }
    }
    return times.indices.map { failed[$0] ? nil : median(times[$0]) }
}

/// The p-th percentile (0–100) of xs, nearest rank.
func percentile(_ xs: [Double], _ p: Double) -> Double {
    let s = xs.sorted()
    guard !s.isEmpty else { return .nan }
    let rank = Int((p / 100 * Double(s.count)).rounded(.up)) - 1
    return s[min(max(rank, 0), s.count - 1)]
}

func pipelineBench(data: String, outDir: String, runs: Int, landmarker: Landmarker) throws {
    let dir = binaryDir()
    let cli = dir + "/faceswap-cli"
    let log = outDir + "/pipeline.log"
    _ = unlink(log)
    let source = data + "/faces/fr_obama1.jpg"
    let x264 = "-c:v libx264 -preset veryfast -crf 18"
    print("video job vs plain transcode (issue 11 item 2), \(Threads.cores) cores; commands and errors in \(log)")

    // The clips: the 720p one of the video section, the same at 1080p, three faces side by side.
    let clip720 = outDir + "/talking_1280x720.mp4", clip1080 = outDir + "/talking_1920x1080.mp4"
    let clip3 = outDir + "/three_faces_1280x720.mp4"
    let makes: [(String, String)] = [
        (clip720, "ffmpeg -y -v error -i '\(data)/videos/vr_face2.mp4' -vf 'scale=-2:720,pad=1280:720:(ow-iw)/2:0' \(x264) -c:a copy '\(clip720)'"),
        (clip1080, "ffmpeg -y -v error -i '\(data)/videos/vr_face2.mp4' -vf 'scale=-2:1080,pad=1920:1080:(ow-iw)/2:0' \(x264) -c:a copy '\(clip1080)'"),
        // Three talking heads (25 fps each), the middle 60 % of each frame, side by side.
        (clip3, "ffmpeg -y -v error -i '\(data)/videos/vr_face2.mp4' -i '\(data)/videos/vr_face3.mp4' -i '\(data)/videos/vr_face5.mp4' " +
                "-filter_complex '[0:v]crop=iw*0.6:ih,scale=426:720,setsar=1[a];[1:v]crop=iw*0.6:ih,scale=426:720,setsar=1[b];" +
                "[2:v]crop=iw*0.6:ih,scale=428:720,setsar=1[c];[a][b][c]hstack=inputs=3[v]' -map '[v]' -map 0:a -shortest " +
                "\(x264) -c:a copy '\(clip3)'"),
    ]
    for (path, make) in makes where access(path, R_OK) != 0 {
        guard shell(make, log: log) else { print("  could not make \(path): see \(log)"); return }
    }

    // How many faces each clip shows (the stream's tracks on its 10th frame).
    let swapper = try Swapper(detector: try Detector(), landmarker: landmarker)
    let prepared = try swapper.prepare(try Image.load(path: source))
    func facesTracked(_ clip: String) throws -> Int {
        let reader = try VideoReader(path: clip)
        let stream = try FaceStream(swapper: swapper, source: prepared)
        var n = 0
        for _ in 0..<10 {
            guard let f = try reader.next() else { break }
            n = try stream.process(f.image, time: f.seconds)
        }
        return n
    }

    let rounds = max(3, min(runs, 5))
    for (label, clip) in [("720p one face", clip720), ("1080p one face", clip1080), ("720p three faces", clip3)] {
        let info = try VideoReader(path: clip).info
        let plain = "ffmpeg -y -v error -i '\(clip)' \(x264) -c:a copy '\(outDir)/plain_out.mp4'"
        let job = "'\(cli)' video --quiet --source '\(source)' --input '\(clip)' -o '\(outDir)/job_out.mp4' --crf 18 --preset veryfast"
        let t = timeInTurn([plain, job], runs: rounds, log: log)
        // The job inside this process too (no process start-up, handles made once).
        var inProcess: [Double] = []
        var encoding = VideoEncoding()
        encoding.crf = 18
        encoding.preset = "veryfast"
        for _ in 0..<rounds {
            let r = try VideoJob.run(input: clip, output: outDir + "/job_out.mp4", swapper: swapper, source: prepared, encoding: encoding)
            inProcess.append(r.seconds)
        }
        let faces = try facesTracked(clip)
        print("  \(label): \(info.width)x\(info.height), \(info.frames) frames, \(faces) face(s) tracked; medians of \(rounds)")
        guard let tPlain = t[0], let tJob = t[1] else { print("    a command failed: see \(log)"); continue }
        let fps = { (s: Double) in "\(Int((Double(info.frames) / s).rounded())) fps" }
        print("    plain transcode \(ms(tPlain)) (\(fps(tPlain))); faceswap-cli video \(ms(tJob)) (\(fps(tJob))); " +
              "the job in-process \(ms(median(inProcess))) (\(fps(median(inProcess))))")
        goal("faceswap video, \(label)", tJob, over: "plain transcode (ffmpeg, same x264)", tPlain, atMost: 1.3)
    }

    // frei0r inside ffmpeg: the same command with and without the filter (720p).
    let root = dir.contains("/") ? String(dir[..<dir.lastIndex(of: "/")!]) : "."  // .build/release -> .build
    let plugins = root + "/frei0r"
    if access(plugins + "/faceswap.so", R_OK) != 0 {
        // make -C changes folder: the library's and the output's folders go in absolute.
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let cwd = getcwd(&buf, buf.count) != nil ? String(cString: buf) : "."
        let abs = { (p: String) in p.hasPrefix("/") ? p : cwd + "/" + p }
        _ = shell("make -s -C bindings/frei0r LIBDIR='\(abs(dir))' OUT='\(abs(plugins))'", log: log)
    }
    if access(plugins + "/faceswap.so", R_OK) == 0 {
        let info = try VideoReader(path: clip720).info
        // The library's defaults spelled out by position (frei0r has no "skip"): source, mode,
        // blend, colour (empty: the default), expression, detect interval, smoothing, time unit, fps.
        let params = "\(source)||||\(SwapOptions().expression)|\(StreamOptions().detectInterval)|y|auto|\(info.fps)"
        let env = "FREI0R_PATH='\(plugins)' LD_LIBRARY_PATH='\(dir)'"
        // The documented command: format=yuv420p after the filter (from the RGBA a frei0r filter
        // works in, ffmpeg would otherwise hand libx264 4:4:4, a different and slower encode).
        // Beside it, ffmpeg's own conversion to RGBA and back with no filter: what any frei0r
        // filter costs before it does anything.
        let without = "\(env) ffmpeg -y -v error -i '\(clip720)' \(x264) -c:a copy '\(outDir)/plain_out.mp4'"
        let rgba = "\(env) ffmpeg -y -v error -i '\(clip720)' -vf 'format=rgba,format=yuv420p' \(x264) -c:a copy '\(outDir)/rgba_out.mp4'"
        let with = "\(env) ffmpeg -y -v error -i '\(clip720)' -vf 'frei0r=faceswap:\(params),format=yuv420p' \(x264) -c:a copy '\(outDir)/frei0r_out.mp4'"
        let t = timeInTurn([without, rgba, with], runs: rounds, log: log)
        if let tWithout = t[0], let tRGBA = t[1], let tWith = t[2] {
            print("  frei0r, 720p one face: ffmpeg without the filter \(ms(tWithout)); with only the RGBA round trip a frei0r " +
                  "filter needs (-vf format=rgba,format=yuv420p) \(ms(tRGBA)) (\(ratio(tRGBA / tWithout)) of it); " +
                  "with frei0r=faceswap \(ms(tWith)) (\(ratio(tWith / tRGBA)) of the round trip)")
            goal("ffmpeg -vf frei0r=faceswap, 720p", tWith, over: "the same ffmpeg without it", tWithout, atMost: 1.3)
        } else {
            print("  frei0r: a command failed: see \(log)")
        }
    } else {
        print("  frei0r: no plugin at \(plugins)/faceswap.so (make frei0r): skipped")
    }

    // Live latency: each FaceStream.process call (= fs_stream_push) on decoded frames, the clip
    // twice through one stream (the jump back is a scene cut, as a live source may show). Twice:
    // pushed back to back (the most a caller can push), and paced as a live source delivers them,
    // each at its own time (a 30 fps camera: a frame every 33 ms), so what the stream does
    // between frames (the sweep for newcomers on its worker thread) runs when a camera leaves
    // the time; the goal is the paced run's.
    print("stream latency (issue 11 item 3): per frame, FaceStream.process (fs_stream_push), frames in memory")
    for (label, clip) in [("720p", clip720), ("1080p", clip1080)] {
        let reader = try VideoReader(path: clip)
        var frames: [VideoReader.Frame] = []
        while let f = try reader.next() { frames.append(f) }
        let span = (frames.last?.seconds ?? 0) + 0.04
        for paced in [false, true] {
            let stream = try FaceStream(swapper: swapper, source: prepared)
            var lat: [Double] = []
            let start = now()
            for pass in 0..<2 {
                for f in frames {
                    let img = try f.image.copy()
                    let due = f.seconds + Double(pass) * span
                    let wait = start + due - now()
                    if paced && wait > 0 { usleep(UInt32(wait * 1e6)) }
                    let t = now()
                    try stream.process(img, time: due)
                    lat.append(now() - t)
                }
            }
            let p50 = percentile(lat, 50), p99 = percentile(lat, 99)
            let over = lat.indices.filter { lat[$0] > 0.033 }.map(String.init)
            print("  \(label), \(paced ? "paced at the clip's frame rate (a live camera)" : "back to back"): p50 \(ms(p50)), " +
                  "p99 \(ms(p99)), max \(ms(lat.max() ?? .nan)) over \(lat.count) frames; " +
                  "over 33 ms: \(over.count) (frames \(over.joined(separator: ", ")))")
            if label == "720p" && paced {
                goal("stream latency p99, 720p paced", p99, over: "33 ms (a 30 fps frame)", 0.033, atMost: 1)
            }
        }
    }
    print("")
}
