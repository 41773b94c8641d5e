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
        _ = try prepare(config, as: config.resolved())
    }

    /// Trains and evaluates one run. `progress` receives one-line updates for stderr. With
    /// `saveWeightsTo`, the weights the test evaluation used are written there as safetensors.
    /// `activity`, if given, is ticked at every training step and evaluation batch.
    public func run(_ config: RunConfig, rank: Int, host: String, progress: ((String) -> Void)? = nil,
                    activity: Activity? = nil, saveWeightsTo weightsPath: String? = nil) -> RunRecord {
        // Without checkpointing nothing can raise a stop: the run always finishes.
        train(config, rank: rank, host: host, progress: progress, activity: activity, saveWeightsTo: weightsPath).record!
    }

    /// ``run(_:rank:host:progress:activity:saveWeightsTo:)`` with checkpoints: resumes from
    /// `checkpointing.resumeFrom` when it is a checkpoint of this run taken under these numerics
    /// (else it says why and starts over), checkpoints every `checkpoint_every`, and stops,
    /// interrupted, at the next step boundary once `checkpointing.stop` is raised.
    public func train(_ config: RunConfig, rank: Int, host: String, progress: ((String) -> Void)? = nil,
                      activity: Activity? = nil, checkpointing: Checkpointing? = nil,
                      saveWeightsTo weightsPath: String? = nil) -> RunOutcome {
        let started = Date()
        let run = config.resolved()
        var record = RunRecord(id: run.id, config: run.config, status: .ok, seed: run.seed,
                               rank: rank, host: host, numerics: Numerics.thisProcess)
        do {
            let prepared = try prepare(config, as: run)
            if let reason = MemoryEstimate.refusal(run, vocabularySize: prepared.corpus.vocabulary.count,
                                                   available: MemoryEstimate.availableBytes()) {
                throw TooLarge(reason: reason)
            }
            let session = TrainingSession(run: run, corpus: prepared.corpus, sampler: prepared.sampler,
                                          valid: prepared.valid, test: prepared.test, progress: progress,
                                          activity: activity)
            var resume = checkpointing?.resumeFrom.flatMap { Self.usableCheckpoint($0, of: run, progress: progress) }
            if let checkpoint = resume, let mismatch = session.mismatch(checkpoint) {
                progress?("\(run.id): its checkpoint does not fit the model (\(mismatch)); starting over")
                resume = nil
            }
            if let stopped = try session.train(into: &record, checkpointing: checkpointing, resume: resume) {
                return .interrupted(id: run.id, checkpointedAt: stopped.checkpointedAt)
            }
            if let weightsPath, record.status == .ok {
                try session.model.saveWeights(to: weightsPath, metadata: WeightsMetadata.describe(run.config))
            }
        } catch {
            record.status = .failed
            record.error = "\(error)"
        }
        record.wallSeconds = Date().timeIntervalSince(started)
        record.finishedAt = ISO8601DateFormatter().string(from: Date())
        return .finished(record)
    }

    /// The checkpoint in `bytes` if it can resume `run` exactly: it parses, it is this run's,
    /// and this process computes the bits it was computed with. Otherwise nil, saying why.
    static func usableCheckpoint(_ bytes: Data, of run: Run, progress: ((String) -> Void)?) -> TrainingCheckpoint? {
        let checkpoint: TrainingCheckpoint
        do { checkpoint = try TrainingCheckpoint(decoding: bytes, source: "checkpoint of \(run.id)") } catch {
            progress?("\(run.id): its checkpoint is unreadable (\(error)); starting over")
            return nil
        }
        guard checkpoint.runID == run.id else {
            progress?("\(run.id): its checkpoint belongs to run \(checkpoint.runID); starting over")
            return nil
        }
        guard checkpoint.fingerprint == Numerics.thisProcess.fingerprint else {
            progress?("\(run.id): its checkpoint was computed under numerics \(checkpoint.fingerprint), this rank's are "
                      + "\(Numerics.thisProcess.fingerprint); starting over so the result is one computation's bits")
            return nil
        }
        return checkpoint
    }

    /// Validates the config as written, then loads (or reuses) the corpus of its resolved `run`
    /// and builds the sampler and evaluation windows.
    func prepare(_ config: RunConfig, as run: Run) throws -> PreparedData {
        let issues = config.validate()
        if !issues.isEmpty { throw InvalidRunConfig(issues: issues) }
        let corpus = try corpora.corpus(run.corpus, at: dataLocation)
        let sampler = try corpus.trainingSampler(contextLength: run.context, maxTrainTokens: run.maxTrainTokens,
                                                 seed: run.seed)
        return PreparedData(corpus: corpus, sampler: sampler,
                            valid: try corpus.evaluationWindows(.valid, contextLength: run.context, mode: run.evaluation),
                            test: try corpus.evaluationWindows(.test, contextLength: run.context, mode: run.evaluation))
    }

    struct PreparedData {
        let corpus: LoadedCorpus
        let sampler: TrainingWindowSampler
        let valid, test: EvaluationWindows
    }
}

/// A run that does not fit in this machine's memory (``MemoryEstimate``).
struct TooLarge: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}

/// A config that breaks its own rules (``RunConfig/validate()``), every problem listed.
public struct InvalidRunConfig: Error, CustomStringConvertible {
    public let issues: [ConfigIssue]
    public init(issues: [ConfigIssue]) { self.issues = issues }
    public var description: String {
        "invalid run config: " + issues.map(\.description).joined(separator: "; ")
    }
}
