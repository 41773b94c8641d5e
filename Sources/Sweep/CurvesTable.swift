import Foundation
import Training

/// Learning curves in long format, `curves.csv`: one row per (run, valid evaluation) with the
/// training step, predicted training targets and exact training FLOPs at that point, the mean
/// training loss since the previous evaluation, and the valid NLL. Joins `results.csv` on `id`.
///
/// Records from before the trainer kept tokens, FLOPs and losses per evaluation still give
/// exact tokens (the batch schedule is fixed by the config) and exact FLOPs where every step
/// up to the evaluation cost the same (whole batches, or whole epochs of a run that ended on
/// one); elsewhere, and for their training loss, the cell is empty.
public struct CurvesTable {
    public static let fileName = "curves.csv"
    public static let columns = ["id", "evaluation", "step", "tokens", "flops_exact", "train_loss", "valid_nll", "best"]

    public let rows: [RunRecord]
    /// `records` in the order given (``ResultsTable`` passes its sorted rows).
    public init(_ records: [RunRecord]) { rows = records }

    public func csv() -> String {
        var lines = [Self.columns.joined(separator: ",")]
        let n = ConfigColumns.number
        for r in rows {
            for (index, (step, nll)) in zip(r.validSteps, r.validNLL).enumerated() {
                let tokens = r.validTokens.flatMap { $0.indices.contains(index) ? $0[index] : nil } ?? Self.tokens(r, atStep: step)
                let flops = r.validFLOPs.flatMap { $0.indices.contains(index) ? $0[index] : nil } ?? Self.flops(r, atStep: step)
                let loss = r.trainLoss.flatMap { $0.indices.contains(index) ? $0[index] : nil }
                lines.append([r.id, String(index), String(step), String(tokens), flops.map(n) ?? "", loss.map(n) ?? "",
                              n(nll), String(r.bestEval == index)].joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Steps per epoch: whole batches, then the epoch's remainder as one smaller batch.
    static func stepsPerEpoch(_ run: Run) -> Int { max(1, (run.windowsPerEpoch + run.batchSize - 1) / run.batchSize) }

    /// Predicted training targets after `step` steps, from the batch schedule.
    static func tokens(_ record: RunRecord, atStep step: Int) -> Int {
        let run = record.run
        let perEpoch = stepsPerEpoch(run)
        let windows = (step / perEpoch) * run.windowsPerEpoch + (step % perEpoch) * run.batchSize
        return windows * run.targetsPerWindow
    }

    /// Exact training FLOPs after `step` steps where every step (or every epoch) up to it cost
    /// the same, else nil.
    static func flops(_ record: RunRecord, atStep step: Int) -> Double? {
        guard record.steps > 0 else { return nil }
        if step == record.steps { return record.flopsExact }
        let run = record.run
        let perEpoch = stepsPerEpoch(run)
        if run.windowsPerEpoch % run.batchSize == 0 { return (record.flopsExact * Double(step) / Double(record.steps)).rounded() }
        if record.steps % perEpoch == 0, step % perEpoch == 0 {
            return (record.flopsExact * Double(step / perEpoch) / Double(record.steps / perEpoch)).rounded()
        }
        return nil
    }
}
