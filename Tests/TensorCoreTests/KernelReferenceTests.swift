import XCTest
import Foundation
@testable import TensorCore

/// Every fast kernel against its naive reference.
final class KernelReferenceTests: XCTestCase {
    override func setUp() { TensorCore.setBLASThreads(1) }

    func testBLASMatmulMatchesNaiveTripleLoopForEveryTransposeAndBeta() {
        let (m, n, k) = (7, 9, 11)
        let a = randomValues(m * k, seed: 1), b = randomValues(k * n, seed: 2), c0 = randomValues(m * n, seed: 3)
        for transA in [false, true] {
            for transB in [false, true] {
                for beta: Float in [0, 1] {
                    var fast = c0, reference = c0
                    let lda = transA ? m : k, ldb = transB ? k : n
                    a.withUnsafeBufferPointer { pa in
                        b.withUnsafeBufferPointer { pb in
                            Gemm.run(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: pa.baseAddress!, lda: lda,
                                     b: pb.baseAddress!, ldb: ldb, beta: beta, c: &fast, ldc: n, flops: FlopCounter(), .forward)
                            Gemm.naive(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: pa.baseAddress!, lda: lda,
                                       b: pb.baseAddress!, ldb: ldb, beta: beta, c: &reference, ldc: n)
                        }
                    }
                    for (x, y) in zip(fast, reference) { XCTAssertEqual(x, y, accuracy: 1e-4, "transA \(transA) transB \(transB) beta \(beta)") }
                }
            }
        }
    }

    func testAttentionKernelMatchesNaiveReference() {
        for (time, headDim) in [(9, 8), (75, 8)] { attentionMatchesReference(time: time, headDim: headDim) }
    }

    private func attentionMatchesReference(time: Int, headDim: Int) {
        let q = randomValues(time * headDim, seed: 4), k = randomValues(time * headDim, seed: 5), v = randomValues(time * headDim, seed: 6)
        for causal in [true, false] {
            var probabilities = [Float](repeating: .nan, count: time * time)
            var output = [Float](repeating: 0, count: time * headDim)
            AttentionKernel.forward(q: q, k: k, v: v, time: time, headDim: headDim, causal: causal,
                                    probabilities: &probabilities, dropoutMask: nil, dropped: nil, output: &output, flops: FlopCounter())
            let reference = AttentionKernel.naiveForward(q: q, k: k, v: v, time: time, headDim: headDim, causal: causal)
            for (x, y) in zip(output, reference) { XCTAssertEqual(x, y, accuracy: 1e-5) }
            if causal {
                // Exact zeros above the diagonal, rows summing to one.
                for i in 0..<time {
                    for j in (i + 1)..<time where j < time { XCTAssertEqual(probabilities[i * time + j], 0) }
                    XCTAssertEqual(probabilities[(i * time)..<(i * time + i + 1)].reduce(0, +), 1, accuracy: 1e-5)
                }
            }
        }
    }

    func testFastExpMatchesLibmAcrossTheRange() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let relative = abs(FastMath.exp(x) - Foundation.exp(x)) / Foundation.exp(x)
            worst = max(worst, relative)
            x += 0.01371
        }
        XCTAssertLessThan(worst, 5e-7)
        XCTAssertEqual(FastMath.exp(0), 1)
    }

    func testRopeRotatesSplitHalfPairsByPositionTimesFrequency() {
        // One head, D = 4: pairs (0, 2) at frequency 1 and (1, 3) at frequency 10000^(−1/2) = 0.01.
        let parameters = ParameterSet()
        var rng = RNG(seed: 0)
        parameters.finalize(rng: &rng)
        let graph = Graph(parameters: parameters, training: false, flops: FlopCounter())
        let x: [Float] = [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]   // T = 3
        let y = graph.value(graph.rope(graph.constant(shape: [1, 1, 3, 4], values: x)))
        for t in 0..<3 {
            let a0 = Double(t), a1 = Double(t) * 0.01
            let expected = [1 * cos(a0) - 3 * sin(a0), 2 * cos(a1) - 4 * sin(a1), 3 * cos(a0) + 1 * sin(a0), 4 * cos(a1) + 2 * sin(a1)]
            for d in 0..<4 { XCTAssertEqual(Double(y[t * 4 + d]), expected[d], accuracy: 1e-5) }
        }
    }

    func testLayerNormNormalisesRowsLikePyTorch() {
        let parameters = ParameterSet()
        let w = parameters.add("w", shape: [4], initializer: .ones), b = parameters.add("b", shape: [4], initializer: .zeros)
        var rng = RNG(seed: 0)
        parameters.finalize(rng: &rng)
        let graph = Graph(parameters: parameters, training: false, flops: FlopCounter())
        let y = graph.value(graph.layerNorm(graph.constant(shape: [1, 4], values: [1, 2, 3, 4]), weight: graph.param(w), bias: graph.param(b)))
        // mean 2.5, biased variance 1.25: (x − 2.5) / √(1.25 + 1e−5)
        let s = (1.25 + 1e-5).squareRoot()
        for (value, x) in zip(y, [1.0, 2, 3, 4]) { XCTAssertEqual(Double(value), (x - 2.5) / s, accuracy: 1e-6) }
    }

    func testCrossEntropyMatchesLogSoftmaxNLL() {
        let parameters = ParameterSet()
        var rng = RNG(seed: 0)
        parameters.finalize(rng: &rng)
        let graph = Graph(parameters: parameters, training: false, flops: FlopCounter())
        let logits: [Float] = [1, 2, 3, 0, 0, 0]
        let loss = graph.scalar(graph.crossEntropy(graph.constant(shape: [2, 3], values: logits), targets: [2, 0]))
        let row0 = log(exp(1.0) + exp(2.0) + exp(3.0)) - 3, row1 = log(3.0)
        XCTAssertEqual(Double(loss), (row0 + row1) / 2, accuracy: 1e-6)
    }
}

