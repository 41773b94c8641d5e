#if arch(x86_64) && LMSWEEP_NEEDS_AVX2
import _Builtin_intrinsics.intel
#endif

/// 8-lane vector helpers for the row kernels. SIMD8 lowers to two SSE registers on the x86-64
/// baseline Swift compiles for (one AVX register where available), and avoids the SIMD mask
/// operations that the baseline lowers lane by lane. Float sums are not reassociated by LLVM
/// without fast-math, so every reduction here keeps 8 partial sums explicitly.
typealias Vector8 = SIMD8<Float>

enum Vector {
    static let width = 8

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Vector8 {
        UnsafeRawPointer(p).loadUnaligned(as: Vector8.self)
    }

    @inline(__always) static func store(_ v: Vector8, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector8.self)
    }

    @inline(__always) static func sum(_ v: Vector8) -> Float {
        let half = v.lowHalf + v.highHalf
        return (half[0] + half[2]) + (half[1] + half[3])
    }

    /// Horizontal maximum as a tree (halves, then pairs): three dependent steps, not seven.
    @inline(__always) static func max(_ v: Vector8) -> Float {
        let a = v.lowHalf, b = v.highHalf
        let m0 = a[0] > b[0] ? a[0] : b[0], m1 = a[1] > b[1] ? a[1] : b[1]
        let m2 = a[2] > b[2] ? a[2] : b[2], m3 = a[3] > b[3] ? a[3] : b[3]
        let x = m0 > m2 ? m0 : m2, y = m1 > m3 ? m1 : m3
        return x > y ? x : y
    }

    /// Lane-wise maximum written as selects: the stdlib's `pointwiseMax` is not inlined on the
    /// baseline target and costs a call per vector; these selects become one max instruction.
    @inline(__always) static func max(_ a: Vector8, _ b: Vector8) -> Vector8 {
        Vector8(a[0] > b[0] ? a[0] : b[0], a[1] > b[1] ? a[1] : b[1], a[2] > b[2] ? a[2] : b[2], a[3] > b[3] ? a[3] : b[3],
                a[4] > b[4] ? a[4] : b[4], a[5] > b[5] ? a[5] : b[5], a[6] > b[6] ? a[6] : b[6], a[7] > b[7] ? a[7] : b[7])
    }

    /// Σ of 16 lanes as a fixed tree (the halves added, then `sum` of 8): the same bits whether
    /// SIMD16 is one zmm register or two ymm.
    @inline(__always) static func sum16(_ v: SIMD16<Float>) -> Float { sum(v.lowHalf + v.highHalf) }

    /// Lane-wise maximum of two 16-lane vectors.
    @inline(__always) static func max16(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
        a.replacing(with: b, where: b .> a)
    }

    /// Horizontal maximum of 16 lanes: the halves, then the 8-lane tree.
    @inline(__always) static func max(_ v: SIMD16<Float>) -> Float {
        let low = v.lowHalf, high = v.highHalf
        return max(low.replacing(with: high, where: high .> low))
    }

    /// √v lane-wise, correctly rounded as IEEE requires. `SIMD.squareRoot()` runs lane by lane
    /// through the C library's `sqrtf` on Linux (its errno path keeps LLVM from vectorising it):
    /// that made Adam compute-bound, 16 scalar square roots per 16 parameters. The AVX
    /// instruction gives the same bits eight lanes at a time.
    @inline(__always) static func squareRoot(_ v: Vector8) -> Vector8 {
        #if arch(x86_64) && LMSWEEP_NEEDS_AVX2
        return _mm256_sqrt_ps(v)
        #else
        return v.squareRoot()
        #endif
    }

    /// e^x lane-wise for x ≤ 0 (softmax after subtracting the row max, the loss after subtracting
    /// log-sum-exp), the scheme of `FastMath.exp` (Cephes expf): n = round(x·log2 e) by the
    /// 1.5·2²³ magic-number trick (no rounding instruction needed), r = x − n·ln 2 in two parts,
    /// a degree-5 polynomial for e^r, and 2^n built in the exponent bits. Where 2^n would be
    /// below the smallest normal float (x < −87.3) the result is flushed to 0 by an integer mask,
    /// so no float clamp is needed. Valid for −8·10⁶ < x ≤ 0.
    @inline(__always) static func expNonPositive(_ x: Vector8) -> Vector8 {
        let magic: Float = 12_582_912
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = Vector8(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_6e-2
        p = p * r + 1.666_666_5e-1
        p = p * r + 5.000_000_1e-1
        let er = p * r * r + r + 1
        let biasedExponent = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000) &+ 127
        let underflow = biasedExponent &>> 31
        return er * unsafeBitCast((biasedExponent &<< 23) & ~underflow, to: Vector8.self)
    }

    /// `expNonPositive` on 16 lanes (the same polynomial, so the same bits lane for lane).
    @inline(__always) static func exp16(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let magic: Float = 12_582_912
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = SIMD16<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_6e-2
        p = p * r + 1.666_666_5e-1
        p = p * r + 5.000_000_1e-1
        let er = p * r * r + r + 1
        let biasedExponent = (unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000) &+ 127
        let underflow = biasedExponent &>> 31
        return er * unsafeBitCast((biasedExponent &<< 23) & ~underflow, to: SIMD16<Float>.self)
    }
}
