import XCTest
@testable import TensorCore

/// The exact counter against closed forms written from `FlopConvention`.
final class FlopCounterTests: XCTestCase {
    override func setUp() { TensorCore.setBLASThreads(1) }

    private func graph(_ inputs: [(String, [Int])]) -> (Graph, [Node], FlopCounter) {
        let parameters = ParameterSet()
        let handles = inputs.map { parameters.add($0.0, shape: $0.1, initializer: .normal(std: 0.1)) }
        var rng = RNG(seed: 5)
        parameters.finalize(rng: &rng)
        let flops = FlopCounter()
        let g = Graph(parameters: parameters, training: true, flops: flops)
        return (g, handles.map { g.param($0) }, flops)
    }

    func testMatmulChainCountEqualsClosedForm() {
        // E = (A·B)·D, loss = Σ E; A (m, k), B (k, n), D (n, p).
        let (m, k, n, p) = (6, 5, 4, 3)
        let (g, nodes, flops) = graph([("A", [m, k]), ("B", [k, n]), ("D", [n, p])])
        let loss = g.sum(g.matmul(g.matmul(nodes[0], nodes[1]), nodes[2]))
        let forward = Double(2 * m * k * n + 2 * m * n * p) + FlopConvention.sumForward * Double(m * p)
        XCTAssertEqual(flops.forward, forward)
        g.backward(loss)
        // Each product's two input gradients cost one GEMM of the product's size each.
        XCTAssertEqual(flops.backward, Double(2 * (2 * m * n * p) + 2 * (2 * m * k * n)))
        XCTAssertEqual(flops.optimizer, 0)
        flops.reset()
        XCTAssertEqual(flops.total, 0)
    }

    func testCausalAttentionCountEqualsClosedForm() {
        let (b, h, t, d) = (2, 3, 7, 4)
        let shape = [b, h, t, d]
        let (g, nodes, flops) = graph([("q", shape), ("k", shape), ("v", shape)])
        var rng = RNG(seed: 1)
        let out = g.attention(q: nodes[0], k: nodes[1], v: nodes[2], causal: true, dropout: 0, rng: &rng)
        let slices = Double(b * h), unmasked = Double(t * (t + 1) / 2)
        let gemm = Double(2 * t * t * d)   // each of Q·Kᵀ, P·V, dO·Vᵀ, Pᵀ·dO, dS·K, dSᵀ·Q
        XCTAssertEqual(flops.forward, slices * (2 * gemm + FlopConvention.softmaxForward * unmasked))
        g.backward(from: out, outputGradient: [Float](repeating: 1, count: b * h * t * d))
        XCTAssertEqual(flops.backward, slices * (4 * gemm + FlopConvention.softmaxBackward * unmasked))
    }

    func testLinearCountIncludesBiasAndItsGradient() {
        let (rows, inF, outF) = (10, 6, 4)
        let (g, nodes, flops) = graph([("x", [rows, inF]), ("w", [outF, inF]), ("b", [outF])])
        let y = g.linear(nodes[0], weight: nodes[1], bias: nodes[2])
        XCTAssertEqual(flops.forward, Double(2 * rows * inF * outF + rows * outF))
        g.backward(from: y, outputGradient: [Float](repeating: 1, count: rows * outF))
        XCTAssertEqual(flops.backward, Double(2 * (2 * rows * inF * outF) + rows * outF))
    }

    func testEvaluationModeCountsForwardOnly() {
        let (g, nodes, flops) = graph([("A", [3, 4]), ("B", [4, 5])])
        g.training = false
        g.reset()
        _ = g.matmul(g.param(Parameter(index: 0)), g.param(Parameter(index: 1)))
        _ = nodes
        XCTAssertEqual(flops.forward, Double(2 * 3 * 4 * 5))
        XCTAssertEqual(flops.backward, 0)
    }
}
