import XCTest
@testable import TensorCore
import CPUProbe

/// The flash attention kernel against the reference GEMM kernel (`AttentionKernel`) and against
/// finite differences, at every length 1...300 (every tile shape: partial query and key tiles,
/// one to ten tiles), at head width 32, and at 64 on a spread of lengths. One (batch, head)
/// slice read from a fused (T, 3D) QKV layout, written into a (T, D) output, as the transformer
/// calls it.
final class FlashAttentionTests: XCTestCase {
    /// Q, K, V as the three column blocks of a (T, 3D) buffer.
    struct Slice {
        let time: Int, headDim: Int
        var x: [Float]
        var inputStride: Int { 3 * headDim }

        init(time: Int, headDim: Int, seed: UInt64) {
            self.time = time; self.headDim = headDim
            var rng = RNG(seed: seed)
            x = (0..<(time * 3 * headDim)).map { _ in rng.normal() }
        }
    }

    /// The reference's per-slice dropout mask, drawn as `Graph.attention` draws it: row i over
    /// keys 0...i, rows in order, from one generator.
    static func referenceMask(time: Int, p: Float, generator: LaneGenerator) -> [Float] {
        var g = generator
        var mask = [Float](repeating: 0, count: time * time)
        mask.withUnsafeMutableBufferPointer { m in
            for i in 0..<time { Elementwise.dropoutMask(m.baseAddress! + i * time, count: i + 1, p: p, generator: &g) }
        }
        return mask
    }

    /// O and the accumulated dX from the reference kernel; dX starts as `initialGradient`.
    static func reference(_ s: Slice, dOutput: [Float], dropout: Float?, generator: LaneGenerator,
                          initialGradient: [Float]) -> (output: [Float], dx: [Float]) {
        let (t, d, ld) = (s.time, s.headDim, s.inputStride)
        let probabilities = UnsafeMutablePointer<Float>.allocate(capacity: 3 * t * t)
        defer { probabilities.deallocate() }
        let dropped = probabilities + t * t, scratch = dropped + t * t
        let mask = dropout.map { referenceMask(time: t, p: $0, generator: generator) }
        var output = [Float](repeating: 0, count: t * d), dx = initialGradient
        let flops = FlopCounter()
        s.x.withUnsafeBufferPointer { x in
            let q = x.baseAddress!
            AttentionKernel.forward(q: q, k: q + d, v: q + 2 * d, time: t, headDim: d, causal: true, inputStride: ld, outputStride: d,
                                    probabilities: probabilities, dropoutMask: mask, dropped: mask == nil ? nil : dropped,
                                    output: &output, flops: flops)
            dx.withUnsafeMutableBufferPointer { g in
                let dq = g.baseAddress!
                AttentionKernel.backward(q: q, k: q + d, v: q + 2 * d, probabilities: probabilities, dropoutMask: mask,
                                         dropped: mask == nil ? nil : UnsafePointer(dropped), dOutput: dOutput, time: t, headDim: d,
                                         causal: true, inputStride: ld, outputStride: d, scratch: scratch,
                                         dq: dq, dk: dq + d, dv: dq + 2 * d, flops: flops)
            }
        }
        return (output, dx)
    }

    /// O and dX from the flash kernel, dX accumulated onto `initialGradient` unless `overwrite`.
    static func flash(_ s: Slice, dOutput: [Float]?, dropout: Float?, generator: LaneGenerator,
                      initialGradient: [Float], overwrite: Bool = false) -> (output: [Float], dx: [Float]) {
        let (t, d, ld) = (s.time, s.headDim, s.inputStride)
        var workspace = [Float](repeating: .nan, count: FlashAttention.workspaceCount(time: t, headDim: d))
        var logSumExp = [Float](repeating: 0, count: t)
        var output = [Float](repeating: 0, count: t * d), dx = initialGradient
        s.x.withUnsafeBufferPointer { x in
            let q = x.baseAddress!
            FlashAttention.forward(q: q, k: q + d, v: q + 2 * d, time: t, headDim: d, causal: true, inputStride: ld, outputStride: d,
                                   dropout: dropout.map { .init(probability: $0, generator: generator) },
                                   output: &output, logSumExp: &logSumExp, workspace: &workspace)
            guard let dOutput else { return }
            dx.withUnsafeMutableBufferPointer { g in
                let dq = g.baseAddress!
                FlashAttention.backward(q: q, k: q + d, v: q + 2 * d, output: output, logSumExp: logSumExp, dOutput: dOutput,
                                        time: t, headDim: d, causal: true, inputStride: ld, outputStride: d,
                                        dropout: dropout.map { .init(probability: $0, generator: generator) },
                                        dq: dq, dk: dq + d, dv: dq + 2 * d, overwrite: (overwrite, overwrite, overwrite),
                                        workspace: &workspace)
            }
        }
        return (output, dx)
    }

