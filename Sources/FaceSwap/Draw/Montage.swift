/// Pictures for people: images side by side at one height (before/after comparisons).
public enum Montage {
    /// `width`: the canvas width (nil: just wide enough); images beyond it are cut off.
    public static func sideBySide(_ images: [Image], height: Int = 512, gap: Int = 8, width fixedWidth: Int? = nil) throws -> Image {
        guard !images.isEmpty else { throw FaceSwapError(.invalidArgument, "nothing to put side by side") }
        let scaled = try images.map { img -> Image in
            let w = max(1, Int((Double(img.width) * Double(height) / Double(img.height)).rounded()))
            return try img.ensuring(.bgr8).resized(width: w, height: height)
        }
        let width = fixedWidth ?? (scaled.reduce(0) { $0 + $1.width } + gap * (scaled.count - 1))
        let canvas = try Image(width: width, height: height, format: .bgr8)
        var x = 0
        for img in scaled where x < width {
            let w = min(img.width, width - x)
            try canvas.region(IntRect(x: x, y: 0, width: w, height: height))
                .assign(from: w == img.width ? img : try img.region(IntRect(x: 0, y: 0, width: w, height: height)))
            x += img.width + gap
        }
        return canvas
    }
}

extension Montage {
    /// Faces smaller than this (the box's side, pixels) are shown at 2×.
    public static let smallFace = 256

    /// One picture per face: the target's face | the result's, cropped to the face's box (the
    /// detector's square, grown so the seam around the face shows) and shown at 2× when the face
    /// is small, so the edge can be judged pixel by pixel. `faces` are in `target`'s coordinates.
    public static func faceCrops(target: Image, result: Image, faces: [Face], gap: Int = 8) throws -> [Image] {
        try faces.compactMap { face -> Image? in
            let b = face.box
            let x0 = max(0, Int(b.x.rounded(.down))), y0 = max(0, Int(b.y.rounded(.down)))
            let x1 = min(target.width, Int((b.x + b.width).rounded(.up))), y1 = min(target.height, Int((b.y + b.height).rounded(.up)))
            let r = IntRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
            guard !r.isEmpty else { return nil }
            let scale = max(r.width, r.height) < smallFace ? 2 : 1
            return try sideBySide([try target.region(r), try result.region(r)], height: r.height * scale, gap: gap)
        }
    }
}
