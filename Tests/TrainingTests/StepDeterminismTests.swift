import Models
import XCTest
@testable import TensorCore
@testable import Training

/// Same seed → same bits through a whole training step (dropout, AdamW, clipping); activation
/// memory reused across steps; evaluation records no tape and allocates no gradients.
final class StepDeterminismTests: XCTestCase {
    override func setUp() { TensorCore.setBLASThreads(1) }

    private func tiny(seed: UInt64, lr: Double = 1e-2) -> Run {
        var c = RunConfig()
        c.arch = .transformer; c.context = 8; c.dModel = 16; c.heads = 2; c.ffnWidth = 32; c.depth = 2
        c.dropout = 0.1; c.batchSize = 4; c.optimizer = .adamw; c.weightDecay = 0.01; c.gradClip = 1; c.lr = lr
        c.seed = seed
        return c.resolved()
    }
    private let vocabulary = 11

    private func batch(_ run: Run, rng: inout RNG) -> (inputs: [Int32], targets: [Int32]) {
        ((0..<(run.batchSize * run.context)).map { _ in Int32(rng.nextInt(below: vocabulary)) },
         (0..<run.batchSize).map { _ in Int32(rng.nextInt(below: vocabulary)) })
    }

    /// Trains `steps` steps on fresh random windows; returns the parameters.
    private func train(_ run: Run, steps: Int, afterStep: ((Int, TrainingStep) -> Void)? = nil) -> [Float] {
        let stepper = TrainingStep(run: run, vocabularySize: vocabulary)
        var rng = RNG(seed: run.seed, stream: 2)
        for step in 1...steps {
            let b = batch(run, rng: &rng)
            _ = stepper.step(inputs: b.inputs, targets: b.targets, windows: run.batchSize, lr: Float(run.lr))
            afterStep?(step, stepper)
        }
        return stepper.model.parameters.flatValues
    }

    func testTwoRunsWithOneSeedGiveBitIdenticalParameters() {
        let first = train(tiny(seed: 42), steps: 6), second = train(tiny(seed: 42), steps: 6)
        XCTAssertEqual(first.map(\.bitPattern), second.map(\.bitPattern))
        let initial = TrainingStep(run: tiny(seed: 42), vocabularySize: vocabulary).model.parameters.flatValues
        XCTAssertNotEqual(first, initial, "training changed the parameters")
        XCTAssertNotEqual(train(tiny(seed: 43), steps: 6), first, "another seed gives other parameters")
    }

    func testTrainingReducesTheLossOnAFixedBatch() {
        let run = tiny(seed: 3, lr: 3e-3)
        let stepper = TrainingStep(run: run, vocabularySize: vocabulary)
        var rng = RNG(seed: 9)
        let b = batch(run, rng: &rng)
        let losses = (0..<30).map { _ in stepper.step(inputs: b.inputs, targets: b.targets, windows: run.batchSize, lr: 3e-3) }
        XCTAssertLessThan(losses.last!, 0.5 * losses.first!)
    }

    func testArenaBytesAreIdenticalAfterStep2AndStep50() {
        var atStep2 = (activations: 0, gradients: 0), atStep50 = (activations: 0, gradients: 0)
        _ = train(tiny(seed: 1), steps: 50) { step, stepper in
            if step == 2 { atStep2 = stepper.arenaBytes }
            if step == 50 { atStep50 = stepper.arenaBytes }
        }
        XCTAssertGreaterThan(atStep2.activations, 0)
        XCTAssertEqual(atStep2.activations, atStep50.activations)
        XCTAssertEqual(atStep2.gradients, atStep50.gradients)
    }

    func testEvaluationModeRecordsNoTapeAndAllocatesNoGradients() {
        let run = tiny(seed: 5)
        var initRNG = RNG(seed: 5)
        let model = makeLanguageModel(run.modelConfig(vocabularySize: vocabulary), initRNG: &initRNG)
        let graph = Graph(parameters: model.parameters, training: false, flops: FlopCounter())
        var rng = RNG(seed: 1)
        let b = batch(run, rng: &rng)
        func loss() -> Float {
            graph.reset()
            let logits = model.logits(graph, tokens: b.inputs, batchSize: run.batchSize, predicting: .last, dropoutRNG: &rng)
            return graph.scalar(graph.crossEntropy(logits, targets: b.targets))
        }
        let first = loss()
        XCTAssertTrue(graph.tape.isEmpty)
        XCTAssertEqual(graph.arenaBytes.gradients, 0)
        XCTAssertEqual(loss(), first, "dropout is off in evaluation: the same batch gives the same loss")
    }
}
