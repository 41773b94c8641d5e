/// The hyperparameters that fix a model's shape: everything a model needs, nothing about data
/// files or optimization. `Training` builds one from its resolved `Run` (Models must not know
/// runs). No field has a default here: defaults are a run's, decided in one place
/// (`RunConfig.resolved()`).
public struct ModelConfig: Hashable, Sendable, Codable {
    /// The model zoo, simplest first. Raw values are run configs' `arch`.
    public enum Architecture: String, CaseIterable, Hashable, Sendable, Codable { case linear, mlp, attention, transformer }
    /// Where position information comes from (attention and transformer only).
    public enum Positions: String, CaseIterable, Hashable, Sendable, Codable {
        /// A learned (T, d) table added to the token embeddings (GPT-2, the study).
        case learned
        /// Rotary embeddings on queries and keys (Su et al., 2021); no table.
        case rope
        /// No position signal beyond the causal mask.
        case none
    }
    /// Post-LN (Vaswani et al., 2017; the study's runs) or pre-LN (GPT-2) blocks.
    public enum NormPlacement: String, CaseIterable, Hashable, Sendable, Codable { case post, pre }
    /// Where a block puts its dropout and how it initialises its attention projections.
    public enum BlockStyle: String, CaseIterable, Hashable, Sendable, Codable {
        /// `nn.MultiheadAttention` and the study's post-LN block: dropout on the attention
        /// probabilities and once after the feed-forward net; the packed q, k, v projection
        /// Xavier-initialised.
        case standard
        /// The study's pre-LN block (its positions experiment), as its code trains it: no
        /// dropout on the attention probabilities, dropout on the attention output, the
        /// feed-forward output's dropout applied twice (once inside the net, once on the
        /// residual branch), and q, k, v and out initialised as plain `nn.Linear` layers.
        case study
    }

    public var architecture: Architecture
    /// Tokens in the vocabulary (V), from the corpus.
    public var vocabularySize: Int
    /// Tokens of context per window (T).
    public var contextLength: Int
    /// Embedding width (d).
    public var dModel: Int
    /// Attention heads (attention, transformer).
    public var heads: Int
    /// Transformer blocks (1 for `attention`).
    public var depth: Int
    /// Feed-forward width inside a block.
    public var ffnWidth: Int
    /// MLP hidden widths, one per hidden layer (Bengio et al., 2003).
    public var hiddenWidths: [Int]
    /// Dropout probability: after each MLP hidden ReLU; in a block where ``blockStyle`` puts it.
    public var dropout: Float
    public var positions: Positions
    public var norm: NormPlacement
    public var blockStyle: BlockStyle
    /// The output head reuses the token-embedding matrix (Press & Wolf, 2017).
    public var tiedHead: Bool

    public init(architecture: Architecture, vocabularySize: Int, contextLength: Int, dModel: Int,
                heads: Int, depth: Int, ffnWidth: Int, hiddenWidths: [Int], dropout: Float,
                positions: Positions, norm: NormPlacement, blockStyle: BlockStyle, tiedHead: Bool) {
        self.architecture = architecture; self.vocabularySize = vocabularySize
        self.contextLength = contextLength; self.dModel = dModel; self.heads = heads
        self.depth = depth; self.ffnWidth = ffnWidth; self.hiddenWidths = hiddenWidths
        self.dropout = dropout; self.positions = positions; self.norm = norm
        self.blockStyle = blockStyle; self.tiedHead = tiedHead
    }
}

/// Which positions of a window the model predicts.
public enum PredictedPositions: Hashable, Sendable {
    /// Only the token after the window (the study's objective): logits (B, V).
    case last
    /// Every position's next token (standard language modelling): logits (B·T, V).
    case all
    /// The last k positions of every window (sliding-window evaluation scores only the tokens
    /// a window adds): logits (B·k, V), window-major. Sequence models only.
    case lastPositions(Int)

    /// Predicted positions per window.
    public func count(contextLength: Int) -> Int {
        switch self {
        case .last: return 1
        case .all: return contextLength
        case .lastPositions(let k): return k
        }
    }
}
