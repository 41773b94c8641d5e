import Corpus
import Foundation
import Models
import TensorCore

/// Text from a trained model, as nanoGPT's `sample.py` makes it: the prompt's tokens, then
/// one token at a time, each drawn from the model's next-token distribution over the last
/// `context` tokens, its logits divided by the temperature and cut to the `top_k` most likely.
///
/// Every model of the zoo reads whole windows of exactly `context` tokens (the linear model and
/// the MLP concatenate them), so a context shorter than that is padded on the left with the
/// corpus's line break (`\n`, or `<eos>` at word level): what precedes a text's first line.
public struct SampleOptions: Sendable {
    public var prompt: String = "\n"
    /// Tokens to generate after the prompt.
    public var tokens: Int = 500
    /// 0 picks the most likely token every time (greedy); 1 samples the model's distribution.
    public var temperature: Double = 0.8
    /// Sample among the `topK` most likely tokens only; nil for all.
    public var topK: Int? = 200
    public var seed: UInt64 = 1337
    public init() {}
}

/// What `sample` made: the prompt as the model read it, and the generated continuation.
public struct TextSample: Sendable {
    public let id: String
    public let prompt: String
    public let generated: [Int32]
    public let text: String
}

/// A prompt the model's vocabulary cannot spell, or options out of range.
public struct SampleError: Error, CustomStringConvertible {
    public let description: String
}

/// The sampler's RNG stream, apart from initialization's and the data's.
let samplingStream: UInt64 = 0x5341_4D50       // "SAMP"

extension Trainer {
    /// Loads weights saved by `--save-weights` (or a sweep's `save_weights`) and generates text.
    public func sample(weightsPath: String, options: SampleOptions) throws -> TextSample {
        guard options.tokens >= 0 else { throw SampleError(description: "--tokens must be at least 0 (got \(options.tokens))") }
        guard options.temperature >= 0, options.temperature.isFinite else {
            throw SampleError(description: "--temperature must be a number ≥ 0 (got \(options.temperature))")
        }
        if let k = options.topK, k < 1 { throw SampleError(description: "--top-k must be at least 1 (got \(k))") }
        let (tensors, metadata) = try Safetensors.read(path: weightsPath)
        let run = try WeightsMetadata.config(from: metadata, path: weightsPath).resolved()
        let corpus = try corpora.corpus(run.corpus, at: dataLocation)
        let vocabulary = corpus.vocabulary
        var initRNG = RNG(seed: run.seed, stream: TrainingStep.initializationStream)
        let model = makeLanguageModel(run.modelConfig(vocabularySize: vocabulary.count), initRNG: &initRNG)
        try model.loadWeights(tensors, from: weightsPath)

        let promptIDs = try Self.encode(options.prompt, vocabulary: vocabulary, level: corpus.level, corpus: run.corpus.description)
        let pad = vocabulary.id(of: corpus.level == .word ? "<eos>" : "\n") ?? 0
        let graph = Graph(parameters: model.parameters, training: false, flops: FlopCounter())
        var rng = RNG(seed: options.seed, stream: samplingStream)
        var noDropout = RNG(seed: 0)
        var context = promptIDs
        var generated: [Int32] = []
        let T = run.context
        for _ in 0..<options.tokens {
            let window = Array(repeating: pad, count: max(0, T - context.count)) + context.suffix(T)  // (1, T)
            graph.reset()
            let logits = graph.value(model.logits(graph, tokens: window, batchSize: 1, predicting: .last,
                                                  dropoutRNG: &noDropout))                          // (1, V)
            let next = Self.draw(logits, temperature: options.temperature, topK: options.topK, rng: &rng)
            generated.append(next)
            context.append(next)
        }
        return TextSample(id: run.id, prompt: vocabulary.decode(promptIDs, level: corpus.level),
                          generated: generated, text: vocabulary.decode(generated, level: corpus.level))
    }

    /// The prompt's token ids: characters one by one, or words (unknown ones as `<unk>` where
    /// the vocabulary has it); a character or word it cannot spell is an error naming it.
    static func encode(_ prompt: String, vocabulary: Vocabulary, level: TokenLevel, corpus: String) throws -> [Int32] {
        switch level {
        case .character:
            return try prompt.unicodeScalars.enumerated().map { index, scalar in
                guard let id = vocabulary.id(of: String(scalar)) else {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    throw SampleError(description: "--prompt: character \(index + 1), '\(scalar.escaped(asASCII: false))' "
                                      + "(U+\(String(repeating: "0", count: max(0, 4 - hex.count)) + hex)), is not in the "
                                      + "vocabulary of \(corpus) (\(vocabulary.count) characters)")
                }
                return id
            }
        case .word:
            let unknown = vocabulary.id(of: "<unk>")
            return try prompt.split(whereSeparator: \.isWhitespace).enumerated().map { index, word in
                if let id = vocabulary.id(of: String(word)) ?? unknown { return id }
                throw SampleError(description: "--prompt: word \(index + 1), '\(word)', is not in the vocabulary of "
                                  + "\(corpus) (\(vocabulary.count) words, no <unk>)")
            }
        }
    }

    /// One token from `logits`: the most likely at temperature 0 (the lowest id among equals),
    /// else a draw from softmax(logits / temperature) over the `topK` most likely.
    static func draw(_ logits: [Float], temperature: Double, topK: Int?, rng: inout RNG) -> Int32 {
        let ranked = logits.indices.sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
        guard temperature > 0 else { return Int32(ranked[0]) }
        let kept = ranked.prefix(min(topK ?? ranked.count, ranked.count))
        let top = Double(logits[kept.first!])
        let weights = kept.map { exp((Double(logits[$0]) - top) / temperature) }
        let total = weights.reduce(0, +)
        // 53 random bits: a uniform draw in [0, total).
        var u = Double(rng.next() >> 11) / Double(1 << 53) * total
        for (index, weight) in zip(kept, weights) {
            if u < weight { return Int32(index) }
            u -= weight
        }
        return Int32(kept.last!)
    }
}
