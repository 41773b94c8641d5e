import Cluster
import Corpus
import Foundation
import Sweep
import Training
import XCTest

/// A deterministic stand-in for the Trainer: records which configs it ran, in order, and
/// fails or diverges the architectures it is told to.
final class ScriptedRunner: JobRunner {
    private let lock = NSLock()
    private(set) var ran: [RunConfig] = []
    let failing: Set<RunConfig.Architecture>
    let diverging: Set<RunConfig.Architecture>

    init(failing: Set<RunConfig.Architecture> = [], diverging: Set<RunConfig.Architecture> = []) {
        self.failing = failing
        self.diverging = diverging
    }

    func run(_ config: RunConfig, rank: Int, host: String, activity: Activity, checkpointing: Checkpointing) -> RunOutcome {
        .finished(record(config, rank: rank, host: host))
    }

    func record(_ config: RunConfig, rank: Int, host: String) -> RunRecord {
        lock.lock(); ran.append(config); lock.unlock()
        let status: RunRecord.Status = failing.contains(config.arch) ? .failed : diverging.contains(config.arch) ? .diverged : .ok
        let nll = Double(UInt64(config.id, radix: 16)! % 1000) / 1000 + 1
        return RunRecord(id: config.id, config: config, status: status,
                         error: status == .ok ? nil : "scripted \(status.rawValue)", paramsTotal: 100,
                         testNLL: status == .ok ? nll : nil, seed: config.seed, rank: rank, host: host)
    }

    func preflight(_ config: RunConfig) throws {}

    var dataLocation: DataLocation? { nil }
}

/// `SweepLauncher` as a world of one (no mpirun in the test process): the same coordinator,
/// local trainer thread, journal and tables as under MPI, with a scripted runner.
final class InProcessSweepTests: XCTestCase {
    private let spec = """
    name: scripted
    base: {d_model: 16, heads: 2, ffn_width: 32, hidden_width: 32, epochs: 1, windows_per_epoch: 64}
    axes:
      arch: [linear, mlp, attention, transformer]
      context: [8, 16]
      depth: [1, 2]
    """

