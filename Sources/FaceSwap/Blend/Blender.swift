import CFaceShim

/// Blends the converted face into the target region.
enum Blender {
    static func blend(_ mode: BlendMode, face: Image, into target: Image, alpha: Image, hard: Image) throws {
        try shim(fsx_blend(face.view, target.view, alpha.view, hard.view, mode.rawValue), "blend (\(mode.name))")
    }

    /// The same on the face's rows only (alpha and multiband; the others over the whole region);
    /// `region` is where target lies in the image (multiband's grid is fixed in the image).
    static func blend(_ mode: BlendMode, face: Image, into target: Image, alpha: Image, hard: Image, spans: [Int32],
                      region: IntRect) throws {
        try shim(fsx_blend_rows(face.view, target.view, alpha.view, hard.view, spans, Int32(region.x), Int32(region.y),
                                mode.rawValue), "blend (\(mode.name))")
    }
}
