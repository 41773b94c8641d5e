import TestSupport
import XCTest
import Foundation
import Corpus
@testable import Training

/// Exact resume: a run resumed from any of its checkpoints ends with the uninterrupted run's
/// results, bit for bit. Each test checkpoints at every step boundary, so "killed right after
/// checkpoint k" is tried for every k: early, mid-epoch, right after a valid evaluation, on the
/// last step before the best-valid restore and the test evaluation.
final class CheckpointResumeTests: XCTestCase {
    private var root: String!
    private var trainer: Trainer!

    override func setUpWithError() throws {
        root = try TinyCorpus.make()
        trainer = Trainer(dataLocation: TinyCorpus.location(root), corpora: CorpusCache())
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    /// Checkpoints a run takes, kept in memory as the bytes rank 0 would write.
    final class Saved: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [(step: Int, bytes: Data)] = []
        var all: [(step: Int, bytes: Data)] { lock.lock(); defer { lock.unlock() }; return items }
        func add(_ checkpoint: TrainingCheckpoint) {
            let bytes = checkpoint.encoded()
            lock.lock(); items.append((checkpoint.step, bytes)); lock.unlock()
        }
    }

    /// Every step boundary is a checkpoint.
    private static let everyStep = 1e-9

    /// A transformer with dropout on every position, a partial last batch per epoch (60 windows
    /// in batches of 8), warm-up then cosine decay, valid every 5 steps, best-valid restore.
    private func transformer() -> RunConfig {
        var c = RunConfig()
        c.arch = .transformer
        c.context = 16; c.dModel = 16; c.heads = 2; c.depth = 2; c.ffnWidth = 32; c.dropout = 0.2
        c.objective = .all
        c.batchSize = 8; c.epochs = 2; c.windowsPerEpoch = 60
        c.schedule = .cosine; c.warmupSteps = 3; c.optimizer = .adamw; c.weightDecay = 0.1
        c.evalEvery = 5; c.evalWindows = 40; c.lr = 3e-3; c.seed = 7
        c.checkpointEvery = Self.everyStep
        return c
    }

    /// An MLP under SGD with momentum, weight decay and clipping (the optimizer's other state).
    private func mlp() -> RunConfig {
        var c = RunConfig()
        c.arch = .mlp; c.context = 8; c.dModel = 8; c.hidden = [24, 16]; c.dropout = 0.1
        c.optimizer = .sgd; c.momentum = 0.9; c.weightDecay = 0.01; c.gradClip = 0.5; c.lr = 0.05
        c.batchSize = 16; c.epochs = 3; c.windowsPerEpoch = 50
        c.evalWindows = 40; c.seed = 3
        c.checkpointEvery = Self.everyStep
        return c
    }