    static func generator(seed: UInt64) -> LaneGenerator {
        var rng = RNG(seed: seed)
        return LaneGenerator(rng: &rng)
    }

    static func gaussians(_ count: Int, seed: UInt64) -> [Float] {
        var rng = RNG(seed: seed)
        return (0..<count).map { _ in rng.normal() }
    }

    /// Largest |a − b| / (1 + |b|).
    static func worstError(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { Swift.max($0, abs($1.0 - $1.1) / (1 + abs($1.1))) }
    }

    func checkAgainstReference(headDim: Int, lengths: [Int]) {
        XCTAssertTrue(FlashAttention.supports(headDim: headDim), "this build has no flash kernel for head width \(headDim)")
        guard FlashAttention.supports(headDim: headDim) else { return }
        var worst: (output: Float, gradient: Float) = (0, 0)
        for t in lengths {
            let s = Slice(time: t, headDim: headDim, seed: UInt64(t))
            let dOutput = Self.gaussians(t * headDim, seed: UInt64(1000 + t))
            let initial = Self.gaussians(t * 3 * headDim, seed: UInt64(2000 + t))
            for dropout in [nil, Float(0.2)] {
                let g = Self.generator(seed: UInt64(3000 + t))
                let expected = Self.reference(s, dOutput: dOutput, dropout: dropout, generator: g, initialGradient: initial)
                let actual = Self.flash(s, dOutput: dOutput, dropout: dropout, generator: g, initialGradient: initial)
                let (o, dx) = (Self.worstError(actual.output, expected.output), Self.worstError(actual.dx, expected.dx))
                worst = (Swift.max(worst.output, o), Swift.max(worst.gradient, dx))
                XCTAssertLessThan(o, 2e-5, "output, T \(t), D \(headDim), dropout \(dropout ?? 0)")
                XCTAssertLessThan(dx, 1e-4, "gradient, T \(t), D \(headDim), dropout \(dropout ?? 0)")
            }
        }
        print("flash vs reference, D \(headDim): worst output error \(worst.output), worst gradient error \(worst.gradient)")
    }

    func testFlashMatchesReferenceKernelAtEveryLengthUpTo300() {
        checkAgainstReference(headDim: 32, lengths: Array(1...300))
    }

    func testFlashMatchesReferenceKernelAtHeadWidth64() {
        checkAgainstReference(headDim: 64, lengths: [1, 2, 7, 16, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 191, 255, 300])
    }

    /// Queries and keys of norm 30 along orthogonal axes: every score is small, but the forward's
    /// Cauchy–Schwarz bound (|q|·|k|/√D ≈ 159) lies far above it, so each tile falls back to the
    /// online maximum; the result still matches the reference.
    func testFlashFallsBackToTheOnlineMaximumWhenTheBoundIsLoose() {
        guard FlashAttention.supports(headDim: 32) else { return XCTFail("no flash kernel for head width 32") }
        for t in [5, 77, 200] {
            var s = Slice(time: t, headDim: 32, seed: UInt64(t))
            for i in 0..<t {
                for c in 0..<64 { s.x[i * 96 + c] *= 0.01 }
                s.x[i * 96] += 30           // q_i ≈ 30·e_0
                s.x[i * 96 + 32 + 1] += 30  // k_i ≈ 30·e_1
            }
            let dOutput = Self.gaussians(t * 32, seed: 3), zero = [Float](repeating: 0, count: t * 96), g = Self.generator(seed: 4)
            let expected = Self.reference(s, dOutput: dOutput, dropout: nil, generator: g, initialGradient: zero)
            let actual = Self.flash(s, dOutput: dOutput, dropout: nil, generator: g, initialGradient: zero)
            XCTAssertLessThan(Self.worstError(actual.output, expected.output), 2e-5, "T \(t)")
            XCTAssertLessThan(Self.worstError(actual.dx, expected.dx), 1e-4, "T \(t)")
        }
    }

