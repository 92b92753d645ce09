import CFaceShim

/// What covers the target's face (glasses, hands, hair, microphones): a classical per-face mask
/// from a robust colour model of the face's own skin, so the blend leaves those pixels alone.
///
/// Worked at 1 to 2 `workSize` px across the face (the mask is smooth at that scale) and resized to
/// the face's region. The skin is sampled in small patches on both cheeks, the nose bridge and a
/// strip above the brows; the shim keeps the patches of the majority colour (an occluder over
/// some samples does not move the model), fits the face's shading by a plane in lightness and
/// calls a pixel an occluder when its chroma, or its lightness against that plane
/// (weighed less), is far from the skin's. Facial features (eyes, brows, lips, nostrils, drawn
/// from the landmarks, outlines offset outwards) are occluders only as part of a component that
/// continues outside them (a glasses frame, an object over an eye).
enum Occlusion {
    /// The mask is computed with the face between workSize and 2·workSize px across.
    static let workSize = 128.0
    /// With edge_color (occlusion off), occluders are kept this far (in face sizes) beyond the
    /// seam (the mask's erosion and feather band) into the face. Measured on the held-out faces of
    /// test_edge.py (with version 0.12.0's seam field): 0, 0.03 and 0.06 leave 15, 14 and 12 of
    /// 36 faces over the goal; 0.06 moves a face's identity by 0.124 (over MAX_IDENTITY_SHIFT),
    /// 0.03 by 0.112 at most.
    static let seamBand = 0.03
    /// Removes the occluders of the face with target landmarks `landmarks` (68, image
    /// coordinates) from `hard` and `alpha` (the face masks of `roi`); `work` is the BGR8 region.
    /// `seam`: only the occluders within `depth` px inside the mask's outline (`outline`, image
    /// coordinates; the mouth cut does not count as an edge) and outside the facial features (of
    /// `p` and of the source's as `placed`, 68 points) are removed, with a soft limit, so
    /// what crosses the seam (a beard or stubble on the jaw, hair at the temple, a hand) stays
    /// the target's there while the face inside is swapped whole (edge_color without occlusion).
    static func remove(from hard: Image, alpha: Image, work: Image, landmarks p: [Point], size: Double, roi: IntRect,
                       seam: (outline: [Point], placed: [Point], depth: Double)? = nil) throws {
        // The region divided by an integer factor (the shim averages f × f blocks).
        let f = max(1, Int((size / workSize).rounded(.down)))
        let s = 1 / Double(f)
        let w = max(1, roi.width / f), h = max(1, roi.height / f)
        let origin = Point(Double(roi.x), Double(roi.y))
        // Polygons in the reduced region's coordinates.
        func fill(_ m: Image, _ pts: [Point]) throws { try FaceFeatures.fill(m, pts, origin: origin, scale: s) }
        // Skin samples: the cheeks (eye bottom, nose side, mouth corner, jaw), the nose bridge, a
        // strip above the brows (12 % of the face size high).
        let samples = try Image(width: w, height: h, format: .gray8)
        for poly in [[1, 2, 3, 48, 31, 40, 41, 36], [15, 14, 13, 54, 35, 47, 46, 45], [27, 42, 35, 33, 31, 39]] {
            try fill(samples, poly.map { p[$0] })
        }
        let lift = FaceFeatures.up(p) * (0.12 * size)
        try fill(samples, [p[19], p[24], p[24] + lift, p[19] + lift])
        // Facial features: brows (128: weighed less, see the shim), eyes, lips, nostrils (255).
        let features = try Image(width: w, height: h, format: .gray8)
        try FaceFeatures.draw(into: features, p, size: size, origin: origin, scale: s, brow: 128)
        let sw = size * s  // the face size at the reduced scale
        var params = fsx_occlusion_params(threshold: 3, light_weight: 0.35, min_sigma_ab: 1.5, min_sigma_l: 3,
                                          patch: max(2, 0.035 * sw), min_area: 0.002 * sw * sw,
                                          margin: max(1, 0.015 * sw), ramp: max(0.7, 0.01 * sw))
        // The occluders, written by the shim only inside `box` (this thread's scratch buffer 3).
        let occluders = try Image.scratch(slot: 3, width: roi.width, height: roi.height, format: .gray8, zeroed: false)
        var b = [Int32](repeating: 0, count: 4)
        try shim(b.withUnsafeMutableBufferPointer {
            fsx_occlusion_mask(work.view, hard.view, samples.view, features.view, &params, occluders.view, $0.baseAddress)
        }, "occlusion mask")
        let box = IntRect(x: Int(b[0]), y: Int(b[1]), width: Int(b[2]), height: Int(b[3]))
        if box.isEmpty { return }  // nothing covers the face: the masks stay as they are
        // Everything below only within the box (the occluders are 0 outside it).
        let occ = try occluders.region(box)
        if let seam {
            // The face deeper than `depth` inside the outline (a ramp a quarter of it wide further
            // in: the hull mask's alpha) is taken out of the occluders.
            let binary = try Image.scratch(slot: 4, width: box.width, height: box.height, format: .gray8, zeroed: false)
            let inner = try Image.scratch(slot: 5, width: box.width, height: box.height, format: .gray8, zeroed: false)
            let xy = FaceMesh.flat(seam.outline)
            try shim(fsx_hull_mask_window(binary.view, inner.view, xy, Int32(seam.outline.count), Double(roi.x), Double(roi.y),
                                          seam.depth, max(1, 0.25 * seam.depth), Int32(roi.width), Int32(box.x), Int32(box.y)),
                     "occlusion mask")
            try shim(fsx_mask_subtract(occ.view, inner.view), "occlusion mask")
            // Never the features (the target's and the source's as placed, brows included): at the
            // seam of a turned face an eye next to hair is one component with it, and keeping the
            // target's eye or brow there would carry its identity in.
            try removeFeatures(from: occ, box: box, [p, seam.placed], size: size, roi: roi)
        }
        try shim(fsx_mask_subtract2(alpha.region(box).view, hard.region(box).view, occ.view), "occlusion mask")
    }

