import Corpus
import Foundation
import Models
import TensorCore

/// Mean NLL of a model over a split's evaluation windows, in nats per scored token, in no-grad
/// mode (no tape, no gradient buffers, dropout off).
///
/// Convention (the Corpus one): the sum of −ln p(target) over every scored target divided by
/// their number, accumulated in Double in a fixed order, so it is deterministic and does not
/// depend on the batch size. Under the study's mode every window scores its last position. A
/// model trained on the `last` objective scores only the last position of each window in `full`
/// mode too (it has no prediction for earlier positions), so its first T tokens go unscored.
final class Evaluator {
    let model: any LanguageModel
    let objective: PredictedPositions
    /// Evaluation FLOPs, kept apart from the training counter the record reports.
    let flops = FlopCounter()
    private let graph: Graph
    /// Logit floats per batch: bounds memory at large vocabularies (WikiText-2's 33,278).
    static let logitBudget = 1 << 24

    init(model: any LanguageModel, objective: PredictedPositions) {
        self.model = model
        self.objective = objective
        graph = Graph(parameters: model.parameters, training: false, flops: flops)
    }

    func nll(_ windows: EvaluationWindows) -> Double {
        let T = windows.contextLength, V = model.config.vocabularySize
        let lastOnly = windows.scoresLastPositionOnly || objective == .last
        let rowsPerWindow = lastOnly ? 1 : T
        let batchSize = max(1, min(256, Self.logitBudget / (rowsPerWindow * V)))
        var noDropout = RNG(seed: 0)
        var total = 0.0, scored = 0
        for batch in windows.batches(size: batchSize) {
            graph.reset()
            let logits = model.logits(graph, tokens: batch.inputs, batchSize: batch.windowCount,
                                      predicting: lastOnly ? .last : .all, dropoutRNG: &noDropout)
            if lastOnly {
                let loss = graph.crossEntropy(logits, targets: batch.lastPositionTargets)
                total += Double(graph.scalar(loss)) * Double(batch.windowCount)
                scored += batch.windowCount
            } else {
                let (sum, count) = Self.scoredNLL(graph.value(logits), batch: batch, vocabularySize: V)
                total += sum
                scored += count
            }
        }
        return total / Double(scored)
    }

    /// Sum of −ln p(target) over the scored positions of a batch whose logits cover every
    /// position ((W·T, V), window-major), and how many positions that is.
    static func scoredNLL(_ logits: [Float], batch: EvaluationBatch, vocabularySize V: Int) -> (Double, Int) {
        let T = batch.contextLength
        var total = 0.0, count = 0
        for window in 0..<batch.windowCount {
            for position in batch.firstScoredPositions[window]..<T {
                let row = (window * T + position) * V
                var maximum = -Float.infinity
                for j in row..<(row + V) { maximum = max(maximum, logits[j]) }
                var sum = 0.0
                for j in row..<(row + V) { sum += Double(exp(logits[j] - maximum)) }
                let target = Int(batch.targets[window * T + position])
                total += Double(maximum) + log(sum) - Double(logits[row + target])
                count += 1
            }
        }
        return (total, count)
    }
}