    /// Overwrite mode (the first writer of a gradient buffer) ignores what the buffer held.
    func testFlashOverwriteIgnoresThePreviousGradient() {
        guard FlashAttention.supports(headDim: 32) else { return XCTFail("no flash kernel for head width 32") }
        for t in [5, 40, 128] {
            let s = Slice(time: t, headDim: 32, seed: 7)
            let dOutput = Self.gaussians(t * 32, seed: 8), g = Self.generator(seed: 9)
            let zero = [Float](repeating: 0, count: t * 96)
            let accumulated = Self.flash(s, dOutput: dOutput, dropout: 0.1, generator: g, initialGradient: zero)
            let overwritten = Self.flash(s, dOutput: dOutput, dropout: 0.1, generator: g,
                                         initialGradient: [Float](repeating: 1e30, count: t * 96), overwrite: true)
            XCTAssertEqual(accumulated.dx, overwritten.dx, "T \(t)")
        }
    }

    /// Directional derivatives of L = Σ O ⊙ W along random directions in Q, K and V (one each),
    /// central differences in Double from fp32 forwards, at every length (half with dropout 0.1:
    /// the mask is a fixed function of the generator, so L stays smooth).
    func testFlashGradientMatchesFiniteDifferencesAtEveryLengthUpTo300() {
        guard FlashAttention.supports(headDim: 32) else { return XCTFail("no flash kernel for head width 32") }
        let d = 32, epsilon: Float = 1e-2
        var worst: Double = 0
        for t in 1...300 {
            let s = Slice(time: t, headDim: d, seed: UInt64(50 + t))
            let weights = Self.gaussians(t * d, seed: UInt64(60 + t))
            let dropout: Float? = t % 2 == 0 ? 0.1 : nil
            let g = Self.generator(seed: UInt64(70 + t))
            let analytic = Self.flash(s, dOutput: weights, dropout: dropout, generator: g,
                                      initialGradient: [Float](repeating: 0, count: t * 3 * d)).dx
            func loss(_ x: [Float]) -> Double {
                var shifted = s
                shifted.x = x
                let o = Self.flash(shifted, dOutput: nil, dropout: dropout, generator: g, initialGradient: []).output
                return zip(o, weights).reduce(0) { $0 + Double($1.0) * Double($1.1) }
            }
            for part in 0..<3 {
                var direction = Self.gaussians(t * 3 * d, seed: UInt64(80 + 3 * t + part))
                for i in direction.indices where (i % (3 * d)) / d != part { direction[i] = 0 }
                let plus = zip(s.x, direction).map { $0 + epsilon * $1 }, minus = zip(s.x, direction).map { $0 - epsilon * $1 }
                let numeric = (loss(plus) - loss(minus)) / (2 * Double(epsilon))
                let exact = zip(analytic, direction).reduce(0) { $0 + Double($1.0) * Double($1.1) }
                let error = abs(numeric - exact) / (1 + abs(exact))
                worst = Swift.max(worst, error)
                XCTAssertLessThan(error, 2e-3, "T \(t), \(["dQ", "dK", "dV"][part]): analytic \(exact), numeric \(numeric)")
            }
        }
        print("flash vs finite differences: worst relative error \(worst)")
    }

    /// Through the graph: batch 2 × 3 heads × T 77 with dropout, q, k and v one node (so dV,
    /// dQ and dK share a buffer and the write order matters): the same values, gradients and
    /// FLOP counts as the reference kernel, the generator carried from slice to slice alike.
    func testGraphAttentionWithFlashEqualsTheReferenceKernel() {
        let shape = [2, 3, 77, 32]
        func run(flash: Bool) -> (value: [Float], grad: [Float], flops: (Double, Double)) {
            let saved = TensorCore.flashAttention
            TensorCore.flashAttention = flash
            defer { TensorCore.flashAttention = saved }
            let parameters = ParameterSet()
            let p = parameters.add("x", shape: shape, initializer: .embedding)
            var rng = RNG(seed: 4)
            parameters.finalize(rng: &rng)
            let flops = FlopCounter()
            let graph = Graph(parameters: parameters, training: true, flops: flops)
            var dropoutRNG = RNG(seed: 5)
            let x = graph.param(p)
            let out = graph.attention(q: x, k: x, v: x, causal: true, dropout: 0.15, rng: &dropoutRNG)
            graph.backward(from: out, outputGradient: Self.gaussians(shape.reduce(1, *), seed: 6))
            return (graph.value(out), parameters.grads(p), (flops.forward, flops.backward))
        }
        let flash = run(flash: true), reference = run(flash: false)
        XCTAssertLessThan(Self.worstError(flash.value, reference.value), 2e-5)
        XCTAssertLessThan(Self.worstError(flash.grad, reference.grad), 1e-4)
        XCTAssertEqual(flash.flops.0, reference.flops.0)
        XCTAssertEqual(flash.flops.1, reference.flops.1)
    }
}

