import Corpus
import Foundation
import Models

/// Everything that determines one training run, and nothing else.
///
/// A run's identity is the hash of its canonical form (``canonicalized()``): two configs that
/// train the same model the same way have the same ``id``, whatever order a sweep listed them
/// in. Fields that do not apply to an architecture (depth for the linear model, heads for the
/// MLP) are dropped by canonicalization, so they never make duplicate jobs.
///
/// Keys in JSON and YAML are snake_case (`d_model`, `batch_size`); an unknown key is an error.
/// Architecture-specific fields are optional: nil means "the architecture's default", filled in
/// by canonicalization, so a default never differs between two spellings of one run.
public struct RunConfig: Codable, Hashable, Sendable {
    // MARK: data
    public var dataset: Dataset = .tinyshakespeare
    /// Split / tokenization convention: `study` (default), `nanogpt` (Tiny Shakespeare 90/10),
    /// `standard` (word level with `<eos>` after every line).
    public var convention: Convention = .study
    /// Use only the first N training tokens (the study uses 80,000 word tokens).
    public var maxTrainTokens: Int? = nil
    /// `dataset: text`: the corpus file, under the data root (or absolute). A spec may write
    /// `dataset: text:PATH` for both keys.
    public var textPath: String? = nil
    /// `dataset: text`: the file's SHA-256, filled in when a sweep is planned: part of the run's
    /// identity, so a changed file makes new runs.
    public var textSHA256: String? = nil
    /// `dataset: text`: `character` (the default) or `word`.
    public var tokenizer: TokenLevel? = nil

    // MARK: model
    public var arch: Architecture = .transformer
    /// Tokens of context the model sees (T).
    public var context: Int = 128
    /// Embedding width (d).
    public var dModel: Int = 128
    /// Attention heads (attention, transformer; default 4).
    public var heads: Int? = nil
    /// Transformer blocks (default 3), or MLP hidden layers (default 2).
    public var depth: Int? = nil
    /// Feed-forward width inside a block (attention, transformer). Default 4·d.
    public var ffnWidth: Int? = nil
    /// MLP hidden width, repeated `depth` times unless `hidden` lists the widths.
    public var hiddenWidth: Int? = nil
    /// MLP hidden widths, one per layer; wins over `hiddenWidth` × `depth`.
    public var hidden: [Int]? = nil
    /// Dropout probability (default 0.1; the linear model has none).
    public var dropout: Double? = nil
    /// Position information: `learned` table (default), `rope` (Su et al. 2021), or `none`.
    public var positions: Positions? = nil
    /// LayerNorm placement: `post` (the study's main runs, Vaswani 2017; default) or `pre`.
    public var norm: NormPlacement? = nil
    /// `standard` (default) or `study`: the study's own pre-LN block, dropout and init as its
    /// code has them (``ModelConfig/BlockStyle``). Pre-LN only.
    public var blockStyle: BlockStyle? = nil
    /// Output head shares the token-embedding matrix.
    public var tiedHead: Bool? = nil

    // MARK: objective and optimization
    /// `last`: one target per window, the token after it (the study). `all`: every position.
    public var objective: Objective = .last
    public var optimizer: Optimizer = .adam
    public var lr: Double = 3e-4
    public var weightDecay: Double = 0
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    public var momentum: Double = 0.9
    public var schedule: Schedule = .constant
    public var warmupSteps: Int = 0
    /// Global-norm gradient clipping; nil disables it.
    public var gradClip: Double? = nil
    public var batchSize: Int = 64
    public var seed: UInt64 = 0

