import TestSupport
import XCTest
import Foundation
import Corpus
@testable import Training

/// The Trainer on a tiny made-up corpus: budgets, evaluation protocol, divergence, the record.
final class TrainerTests: XCTestCase {
    private var root: String!
    private var trainer: Trainer!

    override func setUpWithError() throws {
        root = try TinyCorpus.make()
        trainer = Trainer(dataLocation: TinyCorpus.location(root), corpora: CorpusCache())
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    /// A small transformer on the tiny corpus: T = 16, d = 16, two blocks, batch 8.
    private func tiny(_ edit: (inout RunConfig) -> Void = { _ in }) -> RunConfig {
        var c = RunConfig()
        c.arch = .transformer
        c.context = 16; c.dModel = 16; c.heads = 2; c.depth = 2; c.ffnWidth = 32
        c.batchSize = 8; c.epochs = 2; c.windowsPerEpoch = 64
        c.evalWindows = 40; c.lr = 3e-3; c.seed = 42
        edit(&c)
        return c
    }

    func testEpochBudgetTrainsEpochsTimesWindowsAndEvaluatesAfterEachEpoch() {
        let record = trainer.run(tiny { $0.windowsPerEpoch = 60 }, rank: 3, host: "node7")
        XCTAssertEqual(record.status, .ok, record.error ?? "")
        XCTAssertEqual(record.windowsTrained, 120)
        XCTAssertEqual(record.tokensTrained, 120)          // `last`: one target per window
        XCTAssertEqual(record.steps, 16)                   // 8 steps per epoch, the last of 4 windows
        XCTAssertEqual(record.validSteps, [8, 16])
        XCTAssertEqual(record.validNLL.count, 2)
        XCTAssertEqual(record.bestEval, record.validNLL.indices.min { record.validNLL[$0] < record.validNLL[$1] })
        XCTAssertEqual(record.rank, 3)
        XCTAssertEqual(record.host, "node7")
    }

    func testRecordFillsEveryFieldByItsConvention() throws {
        let config = tiny()
        let record = trainer.run(config, rank: 0, host: "h")
        XCTAssertEqual(record.status, .ok, record.error ?? "")
        XCTAssertEqual(record.id, config.id)
        XCTAssertEqual(record.config, config.canonicalized())
        let vocabulary = try CorpusCache().corpus(.tinyshakespeare, .study, at: TinyCorpus.location(root)).vocabulary.count
        let counts = CostEstimate.parameters(config.resolved(), vocabularySize: vocabulary)
        XCTAssertEqual(record.paramsTotal, counts.total)
        XCTAssertEqual(record.paramsNonEmbedding, counts.nonEmbedding)
        XCTAssertEqual(record.flopsStudy, 2 * Double(record.paramsTotal) * 128 * 16)
        XCTAssertEqual(record.flops6N, CostEstimate.flops6N(config.resolved(), parametersNonEmbedding: counts.nonEmbedding, windowsTrained: 128))
        XCTAssertEqual(record.flopsExact, record.flopsForward + record.flopsBackward + record.flopsOptimizer)
        XCTAssertGreaterThan(record.flopsBackward, record.flopsForward)
        XCTAssertGreaterThan(record.flopsOptimizer, 0)
        let test = try XCTUnwrap(record.testNLL)
        XCTAssertEqual(try XCTUnwrap(record.bitsPerChar), test / log(2), accuracy: 1e-12)
        XCTAssertNil(record.perplexity)
        XCTAssertLessThan(test, log(Double(vocabulary)))    // learned something beyond uniform
        XCTAssertGreaterThan(record.tokensPerSecond, 0)
        XCTAssertGreaterThan(record.gflopsPerSecond, 0)
        XCTAssertGreaterThan(record.wallSeconds, 0)
        XCTAssertNotNil(ISO8601DateFormatter().date(from: record.finishedAt))
        XCTAssertEqual(record.version, LMSweepVersion.current)
        XCTAssertEqual(record.seed, 42)
    }

    /// Iso-FLOP comparisons: training stops at the first step whose exact count reaches the budget.
    func testFlopBudgetStopsAtTheFirstStepThatReachesIt() {
        let oneStep = trainer.run(tiny { $0.maxSteps = 1 }, rank: 0, host: "h").flopsExact
        XCTAssertGreaterThan(oneStep, 0)
        for (budget, steps) in [(2.5 * oneStep, 3), (3 * oneStep, 3), (3 * oneStep + 1, 4), (0.5 * oneStep, 1)] {
            let record = trainer.run(tiny { $0.flopBudget = budget; $0.epochs = 10 }, rank: 0, host: "h")
            XCTAssertEqual(record.status, .ok, record.error ?? "")
            XCTAssertEqual(record.steps, steps, "budget \(budget / oneStep) steps' FLOPs")
            XCTAssertEqual(record.flopsExact, Double(steps) * oneStep)
            XCTAssertEqual(record.validSteps.last, steps, "the stopped weights are evaluated")
        }
    }

    func testTokenBudgetCountsPredictedTargets() {
        let record = trainer.run(tiny { $0.objective = .all; $0.tokenBudget = 300; $0.epochs = 10 }, rank: 0, host: "h")
        XCTAssertEqual(record.status, .ok, record.error ?? "")
        XCTAssertEqual(record.steps, 3)                    // 8 windows × 16 targets = 128 per step
        XCTAssertEqual(record.tokensTrained, 384)
        XCTAssertEqual(record.windowsTrained, 24)
    }

    func testEvalEveryEvaluatesOnStepsAndAtTheEnd() {
        let record = trainer.run(tiny { $0.evalEvery = 5 }, rank: 0, host: "h")
        XCTAssertEqual(record.validSteps, [5, 10, 15, 16])
    }

    func testForcedNaNEndsTheRunAsDivergedWithARecord() {
        let record = trainer.run(tiny { $0.lr = 1e30 }, rank: 0, host: "h")
        XCTAssertEqual(record.status, .diverged)
        XCTAssertTrue(record.error?.contains("loss is") ?? false, record.error ?? "")
        XCTAssertNil(record.testNLL)
        XCTAssertGreaterThan(record.steps, 0)
        XCTAssertLessThan(record.steps, 16)
        XCTAssertFalse(record.jsonLine().isEmpty)
    }

    func testMissingDataIsAFailedRecordNamingThePath() {
        let elsewhere = Trainer(dataLocation: DataLocation(root: root + "/nowhere"), corpora: CorpusCache())
        let record = elsewhere.run(tiny(), rank: 0, host: "h")
        XCTAssertEqual(record.status, .failed)
        XCTAssertTrue(record.error?.contains("nowhere/tinyshakespeare/input.txt") ?? false, record.error ?? "")
        XCTAssertThrowsError(try elsewhere.preflight(tiny()))
    }

    func testInvalidConfigFailsPreflightListingEveryIssue() {
        XCTAssertThrowsError(try trainer.preflight(tiny { $0.heads = 3; $0.batchSize = 0 })) { error in
            XCTAssertTrue("\(error)".contains("heads = 3"), "\(error)")
            XCTAssertTrue("\(error)".contains("batch_size = 0"), "\(error)")
        }
        XCTAssertThrowsError(try trainer.preflight(tiny { $0.context = 5_000 })) { error in
            XCTAssertTrue("\(error)".contains("context length 5000"), "\(error)")
        }
    }

    /// The study's protocol: the test uses the best-valid weights; without restore, the last ones.
    func testRestoreBestTestsTheBestValidWeights() throws {
        let weights = FileManager.default.temporaryDirectory.appendingPathComponent("best-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: weights) }
        let config = tiny { $0.epochs = 3; $0.lr = 3e-2 }
        let record = trainer.run(config, rank: 0, host: "h", saveWeightsTo: weights)
        XCTAssertEqual(record.status, .ok, record.error ?? "")
        let best = try XCTUnwrap(record.bestEval)
        let evaluation = try trainer.evaluate(weightsPath: weights)
        XCTAssertEqual(evaluation.validNLL, record.validNLL[best])
        XCTAssertEqual(evaluation.testNLL, record.testNLL)
        XCTAssertEqual(evaluation.id, record.id)
    }

    func testAllObjectiveFullEvaluationScoresEveryToken() throws {
        let config = tiny { $0.objective = .all; $0.evalMode = .full; $0.evalStride = 8; $0.maxSteps = 4 }
        let record = trainer.run(config, rank: 0, host: "h")
        XCTAssertEqual(record.status, .ok, record.error ?? "")
        let corpus = try CorpusCache().corpus(.tinyshakespeare, .study, at: TinyCorpus.location(root))
        let windows = try corpus.evaluationWindows(.test, contextLength: 16, mode: .full(stride: 8))
        XCTAssertEqual(windows.scoredTargetCount, corpus.test.count - 1)
        XCTAssertTrue(record.testNLL.map { $0.isFinite && $0 > 0 } ?? false)
    }

    func testSameSeedSameRecordInOneProcessDifferentSeedDifferentResult() {
        let a = trainer.run(tiny(), rank: 0, host: "a")
        let b = trainer.run(tiny(), rank: 1, host: "b")
        XCTAssertTrue(a.sameResult(as: b))
        let c = trainer.run(tiny { $0.seed = 43 }, rank: 0, host: "a")
        XCTAssertNotEqual(a.testNLL, c.testNLL)
    }

    /// Every optimizer, schedule and clipping option trains to a finite result and changes the
    /// result: none of them is silently ignored.
    func testOptimizerScheduleAndClippingOptionsEachTakeEffect() throws {
        let base = trainer.run(tiny(), rank: 0, host: "h")
        let variants: [(String, (inout RunConfig) -> Void)] = [
            ("adamw", { $0.optimizer = .adamw; $0.weightDecay = 0.5 }),
            ("adam+l2", { $0.weightDecay = 0.5 }),
            ("sgd", { $0.optimizer = .sgd; $0.lr = 0.1; $0.momentum = 0.9 }),
            ("cosine", { $0.schedule = .cosine; $0.warmupSteps = 4 }),
            ("clip", { $0.gradClip = 0.05 }),
        ]
        var results: Set<Double> = [try XCTUnwrap(base.testNLL)]
        for (name, edit) in variants {
            let record = trainer.run(tiny(edit), rank: 0, host: "h")
            XCTAssertEqual(record.status, .ok, "\(name): \(record.error ?? "")")
            let nll = try XCTUnwrap(record.testNLL, name)
            XCTAssertTrue(nll.isFinite && nll > 0, "\(name): \(nll)")
            XCTAssertTrue(results.insert(nll).inserted, "\(name) gave the same test NLL as another variant")
        }
    }
}
