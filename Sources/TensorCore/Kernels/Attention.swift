/// Causal scaled dot-product attention for one (batch, head) slice (Vaswani et al. 2017):
/// S = Q·Kᵀ/√D by GEMM, the causal mask and softmax fused in one row pass that touches only
/// the unmasked lower triangle (and writes zeros above it), then O = P·V by GEMM. When causal,
/// every GEMM skips the fully masked blocks (see `causalBlock`).
/// Rows of Q, K, V (and their gradients) are `inputStride` floats apart and rows of O (and dO)
/// `outputStride` apart, so the kernel reads heads straight out of a fused (B, T, 3C) QKV
/// projection and writes them into a (B, T, C) output without any copy.
enum AttentionKernel {
    /// Causal GEMMs run in row blocks of this many queries: block [r0, r1) needs keys 0..<r1
    /// only, so the four GEMMs that touch the score matrix skip the masked upper triangle's
    /// blocks (5/8 of the full work at T = 128). 32 rows keep each GEMM large enough for BLAS.
    static let causalBlock = 32

    /// The row blocks [start, end) of a (T, T) score matrix: one full block when not causal.
    @inline(__always) static func blocks(time: Int, causal: Bool) -> StrideTo<Int> {
        stride(from: 0, to: time, by: causal ? causalBlock : time)
    }

