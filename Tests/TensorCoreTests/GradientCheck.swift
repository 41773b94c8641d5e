import XCTest
@testable import TensorCore

/// Finite-difference gradient checking. Every op input is a parameter (so its analytic gradient
/// lands in the flat gradient buffer); the loss is Σ op(x) ⊙ R with a fixed random R, so the
/// upstream gradient is generic rather than all ones. Each checked coordinate is compared with a
/// central difference (L(x + ε) − L(x − ε)) / 2ε evaluated in Double from fp32 forwards.
///
/// Tolerance: with ε = 1e−2 the truncation error is O(ε²·f''') ≈ 1e−4 relative, and the fp32
/// rounding of the loss (|L| ≲ 10, ulp ≈ 1e−6) contributes ≈ 1e−6/ε = 1e−4 absolute; we accept
/// |analytic − numeric| ≤ 2e−3 + 1e−2·max(|analytic|, |numeric|), an order of magnitude above both.
/// A wrong gradient (a missing term, a transposed operand, a wrong scale) misses by far more.
struct GradientCheck {
    var epsilon: Float = 1e-2
    var absoluteTolerance: Float = 2e-3
    var relativeTolerance: Float = 1e-2
    /// At most this many coordinates per parameter are checked (spread evenly, always the first and last).
    var coordinatesPerParameter = 60

    /// `inputs`: name → (shape, initial values or nil for N(0,1)). `build` returns the op's output
    /// (any shape; a scalar output is used as the loss directly). `rngSeed` reseeds dropout each evaluation.
    func run(inputs: [(name: String, shape: [Int], values: [Float]?)],
             file: StaticString = #filePath, line: UInt = #line,
             build: @escaping (Graph, [Node], inout RNG) -> Node) {
        for viaIntermediates in [false, true] {
            let failures = mismatches(inputs: inputs, viaIntermediates: viaIntermediates, report: true, file: file, line: line, build: build)
            XCTAssertEqual(failures, 0, "coordinates with a wrong gradient (inputs via intermediates: \(viaIntermediates))",
                           file: file, line: line)
        }
    }

    /// The number of checked coordinates whose analytic gradient disagrees with the numeric one.
    /// `viaIntermediates`: the op sees x ⊙ 1 instead of the parameter x itself, so its inputs are
    /// activations whose gradient buffers start unwritten (the first-writer-overwrites path)
    /// rather than parameter gradients (always accumulated).
    func mismatches(inputs: [(name: String, shape: [Int], values: [Float]?)], viaIntermediates: Bool = false, report: Bool,
                    file: StaticString = #filePath, line: UInt = #line,
                    build: @escaping (Graph, [Node], inout RNG) -> Node) -> Int {
        let parameters = ParameterSet()
        let handles = inputs.map { parameters.add($0.name, shape: $0.shape, initializer: .embedding) }
        var initRNG = RNG(seed: 1234)
        parameters.finalize(rng: &initRNG)
        for (handle, input) in zip(handles, inputs) {
            if let values = input.values { parameters.setValues(handle, values) }
        }
        let graph = Graph(parameters: parameters, training: true, flops: FlopCounter())
        var projection: [Float] = []

        func loss() -> Node {
            graph.reset()
            var dropoutRNG = RNG(seed: 99)
            let nodes = handles.map { handle -> Node in
                let p = graph.param(handle)
                guard viaIntermediates else { return p }
                return graph.mul(p, graph.constant(shape: graph.shape(p), values: [Float](repeating: 1, count: graph.shape(p).reduce(1, *))))
            }
            let y = build(graph, nodes, &dropoutRNG)
            let count = graph.shape(y).reduce(1, *)
            if count == 1 { return y }
            if projection.isEmpty {
                var projectionRNG = RNG(seed: 7)
                projection = (0..<count).map { _ in projectionRNG.normal() }
            }
            return graph.sum(graph.mul(y, graph.constant(shape: graph.shape(y), values: projection)))
        }

        parameters.zeroGrad()
        graph.backward(loss())
        let analytic = parameters.flatGrads
        var base = parameters.flatValues
        var failures = 0
        for (handle, input) in zip(handles, inputs) {
            let entry = parameters.entry(handle)
            let spacing = max(1, entry.count / coordinatesPerParameter)
            var coordinates = Array(stride(from: 0, to: entry.count, by: spacing))
            if coordinates.last != entry.count - 1 { coordinates.append(entry.count - 1) }
            for coordinate in coordinates {
                let index = entry.offset + coordinate
                let original = base[index]
                base[index] = original + epsilon
                parameters.flatValues = base
                let plus = Double(graph.scalar(loss()))
                base[index] = original - epsilon
                parameters.flatValues = base
                let minus = Double(graph.scalar(loss()))
                base[index] = original
                let numeric = Float((plus - minus) / (2 * Double(epsilon)))
                let error = abs(analytic[index] - numeric)
                let allowed = absoluteTolerance + relativeTolerance * max(abs(analytic[index]), abs(numeric))
                if error > allowed {
                    failures += 1
                    if report && failures <= 5 {
                        XCTFail("gradient of \(input.name)[\(coordinate)]: analytic \(analytic[index]) vs numeric \(numeric)",
                                file: file, line: line)
                    }
                }
            }
        }
        parameters.flatValues = base
        return failures
    }
}

/// Deterministic test data.
func randomValues(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var rng = RNG(seed: seed)
    return (0..<count).map { _ in scale * rng.normal() }
}

/// Values bounded away from zero (for ReLU's kink): |x| ≥ 0.1.
func valuesAwayFromZero(_ count: Int, seed: UInt64) -> [Float] {
    var rng = RNG(seed: seed)
    return (0..<count).map { _ in
        let magnitude = rng.uniform(0.1, 1.5)
        return rng.nextFloat() < 0.5 ? -magnitude : magnitude
    }
}