    // MARK: budget (training stops at whichever limit it reaches first)
    public var epochs: Int = 4
    /// Random windows drawn (with replacement) per epoch.
    public var windowsPerEpoch: Int = 50_000
    /// Stop after this many predicted training targets.
    public var tokenBudget: Int? = nil
    /// Stop at the first step whose exact FLOP count (forward + backward + optimizer) reaches this.
    public var flopBudget: Double? = nil
    /// With a FLOP budget: the run is sized to it. Its length is the budget ÷ the exact FLOPs of
    /// one step (its first, from the tensor core's counter), rounded to the nearest step, and a
    /// cosine or WSD schedule decays to that last step, so the run is complete at its budget
    /// instead of cut mid-schedule (Hoffmann et al. 2022, §3: one cosine cycle per run).
    public var sizeToBudget: Bool? = nil
    /// Hard cap on optimizer steps, for quick checks.
    public var maxSteps: Int? = nil
    /// Evaluate on valid every N steps (token and FLOP budgets); nil = once per epoch.
    public var evalEvery: Int? = nil

    // MARK: evaluation
    /// `study`: the first `evalWindows` windows at stride 1, last position only.
    /// `full`: every token of the split predicted once, sliding windows of stride `evalStride`.
    public var evalMode: EvalMode = .study
    public var evalWindows: Int? = 10_000
    public var evalStride: Int? = nil
    /// Restore the best-valid weights before the test evaluation (the study's protocol).
    public var restoreBest: Bool = true

    // MARK: operation (how a run is carried out and kept, never what it computes: no part of its id)
    /// Seconds of training between two checkpoints of a run in flight; nil for the default
    /// (300), 0 for none. Resuming from a checkpoint gives the uninterrupted run's bits.
    public var checkpointEvery: Double? = nil
    /// In a sweep, write the weights the test used to `FOLDER/weights/ID.safetensors`: `none`
    /// (the default), `best` (kept for the best run of each dataset and architecture), `all`.
    public var saveWeights: WeightsPolicy? = nil

    public init() {}

    // Each concept is declared once, by the module that owns it; a config names them.
    public typealias Dataset = CorpusDataset
    public typealias Convention = CorpusConvention
    public typealias Objective = WindowTargets
    public typealias Architecture = ModelConfig.Architecture
    public typealias Positions = ModelConfig.Positions
    public typealias NormPlacement = ModelConfig.NormPlacement
    public typealias BlockStyle = ModelConfig.BlockStyle
    public enum Optimizer: String, Codable, CaseIterable, Sendable { case adam, adamw, sgd }
    /// `wsd`: warmup, stable, then a linear decay to 0 over the last 20% of steps (Hu et al. 2024;
    /// Hägele et al. 2024).
    public enum Schedule: String, Codable, CaseIterable, Sendable { case constant, cosine, wsd }
    public enum EvalMode: String, Codable, CaseIterable, Sendable { case study, full }
    public enum WeightsPolicy: String, Codable, CaseIterable, Sendable { case discard = "none", best, all }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dataset, convention, maxTrainTokens = "max_train_tokens"
        case textPath = "text_path", textSHA256 = "text_sha256", tokenizer
        case arch, context, dModel = "d_model", heads, depth, ffnWidth = "ffn_width"
        case hiddenWidth = "hidden_width", hidden, dropout, positions, norm, blockStyle = "block_style", tiedHead = "tied_head"
        case objective, optimizer, lr, weightDecay = "weight_decay", beta1, beta2, momentum
        case schedule, warmupSteps = "warmup_steps", gradClip = "grad_clip"
        case batchSize = "batch_size", seed
        case epochs, windowsPerEpoch = "windows_per_epoch", tokenBudget = "token_budget"
        case flopBudget = "flop_budget", sizeToBudget = "size_to_budget", maxSteps = "max_steps", evalEvery = "eval_every"
        case evalMode = "eval_mode", evalWindows = "eval_windows", evalStride = "eval_stride"
        case restoreBest = "restore_best", saveWeights = "save_weights"
        case checkpointEvery = "checkpoint_every"
    }

    /// Every key a config accepts, in declaration order (for `--help`, specs and error messages).
    public static var keys: [String] { CodingKeys.allCases.map(\.rawValue) }
}
