import Foundation
import Sweep
import Training
import XCTest

/// A rank that cannot see the data fails the sweep at start-up, naming its host and the path,
/// before any rank trains — never job by job in the middle of a sweep.
final class StartupCheckTests: XCTestCase {
    func testRankWithoutDataStopsTheSweepBeforeTrainingNamingHostAndPath() throws {
        let data = try MultiRankSweepTests.dataArguments()
        let spec = SweepBinary.repository + "/sweeps/smoke.yaml"
        let root = NSTemporaryDirectory() + "lmsweep-startup-\(UUID().uuidString.prefix(8))"
        let empty = root + "/no-data"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: root) }
        // Open MPI's MPMD form: rank 0 sees the data, rank 1 looks in an empty folder.
        let rank0 = ["run", spec, "--out", root + "/out"] + data
        let rank1 = ["run", spec, "--out", root + "/out", "--data-dir", empty]
        let result = try SweepBinary.run(rank0 + [":", "-np", "1", SweepBinary.executable] + rank1, ranks: 1)
        XCTAssertNotEqual(result.status, 0)
        let host = ProcessInfo.processInfo.hostName
        XCTAssertTrue(result.stderr.contains("rank 1 on \(host): \(empty)/tinyshakespeare/input.txt: no such file"), result.stderr)
        XCTAssertTrue(result.stderr.contains("scripts/fetch-data.sh \(empty)"), result.stderr)
        let journal = Journal.journalPath(in: root + "/out")
        let records = FileManager.default.fileExists(atPath: journal) ? try Journal.load(path: journal) : []
        XCTAssertEqual(records.count, 0, "nothing trained")
    }
}
