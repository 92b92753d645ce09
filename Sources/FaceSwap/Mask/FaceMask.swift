import CFaceShim

/// The face mask in a region of interest: hull of jaw + (raised) brows, eroded or dilated, the
/// mouth interior optionally removed, and its feathered version for blending.
enum FaceMask {
    /// The face masks in roi: `hard` (binary: the outline, eroded or grown) and `alpha` (a smooth
    /// ramp `feather` px wide inside hard's edge), with the mouth interior optionally removed.
    /// `spans` (2 × roi.height) receives each row's columns where hard > 0 (before the mouth cut).
    /// The distance to the hull's edge is exact and computed only in the feather bands.
    /// `scratch`: both masks in this thread's scratch buffers 1 and 2 (Image.scratch; fsx_hull_mask
    /// writes every pixel), valid until the next call on this thread.
    static func make(_ mesh: FaceMesh, roi: IntRect, erode: Double, feather: Double, keepMouth: Bool,
                     spans: inout [Int32], scratch: Bool = false) throws -> (hard: Image, alpha: Image) {
        let xy = FaceMesh.flat(mesh.outlinePoints)
        func mask(_ slot: Int32) throws -> Image {
            scratch ? try Image.scratch(slot: slot, width: roi.width, height: roi.height, format: .gray8, zeroed: false)
                    : try Image(width: roi.width, height: roi.height, format: .gray8)
        }
        let hard = try mask(1), alpha = try mask(2)
        spans = [Int32](repeating: 0, count: 2 * roi.height)
        try shim(spans.withUnsafeMutableBufferPointer {
            fsx_hull_mask(hard.view, alpha.view, $0.baseAddress, xy, Int32(mesh.outline.count), Double(roi.x), Double(roi.y),
                          erode * mesh.faceSize, feather)
        }, "mask")
        if keepMouth {
            let m = FaceMesh.flat(FaceMesh.innerMouth.map { mesh.points[$0] })
            try shim(fsx_mouth_cut(hard.view, alpha.view, m, Int32(FaceMesh.innerMouth.count), Double(roi.x), Double(roi.y),
                                   Int32(max(1, (0.01 * mesh.faceSize).rounded())), max(1, 0.01 * mesh.faceSize)), "mask")
        }
        return (hard, alpha)
    }

    static func intersect(_ mask: Image, _ other: Image) throws { try shim(fsx_mask_and(mask.view, other.view), "mask") }
    static func union(_ mask: Image, _ other: Image) throws { try shim(fsx_mask_or(mask.view, other.view), "mask") }
}