    /// Fills `probabilities` (T, T) and `output` (T, D). If `dropoutMask` is given, the output
    /// uses P ⊙ mask, kept in `dropped`.
    static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                        time: Int, headDim: Int, causal: Bool, inputStride: Int? = nil, outputStride: Int? = nil,
                        probabilities: UnsafeMutablePointer<Float>, dropoutMask: UnsafePointer<Float>?,
                        dropped: UnsafeMutablePointer<Float>?,
                        output: UnsafeMutablePointer<Float>, flops: FlopCounter) {
        let scale = 1 / Float(headDim).squareRoot()
        let ldIn = inputStride ?? headDim, ldOut = outputStride ?? headDim
        let block = causal ? causalBlock : time
        for start in blocks(time: time, causal: causal) {
            let end = min(start + block, time)
            // S[start..<end, 0..<end] = Q[start..<end] · K[0..<end]ᵀ / √D
            Gemm.run(transA: false, transB: true, m: end - start, n: causal ? end : time, k: headDim, alpha: scale,
                     a: q + start * ldIn, lda: ldIn, b: k, ldb: ldIn, beta: 0, c: probabilities + start * time, ldc: time,
                     flops: flops, .forward)
        }
        NormalizationForms.maskedSoftmax(probabilities, time: time, causal: causal)
        var mixing = UnsafePointer(probabilities)
        if let dropoutMask, let dropped {
            Elementwise.multiply(probabilities, dropoutMask, into: dropped, count: time * time, accumulate: false)
            mixing = UnsafePointer(dropped)
        }
        for start in blocks(time: time, causal: causal) {
            let end = min(start + block, time)
            // O[start..<end] = P[start..<end, 0..<end] · V[0..<end]
            Gemm.run(transA: false, transB: false, m: end - start, n: headDim, k: causal ? end : time,
                     a: mixing + start * time, lda: time, b: v, ldb: ldIn, beta: 0, c: output + start * ldOut, ldc: ldOut,
                     flops: flops, .forward)
        }
    }

    /// Accumulates dQ, dK, dV from dO, or writes over them (beta 0) where `overwrite` says so;
    /// every row of each is written by exactly one GEMM, dV first, then dQ and dK block by block.
    /// `scratch` holds (T, T) floats.
    static func backward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                         probabilities: UnsafePointer<Float>, dropoutMask: UnsafePointer<Float>?,
                         dropped: UnsafePointer<Float>?, dOutput: UnsafePointer<Float>,
                         time: Int, headDim: Int, causal: Bool, inputStride: Int? = nil, outputStride: Int? = nil,
                         scratch: UnsafeMutablePointer<Float>,
                         dq: UnsafeMutablePointer<Float>?, dk: UnsafeMutablePointer<Float>?, dv: UnsafeMutablePointer<Float>?,
                         overwrite: (q: Bool, k: Bool, v: Bool) = (false, false, false),
                         flops: FlopCounter) {
        let scale = 1 / Float(headDim).squareRoot()
        let ldIn = inputStride ?? headDim, ldOut = outputStride ?? headDim
        let block = causal ? causalBlock : time
        let mixing = dropped ?? probabilities
        if let dv {
            for start in blocks(time: time, causal: causal) {
                let end = min(start + block, time), first = causal ? start : 0
                // dV[start..<end] += P[first..<T, start..<end]ᵀ · dO[first..<T]  (rows above `start` are masked)
                Gemm.run(transA: true, transB: false, m: end - start, n: headDim, k: time - first,
                         a: mixing + first * time + start, lda: time, b: dOutput + first * ldOut, ldb: ldOut,
                         beta: overwrite.v ? 0 : 1, c: dv + start * ldIn, ldc: ldIn, flops: flops, .backward)
            }
        }
        guard dq != nil || dk != nil else { return }
        for start in blocks(time: time, causal: causal) {
            let end = min(start + block, time)
            // dP[start..<end, 0..<end] = dO[start..<end] · V[0..<end]ᵀ
            Gemm.run(transA: false, transB: true, m: end - start, n: causal ? end : time, k: headDim,
                     a: dOutput + start * ldOut, lda: ldOut, b: v, ldb: ldIn, beta: 0, c: scratch + start * time, ldc: time,
                     flops: flops, .backward)
        }
        // dS = P ⊙ (dP' − Σ dP'·P) with dP' = dP ⊙ dropout mask, lower triangle only; zeros above
        // (the entries right of each row block were never written by the GEMM).
        NormalizationForms.maskedSoftmaxBackward(probabilities: probabilities, dropoutMask: dropoutMask, gradient: scratch,
                                                 time: time, causal: causal)
        for start in blocks(time: time, causal: causal) {
            let end = min(start + block, time), first = causal ? start : 0
            if let dq {
                // dQ[start..<end] += (1/√D) · dS[start..<end, 0..<end] · K[0..<end]
                Gemm.run(transA: false, transB: false, m: end - start, n: headDim, k: causal ? end : time, alpha: scale,
                         a: scratch + start * time, lda: time, b: k, ldb: ldIn, beta: overwrite.q ? 0 : 1, c: dq + start * ldIn, ldc: ldIn,
                         flops: flops, .backward)
            }
            if let dk {
                // dK[start..<end] += (1/√D) · dS[first..<T, start..<end]ᵀ · Q[first..<T]
                Gemm.run(transA: true, transB: false, m: end - start, n: headDim, k: time - first, alpha: scale,
                         a: scratch + first * time + start, lda: time, b: q + first * ldIn, ldb: ldIn,
                         beta: overwrite.k ? 0 : 1, c: dk + start * ldIn, ldc: ldIn, flops: flops, .backward)
            }
        }
    }

    /// The reference: explicit loops in Double, masked scores set to −∞ before a plain softmax.
    static func naiveForward(q: [Float], k: [Float], v: [Float], time: Int, headDim: Int, causal: Bool) -> [Float] {
        let scale = 1 / Double(headDim).squareRoot()
        var output = [Float](repeating: 0, count: time * headDim)
        for i in 0..<time {
            var scores = [Double](repeating: -Double.infinity, count: time)
            for j in 0..<time where !causal || j <= i {
                var dot: Double = 0
                for d in 0..<headDim { dot += Double(q[i * headDim + d]) * Double(k[j * headDim + d]) }
                scores[j] = dot * scale
            }
            let maximum = scores.max()!
            let weights = scores.map { $0 == -Double.infinity ? 0 : Foundation.exp($0 - maximum) }
            let total = weights.reduce(0, +)
            for d in 0..<headDim {
                var mixed: Double = 0
                for j in 0..<time { mixed += weights[j] / total * Double(v[j * headDim + d]) }
                output[i * headDim + d] = Float(mixed)
            }
        }
        return output
    }
}

import Foundation
