/// Causal scaled dot-product attention for one (batch, head) slice (Vaswani et al. 2017):
/// S = Q·Kᵀ/√D by GEMM, the causal mask and softmax fused in one row pass that touches only
/// the unmasked lower triangle (and writes zeros above it), then O = P·V by GEMM.
enum AttentionKernel {
    /// Fills `probabilities` (T, T) and `output` (T, D). If `dropoutMask` is given, the output
    /// uses P ⊙ mask, kept in `dropped`.
    static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                        time: Int, headDim: Int, causal: Bool,
                        probabilities: UnsafeMutablePointer<Float>, dropoutMask: UnsafePointer<Float>?,
                        dropped: UnsafeMutablePointer<Float>?,
                        output: UnsafeMutablePointer<Float>, flops: FlopCounter) {
        let scale = 1 / Float(headDim).squareRoot()
        Gemm.run(transA: false, transB: true, m: time, n: time, k: headDim, alpha: scale, a: q, lda: headDim,
                 b: k, ldb: headDim, beta: 0, c: probabilities, ldc: time, flops: flops, .forward)
        maskedSoftmax(probabilities, time: time, causal: causal)
        var mixing = UnsafePointer(probabilities)
        if let dropoutMask, let dropped {
            for i in 0..<time * time { dropped[i] = probabilities[i] * dropoutMask[i] }
            mixing = UnsafePointer(dropped)
        }
        Gemm.run(transA: false, transB: false, m: time, n: headDim, k: time, a: mixing, lda: time,
                 b: v, ldb: headDim, beta: 0, c: output, ldc: headDim, flops: flops, .forward)
    }

    /// Row-wise softmax over j ≤ i (all j when not causal); zeros above the diagonal.
    @inline(__always) static func maskedSoftmax(_ scores: UnsafeMutablePointer<Float>, time: Int, causal: Bool) {
        for i in 0..<time {
            let row = scores + i * time
            let length = causal ? i + 1 : time
            Normalization.softmaxRow(row, length: length)
            if length < time { (row + length).update(repeating: 0, count: time - length) }
        }
    }

    /// Accumulates dQ, dK, dV from dO. `scratch` holds (T, T) floats.
    static func backward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                         probabilities: UnsafePointer<Float>, dropoutMask: UnsafePointer<Float>?,
                         dropped: UnsafePointer<Float>?, dOutput: UnsafePointer<Float>,
                         time: Int, headDim: Int, causal: Bool, scratch: UnsafeMutablePointer<Float>,
                         dq: UnsafeMutablePointer<Float>?, dk: UnsafeMutablePointer<Float>?, dv: UnsafeMutablePointer<Float>?,
                         flops: FlopCounter) {
        let scale = 1 / Float(headDim).squareRoot()
        let mixing = dropped ?? probabilities
        if let dv {
            // dV += Pᵀ · dO
            Gemm.run(transA: true, transB: false, m: time, n: headDim, k: time, a: mixing, lda: time,
                     b: dOutput, ldb: headDim, beta: 1, c: dv, ldc: headDim, flops: flops, .backward)
        }
        guard dq != nil || dk != nil else { return }
        // dP = dO · Vᵀ
        Gemm.run(transA: false, transB: true, m: time, n: time, k: headDim, a: dOutput, lda: headDim,
                 b: v, ldb: headDim, beta: 0, c: scratch, ldc: time, flops: flops, .backward)
        if let dropoutMask {
            for i in 0..<time * time { scratch[i] *= dropoutMask[i] }
        }
        // dS = P ⊙ (dP − Σ dP·P), in place, lower triangle only; zeros above.
        for i in 0..<time {
            let length = causal ? i + 1 : time
            let p = probabilities + i * time, d = scratch + i * time
            var dot: Float = 0
            for j in 0..<length { dot += p[j] * d[j] }
            for j in 0..<length { d[j] = p[j] * (d[j] - dot) }
            if length < time { (d + length).update(repeating: 0, count: time - length) }
        }
        if let dq {
            // dQ += (1/√D) · dS · K
            Gemm.run(transA: false, transB: false, m: time, n: headDim, k: time, alpha: scale, a: scratch, lda: time,
                     b: k, ldb: headDim, beta: 1, c: dq, ldc: headDim, flops: flops, .backward)
        }
        if let dk {
            // dK += (1/√D) · dSᵀ · Q
            Gemm.run(transA: true, transB: false, m: time, n: headDim, k: time, alpha: scale, a: scratch, lda: time,
                     b: q, ldb: headDim, beta: 1, c: dk, ldc: headDim, flops: flops, .backward)
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
