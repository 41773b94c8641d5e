import Corpus
import Foundation
import Training

/// One run of a sweep: the resolved run, its identity, and what it is predicted to cost.
public struct Job: Hashable, Sendable {
    public let run: Run
    /// ``Run/id``: the hash of the canonical config, never a position in a list.
    public var id: String { run.id }
    /// The canonical config (fields that do not apply to the architecture removed), so that
    /// two specs spelling the same run differently produce identical records.
    public var config: RunConfig { run.config }
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
        self.init(run: config.resolved(), origin: origin, settingLines: settingLines)
    }

    public init(run: Run, origin: String = "", settingLines: [String: Int] = [:]) {
        self.run = run
        // A text corpus's vocabulary is known only once it is read: a nominal size for the cost.
        let vocabulary = PublishedSplits.tokens(run.dataset, run.convention)?.vocabulary
            ?? (run.corpus.level == .word ? 10_000 : 100)
        self.parameters = CostEstimate.parameters(run, vocabularySize: vocabulary).total
        self.predictedFLOPs = CostEstimate.predictedTrainingFLOPs(run, vocabularySize: vocabulary)
            + CostEstimate.predictedEvaluationFLOPs(run, vocabularySize: vocabulary)
        self.origin = origin
        self.settingLines = settingLines
    }

    /// A job with a given predicted cost (tests of scheduling and progress).
    init(run: Run, predictedFLOPs: Double) {
        self.run = run
        parameters = 0
        self.predictedFLOPs = predictedFLOPs
        origin = ""
        settingLines = [:]
    }

    /// A short human summary: `transformer ctx=64 depth=2 heads=4 d=128 seed=0`.
    public var summary: String { run.summary }

    /// Keys the summary leaves out whose values differ between `jobs` (learning rate, budget,
    /// ...), so that a table of jobs never shows two identical-looking rows.
    public static func varyingKeys(_ jobs: [Job]) -> [String] {
        let shown: Set<String> = ["dataset", "arch", "context", "depth", "hidden", "heads", "positions", "d_model", "seed"]
        return RunField.varyingKeys(jobs.map(\.config.fieldsByKey)).filter { !shown.contains($0) }
    }

    /// ``summary`` plus `key=value` for each of `keys` that applies to this job's architecture.
    public func summary(with keys: [String]) -> String {
        let fields = config.fieldsByKey
        return ([summary] + keys.compactMap { key in fields[key].map { "\(key)=\($0.text)" } }).joined(separator: " ")
    }

    /// Largest predicted cost first (longest-processing-time-first: the last job to start is
    /// a short one, which keeps the makespan near total/N); ties by id so every rank and every
    /// rerun agrees on the order.
    public static func largestFirst(_ a: Job, _ b: Job) -> Bool {
        a.predictedFLOPs != b.predictedFLOPs ? a.predictedFLOPs > b.predictedFLOPs : a.id < b.id
    }
}
