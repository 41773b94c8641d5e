import XCTest
@testable import Sweep
import Training

/// `--shard K/N`: disjoint pieces covering every job, the same split every time, balanced by
/// predicted cost, and clear errors for malformed values.
final class ShardTests: XCTestCase {
    private let gridSpec = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("sweeps/grid.yaml").path

    func testPiecesAreDisjointCoverEveryJobAndBalancePredictedCost() throws {
        let jobs = try Grid.expand(SweepSpec.load(path: gridSpec)).jobs
        for count in [1, 2, 3, 7] {
            let pieces = try (1...count).map { try Shard(index: $0, count: count).select(jobs) }
            let ids = pieces.flatMap { $0.map(\.id) }
            XCTAssertEqual(ids.count, jobs.count, "\(count) pieces: every job once")
            XCTAssertEqual(Set(ids), Set(jobs.map(\.id)))
            let costs = pieces.map { $0.reduce(0) { $0 + $1.predictedFLOPs } }
            let largest = jobs.map(\.predictedFLOPs).max()!
            XCTAssertLessThanOrEqual(costs.max()! - costs.min()!, largest * (1 + 1e-12), "\(count) pieces: \(costs)")
            // The same split from a fresh expansion, in the spec's order within each piece.
            let again = try Shard(index: 1, count: count).select(jobs.reversed())
            XCTAssertEqual(Set(again.map(\.id)), Set(pieces[0].map(\.id)))
            XCTAssertEqual(pieces[0].map(\.id), jobs.map(\.id).filter { Set(pieces[0].map(\.id)).contains($0) })
        }
    }

    func testMalformedShardsNameTheValueAndTheRule() {
        for (text, reason) in [("0/2", "need 1 ≤ K ≤ N"), ("3/2", "need 1 ≤ K ≤ N"), ("1/0", "need 1 ≤ K ≤ N"),
                               ("a/b", "expected K/N"), ("2", "expected K/N"), ("1/2/3", "expected K/N")] {
            XCTAssertThrowsError(try Shard(parsing: text), text) { error in
                XCTAssertTrue("\(error)".hasPrefix("--shard: '\(text)': \(reason)"), "\(error)")
            }
        }
        XCTAssertEqual(try Shard(parsing: "2/8"), try Shard(index: 2, count: 8))
    }
}