/// The two compiled forms of the flash attention (this module's AVX2 build and TensorCoreAVX512's)
/// give the same bits: outputs and gradients, with and without dropout, at head widths 32 and 64.
final class KernelFormTests: XCTestCase {
    func run(_ form: KernelForm, _ s: FlashAttentionTests.Slice, dropout: Float?) -> (output: [Float], dx: [Float]) {
        let (t, d, ld) = (s.time, s.headDim, s.inputStride)
        var workspace = [Float](repeating: .nan, count: FlashAttentionForms.workspaceCount(time: t, headDim: d))
        var logSumExp = [Float](repeating: 0, count: t)
        var output = [Float](repeating: 0, count: t * d), dx = [Float](repeating: 0, count: t * 3 * d)
        let dOutput = FlashAttentionTests.gaussians(t * d, seed: 11)
        let g = FlashAttentionTests.generator(seed: 12)
        let slice = dropout.map { FlashAttention.Dropout(probability: $0, generator: g) }
        s.x.withUnsafeBufferPointer { x in
            let q = x.baseAddress!
            let next = FlashAttentionForms.forward(form, q: q, k: q + d, v: q + 2 * d, time: t, headDim: d, causal: true,
                                                   inputStride: ld, outputStride: d, dropout: slice, output: &output,
                                                   logSumExp: &logSumExp, workspace: &workspace)
            XCTAssertEqual(next == nil, dropout == nil)
            dx.withUnsafeMutableBufferPointer { g in
                let dq = g.baseAddress!
                FlashAttentionForms.backward(form, q: q, k: q + d, v: q + 2 * d, output: output, logSumExp: logSumExp,
                                             dOutput: dOutput, time: t, headDim: d, causal: true, inputStride: ld, outputStride: d,
                                             dropout: slice, dq: dq, dk: dq + d, dv: dq + 2 * d, overwrite: (false, false, false),
                                             workspace: &workspace)
            }
        }
        return (output, dx)
    }

    func testAVX512AndAVX2FormsGiveTheSameBits() throws {
        guard lmsweep_cpu_has_avx512() != 0 else { throw XCTSkip("this CPU has no AVX-512: only the AVX2 form can run") }
        guard FlashAttention.supports(headDim: 32) else { throw XCTSkip("this build has no flash kernel (LMSWEEP_TARGET_CPU without AVX2)") }
        for (t, d) in [(1, 32), (45, 32), (128, 32), (200, 64)] {
            for dropout in [nil, Float(0.1)] {
                let s = FlashAttentionTests.Slice(time: t, headDim: d, seed: UInt64(t))
                let wide = run(.avx512, s, dropout: dropout), narrow = run(.avx2, s, dropout: dropout)
                XCTAssertEqual(wide.output.map(\.bitPattern), narrow.output.map(\.bitPattern), "output, T \(t), D \(d)")
                XCTAssertEqual(wide.dx.map(\.bitPattern), narrow.dx.map(\.bitPattern), "gradient, T \(t), D \(d)")
            }
        }
    }

