import TensorCore

/// Bengio et al. (2003), "A Neural Probabilistic Language Model": the concatenated context
/// embeddings feed hidden layers (Linear → ReLU → Dropout, one per width), then the vocabulary.
/// Depth is the number of hidden layers.
///
/// Tensor names follow the PyTorch reference (`torch_study.py`, class `MLP`): `emb.weight`,
/// `body.{3i}.weight|bias` for hidden layer i (an `nn.Sequential` of Linear, ReLU, Dropout
/// triples), `out.weight`, `out.bias`.
public final class MLPModel: LanguageModel {
    public let config: ModelConfig
    public let parameters = ParameterSet()
    public let embeddingParameterNames: Set<String> = ["emb.weight"]
    public var supportsAllPositions: Bool { false }
    let embedding: Parameter
    let hidden: [(weight: Parameter, bias: Parameter)]
    let outWeight, outBias: Parameter

    init(_ config: ModelConfig) {
        self.config = config
        let (V, T, d) = (config.vocabularySize, config.contextLength, config.dModel)
        embedding = parameters.add("emb.weight", shape: [V, d], initializer: .embedding)
        var layers: [(Parameter, Parameter)] = []
        var width = T * d
        for (i, h) in config.hiddenWidths.enumerated() {
            let name = "body.\(3 * i)"
            layers.append((parameters.add("\(name).weight", shape: [h, width], initializer: .linearWeight(fanIn: width)),
                           parameters.add("\(name).bias", shape: [h], initializer: .linearBias(fanIn: width))))
            width = h
        }
        hidden = layers
        outWeight = parameters.add("out.weight", shape: [V, width], initializer: .linearWeight(fanIn: width))
        outBias = parameters.add("out.bias", shape: [V], initializer: .linearBias(fanIn: width))
    }

    public func logits(_ g: Graph, tokens: [Int32], batchSize B: Int, predicting: PredictedPositions,
                       dropoutRNG: inout RNG) -> Node {
        precondition(predicting == .last, "the MLP predicts only the token after the window")
        let (T, d) = (config.contextLength, config.dModel)
        var x = g.reshape(g.embedding(g.param(embedding), tokens: tokens, shape: [B, T]), [B, T * d]) // (B, T·d)
        for layer in hidden {
            x = g.linear(x, weight: g.param(layer.weight), bias: g.param(layer.bias), activation: .relu)  // (B, h)
            x = g.dropout(x, p: config.dropout, rng: &dropoutRNG)
        }
        return g.linear(x, weight: g.param(outWeight), bias: g.param(outBias))         // (B, V)
    }
}
