import XCTest
import Models
import TensorCore

/// The study's published parameter counts (Bhatti 2025), built from real models. The closed
/// forms in `CostEstimate` are checked against the same models in TrainingTests.
final class ParameterCountTests: XCTestCase {
    private func study(_ architecture: ModelConfig.Architecture, vocabulary: Int = 65, context: Int = 128,
                       edit: (inout ModelConfig) -> Void = { _ in }) -> ModelConfig {
        // The study's widths: 4 heads, FFN 512 (one attention block), MLP 256-256, dropout 0.1.
        var c = ModelConfig(architecture: architecture, vocabularySize: vocabulary, contextLength: context, dModel: 128,
                            heads: 4, depth: 1, ffnWidth: 512, hiddenWidths: [256, 256], dropout: 0.1,
                            positions: .learned, norm: .post, blockStyle: .standard, tiedHead: false)
        edit(&c)
        return c
    }

    func testTinyShakespeareModelsHaveTheStudysParameterCounts() {
        XCTAssertEqual(Fixture.model(study(.linear)).parameterCount, 1_073_345)
        XCTAssertEqual(Fixture.model(study(.mlp) { $0.hiddenWidths = [256, 256] }).parameterCount, 4_285_377)
        XCTAssertEqual(Fixture.model(study(.attention) { $0.ffnWidth = 512 }).parameterCount, 231_617)
        XCTAssertEqual(Fixture.model(study(.transformer) { $0.depth = 3; $0.ffnWidth = 256 }).parameterCount, 430_785)
        XCTAssertEqual(Fixture.model(study(.transformer) { $0.depth = 3; $0.ffnWidth = 256; $0.positions = .rope }).parameterCount, 414_401)
    }

    func testPTBTransformerHasTheStudysParameterCount() {
        let ptb = study(.transformer, vocabulary: 9_999, context: 64) { $0.depth = 3; $0.ffnWidth = 256 }
        XCTAssertEqual(Fixture.model(ptb).parameterCount, 2_975_631)
    }

    func testNonEmbeddingCountExcludesTokenAndPositionTables() {
        let transformer = Fixture.model(study(.transformer) { $0.depth = 3; $0.ffnWidth = 256 })
        XCTAssertEqual(transformer.parameterCount - transformer.nonEmbeddingParameterCount, 65 * 128 + 128 * 128)
        let linear = Fixture.model(study(.linear))
        XCTAssertEqual(linear.nonEmbeddingParameterCount, 128 * 128 * 65 + 65)
        let tied = Fixture.model(study(.transformer) { $0.depth = 3; $0.ffnWidth = 256; $0.tiedHead = true })
        XCTAssertEqual(transformer.parameterCount - tied.parameterCount, 65 * 128)
        XCTAssertNil(tied.parameters.entries.first { $0.name == "head.weight" })
    }

    /// Names and order are PyTorch's `state_dict` of the reference models (torch_study.py).
    func testTensorNamesFollowThePyTorchReference() {
        let attention = Fixture.model(Fixture.tiny(.attention))
        XCTAssertEqual(attention.tensorLayout.map(\.name), [
            "tok.weight", "pos.weight",
            "blocks.0.attn.in_proj_weight", "blocks.0.attn.in_proj_bias",
            "blocks.0.attn.out_proj.weight", "blocks.0.attn.out_proj.bias",
            "blocks.0.ln1.weight", "blocks.0.ln1.bias", "blocks.0.ln2.weight", "blocks.0.ln2.bias",
            "blocks.0.ff.0.weight", "blocks.0.ff.0.bias", "blocks.0.ff.2.weight", "blocks.0.ff.2.bias",
            "ln_f.weight", "ln_f.bias", "head.weight", "head.bias",
        ])
        XCTAssertEqual(attention.tensorLayout[2].shape, [24, 8])
        XCTAssertEqual(attention.tensorLayout[3].shape, [24])
        XCTAssertEqual(attention.tensorLayout.reduce(0) { $0 + $1.count }, attention.parameterCount)
        let mlp = Fixture.model(Fixture.tiny(.mlp))
        XCTAssertEqual(mlp.tensorLayout.map(\.name), [
            "emb.weight", "body.0.weight", "body.0.bias", "body.3.weight", "body.3.bias", "out.weight", "out.bias",
        ])
        XCTAssertEqual(Fixture.model(Fixture.tiny(.linear)).parameters.entries.map(\.name), ["emb.weight", "out.weight", "out.bias"])
    }

    /// PyTorch's initializations: LayerNorm ones/zeros, MHA biases zero, embeddings N(0, 1),
    /// in_proj xavier-uniform within √(6/(d + 3d)).
    func testInitializationFollowsPyTorchModules() {
        let model = Fixture.model(study(.transformer))
        func values(_ name: String) -> [Float] {
            let t = model.weightTensors().first { $0.name == name }!
            return t.values
        }
        XCTAssertEqual(Set(values("blocks.0.ln1.weight")), [1])
        XCTAssertEqual(Set(values("blocks.0.attn.in_proj_bias")), [0])
        XCTAssertEqual(Set(values("blocks.0.attn.out_proj.bias")), [0])
        let bound = (6.0 / Float(128 + 384)).squareRoot()
        let inProj = values("blocks.0.attn.in_proj_weight")
        XCTAssertLessThanOrEqual(inProj.map(abs).max()!, bound)
        XCTAssertGreaterThan(inProj.map(abs).max()!, 0.95 * bound)
        let table = values("tok.weight")
        let mean = table.reduce(0, +) / Float(table.count)
        let variance = table.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(table.count)
        XCTAssertEqual(mean, 0, accuracy: 0.05)
        XCTAssertEqual(variance, 1, accuracy: 0.08)
    }
}