    /// LayerNorm forward and backward (16 lanes, fixed trees) give the same bits in both forms,
    /// with a scalar tail (C = 40) and without (C = 128).
    func testLayerNormFormsGiveTheSameBits() throws {
        guard lmsweep_cpu_has_avx512() != 0 else { throw XCTSkip("this CPU has no AVX-512: only the AVX2 form can run") }
        for columns in [40, 128] {
            let rows = 7, count = rows * columns
            let x = FlashAttentionTests.gaussians(count, seed: 1), dy = FlashAttentionTests.gaussians(count, seed: 2)
            let w = FlashAttentionTests.gaussians(columns, seed: 3), b = FlashAttentionTests.gaussians(columns, seed: 4)
            func run(_ form: KernelForm) -> [Float] {
                var y = [Float](repeating: 0, count: count), mean = [Float](repeating: 0, count: rows), rstd = mean
                var dx = [Float](repeating: 0.5, count: count), dw = [Float](repeating: 0, count: columns), db = dw
                NormalizationForms.layerNormForward(x, weight: w, bias: b, rows: rows, columns: columns, eps: 1e-5, y: &y,
                                                    mean: &mean, rstd: &rstd, form: form)
                NormalizationForms.layerNormBackward(x, weight: w, mean: mean, rstd: rstd, dy: dy, rows: rows, columns: columns,
                                                     dx: &dx, dweight: &dw, dbias: &db, form: form)
                return y + mean + rstd + dx + dw + db
            }
            XCTAssertEqual(run(.avx512).map(\.bitPattern), run(.avx2).map(\.bitPattern), "C \(columns)")
        }
    }

    /// Causal attention's softmax passes (16 lanes, fixed trees) give the same bits in both forms,
    /// at lengths with a 16-lane tail and a fallback row (T = 45), and match the Double softmax.
    func testAttentionSoftmaxFormsGiveTheSameBits() throws {
        guard lmsweep_cpu_has_avx512() != 0 else { throw XCTSkip("this CPU has no AVX-512: only the AVX2 form can run") }
        for time in [1, 45, 128] {
            for causal in [true, false] {
                let scores = FlashAttentionTests.gaussians(time * time, seed: UInt64(time)).map { 3 * $0 }
                let upstream = FlashAttentionTests.gaussians(time * time, seed: 99)
                let mask = FlashAttentionTests.gaussians(time * time, seed: 7).map { $0 > -0.5 ? Float(1.25) : 0 }
                func run(_ form: KernelForm, dropout: Bool) -> (probabilities: [Float], gradient: [Float]) {
                    var probabilities = scores, gradient = upstream
                    NormalizationForms.maskedSoftmax(&probabilities, time: time, causal: causal, form: form)
                    mask.withUnsafeBufferPointer { m in
                        NormalizationForms.maskedSoftmaxBackward(probabilities: probabilities, dropoutMask: dropout ? m.baseAddress : nil,
                                                                 gradient: &gradient, time: time, causal: causal, form: form)
                    }
                    return (probabilities, gradient)
                }
                for dropout in [false, true] {
                    let wide = run(.avx512, dropout: dropout), narrow = run(.avx2, dropout: dropout)
                    XCTAssertEqual(wide.probabilities.map(\.bitPattern), narrow.probabilities.map(\.bitPattern), "P, T \(time)")
                    XCTAssertEqual(wide.gradient.map(\.bitPattern), narrow.gradient.map(\.bitPattern), "dS, T \(time), dropout \(dropout)")
                }
                let probabilities = run(.avx2, dropout: false).probabilities
                for i in [0, time / 2, time - 1] {
                    let length = causal ? i + 1 : time
                    let expected = Normalization.naiveSoftmaxRow(Array(scores[(i * time)..<(i * time + length)]))
                    for j in 0..<time {
                        let want = j < length ? expected[j] : 0
                        XCTAssertEqual(probabilities[i * time + j], want, accuracy: 1e-6, "P[\(i), \(j)], T \(time), causal \(causal)")
                    }
                }
            }
        }
    }

    func testFormIsChosenFromTheCPUAndTheEnvironmentCanKeepAVX2() {
        // The tensor core compiled for AVX2 (the default) has both forms; without (baseline) neither.
        if TensorCore.compiledISA == "avx2+fma" || TensorCore.compiledISA == "avx512" {
            XCTAssertEqual(KernelForm.choose(environment: [:], hasAVX512: true), .avx512)
            XCTAssertEqual(KernelForm.choose(environment: [:], hasAVX512: false), .avx2)
            XCTAssertEqual(KernelForm.choose(environment: ["LMSWEEP_KERNEL_FORM": "avx2"], hasAVX512: true), .avx2)
        } else {
            XCTAssertEqual(KernelForm.choose(environment: [:], hasAVX512: true), .portable)
        }
    }
}
