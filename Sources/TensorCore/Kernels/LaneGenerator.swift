/// Eight xoshiro128** generators (Blackman & Vigna, 2018) run side by side in SIMD lanes, seeded
/// from the run's `RNG`: dropout's keep/drop decisions, 8 per step, without the serial
/// dependency chain of one 64-bit generator. Deterministic: the same `RNG` state gives the same
/// lane sequences on any machine.
struct LaneGenerator {
    typealias Lanes = SIMD8<UInt32>
    private var s0: Lanes, s1: Lanes, s2: Lanes, s3: Lanes

    /// The four state words of every lane (seeded from the run's `RNG` by `init(rng:)`).
    init(s0: Lanes, s1: Lanes, s2: Lanes, s3: Lanes) {
        self.s0 = s0; self.s1 = s1; self.s2 = s2; self.s3 = s3
    }

    /// The next 8 uniform 32-bit words. Multiplies by 5 and 9 are written as shifts and adds,
    /// which the x86-64 baseline has for 32-bit lanes (it lacks a 32-bit lane multiply).
    @inline(__always) mutating func next() -> Lanes {
        let times5 = s1 &+ (s1 &<< Lanes(repeating: 2))
        let rotated = (times5 &<< Lanes(repeating: 7)) | (times5 &>> Lanes(repeating: 25))
        let result = rotated &+ (rotated &<< Lanes(repeating: 3))
        let t = s1 &<< Lanes(repeating: 9)
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 &<< Lanes(repeating: 11)) | (s3 &>> Lanes(repeating: 21))
        return result
    }
}
