import Corpus
import Foundation
import Models

/// One run with every default decided: what the pipeline reads after the spec (jobs, the
/// trainer, the cost model, tables and reports). Made once, by ``RunConfig/resolved()``.
///
/// ``RunConfig`` is what users write and journals store; its architecture-specific fields are
/// optional, meaning "the architecture's default". A `Run` has no such optionals: every field
/// holds the value the run uses, in the lower modules' own types. Fields that do not apply to
/// the architecture hold a neutral value (0 heads for an MLP); ``config``, the canonical form,
/// still says which apply.
public struct Run: Hashable, Sendable {
    /// The canonical config: fields that do not apply removed, applicable defaults filled in.
    /// Two spellings of one run have equal canonical configs; journals store this form.
    public let config: RunConfig
    /// ``RunIdentity/id(of:)`` of ``config``.
    public let id: String

    // MARK: data
    public let dataset: CorpusDataset
    public let convention: CorpusConvention
    /// What the run reads: the published dataset, or the text corpus with its SHA-256.
    public let corpus: CorpusSource
    /// The first N training tokens only; nil for the whole split.
    public let maxTrainTokens: Int?

    // MARK: model
    public let architecture: ModelConfig.Architecture
    /// Tokens of context (T).
    public let context: Int
    /// Embedding width (d).
    public let dModel: Int
    /// Attention heads; 0 for linear and MLP.
    public let heads: Int
    /// Transformer blocks (1 for attention), MLP hidden layers, 0 for linear.
    public let depth: Int
    /// Feed-forward width inside a block; 0 for linear and MLP.
    public let ffnWidth: Int
    /// MLP hidden widths; empty for the others.
    public let hidden: [Int]
    public let dropout: Double
    /// `.none` for linear and MLP, whose inputs are the concatenated window.
    public let positions: ModelConfig.Positions
    public let norm: ModelConfig.NormPlacement
    public let blockStyle: ModelConfig.BlockStyle
    public let tiedHead: Bool

    // MARK: objective and optimization
    public let objective: WindowTargets
    public let optimizer: RunConfig.Optimizer
    public let lr: Double
    public let weightDecay: Double
    public let beta1: Double
    public let beta2: Double
    public let momentum: Double
    public let schedule: RunConfig.Schedule
    public let warmupSteps: Int
    public let gradClip: Double?
    public let batchSize: Int
    public let seed: UInt64

    // MARK: budget
    public let epochs: Int
    public let windowsPerEpoch: Int
    public let tokenBudget: Int?
    public let flopBudget: Double?
    /// Length and schedule sized to the FLOP budget (``RunConfig/sizeToBudget``); false without one.
    public let sizeToBudget: Bool
    public let maxSteps: Int?
    public let evalEvery: Int?

    // MARK: evaluation
    /// `.study(windows:)` or `.full(stride:)`, the stride at most the context.
    public let evaluation: EvaluationMode
    public let restoreBest: Bool

    // MARK: operation
    /// Seconds of training between checkpoints; 0 for none.
    public let checkpointEvery: Double
    /// `checkpoint_every`'s default: 5 minutes.
    public static let defaultCheckpointSeconds = 300.0

    /// Attention and transformer: models over a sequence of positions.
    public var isSequenceModel: Bool { architecture == .attention || architecture == .transformer }

    /// The positions a training step predicts per window.
    public var predictedPositions: PredictedPositions { objective == .all ? .all : .last }

    /// Predicted targets per training window: T for `all`, 1 for `last`.
    public var targetsPerWindow: Int { objective == .all ? context : 1 }

    /// The model this run trains, on a corpus of `vocabularySize` tokens.
    public func modelConfig(vocabularySize: Int) -> ModelConfig {
        ModelConfig(architecture: architecture, vocabularySize: vocabularySize, contextLength: context, dModel: dModel,
                    heads: heads, depth: depth, ffnWidth: ffnWidth, hiddenWidths: hidden, dropout: Float(dropout),
                    positions: positions, norm: norm, blockStyle: blockStyle, tiedHead: tiedHead)
    }

    /// A short human summary: `transformer ctx=64 depth=2 heads=4 d=128 seed=0`.
    public var summary: String {
        var parts = [architecture.rawValue]
        if dataset != .tinyshakespeare { parts.insert(dataset == .text ? corpus.description : dataset.rawValue, at: 0) }
        parts.append("ctx=\(context)")
        switch architecture {
        case .linear: break
        case .mlp: parts.append("hidden=\(hidden.map(String.init).joined(separator: "x"))")
        case .attention, .transformer:
            if architecture == .transformer { parts.append("depth=\(depth)") }
            parts.append("heads=\(heads)")
            if positions != .learned { parts.append("pos=\(positions.rawValue)") }
            if blockStyle != .standard { parts.append("block=\(blockStyle.rawValue)") }
        }
        parts.append("d=\(dModel)")
        parts.append("seed=\(seed)")
        return parts.joined(separator: " ")
    }
}

