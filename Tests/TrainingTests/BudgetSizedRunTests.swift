import TestSupport
import XCTest
import Foundation
import Corpus
import TensorCore
@testable import Training

/// Runs sized to a FLOP budget (`size_to_budget`): length from the first step's exact FLOPs,
/// the schedule ending at the last step, the realized count within 1% of the budget, and no
/// existing run id changed by the new key.
final class BudgetSizedRunTests: XCTestCase {
    private var root: String!
    private var trainer: Trainer!

    override func setUpWithError() throws {
        root = try TinyCorpus.make()
        trainer = Trainer(dataLocation: TinyCorpus.location(root), corpora: CorpusCache())
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    /// A small pre-LN transformer predicting every position, at a budget of about 150 steps.
    private func sized(_ schedule: RunConfig.Schedule) -> RunConfig {
        var c = RunConfig()
        c.arch = .transformer; c.objective = .all; c.norm = .pre
        c.context = 16; c.dModel = 16; c.heads = 2; c.depth = 1; c.ffnWidth = 32
        c.batchSize = 8; c.epochs = 100; c.windowsPerEpoch = 10_000
        c.evalMode = .full; c.evalEvery = 1_000_000; c.restoreBest = false
        c.schedule = schedule; c.warmupSteps = 10; c.lr = 3e-3
        c.flopBudget = 3.1e8; c.sizeToBudget = true
        return c
    }

    /// Trains `config` in a session of its own, so the test can read the schedule it ended with.
    private func train(_ config: RunConfig) throws -> (RunRecord, TrainingSession) {
        let run = config.resolved()
        let prepared = try trainer.prepare(config, as: run)
        let session = TrainingSession(run: run, corpus: prepared.corpus, sampler: prepared.sampler,
                                      valid: prepared.valid, test: prepared.test, progress: nil)
        var record = RunRecord(id: run.id, config: run.config, status: .ok, seed: run.seed)
        _ = try session.train(into: &record)
        return (record, session)
    }

    func testSizedRunRealizesItsBudgetWithinOnePercentAndEndsItsCosine() throws {
        let config = sized(.cosine)
        let (record, session) = try train(config)
        XCTAssertEqual(record.status, .ok, record.error ?? "")
        let budget = try XCTUnwrap(config.flopBudget)
        XCTAssertGreaterThan(record.steps, 100)
        XCTAssertEqual(record.flopsExact / budget, 1, accuracy: 0.01, "realized \(record.flopsExact) for \(budget)")
        // Every step costs the same: the length is the budget over one step, to the nearest step.
        let perStep = record.flopsExact / Double(record.steps)
        XCTAssertEqual(record.steps, Int((budget / perStep).rounded()))
        XCTAssertEqual(session.budgetSteps, record.steps)
        guard case .warmupCosine(_, let warmup, let total, _) = session.schedule else {
            return XCTFail("expected a cosine schedule, got \(session.schedule)")
        }
        XCTAssertEqual(warmup, 10)
        XCTAssertEqual(total, record.steps)
        XCTAssertLessThan(session.schedule.lr(at: record.steps - 1), 1e-3 * 3e-3)
        // The record keeps the budget (its config) beside the realized count.
        XCTAssertEqual(record.config.flopBudget, budget)
        XCTAssertEqual(record.config.sizeToBudget, true)
    }

    func testUnsizedRunStopsAtTheFirstStepPastTheBudgetOnItsEpochSchedule() throws {
        var config = sized(.cosine)
        config.sizeToBudget = nil
        let (record, session) = try train(config)
        XCTAssertEqual(record.status, .ok, record.error ?? "")
        XCTAssertGreaterThanOrEqual(record.flopsExact, config.flopBudget!)
        XCTAssertNil(session.budgetSteps)
        // The old rule: the cosine spans every epoch, far past the step the budget stops at.
        guard case .warmupCosine(_, _, let total, _) = session.schedule else { return XCTFail("\(session.schedule)") }
        XCTAssertEqual(total, 100 * 10_000 / 8)
    }

    func testWSDRunDecaysOverItsLastFifthToZero() throws {
        let (record, session) = try train(sized(.wsd))
        XCTAssertEqual(record.status, .ok, record.error ?? "")
        guard case .warmupStableDecay(let peak, _, let total, let decay) = session.schedule else {
            return XCTFail("expected WSD, got \(session.schedule)")
        }
        XCTAssertEqual(total, record.steps)
        XCTAssertEqual(decay, record.steps / 5)
        XCTAssertEqual(session.schedule.lr(at: 5), peak * 6 / 10)                     // warmup
        XCTAssertEqual(session.schedule.lr(at: total - decay - 1), peak)               // stable
        XCTAssertEqual(session.schedule.lr(at: total - decay / 2), peak * Float(decay / 2) / Float(decay), accuracy: 1e-9)
        XCTAssertEqual(session.schedule.lr(at: total - 1), peak / Float(decay), accuracy: 1e-9)
        XCTAssertEqual(session.schedule.lr(at: total), 0)
    }

    func testSizeToBudgetChangesNoExistingIdAndNeedsABudget() {
        var plain = sized(.cosine)
        plain.sizeToBudget = nil
        var explicitFalse = plain
        explicitFalse.sizeToBudget = false
        XCTAssertEqual(plain.id, explicitFalse.id)
        XCTAssertNil(explicitFalse.canonicalized().sizeToBudget)
        XCTAssertFalse(String(decoding: RunIdentity.canonicalJSON(of: plain.canonicalized()), as: UTF8.self).contains("size_to_budget"))
        XCTAssertNotEqual(sized(.cosine).id, plain.id)
        var noBudget = sized(.cosine)
        noBudget.flopBudget = nil
        XCTAssertEqual(noBudget.validate().map(\.key), ["size_to_budget"])
        XCTAssertNil(noBudget.canonicalized().sizeToBudget)
    }
}
