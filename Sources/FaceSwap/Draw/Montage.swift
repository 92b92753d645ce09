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
