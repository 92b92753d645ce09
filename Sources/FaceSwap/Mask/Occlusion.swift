import CFaceShim

/// What covers the target's face (glasses, hands, hair, microphones): a classical per-face mask
/// from a robust colour model of the face's own skin, so the blend leaves those pixels alone.
///
/// The skin is sampled on both cheeks, the nose bridge and a strip above the brows (median and
/// MAD in Lab: an occluder over part of the samples does not move them); a pixel inside the face
/// whose colour is far from that model (lightness weighed less, for shading), and that is not a
/// facial feature (eyes, brows, lips, nostrils, grown a little), is an occluder candidate; small
/// components are dropped, the rest grown by a margin and given a ramp into the face.
enum Occlusion {
    /// Distance from the skin model (in robust σ) beyond which a pixel is not skin.
    static let threshold = 3.0
    /// Weight of the lightness distance (shading changes lightness more than colour).
    static let lightWeight = 0.35
    /// Floors of the skin model's σ in L, a, b (a very even skin would otherwise flag noise).
    static let minSigma: [Double] = [3, 1.5, 1.5]

    /// Removes the occluders of the face with target landmarks `landmarks` (68, image
    /// coordinates) from `hard` and `alpha` (the face masks of `roi`); `work` is the BGR8 region.
    static func remove(from hard: Image, alpha: Image, work: Image, landmarks p: [Point], size: Double, roi: IntRect) throws {
        let w = roi.width, h = roi.height
        let ox = Double(roi.x), oy = Double(roi.y)
        func fill(_ m: Image, _ pts: [Point], grow: Double) throws {
            let part = try Image(width: w, height: h, format: .gray8)
            try shim(fsx_fill_poly(part.view, FaceMesh.flat(pts), Int32(pts.count), ox, oy, 255, 0), "occlusion mask")
            try shim(fsx_morph(part.view, Int32(max(1, (grow * size).rounded()))), "occlusion mask")
            try FaceMask.union(m, part)
        }
        // Skin samples: the cheeks (eye bottom, nose side, mouth corner, jaw), the nose bridge, a
        // strip above the brows (12 % of the face size high).
        let samples = try Image(width: w, height: h, format: .gray8)
        let up = p[27] - p[8]
        let n = (up.x * up.x + up.y * up.y).squareRoot()
        let lift = n > 0 ? up * (0.12 * size / n) : Point(0, 0)
        for poly in [[1, 2, 3, 48, 31, 40, 41, 36], [15, 14, 13, 54, 35, 47, 46, 45], [27, 42, 35, 33, 31, 39]] {
            let part = try Image(width: w, height: h, format: .gray8)
            try shim(fsx_fill_poly(part.view, FaceMesh.flat(poly.map { p[$0] }), Int32(poly.count), ox, oy, 255, 0), "occlusion mask")
            try FaceMask.union(samples, part)
        }
        let forehead = [p[19], p[24], p[24] + lift, p[19] + lift]
        try shim(fsx_fill_poly(samples.view, FaceMesh.flat(forehead), 4, ox, oy, 255, 0), "occlusion mask")
        // Facial features, never occluders: eyes (grown 4 %: lashes, lids), brows, lips, nostrils.
        let features = try Image(width: w, height: h, format: .gray8)
        try fill(features, Array(p[36...41]), grow: 0.04)
        try fill(features, Array(p[42...47]), grow: 0.04)
        try fill(features, Array(p[17...21]), grow: 0.03)
        try fill(features, Array(p[22...26]), grow: 0.03)
        try fill(features, Array(p[48...59]), grow: 0.03)
        try fill(features, Array(p[30...35]), grow: 0.03)
        let occluders = try Image(width: w, height: h, format: .gray8)
        try minSigma.withUnsafeBufferPointer { s in
            try shim(fsx_occlusion_mask(work.view, hard.view, samples.view, features.view, threshold, lightWeight,
                                        s.baseAddress, 0.002 * size * size, Int32(max(2, (0.01 * size).rounded())),
                                        max(1, 0.01 * size), occluders.view), "occlusion mask")
        }
        try shim(fsx_mask_subtract(alpha.view, occluders.view), "occlusion mask")
        try shim(fsx_mask_subtract(hard.view, occluders.view), "occlusion mask")
    }
}
