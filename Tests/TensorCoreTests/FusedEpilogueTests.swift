import XCTest
@testable import TensorCore

/// The fused epilogues (`linear` with an activation, `residualDropout`): finite-difference
/// gradients, and the values and gradients of the unfused ops they replace.
final class FusedEpilogueTests: XCTestCase {
    let check = GradientCheck()

    /// x (rows, 5) and W (4, 5) from the first seed whose pre-activations x·Wᵀ + b all lie at
    /// least 0.15 from ReLU's kink, so ε = 10⁻² perturbations never cross it.
    func inputsAwayFromTheKink(rows: Int) -> (x: [Float], w: [Float], b: [Float]) {
        for seed in UInt64(1)... {
            let x = randomValues(rows * 5, seed: seed), w = randomValues(20, seed: seed + 1000, scale: 0.5)
            let b = randomValues(4, seed: seed + 2000, scale: 0.5)
            var pre: [Float] = []
            for r in 0..<rows {
                for o in 0..<4 {
                    var sum = b[o]
                    for i in 0..<5 { sum += x[r * 5 + i] * w[o * 5 + i] }
                    pre.append(sum)
                }
            }
            if pre.allSatisfy({ abs($0) >= 0.15 }) && pre.contains(where: { $0 < 0 }) && pre.contains(where: { $0 > 0 }) {
                return (x, w, b)
            }
        }
        fatalError("unreachable")
    }

    func testLinearReLUGradientAwayFromTheKink() {
        let (x, w, b) = inputsAwayFromTheKink(rows: 3)
        check.run(inputs: [("x", [3, 5], x), ("w", [4, 5], w), ("b", [4], b)]) { g, n, _ in
            g.linear(n[0], weight: n[1], bias: n[2], activation: .relu)
        }
    }

    func testLinearGELUGradient() {
        check.run(inputs: [("x", [2, 3, 5], nil), ("w", [11, 5], nil), ("b", [11], nil)]) { g, n, _ in
            g.linear(n[0], weight: n[1], bias: n[2], activation: .gelu)
        }
    }

    func testResidualDropoutGradientWithAFixedMask() {
        check.run(inputs: [("r", [3, 13], nil), ("x", [3, 13], nil)]) { g, n, rng in
            g.residualDropout(n[0], n[1], p: 0.3, rng: &rng)
        }
    }

    /// Values of `build` and the gradients of Σ build ⊙ R for every input.
    func valuesAndGradients(_ inputs: [(shape: [Int], values: [Float])],
                            _ build: (Graph, [Node], inout RNG) -> Node) -> (values: [Float], gradients: [[Float]]) {
        let parameters = ParameterSet()
        let handles = inputs.enumerated().map { parameters.add("p\($0.offset)", shape: $0.element.shape, initializer: .zeros) }
        var initRNG = RNG(seed: 1)
        parameters.finalize(rng: &initRNG)
        for (handle, input) in zip(handles, inputs) { parameters.setValues(handle, input.values) }
        let graph = Graph(parameters: parameters, training: true, flops: FlopCounter())
        var rng = RNG(seed: 42)
        // Through x ⊙ 1, so the op's input gradients start unwritten (the overwrite path).
        let nodes = handles.map { handle -> Node in
            let p = graph.param(handle)
            return graph.mul(p, graph.constant(shape: graph.shape(p), values: [Float](repeating: 1, count: graph.shape(p).reduce(1, *))))
        }
        let y = build(graph, nodes, &rng)
        let count = graph.shape(y).reduce(1, *)
        let projection = graph.constant(shape: graph.shape(y), values: randomValues(count, seed: 77))
        parameters.zeroGrad()
        graph.backward(graph.sum(graph.mul(y, projection)))
        return (graph.value(y), handles.map { parameters.grads($0) })
    }