extension RunConfig {
    /// The run this config describes, every default decided here and nowhere else:
    /// - linear: no depth, heads, widths, dropout, positions or norm; the `last` objective;
    /// - MLP: `hidden` if given, else `hidden_width` (256) × `depth` (2); dropout 0.1; `last`;
    /// - attention: one block; attention and transformer: 4 heads, FFN 4·d, dropout 0.1,
    ///   learned positions, post-LN, the standard block (absent from the canonical form), untied
    ///   head; transformer depth 3;
    /// - evaluation: `study` reads `eval_windows` (10,000); `full` a stride (T/2 for the `all`
    ///   objective, 1 for `last`, which predicts one position per window);
    /// - a constant schedule has no warm-up; `size_to_budget` applies only with a FLOP budget
    ///   and is absent unless true; Adam has no momentum and SGD no betas.
    /// Never traps, whatever the values: ``validate()`` reports what is out of range.
    public func resolved() -> Run {
        var c = self
        let blocks = arch == .attention ? 1 : (depth ?? 3)
        let hiddenWidths = hidden ?? Array(repeating: hiddenWidth ?? 256, count: max(0, depth ?? 2))
        switch arch {
        case .linear:
            c.depth = nil; c.heads = nil; c.ffnWidth = nil; c.hiddenWidth = nil; c.hidden = nil
            c.dropout = nil; c.positions = nil; c.norm = nil; c.blockStyle = nil; c.tiedHead = nil
            c.objective = .last
        case .mlp:
            c.heads = nil; c.ffnWidth = nil; c.positions = nil; c.norm = nil; c.blockStyle = nil; c.tiedHead = nil
            c.hidden = hiddenWidths; c.depth = hiddenWidths.count; c.hiddenWidth = nil
            c.dropout = dropout ?? 0.1
            c.objective = .last
        case .attention, .transformer:
            c.hidden = nil; c.hiddenWidth = nil
            c.depth = blocks
            c.heads = heads ?? 4
            c.ffnWidth = ffnWidth ?? 4 * dModel
            c.dropout = dropout ?? 0.1
            c.positions = positions ?? .learned
            c.norm = norm ?? .post
            if blockStyle == .standard { c.blockStyle = nil }
            c.tiedHead = tiedHead ?? false
        }
        let evaluation: EvaluationMode
        switch evalMode {
        case .study:
            c.evalStride = nil
            c.evalWindows = evalWindows ?? 10_000
            evaluation = .study(windows: c.evalWindows!)
        case .full:
            c.evalWindows = nil
            c.evalStride = c.objective == .last ? 1 : (evalStride ?? max(1, context / 2))
            evaluation = .full(stride: max(1, min(c.evalStride!, context)))
        }
        if dataset != .text { c.textPath = nil; c.textSHA256 = nil; c.tokenizer = nil } else { c.tokenizer = tokenizer ?? .character }
        if schedule == .constant { c.warmupSteps = 0 }
        if flopBudget == nil || sizeToBudget != true { c.sizeToBudget = nil }
        if saveWeights == .discard { c.saveWeights = nil }
        switch optimizer {
        case .adam, .adamw: c.momentum = 0.9
        case .sgd: c.beta1 = 0.9; c.beta2 = 0.999
        }
        let corpus: CorpusSource = c.dataset == .text
            ? .text(path: c.textPath ?? "", sha256: c.textSHA256, level: c.tokenizer ?? .character)
            : .published(c.dataset, c.convention)
        return Run(config: c, id: RunIdentity.id(of: c),
                   dataset: c.dataset, convention: c.convention, corpus: corpus, maxTrainTokens: c.maxTrainTokens,
                   architecture: c.arch, context: c.context, dModel: c.dModel,
                   heads: c.heads ?? 0, depth: c.depth ?? 0, ffnWidth: c.ffnWidth ?? 0, hidden: c.hidden ?? [],
                   dropout: c.dropout ?? 0, positions: c.positions ?? .none, norm: c.norm ?? .post,
                   blockStyle: c.blockStyle ?? .standard,
                   tiedHead: c.tiedHead ?? false,
                   objective: c.objective, optimizer: c.optimizer, lr: c.lr, weightDecay: c.weightDecay,
                   beta1: c.beta1, beta2: c.beta2, momentum: c.momentum, schedule: c.schedule,
                   warmupSteps: c.warmupSteps, gradClip: c.gradClip, batchSize: c.batchSize, seed: c.seed,
                   epochs: c.epochs, windowsPerEpoch: c.windowsPerEpoch, tokenBudget: c.tokenBudget,
                   flopBudget: c.flopBudget, sizeToBudget: c.sizeToBudget == true, maxSteps: c.maxSteps, evalEvery: c.evalEvery,
                   evaluation: evaluation, restoreBest: c.restoreBest,
                   checkpointEvery: c.checkpointEvery ?? Run.defaultCheckpointSeconds)
    }

    /// The canonical form (``Run/config``).
    public func canonicalized() -> RunConfig { resolved().config }

    /// The run's identity (``RunIdentity``).
    public var id: String { resolved().id }
}