    /// Every result field that does not depend on the clock, the rank or the host.
    private func assertSameResults(_ a: RunRecord, _ b: RunRecord, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.status, .ok, a.error ?? "", file: file, line: line)
        XCTAssertEqual(b.status, a.status, "\(what): \(b.error ?? "")", file: file, line: line)
        XCTAssertEqual(b.testNLL, a.testNLL, "\(what): test NLL", file: file, line: line)
        XCTAssertEqual(b.validNLL, a.validNLL, "\(what): valid curve", file: file, line: line)
        XCTAssertEqual(b.validSteps, a.validSteps, "\(what): valid steps", file: file, line: line)
        XCTAssertEqual(b.bestEval, a.bestEval, "\(what): best evaluation", file: file, line: line)
        XCTAssertEqual(b.steps, a.steps, "\(what): steps", file: file, line: line)
        XCTAssertEqual(b.windowsTrained, a.windowsTrained, "\(what): windows", file: file, line: line)
        XCTAssertEqual(b.tokensTrained, a.tokensTrained, "\(what): tokens", file: file, line: line)
        XCTAssertEqual(b.flopsForward, a.flopsForward, "\(what): forward FLOPs", file: file, line: line)
        XCTAssertEqual(b.flopsBackward, a.flopsBackward, "\(what): backward FLOPs", file: file, line: line)
        XCTAssertEqual(b.flopsOptimizer, a.flopsOptimizer, "\(what): optimizer FLOPs", file: file, line: line)
        XCTAssertEqual(b.bitsPerChar, a.bitsPerChar, "\(what): bits per char", file: file, line: line)
        XCTAssertEqual(b.validTokens, a.validTokens, "\(what): valid tokens", file: file, line: line)
        XCTAssertEqual(b.validFLOPs, a.validFLOPs, "\(what): valid FLOPs", file: file, line: line)
        XCTAssertEqual(b.trainLoss?.map(\.bitPattern), a.trainLoss?.map(\.bitPattern), "\(what): training loss", file: file, line: line)
    }

    private func resumed(_ config: RunConfig, from bytes: Data?, log: ((String) -> Void)? = nil) throws -> RunRecord {
        let outcome = trainer.train(config, rank: 1, host: "h", progress: log,
                                    checkpointing: Checkpointing(resumeFrom: bytes) { _ in })
        return try XCTUnwrap(outcome.record, "a run with nothing to stop it finishes")
    }

    private func assertResumesExactlyFromEveryCheckpoint(_ config: RunConfig) throws {
        let reference = trainer.run(config, rank: 0, host: "h")
        XCTAssertEqual(reference.status, .ok, reference.error ?? "")
        XCTAssertEqual(reference.validSteps.count > 2, true, "the run evaluates more than twice")

        let saved = Saved()
        let checkpointed = try XCTUnwrap(trainer.train(config, rank: 0, host: "h",
                                                       checkpointing: Checkpointing(save: saved.add)).record)
        assertSameResults(reference, checkpointed, "taking checkpoints")
        // One checkpoint at every step boundary but the first: steps 1 … steps−1.
        XCTAssertEqual(saved.all.map(\.step), Array(1..<reference.steps))

        for (step, bytes) in saved.all {
            let decoded = try TrainingCheckpoint(decoding: bytes, source: "step \(step)")
            XCTAssertEqual(decoded.encoded(), bytes, "step \(step): decoding and encoding again is the same bytes")
            assertSameResults(reference, try resumed(config, from: bytes), "resumed at step \(step)")
        }
    }

    func testATransformerResumesExactlyFromEveryStepBoundary() throws {
        try assertResumesExactlyFromEveryCheckpoint(transformer())
    }

    func testAnSGDMLPResumesExactlyFromEveryStepBoundary() throws {
        try assertResumesExactlyFromEveryCheckpoint(mlp())
    }

    /// A run sized to its FLOP budget learns its length at its first step: a resumed run keeps
    /// that length and the schedule that ends there.
    func testARunSizedToItsBudgetResumesExactly() throws {
        var config = transformer()
        config.maxSteps = 1
        let oneStep = try XCTUnwrap(trainer.run(config, rank: 0, host: "h").flopsExact)
        config.maxSteps = nil
        config.epochs = 100; config.windowsPerEpoch = 10_000; config.evalEvery = 6
        config.flopBudget = 17.3 * oneStep; config.sizeToBudget = true
        try assertResumesExactlyFromEveryCheckpoint(config)
        XCTAssertEqual(trainer.run(config, rank: 0, host: "h").steps, 17)
    }

    /// A stop request ends the run at the next step boundary with a checkpoint there; resuming
    /// it, and stopping and resuming again, ends with the uninterrupted results.
    func testAStoppedRunCheckpointsWhereItStoppedAndResumesToTheSameResult() throws {
        let config = transformer()
        let reference = trainer.run(config, rank: 0, host: "h")

        var bytes: Data? = nil
        var stops: [Int] = []
        for stopAfter in [3, 6] {
            let saved = Saved()
            let stop = StopRequest()
            // The stop is raised while the run saves its `stopAfter`-th checkpoint of this session.
            let checkpointing = Checkpointing(resumeFrom: bytes, stop: stop) { checkpoint in
                saved.add(checkpoint)
                if saved.all.count == stopAfter { stop.raise() }
            }
            let outcome = trainer.train(config, rank: 0, host: "h", checkpointing: checkpointing)
            guard case .interrupted(let id, let step) = outcome else { return XCTFail("stop after \(stopAfter): the run finished") }
            XCTAssertEqual(id, config.id)
            XCTAssertEqual(saved.all.count, stopAfter + 1, "the periodic checkpoints, then the stop's")
            XCTAssertEqual(step, saved.all.last?.step)
            XCTAssertEqual(step, (stops.last ?? 0) + stopAfter + 1, "the stop's checkpoint is the next step boundary")
            stops.append(step ?? -1)
            bytes = saved.all.last?.bytes
        }
        assertSameResults(reference, try resumed(config, from: bytes), "stopped twice, resumed")
    }

    /// `checkpoint_every: 0`: no checkpoints, and a stop leaves nothing to resume from.
    func testCheckpointEveryZeroTakesNoneAndAStopSaysSo() throws {
        var config = transformer()
        config.checkpointEvery = 0
        let saved = Saved()
        let finished = try XCTUnwrap(trainer.train(config, rank: 0, host: "h", checkpointing: Checkpointing(save: saved.add)).record)
        XCTAssertEqual(finished.status, .ok)
        XCTAssertEqual(finished.id, config.id)
        XCTAssertTrue(saved.all.isEmpty)
        let stop = StopRequest()
        stop.raise()
        let outcome = trainer.train(config, rank: 0, host: "h", checkpointing: Checkpointing(stop: stop, save: saved.add))
        guard case .interrupted(_, let step) = outcome else { return XCTFail("the run finished") }
        XCTAssertNil(step)
        XCTAssertTrue(saved.all.isEmpty)
    }

    /// `checkpoint_every` says how a run is carried out, not what it computes: no part of its id.
    func testCheckpointEveryIsNoPartOfTheRunID() {
        var a = transformer(); a.checkpointEvery = nil
        var b = a; b.checkpointEvery = 60
        XCTAssertEqual(a.id, b.id)
        XCTAssertEqual(b.resolved().checkpointEvery, 60)
        XCTAssertEqual(a.resolved().checkpointEvery, 300)
        var invalid = a; invalid.checkpointEvery = -1
        XCTAssertEqual(invalid.validate().map(\.key), ["checkpoint_every"])
    }

    /// A checkpoint that cannot resume this run exactly is set aside, with the reason, and the
    /// run starts over: its results are the uninterrupted run's.
    func testACheckpointThatCannotResumeExactlyIsSetAsideWithTheReason() throws {
        let config = transformer()
        let reference = trainer.run(config, rank: 0, host: "h")
        let saved = Saved()
        _ = trainer.train(config, rank: 0, host: "h", checkpointing: Checkpointing(save: saved.add))
        let good = try XCTUnwrap(saved.all.dropFirst(4).first?.bytes)
        var other = try TrainingCheckpoint(decoding: good, source: "t")
        var otherNumerics = other

        var otherConfig = config; otherConfig.seed = 8
        other = TrainingCheckpoint(runID: otherConfig.id, fingerprint: other.fingerprint, progress: other.progress,
                                   flops: other.flops, sampler: other.sampler, dropout: other.dropout,
                                   optimizer: other.optimizer, parameters: other.parameters, best: other.best,
                                   validNLL: other.validNLL, validSteps: other.validSteps)
        otherNumerics = TrainingCheckpoint(runID: config.id, fingerprint: "0123456789abcdef", progress: other.progress,
                                           flops: other.flops, sampler: other.sampler, dropout: other.dropout,
                                           optimizer: other.optimizer, parameters: other.parameters, best: other.best,
                                           validNLL: other.validNLL, validSteps: other.validSteps)
        var fewer = otherNumerics
        fewer = TrainingCheckpoint(runID: config.id, fingerprint: Numerics.thisProcess.fingerprint, progress: other.progress,
                                   flops: other.flops, sampler: other.sampler, dropout: other.dropout,
                                   optimizer: other.optimizer, parameters: Array(other.parameters.dropLast()), best: nil,
                                   validNLL: other.validNLL, validSteps: other.validSteps)
        let cases: [(String, Data, String)] = [
            ("garbage", Data("not a checkpoint at all".utf8), "unreadable"),
            ("truncated", good.prefix(good.count / 2), "unreadable"),
            ("another run's", other.encoded(), "belongs to run \(otherConfig.id)"),
            ("other numerics", otherNumerics.encoded(), "computed under numerics 0123456789abcdef"),
            ("another model's", fewer.encoded(), "does not fit the model"),
        ]
        for (name, bytes, reason) in cases {
            var lines: [String] = []
            let record = try resumed(config, from: bytes) { lines.append($0) }
            assertSameResults(reference, record, "\(name) checkpoint")
            XCTAssertTrue(lines.contains { $0.contains(reason) && $0.contains("starting over") },
                          "\(name): \(lines.prefix(2))")
        }
    }
}
