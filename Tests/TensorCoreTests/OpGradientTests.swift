import XCTest
@testable import TensorCore

/// Finite-difference checks of the dense, elementwise, normalisation and layout ops
/// (tolerance explained in GradientCheck.swift).
final class OpGradientTests: XCTestCase {
    let check = GradientCheck()

    func testLinearGradientWithBias() {
        check.run(inputs: [("x", [2, 3, 5], nil), ("w", [4, 5], nil), ("b", [4], nil)]) { g, n, _ in
            g.linear(n[0], weight: n[1], bias: n[2])
        }
    }

    func testLinearGradientWithoutBias() {
        check.run(inputs: [("x", [6, 5], nil), ("w", [3, 5], nil)]) { g, n, _ in
            g.linear(n[0], weight: n[1], bias: nil)
        }
    }

    func testMatmulGradientForEveryTransposeCombination() {
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let shapeA = transposeA ? [4, 3] : [3, 4]
                let shapeB = transposeB ? [5, 4] : [4, 5]
                check.run(inputs: [("a", shapeA, nil), ("b", shapeB, nil)]) { g, n, _ in
                    g.matmul(n[0], n[1], transposeA: transposeA, transposeB: transposeB)
                }
            }
        }
    }

    func testBatchedMatmulGradient() {
        check.run(inputs: [("a", [2, 3, 4], nil), ("b", [2, 5, 4], nil)]) { g, n, _ in
            g.matmul(n[0], n[1], transposeB: true)
        }
        check.run(inputs: [("a", [2, 4, 3], nil), ("b", [2, 4, 5], nil)]) { g, n, _ in
            g.matmul(n[0], n[1], transposeA: true)
        }
    }

    func testBatchedMatmulWithSharedRightOperandGradient() {
        check.run(inputs: [("a", [2, 3, 4], nil), ("b", [4, 5], nil)]) { g, n, _ in
            g.matmul(n[0], n[1])
        }
    }

    func testAddGradientSameShapeAndBroadcast() {
        check.run(inputs: [("a", [2, 3, 4], nil), ("b", [2, 3, 4], nil)]) { g, n, _ in g.add(n[0], n[1]) }
        check.run(inputs: [("a", [2, 3, 4], nil), ("b", [4], nil)]) { g, n, _ in g.add(n[0], n[1]) }
        check.run(inputs: [("a", [2, 3, 4], nil), ("b", [3, 4], nil)]) { g, n, _ in g.add(n[0], n[1]) }
    }

    func testMulGradientSameShapeAndBroadcast() {
        check.run(inputs: [("a", [3, 4], nil), ("b", [3, 4], nil)]) { g, n, _ in g.mul(n[0], n[1]) }
        check.run(inputs: [("a", [3, 4], nil), ("b", [4], nil)]) { g, n, _ in g.mul(n[0], n[1]) }
    }

    func testReluGradientAwayFromTheKink() {
        check.run(inputs: [("x", [4, 6], valuesAwayFromZero(24, seed: 3))]) { g, n, _ in g.relu(n[0]) }
    }

    func testGeluGradient() {
        check.run(inputs: [("x", [4, 6], randomValues(24, seed: 4, scale: 2))]) { g, n, _ in g.gelu(n[0]) }
    }

    func testDropoutGradientWithAFixedMask() {
        check.run(inputs: [("x", [5, 8], nil)]) { g, n, rng in g.dropout(n[0], p: 0.3, rng: &rng) }
    }

    func testLayerNormGradient() {
        check.run(inputs: [("x", [3, 2, 8], randomValues(48, seed: 5, scale: 2)), ("w", [8], nil), ("b", [8], nil)]) { g, n, _ in
            g.layerNorm(n[0], weight: n[1], bias: n[2])
        }
    }

    func testSoftmaxGradient() {
        check.run(inputs: [("x", [3, 7], nil)]) { g, n, _ in g.softmax(n[0]) }
    }

    func testSplitAndMergeHeadsGradient() {
        check.run(inputs: [("x", [2, 3, 8], nil)]) { g, n, _ in g.splitHeads(n[0], heads: 2) }
        check.run(inputs: [("x", [2, 2, 3, 4], nil)]) { g, n, _ in g.mergeHeads(n[0]) }
    }

    func testLastPositionConcatChunkAndReshapeGradients() {
        check.run(inputs: [("x", [2, 3, 4], nil)]) { g, n, _ in g.lastPosition(n[0]) }
        check.run(inputs: [("a", [2, 3], nil), ("b", [2, 5], nil)]) { g, n, _ in g.concat([n[0], n[1]], axis: 1) }
        check.run(inputs: [("a", [2, 3], nil), ("b", [1, 3], nil)]) { g, n, _ in g.concat([n[0], n[1]], axis: 0) }
        check.run(inputs: [("x", [2, 6], nil)]) { g, n, _ in
            let parts = g.chunk(n[0], 3)
            return g.add(g.mul(parts[0], parts[1]), parts[2])
        }
        check.run(inputs: [("x", [2, 6], nil)]) { g, n, _ in g.relu(g.reshape(n[0], [3, 4])) }
    }

    func testOneNodeFeedingSeveralInputsAndSeveralOps() {
        // The same activation as both operands, and consumed by several ops: the first backward
        // writer overwrites its unwritten gradient, every later one accumulates.
        check.run(inputs: [("x", [3, 4], nil)]) { g, n, _ in g.add(n[0], n[0]) }
        check.run(inputs: [("x", [3, 4], nil)]) { g, n, _ in g.mul(n[0], n[0]) }
        check.run(inputs: [("x", [3, 4], nil)]) { g, n, _ in g.matmul(n[0], n[0], transposeB: true) }
        check.run(inputs: [("x", [2, 3, 4], nil)]) { g, n, _ in g.matmul(n[0], n[0], transposeA: true) }
        check.run(inputs: [("x", [3, 4], nil), ("w", [4, 4], nil)]) { g, n, _ in
            let h = g.linear(n[0], weight: n[1], bias: nil)   // GELU, not ReLU: h has entries near ReLU's kink
            return g.add(g.gelu(h), g.linear(h, weight: n[1], bias: nil))
        }
        check.run(inputs: [("x", [1, 2, 5, 4], nil)]) { g, n, rng in
            g.attention(q: n[0], k: n[0], v: n[0], causal: true, dropout: 0, rng: &rng)
        }
        check.run(inputs: [("x", [2, 3, 8], nil)]) { g, n, _ in
            g.add(g.mergeHeads(g.splitHeads(n[0], heads: 2)), g.reshape(g.layerNorm(g.reshape(n[0], [6, 8]), weight: g.constant(shape: [8], values: [Float](repeating: 1, count: 8)), bias: g.constant(shape: [8], values: [Float](repeating: 0, count: 8))), [2, 3, 8]))
        }
    }

    func testAnUnusedOpOutputContributesNothing() {
        check.run(inputs: [("x", [2, 6], nil)]) { g, n, _ in
            let parts = g.chunk(n[0], 3)   // parts[2] is never used
            return g.mul(parts[0], parts[1])
        }
    }

    func testSumAndMeanGradient() {
        check.run(inputs: [("x", [3, 5], nil)]) { g, n, _ in g.mul(g.sum(n[0]), g.mean(n[0])) }
    }
}

/// The checker itself: an op whose backward is deliberately wrong must be caught.
final class GradientCheckSelfTests: XCTestCase {
    func testGradientCheckCatchesAWrongGradient() {
        let failures = GradientCheck().mismatches(inputs: [("x", [3, 4], nil)], report: false) { g, n, _ in
            g.squareWithHalvedGradient(n[0])
        }
        XCTAssertGreaterThan(failures, 0)
    }
}

private extension Graph {
    /// y = x², with backward dx += x·dy instead of 2x·dy.
    func squareWithHalvedGradient(_ x: Node) -> Node {
        let out = output(shape: shapes[x.index], withGrad: true)
        let px = values[x.index], py = values[out.index], count = Graph.elementCount(shapes[x.index])
        for i in 0..<count { py[i] = px[i] * px[i] }
        let dx = grads[x.index]!, dy = grads[out.index]!
        record("squareWithHalvedGradient", output: out, inputs: [x]) { for i in 0..<count { dx[i] += px[i] * dy[i] } }
        return out
    }
}
