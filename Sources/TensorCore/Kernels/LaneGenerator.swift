/// Eight xoshiro128** generators (Blackman & Vigna, 2018) run side by side in SIMD lanes, seeded
/// from the run's `RNG`: dropout's keep/drop decisions, 8 per step, without the serial
/// dependency chain of one 64-bit generator. Deterministic: the same `RNG` state gives the same
/// lane sequences on any machine.
struct LaneGenerator {
    typealias Lanes = SIMD8<UInt32>
    private var s0: Lanes, s1: Lanes, s2: Lanes, s3: Lanes

    /// Consumes 16 draws of `rng` (two 32-bit state words per draw).
    init(rng: inout RNG) {
        func lanes(_ rng: inout RNG) -> Lanes {
            var v = Lanes()
            for lane in stride(from: 0, to: 8, by: 2) {
                let bits = rng.next()
                v[lane] = UInt32(truncatingIfNeeded: bits)
                v[lane + 1] = UInt32(truncatingIfNeeded: bits >> 32)
            }
            return v
        }
        s0 = lanes(&rng); s1 = lanes(&rng); s2 = lanes(&rng); s3 = lanes(&rng)
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
