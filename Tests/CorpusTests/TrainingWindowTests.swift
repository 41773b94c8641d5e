import XCTest
@testable import Corpus
import struct TensorCore.RNG

final class TrainingWindowTests: XCTestCase {
    /// Token i has id i, so a window's start is its first input and contiguity is visible.
    private let tokens = (0..<1_000).map { Int32($0) }

    private func draw(seed: UInt64, batches: Int, targets: WindowTargets = .last,
                      maxTrainTokens: Int? = nil) throws -> [[Int32]] {
        var sampler = try TrainingWindowSampler(tokens: tokens, contextLength: 8,
                                                maxTrainTokens: maxTrainTokens, seed: seed)
        var batch = TrainingBatch(batchSize: 16, contextLength: 8, targets: targets)
        return (0..<batches).map { _ in sampler.fill(&batch); return batch.inputs + batch.targets }
    }

    func testSameSeedSameWindowsDifferentSeedDifferentWindows() throws {
        XCTAssertEqual(try draw(seed: 7, batches: 5), try draw(seed: 7, batches: 5))
        XCTAssertNotEqual(try draw(seed: 7, batches: 5), try draw(seed: 8, batches: 5))
        // Successive batches differ.
        let batches = try draw(seed: 7, batches: 2)
        XCTAssertNotEqual(batches[0], batches[1])
    }

    /// Pins the sampler's draw: starts are `RNG(seed:stream: rngStream).nextInt(below: N − T)`.
    func testWindowStartsFollowTheSamplerStream() throws {
        var sampler = try TrainingWindowSampler(tokens: tokens, contextLength: 8, seed: 42)
        var batch = TrainingBatch(batchSize: 4, contextLength: 8, targets: .last)
        sampler.fill(&batch)
        var rng = RNG(seed: 42, stream: TrainingWindowSampler.rngStream)
        let starts = (0..<4).map { _ in Int32(rng.nextInt(below: 1_000 - 8)) }
        XCTAssertEqual((0..<4).map { batch.inputs[$0 * 8] }, starts)
    }

    func testLastTargetsAreTheTokenAfterEachWindow() throws {
        var sampler = try TrainingWindowSampler(tokens: tokens, contextLength: 8, seed: 3)
        var batch = TrainingBatch(batchSize: 32, contextLength: 8, targets: .last)
        sampler.fill(&batch)
        XCTAssertEqual(batch.inputs.count, 32 * 8)
        XCTAssertEqual(batch.targets.count, 32)
        XCTAssertEqual(batch.windowCount, 32)
        for window in 0..<32 {
            let start = batch.inputs[window * 8]
            XCTAssertEqual(Array(batch.inputs[(window * 8)..<(window * 8 + 8)]), Array(start..<(start + 8)))
            XCTAssertEqual(batch.targets[window], start + 8)
        }
    }

    func testAllTargetsAreEveryPositionsNextToken() throws {
        var sampler = try TrainingWindowSampler(tokens: tokens, contextLength: 8, seed: 3)
        var batch = TrainingBatch(batchSize: 32, contextLength: 8, targets: .all)
        sampler.fill(&batch)
        XCTAssertEqual(batch.targets.count, 32 * 8)
        for index in 0..<(32 * 8) { XCTAssertEqual(batch.targets[index], batch.inputs[index] + 1) }
        // The same seed draws the same windows whatever the targets mode.
        var lastSampler = try TrainingWindowSampler(tokens: tokens, contextLength: 8, seed: 3)
        var lastBatch = TrainingBatch(batchSize: 32, contextLength: 8, targets: .last)
        lastSampler.fill(&lastBatch)
        XCTAssertEqual(lastBatch.inputs, batch.inputs)
    }

    /// With `maxTrainTokens`, windows and their targets stay inside the prefix; and every start
    /// of a small range is reachable (uniform with replacement, no start left out).
    func testWindowsStayInsideTrainPrefixAndCoverIt() throws {
        var sampler = try TrainingWindowSampler(tokens: tokens, contextLength: 8, maxTrainTokens: 20, seed: 11)
        XCTAssertEqual(sampler.trainTokenCount, 20)
        XCTAssertEqual(sampler.windowStartCount, 12)
        var batch = TrainingBatch(batchSize: 64, contextLength: 8, targets: .all)
        var seenStarts = Set<Int32>()
        for _ in 0..<20 {
            sampler.fill(&batch)
            XCTAssertLessThanOrEqual(batch.targets.max()!, 19)
            for window in 0..<64 { seenStarts.insert(batch.inputs[window * 8]) }
        }
        XCTAssertEqual(seenStarts, Set(0..<12))
    }

    func testPartialFillLeavesLaterRowsAndCountsWindows() throws {
        var sampler = try TrainingWindowSampler(tokens: tokens, contextLength: 8, seed: 5)
        var batch = TrainingBatch(batchSize: 8, contextLength: 8, targets: .last)
        sampler.fill(&batch, windows: 3)
        XCTAssertEqual(batch.windowCount, 3)
        XCTAssertEqual(Array(batch.inputs[24...]), [Int32](repeating: 0, count: 40))
        XCTAssertEqual(Array(batch.targets[3...]), [Int32](repeating: 0, count: 5))
    }

    func testTrainSplitShorterThanOneWindowIsAnError() {
        XCTAssertThrowsError(try TrainingWindowSampler(tokens: tokens, contextLength: 8, maxTrainTokens: 8, seed: 0)) {
            XCTAssertEqual($0 as? CorpusError, .splitTooShort(split: .train, tokens: 8, needed: 9, contextLength: 8))
        }
    }
}