/// The vectorised row kernels against plain scalar references.
final class VectorKernelTests: XCTestCase {
    /// The vector square root gives the scalar one's bits: zero, subnormals, squares, the
    /// largest float, and a sweep across the exponent range.
    func testVectorSquareRootEqualsScalarBitForBit() {
        var values: [Float] = [0, .leastNonzeroMagnitude, 1e-40, .leastNormalMagnitude, 1, 2, 4, 0.25, .greatestFiniteMagnitude, .infinity]
        var x: Float = 1e-30
        while x < 1e30 { values.append(x); x *= 1.37 }
        while values.count % 8 != 0 { values.append(3) }
        for start in stride(from: 0, to: values.count, by: 8) {
            let lanes = Vector.squareRoot(Vector8(values[start..<(start + 8)]))
            for lane in 0..<8 { XCTAssertEqual(lanes[lane].bitPattern, values[start + lane].squareRoot().bitPattern, "√\(values[start + lane])") }
        }
    }

    func testVectorExpMatchesLibmOnNonPositiveInputsAndFlushesUnderflow() {
        var worst: Float = 0
        var x: Float = -87
        while x <= 0 {
            let lanes = Vector.expNonPositive(Vector8(repeating: x))
            worst = max(worst, abs(lanes[5] - Foundation.exp(x)) / Foundation.exp(x))
            x += 0.00731
        }
        XCTAssertLessThan(worst, 5e-7)
        XCTAssertEqual(Vector.expNonPositive(Vector8(repeating: 0))[0], 1)
        XCTAssertEqual(Vector.expNonPositive(Vector8(repeating: -200))[0], 0)
        XCTAssertEqual(Vector.expNonPositive(Vector8(repeating: -1e6))[0], 0)
    }

    func testSoftmaxRowMatchesReferenceForEveryLengthIncludingTails() {
        for length in 1...40 {
            let row = randomValues(length, seed: UInt64(length), scale: 4)
            var fast = row
            fast.withUnsafeMutableBufferPointer { Normalization.softmaxRow($0.baseAddress!, length: length) }
            for (x, y) in zip(fast, Normalization.naiveSoftmaxRow(row)) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        }
    }

    /// The padded row (causal attention's): the same values as the reference over the length,
    /// and exact zeros in the padding, for every length and a padding of garbage, NaN and ∞.
    func testPaddedSoftmaxRowMatchesReferenceAndZeroesItsPadding() {
        for length in 1...40 {
            let padded = (length + 7) & ~7
            let row = randomValues(length, seed: UInt64(100 + length), scale: 4)
            let garbage: [Float] = [123.5, .nan, .infinity, -.infinity, 1e30, -0.0, 7, .nan]
            var fast = row + garbage.prefix(padded - length)
            fast.withUnsafeMutableBufferPointer { Normalization.softmaxRowPadded($0.baseAddress!, length: length) }
            for (x, y) in zip(fast, Normalization.naiveSoftmaxRow(row)) { XCTAssertEqual(x, y, accuracy: 1e-6) }
            XCTAssertEqual(Array(fast[length...]), [Float](repeating: 0, count: padded - length), "length \(length)")
        }
    }

    func testReluBackwardMatchesScalarRule() {
        let count = 37
        let input = randomValues(count, seed: 3) + [-0.0, 0.0, 1e-40]
        var output = [Float](repeating: 0, count: input.count)
        Elementwise.reluForward(input, into: &output, count: input.count)
        XCTAssertEqual(output[count].sign, .plus, "ReLU never emits −0")
        let dy = randomValues(input.count, seed: 4)
        var dx = [Float](repeating: 1, count: input.count)
        Elementwise.reluBackward(output: output, dy: dy, into: &dx, count: input.count)
        for i in 0..<input.count { XCTAssertEqual(dx[i], 1 + (input[i] > 0 ? dy[i] : 0)) }
    }

