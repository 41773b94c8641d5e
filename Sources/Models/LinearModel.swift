import TensorCore

/// The simplest model of the study: the T context tokens' embeddings, concatenated into one
/// (T·d) vector, then one linear layer with bias to the vocabulary. No hidden layer, no
/// positions (the concatenation order carries them).
///
/// Tensor names follow the PyTorch reference (`torch_study.py`, class `Linear`):
/// `emb.weight` (V, d), `out.weight` (V, T·d), `out.bias` (V).
public final class LinearModel: LanguageModel {
    public let config: ModelConfig
    public let parameters = ParameterSet()
    public let embeddingParameterNames: Set<String> = ["emb.weight"]
    public var supportsAllPositions: Bool { false }
    let embedding, outWeight, outBias: Parameter

    init(_ config: ModelConfig) {
        self.config = config
        let (V, T, d) = (config.vocabularySize, config.contextLength, config.dModel)
        embedding = parameters.add("emb.weight", shape: [V, d], initializer: .embedding)
        outWeight = parameters.add("out.weight", shape: [V, T * d], initializer: .linearWeight(fanIn: T * d))
        outBias = parameters.add("out.bias", shape: [V], initializer: .linearBias(fanIn: T * d))
    }

    public func logits(_ g: Graph, tokens: [Int32], batchSize B: Int, predicting: PredictedPositions,
                       dropoutRNG: inout RNG) -> Node {
        precondition(predicting == .last, "the linear model predicts only the token after the window")
        let (T, d) = (config.contextLength, config.dModel)
        let x = g.embedding(g.param(embedding), tokens: tokens, shape: [B, T])     // (B, T, d)
        let flat = g.reshape(x, [B, T * d])                                        // (B, T·d)
        return g.linear(flat, weight: g.param(outWeight), bias: g.param(outBias))  // (B, V)
    }
}
