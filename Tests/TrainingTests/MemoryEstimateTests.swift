import Corpus
import TestSupport
import XCTest
@testable import TensorCore
@testable import Training

/// The estimate is close to what a step really holds, and a run that cannot fit is a failed
/// record before it allocates, never an aborted rank.
final class MemoryEstimateTests: XCTestCase {
    override func setUp() { TensorCore.setBLASThreads(1) }

    /// Against the arenas of real steps: never below them, at most a third above.
    func testEstimateCoversTheArenasOfARealStep() {
        for (objective, vocabulary) in [(RunConfig.Objective.all, 65), (.last, 65), (.all, 2_000)] {
            var c = RunConfig()
            c.arch = .transformer; c.context = 64; c.dModel = 64; c.heads = 4; c.ffnWidth = 128; c.depth = 2
            c.batchSize = 16; c.objective = objective
            let run = c.resolved()
            let stepper = TrainingStep(run: run, vocabularySize: vocabulary)
            let inputs = (0..<(run.batchSize * run.context)).map { Int32($0 % vocabulary) }
            let targets = (0..<(run.batchSize * run.targetsPerWindow)).map { Int32($0 % vocabulary) }
            for _ in 0..<2 { _ = stepper.step(inputs: inputs, targets: targets, windows: run.batchSize, lr: 1e-3) }
            let parameters = Double(CostEstimate.parameters(run, vocabularySize: vocabulary).total)
            let measured = Double(stepper.arenaBytes.activations + stepper.arenaBytes.gradients) + 20 * parameters
            let estimate = MemoryEstimate.bytes(run, vocabularySize: vocabulary)
            XCTAssertGreaterThanOrEqual(estimate, measured, "\(objective) V \(vocabulary)")
            XCTAssertLessThanOrEqual(estimate, 1.34 * measured, "\(objective) V \(vocabulary)")
        }
    }

    func testARunTooLargeForTheMachineIsAFailedRecordNamingTheNeed() throws {
        var c = RunConfig()
        c.arch = .transformer; c.context = 16; c.dModel = 64; c.heads = 4; c.batchSize = 1 << 20; c.maxSteps = 1
        c.evalWindows = 10
        let refusal = try XCTUnwrap(MemoryEstimate.refusal(c.resolved(), vocabularySize: 50, available: Double(1 << 30)))
        XCTAssertTrue(refusal.hasPrefix("needs about "), refusal)
        XCTAssertTrue(refusal.contains("more than the 1.0 GiB this machine has available"), refusal)
        XCTAssertNil(MemoryEstimate.refusal(RunConfig().resolved(), vocabularySize: 65, available: Double(1 << 30)))

        let root = try TinyCorpus.make(byteCount: 6_000)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let record = Trainer(dataLocation: TinyCorpus.location(root)).run(c, rank: 0, host: "h")
        XCTAssertEqual(record.status, .failed)
        XCTAssertTrue(record.error?.hasPrefix("needs about ") ?? false, record.error ?? "")
        XCTAssertEqual(record.steps, 0, "refused before training")
    }
}