    /// Takes the features of each landmark set in `sets` (full scale, brows included, blurred by
    /// 0.01 of the face size) out of `occ`, the part `box` of the region `roi`: the pixels of
    /// drawing and blurring them over the whole region, computed only around the box. They are
    /// drawn over the box grown by the blur's reach joined with the features' own bounds (the
    /// fill then clips a polygon only where the whole region's would), blurred over the grown box
    /// alone (its border is further from the box than the kernel reaches, or is the region's).
    static func removeFeatures(from occ: Image, box: IntRect, _ sets: [[Point]], size: Double, roi: IntRect) throws {
        let sigma = max(0.5, 0.01 * size)
        let reach = Int((3 * sigma).rounded(.up)) + 2  // OpenCV's 8-bit kernel: radius round(3 sigma)
        func clipped(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) -> IntRect {  // [x0, x1) × [y0, y1) within the region
            let a = max(0, x0), c = max(0, y0), e = min(roi.width, x1), g = min(roi.height, y1)
            return IntRect(x: a, y: c, width: max(0, e - a), height: max(0, g - c))
        }
        let grownBox = clipped(box.x - reach, box.y - reach, box.x + box.width + reach, box.y + box.height + reach)
        let polys = sets.flatMap { FaceFeatures.polygons($0, size: size, brow: 255) }
        var x0 = grownBox.x, y0 = grownBox.y, x1 = grownBox.x + grownBox.width, y1 = grownBox.y + grownBox.height
        for poly in polys {
            for q in poly.points {
                x0 = min(x0, Int((q.x - Double(roi.x)).rounded(.down)) - 2)
                y0 = min(y0, Int((q.y - Double(roi.y)).rounded(.down)) - 2)
                x1 = max(x1, Int((q.x - Double(roi.x)).rounded(.up)) + 3)
                y1 = max(y1, Int((q.y - Double(roi.y)).rounded(.up)) + 3)
            }
        }
        let drawn = clipped(x0, y0, x1, y1)
        let features = try Image.scratch(slot: 6, width: drawn.width, height: drawn.height, format: .gray8, zeroed: true)
        let origin = Point(Double(roi.x), Double(roi.y))
        for poly in polys {
            try FaceFeatures.fill(features, poly.points, origin: origin, scale: 1, value: poly.value,
                                  shift: (drawn.x, drawn.y))
        }
        func inDrawn(_ r: IntRect) throws -> Image {
            try features.region(IntRect(x: r.x - drawn.x, y: r.y - drawn.y, width: r.width, height: r.height))
        }
        try shim(fsx_blur(try inDrawn(grownBox).view, sigma), "occlusion mask")
        try shim(fsx_mask_subtract(occ.view, try inDrawn(box).view), "occlusion mask")
    }
}
