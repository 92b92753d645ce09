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

/// Tiles in a grid, the layout faceswap.h writes down for fs_reenact_grid_video: every tile scaled
/// to one height (its width rounded, then down to even, at least 2); `columns` columns (0:
/// ceil(sqrt(tiles)); more than the tiles: one row); tile k in row k / columns, column k % columns;
/// each column as wide as its widest tile, a tile centred in its cell (its left offset rounded down
/// to even, so a tile keeps its 2 × 2 chroma blocks);
/// `gap` black pixels between columns and between rows. With an even height and gap the canvas is
/// even both ways (H.264 4:2:0).
public struct MontageGrid: Sendable {
    /// Each tile's scaled size, in order.
    public let tiles: [(width: Int, height: Int)]
    public let columns: Int
    public let rows: Int
    public let columnWidths: [Int]
    public let gap: Int
    public let width: Int
    public let height: Int

    /// `sizes`: the tiles' own sizes; `height`: the one they are scaled to.
    public init(sizes: [(width: Int, height: Int)], height: Int, columns: Int = 0, gap: Int = 8) throws {
        guard !sizes.isEmpty else { throw FaceSwapError(.invalidArgument, "a grid needs at least one tile") }
        guard height >= 2, columns >= 0, gap >= 0, sizes.allSatisfy({ $0.width > 0 && $0.height > 0 }) else {
            throw FaceSwapError(.invalidArgument, "a grid of \(sizes.count) tiles at height \(height), \(columns) columns, gap \(gap)")
        }
        let n = sizes.count
        let c = columns == 0 ? Int(Double(n).squareRoot().rounded(.up)) : min(columns, n)
        tiles = sizes.map { s in (max(2, Int((Double(s.width) * Double(height) / Double(s.height)).rounded()) & ~1), height) }
        self.columns = c
        rows = (n + c - 1) / c
        let tiles = self.tiles
        columnWidths = (0..<c).map { col in stride(from: col, to: n, by: c).map { tiles[$0].width }.max() ?? 0 }
        self.gap = gap
        width = columnWidths.reduce(0, +) + gap * (c - 1)
        self.height = rows * height + gap * (rows - 1)
        try ImageLimits.check(width: width, height: self.height, "the grid of \(n) tiles")
    }

    /// Tile k's place on the canvas.
    public func rect(_ k: Int) -> IntRect {
        let col = k % columns, row = k / columns
        let cellX = columnWidths[..<col].reduce(0, +) + gap * col
        let t = tiles[k]
        return IntRect(x: cellX + ((columnWidths[col] - t.width) / 2) & ~1, y: row * (t.height + gap), width: t.width, height: t.height)
    }

    /// The images (one per tile, in order, any size: each is scaled to its tile) on a black canvas.
    /// One tile already of the canvas's size is returned as it is.
    public func compose(_ images: [Image]) throws -> Image {
        guard images.count == tiles.count else {
            throw FaceSwapError(.invalidArgument, "\(images.count) images for a grid of \(tiles.count) tiles")
        }
        if images.count == 1, images[0].width == width, images[0].height == height, images[0].format == .bgr8 { return images[0] }
        let canvas = try Image(width: width, height: height, format: .bgr8)
        for (k, img) in images.enumerated() {
            let r = rect(k)
            let bgr = try img.ensuring(.bgr8)
            try canvas.region(r).assign(from: bgr.width == r.width && bgr.height == r.height ? bgr : try bgr.resized(width: r.width, height: r.height))
        }
        return canvas
    }
}