    func testLogSumExpMatchesReference() {
        for count in [1, 7, 8, 65, 1000] {
            let row = randomValues(count, seed: UInt64(count), scale: 5)
            let reference = Double(row.max()!) + log(row.reduce(0.0) { $0 + exp(Double($1 - row.max()!)) })
            XCTAssertEqual(Double(row.withUnsafeBufferPointer { Loss.logSumExp($0.baseAddress!, count: count) }), reference, accuracy: 1e-5)
        }
    }
}

final class GeluKernelTests: XCTestCase {
    func testVectorGeluMatchesScalarTanhFormula() {
        let x = (0..<203).map { Float($0 - 101) * 0.07 }   // −7.07 … 7.07, with a scalar tail
        var y = [Float](repeating: 0, count: x.count)
        Elementwise.geluForward(x, into: &y, count: x.count)
        var dx = [Float](repeating: 0, count: x.count)
        Elementwise.geluBackward(x, dy: [Float](repeating: 1, count: x.count), into: &dx, count: x.count)
        for i in 0..<x.count {
            XCTAssertEqual(y[i], Elementwise.gelu(x[i]), accuracy: 2e-6)
            XCTAssertEqual(dx[i], Elementwise.geluDerivative(x[i]), accuracy: 2e-6)
        }
    }
}

final class DropoutTests: XCTestCase {
    func testDropoutMaskDropsFractionPAndScalesSurvivors() {
        let count = 200_001   // odd: the last decision uses a draw of its own
        var mask = [Float](repeating: -1, count: count)
        var rng = RNG(seed: 11)
        var generator = LaneGenerator(rng: &rng)
        Elementwise.dropoutMask(&mask, count: count, p: 0.1, generator: &generator)
        let dropped = mask.filter { $0 == 0 }.count
        XCTAssertEqual(Double(dropped) / Double(count), 0.1, accuracy: 0.003)   // ±4.5 standard deviations
        XCTAssertTrue(mask.allSatisfy { $0 == 0 || $0 == 1 / Float(0.9) })
        // Neighbouring decisions are independent: P(both dropped) ≈ p².
        let pairs = (0..<(count - 1)).filter { mask[$0] == 0 && mask[$0 + 1] == 0 }.count
        XCTAssertEqual(Double(pairs) / Double(count - 1), 0.01, accuracy: 0.0015)
    }

    func testLaneGeneratorMatchesScalarXoshiro128StarStar() {
        // Reference: xoshiro128** for lane 3 computed with plain UInt32 arithmetic.
        var seedRNG = RNG(seed: 5)
        var generator = LaneGenerator(rng: &seedRNG)
        var replay = RNG(seed: 5)
        var words: [[UInt32]] = []
        for _ in 0..<4 {
            var lanes: [UInt32] = []
            for _ in 0..<4 { let bits = replay.next(); lanes += [UInt32(truncatingIfNeeded: bits), UInt32(truncatingIfNeeded: bits >> 32)] }
            words.append(lanes)
        }
        var (s0, s1, s2, s3) = (words[0][3], words[1][3], words[2][3], words[3][3])
        func rotl(_ x: UInt32, _ k: UInt32) -> UInt32 { (x << k) | (x >> (32 - k)) }
        for _ in 0..<10 {
            let expected = rotl(s1 &* 5, 7) &* 9
            let t = s1 << 9
            s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11)
            XCTAssertEqual(generator.next()[3], expected)
        }
    }

    func testDropoutIsTheIdentityInEvaluationAndSameSeedSameMask() {
        let parameters = ParameterSet()
        var rng = RNG(seed: 1)
        parameters.finalize(rng: &rng)
        let graph = Graph(parameters: parameters, training: false, flops: FlopCounter())
        let x = graph.constant(shape: [4, 8], values: randomValues(32, seed: 2))
        XCTAssertEqual(graph.dropout(x, p: 0.5, rng: &rng), x)
        graph.training = true
        var first = RNG(seed: 3), second = RNG(seed: 3)
        XCTAssertEqual(graph.value(graph.dropout(x, p: 0.5, rng: &first)), graph.value(graph.dropout(x, p: 0.5, rng: &second)))
    }
}

final class DropoutReplayTests: XCTestCase {
    func testDropoutApplyUsesTheSameDecisionsAsTheStoredMask() {
        let count = 203
        let x = randomValues(count, seed: 8)
        var rng = RNG(seed: 21)
        let generator = LaneGenerator(rng: &rng)
        var maskGenerator = generator, applyGenerator = generator
        var mask = [Float](repeating: 0, count: count), y = [Float](repeating: 7, count: count)
        Elementwise.dropoutMask(&mask, count: count, p: 0.3, generator: &maskGenerator)
        Elementwise.dropoutApply(x, into: &y, count: count, p: 0.3, generator: &applyGenerator, accumulate: false)
        for i in 0..<count { XCTAssertEqual(y[i], x[i] * mask[i]) }
    }
}
