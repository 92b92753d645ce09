import CFaceShim

/// The target's skin texture under the source's features (fs_swap_options.skin_texture): on the
/// face's skin, the warped source's fine detail (a high-pass band: the image minus its Gaussian
/// blur) is replaced by the target's own, so that a smooth (studio, young) source keeps a rough
/// (outdoor, old) target's pores and lines, and the reverse. The eyes, brows, nostrils and mouth
/// keep the source's detail (it carries the identity); per face, in its padded region only.
///
/// A learned face (autoencoder, landmark GAN) has little fine detail of its own to keep: its
/// decoder draws features as smooth shapes, eyes first. There the band comes first from a real
/// face of the person the model draws (its DetailFace, `detail`), and the target frame's band,
/// in the eyes too (lids, lashes, the eye's light), supplies the finest detail that leaves; the
/// brows, nostrils and lips take none of the target's (`learnedKeeps`).
enum SkinTexture {
    /// The band's Gaussian sigma, a share of the distance between the eye centres (1-2 %: pores,
    /// fine lines; the coarser shading stays the source's, matched by the colour stage).
    static let bandSigma = 0.015
    /// A learned face's band reaches a little coarser (the decoder's face lacks more than a
    /// photo's): on the second pair's 30-minute model the face's sharpness 0.706x -> 0.770x the
    /// target's at 1.75 % (0.20.0's target band: 2 % moved the test model +0.053 from B).
    static let learnedBandSigma = 0.0175
    /// The features (both the target's own and where the source's land) are grown by, and then
    /// feathered by a Gaussian of, this share of the face size.
    static let feather = 0.01
    /// The features a learned face keeps its own band in. Measured (learned_long_run.py, second
    /// pair, A's 99 held-out frames, skin_texture 1; figures as the 64 model at 12 minutes / the
    /// 64->128 model at 12 / at 30 minutes): with every feature kept (before 0.20.0) Laplacian
    /// variance in the face 0.25x the target's, in the eyes 0.09x; with the brows and lips kept
    /// 0.725 / 0.732 / 0.731x in the face, 0.76x in the eyes, the mouth 0.57-0.59x as before,
    /// distance to B 0.488 -> 0.489 / 0.468 -> 0.467 / 0.432 -> 0.437, landmarks unchanged. With
    /// the lips taken too, the face 0.777x on the 30-minute model, but on the test suite's short
    /// model (test_learned.py) the distance to B moves +0.05-0.07 against +0.04-0.045; with the
    /// brows too, 0.790x and the distance to B 0.451 on the 30-minute model. The nostrils' band
    /// carried the target person's identity (first pair, 0.20.0: the nostrils' alone moved the
    /// distance to B 0.544 -> 0.572; the eyes' nothing), so since 0.21.0 they keep theirs too.
    static let learnedKeeps: FaceFeatures.Parts = [.brows, .lips, .nostrils]
    /// A learned face's person's own detail (the model's DetailFace, warped onto the same mesh) is
    /// taken on the face mask shrunk by `detailInset` of the eye distance (the real face's jaw line
    /// and what lies beyond it stay out), feathered by `detailFeather`, less the mouth's opening.
    static let detailInset = 0.12, detailFeather = 0.04
    /// An eye of the placed face less open than this share of the same eye on the detail face
    /// (Eyelids.gapRatios) takes none of the detail face's band (its open eye, squashed onto a
    /// closing lid, reads as a half-open slit), over `closedEyeGrowth` of the eye's width.
    static let closedEye = 0.5, closedEyeGrowth = 1.6

    /// Gives `face` (the warped, colour-matched source, BGR8, the region's size) the fine detail
    /// of `reference` (the target's region) by `strength` (0–1) where `hard` (the face mask) is
    /// set, away from the features of `target` (the target's 68 landmarks) and `placed` (where
    /// the source's land), both in image coordinates (only `learnedKeeps` when `learned`); `size`
    /// is the face size, `roi` the region.
    static func apply(_ strength: Double, to face: Image, reference: Image, hard: Image, target: [Point],
                      placed: [Point], size: Double, roi: IntRect, learned: Bool, detail: Image? = nil,
                      detailShape: [Point]? = nil) throws {
        if strength <= 0 { return }
        let origin = Point(Double(roi.x), Double(roi.y))
        let features = try Image(width: roi.width, height: roi.height, format: .gray8)
        for p in [target, placed] {
            try FaceFeatures.draw(into: features, p, size: size, origin: origin, scale: 1, brow: 255,
                                  parts: learned ? learnedKeeps : .all)
        }
        let r = max(1, feather * size)
        try shim(fsx_morph(features.view, Int32(r.rounded())), "skin texture")
        try shim(fsx_blur(features.view, r), "skin texture")
        let weight = try hard.copy()
        try shim(fsx_mask_subtract(weight.view, features.view), "skin texture")
        let eyes = Point.mean(target[36...41]).distance(to: Point.mean(target[42...47]))
        var detailWeight: Image? = nil
        if detail != nil {
            let w = try hard.copy()
            try shim(fsx_morph(w.view, -Int32((detailInset * eyes).rounded())), "skin texture")
            for p in [target, placed] {
                try FaceFeatures.fill(w, Array(p[60...67]), origin: origin, scale: 1, value: 0)
            }
            if let shape = detailShape {
                for (k, q) in Eyelids.gapRatios(target: placed, photo: shape).enumerated() where (q ?? 1) < closedEye {
                    // A hexagon along the eye's corners, as long as `closedEyeGrowth` eye widths
                    // and 0.7 of one high: the lid, the lashes and the squashed eye between them.
                    let a = placed[36 + 6 * k], b = placed[39 + 6 * k], c = (a + b) * 0.5
                    let u = (b - a) * (0.5 * closedEyeGrowth), v = Point(-(b - a).y, (b - a).x) * 0.35
                    let hexagon = [c - u, c - u * 0.5 - v, c + u * 0.5 - v, c + u, c + u * 0.5 + v, c - u * 0.5 + v]
                    try FaceFeatures.fill(w, hexagon, origin: origin, scale: 1, value: 0)
                }
            }
            try shim(fsx_blur(w.view, max(1, detailFeather * eyes)), "skin texture")
            detailWeight = w
        }
        try shim(fsx_skin_texture(face.view, reference.view, weight.view, detail?.view ?? fsx_view(),
                                  detailWeight?.view ?? fsx_view(), max(0.7, (learned ? learnedBandSigma : bandSigma) * eyes), strength),
                 "skin texture")
    }
}
