import CFaceShim

/// The face mask in a region of interest: hull of jaw + (raised) brows, eroded or dilated, the
/// mouth interior optionally removed, and its feathered version for blending.
enum FaceMask {
    /// Binary (anti-aliased) mask of the face outline.
    static func hard(_ mesh: FaceMesh, roi: IntRect, erode: Double, keepMouth: Bool) throws -> Image {
        let mask = try Image(width: roi.width, height: roi.height, format: .gray8)
        let xy = FaceMesh.flat(mesh.outlinePoints)
        try shim(fsx_fill_hull(mask.view, xy, Int32(mesh.outline.count), Double(roi.x), Double(roi.y), 255), "mask")
        let r = Int((erode * mesh.faceSize).rounded())
        if r != 0 { try shim(fsx_morph(mask.view, Int32(-r)), "mask") }
        if keepMouth {
            let mouth = try Image(width: roi.width, height: roi.height, format: .gray8)
            let m = FaceMesh.flat(FaceMesh.innerMouth.map { mesh.points[$0] })
            try shim(fsx_fill_poly(mouth.view, m, Int32(FaceMesh.innerMouth.count), Double(roi.x), Double(roi.y), 255), "mask")
            try shim(fsx_morph(mouth.view, Int32(max(1, (0.01 * mesh.faceSize).rounded()))), "mask")
            try shim(fsx_blur(mouth.view, 1.0), "mask")
            try shim(fsx_mask_subtract(mask.view, mouth.view), "mask")
        }
        return mask
    }

    /// The feathered alpha: the hard mask pulled in by half the radius, then blurred.
    static func feathered(_ hard: Image, radius: Double) throws -> Image {
        let alpha = try hard.copy()
        if radius >= 1 {
            try shim(fsx_morph(alpha.view, Int32(-(radius / 2).rounded())), "feather")
            try shim(fsx_blur(alpha.view, radius / 2), "feather")
        }
        return alpha
    }

    static func intersect(_ mask: Image, _ other: Image) throws { try shim(fsx_mask_and(mask.view, other.view), "mask") }
    static func union(_ mask: Image, _ other: Image) throws { try shim(fsx_mask_or(mask.view, other.view), "mask") }
}