    private func setUpSpec() throws -> (spec: String, out: String, jobs: [Job]) {
        let dir = NSTemporaryDirectory() + "lmsweep-inprocess-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/scripted.yaml"
        try spec.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, dir + "/out", try Grid.expand(SweepSpec.load(path: path)).jobs)
    }

    static var retrying: SweepLauncher.Options {
        var options = SweepLauncher.Options()
        options.retryFailed = true
        return options
    }

    func testWorldOfOneRunsJobsLargestFirstAndWritesTheTables() throws {
        let (path, out, jobs) = try setUpSpec()
        let runner = ScriptedRunner()
        var log: [String] = []
        let outcome = try XCTUnwrap(try SweepLauncher.run(specPath: path, output: out,
                                                          makeRunner: { runner }, log: { log.append($0) }))
        XCTAssertEqual(runner.ran.map(\.id), jobs.sorted(by: Job.largestFirst).map(\.id))
        XCTAssertEqual(outcome.records.count, jobs.count)
        XCTAssertEqual(Set(outcome.records.map(\.rank)), [0])
        XCTAssertEqual(outcome.ranks, 1)
        XCTAssertEqual(try Journal.load(path: outcome.journalPath).map(\.record), outcome.records)
        let csv = try String(contentsOfFile: outcome.results.csv, encoding: .utf8)
        XCTAssertEqual(csv, ResultsTable(outcome.records).csv())
        let report = try String(contentsOfFile: outcome.results.report, encoding: .utf8)
        for record in outcome.records { XCTAssertTrue(report.contains("| \(record.id) |"), "report row for \(record.id)") }
        XCTAssertEqual(log.filter { $0.hasPrefix("sweep: ") }.count, jobs.count, "one progress line per record")
        XCTAssertTrue(log.last?.hasPrefix("sweep: \(jobs.count)/\(jobs.count) jobs") ?? false, log.last ?? "")
    }

    func testFailedAndDivergedRunsAreRecordedAndTheSweepGoesOnThenRetryFailedRerunsOnlyThem() throws {
        let (path, out, jobs) = try setUpSpec()
        let flaky = ScriptedRunner(failing: [.mlp], diverging: [.attention])
        let first = try XCTUnwrap(try SweepLauncher.run(specPath: path, output: out,
                                                        makeRunner: { flaky }, log: { _ in }))
        XCTAssertEqual(first.records.count, jobs.count, "every job ran despite failures")
        let statuses = Dictionary(grouping: first.records, by: \.status).mapValues(\.count)
        let mlp = jobs.filter { $0.config.arch == .mlp }.count
        let attention = jobs.filter { $0.config.arch == .attention }.count
        XCTAssertEqual(statuses[.failed], mlp)
        XCTAssertEqual(statuses[.diverged], attention)
        XCTAssertTrue(try String(contentsOfFile: first.results.markdown, encoding: .utf8).contains("failed: scripted failed"))

        // Without --retry-failed, nothing is left to do.
        let idle = ScriptedRunner()
        let second = try XCTUnwrap(try SweepLauncher.run(specPath: path, output: out,
                                                         makeRunner: { idle }, log: { _ in }))
        XCTAssertEqual(idle.ran.count, 0)
        XCTAssertEqual(second.skipped, jobs.count)

        // With it, only the failed and diverged runs go again, and their new records win.
        let fixed = ScriptedRunner()
        _ = try SweepLauncher.run(specPath: path, output: out, options: Self.retrying, makeRunner: { fixed }, log: { _ in })
        XCTAssertEqual(Set(fixed.ran.map(\.arch)), [.mlp, .attention])
        XCTAssertEqual(fixed.ran.count, mlp + attention)
        let merged = MergedRecords(try Journal.load(path: Journal.journalPath(in: out)))
        XCTAssertEqual(merged.records.count, jobs.count)
        XCTAssertTrue(merged.records.allSatisfy { $0.status == .ok })
        XCTAssertEqual(merged.superseded.count, mlp + attention)
        let csv = try String(contentsOfFile: out + "/results.csv", encoding: .utf8)
        XCTAssertFalse(csv.contains(",failed,") || csv.contains(",diverged,"))
    }

    func testAChangedSpecRunsOnlyItsNewJobsAndKeepsTheFinishedOnes() throws {
        let (path, out, jobs) = try setUpSpec()
        _ = try SweepLauncher.run(specPath: path, output: out,
                                  makeRunner: { ScriptedRunner() }, log: { _ in })
        let before = try String(contentsOfFile: Journal.journalPath(in: out), encoding: .utf8)
        // One more context: every architecture gains runs; nothing finished is run again.
        try spec.replacingOccurrences(of: "context: [8, 16]", with: "context: [8, 16, 32]")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let grown = try Grid.expand(SweepSpec.load(path: path)).jobs
        let runner = ScriptedRunner()
        let outcome = try XCTUnwrap(try SweepLauncher.run(specPath: path, output: out,
                                                          makeRunner: { runner }, log: { _ in }))
        XCTAssertEqual(Set(runner.ran.map(\.id)), Set(grown.map(\.id)).subtracting(jobs.map(\.id)))
        XCTAssertTrue(runner.ran.allSatisfy { $0.context == 32 })
        XCTAssertEqual(outcome.skipped, jobs.count)
        let after = try String(contentsOfFile: Journal.journalPath(in: out), encoding: .utf8)
        XCTAssertTrue(after.hasPrefix(before), "finished records are kept as they were")
        XCTAssertEqual(try String(contentsOfFile: out + "/spec.yaml", encoding: .utf8),
                       try String(contentsOfFile: path, encoding: .utf8), "the spec as last run is stored")
    }
}
