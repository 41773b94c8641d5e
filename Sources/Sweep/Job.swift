import Foundation
import Training

/// One run of a sweep: its canonical config, its identity, and what it is predicted to cost.
public struct Job: Hashable, Sendable {
    /// ``RunConfig/id``: the hash of the canonical config, never a position in a list.
    public let id: String
    /// The canonical config (fields that do not apply to the architecture removed), so that
    /// two specs spelling the same run differently produce identical records.
    public let config: RunConfig
    public let parameters: Int
    /// ``CostEstimate/predictedTrainingFLOPs(_:vocabularySize:)`` plus evaluation: the
    /// queue's order and the ETA's unit.
    public let predictedFLOPs: Double
    /// Where in the spec the job came from (`file:line` of its grid or include rule).
    public let origin: String

    public init(config: RunConfig, origin: String = "") {
        let canonical = config.canonicalized()
        self.config = canonical
        self.id = canonical.id
        let vocabulary = PublishedSplits.tokens(canonical.dataset, canonical.convention)?.vocabulary ?? 0
        self.parameters = CostEstimate.parameters(canonical, vocabularySize: vocabulary).total
        self.predictedFLOPs = CostEstimate.predictedTrainingFLOPs(canonical, vocabularySize: vocabulary)
            + CostEstimate.predictedEvaluationFLOPs(canonical, vocabularySize: vocabulary)
        self.origin = origin
    }

    /// A short human summary: `transformer ctx=64 depth=2 d=128 heads=4 seed=0`.
    public var summary: String { Self.summary(config) }

    public static func summary(_ config: RunConfig) -> String {
        let c = config.canonicalized()
        var parts = [c.arch.rawValue]
        if c.dataset != .tinyshakespeare { parts.insert(c.dataset.rawValue, at: 0) }
        parts.append("ctx=\(c.context)")
        switch c.arch {
        case .linear: break
        case .mlp: parts.append("hidden=\((c.hidden ?? []).map(String.init).joined(separator: "x"))")
        case .attention, .transformer:
            if c.arch == .transformer { parts.append("depth=\(c.depth ?? 0)") }
            parts.append("heads=\(c.heads ?? 0)")
            if c.positions != .learned { parts.append("pos=\(c.positions?.rawValue ?? "-")") }
        }
        parts.append("d=\(c.dModel)")
        parts.append("seed=\(c.seed)")
        return parts.joined(separator: " ")
    }

    /// Largest predicted cost first (longest-processing-time-first: the last job to start is
    /// a short one, which keeps the makespan near total/N); ties by id so every rank and every
    /// rerun agrees on the order.
    public static func largestFirst(_ a: Job, _ b: Job) -> Bool {
        a.predictedFLOPs != b.predictedFLOPs ? a.predictedFLOPs > b.predictedFLOPs : a.id < b.id
    }
}

/// Seconds from FLOPs: the machine's training throughput, assumed or measured.
public struct CostModel: Sendable {
    /// Sustained training throughput of one rank with one BLAS thread, FLOP/s.
    public var flopsPerSecond: Double

    /// A single-core figure for the tensor core on small models (predicted FLOPs per second,
    /// measured on the smoke sweep); replaced by the median measured rate once a journal holds
    /// finished runs.
    public static let assumedFlopsPerSecond = 5e9

    public init(flopsPerSecond: Double = CostModel.assumedFlopsPerSecond) {
        self.flopsPerSecond = flopsPerSecond
    }

    /// Calibrates from finished runs: the median of predicted FLOPs over measured wall seconds
    /// (the prediction's own unit, so its bias cancels), or the assumption without any.
    public init(calibratedFrom records: [RunRecord]) {
        let rates = records.filter { $0.status == .ok && $0.wallSeconds > 0 }
            .map { Job(config: $0.config).predictedFLOPs / $0.wallSeconds }.sorted()
        self.init(flopsPerSecond: rates.isEmpty ? Self.assumedFlopsPerSecond : rates[rates.count / 2])
    }

    public func seconds(_ flops: Double) -> Double { flops / flopsPerSecond }
}
