import CFaceShim

/// The face mask in a region of interest: hull of jaw + (raised) brows, eroded or dilated, the
/// mouth interior optionally removed, and its feathered version for blending.
enum FaceMask {
    /// The face masks in roi: `hard` (binary: the outline, eroded or grown) and `alpha` (a smooth
    /// ramp `feather` px wide inside hard's edge), with the mouth interior optionally removed.
    static func make(_ mesh: FaceMesh, roi: IntRect, erode: Double, feather: Double, keepMouth: Bool) throws -> (hard: Image, alpha: Image) {
        let outline = try Image(width: roi.width, height: roi.height, format: .gray8)
        let xy = FaceMesh.flat(mesh.outlinePoints)
        try shim(fsx_fill_hull(outline.view, xy, Int32(mesh.outline.count), Double(roi.x), Double(roi.y), 255), "mask")
        let hard = try Image(width: roi.width, height: roi.height, format: .gray8)
        let alpha = try Image(width: roi.width, height: roi.height, format: .gray8)
        try shim(fsx_feather(outline.view, hard.view, alpha.view, erode * mesh.faceSize, feather), "feather")
        if keepMouth {
            let mouth = try Image(width: roi.width, height: roi.height, format: .gray8)
            let m = FaceMesh.flat(FaceMesh.innerMouth.map { mesh.points[$0] })
            try shim(fsx_fill_poly(mouth.view, m, Int32(FaceMesh.innerMouth.count), Double(roi.x), Double(roi.y), 255), "mask")
            try shim(fsx_morph(mouth.view, Int32(max(1, (0.01 * mesh.faceSize).rounded()))), "mask")
            try shim(fsx_blur(mouth.view, max(1, 0.01 * mesh.faceSize)), "mask")
            try shim(fsx_mask_subtract(hard.view, mouth.view), "mask")
            try shim(fsx_mask_subtract(alpha.view, mouth.view), "mask")
        }
        return (hard, alpha)
    }

    static func intersect(_ mask: Image, _ other: Image) throws { try shim(fsx_mask_and(mask.view, other.view), "mask") }
    static func union(_ mask: Image, _ other: Image) throws { try shim(fsx_mask_or(mask.view, other.view), "mask") }
}
