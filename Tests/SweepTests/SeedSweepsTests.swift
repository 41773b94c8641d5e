import Sweep
import Training
import XCTest

/// The three-seed versions of the study's sweeps add seeds 1 and 2 and leave every existing
/// single-seed run's id alone (so the committed journals' runs are not trained again).
final class SeedSweepsTests: XCTestCase {
    static let sweeps = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("sweeps")

    func testSeedSweepsKeepTheSingleSeedRunsIds() throws {
        for name in ["study-tiny", "study-ablations"] {
            let single = try Grid.expand(SweepSpec.load(path: Self.sweeps.appendingPathComponent("\(name).yaml").path)).jobs
            let seeded = try Grid.expand(SweepSpec.load(path: Self.sweeps.appendingPathComponent("\(name)-seeds.yaml").path)).jobs
            XCTAssertEqual(seeded.count, 3 * single.count, name)
            XCTAssertEqual(Set(seeded.filter { $0.config.seed == 0 }.map(\.id)), Set(single.map(\.id)), name)
            XCTAssertEqual(Set(seeded.map(\.config.seed)), [0, 1, 2], name)
        }
    }
}
