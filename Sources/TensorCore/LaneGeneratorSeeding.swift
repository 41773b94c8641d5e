/// Seeding the lane generator from the run's `RNG`: here, not beside the generator, because the
/// kernels' files are also compiled into the AVX-512 form's module, which has no `RNG`.
extension LaneGenerator {
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
        let s0 = lanes(&rng), s1 = lanes(&rng), s2 = lanes(&rng), s3 = lanes(&rng)
        self.init(s0: s0, s1: s1, s2: s2, s3: s3)
    }
}
