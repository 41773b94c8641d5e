import XCTest
@testable import Corpus

final class EvaluationWindowTests: XCTestCase {
    private func identity(_ count: Int) -> [Int32] { (0..<count).map { Int32($0) } }

    func testStudyModeIsFirstKWindowsAtStrideOneLastPositionOnly() throws {
        let windows = try EvaluationWindows(tokens: identity(100), split: .valid, contextLength: 8, mode: .study(windows: 10))
        XCTAssertEqual(windows.windowStarts, Array(0..<10))
        XCTAssertEqual(windows.scoredTargetCount, 10)
        XCTAssertTrue(windows.scoresLastPositionOnly)
        let batches = Array(windows.batches(size: 4))
        XCTAssertEqual(batches.map(\.windowCount), [4, 4, 2])
        XCTAssertEqual(batches.flatMap(\.lastPositionTargets), (8..<18).map { Int32($0) })
        XCTAssertEqual(Array(batches[1].inputs[0..<8]), identity(12).suffix(8))
        XCTAssertEqual(batches[0].isScored(window: 0, position: 7), true)
        XCTAssertEqual(batches[0].isScored(window: 0, position: 6), false)
    }

    /// K larger than the split: every window there is (N − T of them), no more.
    func testStudyModeStopsAtTheEndOfTheSplit() throws {
        let windows = try EvaluationWindows(tokens: identity(20), split: .test, contextLength: 8, mode: .study(windows: 10_000))
        XCTAssertEqual(windows.windowCount, 12)
        XCTAssertEqual(windows.batches(size: 64).flatMap(\.lastPositionTargets), (8..<20).map { Int32($0) })
    }

    /// `full`: every token but the first predicted exactly once, each prediction with at least
    /// T − S tokens of context (the first window's positions excepted), over many N, T, S.
    func testFullModePredictsEveryTokenExactlyOnceWithEnoughContext() throws {
        for count in [9, 10, 17, 33, 100, 257] {
            for contextLength in [1, 2, 3, 8] where contextLength < count {
                for stride in 1...contextLength {
                    let windows = try EvaluationWindows(tokens: identity(count), split: .valid,
                                                        contextLength: contextLength, mode: .full(stride: stride))
                    var predictions = [Int](repeating: 0, count: count)
                    for (index, batch) in windows.batches(size: 5).enumerated() {
                        for window in 0..<batch.windowCount {
                            for position in 0..<contextLength where batch.isScored(window: window, position: position) {
                                let target = Int(batch.targets[window * contextLength + position])
                                predictions[target] += 1
                                XCTAssertEqual(Int(batch.inputs[window * contextLength + position]), target - 1)
                                let isFirstWindow = index == 0 && window == 0
                                if !isFirstWindow {
                                    XCTAssertGreaterThanOrEqual(position, contextLength - stride,
                                                                "N \(count) T \(contextLength) S \(stride)")
                                }
                            }
                        }
                    }
                    XCTAssertEqual(predictions, [0] + [Int](repeating: 1, count: count - 1),
                                   "N \(count) T \(contextLength) S \(stride)")
                    XCTAssertEqual(windows.scoredTargetCount, count - 1)
                }
            }
        }
    }

    func testFullModeWindowLayout() throws {
        // N = 20, T = 8, S = 4: starts 0, 4, 8, then a tail window at 11 scoring its last 3 positions.
        let windows = try EvaluationWindows(tokens: identity(20), split: .valid, contextLength: 8, mode: .full(stride: 4))
        XCTAssertEqual(windows.windowStarts, [0, 4, 8, 11])
        XCTAssertEqual(windows.firstScoredPositions, [0, 4, 4, 5])
        XCTAssertFalse(windows.scoresLastPositionOnly)
        // Stride T: non-overlapping windows, every position scored.
        let disjoint = try EvaluationWindows(tokens: identity(17), split: .valid, contextLength: 8, mode: .full(stride: 8))
        XCTAssertEqual(disjoint.windowStarts, [0, 8])
        XCTAssertEqual(disjoint.firstScoredPositions, [0, 0])
    }

    func testSplitShorterThanOneWindowIsAnError() {
        XCTAssertThrowsError(try EvaluationWindows(tokens: identity(8), split: .test, contextLength: 8, mode: .full(stride: 8))) {
            XCTAssertEqual($0 as? CorpusError, .splitTooShort(split: .test, tokens: 8, needed: 9, contextLength: 8))
            XCTAssertEqual("\($0)", "test split has 8 tokens; context length 8 needs at least 9")
        }
    }
}
