/// The one random-number generator of LMSweep: xoshiro256** (Blackman & Vigna, 2018), seeded
/// through SplitMix64. Pure integer arithmetic, so the same seed gives the same bits on any
/// machine, any rank and any Swift version (unlike `SystemRandomNumberGenerator`).
public struct RNG: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64
    /// The second Box–Muller output, kept for the next `normal()` call.
    private var spareNormal: Float? = nil

    public init(seed: UInt64) {
        var splitmix = seed
        func next() -> UInt64 {
            splitmix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitmix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = next(); s1 = next(); s2 = next(); s3 = next()
    }

    /// An independent stream derived from this seed and a label (a run's data sampler,
    /// its dropout masks, its initialization), so adding draws to one never shifts another.
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// The generator's whole state as five words (four of xoshiro, then the kept Box–Muller
    /// output: its bits in the low half, and bit 32 set when there is one), for a checkpoint.
    public var state: [UInt64] {
        [s0, s1, s2, s3, spareNormal.map { UInt64($0.bitPattern) | (1 << 32) } ?? 0]
    }

    /// The generator a checkpoint saved (``state``); nil for a word list of another shape.
    public init?(state: [UInt64]) {
        guard state.count == 5, state[0...3].contains(where: { $0 != 0 }), state[4] >> 33 == 0 else { return nil }
        s0 = state[0]; s1 = state[1]; s2 = state[2]; s3 = state[3]
        spareNormal = state[4] >> 32 == 1 ? Float(bitPattern: UInt32(truncatingIfNeeded: state[4])) : nil
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }

    /// Uniform in [0, 1) with 24 random bits: every representable step of a Float mantissa.
    @inline(__always) public mutating func nextFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [low, high).
    @inline(__always) public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * nextFloat()
    }

    /// Uniform integer in 0..<bound, without modulo bias (Lemire's multiply-shift with rejection).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound")
        let bound64 = UInt64(bound)
        var product = next().multipliedFullWidth(by: bound64)
        if product.low < bound64 {
            let threshold = (0 &- bound64) % bound64
            while product.low < threshold { product = next().multipliedFullWidth(by: bound64) }
        }
        return Int(product.high)
    }

    /// Standard normal by the Box–Muller transform, computed in Double and rounded to Float:
    /// a last-bit difference between two libms' Double `log`/`sin`/`cos` almost never survives
    /// the rounding to Float, and every rank of one cluster shares one libm anyway.
    /// Outputs come in pairs; the second is kept for the next call.
    public mutating func normal() -> Float {
        if let spare = spareNormal { spareNormal = nil; return spare }
        // u1 in (0, 1] so log(u1) is finite.
        let u1 = (Double(next() >> 11) + 1) * (1.0 / 9_007_199_254_740_992.0)
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let radius = (-2 * _log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        spareNormal = Float(radius * _sin(angle))
        return Float(radius * _cos(angle))
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { Glibc.sin(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Darwin
@inline(__always) private func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { Darwin.sin(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
