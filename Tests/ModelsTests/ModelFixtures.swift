import Models
import TensorCore

/// Small shared helpers: build a model, and compute a batch's loss on a graph.
enum Fixture {
    static func model(_ config: ModelConfig, seed: UInt64 = 7) -> any LanguageModel {
        var rng = RNG(seed: seed)
        return makeLanguageModel(config, initRNG: &rng)
    }

    static func tiny(_ architecture: ModelConfig.Architecture, vocabulary: Int = 11, context: Int = 5,
                     edit: (inout ModelConfig) -> Void = { _ in }) -> ModelConfig {
        var c = ModelConfig(architecture: architecture, vocabularySize: vocabulary, contextLength: context, dModel: 8,
                            heads: 2, depth: architecture == .transformer ? 2 : 1, ffnWidth: 12,
                            hiddenWidths: [10, 9], dropout: 0, positions: .learned, norm: .post, blockStyle: .standard, tiedHead: false)
        edit(&c)
        return c
    }

    /// Mean NLL of `targets` given `tokens` (B windows), recording the tape when `graph.training`.
    static func loss(_ model: any LanguageModel, _ graph: Graph, tokens: [Int32], targets: [Int32],
                     batch: Int, predicting: PredictedPositions) -> Node {
        var rng = RNG(seed: 99)
        graph.reset()
        let logits = model.logits(graph, tokens: tokens, batchSize: batch, predicting: predicting, dropoutRNG: &rng)
        return graph.crossEntropy(logits, targets: targets)
    }

    /// `count` tokens drawn uniformly from the vocabulary.
    static func randomTokens(_ count: Int, vocabulary: Int, seed: UInt64) -> [Int32] {
        var rng = RNG(seed: seed)
        return (0..<count).map { _ in Int32(rng.nextInt(below: vocabulary)) }
    }
}
