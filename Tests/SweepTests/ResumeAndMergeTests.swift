@testable import Sweep
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
        // Equal but for provenance (how fast each host ran), which the table shows too.
        XCTAssertEqual(ResultsTable(merged.records.map(\.resultOnly)).csv(), ResultsTable(full.map(\.resultOnly)).csv())
        XCTAssertEqual(ResultsTable(merged.records.map(\.resultOnly)).markdown(), ResultsTable(full.map(\.resultOnly)).markdown())
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

    func testCSVHasOneRowPerRunWithResultsAndSpeedButNoHost() throws {
        let job = try smallGridJobs()[0]
        let record = syntheticRecord(for: job.config, rank: 3, host: "node07")
        let table = ResultsTable([record])
        let csv = table.csv().split(separator: "\n").map(String.init)
        XCTAssertEqual(csv.count, 2)
        XCTAssertEqual(csv[0], table.csvColumns.joined(separator: ","))
        let fields = csv[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let column = Dictionary(uniqueKeysWithValues: zip(table.csvColumns, fields))
        XCTAssertEqual(column["id"], job.id)
        XCTAssertEqual(column["arch"], "linear")
        XCTAssertEqual(column["test_nll"], "\(record.testNLL!)")
        XCTAssertEqual(column["flops_exact"], String(Int64(record.flopsExact)), "an integral count is written as an integer")
        XCTAssertEqual(column["params_total"], "\(record.paramsTotal)")
        XCTAssertEqual(column["status"], "ok")
        XCTAssertEqual(column["wall_seconds"], "3.5")
        XCTAssertEqual(column["tokens_per_second"], "100")
        XCTAssertEqual(column["gflops_per_second"], "1")
        XCTAssertNil(column["error"], "no error column when no run failed")
        XCTAssertNil(column["perplexity"], "no perplexity column without a word-level run")
        XCTAssertFalse(csv[1].contains("node07"))
    }

    func testCSVQuotesErrorsWithCommas() throws {
        let job = try smallGridJobs()[0]
        var record = syntheticRecord(for: job.config, status: .failed)
        record.error = "shape mismatch: (2, 3) vs \"x\""
        let row = ResultsTable([record]).csv().split(separator: "\n")[1]
        XCTAssertTrue(row.contains(",linear,failed,"), String(row))
        XCTAssertTrue(row.hasSuffix(",\"shape mismatch: (2, 3) vs \"\"x\"\"\""), "the error, last and quoted: \(row)")
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

    /// Four jobs of 100, 100, 50 and 50 MFLOP on two ranks, the cost model at 1 MFLOP/s.
    func testProgressLineShowsJobsFLOPsETAAndRanks() throws {
        let jobs = [100e6, 100e6, 50e6, 50e6].enumerated().map { index, flops -> Job in
            var config = RunConfig(); config.seed = UInt64(index)
            return Job(run: config.resolved(), predictedFLOPs: flops)
        }
        let plan = Resume.Plan(pending: jobs, done: [])
        let start = Date(timeIntervalSince1970: 1000)
        var progress = SweepProgress(plan: plan, ranks: 2, cost: CostModel(flopsPerSecond: 1e6), started: start)
        progress.start(jobs[0], on: 0, now: start)
        progress.start(jobs[1], on: 1, now: start)
        // At 1 s, predicted: each running job credited 1 MFLOP; 298 MFLOP left over 2 ranks is
        // 149 s, longer than the running jobs' 99 s remainders.
        let predicted = progress.eta(now: start.addingTimeInterval(1))
        XCTAssertFalse(predicted.measured)
        XCTAssertEqual(predicted.seconds, 149, accuracy: 1e-9)
        XCTAssertEqual(progress.line(now: start.addingTimeInterval(1)),
                       "0/4 jobs | 0/3e+08 FLOPs (0%) | ETA ~2m29s (predicted) | r0: \(jobs[0].summary); r1: \(jobs[1].summary)")
        // Job 0 took 10 s: a measured 10 MFLOP/s per rank. Job 1, running 10 s too, is credited
        // 95 of its 100 MFLOP (at most 95%); 105 MFLOP left over 2 ranks is 5.25 s.
        progress.finish(on: 0, now: start.addingTimeInterval(10))
        XCTAssertEqual(progress.rankRate.flopsPerSecond, 10e6, accuracy: 1e-6)
        let eta = progress.eta(now: start.addingTimeInterval(10))
        XCTAssertTrue(eta.measured)
        XCTAssertEqual(eta.seconds, 5.25, accuracy: 1e-9)
        XCTAssertEqual(progress.line(now: start.addingTimeInterval(10)),
                       "1/4 jobs | 1e+08/3e+08 FLOPs (33%) | ETA 5s | r0: idle; r1: \(jobs[1].summary)")
        XCTAssertEqual(durationText(3725), "1h02m")
        XCTAssertEqual(durationText(245), "4m05s")
    }

    /// A job resumed halfway from its checkpoint: the ETA credits that half, and once it
    /// finishes, the rank's rate counts only the half this session trained.
    func testAResumedJobIsCreditedItsCheckpointButNotInTheRate() throws {
        let jobs = [100e6, 100e6].enumerated().map { index, flops -> Job in
            var config = RunConfig(); config.seed = UInt64(index)
            return Job(run: config.resolved(), predictedFLOPs: flops)
        }
        let start = Date(timeIntervalSince1970: 1000)
        var progress = SweepProgress(plan: Resume.Plan(pending: jobs, done: []), ranks: 1,
                                     cost: CostModel(flopsPerSecond: 1e6), started: start)
        progress.start(jobs[0], on: 0, now: start)
        progress.resumed(on: 0, share: 0.5)
        // At 10 s: 50 + 10 MFLOP credited, 140 of 200 left at the predicted 1 MFLOP/s.
        XCTAssertEqual(progress.eta(now: start.addingTimeInterval(10)).seconds, 140, accuracy: 1e-9)
        // It ends at 50 s: 50 MFLOP in 50 s is 1 MFLOP/s, measured; the other job takes 100 s.
        progress.finish(on: 0, now: start.addingTimeInterval(50))
        XCTAssertEqual(progress.rankRate.flopsPerSecond, 1e6, accuracy: 1e-6)
        XCTAssertTrue(progress.rankRate.measured)
        XCTAssertEqual(progress.eta(now: start.addingTimeInterval(50)).seconds, 100, accuracy: 1e-9)
        // The next job on that rank starts from zero.
        progress.start(jobs[1], on: 0, now: start.addingTimeInterval(50))
        XCTAssertEqual(progress.eta(now: start.addingTimeInterval(60)).seconds, 90, accuracy: 1e-9)
    }
}
