import Foundation
import Sweep
import Training
import TestSupport
import XCTest

/// The real binary under a real `mpirun`, on sweeps/ci-tiny.yaml (twenty real training runs of
/// up to a second each): every job exactly once, and the same records as one process.
final class MultiRankSweepTests: XCTestCase {
    static let spec = TestData.spec(SweepBinary.repository + "/sweeps/ci-tiny.yaml")

    /// The single-process run every multi-rank run is compared with (run once per test process).
    nonisolated(unsafe) static var reference: [String: RunRecord]?

    private func expectedIDs() throws -> Set<String> {
        Set(try Grid.expand(SweepSpec.load(path: Self.spec), data: TestData.location).jobs.map(\.id))
    }

    private func journal(_ directory: String) throws -> [RunRecord] {
        try Journal.load(path: Journal.journalPath(in: directory)).map(\.record)
    }

    private func referenceRecords() throws -> [String: RunRecord] { try Self.referenceRecords() }

    static func referenceRecords() throws -> [String: RunRecord] {
        if let reference = Self.reference { return reference }
        let out = NSTemporaryDirectory() + "lmsweep-cluster-reference-\(UUID().uuidString.prefix(8))"
        let result = try SweepBinary.run(["run", Self.spec, "--out", out] + TestData.dataArguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        let records = try Journal.load(path: Journal.journalPath(in: out)).map(\.record)
        XCTAssertEqual(records.count, Set(try Grid.expand(SweepSpec.load(path: Self.spec), data: TestData.location).jobs.map(\.id)).count)
        XCTAssertEqual(Set(records.map(\.rank)), [0], "a world of one is rank 0 alone")
        let byID = Dictionary(uniqueKeysWithValues: records.map { ($0.id, $0) })
        Self.reference = byID
        return byID
    }

    private func scratch(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "lmsweep-cluster-\(name)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.removeItem(atPath: path)
        return path
    }

    /// Every expected job exactly once, each record with the reference's results.
    private func assertCompleteAndIdentical(_ records: [RunRecord], file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try referenceRecords()
        XCTAssertEqual(records.count, reference.count, "every job exactly once", file: file, line: line)
        XCTAssertEqual(Set(records.map(\.id)), Set(reference.keys), file: file, line: line)
        XCTAssertEqual(Set(records.map(\.id)).count, records.count, "no job twice", file: file, line: line)
        for record in records {
            XCTAssertEqual(record.status, .ok, record.error ?? "", file: file, line: line)
            XCTAssertTrue(reference[record.id].map(record.sameResult) ?? false,
                          "run \(record.id) on rank \(record.rank) differs from the single-process run", file: file, line: line)
        }
    }

    func testSingleProcessRunIsAWorldOfOneAndWritesTables() throws {
        let out = scratch("single")
        let result = try SweepBinary.run(["run", Self.spec, "--out", out] + TestData.dataArguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("results: \(out)/results.csv"), result.stdout)
        XCTAssertTrue(result.stdout.contains("results: \(out)/results.md"), result.stdout)
        let count = try expectedIDs().count
        XCTAssertTrue(result.stderr.contains("sweep: \(count)/\(count) jobs"), result.stderr)
        let csv = try String(contentsOfFile: out + "/results.csv", encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, count + 1, "a header and one row per run")
        try assertCompleteAndIdentical(try journal(out))
    }

    func testTwoRanksRunEveryJobOnceWithSingleProcessResults() throws {
        let out = scratch("np2")
        let result = try SweepBinary.run(["run", Self.spec, "--out", out] + TestData.dataArguments, ranks: 2)
        XCTAssertEqual(result.status, 0, result.stderr)
        let records = try journal(out)
        try assertCompleteAndIdentical(records)
        XCTAssertEqual(Set(records.map(\.rank)), [0, 1], "rank 0 coordinates and trains too")
        XCTAssertEqual(try String(contentsOfFile: out + "/results.csv", encoding: .utf8), ResultsTable(records).csv())
        // The single-process run's table but for provenance (how fast each rank ran).
        XCTAssertEqual(ResultsTable(records.map(\.resultOnly)).csv(),
                       ResultsTable(Array(try referenceRecords().values).map(\.resultOnly)).csv())
    }

    func testThreeOversubscribedRanksRunEveryJobOnceWithSingleProcessResults() throws {
        let out = scratch("np3")
        let result = try SweepBinary.run(["run", Self.spec, "--out", out] + TestData.dataArguments,
                                         ranks: 3, mpiOptions: ["--oversubscribe"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let records = try journal(out)
        try assertCompleteAndIdentical(records)
        XCTAssertTrue(Set(records.map(\.rank)).isSubset(of: [0, 1, 2]))
        XCTAssertGreaterThan(Set(records.map(\.rank)).count, 1)
    }

    func testKilledSweepResumesWithEveryJobOnceAndNoFinishedRecordChanged() throws {
        let out = scratch("killed")
        let arguments = ["run", Self.spec, "--out", out] + TestData.dataArguments
        let process = try SweepBinary.start(arguments, ranks: 2).process
        let journalPath = Journal.journalPath(in: out)
        // Wait for a few finished records, then kill mpirun and every rank at once.
        var lines = 0
        while process.isRunning && lines < 4 {
            Thread.sleep(forTimeInterval: 0.005)
            lines = ((try? String(contentsOfFile: journalPath, encoding: .utf8)) ?? "").filter { $0 == "\n" }.count
        }
        SweepBinary.killTree(process.processIdentifier)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, "the sweep was killed, not finished")

        var warnings: [String] = []
        let partial = try Journal.load(path: journalPath) { warnings.append($0) }.map(\.record)
        let total = try expectedIDs().count
        XCTAssertGreaterThanOrEqual(partial.count, 4)
        XCTAssertLessThan(partial.count, total, "killed mid-sweep")
        let partialText = try String(contentsOfFile: journalPath, encoding: .utf8)
        let finishedLines = partialText.split(separator: "\n", omittingEmptySubsequences: false)
            .prefix(partial.count).map(String.init)

        let resumed = try SweepBinary.run(arguments, ranks: 2)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("\(partial.count) already in"), resumed.stderr)
        let records = try journal(out)
        try assertCompleteAndIdentical(records)
        let finalLines = try String(contentsOfFile: journalPath, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(Array(finalLines.prefix(partial.count)), finishedLines, "finished records are kept byte for byte")

        // A third run finds nothing to do.
        let again = try SweepBinary.run(arguments)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("\(total) already in"), again.stderr)
        XCTAssertEqual(try journal(out).count, total)
    }

    func testInvalidSpecStopsEveryRankWithFileLineAndNonZeroExit() throws {
        let dir = scratch("bad")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let spec = dir + "/bad.yaml"
        try "name: bad\nbase:\n  arch: transformer\n  d_model: 30\n  heads: 4\n".write(toFile: spec, atomically: true, encoding: .utf8)
        let result = try SweepBinary.run(["run", spec, "--out", dir + "/out"], ranks: 2)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("\(spec):5: heads = 4: must divide d_model (30)"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out/journal.jsonl"), "nothing ran")
    }
}
