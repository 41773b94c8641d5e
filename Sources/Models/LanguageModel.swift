import TensorCore

/// One interface for the whole zoo (makemore's idea): a model owns its parameters and maps a
/// batch of token windows to next-token logits on a ``Graph``.
public protocol LanguageModel: AnyObject {
    var config: ModelConfig { get }
    /// Every weight, in one contiguous allocation with PyTorch-style names.
    var parameters: ParameterSet { get }
    /// Parameters that are lookup tables (token and position embeddings); the rest are
    /// "non-embedding" parameters in Kaplan et al.'s (2020) sense.
    var embeddingParameterNames: Set<String> { get }
    /// The model's tensors as PyTorch names them (views into `parameters`' flat buffer), for
    /// weights I/O. Usually the parameters themselves; the transformer merges its q, k, v rows
    /// into `in_proj_weight` and `in_proj_bias`.
    var tensorLayout: [TensorLayout] { get }
    /// Whether the model can predict every position of a window (sequence models only).
    var supportsAllPositions: Bool { get }

    /// Forward pass. `tokens` holds `batchSize` windows of `config.contextLength` tokens, row
    /// by row. Returns logits (B, V) for `.last` or (B·T, V), window-major, for `.all`.
    /// `dropoutRNG` draws the dropout masks (ignored when the graph is not training).
    func logits(_ graph: Graph, tokens: [Int32], batchSize: Int, predicting: PredictedPositions,
                dropoutRNG: inout RNG) -> Node
}

/// One named tensor of a model: a view of `count` floats at `offset` in the flat parameter buffer.
public struct TensorLayout: Hashable, Sendable {
    public let name: String
    public let shape: [Int]
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
    public init(name: String, shape: [Int], offset: Int) { self.name = name; self.shape = shape; self.offset = offset }
}

extension LanguageModel {
    public var tensorLayout: [TensorLayout] {
        parameters.entries.map { TensorLayout(name: $0.name, shape: $0.shape, offset: $0.offset) }
    }

    /// Total scalar parameters.
    public var parameterCount: Int { parameters.count }

    /// Parameters outside the embedding tables (a tied head counts once, as the table).
    public var nonEmbeddingParameterCount: Int {
        parameters.entries.filter { !embeddingParameterNames.contains($0.name) }
            .reduce(0) { $0 + $1.shape.reduce(1, *) }
    }
}

/// Builds the model a config describes and initializes it from `rng` the way PyTorch
/// initializes the same modules (``Initializer`` mirrors `nn.Linear`, `nn.Embedding`,
/// `nn.LayerNorm` and `nn.MultiheadAttention`).
public func makeLanguageModel(_ config: ModelConfig, initRNG rng: inout RNG) -> any LanguageModel {
    let model: any LanguageModel
    switch config.architecture {
    case .linear: model = LinearModel(config)
    case .mlp: model = MLPModel(config)
    case .attention, .transformer: model = TransformerModel(config)
    }
    model.parameters.finalize(rng: &rng)
    return model
}
