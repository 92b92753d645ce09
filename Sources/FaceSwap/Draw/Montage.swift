/// Pictures for people: images side by side at one height (before/after comparisons).
public enum Montage {
    /// The height images are scaled to when none is given.
    public static let defaultHeight = 512

    /// `width`: the canvas width (nil: just wide enough); images beyond it are cut off.
    public static func sideBySide(_ images: [Image], height: Int = defaultHeight, gap: Int = 8, width fixedWidth: Int? = nil) throws -> Image {
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

    /// One face's picture: `before`'s face | `after`'s, cropped to the face's box (the detector's
    /// square, grown so the seam around the face shows; clipped to the image) and shown at 2× when
    /// the face is small, so the edge can be judged pixel by pixel. `face` is in `before`'s
    /// coordinates; `after` has `before`'s size (a swap result of it).
    public static func faceCrop(before: Image, after: Image, face: Face, gap: Int = 8) throws -> Image {
        guard before.width == after.width && before.height == after.height else {
            throw FaceSwapError(.invalidArgument, "before is \(before.width)x\(before.height) but after is \(after.width)x\(after.height): they must be one size")
        }
        let b = face.box
        guard [b.x, b.y, b.width, b.height].allSatisfy(\.isFinite) else { throw FaceSwapError(.invalidArgument, "the face's box is not finite") }
        let x0 = max(0, min(Double(before.width), b.x.rounded(.down))), y0 = max(0, min(Double(before.height), b.y.rounded(.down)))
        let x1 = max(x0, min(Double(before.width), (b.x + b.width).rounded(.up)))
        let y1 = max(y0, min(Double(before.height), (b.y + b.height).rounded(.up)))
        let r = IntRect(x: Int(x0), y: Int(y0), width: Int(x1 - x0), height: Int(y1 - y0))
        guard !r.isEmpty else {
            throw FaceSwapError(.invalidArgument, "the face's box (\(b.x), \(b.y), \(b.width) x \(b.height)) lies outside the \(before.width)x\(before.height) image")
        }
        let scale = max(r.width, r.height) < smallFace ? 2 : 1
        return try sideBySide([try before.region(r), try after.region(r)], height: r.height * scale, gap: gap)
    }
}
