/// How a face is converted onto the target's pose and expression.
public enum ConvertMode: Int32, Sendable, CaseIterable {
    /// One global affine map from the target's 68 points to the source's.
    case affine = 0
    /// Piecewise-affine over a Delaunay triangulation of the target's points: follows expression.
    case delaunay = 1
    public var name: String { EnumKind.convertMode.name(rawValue)! }
}

public enum ColorMode: Int32, Sendable, CaseIterable {
    case none = 0, mean = 1, reinhard = 2, histogram = 3
    public var name: String { EnumKind.colorMode.name(rawValue)! }
}

public enum BlendMode: Int32, Sendable, CaseIterable {
    /// Feathered alpha.
    case alpha = 0
    /// Poisson cloning by a membrane interpolated over a pyramid (fast).
    case poisson = 1
    /// Laplacian-pyramid blending.
    case multiband = 2
    /// OpenCV's seamlessClone (exact Poisson solve; slow on large faces).
    case poissonExact = 3
    public var name: String { EnumKind.blendMode.name(rawValue)! }
}

public struct SwapOptions: Sendable {

    public var mode: ConvertMode = .delaunay
    public var color: ColorMode = .reinhard
    /// How much of the colour correction applies: 0 keeps the source's colours, 1 the full match.
    public var colorStrength: Double = 1
    /// How much of the low-frequency colour and light match at the face's edge applies, after
    /// `color` (ColourTransfer.matchEdge), and (with `occlusion` off) the occluders that cross the
    /// seam kept within its band (Occlusion.remove's `seam`): 0 (the default) turns both off. Off
    /// by default: it lowers the colour step at the edge but moves the result's identity towards
    /// the target's (Tests/python/test_edge.py has the figures).
    public var edgeColor: Double = 0
    public var blend: BlendMode = .multiband
    /// Delaunay mode: how far the inner features (brows, eyes, nose, mouth) take the target's
    /// shape and expression (1) or keep the source's shape, posed like the target (0). The jaw
    /// always follows the target; the mouth follows it at least half way.
    public var expression: Double = 0.6
    /// Raise the mask's brow edge towards the forehead by this fraction of the brow-to-chin height.
    public var forehead: Double = 0.1
    /// Shrink (> 0) or grow (< 0) the mask by this fraction of the face size.
    public var erode: Double = 0.04
    /// Feather radius as a fraction of the face size.
    public var feather: Double = 0.06
    /// Keep the target's mouth interior (teeth, tongue) instead of the source's.
    public var keepMouth: Bool = true
    /// -1: every face in the target; N ≥ 0: only the N-th largest.
    public var faceIndex: Int = -1
    /// Only swap target faces within `identityThreshold` of this embedding (needs the ResNet).
    public var reference: [Float]? = nil
    public var identityThreshold: Double = 0.6
    /// A target with no (matching) face is passed through unchanged instead of failing.
    public var keepUnmatched: Bool = false
    /// Learned model: convert B's faces into A's (default: A's into B's).
    public var reverse: Bool = false
    /// Learned model: also limit the mask to the decoder's own mask output.
    public var useModelMask: Bool = false
    /// Learned model: keep the decoder's own face shape, mapped back by the alignment alone;
    /// false fits 68 landmarks on the decoded face and warps them like a photo source's (the jaw
    /// onto the target's, the features by `expression`).
    public var keepModelShape: Bool = false
    /// Keep what covers the target's face (glasses, hands, hair, microphones) in front of the
    /// swapped face: a per-face occlusion mask (Mask/Occlusion.swift) taken out of the blend.
    public var occlusion: Bool = false
    /// How much of the target's fine skin texture (a high-pass band, Colour/SkinTexture.swift)
    /// replaces the source's on the face's skin, away from eyes, brows, nostrils and mouth (a
    /// learned face's eyes and nostrils take it too): 0 (the default) keeps the source's own.
    public var skinTexture: Double = 0
    public init() {}

    func validate() throws {
        // Ranges: the option table (Core/OptionTable.swift).
        try OptionField.validate(Self.fields, self, .swap)
        if let r = reference, r.count != 128 || r.contains(where: { !$0.isFinite }) {
            throw FaceSwapError(.invalidArgument, "fs_swap_options: the reference embedding must be 128 finite numbers")
        }
    }
}
