import CFaceShim

/// The target's skin texture under the source's features (fs_swap_options.skin_texture): on the
/// face's skin, the warped source's fine detail (a high-pass band: the image minus its Gaussian
/// blur) is replaced by the target's own, so that a smooth (studio, young) source keeps a rough
/// (outdoor, old) target's pores and lines, and the reverse. The eyes, brows, nostrils and mouth
/// keep the source's detail (it carries the identity); per face, in its padded region only.
enum SkinTexture {
    /// The band's Gaussian sigma, a share of the distance between the eye centres (1-2 %: pores,
    /// fine lines; the coarser shading stays the source's, matched by the colour stage).
    static let bandSigma = 0.015
    /// The features (both the target's own and where the source's land) are grown by, and then
    /// feathered by a Gaussian of, this share of the face size.
    static let feather = 0.01

    /// Gives `face` (the warped, colour-matched source, BGR8, the region's size) the fine detail
    /// of `reference` (the target's region) by `strength` (0–1) where `hard` (the face mask) is
    /// set, away from the features of `target` (the target's 68 landmarks) and `placed` (where
    /// the source's land), both in image coordinates; `size` is the face size, `roi` the region.
    static func apply(_ strength: Double, to face: Image, reference: Image, hard: Image, target: [Point],
                      placed: [Point], size: Double, roi: IntRect) throws {
        if strength <= 0 { return }
        let origin = Point(Double(roi.x), Double(roi.y))
        let features = try Image(width: roi.width, height: roi.height, format: .gray8)
        for p in [target, placed] {
            try FaceFeatures.draw(into: features, p, size: size, origin: origin, scale: 1, brow: 255)
        }
        let r = max(1, feather * size)
        try shim(fsx_morph(features.view, Int32(r.rounded())), "skin texture")
        try shim(fsx_blur(features.view, r), "skin texture")
        let weight = try hard.copy()
        try shim(fsx_mask_subtract(weight.view, features.view), "skin texture")
        let eyes = Point.mean(target[36...41]).distance(to: Point.mean(target[42...47]))
        try shim(fsx_skin_texture(face.view, reference.view, weight.view, max(0.7, bandSigma * eyes), strength),
                 "skin texture")
    }
}
