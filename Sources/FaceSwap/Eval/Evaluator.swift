import CFaceShim

/// Quality figures of a swap, measured against its inputs.
public struct SwapMetrics: Sendable {
    /// Embedding distance of the result's face to the source's / the target's (nil without the
    /// face-recognition model). A good swap is nearer the source: < 0.6 means "same person".
    public var identityToSource: Double?
    public var identityToTarget: Double?
    /// Mean distance of the result's re-detected 68 landmarks to the target's, over the
    /// target's inter-ocular distance (expression and pose kept: small is good).
    public var landmarkError: Double
    /// Fraction of pixels outside the (dilated) face regions that differ from the target.
    public var changedOutside: Double
    /// Mean gradient on the face outline in the result over the same in the target (≈1: no seam).
    public var seamScore: Double
    /// false when the result's face was not re-detected and landmarks were fitted in the target's box.
    public var redetected: Bool
    /// The colour step the swap adds at the face's edge (CIE ΔE76; about 2.3 is just noticeable):
    /// per sector of 16 around every target face, the step between rings 0.1–0.3 inter-ocular
    /// distances inside and outside the jaw + raised-brow hull, in the result minus in the target.
    /// The worst sector of any face, and the mean over every face's sectors.
    public var edgeStepWorst: Double
    public var edgeStepMean: Double
}

/// Computes SwapMetrics. Uses the swapper's detector, landmarker and (if any) recognizer.
public enum Evaluator {
    public static func evaluate(source: Image, target: Image, result: Image, detector: Detector,
                                landmarker: Landmarker, recognizer: Recognizer?, options: SwapOptions = SwapOptions()) throws -> SwapMetrics {
        guard result.width == target.width, result.height == target.height else {
            throw FaceSwapError(.invalidArgument, "the result is \(result.width)×\(result.height) but the target is \(target.width)×\(target.height)")
        }
        let targetFaces = try detector.detect(target).map { try landmarker.fit(target, $0) }
        guard let tFace = targetFaces.first else { throw FaceSwapError(.noFace, "no face found in the target") }
        // The result's face: re-detected, the one overlapping the target's most.
        let found = try detector.detect(result)
        let best = found.max { $0.rect.intersectionOverUnion(tFace.rect) < $1.rect.intersectionOverUnion(tFace.rect) }
        let redetected = best.map { $0.rect.intersectionOverUnion(tFace.rect) > 0.3 } ?? false
        let rFace = try landmarker.fit(result, redetected ? best! : tFace)
        let iod = tFace.interocularDistance ?? 1
        let lmError = zip(rFace.landmarks, tFace.landmarks).map { $0.distance(to: $1) }.reduce(0, +) / 68 / max(iod, 1)

        // Face regions of every target face, dilated by the feather and a margin.
        let tb = try target.ensuring(.bgr8), rb = try result.ensuring(.bgr8)
        let region = try Image(width: target.width, height: target.height, format: .gray8)
        let band = try Image(width: target.width, height: target.height, format: .gray8)
        for f in targetFaces {
            let mesh = FaceMesh(f.landmarks, forehead: options.forehead)
            let xy = FaceMesh.flat(mesh.outlinePoints)
            let n = Int32(mesh.outline.count)
            let outline = try Image(width: target.width, height: target.height, format: .gray8)
            try shim(fsx_fill_hull(outline.view, xy, n, 0, 0, 255), "eval")
            let grown = try outline.copy()
            try shim(fsx_morph(grown.view, Int32((max(options.feather, 0.02) * mesh.faceSize + 0.05 * mesh.faceSize).rounded() + 4)), "eval")
            try FaceMask.union(region, grown)
            // The seam band: a few pixels either side of the mask's outline.
            let outer = try outline.copy(), inner = try outline.copy()
            let w = Int32(max(2, (0.01 * mesh.faceSize).rounded()))
            try shim(fsx_morph(outer.view, w), "eval")
            try shim(fsx_morph(inner.view, -w), "eval")
            try shim(fsx_mask_subtract(outer.view, inner.view), "eval")
            try FaceMask.union(band, outer)
        }
        let outside = try invert(region)
        var differ = 0.0, total = 0.0
        try shim(fsx_count_diff(tb.view, rb.view, outside.view, &differ, &total), "eval")
        var gr = 0.0, gt = 0.0, nb = 0.0
        try shim(fsx_gradient_on(rb.view, band.view, &gr, &nb), "eval")
        try shim(fsx_gradient_on(tb.view, band.view, &gt, &nb), "eval")

        // The colour step at every target face's edge.
        var worst = -Double.infinity, sum = 0.0, count = 0.0
        for f in targetFaces where f.landmarks.count == 68 {
            var steps = [Double](repeating: .nan, count: 16)
            try shim(fsx_edge_steps(tb.view, rb.view, f.landmarks.flatMap { [$0.x, $0.y] }, &steps), "eval")
            for s in steps where !s.isNaN { worst = max(worst, s); sum += s; count += 1 }
        }

        var toSource: Double? = nil, toTarget: Double? = nil
        if let recognizer {
            let rEmb = try recognizer.embed(result, rFace)
            toTarget = Recognizer.distance(rEmb, try recognizer.embed(target, tFace))
            if let sFace = try detector.detect(source).first {
                toSource = Recognizer.distance(rEmb, try recognizer.embed(source, try landmarker.fit(source, sFace)))
            }
        }
        return SwapMetrics(identityToSource: toSource, identityToTarget: toTarget, landmarkError: lmError,
                           changedOutside: total > 0 ? differ / total : 0, seamScore: gt > 0 ? gr / gt : 1,
                           redetected: redetected, edgeStepWorst: count > 0 ? worst : .nan,
                           edgeStepMean: count > 0 ? sum / count : .nan)
    }

    private static func invert(_ mask: Image) throws -> Image {
        let full = try Image(width: mask.width, height: mask.height, format: .gray8)
        var d = [255.0, 0, 0, 0]
        try shim(fsx_add_channels(full.view, &d), "eval")
        try shim(fsx_mask_subtract(full.view, mask.view), "eval")
        return full
    }
}
