import Foundation
@testable import Sweep
import Training
import XCTest

/// `lmsweep status` of a folder whose journal also holds runs of an earlier spec (`run --add`
/// keeps them): the last run's plan counts only its own jobs, so the earlier runs neither count
/// as done nor hide the jobs still pending.
final class StatusReportTests: XCTestCase {
    private let laterSpec = """
    name: later
    base: {dataset: tinyshakespeare, arch: linear, epochs: 1, windows_per_epoch: 64, batch_size: 32}
    axes:
      context: [8, 16, 24]

    """

    /// A folder as `run --add` leaves it: an earlier spec's 2 runs, then the later spec's first
    /// job, and rank 0's last status (3 jobs planned, 1 done) from a run that was killed.
    private func stoppedFolder() throws -> (folder: String, later: [Job]) {
        let folder = scratchDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        writeFile(laterSpec, named: SweepFolder.specFile, in: folder)
        let later = try Grid.expand(SweepSpec.load(path: folder + "/" + SweepFolder.specFile)).jobs
        XCTAssertEqual(later.count, 3)
        var earlier: [RunConfig] = []
        for context in [32, 64] {
            var c = later[0].config
            c.context = context
            earlier.append(c)
        }
        XCTAssertTrue(Set(earlier.map(\.id)).isDisjoint(with: later.map(\.id)))
        let journal = try Journal(directory: folder)
        for c in earlier { try journal.append(syntheticRecord(for: c)) }
        try journal.append(syntheticRecord(for: later[0].config))

        let status = SweepStatus(state: .running, updatedAt: "2026-12-01T22:00:00Z", pid: 1, host: "h", ranks: 2,
                                 totalJobs: 3, doneJobs: 1, failedJobs: 0, runningJobs: 2, pendingJobs: 0,
                                 doneFLOPs: 1, totalFLOPs: 3, etaSeconds: nil, etaMeasured: false, running: [], best: nil)
        try status.write(to: folder)
        return (folder, later)
    }

    func testAStoppedRunCountsOnlyItsOwnJobsAsDone() throws {
        let (folder, _) = try stoppedFolder()
        let report = try StatusReport(folder: folder)
        XCTAssertEqual(report.totalJobs, 3)
        XCTAssertEqual(report.done, 1)
        XCTAssertEqual(report.pending, 2)
        XCTAssertEqual(report.otherRecords, 2)
        XCTAssertEqual(report.state, .stopped, "2 of its 3 jobs are not in the journal")
        let lines = report.lines()
        XCTAssertEqual(lines.dropFirst().first,
                       "jobs: 3 total, 1 done, 0 running, 2 pending; the journal also holds 2 runs of earlier specs")
        XCTAssertTrue(lines.first?.hasSuffix("run it again to resume") ?? false, lines.joined(separator: "\n"))
    }

    func testWithoutAStatusFileTheJournalAndTheSpecCountEveryRun() throws {
        let (folder, _) = try stoppedFolder()
        try FileManager.default.removeItem(atPath: folder + "/" + SweepStatus.fileName)
        let report = try StatusReport(folder: folder)
        XCTAssertEqual(report.totalJobs, 5, "the spec's 3 jobs and the 2 earlier runs")
        XCTAssertEqual(report.done, 3)
        XCTAssertEqual(report.pending, 2)
        XCTAssertEqual(report.otherRecords, 0)
        XCTAssertEqual(report.state, .incomplete)
        XCTAssertEqual(report.lines().dropFirst().first, "jobs: 5 total, 3 done, 0 running, 2 pending")
    }

    func testOnceEveryPlannedJobIsInTheJournalTheSweepIsFinished() throws {
        let (folder, later) = try stoppedFolder()
        let journal = try Journal(directory: folder)
        for job in later.dropFirst() { try journal.append(syntheticRecord(for: job.config, status: .failed)) }
        let report = try StatusReport(folder: folder)
        XCTAssertEqual(report.done, 3)
        XCTAssertEqual(report.failed, 2, "the earlier spec's runs are no part of the count")
        XCTAssertEqual(report.state, .finished)
        XCTAssertEqual(report.lines().dropFirst().first,
                       "jobs: 3 total, 3 done (2 failed or diverged), 0 running, 0 pending; the journal also holds 2 runs of earlier specs")
    }

    /// A job resumed from a checkpoint: the status file shows it from the checkpoint's step on,
    /// and the ETA credits that work without taking it for this session's rate.
    func testAResumedJobsProgressStartsAtItsCheckpoint() throws {
        let jobs = Array(try smallGridJobs().prefix(1))
        let dir = scratchDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let queue = JobQueue(plan: Resume.plan(jobs: jobs, journal: MergedRecords([]), retryFailed: false),
                             journal: try Journal(directory: dir), ranks: 1)
        queue.heartbeat(from: 0, activity: 40)              // the rank's count runs on across jobs
        let job = try XCTUnwrap(queue.next(for: 0))
        let planned = CostEstimate.plannedSteps(job.config.resolved())
        XCTAssertGreaterThan(planned, 4)
        let step = planned / 2
        queue.resumed(rank: 0, atStep: step)
        queue.heartbeat(from: 0, activity: 41)
        // Written at most once a second, and always when a job starts or resumes.
        Thread.sleep(forTimeInterval: 1.1)
        queue.heartbeat(from: 0, activity: 43)
        let running = try XCTUnwrap(SweepStatus.read(from: dir)?.running.first)
        XCTAssertEqual(running.id, job.id)
        XCTAssertEqual(running.activity, UInt64(step + 3))

        // 100 s in, 60% done of which 20 points in this session: the rate is 20% of the job per
        // 100 s, so the other 40% take 200 s (not the 400 s of 80% left at that rate).
        var progress = SweepProgress(plan: Resume.plan(jobs: jobs, journal: MergedRecords([]), retryFailed: false), ranks: 1)
        let start = Date(timeIntervalSince1970: 1_000_000)
        progress.start(job, on: 0, now: start)
        let eta = StatusWriter.eta(progress, fractions: [0: .init(done: 0.6, session: 0.2)], now: start.addingTimeInterval(100))
        XCTAssertTrue(eta.measured)
        XCTAssertEqual(eta.seconds, 200, accuracy: 1e-6)
        // Below a fifth of the job in this session, the rate is the cost model's, not measured.
        XCTAssertFalse(StatusWriter.eta(progress, fractions: [0: .init(done: 0.9, session: 0.1)], now: start.addingTimeInterval(100)).measured)
    }
}
