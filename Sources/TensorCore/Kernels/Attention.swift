/// Causal scaled dot-product attention for one (batch, head) slice (Vaswani et al. 2017):
/// S = Q·Kᵀ/√D by GEMM, the causal mask and softmax fused in one row pass that touches only
/// the unmasked lower triangle (and writes zeros above it), then O = P·V by GEMM.
/// Rows of Q, K, V (and their gradients) are `inputStride` floats apart and rows of O (and dO)
/// `outputStride` apart, so the kernel reads heads straight out of a fused (B, T, 3C) QKV
/// projection and writes them into a (B, T, C) output without any copy.
enum AttentionKernel {
    /// Fills `probabilities` (T, T) and `output` (T, D). If `dropoutMask` is given, the output
    /// uses P ⊙ mask, kept in `dropped`.
    static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                        time: Int, headDim: Int, causal: Bool, inputStride: Int? = nil, outputStride: Int? = nil,
                        probabilities: UnsafeMutablePointer<Float>, dropoutMask: UnsafePointer<Float>?,
                        dropped: UnsafeMutablePointer<Float>?,
                        output: UnsafeMutablePointer<Float>, flops: FlopCounter, measureSoftmax: Bool = false, softmaxNanoseconds: inout UInt64) {
        let scale = 1 / Float(headDim).squareRoot()
        let ldIn = inputStride ?? headDim, ldOut = outputStride ?? headDim
        Gemm.run(transA: false, transB: true, m: time, n: time, k: headDim, alpha: scale, a: q, lda: ldIn,
                 b: k, ldb: ldIn, beta: 0, c: probabilities, ldc: time, flops: flops, .forward)
        let started = !measureSoftmax ? 0 : DispatchTime.now().uptimeNanoseconds
        maskedSoftmax(probabilities, time: time, causal: causal)
        if measureSoftmax { softmaxNanoseconds += DispatchTime.now().uptimeNanoseconds - started }
        var mixing = UnsafePointer(probabilities)
        if let dropoutMask, let dropped {
            for i in 0..<time * time { dropped[i] = probabilities[i] * dropoutMask[i] }
            mixing = UnsafePointer(dropped)
        }
        Gemm.run(transA: false, transB: false, m: time, n: headDim, k: time, a: mixing, lda: time,
                 b: v, ldb: ldIn, beta: 0, c: output, ldc: ldOut, flops: flops, .forward)
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
                         time: Int, headDim: Int, causal: Bool, inputStride: Int? = nil, outputStride: Int? = nil,
                         scratch: UnsafeMutablePointer<Float>,
                         dq: UnsafeMutablePointer<Float>?, dk: UnsafeMutablePointer<Float>?, dv: UnsafeMutablePointer<Float>?,
                         flops: FlopCounter, measureSoftmax: Bool = false, softmaxNanoseconds: inout UInt64) {
        let scale = 1 / Float(headDim).squareRoot()
        let ldIn = inputStride ?? headDim, ldOut = outputStride ?? headDim
        let mixing = dropped ?? probabilities
        if let dv {
            // dV += Pᵀ · dO
            Gemm.run(transA: true, transB: false, m: time, n: headDim, k: time, a: mixing, lda: time,
                     b: dOutput, ldb: ldOut, beta: 1, c: dv, ldc: ldIn, flops: flops, .backward)
        }
        guard dq != nil || dk != nil else { return }
        // dP = dO · Vᵀ
        Gemm.run(transA: false, transB: true, m: time, n: time, k: headDim, a: dOutput, lda: ldOut,
                 b: v, ldb: ldIn, beta: 0, c: scratch, ldc: time, flops: flops, .backward)
        let started = !measureSoftmax ? 0 : DispatchTime.now().uptimeNanoseconds
        if let dropoutMask {
            for i in 0..<time * time { scratch[i] *= dropoutMask[i] }
        }
        // dS = P ⊙ (dP − Σ dP·P), in place, lower triangle only; zeros above.
        for i in 0..<time {
            let length = causal ? i + 1 : time
            let p = probabilities + i * time, d = scratch + i * time
            let dot = Normalization.dot(p, d, length: length)
            for j in 0..<length { d[j] = p[j] * (d[j] - dot) }
            if length < time { (d + length).update(repeating: 0, count: time - length) }
        }
        if measureSoftmax { softmaxNanoseconds += DispatchTime.now().uptimeNanoseconds - started }
        if let dq {
            // dQ += (1/√D) · dS · K
            Gemm.run(transA: false, transB: false, m: time, n: headDim, k: time, alpha: scale, a: scratch, lda: time,
                     b: k, ldb: ldIn, beta: 1, c: dq, ldc: ldIn, flops: flops, .backward)
        }
        if let dk {
            // dK += (1/√D) · dSᵀ · Q
            Gemm.run(transA: true, transB: false, m: time, n: headDim, k: time, alpha: scale, a: scratch, lda: time,
                     b: q, ldb: ldIn, beta: 1, c: dk, ldc: ldIn, flops: flops, .backward)
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
