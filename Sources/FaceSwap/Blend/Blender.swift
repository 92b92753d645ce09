import CFaceShim

/// Blends the converted face into the target region.
enum Blender {
    static func blend(_ mode: BlendMode, face: Image, into target: Image, alpha: Image, hard: Image) throws {
        try shim(fsx_blend(face.view, target.view, alpha.view, hard.view, mode.rawValue), "blend (\(mode.name))")
    }

    /// The same on the face's rows only (alpha and multiband; the others over the whole region).
    static func blend(_ mode: BlendMode, face: Image, into target: Image, alpha: Image, hard: Image, spans: [Int32]) throws {
        try shim(fsx_blend_rows(face.view, target.view, alpha.view, hard.view, spans, mode.rawValue), "blend (\(mode.name))")
    }
}
