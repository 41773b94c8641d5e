import Models

extension RunConfig {
    /// The model this run trains, on a corpus of `vocabularySize` tokens. Reads the canonical
    /// config, so architecture defaults (4 heads, 4·d feed-forward width, ...) are filled in one place.
    public func modelConfig(vocabularySize: Int) -> ModelConfig {
        let c = canonicalized()
        let architecture: ModelConfig.Architecture
        switch c.arch {
        case .linear: architecture = .linear
        case .mlp: architecture = .mlp
        case .attention: architecture = .attention
        case .transformer: architecture = .transformer
        }
        var m = ModelConfig(architecture: architecture, vocabularySize: vocabularySize,
                            contextLength: c.context, dModel: c.dModel)
        m.heads = c.heads ?? 1
        m.depth = c.depth ?? 1
        m.ffnWidth = c.ffnWidth ?? 4 * c.dModel
        m.hiddenWidths = c.hidden ?? []
        m.dropout = Float(c.dropout ?? 0)
        switch c.positions ?? .learned {
        case .learned: m.positions = .learned
        case .rope: m.positions = .rope
        case .none: m.positions = .none
        }
        m.norm = c.norm == .pre ? .pre : .post
        m.tiedHead = c.tiedHead ?? false
        return m
    }

    /// The positions the model predicts per training window.
    var predictedPositions: PredictedPositions { canonicalized().objective == .all ? .all : .last }
}
