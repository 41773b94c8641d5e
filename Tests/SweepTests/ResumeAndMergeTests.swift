import Sweep
import Training
import XCTest

final class ResumeAndMergeTests: XCTestCase {
    private func sourced(_ records: [RunRecord], _ file: String) -> [SourcedRecord] {
        records.enumerated().map { SourcedRecord(record: $1, source: "\(file):\($0 + 1)") }
    }

    func testResumeSkipsCompletedJobs() throws {
        let jobs = try smallGridJobs()
        let finished = jobs.prefix(4).map { syntheticRecord(for: $0.config) }
        let plan = Resume.plan(jobs: jobs, journal: MergedRecords(sourced(finished, "j")), retryFailed: false)
        XCTAssertEqual(Set(plan.done.map(\.id)), Set(jobs.prefix(4).map(\.id)))
        XCTAssertEqual(Set(plan.pending.map(\.id)), Set(jobs.dropFirst(4).map(\.id)))
        XCTAssertEqual(plan.pending, plan.pending.sorted(by: Job.largestFirst), "pending is largest first")
    }

    func testRetryFailedRequeuesFailedAndDivergedRunsOnly() throws {
        let jobs = try smallGridJobs()
        let records = [syntheticRecord(for: jobs[0].config), syntheticRecord(for: jobs[1].config, status: .failed),
                       syntheticRecord(for: jobs[2].config, status: .diverged)]
        let merged = MergedRecords(sourced(records, "j"))
        let keep = Resume.plan(jobs: jobs, journal: merged, retryFailed: false)
        XCTAssertEqual(keep.pending.count, jobs.count - 3)
        let retry = Resume.plan(jobs: jobs, journal: merged, retryFailed: true)
        XCTAssertEqual(Set(retry.pending.map(\.id)), Set(jobs.dropFirst(1).map(\.id)))
    }

    func testMergeOfTwoPartialJournalsEqualsTheFullTable() throws {
        let jobs = try smallGridJobs()
        let full = jobs.map { syntheticRecord(for: $0.config, rank: 0, host: "a") }
        // Two partial runs on other hosts, overlapping on jobs 4 and 5 (identical results).
        let first = jobs.prefix(6).map { syntheticRecord(for: $0.config, rank: 1, host: "b") }
        let second = jobs.dropFirst(4).map { syntheticRecord(for: $0.config, rank: 2, host: "c") }
        let merged = MergedRecords(sourced(first, "b.jsonl") + sourced(second, "c.jsonl"))
        XCTAssertEqual(merged.records.count, jobs.count)
        XCTAssertTrue(merged.conflicts.isEmpty)
        XCTAssertEqual(ResultsTable(merged.records).csv(), ResultsTable(full).csv())
        XCTAssertEqual(ResultsTable(merged.records).markdown(), ResultsTable(full).markdown())
    }

    func testConflictingDuplicateIsReportedWithBothSourcesAndNotDropped() throws {
        let jobs = try smallGridJobs()
        let a = jobs.prefix(3).map { syntheticRecord(for: $0.config) }
        var b = [syntheticRecord(for: jobs[1].config, nllOffset: 0.25)]
        b.append(syntheticRecord(for: jobs[5].config))
        let merged = MergedRecords(sourced(a, "a.jsonl") + sourced(b, "b.jsonl"))
        XCTAssertEqual(merged.records.count, 4)
        XCTAssertEqual(merged.conflicts.count, 1)
        let conflict = merged.conflicts[0]
        XCTAssertEqual(conflict.id, jobs[1].id)
        XCTAssertEqual(conflict.versions.map(\.source), ["a.jsonl:2", "b.jsonl:1"])
        XCTAssertEqual(conflict.versions.map(\.record.testNLL), [a[1].testNLL, b[0].testNLL])
        XCTAssertTrue(conflict.description.contains("a.jsonl:2") && conflict.description.contains("b.jsonl:1"))
    }

    func testFinishedRecordSupersedesAFailedOneInEitherOrder() throws {
        let job = try smallGridJobs()[0]
        let failed = syntheticRecord(for: job.config, status: .failed)
        let ok = syntheticRecord(for: job.config)
        for order in [[failed, ok], [ok, failed]] {
            let merged = MergedRecords(sourced(order, "j"))
            XCTAssertEqual(merged.records, [ok])
            XCTAssertEqual(merged.superseded.map(\.record), [failed])
            XCTAssertTrue(merged.conflicts.isEmpty)
        }
    }
}

final class ResultsTableTests: XCTestCase {
    func testRowsAreSortedByDatasetArchitectureContextDepth() throws {
        let jobs = try smallGridJobs()
        let table = ResultsTable(jobs.reversed().map { syntheticRecord(for: $0.config) })
        let keys = table.rows.map { r in "\(r.config.arch.rawValue)/\(r.config.context)/\(r.config.depth ?? 0)" }
        XCTAssertEqual(keys, ["linear/16/0", "linear/32/0", "mlp/16/1", "mlp/16/2", "mlp/32/1", "mlp/32/2",
                              "transformer/16/1", "transformer/16/2", "transformer/32/1", "transformer/32/2"])
    }

