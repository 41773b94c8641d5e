import XCTest
import Models
import TensorCore

/// Each model memorizes a 200-token corpus to near-zero loss, full batch, Adam at 1e-2.
///
/// The corpus is a seeded random permutation of 200 distinct tokens, so every token's successor
/// is determined (even at the first position of a window, which the `all` objective also
/// scores) and zero loss is reachable. A model that cannot get there (a broken backward, a dead
/// head, a block that scrambles its input) stays near ln 200 ≈ 5.3 nats.
final class OverfitTests: XCTestCase {
    private func overfit(_ config: ModelConfig, predicting: PredictedPositions, steps: Int = 200, lr: Float = 1e-2,
                         file: StaticString = #filePath, line: UInt = #line) {
        let model = Fixture.model(config, seed: 1)
        let T = config.contextLength
        var rng = RNG(seed: 2024)
        var corpus = (0..<200).map(Int32.init)
        for i in stride(from: corpus.count - 1, to: 0, by: -1) { corpus.swapAt(i, rng.nextInt(below: i + 1)) }
        // `last`: every window (each scores the token after it); `all`: windows at stride T, so
        // every token from the second to the last full window's end is a target exactly once.
        var tokens: [Int32] = [], targets: [Int32] = []
        for start in stride(from: 0, to: corpus.count - T, by: predicting == .all ? T : 1) {
            tokens += corpus[start..<(start + T)]
            if predicting == .all { targets += corpus[(start + 1)...(start + T)] } else { targets.append(corpus[start + T]) }
        }
        let windows = tokens.count / T
        let flops = FlopCounter()
        let graph = Graph(parameters: model.parameters, training: true, flops: flops)
        let adam = Adam(parameters: model.parameters, lr: lr, flops: flops)
        var first: Float = 0, last: Float = 0
        for step in 0..<steps {
            model.parameters.zeroGrad()
            let loss = Fixture.loss(model, graph, tokens: tokens, targets: targets, batch: windows, predicting: predicting)
            last = graph.scalar(loss)
            if step == 0 { first = last }
            graph.backward(loss)
            adam.step(lr: lr)
        }
        XCTAssertGreaterThan(first, 4.5, file: file, line: line)
        XCTAssertLessThan(last, 0.05, "\(config.architecture) \(predicting) loss after \(steps) steps", file: file, line: line)
    }

    private func config(_ architecture: ModelConfig.Architecture, edit: (inout ModelConfig) -> Void = { _ in }) -> ModelConfig {
        var c = ModelConfig(architecture: architecture, vocabularySize: 200, contextLength: 8, dModel: 32, heads: 4,
                            depth: 2, ffnWidth: 64, hiddenWidths: [64], dropout: 0, positions: .learned, norm: .post, blockStyle: .standard,
                            tiedHead: false)
        edit(&c)
        return c
    }

    func testLinearModelMemorizesTinyCorpus() { overfit(config(.linear), predicting: .last) }

    func testMLPMemorizesTinyCorpus() { overfit(config(.mlp), predicting: .last) }

    func testSelfAttentionMemorizesTinyCorpus() { overfit(config(.attention), predicting: .last) }

    func testTransformerMemorizesTinyCorpusAtEveryPosition() { overfit(config(.transformer), predicting: .all) }

    func testPreLNRoPETransformerMemorizesTinyCorpus() {
        overfit(config(.transformer) { $0.norm = .pre; $0.positions = .rope }, predicting: .last)
    }
}
