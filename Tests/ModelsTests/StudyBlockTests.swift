import XCTest
import Models
import TensorCore

/// The study's own pre-LN block (`block_style: study`): the same computation as the standard
/// block without dropout, dropout where the study's code puts it, plain `nn.Linear` init for
/// q, k, v and out, and a correct backward through all of it.
final class StudyBlockTests: XCTestCase {
    private func preLN(_ style: ModelConfig.BlockStyle, dropout: Float = 0,
                       positions: ModelConfig.Positions = .learned) -> ModelConfig {
        Fixture.tiny(.transformer, context: 6) {
            $0.norm = .pre; $0.blockStyle = style; $0.dropout = dropout; $0.positions = positions
        }
    }

    /// Without dropout the two styles are one function: the standard model's weights loaded
    /// into the study-style model give the same logits, bit for bit, for every position and
    /// for the last-position shortcut, with learned positions and with RoPE.
    func testWithoutDropoutTheStudyBlockComputesWhatTheStandardBlockDoes() {
        for positions in [ModelConfig.Positions.learned, .rope] {
            let standard = Fixture.model(preLN(.standard, positions: positions), seed: 4)
            let study = Fixture.model(preLN(.study, positions: positions), seed: 9)
            XCTAssertNotEqual(study.parameters.flatValues, standard.parameters.flatValues)
            study.parameters.flatValues = standard.parameters.flatValues
            let tokens = Fixture.randomTokens(3 * 6, vocabulary: 11, seed: 2)
            for predicting in [PredictedPositions.all, .last] {
                func logits(_ model: any LanguageModel) -> [Float] {
                    let g = Graph(parameters: model.parameters, training: true, flops: FlopCounter())
                    var rng = RNG(seed: 1)
                    return g.value(model.logits(g, tokens: tokens, batchSize: 3, predicting: predicting, dropoutRNG: &rng))
                }
                XCTAssertEqual(logits(study), logits(standard), "\(positions) \(predicting)")
            }
        }
    }

    /// Where dropout runs, read from the exact FLOP counter (one FLOP per element dropped out,
    /// forward): per block, the study's code drops the attention output (B·T·d) and the
    /// feed-forward output twice (2·B·T·d) and never the probabilities; the standard block
    /// drops the feed-forward output once (B·T·d) and every unmasked probability
    /// (B·H·T(T+1)/2).
    func testDropoutRunsExactlyWhereTheStudysCodePutsIt() {
        let (B, T, d, H, depth) = (3, 6, 8, 2, 2)
        func dropoutFLOPs(_ style: ModelConfig.BlockStyle) -> Double {
            func forward(_ p: Float) -> Double {
                let model = Fixture.model(preLN(style, dropout: p), seed: 4)
                let flops = FlopCounter()
                let g = Graph(parameters: model.parameters, training: true, flops: flops)
                var rng = RNG(seed: 1)
                _ = model.logits(g, tokens: Fixture.randomTokens(B * T, vocabulary: 11, seed: 2), batchSize: B,
                                 predicting: .all, dropoutRNG: &rng)
                return flops.forward
            }
            return forward(0.2) - forward(0)
        }
        XCTAssertEqual(dropoutFLOPs(.study), Double(depth * 3 * B * T * d))
        XCTAssertEqual(dropoutFLOPs(.standard), Double(depth * (B * T * d + B * H * T * (T + 1) / 2)))
    }

    /// With dropout on, the two styles differ: the masks fall elsewhere. (The backward through
    /// them: `GradientCheckTests.testStudyPreLNBlockGradientsThroughItsDropout`.)
    func testWithDropoutTheStylesDiffer() {
        let standard = Fixture.model(preLN(.standard, dropout: 0.3), seed: 4)
        let study = Fixture.model(preLN(.study, dropout: 0.3), seed: 4)
        study.parameters.flatValues = standard.parameters.flatValues
        let tokens = Fixture.randomTokens(3 * 6, vocabulary: 11, seed: 2)
        func logits(_ model: any LanguageModel) -> [Float] {
            let g = Graph(parameters: model.parameters, training: true, flops: FlopCounter())
            var rng = RNG(seed: 1)
            return g.value(model.logits(g, tokens: tokens, batchSize: 3, predicting: .all, dropoutRNG: &rng))
        }
        XCTAssertNotEqual(logits(study), logits(standard))
    }

    /// q, k, v and out start as `nn.Linear(d, d)`: weights and biases uniform in ±1/√d. The
    /// standard block's packed projection is Xavier-uniform (±√(6/(d + 3d))) with zero biases.
    func testStudyBlockInitialisesItsProjectionsAsPlainLinearLayers() {
        let d = 128
        func config(_ style: ModelConfig.BlockStyle) -> ModelConfig {
            Fixture.tiny(.transformer, context: 4) { $0.dModel = d; $0.heads = 4; $0.norm = .pre; $0.blockStyle = style }
        }
        func values(_ model: any LanguageModel, _ suffix: String) -> [Float] {
            let entry = model.parameters.entries.first { $0.name == "blocks.0.attn." + suffix }!
            return Array(model.parameters.flatValues[entry.offset..<(entry.offset + entry.shape.reduce(1, *))])
        }
        let linear = 1 / Float(d).squareRoot(), xavier = (6 / Float(4 * d)).squareRoot()
        let study = Fixture.model(config(.study)), standard = Fixture.model(config(.standard))
        for row in ["q", "k", "v"] {
            let w = values(study, "in_proj_weight.\(row)").map(abs).max()!
            XCTAssertLessThanOrEqual(w, linear, row)
            XCTAssertGreaterThan(w, 0.99 * linear, row)
            let b = values(study, "in_proj_bias.\(row)").map(abs)
            XCTAssertLessThanOrEqual(b.max()!, linear, row)
            XCTAssertGreaterThan(b.max()!, 0.8 * linear, row)
            XCTAssertGreaterThan(values(standard, "in_proj_weight.\(row)").map(abs).max()!, 0.99 * xavier, row)
            XCTAssertEqual(values(standard, "in_proj_bias.\(row)"), Array(repeating: 0, count: d), row)
        }
        XCTAssertGreaterThan(values(study, "out_proj.bias").map(abs).max()!, 0.8 * linear)
        XCTAssertEqual(values(standard, "out_proj.bias"), Array(repeating: 0, count: d))
        XCTAssertEqual(study.parameterCount, standard.parameterCount)
    }
}