    func testCSVHasOneRowPerRunWithResultsAndNoProvenance() throws {
        let job = try smallGridJobs()[0]
        let record = syntheticRecord(for: job.config, rank: 3, host: "node07")
        let csv = ResultsTable([record]).csv().split(separator: "\n").map(String.init)
        XCTAssertEqual(csv.count, 2)
        XCTAssertEqual(csv[0], ResultsTable.csvColumns.joined(separator: ","))
        let fields = csv[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let column = Dictionary(uniqueKeysWithValues: zip(ResultsTable.csvColumns, fields))
        XCTAssertEqual(column["id"], job.id)
        XCTAssertEqual(column["arch"], "linear")
        XCTAssertEqual(column["test_nll"], "\(record.testNLL!)")
        XCTAssertEqual(column["flops_exact"], "\(record.flopsExact)")
        XCTAssertEqual(column["params_total"], "\(record.paramsTotal)")
        XCTAssertEqual(column["status"], "ok")
        XCTAssertFalse(csv[1].contains("node07"))
    }

    func testCSVQuotesErrorsWithCommas() throws {
        let job = try smallGridJobs()[0]
        var record = syntheticRecord(for: job.config, status: .failed)
        record.error = "shape mismatch: (2, 3) vs \"x\""
        let row = ResultsTable([record]).csv().split(separator: "\n")[1]
        XCTAssertTrue(row.hasSuffix(",failed,\"shape mismatch: (2, 3) vs \"\"x\"\"\""), String(row))
    }
}

final class JobQueueTests: XCTestCase {
    /// Drives the queue as the coordinator does, with three simulated ranks taking turns.
    func testEveryJobIsHandedOutOnceLargestFirstAndJournaled() throws {
        let jobs = try smallGridJobs()
        let dir = scratchDirectory()
        let journal = try Journal(directory: dir)
        let plan = Resume.plan(jobs: jobs, journal: MergedRecords([]), retryFailed: false)
        let queue = JobQueue(plan: plan, journal: journal, ranks: 3)
        var handedOut: [Job] = []
        for rank in 0..<3 { if let job = queue.next(for: rank) { handedOut.append(job) } }
        XCTAssertEqual(queue.progress.running.count, 3)
        var rank = 0
        while !queue.isDrained {
            if let job = queue.progress.running[rank] {
                try queue.finish(syntheticRecord(for: job.config, rank: rank), from: rank)
                if let next = queue.next(for: rank) { handedOut.append(next) }
            }
            rank = (rank + 1) % 3
        }
        XCTAssertEqual(handedOut, jobs.sorted(by: Job.largestFirst))
        let journaled = try Journal.load(path: journal.path).map(\.record.id)
        XCTAssertEqual(journaled.count, jobs.count)
        XCTAssertEqual(Set(journaled), Set(jobs.map(\.id)))
        XCTAssertEqual(queue.progress.doneJobs, jobs.count)
        XCTAssertEqual(queue.progress.doneFLOPs, jobs.reduce(0) { $0 + $1.predictedFLOPs }, accuracy: 1)
    }

    func testProgressLineShowsJobsFLOPsETAAndRanks() throws {
        let jobs = try smallGridJobs()
        let plan = Resume.plan(jobs: jobs, journal: MergedRecords([]), retryFailed: false)
        let start = Date(timeIntervalSince1970: 1000)
        var progress = SweepProgress(plan: plan, ranks: 2, cost: CostModel(flopsPerSecond: 1e6), started: start)
        let (first, second) = (plan.pending[0], plan.pending[1])
        progress.start(first, on: 0, now: start)
        progress.start(second, on: 1, now: start)
        let total = jobs.reduce(0) { $0 + $1.predictedFLOPs }
        XCTAssertGreaterThan(total / 1e6 / 2, 10)
        // Before any record: the cost model's rate; the running jobs are credited with 1 s each.
        let predicted = progress.eta(now: start.addingTimeInterval(1))
        XCTAssertFalse(predicted.measured)
        let early = [first, second].map { min(0.95 * $0.predictedFLOPs, 1e6) }
        let longest = max((first.predictedFLOPs - early[0]) / 1e6, (second.predictedFLOPs - early[1]) / 1e6)
        XCTAssertEqual(predicted.seconds, max((total - early[0] - early[1]) / 1e6 / 2, longest), accuracy: 1e-6)
        XCTAssertTrue(progress.line(now: start.addingTimeInterval(1)).contains("ETA ~"), progress.line())
        // The first job took 10 s: the measured rate is its FLOPs over 10 s, and the second job,
        // running for 10 s too, is credited with as much work (at most 95% of its own).
        progress.finish(on: 0, now: start.addingTimeInterval(10))
        let rate = first.predictedFLOPs / 10
        XCTAssertEqual(progress.rankRate.flopsPerSecond, rate, accuracy: 1e-6)
        let eta = progress.eta(now: start.addingTimeInterval(10))
        XCTAssertTrue(eta.measured)
        let credited = min(0.95 * second.predictedFLOPs, rate * 10)
        let remaining = total - first.predictedFLOPs - credited
        XCTAssertEqual(eta.seconds, max(remaining / (rate * 2), (second.predictedFLOPs - credited) / rate), accuracy: 1e-6)
        let line = progress.line(now: start.addingTimeInterval(10))
        XCTAssertTrue(line.hasPrefix("1/10 jobs | "), line)
        XCTAssertTrue(line.contains("r0: idle; r1: \(plan.pending[1].summary)"), line)
        XCTAssertEqual(SweepProgress.duration(3725), "1h02m")
        XCTAssertEqual(SweepProgress.duration(245), "4m05s")
    }
}
