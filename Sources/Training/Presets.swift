import Corpus
/// The study's configurations by name (Bhatti, 2025), and our `full` protocol beside them.
///
/// Study protocol (Tiny Shakespeare): character level, the study's 80/10/10 split, T = 128,
/// d = 128, 4 heads, dropout 0.1, batch 64, Adam at a constant 3e-4, 50,000 random windows per
/// epoch, the `last` objective, valid after each epoch with the best-valid weights restored,
/// test on the first 10,000 test windows; 3 epochs (linear, MLP), 4 (attention, transformer).
/// Ablations: 2 epochs of 30,000 windows, test on the first 5,000 windows. Word level: a 3-layer
/// post-LN transformer (FFN 256), T = 64, batch 32, 8 epochs of random windows from the first
/// 80,000 train tokens, valid and test on the windows inside the first 20,000 tokens.
///
/// `full-*` is the standard protocol: the `all` objective for sequence models, epochs that see
/// about every train token once, `<eos>` for word level, every test token scored.
public enum Presets {
    public static let names: [String] = all.map(\.name)

    public static func config(named name: String) -> RunConfig? {
        all.first { $0.name == name }?.config
    }

    public static let all: [(name: String, config: RunConfig)] = [
        ("study-tiny-linear", tiny(.linear)),
        ("study-tiny-mlp", tiny(.mlp)),
        ("study-tiny-attention", tiny(.attention)),
        ("study-tiny-transformer", tiny(.transformer)),
        ("ablation-tiny-linear", ablation(.linear)),
        ("ablation-tiny-mlp", ablation(.mlp)),
        ("ablation-tiny-attention", ablation(.attention)),
        ("ablation-tiny-transformer", ablation(.transformer)),
        ("study-ptb", word(.ptb)),
        ("study-wikitext2", word(.wikitext2)),
        ("positions-learned", positions(.learned)),
        ("positions-rope", positions(.rope)),
        ("positions-learned-exact", positions(.learned, block: .study)),
        ("positions-rope-exact", positions(.rope, block: .study)),
        ("full-tiny-linear", full(tiny(.linear))),
        ("full-tiny-mlp", full(tiny(.mlp))),
        ("full-tiny-attention", full(tiny(.attention))),
        ("full-tiny-transformer", full(tiny(.transformer))),
        ("full-ptb", full(word(.ptb))),
        ("full-wikitext2", full(word(.wikitext2))),
    ]

    /// The study's Tiny Shakespeare models (parameter counts 1,073,345; 4,285,377; 231,617; 430,785).
    static func tiny(_ arch: RunConfig.Architecture) -> RunConfig {
        var c = RunConfig()
        c.dataset = .tinyshakespeare
        c.convention = .study
        c.arch = arch
        c.context = 128
        c.dModel = 128
        c.dropout = arch == .linear ? nil : 0.1
        switch arch {
        case .linear: break
        case .mlp: c.hidden = [256, 256]
        case .attention: c.heads = 4; c.ffnWidth = 512
        case .transformer: c.heads = 4; c.depth = 3; c.ffnWidth = 256; c.positions = .learned; c.norm = .post
        }
        c.objective = .last
        c.optimizer = .adam
        c.lr = 3e-4
        c.batchSize = 64
        c.epochs = arch == .linear || arch == .mlp ? 3 : 4
        c.windowsPerEpoch = 50_000
        c.evalMode = .study
        c.evalWindows = 10_000
        c.restoreBest = true
        return c
    }

    static func ablation(_ arch: RunConfig.Architecture) -> RunConfig {
        var c = tiny(arch)
        c.epochs = 2
        c.windowsPerEpoch = 30_000
        c.evalWindows = 5_000
        return c
    }

    /// Word level: PTB 2,975,631 parameters at the study convention's 9,999 words.
    static func word(_ dataset: RunConfig.Dataset) -> RunConfig {
        var c = tiny(.transformer)
        c.dataset = dataset
        c.context = 64
        c.batchSize = 32
        c.epochs = 8
        c.maxTrainTokens = 80_000
        // The study's counts, from its `range(len(tokens) - T - 1)`: one fewer than the windows
        // that fit (the last start is left out). 79,935 draws per epoch from the 80,000-token
        // prefix, with replacement; the first 19,935 windows of the first 20,000 tokens.
        c.windowsPerEpoch = 80_000 - 64 - 1
        c.evalWindows = 20_000 - 64 - 1
        return c
    }

    /// The positions study: pre-LN 3-layer transformers, learned table (430,785 parameters)
    /// against RoPE (414,401), 8 epochs. `-exact` trains the study's own pre-LN block
    /// (``RunConfig/BlockStyle/study``: its dropout sites and plain linear init).
    static func positions(_ positions: RunConfig.Positions, block: RunConfig.BlockStyle = .standard) -> RunConfig {
        var c = tiny(.transformer)
        c.norm = .pre
        c.positions = positions
        c.blockStyle = block
        c.epochs = 8
        return c
    }

    /// The standard protocol over a study config.
    static func full(_ study: RunConfig) -> RunConfig {
        var c = study
        let sequenceModel = c.arch == .attention || c.arch == .transformer
        c.objective = sequenceModel ? .all : .last
        if c.dataset != .tinyshakespeare { c.convention = .standard }
        c.maxTrainTokens = nil
        let trainTokens = PublishedSplits.tokens(c.dataset, c.convention)?.train ?? 0
        // An epoch sees about every train token once: as targets for `all`, as window ends for `last`.
        c.windowsPerEpoch = sequenceModel ? max(1, trainTokens / c.context) : trainTokens
        c.epochs = sequenceModel ? 4 : 1
        c.evalMode = .full
        c.evalWindows = nil
        c.evalStride = sequenceModel ? c.context / 2 : 1
        return c
    }
}
