import Foundation

/// One finished (or failed) run: the line a worker sends back to rank 0 and the journal keeps.
///
/// Fields split into *results* (determined by the config and seed: same bits on any rank) and
/// *provenance* (where, when and how fast it ran). ``sameResult(as:)`` compares results only;
/// it is what resume, merge and the multi-rank tests use.
public struct RunRecord: Codable, Hashable, Sendable {
    public enum Status: String, Codable, Sendable { case ok, diverged, failed }

    // MARK: identity
    public var id: String
    /// The canonical config (``Run/config``): the initializer canonicalizes, and a journal's
    /// records are checked to hold their canonical form (``Journal/load(path:warn:)``).
    public var config: RunConfig

    // MARK: results
    public var status: Status
    public var error: String?
    public var paramsTotal: Int
    public var paramsNonEmbedding: Int
    /// The study's proxy: 2 × all parameters × windows × context × epochs.
    public var flopsStudy: Double
    /// Kaplan et al. (2020) / PaLM appendix B: 6·N·tokens + the attention term 12·L·T·d per token.
    public var flops6N: Double
    /// What the tensor core executed: forward + backward + optimizer, from its counter.
    public var flopsExact: Double
    public var flopsForward: Double
    public var flopsBackward: Double
    public var flopsOptimizer: Double
    public var steps: Int
    public var windowsTrained: Int
    /// Predicted training targets (windows for `last`, windows × context for `all`).
    public var tokensTrained: Int
    /// Valid NLL (nats per predicted token) at each evaluation, in order.
    public var validNLL: [Double]
    /// Training steps at which each valid evaluation happened.
    public var validSteps: [Int]
    /// Predicted training targets, exact training FLOPs and mean training loss since the
    /// previous evaluation, at each valid evaluation (the learning curve's other axes); nil in
    /// records written before they were kept.
    public var validTokens: [Int]?
    public var validFLOPs: [Double]?
    public var trainLoss: [Double]?
    /// Index into `validNLL` of the best evaluation (whose weights the test used, if restored).
    public var bestEval: Int?
    public var testNLL: Double?
    /// test NLL / ln 2 for character-level data.
    public var bitsPerChar: Double?
    /// exp(test NLL) for word-level data.
    public var perplexity: Double?

    // MARK: provenance
    public var seed: UInt64
    public var wallSeconds: Double
    public var tokensPerSecond: Double
    public var gflopsPerSecond: Double
    public var rank: Int
    public var host: String
    public var version: String
    /// ISO 8601 time the run finished.
    public var finishedAt: String
    /// How the process that ran it rounds (``Numerics``); nil in records written before
    /// numerics were recorded.
    public var numerics: Numerics?

    enum CodingKeys: String, CodingKey {
        case id, config, status, error
        case paramsTotal = "params_total", paramsNonEmbedding = "params_non_embedding"
        case flopsStudy = "flops_study", flops6N = "flops_6n", flopsExact = "flops_exact"
        case flopsForward = "flops_forward", flopsBackward = "flops_backward"
        case flopsOptimizer = "flops_optimizer"
        case steps, windowsTrained = "windows_trained", tokensTrained = "tokens_trained"
        case validNLL = "valid_nll", validSteps = "valid_steps", bestEval = "best_eval"
        case validTokens = "valid_tokens", validFLOPs = "valid_flops", trainLoss = "train_loss"
        case testNLL = "test_nll", bitsPerChar = "bits_per_char", perplexity
        case seed, wallSeconds = "wall_seconds", tokensPerSecond = "tokens_per_second"
        case gflopsPerSecond = "gflops_per_second", rank, host, version
        case finishedAt = "finished_at", numerics
    }

    public init(id: String, config: RunConfig, status: Status, error: String? = nil,
                paramsTotal: Int = 0, paramsNonEmbedding: Int = 0,
                flopsStudy: Double = 0, flops6N: Double = 0, flopsExact: Double = 0,
                flopsForward: Double = 0, flopsBackward: Double = 0, flopsOptimizer: Double = 0,
                steps: Int = 0, windowsTrained: Int = 0, tokensTrained: Int = 0,
                validNLL: [Double] = [], validSteps: [Int] = [], bestEval: Int? = nil,
                testNLL: Double? = nil, bitsPerChar: Double? = nil, perplexity: Double? = nil,
                seed: UInt64, wallSeconds: Double = 0, tokensPerSecond: Double = 0,
                gflopsPerSecond: Double = 0, rank: Int = 0, host: String = "",
                version: String = LMSweepVersion.current, finishedAt: String = "", numerics: Numerics? = nil) {
        self.id = id; self.config = config.canonicalized(); self.status = status; self.error = error
        self.paramsTotal = paramsTotal; self.paramsNonEmbedding = paramsNonEmbedding
        self.flopsStudy = flopsStudy; self.flops6N = flops6N; self.flopsExact = flopsExact
        self.flopsForward = flopsForward; self.flopsBackward = flopsBackward
        self.flopsOptimizer = flopsOptimizer
        self.steps = steps; self.windowsTrained = windowsTrained; self.tokensTrained = tokensTrained
        self.validNLL = validNLL; self.validSteps = validSteps; self.bestEval = bestEval
        self.testNLL = testNLL; self.bitsPerChar = bitsPerChar; self.perplexity = perplexity
        self.seed = seed; self.wallSeconds = wallSeconds; self.tokensPerSecond = tokensPerSecond
        self.gflopsPerSecond = gflopsPerSecond; self.rank = rank; self.host = host
        self.version = version; self.finishedAt = finishedAt; self.numerics = numerics
    }

    /// This record with its provenance (rank, host, timings, finish time, numerics) blanked,
    /// and the learning curve's detail: given the same valid and test NLLs it follows, and
    /// records written before it was kept lack it.
    public var resultOnly: RunRecord {
        var r = self
        r.validTokens = nil; r.validFLOPs = nil; r.trainLoss = nil
        r.wallSeconds = 0; r.tokensPerSecond = 0; r.gflopsPerSecond = 0
        r.rank = 0; r.host = ""; r.finishedAt = ""; r.version = ""; r.numerics = nil
        return r
    }

    /// The run this record is of (its config resolved).
    public var run: Run { config.resolved() }

    /// Same run, same results: everything but where, when and how fast it ran.
    public func sameResult(as other: RunRecord) -> Bool { resultOnly == other.resultOnly }

    /// One JSON line (sorted keys, no newline): the journal's format.
    public func jsonLine() -> String {
        // Every field is a string, number, array or enum, and non-finite numbers are spelt
        // out (a diverged run's NaN), so encoding cannot fail.
        String(decoding: try! RunRecord.encoder.encode(self), as: UTF8.self)
    }

    /// Decodes one journal line.
    public static func decode(jsonLine: some StringProtocol) throws -> RunRecord {
        try decoder.decode(RunRecord.self, from: Data(jsonLine.utf8))
    }

    static let nonFinite = (positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: nonFinite.positiveInfinity, negativeInfinity: nonFinite.negativeInfinity,
            nan: nonFinite.nan)
        return encoder
    }
    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: nonFinite.positiveInfinity, negativeInfinity: nonFinite.negativeInfinity,
            nan: nonFinite.nan)
        return decoder
    }
}

public enum LMSweepVersion {
    /// The software version stored in every record and beside every journal.
    public static let current = "0.1.0"
}
