import XCTest
@testable import TensorCore

/// Same seed → same bits; activation memory reused across steps; evaluation allocates no gradients.
final class DeterminismAndMemoryTests: XCTestCase {
    override func setUp() { TensorCore.setBLASThreads(1) }

    private var tinyShape: BenchmarkTransformer.Shape {
        var shape = BenchmarkTransformer.Shape()
        shape.vocabulary = 11; shape.context = 8; shape.modelWidth = 16; shape.heads = 2
        shape.feedForwardWidth = 32; shape.layers = 2; shape.batch = 4; shape.dropout = 0.1
        return shape
    }

    /// Trains `steps` AdamW steps with dropout and clipping; returns the parameters and the graph.
    private func train(seed: UInt64, steps: Int, afterStep: ((Int, Graph) -> Void)? = nil) -> [Float] {
        let model = BenchmarkTransformer(shape: tinyShape, seed: seed)
        let graph = Graph(parameters: model.parameters, training: true, flops: FlopCounter())
        let optimizer = Adam(parameters: model.parameters, lr: 1e-2, weightDecay: 0.01, decoupledWeightDecay: true, flops: nil)
        var dataRNG = RNG(seed: seed, stream: 2), dropoutRNG = RNG(seed: seed, stream: 3)
        for step in 1...steps {
            let batch = model.randomBatch(rng: &dataRNG)
            model.parameters.zeroGrad()
            graph.reset()
            graph.backward(model.loss(graph, tokens: batch.tokens, targets: batch.targets, rng: &dropoutRNG))
            clipGradNorm(model.parameters, maxNorm: 1, flops: nil)
            optimizer.step(lr: 1e-2)
            afterStep?(step, graph)
        }
        return model.parameters.flatValues
    }

    func testTwoRunsWithOneSeedGiveBitIdenticalParameters() {
        let first = train(seed: 42, steps: 6), second = train(seed: 42, steps: 6)
        XCTAssertEqual(first.map(\.bitPattern), second.map(\.bitPattern))
        let initial = BenchmarkTransformer(shape: tinyShape, seed: 42).parameters.flatValues
        XCTAssertNotEqual(first, initial, "training changed the parameters")
        XCTAssertNotEqual(train(seed: 43, steps: 6), first, "another seed gives other parameters")
    }

    func testTrainingReducesTheLossOnAFixedBatch() {
        let model = BenchmarkTransformer(shape: tinyShape, seed: 3)
        let graph = Graph(parameters: model.parameters, training: true, flops: FlopCounter())
        let adam = Adam(parameters: model.parameters, lr: 3e-3, flops: nil)
        var rng = RNG(seed: 9)
        let batch = model.randomBatch(rng: &rng)
        var losses: [Float] = []
        for _ in 0..<30 {
            model.parameters.zeroGrad()
            graph.reset()
            let loss = model.loss(graph, tokens: batch.tokens, targets: batch.targets, rng: &rng)
            losses.append(graph.scalar(loss))
            graph.backward(loss)
            adam.step(lr: 3e-3)
        }
        XCTAssertLessThan(losses.last!, 0.5 * losses.first!)
    }

    func testArenaBytesAreIdenticalAfterStep2AndStep50() {
        var atStep2 = (0, 0)
        var atStep50 = (0, 0)
        _ = train(seed: 1, steps: 50) { step, graph in
            if step == 2 { atStep2 = graph.arenaBytes }
            if step == 50 { atStep50 = graph.arenaBytes }
        }
        XCTAssertGreaterThan(atStep2.0, 0)
        XCTAssertEqual(atStep2.0, atStep50.0)
        XCTAssertEqual(atStep2.1, atStep50.1)
    }

    func testEvaluationModeRecordsNoTapeAndAllocatesNoGradients() {
        let model = BenchmarkTransformer(shape: tinyShape, seed: 5)
        let graph = Graph(parameters: model.parameters, training: false, flops: FlopCounter())
        var rng = RNG(seed: 1)
        let batch = model.randomBatch(rng: &rng)
        let first = graph.scalar(model.loss(graph, tokens: batch.tokens, targets: batch.targets, rng: &rng))
        XCTAssertTrue(graph.tape.isEmpty)
        XCTAssertEqual(graph.arenaBytes.gradients, 0)
        // Dropout is off in evaluation: the same batch gives the same loss again.
        graph.reset()
        XCTAssertEqual(graph.scalar(model.loss(graph, tokens: batch.tokens, targets: batch.targets, rng: &rng)), first)
    }
}
