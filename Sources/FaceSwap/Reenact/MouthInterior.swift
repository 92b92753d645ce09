import CFaceShim
#if canImport(Glibc)
import Glibc
#endif

/// A mouth interior synthesised from the photo's own colours and lighting, for a photo whose
/// mouth is closed while the driver's opens (issue 12 item 3): a dark cavity, the upper teeth
/// under the upper inner lip, the lower teeth and a tongue hint only when the mouth is wide open.
///
/// The colours are measured once on the photo (`init`):
/// - the cavity: the photo's lips (the ring between the outer and the inner lip polygons)
///   darkened, so its hue is the photo's and its brightness follows the lips' lighting; the left
///   and right halves of the lips give a side-to-side illumination gradient;
/// - the teeth: the brightest low-chroma pixels of the eyes (the sclera), desaturated and warmed
///   by a tenth of the lips' chroma, brightened by 1.2 and scaled by
///   the illumination at the mouth over that at the eyes (the skin above the upper lip against
///   the skin of the nose bridge). Without a usable sclera (closed eyes, tiny face) a neutral
///   grey well above the lips' brightness.
/// The driver's pixels are never read: the interior follows the photo, whatever the driver's
/// skin or lighting.
struct MouthInterior {
    /// BGR, 0–255.
    typealias Colour = (Double, Double, Double)
    let lips: Colour
    let teeth: Colour
    /// The lips' brightness on the mouth's left and right (image left/right of the photo's
    /// mouth centre) over their mean: the illumination gradient across the mouth.
    let leftLight: Double, rightLight: Double

    static func luma(_ c: Colour) -> Double { 0.114 * c.0 + 0.587 * c.1 + 0.299 * c.2 }

