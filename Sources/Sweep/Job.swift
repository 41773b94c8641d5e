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
    /// The spec line that set each key the spec set for this job, for pointing at a problem
    /// found later (a dataset missing on this machine).
    public let settingLines: [String: Int]

    public init(config: RunConfig, origin: String = "", settingLines: [String: Int] = [:]) {
        let canonical = config.canonicalized()
        self.config = canonical
        self.id = canonical.id
        let vocabulary = PublishedSplits.tokens(canonical.dataset, canonical.convention)?.vocabulary ?? 0
        self.parameters = CostEstimate.parameters(canonical, vocabularySize: vocabulary).total
        self.predictedFLOPs = CostEstimate.predictedTrainingFLOPs(canonical, vocabularySize: vocabulary)
            + CostEstimate.predictedEvaluationFLOPs(canonical, vocabularySize: vocabulary)
        self.origin = origin
        self.settingLines = settingLines
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

    /// Keys the summary leaves out whose values differ between `jobs` (learning rate, budget,
    /// ...), so that a table of jobs never shows two identical-looking rows.
    public static func varyingKeys(_ jobs: [Job]) -> [String] {
        let shown: Set<String> = ["dataset", "arch", "context", "depth", "hidden", "heads", "positions", "d_model", "seed"]
        let fields = jobs.map { SpecFields.json($0.config) }
        return RunConfig.keys.filter { key in
            !shown.contains(key) && Set(fields.map { $0[key] ?? "" }).count > 1
        }
    }

    /// ``summary`` plus `key=value` for each of `keys` that applies to this job's architecture.
    public func summary(with keys: [String]) -> String {
        let fields = SpecFields.json(config)
        return ([summary] + keys.compactMap { key in fields[key].flatMap { $0 == "null" ? nil : "\(key)=\($0)" } })
            .joined(separator: " ")
    }

    /// Largest predicted cost first (longest-processing-time-first: the last job to start is
    /// a short one, which keeps the makespan near total/N); ties by id so every rank and every
    /// rerun agrees on the order.
    public static func largestFirst(_ a: Job, _ b: Job) -> Bool {
        a.predictedFLOPs != b.predictedFLOPs ? a.predictedFLOPs > b.predictedFLOPs : a.id < b.id
    }
}
