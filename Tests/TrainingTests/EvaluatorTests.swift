import TestSupport
import XCTest
import Foundation
import Corpus
import Models
import TensorCore
@testable import Training

/// The evaluator's NLL against a brute-force one: every window's full logits, log-softmax in
/// Double, summed over exactly the positions the evaluation windows score.
final class EvaluatorTests: XCTestCase {
    private func bruteForceNLL(_ model: any LanguageModel, _ windows: EvaluationWindows, lastOnly: Bool) -> Double {
        let graph = Graph(parameters: model.parameters, training: false, flops: FlopCounter())
        let (T, V) = (windows.contextLength, model.config.vocabularySize)
        var total = 0.0, count = 0
        var rng = RNG(seed: 0)
        for batch in windows.batches(size: 1) {
            graph.reset()
            let logits = graph.value(model.logits(graph, tokens: batch.inputs, batchSize: 1, predicting: .all, dropoutRNG: &rng))
            for position in (lastOnly ? T - 1 : batch.firstScoredPositions[0])..<T {
                let row = Array(logits[(position * V)..<((position + 1) * V)]).map(Double.init)
                let maximum = row.max()!
                let logSum = maximum + log(row.map { exp($0 - maximum) }.reduce(0, +))
                total += logSum - row[Int(batch.targets[position])]
                count += 1
            }
        }
        return total / Double(count)
    }

    func testFullEvaluationMatchesBruteForceOverScoredPositions() throws {
        let root = try TinyCorpus.make(byteCount: 3_000)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let corpus = try CorpusCache().corpus(.tinyshakespeare, .study, at: TinyCorpus.location(root))
        let config = ModelConfig(architecture: .transformer, vocabularySize: corpus.vocabulary.count, contextLength: 12,
                                 dModel: 16, heads: 2, depth: 2, ffnWidth: 24, hiddenWidths: [], dropout: 0,
                                 positions: .learned, norm: .post, blockStyle: .standard, tiedHead: false)
        var rng = RNG(seed: 4)
        let model = makeLanguageModel(config, initRNG: &rng)
        // Stride 5 does not divide T = 12: a tail window and position-by-position selection.
        for mode in [EvaluationMode.full(stride: 5), .full(stride: 6), .study(windows: 50)] {
            let windows = try corpus.evaluationWindows(.test, contextLength: 12, mode: mode)
            let lastOnly = windows.scoresLastPositionOnly
            let expected = bruteForceNLL(model, windows, lastOnly: lastOnly)
            let measured = Evaluator(model: model, objective: .all).nll(windows)
            XCTAssertEqual(measured, expected, accuracy: 2e-5 * expected, "\(mode)")
        }
        // A last-position model scores the last position of every window, in any mode.
        let windows = try corpus.evaluationWindows(.test, contextLength: 12, mode: .full(stride: 1))
        XCTAssertEqual(Evaluator(model: model, objective: .last).nll(windows),
                       bruteForceNLL(model, windows, lastOnly: true), accuracy: 2e-5 * 4)
    }
}
