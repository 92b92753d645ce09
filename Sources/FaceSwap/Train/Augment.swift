#if canImport(Glibc)
import Glibc
#endif
import CFaceShim

/// Training-time augmentation, drawn from the trainer's seeded generator: a random similarity
/// (rotation, scale, shift), a horizontal flip, brightness/contrast, and the classic random warp
/// of the input — a smooth displacement the decoder has to undo, so it learns faces, not copying.
public struct Augmentation: Sendable, Equatable {
    public var rotationDegrees = 10.0
    public var scale = 0.05
    public var shift = 0.05
    public var flip = true
    public var brightness = 0.05
    public var contrast = 0.1
    /// Random-warp strength: standard deviation of a 5 × 5 grid's displacements, in network pixels
    /// per 64.
    public var warp = 1.6
    public init() {}
    public static let none: Augmentation = {
        var a = Augmentation()
        a.rotationDegrees = 0; a.scale = 0; a.shift = 0; a.flip = false; a.brightness = 0; a.contrast = 0; a.warp = 0
        return a
    }()
}

/// One batch as the network wants it.
struct Batch {
    var input: [Float]
    var target: [Float]
    var mask: [Float]
    let count: Int
}

enum Augmenter {
    /// One augmented draw: which face, the working crop -> network transform (jitter about the
    /// crop's centre, maybe mirrored), and the colour jitter. The draws' order is fixed (resume).
    static func draw(_ set: FaceSet, size s: Int, base: Affine, augmentation a: Augmentation,
                     rng: inout Xoshiro) -> (index: Int, transform: Affine, contrast: Float, brightness: Float) {
        let k = rng.index(set.count)
        let c = Double(s) / 2
        let angle = rng.uniform(-a.rotationDegrees, a.rotationDegrees) * Double.pi / 180
        let sc = 1 + rng.uniform(-a.scale, a.scale)
        let tx = rng.uniform(-a.shift, a.shift) * Double(s), ty = rng.uniform(-a.shift, a.shift) * Double(s)
        let flip = a.flip && rng.unit() < 0.5
        let contrast = Float(1 + rng.uniform(-a.contrast, a.contrast))
        let brightness = Float(rng.uniform(-a.brightness, a.brightness))
        let ca = cos(angle) * sc, sa = sin(angle) * sc
        var j = Affine(ca, -sa, c - ca * c + sa * c + tx, sa, ca, c - sa * c - ca * c + ty)
        if flip { j = Affine(-1, 0, Double(s), 0, 1, 0).after(j) }
        return (k, j.after(base), contrast, brightness)
    }

    /// A batch of n faces of `set` drawn by `rng`, augmented; A's faces get the colour shift.
    /// Targets and masks are s × s; inputs the warped face shrunk to inputSize (area averaging).
    static func batch(_ set: FaceSet, count n: Int, size s: Int, inputSize: Int, padding: Double, shift: [Double]?,
                      augmentation a: Augmentation, rng: inout Xoshiro) throws -> Batch {
        let plane = s * s, inPlane = inputSize * inputSize
        var b = Batch(input: [Float](repeating: 0, count: n * 3 * inPlane), target: [Float](repeating: 0, count: n * 3 * plane),
                      mask: [Float](repeating: 0, count: n * plane), count: n)
        let base = set.baseTransform(modelSize: s, modelPadding: padding)
        for i in 0..<n {
            let d = draw(set, size: s, base: base, augmentation: a, rng: &rng)
            let target = try set.crops[d.index].warped(d.transform, width: s, height: s)
            let mask = try set.masks[d.index].warped(d.transform, width: s, height: s)
            let warped = a.warp > 0 ? try randomWarp(target, strength: a.warp * Double(s) / 64, rng: &rng) : target
            let input = try warped.scaled(width: inputSize, height: inputSize)
            Tensors.planar(target, shift: shift, into: &b.target, at: i * 3 * plane, contrast: d.contrast, brightness: d.brightness)
            Tensors.planar(input, shift: shift, into: &b.input, at: i * 3 * inPlane, contrast: d.contrast, brightness: d.brightness)
            Tensors.gray(mask, into: &b.mask, at: i * plane)
        }
        return b
    }

    /// The landmark GAN's batch: the input is each augmented face's own landmarks (moved by the
    /// same transform) drawn as a map; no random warp (the map, not the face, is the input).
    static func landmarkBatch(_ set: FaceSet, count n: Int, size s: Int, padding: Double,
                              augmentation a: Augmentation, rng: inout Xoshiro) throws -> Batch {
        let plane = s * s
        var b = Batch(input: [Float](repeating: 0, count: n * LandmarkMap.channels * plane),
                      target: [Float](repeating: 0, count: n * 3 * plane), mask: [Float](repeating: 0, count: n * plane), count: n)
        let base = set.baseTransform(modelSize: s, modelPadding: padding)
        var points: [[Point]] = []
        for i in 0..<n {
            let d = draw(set, size: s, base: base, augmentation: a, rng: &rng)
            let target = try set.crops[d.index].warped(d.transform, width: s, height: s)
            let mask = try set.masks[d.index].warped(d.transform, width: s, height: s)
            points.append(set.workingLandmarks(d.index).map { d.transform.apply($0) })
            Tensors.planar(target, shift: nil, into: &b.target, at: i * 3 * plane, contrast: d.contrast, brightness: d.brightness)
            Tensors.gray(mask, into: &b.mask, at: i * plane)
        }
        try LandmarkMap.render(points, size: s, into: &b.input)
        return b
    }

    /// The face remapped through a smooth random field: a 5 × 5 grid of displacements
    /// (standard deviation `strength` px) interpolated bilinearly over the image.
    static func randomWarp(_ img: Image, strength: Double, rng: inout Xoshiro) throws -> Image {
        let s = img.width, g = 5
        var dx = [Double](repeating: 0, count: g * g), dy = dx
        for i in 0..<(g * g) { dx[i] = rng.normal() * strength; dy[i] = rng.normal() * strength }
        var map = [Float](repeating: 0, count: 2 * s * s)
        let step = Double(s - 1) / Double(g - 1)
        for y in 0..<s {
            let gy = Double(y) / step, y0 = min(g - 2, Int(gy)), fy = gy - Double(y0)
            for x in 0..<s {
                let gx = Double(x) / step, x0 = min(g - 2, Int(gx)), fx = gx - Double(x0)
                func lerp(_ f: [Double]) -> Double {
                    let a = f[y0 * g + x0] * (1 - fx) + f[y0 * g + x0 + 1] * fx
                    let b = f[(y0 + 1) * g + x0] * (1 - fx) + f[(y0 + 1) * g + x0 + 1] * fx
                    return a * (1 - fy) + b * fy
                }
                map[2 * (y * s + x)] = Float(Double(x) + lerp(dx))
                map[2 * (y * s + x) + 1] = Float(Double(y) + lerp(dy))
            }
        }
        let out = try Image(width: s, height: s, format: img.format)
        try shim(fsx_remap(img.view, out.view, map), "random warp")
        return out
    }
}