    /// nil when the photo's lips are too small to measure (fewer than 4 pixels) or its face lies
    /// outside it: the mouth is then left as the warp makes it.
    init?(photo: Image, face p: [Point]) throws {
        let iod = max(Reenactor.eyeCornerDistance(p), 8)
        let roi = IntRect.around(Array(p[17...67]), pad: 0.1 * iod + 2, clip: photo.width, photo.height)
        guard !roi.isEmpty else { return nil }
        let region = try photo.region(roi)
        func mask(_ polys: [[Int]], minus holes: [[Int]] = [], keepX: ((Double) -> Bool)? = nil) throws -> Image {
            let m = try Image(width: roi.width, height: roi.height, format: .gray8)
            for poly in polys {
                try shim(fsx_fill_poly(m.view, FaceMesh.flat(poly.map { p[$0] }), Int32(poly.count), Double(roi.x), Double(roi.y), 255, 0), "mouth colours")
            }
            if !holes.isEmpty {
                let h = try Image(width: roi.width, height: roi.height, format: .gray8)
                for poly in holes {
                    try shim(fsx_fill_poly(h.view, FaceMesh.flat(poly.map { p[$0] }), Int32(poly.count), Double(roi.x), Double(roi.y), 255, 0), "mouth colours")
                }
                try shim(fsx_mask_subtract(m.view, h.view), "mouth colours")
            }
            if let keepX {
                for y in 0..<m.height {
                    let row = m.data.advanced(by: y * m.stride).assumingMemoryBound(to: UInt8.self)
                    for x in 0..<m.width where !keepX(Double(roi.x + x)) { row[x] = 0 }
                }
            }
            return m
        }
        func mean(_ m: Image) throws -> (Colour, Double) {
            var s = [0.0, 0.0, 0.0, 0.0], n = 0.0
            try shim(fsx_channel_sums(region.view, m.view, &s, &n), "mouth colours")
            return ((s[0] / max(n, 1), s[1] / max(n, 1), s[2] / max(n, 1)), n)
        }
        let outer = Array(48...59), inner = Array(60...67)
        let (lipsMean, lipPixels) = try mean(try mask([outer], minus: [inner]))
        guard lipPixels >= 4 else { return nil }
        lips = lipsMean
        // Side-to-side light: the lips' halves left and right of the mouth's centre.
        let cx = Point.mean([p[48], p[54]]).x
        let l = try mean(try mask([outer], minus: [inner], keepX: { $0 < cx })).0
        let r = try mean(try mask([outer], minus: [inner], keepX: { $0 >= cx })).0
        let ly = MouthInterior.luma(lipsMean)
        leftLight = min(max(MouthInterior.luma(l) / max(ly, 1), 0.7), 1.3)
        rightLight = min(max(MouthInterior.luma(r) / max(ly, 1), 0.7), 1.3)
        // The sclera: among the eyes' pixels of low chroma, the brightest quarter.
        let eyes = try mask([Array(36...41), Array(42...47)])
        var sclera: [(Double, Colour)] = []
        for y in 0..<roi.height {
            let m = eyes.data.advanced(by: y * eyes.stride).assumingMemoryBound(to: UInt8.self)
            let px = region.data.advanced(by: y * region.stride).assumingMemoryBound(to: UInt8.self)
            for x in 0..<roi.width where m[x] != 0 {
                let c = (Double(px[3 * x]), Double(px[3 * x + 1]), Double(px[3 * x + 2]))
                let yv = MouthInterior.luma(c)
                let chroma = max(c.0, c.1, c.2) - min(c.0, c.1, c.2)
                if chroma <= 0.25 * yv + 8 { sclera.append((yv, c)) }
            }
        }
        sclera.sort { $0.0 > $1.0 }
        let brightest = sclera.prefix(max(sclera.count / 4, 1))
        // Illumination at the mouth over that at the eyes: the skin above the upper lip (below
        // the nose) against the nose bridge between the eyes.
        let mouthSkin = try mean(try mask([[48, 31, 32, 33, 34, 35, 54, 53, 52, 51, 50, 49]])).0
        let eyeSkin = try mean(try mask([[39, 27, 42, 29]])).0
        let light = min(max(MouthInterior.luma(mouthSkin) / max(MouthInterior.luma(eyeSkin), 1), 0.5), 1.2)
        var t: Colour
        if sclera.count >= 8, let first = brightest.first, first.0 > 1.3 * ly {
            let n = Double(brightest.count)
            let s = brightest.reduce((0.0, 0.0, 0.0)) { ($0.0 + $1.1.0 / n, $0.1 + $1.1.1 / n, $0.2 + $1.1.2 / n) }
            // Desaturated (a third of its chroma kept), warmed by a tenth of the lips' chroma (a
            // bluish sclera made grey-blue teeth), brightened by 1.2 (the sclera sits in the lids'
            // shadow and reads darker than it is).
            let g = MouthInterior.luma(s), k = 1.2 * light
            func channel(_ c: Double, _ lip: Double) -> Double { (g + (c - g) / 3 + 0.1 * (lip - ly)) * k }
            t = (channel(s.0, lipsMean.0), channel(s.1, lipsMean.1), channel(s.2, lipsMean.2))
        } else {
            let g = min(2.2 * ly, 235) * light
            t = (g, g, g)
        }
        // Teeth brighter than the lips whatever the measure: at least 1.4 times their brightness.
        let k = max(1, 1.4 * ly / max(MouthInterior.luma(t), 1))
        teeth = (min(t.0 * k, 250), min(t.1 * k, 250), min(t.2 * k, 250))
    }

