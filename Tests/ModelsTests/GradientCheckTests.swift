import XCTest
import Models
import TensorCore

/// Whole-model finite-difference gradient checks: the backward of every op composed the way each
/// model composes them (embeddings, concatenation, MLP, attention with its mask, RoPE, the
/// last-position block, LayerNorm, tied head, fused loss) against central differences.
///
/// Tolerance: the loss is fp32 (~1e-7 relative), so a central difference with step h = 1e-3
/// carries ~2e-4 of rounding noise plus O(h²) truncation; |numeric − analytic| ≤ 1e-3 + 3e-2·|g|
/// holds for a correct backward and fails for a wrong one by orders of magnitude. A larger h
/// (1e-2) makes pre-activations cross ReLU's kink and the difference quotient wrong, not the gradient.
final class GradientCheckTests: XCTestCase {
    /// `replayingDropout`: the differences are taken in training mode too, where `Fixture.loss`
    /// reseeds the dropout generator on every call, so each evaluation draws the same masks and
    /// the gradient through dropout is checked as well.
    private func check(_ config: ModelConfig, predicting: PredictedPositions, replayingDropout: Bool = false,
               file: StaticString = #filePath, line: UInt = #line) {
        let model = Fixture.model(config, seed: 3)
        let (B, T, V) = (3, config.contextLength, config.vocabularySize)
        let tokens = Fixture.randomTokens(B * T, vocabulary: V, seed: 11)
        let targets = Fixture.randomTokens(predicting == .all ? B * T : B, vocabulary: V, seed: 12)
        let graph = Graph(parameters: model.parameters, training: true, flops: FlopCounter())
        model.parameters.zeroGrad()
        let loss = Fixture.loss(model, graph, tokens: tokens, targets: targets, batch: B, predicting: predicting)
        graph.backward(loss)
        let analytic = model.parameters.flatGrads
        let evaluation = Graph(parameters: model.parameters, training: replayingDropout, flops: FlopCounter())
        let base = model.parameters.flatValues
        func lossAt(_ values: [Float]) -> Double {
            model.parameters.flatValues = values
            let l = Fixture.loss(model, evaluation, tokens: tokens, targets: targets, batch: B, predicting: predicting)
            return Double(evaluation.scalar(l))
        }
        // Every tensor: its first, middle and last element, plus a few seeded random ones.
        var indices: [Int] = []
        for entry in model.parameters.entries {
            let count = entry.shape.reduce(1, *)
            indices += [entry.offset, entry.offset + count / 2, entry.offset + count - 1]
        }
        var rng = RNG(seed: 5)
        indices += (0..<30).map { _ in rng.nextInt(below: base.count) }
        let h: Float = 1e-3
        var worst = 0.0
        for index in indices {
            var plus = base, minus = base
            plus[index] += h; minus[index] -= h
            let numeric = (lossAt(plus) - lossAt(minus)) / Double(2 * h)
            let error = abs(numeric - Double(analytic[index]))
            let allowed = 1e-3 + 3e-2 * abs(numeric)
            worst = max(worst, error / allowed)
            let name = model.parameters.entries.last { $0.offset <= index }!.name
            XCTAssertLessThanOrEqual(error, allowed, "\(config.architecture) \(predicting): \(name) [\(index)] numeric \(numeric) analytic \(analytic[index])",
                                     file: file, line: line)
        }
        model.parameters.flatValues = base
        XCTAssertGreaterThan(analytic.map(abs).max()!, 1e-3, "gradients are not all zero", file: file, line: line)
    }

    func testLinearGradients() { check(Fixture.tiny(.linear), predicting: .last) }

    func testMLPGradients() { check(Fixture.tiny(.mlp), predicting: .last) }

    func testSelfAttentionGradientsLastPosition() { check(Fixture.tiny(.attention), predicting: .last) }

    func testPostLNTransformerGradientsAllPositions() { check(Fixture.tiny(.transformer), predicting: .all) }

    func testPreLNRoPETransformerGradientsLastPosition() {
        check(Fixture.tiny(.transformer) { $0.norm = .pre; $0.positions = .rope }, predicting: .last)
    }

    /// The study's pre-LN block with dropout on: attention-output dropout and the twice-applied
    /// feed-forward dropout, the masks replayed in every difference.
    func testStudyPreLNBlockGradientsThroughItsDropout() {
        for (positions, predicting) in [(ModelConfig.Positions.learned, PredictedPositions.all), (.rope, .last)] {
            check(Fixture.tiny(.transformer) { $0.norm = .pre; $0.blockStyle = .study; $0.dropout = 0.3; $0.positions = positions },
                  predicting: predicting, replayingDropout: true)
        }
    }

    func testTiedHeadTransformerWithoutPositionsGradients() {
        check(Fixture.tiny(.transformer) { $0.tiedHead = true; $0.positions = .none }, predicting: .all)
    }

    /// The last-position shortcut computes the same logits as the full model read at T−1.
    func testLastPositionShortcutMatchesFullComputation() {
        for edit: (inout ModelConfig) -> Void in [{ _ in }, { $0.norm = .pre; $0.positions = .rope }] {
            let config = Fixture.tiny(.transformer, edit: edit)
            let model = Fixture.model(config)
            let (B, T, V) = (4, config.contextLength, config.vocabularySize)
            let tokens = Fixture.randomTokens(B * T, vocabulary: V, seed: 21)
            let graph = Graph(parameters: model.parameters, training: false, flops: FlopCounter())
            var rng = RNG(seed: 1)
            let all = graph.value(model.logits(graph, tokens: tokens, batchSize: B, predicting: .all, dropoutRNG: &rng))
            let last = graph.value(model.logits(graph, tokens: tokens, batchSize: B, predicting: .last, dropoutRNG: &rng))
            XCTAssertEqual(last.count, B * V)
            for b in 0..<B {
                for v in 0..<V {
                    XCTAssertEqual(last[b * V + v], all[(b * T + T - 1) * V + v], accuracy: 1e-4)
                }
            }
        }
    }

    /// `.lastPositions(k)` returns exactly the last k rows of every window's `.all` logits.
    func testLastPositionsAreTheLastRowsOfTheFullLogits() {
        let config = Fixture.tiny(.transformer, context: 6)
        let model = Fixture.model(config)
        let (B, T, V) = (3, config.contextLength, config.vocabularySize)
        let tokens = Fixture.randomTokens(B * T, vocabulary: V, seed: 8)
        let graph = Graph(parameters: model.parameters, training: false, flops: FlopCounter())
        var rng = RNG(seed: 1)
        let all = graph.value(model.logits(graph, tokens: tokens, batchSize: B, predicting: .all, dropoutRNG: &rng))
        for k in 1...T {
            graph.reset()
            let some = graph.value(model.logits(graph, tokens: tokens, batchSize: B, predicting: .lastPositions(k), dropoutRNG: &rng))
            XCTAssertEqual(some.count, B * k * V)
            for b in 0..<B {
                for p in 0..<k {
                    for v in 0..<V {
                        XCTAssertEqual(some[(b * k + p) * V + v], all[(b * T + T - k + p) * V + v], accuracy: 1e-5, "k \(k)")
                    }
                }
            }
        }
    }
}
