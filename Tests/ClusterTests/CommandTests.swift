import Foundation
import Sweep
import Training
import TestSupport
import XCTest

/// `lmsweep merge` and `lmsweep plan` as a user runs them.
final class CommandTests: XCTestCase {
    private func folder(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "lmsweep-command-\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func writeJournal(_ records: [RunRecord], in directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try records.map { $0.jsonLine() + "\n" }.joined()
            .write(toFile: Journal.journalPath(in: directory), atomically: true, encoding: .utf8)
    }

    func testMergeOfTwoPartialJournalsEqualsTheFullRunsTable() throws {
        let reference = try MultiRankSweepTests.referenceRecords().values.sorted { $0.id < $1.id }
        let root = try folder("merge")
        // Two partial sweeps on different hosts, overlapping in three runs.
        try writeJournal(reference.prefix(12).map { var r = $0; r.host = "node01"; return r }, in: root + "/a")
        try writeJournal(reference.dropFirst(9).map { var r = $0; r.host = "node02"; r.rank = 5; return r }, in: root + "/b")
        let result = try SweepBinary.run(["merge", root + "/a", root + "/b", "-o", root + "/merged"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("into \(reference.count) runs"), result.stdout)
        XCTAssertEqual(try String(contentsOfFile: root + "/merged/results.csv", encoding: .utf8),
                       ResultsTable(reference).csv())
        XCTAssertEqual(try String(contentsOfFile: root + "/merged/results.md", encoding: .utf8),
                       ResultsTable(reference).markdown())
        XCTAssertEqual(try Journal.load(path: Journal.journalPath(in: root + "/merged")).count, reference.count)

        // The report of the partial journals equals the report of one complete journal, file for file.
        try writeJournal(reference, in: root + "/full")
        let full = try SweepBinary.run(["report", root + "/full", "-o", root + "/full-report", "--title", "ci-tiny"])
        XCTAssertEqual(full.status, 0, full.stderr)
        let partial = try SweepBinary.run(["report", root + "/a", root + "/b", "-o", root + "/partial-report", "--title", "ci-tiny"])
        XCTAssertEqual(partial.status, 0, partial.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: root + "/full-report").sorted()
        XCTAssertTrue(files.contains("report.md") && files.contains("\(TestData.tinyShakespeareReportName)-nll-vs-flops-exact.svg"), "\(files)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/partial-report").sorted(), files)
        for file in files {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: root + "/full-report/" + file)),
                           try Data(contentsOf: URL(fileURLWithPath: root + "/partial-report/" + file)), file)
        }
    }

    /// A sweep run as three independent pieces (`--shard K/3`, as SLURM array tasks would),
    /// each a world of one in its own folder, then merged: every job once, each record equal to
    /// the single-process run's, and the merged table equal to the full run's.
    func testShardsRunSeparatelyAndMergedEqualTheFullRun() throws {
        let reference = try MultiRankSweepTests.referenceRecords()
        let root = try folder("shards")
        var pieces: [Set<String>] = []
        for k in 1...3 {
            let out = root + "/piece-\(k)"
            let result = try SweepBinary.run(["run", MultiRankSweepTests.spec, "--shard", "\(k)/3", "--out", out]
                                             + TestData.dataArguments)
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stderr.contains("(shard \(k)/3 of \(reference.count))"), result.stderr)
            let records = try Journal.load(path: Journal.journalPath(in: out)).map(\.record)
            XCTAssertFalse(records.isEmpty)
            for record in records {
                XCTAssertTrue(reference[record.id].map(record.sameResult) ?? false, "run \(record.id) differs from the full run")
            }
            pieces.append(Set(records.map(\.id)))
        }
        XCTAssertEqual(pieces.reduce(0) { $0 + $1.count }, reference.count, "disjoint")
        XCTAssertEqual(pieces.reduce(Set()) { $0.union($1) }, Set(reference.keys), "every job")
        let merged = try SweepBinary.run(["merge"] + (1...3).map { root + "/piece-\($0)" } + ["-o", root + "/merged"])
        XCTAssertEqual(merged.status, 0, merged.stderr)
        let full = reference.values.sorted { $0.id < $1.id }
        let mergedRecords = try Journal.load(path: Journal.journalPath(in: root + "/merged")).map(\.record)
        XCTAssertEqual(Set(mergedRecords.map(\.id)), Set(reference.keys))
        // Equal but for provenance: each piece ran at its own speed.
        XCTAssertEqual(ResultsTable(mergedRecords.map(\.resultOnly)).markdown(), ResultsTable(full.map(\.resultOnly)).markdown())

        let bad = try SweepBinary.run(["run", MultiRankSweepTests.spec, "--shard", "4/3", "--out", root + "/bad"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--shard: '4/3': need 1 ≤ K ≤ N"), bad.stderr)
    }

    func testMergeReportsAConflictingDuplicateWithItsSourcesAndExitsNonZero() throws {
        let reference = try MultiRankSweepTests.referenceRecords().values.sorted { $0.id < $1.id }
        let root = try folder("conflict")
        try writeJournal(Array(reference.prefix(3)), in: root + "/a")
        var changed = reference[1]
        changed.testNLL = (changed.testNLL ?? 0) + 0.5
        try writeJournal([changed], in: root + "/b")
        let result = try SweepBinary.run(["merge", root + "/a", root + "/b", "-o", root + "/merged"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("conflicting results for run \(changed.id)"), result.stderr)
        XCTAssertTrue(result.stderr.contains("\(root)/a/journal.jsonl:2"), result.stderr)
        XCTAssertTrue(result.stderr.contains("\(root)/b/journal.jsonl:1"), result.stderr)
        let conflicts = try Journal.load(path: root + "/merged/conflicts.jsonl").map(\.record)
        XCTAssertEqual(conflicts.map(\.testNLL), [reference[1].testNLL, changed.testNLL], "every version kept")
        XCTAssertEqual(try Journal.load(path: Journal.journalPath(in: root + "/merged")).count, 3)
    }

    func testPlanListsEveryJobLargestFirstWithTotals() throws {
        let spec = TestData.spec(SweepBinary.repository + "/sweeps/smoke.yaml")
        let jobs = try Grid.expand(SweepSpec.load(path: spec), data: TestData.location).jobs.sorted(by: Job.largestFirst)
        let result = try SweepBinary.run(["plan", spec, "--ranks", "2", "--out", try folder("plan")] + TestData.dataArguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "sweep smoke (\(spec)): \(jobs.count) jobs")
        let rows = lines.filter { line in jobs.contains { line.hasPrefix($0.id) } }
        XCTAssertEqual(rows.map { String($0.prefix(16)) }, jobs.map(\.id))
        XCTAssertTrue(rows.allSatisfy { $0.hasSuffix("pending") })
        XCTAssertTrue(lines.contains { $0.hasPrefix("total: \(jobs.count) jobs, \(jobs.count) pending, \(ResultsTable.sci(jobs.reduce(0) { $0 + $1.predictedFLOPs })) predicted FLOPs") },
                      result.stdout)
        XCTAssertTrue(lines.last?.hasPrefix("pending on 2 ranks (largest first): about") ?? false)
    }

    /// Run ids pinned in another process: `lmsweep plan` prints the twelve ids of the first
    /// sweeps/smoke.yaml (kept here: the file now trains longer), the values the first build of
    /// run ids gave them.
    func testPlanPrintsSmokeSweepsPinnedIDsInAnotherProcess() throws {
        let spec = try folder("pinned") + "/smoke.yaml"
        try """
        name: smoke
        base: {dataset: tinyshakespeare, d_model: 32, heads: 2, ffn_width: 64, hidden_width: 64, epochs: 2,
               windows_per_epoch: 1024, batch_size: 32, eval_windows: 500}
        axes:
          arch: [linear, mlp, attention, transformer]
          context: [16, 32]
          depth: [1, 2]
        """.write(toFile: spec, atomically: true, encoding: .utf8)
        let result = try SweepBinary.run(["plan", spec])
        XCTAssertEqual(result.status, 0, result.stderr)
        let ids = Set(result.stdout.split(separator: "\n").map { String($0.prefix(16)) }.filter { $0.allSatisfy(\.isHexDigit) && $0.count == 16 })
        XCTAssertEqual(ids, ["53d0f81509aba582", "28139c8749f3f920", "50b1396ee664d7b3", "7c686b9ac3676ac6",
                             "f523421e05688869", "a52552ac8e2b4910", "8b32a381b1ef85ee", "167b973e17bb2c65",
                             "72d7abddd7379973", "959d953ee1513260", "cc5f0e79e36e0c96", "fb37f543c5cff400"])
    }

    /// One spelling per shared option on every command that has it.
    func testSharedOptionsAreSpeltTheSameOnEveryCommand() throws {
        func help(_ command: [String]) throws -> String {
            let result = try SweepBinary.run(command + ["--help"])
            XCTAssertEqual(result.status, 0, result.stderr)
            return result.stdout
        }
        for command in [["run"], ["plan"], ["merge"], ["report"]] {
            XCTAssertTrue(try help(command).contains("-o, --out, --output <folder>"), command.joined())
        }
        for command in [["run"], ["train"], ["eval"], ["bench"], ["data", "verify"], ["data", "stats"]] {
            XCTAssertTrue(try help(command).contains("--data-dir <folder>"), command.joined(separator: " "))
        }
        for command in [["run"], ["train"], ["merge"]] {
            let text = try help(command)
            XCTAssertTrue(text.contains("-q, --quiet") && text.contains("-v, --verbose"), command.joined())
        }
        let both = try SweepBinary.run(["train", "--quiet", "--verbose"])
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.stderr.contains("--quiet and --verbose exclude each other"), both.stderr)
    }

    func testPlanOfABadSpecPrintsEveryProblemAndFails() throws {
        let dir = try folder("badplan")
        let spec = dir + "/bad.yaml"
        try "name: bad\nbase:\n  contxt: 16\naxes:\n  arch: [mlp, rnn]\n".write(toFile: spec, atomically: true, encoding: .utf8)
        let result = try SweepBinary.run(["plan", spec])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("2 problems in sweep spec"), result.stderr)
        XCTAssertTrue(result.stderr.contains("\(spec):3: base.contxt = contxt: unknown run-config key 'contxt' (did you mean 'context'?)"), result.stderr)
        XCTAssertTrue(result.stderr.contains("\(spec):5: axes.arch[1] = rnn: expected one of linear, mlp, attention, transformer"), result.stderr)
    }
}
