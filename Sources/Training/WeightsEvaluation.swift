import Corpus
import Foundation
import Models
import TensorCore

/// What a safetensors file written by `lmsweep train --save-weights` carries besides tensors:
/// the canonical run config, so `lmsweep eval` rebuilds the same model without being told.
enum WeightsMetadata {
    static let runConfigKey = "lmsweep_run_config"
    static let versionKey = "lmsweep_version"

    static func describe(_ canonical: RunConfig) -> [String: String] {
        [runConfigKey: canonical.jsonText, versionKey: LMSweepVersion.current, "format": "pt"]
    }

    static func config(from metadata: [String: String], path: String) throws -> RunConfig {
        guard let json = metadata[runConfigKey] else {
            throw Safetensors.FormatError(path: path, message: "no '\(runConfigKey)' in __metadata__: not written by lmsweep train --save-weights")
        }
        do {
            return try JSONDecoder().decode(RunConfig.self, from: Data(json.utf8))
        } catch {
            throw Safetensors.FormatError(path: path, message: "'\(runConfigKey)' is not a valid run config: \(error)")
        }
    }
}

/// The NLL of saved weights on valid and test, under the run's evaluation protocol (or another).
public struct WeightsEvaluation: Codable, Sendable {
    public var id: String
    public var config: RunConfig
    public var validNLL: Double
    public var testNLL: Double
    public var bitsPerChar: Double?
    public var perplexity: Double?
    public var testScoredTokens: Int

    enum CodingKeys: String, CodingKey {
        case id, config, validNLL = "valid_nll", testNLL = "test_nll", bitsPerChar = "bits_per_char"
        case perplexity, testScoredTokens = "test_scored_tokens"
    }

    public func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}

extension Trainer {
    /// Loads weights saved by `--save-weights` and evaluates them on valid and test. `settings`
    /// (`key=value`) change the evaluation, e.g. `eval_mode=full`; settings that change the
    /// model's shape make the weights fail to load, naming the tensor.
    public func evaluate(weightsPath: String, settings: [String] = []) throws -> WeightsEvaluation {
        let (tensors, metadata) = try Safetensors.read(path: weightsPath)
        let config = try WeightsMetadata.config(from: metadata, path: weightsPath).applying(settings: settings)
        let run = config.resolved()
        let prepared = try prepare(config, as: run)
        var initRNG = RNG(seed: run.seed, stream: TrainingStep.initializationStream)
        let model = makeLanguageModel(run.modelConfig(vocabularySize: prepared.corpus.vocabulary.count), initRNG: &initRNG)
        try model.loadWeights(tensors, from: weightsPath)
        let evaluator = Evaluator(model: model, objective: run.predictedPositions)
        let test = evaluator.nll(prepared.test)
        return WeightsEvaluation(
            id: run.id, config: run.config, validNLL: evaluator.nll(prepared.valid), testNLL: test,
            bitsPerChar: prepared.corpus.level == .character ? test / log(2) : nil,
            perplexity: prepared.corpus.level == .word ? exp(test) : nil,
            testScoredTokens: run.predictedPositions == .last ? prepared.test.windowCount : prepared.test.scoredTargetCount)
    }
}