    /// The least-squares parabola v = a s² + b s + c through lip points (s, v): the lip's smooth
    /// arc (the 8-point polygon's kinks would otherwise show in the teeth's edge). A straight
    /// line when the points do not fix a parabola. (Also the eyelids' arcs: `Eyelids`.)
    static func arc(_ q: [(Double, Double)]) -> (Double) -> Double {
        var m = [[Double]](repeating: [0, 0, 0, 0], count: 3)  // normal equations, augmented
        for (s, v) in q {
            let row = [s * s, s, 1.0]
            for i in 0..<3 {
                for j in 0..<3 { m[i][j] += row[i] * row[j] }
                m[i][3] += row[i] * v
            }
        }
        func det3(_ a: [[Double]], _ c: [Int]) -> Double {
            a[0][c[0]] * (a[1][c[1]] * a[2][c[2]] - a[1][c[2]] * a[2][c[1]])
                - a[0][c[1]] * (a[1][c[0]] * a[2][c[2]] - a[1][c[2]] * a[2][c[0]])
                + a[0][c[2]] * (a[1][c[0]] * a[2][c[1]] - a[1][c[1]] * a[2][c[0]])
        }
        let d = det3(m, [0, 1, 2])
        let scale = max(abs(m[0][0] * m[1][1] * m[2][2]), 1e-12)
        guard abs(d) > 1e-9 * scale else {
            let a = q.first!, b = q.last!
            return { s in b.0 - a.0 > 1e-9 ? a.1 + (b.1 - a.1) * (s - a.0) / (b.0 - a.0) : a.1 }
        }
        let a = det3(m, [3, 1, 2]) / d, b = det3(m, [0, 3, 2]) / d, c = det3(m, [0, 1, 3]) / d  // Cramer
        return { s in (a * s + b) * s + c }
    }

    private static func smoothstep(_ a: Double, _ b: Double, _ x: Double) -> Double {
        let t = min(max((x - a) / (b - a), 0), 1)
        return t * t * (3 - 2 * t)
    }

