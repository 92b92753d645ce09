#if canImport(Glibc)
import Glibc
#endif

/// The upper eyelids drawn down over the photo's eyes as the driver's close (issue 12 item 1).
///
/// The mesh warp alone squeezes the eye between the lids (their gap follows the driver's), but
/// the squeezed iris, sclera and lash line stay visible and read as an open eye, to a person and
/// to a landmark re-fit. Here the eye opening really becomes skin: the photo's own upper lid, the
/// band of skin from the lid margin up towards the brow (as the warp left it), is stretched down
/// over the opening, so its lash line (the margin's dark edge) lands where the lid now ends; a
/// thin darker line is added there. How far: `closure` of the warped lid gap against the photo's.
/// Partial closure covers the upper part of the (already squeezed) opening; full closure all of
/// it, down to the lower lid. Pixels only move within the photo (no patch of another face), so
/// the lid keeps the photo's colours and lighting. An eye whose gap is at or above the photo's
/// own is not touched.
enum Eyelids {
    /// Each eye's six points (corner, two upper, corner, two lower) and its brow's five.
    static let eyes: [(eye: [Int], brow: [Int])] = [(Array(36...41), Array(17...21)), (Array(42...47), Array(22...26))]

    /// The share of the photo's own lid gap at which the lid is drawn fully shut. The driver's
    /// gap is measured by the 68-point fit, which reads a shut eye at 0.3–0.5 of the open one
    /// (the points sit on the lash line's two sides), and the tracker's shape filter takes a
    /// little more off a blink's 3–5 frames: measured on vr_face3 -> fr_obama1, the driver's
    /// blink frames read 0.37–0.50 open (raw fit) and the warped gap 0.47–0.65 of the photo's.
    static let shut = 0.6

    /// The lid band's height above the lid margin (the skin that is stretched down): this share
    /// of the eye distance, at most `browShare` of the way from the lid to the brow.
    static let band = 0.15, browShare = 0.5

    /// The added lash line: darkening at its centre (times the closure) and half-width (share of
    /// the eye distance, at least 0.7 px).
    static let lashDark = 0.3, lashWidth = 0.012

    /// How much of each eye's warped opening (left and right in the image) the lid covers in
    /// `target`, against the photo's points `photo`: 0 (open as the photo's or wider) to 1 (shut).
    /// q: the mean upper–lower lid gap over the eye distance, across each eye's own corner line,
    /// as a share of the photo's. A gap of `shut` or less is a shut eye; above it, the share of
    /// the photo's opening left showing is x = (q − `shut`) / (1 − `shut`), so the lid covers
    /// 1 − x / q of the warped opening (q times the photo's): x rises from 0 (shut) to 1 (the
    /// photo's own) as the driver's eye opens from shut to its neutral.
    static func closure(target t: [Point], photo s: [Point]) -> [Double] {
        gapRatios(target: t, photo: s).map { q in
            guard let q, q < 1 else { return 0 }
            guard q > shut else { return 1 }
            return min(max(1 - (q - shut) / (1 - shut) / q, 0), 1)
        }
    }

    /// Each eye's opening in `target` as a share of the same eye's in `photo` (left and right in
    /// the image; nil where the photo's eye is shut): the mean gap of the eye's lid pairs
    /// (Reenactor.eyelids: 37/41 and 38/40, 43/47 and 44/46) across its own corner line, over the
    /// eye-corner distance. The two point sets may be at different scales.
    static func gapRatios(target t: [Point], photo s: [Point]) -> [Double?] {
        func gap(_ p: [Point], _ e: [Int], _ pairs: [(Int, Int)]) -> Double {
            let a = p[e[0]], b = p[e[3]]
            let w = max(a.distance(to: b), 1e-9)
            let down = Point(-(b.y - a.y) / w, (b.x - a.x) / w)
            return Reenactor.gap(p, pairs, down: down) / max(Reenactor.eyeCornerDistance(p), 1e-9)
        }
        return zip(eyes, Reenactor.eyelids).map { e, pairs in
            let g0 = gap(s, e.eye, pairs)
            return g0 > 1e-6 ? gap(t, e.eye, pairs) / g0 : nil
        }
    }

    /// Draws each eye of `target` closed by its `closure` into `img` (BGR8, the warped photo).
    static func draw(into img: Image, target t: [Point], closure: [Double]) {
        let iod = Reenactor.eyeCornerDistance(t)
        guard iod >= 4 else { return }
        for (k, e) in eyes.enumerated() where closure[k] > 0 {
            drawEye(img, t, e.eye, e.brow, closure[k], iod)
        }
    }

