/// The One-Euro filter (Casiez, Roussel & Vogel, CHI 2012) over a vector: a low-pass filter whose
/// cutoff rises with speed — steady when still (no jitter), quick when moving (little lag).
struct OneEuroFilter {
    var minCutoff: Double
    var beta: Double
    var derivativeCutoff: Double
    /// Speeds are divided by this (e.g. the face's inter-ocular distance) so beta is scale-free.
    var scale: Double
    /// Coordinates per point: the speed is the RMS over points of each point's speed (1: every
    /// coordinate a point of its own, the RMS over coordinates).
    var speedDimensions: Int
    /// Coordinate ranges with a cutoff each (from their own points' RMS speed), e.g. the regions of
    /// a face, so that a moving mouth opens the mouth's filter without being diluted by the still
    /// points; nil: one cutoff for the whole vector.
    var groups: [Range<Int>]? = nil
    /// Per group (parallel to `groups`), factors on minCutoff and beta for that group (nil: 1, 1
    /// for every group), e.g. a face's eyes and mouth filtered faster than its jaw.
    var groupGains: [(cutoff: Double, beta: Double)]? = nil
    private var value: [Double]? = nil
    private var derivative: [Double] = []
    private var lastTime = 0.0

    init(minCutoff: Double, beta: Double, derivativeCutoff: Double = 1.0, scale: Double = 1, speedDimensions: Int = 1) {
        self.minCutoff = minCutoff
        self.speedDimensions = max(1, speedDimensions)
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
        for i in x.indices {
            let d = (x[i] - prev[i]) / dt
            derivative[i] += ad * (d - derivative[i])
        }
        // One cutoff per group (the RMS speed of its points): points of one region move together.
        let ranges = groups ?? [x.indices]
        for (k, g) in ranges.enumerated() where g.upperBound <= x.count {
            var speed = 0.0
            for i in g { speed += derivative[i] * derivative[i] }
            speed = (speed / Double(max(1, g.count / speedDimensions))).squareRoot() / scale
            let gain = groups != nil && k < (groupGains?.count ?? 0) ? groupGains![k] : (cutoff: 1.0, beta: 1.0)
            let a = OneEuroFilter.alpha(minCutoff * gain.cutoff + beta * gain.beta * speed, dt)
            for i in g { out[i] = prev[i] + a * (x[i] - prev[i]) }
        }
        value = out
        return out
    }
}

/// A One-Euro filter with a trend (an adaptive α-β filter): each sample is first predicted from the
/// last value and velocity, and the cutoff opens with the speed of the *surprise* (the sample's
/// distance from the prediction, low-passed) instead of the speed itself. Steady motion is then
/// followed without lag and smoothed as much as a still signal; only a change of speed opens the
/// filter. The velocity is corrected by β = α²/(2 − α) of the surprise (Benedict–Bordner), which
/// settles without overshoot for the α of the moment.
struct TrendFilter {
    var minCutoff: Double
    var beta: Double
    var derivativeCutoff: Double
    var scale: Double
    var speedDimensions: Int
    private var value: [Double]? = nil
    private var velocity: [Double] = []
    private var surprise: [Double] = []
    private var lastTime = 0.0

    init(minCutoff: Double, beta: Double, derivativeCutoff: Double = 1.0, scale: Double = 1, speedDimensions: Int = 1) {
        self.minCutoff = minCutoff
        self.beta = beta
        self.derivativeCutoff = derivativeCutoff
        self.scale = max(scale, 1e-6)
        self.speedDimensions = max(1, speedDimensions)
    }

    private static func alpha(_ cutoff: Double, _ dt: Double) -> Double {
        let tau = 1.0 / (2 * Double.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)
    }

    mutating func reset() { value = nil }

    /// The velocity (per second) of the filtered value.
    var currentVelocity: [Double] { velocity }

    mutating func filter(_ x: [Double], time: Double) -> [Double] {
        if minCutoff <= 0 { return x }
        guard let prev = value, prev.count == x.count else {
            value = x
            velocity = [Double](repeating: 0, count: x.count)
            surprise = [Double](repeating: 0, count: x.count)
            lastTime = time
            return x
        }
        let dt = max(time - lastTime, 1e-3)
        lastTime = time
        let ad = TrendFilter.alpha(derivativeCutoff, dt)
        var predicted = prev
        var speed = 0.0
        for i in x.indices {
            predicted[i] = prev[i] + velocity[i] * dt
            surprise[i] += ad * ((x[i] - predicted[i]) / dt - surprise[i])
            speed += surprise[i] * surprise[i]
        }
        speed = (speed / Double(max(1, x.count / speedDimensions))).squareRoot() / scale
        let a = TrendFilter.alpha(minCutoff + beta * speed, dt)
        let b = a * a / (2 - a)
        var out = x
        for i in x.indices {
            let r = x[i] - predicted[i]
            out[i] = predicted[i] + a * r
            velocity[i] += b * r / dt
        }
        value = out
        return out
    }
}