    /// Draws the interior into `into` (BGR8, the ROI's size, origin `roi`) wherever `where`
    /// (GRAY8, same size) is non-zero, for the animated points `p` and eye distance `iod`.
    ///
    /// Each pixel is placed in the mouth's own frame: s along the inner corners 60 -> 64 (0 to
    /// the width w), v across it; the upper inner lip (60–64) and the lower (64, 65, 66, 67, 60)
    /// as smooth arcs v(s) (`arc`); `o` the opening there and `f` the pixel's share of it from
    /// the upper lip, `side` its distance from the middle (0) to a corner (1).
    /// - cavity: the lips' colour (its chroma × 1.25) times 0.42 at the rim, down to 0.20 at the
    ///   back (the middle of the opening), and down by 0.10 more under the upper lip (its shadow);
    /// - upper teeth: a band from the upper lip, min(0.13 eye distance, 0.45 o) high, across the
    ///   middle of the mouth (fading out from side 0.4 to 0.75), lit most at 40 % of its height,
    ///   darker to the sides, faint gaps between the incisors; fading in over
    ///   0.03 eye distance below the lip's arc (the lip's shadow: a dark line at the inner lip's edge,
    ///   which the re-fit of the output reads as that edge, and the lower teeth likewise);
    /// - once the opening passes 0.2 eye distance (full at 0.3): lower teeth, min(0.07 eye
    ///   distance, 0.22 o) high above the lower lip, dimmer; a tongue hint below f 0.6–0.85 (its
    ///   top lower to the sides): the lips' colour at 0.62.
    /// Everything times the lips' side-to-side light.
    func draw(into img: Image, where mask: Image, roi: IntRect, points p: [Point], iod: Double) {
        let c0 = p[60], c1 = p[64]
        let axis = c1 - c0, w = max(axis.distance(to: Point(0, 0)), 1)
        let u = Point(axis.x / w, axis.y / w), n = Point(-u.y, u.x)
        func local(_ q: Point) -> (Double, Double) {
            let d = q - c0
            return (d.x * u.x + d.y * u.y, d.x * n.x + d.y * n.y)
        }
        let upper = MouthInterior.arc([60, 61, 62, 63, 64].map { local(p[$0]) })
        let lower = MouthInterior.arc([60, 67, 66, 65, 64].map { local(p[$0]) })
        let toothH = 0.13 * iod, lowerH = 0.07 * iod
        // Incisor gaps from the mouth's middle: central 0.13, lateral 0.10, canine 0.09 eye distance wide.
        let gaps = [0.0, 0.13, 0.23, 0.32].map { $0 * iod }
        let gapWidth = max(0.012 * iod, 0.6)
        let lipY = MouthInterior.luma(lips)
        // The lips' shadow on the teeth: the teeth start below the upper lip (above the lower)
        // by a dark line, the inner lip's edge, fading in over this height.
        let shadowH = 0.03 * iod
        // The cavity's base: the lips' colour with its chroma raised by a quarter.
        let cavity: Colour = (lipY + 1.25 * (lips.0 - lipY), lipY + 1.25 * (lips.1 - lipY), lipY + 1.25 * (lips.2 - lipY))
        for y in 0..<roi.height {
            let m = mask.data.advanced(by: y * mask.stride).assumingMemoryBound(to: UInt8.self)
            let px = img.data.advanced(by: y * img.stride).assumingMemoryBound(to: UInt8.self)
            for x in 0..<roi.width where m[x] != 0 {
                let (s, v) = local(Point(Double(roi.x + x), Double(roi.y + y)))
                let vu = upper(s), vl = lower(s)
                let o = max(vl - vu, 1)
                let f = min(max((v - vu) / o, 0), 1)
                let sn = min(max(s / w, 0), 1)
                let side = abs(2 * sn - 1)
                let light = leftLight + (rightLight - leftLight) * sn
                // The cavity.
                let back = sin(Double.pi * f) * (1 - side * side)
                let shade = 0.42 - 0.22 * back - 0.10 * (1 - f) * (1 - f)
                var colour = (cavity.0 * shade, cavity.1 * shade, cavity.2 * shade)
                func mix(_ c: Colour, _ k: Double, _ a: Double) {
                    let b: Double = 1 - a
                    colour = (colour.0 * b + c.0 * k * a, colour.1 * b + c.1 * k * a, colour.2 * b + c.2 * k * a)
                }
                let lateral = 1 - MouthInterior.smoothstep(0.4, 0.75, side)
                let wide = MouthInterior.smoothstep(0.2 * iod, 0.3 * iod, o)
                // A tongue hint, low in the middle of a wide opening.
                if wide > 0 {
                    let top = 0.6 + 0.25 * side * side
                    mix(lips, 0.62, wide * lateral * MouthInterior.smoothstep(top, top + 0.2, f))
                }
                // Upper teeth: from the upper lip's arc (and above it, up to the polygon) down.
                let band = min(toothH, 0.45 * o), t = max(v - vu, 0) / max(band, 1)
                if t < 1 && lateral > 0 {
                    let vertical = 0.8 + 0.2 * sin(Double.pi * min(t / 0.8, 1))   // lip shadow above, edge below
                    let ds = abs(s - w / 2)
                    var gap = -Double.infinity  // the nearest gap's (no array per pixel)
                    for g in gaps { let z = (ds - g) / gapWidth; gap = max(gap, exp(-z * z)) }
                    let k = vertical * (1 - 0.4 * side * side) * (1 - 0.2 * gap)
                    mix(teeth, k, lateral * (1 - MouthInterior.smoothstep(0.8, 1.0, t)) * MouthInterior.smoothstep(0, shadowH, v - vu))   // a soft incisal edge
                }
                // Lower teeth, wide open only.
                let lowBand = min(lowerH, 0.22 * o), r = max(vl - v, 0) / max(lowBand, 1)
                if wide > 0 && r < 1 && lateral > 0 {
                    let k = 0.72 * (1 - 0.4 * side * side) * (0.85 + 0.15 * r)
                    mix(teeth, k, wide * lateral * (1 - MouthInterior.smoothstep(0.75, 1.0, r)) * MouthInterior.smoothstep(0, shadowH, vl - v))
                }
                px[3 * x] = UInt8(min(max(colour.0 * light, 0), 255).rounded())
                px[3 * x + 1] = UInt8(min(max(colour.1 * light, 0), 255).rounded())
                px[3 * x + 2] = UInt8(min(max(colour.2 * light, 0), 255).rounded())
            }
        }
    }
}