    /// One eye: in its own frame (s along the corners e[0] -> e[3], 0 to w; v across, down
    /// positive), the upper lid as the arc vu(s) through e[0...3], the lower vl(s) through e[3],
    /// e[4], e[5], e[0]. The lid's new edge is vb = vu + c (vl − vu) (+ 0.75 c px past the lower
    /// lid when shut, to cover the sclera's last row); the band [vu − S, vu] of the warped image
    /// is stretched onto [vu − S, vb] (continuous at its top), the edge anti-aliased, the lash line
    /// darkened just above vb (fading to the corners).
    private static func drawEye(_ img: Image, _ t: [Point], _ eye: [Int], _ brow: [Int], _ c: Double, _ iod: Double) {
        let a = t[eye[0]], b = t[eye[3]]
        let w = a.distance(to: b)
        guard w >= 3 else { return }
        let u = Point((b.x - a.x) / w, (b.y - a.y) / w), n = Point(-u.y, u.x)
        func local(_ q: Point) -> (Double, Double) {
            let d = q - a
            return (d.x * u.x + d.y * u.y, d.x * n.x + d.y * n.y)
        }
        let upper = MouthInterior.arc([eye[0], eye[1], eye[2], eye[3]].map { local(t[$0]) })
        let lower = MouthInterior.arc([eye[3], eye[4], eye[5], eye[0]].map { local(t[$0]) })
        let browV = brow.map { local(t[$0]).1 }.reduce(0, +) / Double(brow.count)
        let s = max(min(band * iod, browShare * (upper(w / 2) - browV)), 2)
        // The eye's box in the image: the local rectangle [0, w] × [min vu − S, max vl + 2].
        let samples = stride(from: 0.0, through: w, by: max(w / 16, 0.5))
        let vTop = samples.map { upper($0) }.min()! - s - 1, vBottom = samples.map { lower($0) }.max()! + 2
        let corners = [(0.0, vTop), (w, vTop), (0.0, vBottom), (w, vBottom)].map { a + u * $0.0 + n * $0.1 }
        let x0 = max(Int(corners.map(\.x).min()!.rounded(.down)) - 1, 0)
        let y0 = max(Int(corners.map(\.y).min()!.rounded(.down)) - 1, 0)
        let x1 = min(Int(corners.map(\.x).max()!.rounded(.up)) + 1, img.width - 1)
        let y1 = min(Int(corners.map(\.y).max()!.rounded(.up)) + 1, img.height - 1)
        guard x1 > x0, y1 > y0 else { return }
        // The warped pixels, read while the lid is written.
        let bw = x1 - x0 + 1, bh = y1 - y0 + 1
        var copy = [Double](repeating: 0, count: bw * bh * 3)
        for y in 0..<bh {
            let row = img.data.advanced(by: (y0 + y) * img.stride).assumingMemoryBound(to: UInt8.self)
            for x in 0..<bw * 3 { copy[y * bw * 3 + x] = Double(row[x0 * 3 + x]) }
        }
        func sample(_ p: Point) -> (Double, Double, Double) {
            let fx = min(max(p.x - Double(x0), 0), Double(bw - 1)), fy = min(max(p.y - Double(y0), 0), Double(bh - 1))
            let ix = max(min(Int(fx), bw - 2), 0), iy = max(min(Int(fy), bh - 2), 0)
            let dx = fx - Double(ix), dy = fy - Double(iy)
            func at(_ x: Int, _ y: Int, _ ch: Int) -> Double { copy[(min(y, bh - 1) * bw + min(x, bw - 1)) * 3 + ch] }
            func ch(_ k: Int) -> Double {
                (at(ix, iy, k) * (1 - dx) + at(ix + 1, iy, k) * dx) * (1 - dy)
                    + (at(ix, iy + 1, k) * (1 - dx) + at(ix + 1, iy + 1, k) * dx) * dy
            }
            return (ch(0), ch(1), ch(2))
        }
        let lw = max(lashWidth * iod, 0.7)
        for y in y0...y1 {
            let row = img.data.advanced(by: y * img.stride).assumingMemoryBound(to: UInt8.self)
            for x in x0...x1 {
                let (ps, pv) = local(Point(Double(x), Double(y)))
                guard ps > 0 && ps < w else { continue }
                let vu = upper(ps), vl = lower(ps), h = vl - vu
                guard h > 0 else { continue }
                let vb = vu + c * h + 0.75 * c * c, top = vu - s
                guard pv >= top && pv < vb + 0.5 else { continue }
                // The band's point stretched to here, and the lid edge's coverage of this pixel.
                let sv = top + (pv - top) * s / (s + vb - vu)
                var (bl, gr, rd) = sample(a + u * ps + n * sv)
                let edge = sin(Double.pi * ps / w).squareRoot()
                let z = (pv - (vb - lw)) / lw
                let dark = 1 - lashDark * c * edge * exp(-z * z)
                bl *= dark; gr *= dark; rd *= dark
                let alpha = min(max(vb - pv + 0.5, 0), 1)
                let o = 3 * x
                func put(_ i: Int, _ v: Double) {
                    row[o + i] = UInt8(min(max(Double(row[o + i]) * (1 - alpha) + v * alpha, 0), 255).rounded())
                }
                put(0, bl); put(1, gr); put(2, rd)
            }
        }
    }
}
