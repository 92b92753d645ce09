import CFaceShim

/// Colour correction: the warped source moved towards the target's colours inside the mask.
public enum ColourTransfer {
    /// `strength` (0–1): how far from src's own colours towards the match. With `spans`, only
    /// the face's rows (widened by `margin`) are changed; without, the whole image.
    static func apply(_ mode: ColorMode, to src: Image, reference: Image, mask: Image, spans: [Int32]? = nil, margin: Int = 0,
                      strength: Double = 1) throws {
        if mode == .none || strength <= 0 { return }
        let run = { (rows: UnsafePointer<Int32>?) in
            fsx_color_transfer_rows(src.view, reference.view, mask.view, rows, Int32(margin), mode.rawValue, strength)
        }
        try shim(spans.map { $0.withUnsafeBufferPointer { run($0.baseAddress) } } ?? run(nil), "colour (\(mode.name))")
    }

    /// The seam's colour and light, after `apply`: a band inside the mask's edge (`band` of the
    /// face size deep) takes the target's low-frequency colour (a normalised Gaussian of `sigma`
    /// of the face size over the Lab difference), so that shading and tint meet the skin around
    /// the face; the interior, which carries the source's identity, keeps the global match.
    static let edgeBand = 0.15, edgeSigma = 0.06

    static func matchEdge(_ src: Image, reference: Image, mask: Image, spans: [Int32], margin: Int, faceSize: Double,
                          strength: Double) throws {
        if strength <= 0 { return }
        try shim(spans.withUnsafeBufferPointer {
            fsx_color_edge(src.view, reference.view, mask.view, $0.baseAddress, Int32(margin), edgeBand * faceSize,
                           edgeSigma * faceSize, strength)
        }, "colour (edge)")
    }

    /// True when every sampled pixel of a BGR/RGB image has equal channels (a grey photo).
    static func isGrey(_ image: Image) -> Bool {
        guard image.format.channels >= 3 else { return true }
        let step = max(1, Int((Double(image.width * image.height) / 4096).squareRoot()))
        for y in stride(from: 0, to: image.height, by: step) {
            for x in stride(from: 0, to: image.width, by: step) {
                let b = image.byte(x: x, y: y, channel: 0)
                if b != image.byte(x: x, y: y, channel: 1) || b != image.byte(x: x, y: y, channel: 2) { return false }
            }
        }
        return true
    }

    /// The classic pre-processing over two image sets: A += mean(B) − mean(A) per channel, with
    /// the means taken over every pixel of each set. Changes the images of A in place.
    public static func meanShift(_ a: [Image], towards b: [Image]) throws {
        guard !a.isEmpty, !b.isEmpty else { throw FaceSwapError(.invalidArgument, "both image sets need at least one image") }
        let format = a[0].format
        guard format.channels >= 3, (a + b).allSatisfy({ $0.format == format }) else {
            throw FaceSwapError(.unsupported, "every image of both sets must have the same colour format (got \(Set((a + b).map(\.format.name)).sorted().joined(separator: ", ")))")
        }
        func means(_ set: [Image]) throws -> [Double] {
            var total = [0.0, 0.0, 0.0, 0.0], n = 0.0
            for img in set {
                var s = [0.0, 0.0, 0.0, 0.0], p = 0.0
                try shim(fsx_channel_sums(img.view, fsx_view(), &s, &p), "mean colour")
                for c in 0..<4 { total[c] += s[c] }
                n += p
            }
            return total.map { $0 / max(n, 1) }
        }
        let ma = try means(a), mb = try means(b)
        var delta = (0..<4).map { mb[$0] - ma[$0] }
        if format.channels == 4 { delta[3] = 0 }  // alpha is not colour
        for img in a { try shim(fsx_add_channels(img.view, &delta), "mean shift") }
    }
}