    func assertClose(_ a: [Float], _ b: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let worst = zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1e-5, "\(what): largest relative difference \(worst)", file: file, line: line)
    }

    /// The fused ops at a study-like width (vector body and a tail: 37 = 4·8 + 5 columns) give the
    /// unfused composition's values and gradients; the GEMM adds the bias after, not before, its
    /// sum, so equal to rounding.
    func testFusedLinearMatchesLinearThenActivation() {
        let inputs: [(shape: [Int], values: [Float])] = [([2, 9, 24], randomValues(2 * 9 * 24, seed: 3)),
                                                         ([37, 24], randomValues(37 * 24, seed: 4, scale: 0.3)),
                                                         ([37], randomValues(37, seed: 5))]
        for activation in [Activation.relu, .gelu] {
            let fused = valuesAndGradients(inputs) { g, n, _ in g.linear(n[0], weight: n[1], bias: n[2], activation: activation) }
            let unfused = valuesAndGradients(inputs) { g, n, _ in
                let y = g.linear(n[0], weight: n[1], bias: n[2])
                return activation == .relu ? g.relu(y) : g.gelu(y)
            }
            if activation == .relu { XCTAssertTrue(fused.values.contains(0), "ReLU zeroes some outputs here") }
            assertClose(fused.values, unfused.values, "\(activation) values")
            for (index, name) in ["x", "W", "b"].enumerated() {
                assertClose(fused.gradients[index], unfused.gradients[index], "\(activation) gradient of \(name)")
            }
        }
    }

    /// residual + dropout(x) gives the bits of add(residual, dropout(x)), forward and backward, and
    /// draws the same mask; with p = 0 it is the plain add.
    func testResidualDropoutGivesTheBitsOfAddAfterDropout() {
        let inputs: [(shape: [Int], values: [Float])] = [([4, 29], randomValues(116, seed: 8)), ([4, 29], randomValues(116, seed: 9))]
        for p: Float in [0.1, 0.5, 0] {
            let fused = valuesAndGradients(inputs) { g, n, rng in g.residualDropout(n[0], n[1], p: p, rng: &rng) }
            let unfused = valuesAndGradients(inputs) { g, n, rng in g.add(n[0], g.dropout(n[1], p: p, rng: &rng)) }
            XCTAssertEqual(fused.values.map(\.bitPattern), unfused.values.map(\.bitPattern), "values at p = \(p)")
            XCTAssertEqual(fused.gradients[0].map(\.bitPattern), unfused.gradients[0].map(\.bitPattern), "residual gradient at p = \(p)")
            XCTAssertEqual(fused.gradients[1].map(\.bitPattern), unfused.gradients[1].map(\.bitPattern), "x gradient at p = \(p)")
            let dropped = zip(fused.values, inputs[0].values).filter { $0 == $1 }.count
            XCTAssertEqual(dropped > 0, p > 0, "some positions keep only the residual at p = \(p)")
        }
    }

    /// Both fused ops count the FLOPs of the ops they replace.
    func testFusedOpsCountTheUnfusedFLOPs() {
        let inputs: [(shape: [Int], values: [Float])] = [([6, 8], randomValues(48, seed: 1)), ([5, 8], randomValues(40, seed: 2)),
                                                         ([5], randomValues(5, seed: 3))]
        func flops(_ build: @escaping (Graph, [Node], inout RNG) -> Node) -> Double {
            let parameters = ParameterSet()
            let handles = inputs.enumerated().map { parameters.add("p\($0.offset)", shape: $0.element.shape, initializer: .zeros) }
            var initRNG = RNG(seed: 1)
            parameters.finalize(rng: &initRNG)
            let counter = FlopCounter()
            let graph = Graph(parameters: parameters, training: true, flops: counter)
            var rng = RNG(seed: 42)
            let y = build(graph, handles.map { graph.param($0) }, &rng)
            graph.backward(graph.sum(y))
            return counter.total
        }
        for activation in [Activation.relu, .gelu] {
            XCTAssertEqual(flops { g, n, _ in g.linear(n[0], weight: n[1], bias: n[2], activation: activation) },
                           flops { g, n, _ in
                               let y = g.linear(n[0], weight: n[1], bias: n[2])
                               return activation == .relu ? g.relu(y) : g.gelu(y)
                           })
        }
        XCTAssertEqual(flops { g, n, rng in g.residualDropout(n[0], n[0], p: 0.2, rng: &rng) },
                       flops { g, n, rng in g.add(n[0], g.dropout(n[0], p: 0.2, rng: &rng)) })
    }
}
