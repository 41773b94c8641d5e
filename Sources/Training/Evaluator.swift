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
    /// Ticked once per forward pass.
    let activity: Activity?
    private let graph: Graph
    /// Logit floats per batch: bounds memory at large vocabularies (WikiText-2's 33,278).
    static let logitBudget = 1 << 24

    init(model: any LanguageModel, objective: PredictedPositions, activity: Activity? = nil) {
        self.model = model
        self.objective = objective
        self.activity = activity
        graph = Graph(parameters: model.parameters, training: false, flops: flops)
    }

    func nll(_ windows: EvaluationWindows) -> Double {
        let T = windows.contextLength, V = model.config.vocabularySize
        let lastOnly = windows.scoresLastPositionOnly || objective == .last
        let rowsPerWindow = lastOnly ? 1 : T
        let batchSize = max(1, min(256, Self.logitBudget / (rowsPerWindow * V)))
        var total = 0.0, scored = 0
        for batch in windows.batches(size: batchSize) {
            if lastOnly {
                total += meanNLL(inputs: batch.inputs, windows: batch.windowCount, predicting: .last,
                                 targets: batch.lastPositionTargets) * Double(batch.windowCount)
                scored += batch.windowCount
                continue
            }
            // Runs of windows that score the same last k positions share one forward pass whose
            // head and loss cover just those positions.
            var first = 0
            while first < batch.windowCount {
                let firstScored = batch.firstScoredPositions[first]
                var end = first + 1
                while end < batch.windowCount, batch.firstScoredPositions[end] == firstScored { end += 1 }
                let k = T - firstScored
                var targets: [Int32] = []
                targets.reserveCapacity((end - first) * k)
                for window in first..<end {
                    targets += batch.targets[(window * T + firstScored)..<((window + 1) * T)]
                }
                let inputs = Array(batch.inputs[(first * T)..<(end * T)])
                total += meanNLL(inputs: inputs, windows: end - first, predicting: .lastPositions(k), targets: targets)
                    * Double(targets.count)
                scored += targets.count
                first = end
            }
        }
        return total / Double(scored)
    }

    /// The fused loss's mean NLL over `targets` for one forward pass.
    private func meanNLL(inputs: [Int32], windows: Int, predicting: PredictedPositions, targets: [Int32]) -> Double {
        var noDropout = RNG(seed: 0)
        activity?.tick()
        graph.reset()
        let logits = model.logits(graph, tokens: inputs, batchSize: windows, predicting: predicting,
                                  dropoutRNG: &noDropout)
        return Double(graph.scalar(graph.crossEntropy(logits, targets: targets)))
    }
}
