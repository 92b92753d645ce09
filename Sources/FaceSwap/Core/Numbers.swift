#if canImport(Glibc)
import Glibc
#endif

/// A C float as the decimal a caller wrote: 0.3f arrives as 0.30000001192…, which would fail a
/// range check at 0.3 and read badly in messages; this rounds it to float's 7 significant digits.
public func fromCFloat(_ f: Float) -> Double {
    let v = Double(f)
    guard v.isFinite, v != 0 else { return v }
    let scale = pow(10, 7 - log10(abs(v)).rounded(.up))
    return (v * scale).rounded() / scale
}
