import Corpus
import Foundation
import Models
import TensorCore

/// Turns a run config into a trained model and one ``RunRecord``: the entry point every rank of
/// a sweep calls, and `lmsweep train`.
///
/// Loads each corpus once per process (``CorpusCache``) and reuses it for every run. A run never
/// throws and never crashes on bad numbers: a NaN or infinite loss ends it with status
/// `diverged`, any other error with status `failed` and the error's text.
public final class Trainer {
    public let dataLocation: DataLocation
    let corpora: CorpusCache

    /// dataDirectory: `--data-dir` if given (else `LMSWEEP_DATA`, else `./data`).
    public convenience init(dataDirectory: String?) {
        self.init(dataLocation: DataLocation.resolve(dataDir: dataDirectory))
    }

    public init(dataLocation: DataLocation, corpora: CorpusCache = .shared) {
        self.dataLocation = dataLocation
        self.corpora = corpora
        // One BLAS thread per rank (DESIGN.md), which also fixes the reduction order: the same
        // config and seed give the same bits on any rank.
        TensorCore.setBLASThreads(1)
    }

    /// Checks everything that can be checked before training: the config's own rules, the
    /// dataset's presence and sizes, and that the context fits every split.
    public func preflight(_ config: RunConfig) throws {
        _ = try prepare(config)
    }

    /// Trains and evaluates one run. `progress` receives one-line updates for stderr. With
    /// `saveWeightsTo`, the weights the test evaluation used are written there as safetensors.
    public func run(_ config: RunConfig, rank: Int, host: String,
                    progress: ((String) -> Void)? = nil, saveWeightsTo weightsPath: String? = nil) -> RunRecord {
        let started = Date()
        let canonical = config.canonicalized()
        var record = RunRecord(id: config.id, config: canonical, status: .ok, seed: canonical.seed,
                               rank: rank, host: host, numerics: Numerics.thisProcess)
        do {
            let prepared = try prepare(config)
            let session = TrainingSession(config: canonical, corpus: prepared.corpus,
                                          sampler: prepared.sampler, valid: prepared.valid,
                                          test: prepared.test, progress: progress)
            session.run(into: &record)
            if let weightsPath, record.status == .ok {
                try session.model.saveWeights(to: weightsPath, metadata: WeightsMetadata.describe(canonical))
            }
        } catch {
            record.status = .failed
            record.error = "\(error)"
        }
        record.wallSeconds = Date().timeIntervalSince(started)
        record.finishedAt = ISO8601DateFormatter().string(from: Date())
        return record
    }

    /// Loads (or reuses) the corpus and builds the run's sampler and evaluation windows.
    func prepare(_ config: RunConfig) throws -> PreparedData {
        let issues = config.validate()
        if !issues.isEmpty { throw InvalidRunConfig(issues: issues) }
        let c = config.canonicalized()
        let corpus = try corpora.corpus(CorpusDataset(c.dataset), CorpusConvention(c.convention), at: dataLocation)
        let sampler = try corpus.trainingSampler(contextLength: c.context, maxTrainTokens: c.maxTrainTokens,
                                                 seed: c.seed)
        let mode: EvaluationMode
        switch c.evalMode {
        case .study: mode = .study(windows: c.evalWindows ?? 10_000)
        case .full: mode = .full(stride: min(c.evalStride ?? 1, c.context))
        }
        return PreparedData(corpus: corpus, sampler: sampler,
                            valid: try corpus.evaluationWindows(.valid, contextLength: c.context, mode: mode),
                            test: try corpus.evaluationWindows(.test, contextLength: c.context, mode: mode))
    }

    struct PreparedData {
        let corpus: LoadedCorpus
        let sampler: TrainingWindowSampler
        let valid, test: EvaluationWindows
    }
}

/// A config that breaks its own rules (``RunConfig/validate()``), every problem listed.
public struct InvalidRunConfig: Error, CustomStringConvertible {
    public let issues: [ConfigIssue]
    public var description: String {
        "invalid run config: " + issues.map(\.description).joined(separator: "; ")
    }
}

extension CorpusDataset {
    /// Run configs and the corpus name datasets alike; the raw values are the contract.
    init(_ dataset: RunConfig.Dataset) {
        switch dataset {
        case .tinyshakespeare: self = .tinyshakespeare
        case .ptb: self = .ptb
        case .wikitext2: self = .wikitext2
        }
    }
}

extension CorpusConvention {
    init(_ convention: RunConfig.Convention) {
        switch convention {
        case .study: self = .study
        case .nanogpt: self = .nanogpt
        case .standard: self = .standard
        }
    }
}
