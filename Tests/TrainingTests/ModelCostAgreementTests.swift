import XCTest
import Models
import TensorCore
@testable import Training

/// The models the Trainer builds have exactly the parameters `CostEstimate`'s closed forms
/// predict, and the presets reproduce the study's published counts.
final class ModelCostAgreementTests: XCTestCase {
    private func built(_ config: RunConfig, vocabulary: Int) -> any LanguageModel {
        var rng = RNG(seed: 0)
        return makeLanguageModel(config.resolved().modelConfig(vocabularySize: vocabulary), initRNG: &rng)
    }

    func testBuiltModelsMatchTheClosedFormsAcrossArchitecturesAndOptions() {
        var configs: [RunConfig] = []
        for arch in RunConfig.Architecture.allCases {
            for context in [8, 33] {
                var c = RunConfig(); c.arch = arch; c.context = context; c.dModel = 24; c.heads = 3
                configs.append(c)
            }
        }
        var mlp = RunConfig(); mlp.arch = .mlp; mlp.hidden = [17, 5, 9]; configs.append(mlp)
        var widths = RunConfig(); widths.arch = .mlp; widths.depth = 3; widths.hiddenWidth = 40; configs.append(widths)
        for positions in RunConfig.Positions.allCases {
            for tied in [false, true] {
                for norm in RunConfig.NormPlacement.allCases {
                    var c = RunConfig(); c.arch = .transformer; c.context = 16; c.dModel = 32; c.depth = 2
                    c.ffnWidth = 48; c.positions = positions; c.tiedHead = tied; c.norm = norm
                    configs.append(c)
                }
            }
        }
        for config in configs {
            for vocabulary in [65, 1_001] {
                let model = built(config, vocabulary: vocabulary)
                let expected = CostEstimate.parameters(config.resolved(), vocabularySize: vocabulary)
                XCTAssertEqual(model.parameterCount, expected.total, config.resolved().summary)
                XCTAssertEqual(model.nonEmbeddingParameterCount, expected.nonEmbedding, config.resolved().summary)
            }
        }
    }

    func testPresetsHaveTheStudysParameterCounts() throws {
        let expected: [(String, Int, Int)] = [
            ("study-tiny-linear", 65, 1_073_345), ("study-tiny-mlp", 65, 4_285_377),
            ("study-tiny-attention", 65, 231_617), ("study-tiny-transformer", 65, 430_785),
            ("positions-learned", 65, 430_785), ("positions-rope", 65, 414_401),
            ("positions-learned-exact", 65, 430_785), ("positions-rope-exact", 65, 414_401),
            ("ablation-tiny-transformer", 65, 430_785), ("study-ptb", 9_999, 2_975_631),
        ]
        for (name, vocabulary, count) in expected {
            let config = try XCTUnwrap(Presets.config(named: name), name)
            XCTAssertEqual(built(config, vocabulary: vocabulary).parameterCount, count, name)
            XCTAssertEqual(CostEstimate.parameters(config.resolved(), vocabularySize: vocabulary).total, count, name)
        }
    }

    func testEveryPresetIsValidAndNamedOnce() {
        XCTAssertEqual(Set(Presets.names).count, Presets.names.count)
        for (name, config) in Presets.all {
            XCTAssertEqual(config.validate(), [], name)
        }
    }

    /// The study's protocol, field by field, for the main Tiny Shakespeare runs and PTB.
    func testStudyPresetsFollowTheStudysProtocol() throws {
        let transformer = try XCTUnwrap(Presets.config(named: "study-tiny-transformer")).canonicalized()
        XCTAssertEqual(transformer.context, 128)
        XCTAssertEqual(transformer.batchSize, 64)
        XCTAssertEqual(transformer.lr, 3e-4)
        XCTAssertEqual(transformer.epochs, 4)
        XCTAssertEqual(transformer.windowsPerEpoch, 50_000)
        XCTAssertEqual(transformer.evalWindows, 10_000)
        XCTAssertEqual(transformer.objective, .last)
        XCTAssertEqual(transformer.norm, .post)
        XCTAssertEqual(transformer.dropout, 0.1)
        XCTAssertTrue(transformer.restoreBest)
        XCTAssertEqual(try XCTUnwrap(Presets.config(named: "study-tiny-mlp")).epochs, 3)
        let ablation = try XCTUnwrap(Presets.config(named: "ablation-tiny-mlp"))
        XCTAssertEqual([ablation.epochs, ablation.windowsPerEpoch, ablation.evalWindows], [2, 30_000, 5_000])
        let ptb = try XCTUnwrap(Presets.config(named: "study-ptb")).canonicalized()
        XCTAssertEqual([ptb.context, ptb.batchSize, ptb.epochs, ptb.maxTrainTokens], [64, 32, 8, 80_000])
        // The study's `range(len - T - 1)`: 80,000 − 64 − 1 draws, 20,000 − 64 − 1 windows.
        XCTAssertEqual([ptb.windowsPerEpoch, ptb.evalWindows], [79_935, 19_935])
        XCTAssertEqual(ptb.convention, .study)
        let rope = try XCTUnwrap(Presets.config(named: "positions-rope")).canonicalized()
        XCTAssertEqual(rope.norm, .pre)
        XCTAssertEqual(rope.epochs, 8)
        let full = try XCTUnwrap(Presets.config(named: "full-wikitext2")).canonicalized()
        XCTAssertEqual(full.objective, .all)
        XCTAssertEqual(full.convention, .standard)
        XCTAssertEqual(full.evalMode, .full)
        XCTAssertNil(full.maxTrainTokens)
    }
}
