@testable import FaceSwap
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The One-Euro filter (Casiez, Roussel & Vogel, CHI 2012) against its defining equations, worked
/// out by hand here: with sampling period Te and cutoff fc, each step is the exponential smoothing
///     y[n] = y[n-1] + α·(x[n] − y[n-1]),   α = 1 / (1 + τ/Te),   τ = 1 / (2π·fc),
/// and the cutoff is fc = minCutoff + beta·|ẋ| (ẋ: the low-passed speed, divided by `scale`).
final class OneEuroTests: XCTestCase {
    static func alpha(cutoff: Double, period: Double) -> Double {
        let tau = 1 / (2 * Double.pi * cutoff)
        return 1 / (1 + tau / period)
    }

    /// A signal that does not move passes unchanged, whatever the settings.
    func testConstantPassesUnchanged() {
        for beta in [0.0, 1.0, 50.0] {
            var f = OneEuroFilter(minCutoff: 1.5, beta: beta, scale: 3)
            let x = [12.5, -7.25, 1e6]
            for n in 0..<300 {
                XCTAssertEqual(f.filter(x, time: Double(n) / 30), x, "beta \(beta), sample \(n)")
            }
        }
    }

    /// A unit step with beta = 0 follows 1 − (1 − α)ⁿ exactly, and after τ seconds it has come
    /// 1 − 1/e of the way (the first-order time constant; exact as Te → 0, here Te = τ/1000, which
    /// at 0.1 Hz stays above the filter's 1 ms floor on the time step).
    func testStepFollowsTheCutoffsTimeConstant() {
        for (fc, rate) in [(1.0, 30.0), (2.0, 60.0), (0.5, 25.0)] {
            let te = 1 / rate
            let a = OneEuroTests.alpha(cutoff: fc, period: te)
            var f = OneEuroFilter(minCutoff: fc, beta: 0)
            XCTAssertEqual(f.filter([0], time: 0), [0])
            for n in 1...200 {
                let y = f.filter([1], time: Double(n) * te)[0]
                XCTAssertEqual(y, 1 - pow(1 - a, Double(n)), accuracy: 1e-12, "fc \(fc) Hz, sample \(n)")
            }
        }
        let fc = 0.1, tau = 1 / (2 * Double.pi * fc), te = tau / 1000
        var f = OneEuroFilter(minCutoff: fc, beta: 0)
        _ = f.filter([0], time: 0)
        var y = 0.0
        for n in 1...1000 { y = f.filter([1], time: Double(n) * te)[0] }
        XCTAssertEqual(y, 1 - exp(-1), accuracy: 1e-3)
    }

    /// White noise on a constant: the output's standard deviation is the input's times
    /// √(α / (2 − α)), the noise gain of first-order exponential smoothing (Σ α²(1 − α)^(2k)).
    func testNoiseIsAttenuatedByTheExpectedFactor() {
        let fc = 1.0, te = 1.0 / 30, sigma = 2.0
        let a = OneEuroTests.alpha(cutoff: fc, period: te)
        let expected = (a / (2 - a)).squareRoot()
        var f = OneEuroFilter(minCutoff: fc, beta: 0)
        var rng = SplitMix(seed: 20240611)
        var inSum = 0.0, inSq = 0.0, outSum = 0.0, outSq = 0.0
        let settle = 200, count = 200_000
        for n in 0..<(settle + count) {
            let x = 5 + sigma * rng.normal()
            let y = f.filter([x], time: Double(n) * te)[0]
            if n < settle { continue }
            inSum += x; inSq += x * x; outSum += y; outSq += y * y
        }
        let m = Double(count)
        let sdIn = (inSq / m - (inSum / m) * (inSum / m)).squareRoot()
        let sdOut = (outSq / m - (outSum / m) * (outSum / m)).squareRoot()
        print("One-Euro noise gain: measured \(sdOut / sdIn), expected \(expected) (alpha \(a))")
        XCTAssertEqual(sdOut / sdIn, expected, accuracy: 0.03 * expected)
        XCTAssertEqual(outSum / m, 5, accuracy: 0.05)  // no bias
    }

    /// A ramp x = v·t: with beta = 0 the steady lag is exactly v·τ(minCutoff) (solve
    /// e = (1 − α)(e + v·Te)); with beta > 0 the cutoff is at least minCutoff + beta·v/scale (the
    /// speed estimate (x[n] − y[n-1])/Te = v + e/Te is at least v), so the lag is at most
    /// v / (2π(minCutoff + beta·v/scale)): bounded, and shrinking as beta grows.
    func testRampLagIsBoundedAndShrinksWithBeta() {
        let v = 40.0, scale = 100.0, fmin = 1.0, te = 1.0 / 30
        var lags: [Double] = []
        for beta in [0.0, 0.5, 2, 8, 32] {
            var f = OneEuroFilter(minCutoff: fmin, beta: beta, scale: scale)
            var lag = 0.0, previousLag = Double.nan
            for n in 0...900 {  // 30 s: far past the filters' settling
                let t = Double(n) * te
                let x = [v * t, -v * t]  // two coordinates moving alike: RMS speed v
                let y = f.filter(x, time: t)
                previousLag = lag
                lag = x[0] - y[0]
                XCTAssertEqual(y[1], -y[0], accuracy: 1e-9)
            }
            XCTAssertEqual(lag, previousLag, accuracy: 1e-9 * v, "beta \(beta): steady")
            let bound = v / (2 * Double.pi * (fmin + beta * v / scale))
            if beta == 0 {
                XCTAssertEqual(lag, v / (2 * Double.pi * fmin), accuracy: 1e-9 * v)
            } else {
                XCTAssertLessThanOrEqual(lag, bound * (1 + 1e-9), "beta \(beta)")
                // The paper's speed estimate makes the steady lag the root of
                // e = v / (2π(fmin + beta·(v + e/Te)/scale)) (right side falls as e grows: bisect).
                var lo = 0.0, hi = v / (2 * Double.pi * fmin)
                for _ in 0..<200 {
                    let mid = (lo + hi) / 2
                    if mid < v / (2 * Double.pi * (fmin + beta * (v + mid / te) / scale)) { lo = mid } else { hi = mid }
                }
                XCTAssertEqual(lag, lo, accuracy: 1e-6 * lo, "beta \(beta)")
            }
            XCTAssertGreaterThan(lag, 0)
            lags.append(lag)
        }
        print("One-Euro ramp lag (px) for beta 0, 0.5, 2, 8, 32: \(lags)")
        for k in 1..<lags.count { XCTAssertLessThan(lags[k], lags[k - 1]) }
    }

    /// The first sample initialises; a minimum cutoff of 0 turns the filter off.
    func testFirstSampleAndOff() {
        var f = OneEuroFilter(minCutoff: 1, beta: 0)
        XCTAssertEqual(f.filter([3, 4], time: 0), [3, 4])
        var off = OneEuroFilter(minCutoff: 0, beta: 5)
        _ = off.filter([0], time: 0)
        XCTAssertEqual(off.filter([100], time: 1.0 / 30), [100])
    }
}

/// A small deterministic generator for test noise (SplitMix64; Box–Muller normals).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func normal() -> Double {
        let u = max(unit(), 1e-300), w = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * w)
    }
}
