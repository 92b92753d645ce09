/// The One-Euro filter (Casiez, Roussel & Vogel, CHI 2012) over a vector: a low-pass filter whose
/// cutoff rises with speed — steady when still (no jitter), quick when moving (little lag).
struct OneEuroFilter {
    var minCutoff: Double
    var beta: Double
    var derivativeCutoff: Double
    /// Speeds are divided by this (e.g. the face's inter-ocular distance) so beta is scale-free.
    var scale: Double
    private var value: [Double]? = nil
    private var derivative: [Double] = []
    private var lastTime = 0.0

    init(minCutoff: Double, beta: Double, derivativeCutoff: Double = 1.0, scale: Double = 1) {
        self.minCutoff = minCutoff
        self.beta = beta
        self.derivativeCutoff = derivativeCutoff
        self.scale = max(scale, 1e-6)
    }

    private static func alpha(_ cutoff: Double, _ dt: Double) -> Double {
        let tau = 1.0 / (2 * Double.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)
    }

    mutating func reset() { value = nil }

    mutating func filter(_ x: [Double], time: Double) -> [Double] {
        if minCutoff <= 0 { return x }
        guard let prev = value, prev.count == x.count else {
            value = x
            derivative = [Double](repeating: 0, count: x.count)
            lastTime = time
            return x
        }
        let dt = max(time - lastTime, 1e-3)
        lastTime = time
        let ad = OneEuroFilter.alpha(derivativeCutoff, dt)
        var out = x
        var speed = 0.0
        for i in x.indices {
            let d = (x[i] - prev[i]) / dt
            derivative[i] += ad * (d - derivative[i])
            speed += derivative[i] * derivative[i]
        }
        // One cutoff for the whole shape (its RMS speed): points of one face move together.
        speed = (speed / Double(max(1, x.count))).squareRoot() / scale
        let a = OneEuroFilter.alpha(minCutoff + beta * speed, dt)
        for i in x.indices { out[i] = prev[i] + a * (x[i] - prev[i]) }
        value = out
        return out
    }
}
