import Foundation
import TestSupport
import XCTest

/// The README's SLURM recipes on a real one-node SLURM with 2 CPUs, each submitted as a user
/// would from a folder of their own: the batch script, a job array with a dependent merge, a
/// sweep stopped by SIGTERM and requeued, one preempted that requeues itself (both resume their
/// runs in flight from checkpoints), and srun with and without MPI wiring. Every sweep's results
/// are checked against one uninterrupted single-process run of the same spec.
final class SlurmSweepTests: XCTestCase {
    /// One cluster for the class (up and down take a few seconds): brought up before the first
    /// test, stopped after the last; each test cancels what it left running.
    private static var shared: Result<SlurmCluster, Error>?
    private var cluster: SlurmCluster?
    /// The submit folder: a scratch folder outside the repository.
    private var scratch: URL!

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: SweepBinary.executable) else {
            XCTFail("no lmsweep binary at \(SweepBinary.executable): scripts/test.sh builds it")
            throw CocoaError(.fileNoSuchFile)
        }
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-sweep-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        if Self.shared == nil { Self.shared = Result { try SlurmCluster() } }
        cluster = try Self.shared?.get()
    }

    override func tearDownWithError() throws {
        if let cluster {
            let cancel = try cluster.run("scancel", ["--user=\(NSUserName())"], in: scratch)
            XCTAssertEqual(cancel.status, 0, cancel.stderr)
        }
        cluster = nil
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    override class func tearDown() {
        if case .success(let cluster)? = shared {
            do {
                let leftovers = try cluster.down()
                XCTAssertEqual(leftovers, [], "scripts/slurm-cluster.sh down left these behind")
            } catch {
                XCTFail("\(error)")
            }
        }
        shared = nil
        try? FileManager.default.removeItem(atPath: referenceFolder)
        try? FileManager.default.removeItem(atPath: spec)
        super.tearDown()
    }

    // MARK: the sweep and its reference

    /// Six real transformer runs of about 1 to 3 s each on a quiet core: long enough
    /// that a SIGTERM after the first record lands mid-sweep.
    static let specText = """
        name: slurm-tiny
        base: {arch: transformer, dataset: \(TestData.tinyShakespeare), d_model: 32, heads: 2, ffn_width: 64,
               epochs: 1, windows_per_epoch: 20000, batch_size: 32, eval_windows: 300}
        axes:
          context: [16, 24, 32]
          depth: [2, 3]
        """
    static let jobCount = 6

    /// The spec, written once per test process (every test's folder sees the same file).
    static let spec: String = {
        let path = NSTemporaryDirectory() + "lmsweep-slurm-tiny-\(UUID().uuidString.prefix(8)).yaml"
        try? specText.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }()

    /// Test NLL per run id of one uninterrupted single-process sweep of `spec`, run once per
    /// test process.
    static let referenceFolder = NSTemporaryDirectory() + "lmsweep-slurm-reference-\(UUID().uuidString.prefix(8))"

    static let reference: Result<[String: Double], Error> = {
        Result {
            let out = referenceFolder
            let result = try SweepBinary.run(["run", spec, "--out", out] + TestData.dataArguments, timeout: 300)
            guard result.status == 0 else { throw SlurmCluster.Failure(what: "the reference sweep", output: result.stderr) }
            return try testNLLs(records(in: out), in: out)
        }
    }()

    struct Record {
        let id: String
        let testNLL: Double?
        let rank: Int?
        let status: String?
    }

    /// Every record of `folder`'s journal, in order.
    static func records(in folder: String) throws -> [Record] {
        let text = (try? String(contentsOfFile: folder + "/journal.jsonl", encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let id = object["id"] as? String else {
                throw SlurmCluster.Failure(what: "reading \(folder)/journal.jsonl", output: String(line))
            }
            return Record(id: id, testNLL: object["test_nll"] as? Double, rank: object["rank"] as? Int, status: object["status"] as? String)
        }
    }

    /// Test NLL per id; an id journaled twice is an error (every run exactly once).
    static func testNLLs(_ records: [Record], in folder: String) throws -> [String: Double] {
        var nlls: [String: Double] = [:]
        for record in records {
            guard nlls[record.id] == nil else { throw SlurmCluster.Failure(what: "\(folder)/journal.jsonl", output: "\(record.id) twice") }
            nlls[record.id] = record.testNLL ?? .nan
        }
        return nlls
    }

    /// `folder`'s journal holds every run of the spec exactly once, each ok and with the
    /// reference's test NLL, bit for bit.
    private func assertUninterruptedResults(in folder: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try Self.reference.get()
        XCTAssertEqual(reference.count, Self.jobCount, file: file, line: line)
        let records = try Self.records(in: folder)
        XCTAssertEqual(records.map(\.status), Array(repeating: "ok", count: records.count), file: file, line: line)
        XCTAssertEqual(records.count, Self.jobCount, "every run journaled exactly once: \(records.map(\.id))", file: file, line: line)
        XCTAssertEqual(try Self.testNLLs(records, in: folder), reference, "test NLL per run id", file: file, line: line)
    }

    private func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    private func text(_ name: String) -> String { (try? String(contentsOfFile: path(name), encoding: .utf8)) ?? "" }

    /// `scripts/NAME` by a path relative to the submit folder (`../../work/...`): the scripts
    /// must find the binary from where they really are, not from the submit folder or from the
    /// spool copy sbatch runs.
    private func script(_ name: String) -> String {
        let depth = scratch.pathComponents.count - 1
        return String(repeating: "../", count: depth) + String(SlurmCluster.repository.appendingPathComponent("scripts/\(name)").path.dropFirst())
    }

    // MARK: the recipes

    func testBatchScriptRunsOneRankPerAllocatedTaskFromAnyFolder() throws {
        let cluster = try XCTUnwrap(cluster)
        let job = try cluster.submit(["-n", "2", "-o", "job-%j.out", script("slurm.sbatch"), Self.spec, "--out", "results/batch"]
                                     + TestData.dataArguments, in: scratch)
        XCTAssertEqual(try cluster.waitUntilFinished(job, in: scratch), ["COMPLETED"], text("job-\(job).out"))
        let log = text("job-\(job).out")
        XCTAssertTrue(log.contains("mpirun -np 2 "), "ranks from the allocation (sbatch -n 2): \(log)")
        XCTAssertTrue(log.contains("\(SlurmCluster.repository.path)/.build/release/lmsweep run "), "the binary beside the script: \(log)")
        XCTAssertTrue(log.contains("to run on 2 ranks"), log)
        try assertUninterruptedResults(in: path("results/batch"))
        XCTAssertEqual(Set(try Self.records(in: path("results/batch")).compactMap(\.rank)), [0, 1], "both ranks trained")
    }

    func testJobArrayRunsOnePiecePerTaskAndADependentJobMergesThem() throws {
        let cluster = try XCTUnwrap(cluster)
        let array = try cluster.submit(["--array=0-2", "-o", "array-%A_%a.out", script("slurm-array.sbatch"), Self.spec, "results/array"]
                                       + TestData.dataArguments, in: scratch)
        let merge = try cluster.submit(["--dependency=afterok:\(array)", "-o", "merge-%j.out", script("slurm-array.sbatch"),
                                        "--merge", "results/array"], in: scratch)
        XCTAssertEqual(try cluster.waitUntilFinished(merge, in: scratch), ["COMPLETED"], text("merge-\(merge).out"))
        XCTAssertEqual(try cluster.states(array, in: scratch), ["COMPLETED", "COMPLETED", "COMPLETED"])
        // Task i ran piece i+1 of 3 (--shard slurm), the very piece `--shard K/3` names.
        var seen: Set<String> = []
        for task in 0..<3 {
            let folder = path("results/array/pieces/\(task)")
            let ids = try Self.records(in: folder).map(\.id)
            XCTAssertFalse(ids.isEmpty, "piece \(task) ran runs: \(text("array-\(array)_\(task).out"))")
            XCTAssertTrue(seen.isDisjoint(with: ids), "pieces are disjoint")
            seen.formUnion(ids)
            let plan = try SweepBinary.run(["plan", Self.spec, "--shard", "\(task + 1)/3"] + TestData.dataArguments)
            XCTAssertEqual(plan.status, 0, plan.stderr)
            for id in ids { XCTAssertTrue(plan.stdout.contains(id), "task \(task)'s run \(id) is in piece \(task + 1)/3:\n\(plan.stdout)") }
            XCTAssertTrue(text("array-\(array)_\(task).out").contains("(shard \(task + 1)/3 of \(Self.jobCount))"),
                          text("array-\(array)_\(task).out"))
        }
        try assertUninterruptedResults(in: path("results/array"))
    }

    func testSweepStoppedBySIGTERMAndRequeuedRunsEveryJobOnceWithUninterruptedResults() throws {
        let cluster = try XCTUnwrap(cluster)
        let out = path("results/preempted")
        let job = try cluster.submit(["-n", "2", "--requeue", "--signal=B:TERM@60", "-o", "job-%j.out", script("slurm.sbatch"),
                                      Self.spec, "--out", "results/preempted"] + TestData.dataArguments, in: scratch)
        // SIGTERM once the first run is journaled: the other rank is mid-run, four runs are to come.
        let deadline = Date().addingTimeInterval(120)
        // (A line read while it is being appended may not parse yet: not a record yet.)
        while ((try? Self.records(in: out)) ?? []).isEmpty && Date() < deadline { usleep(50_000) }
        XCTAssertFalse(try Self.records(in: out).isEmpty, "no record within 120 s: \(text("job-\(job).out"))")
        let signal = try cluster.run("scancel", ["--batch", "--signal=TERM", job], in: scratch)
        XCTAssertEqual(signal.status, 0, signal.stderr)
        let stopped = try cluster.waitUntilFinished(job, in: scratch)
        XCTAssertNotEqual(stopped, ["COMPLETED"], "SIGTERM ended the job early: \(text("job-\(job).out"))")
        XCTAssertTrue(text("job-\(job).out").contains("slurm.sbatch: SIGTERM: passed to rank 0 (pid "), text("job-\(job).out"))
        let before = try Self.records(in: out)
        XCTAssertLessThan(before.count, Self.jobCount, "the sweep was stopped before its end")
        XCTAssertEqual(try Self.testNLLs(before, in: out).count, before.count, "no run journaled twice")
        // Both ranks were mid-run: their runs are checkpointed in the sweep folder.
        XCTAssertTrue(text("job-\(job).out").contains("runs checkpointed, "), text("job-\(job).out"))
        XCTAssertFalse(checkpoints(out).isEmpty, "checkpoints of the runs in flight")

        let requeue = try cluster.run("scontrol", ["requeue", job], in: scratch)
        XCTAssertEqual(requeue.status, 0, requeue.stderr)
        XCTAssertEqual(try cluster.waitUntilFinished(job, in: scratch, upTo: 180), ["COMPLETED"], text("job-\(job).out"))
        XCTAssertEqual(try cluster.job(job, in: scratch)["Restarts"], "1")
        let log = text("job-\(job).out")
        XCTAssertTrue(log.contains("(restart 0)") && log.contains("(restart 1)"), "one output file for both starts: \(log)")
        XCTAssertTrue(log.contains("resumes from its checkpoint"), log)
        XCTAssertEqual(checkpoints(out), [], "a journaled run's checkpoint is removed")
        let after = try Self.records(in: out)
        XCTAssertEqual(after.prefix(before.count).map(\.id), before.map(\.id), "finished records are kept, in order")
        try assertUninterruptedResults(in: out)
    }

    /// The checkpoint files in `folder`/checkpoints.
    private func checkpoints(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder + "/checkpoints")) ?? []).filter { $0.hasSuffix(".ckpt") }
    }

    func testPreemptedSweepRequeuesItselfAndRunsEveryJobOnceWithUninterruptedResults() throws {
        let cluster = try XCTUnwrap(cluster)
        let out = path("results/preemptible")
        let job = try cluster.submit(["-n", "2", "--requeue", "--signal=B:USR1@60", "-o", "job-%j.out", script("slurm.sbatch"),
                                      Self.spec, "--out", "results/preemptible"] + TestData.dataArguments, in: scratch)
        let deadline = Date().addingTimeInterval(120)
        while ((try? Self.records(in: out)) ?? []).isEmpty && Date() < deadline { usleep(50_000) }
        XCTAssertFalse(try Self.records(in: out).isEmpty, "no record within 120 s: \(text("job-\(job).out"))")
        // A job of the higher partition needs both CPUs: SLURM preempts the sweep (PreemptMode=REQUEUE),
        // sending it its --signal (preempt_send_user_signal).
        let urgent = try cluster.submit(["-p", "urgent", "-n", "2", "-o", "urgent-%j.out", "--wrap", "cat \(out)/journal.jsonl | wc -l"],
                                        in: scratch)
        XCTAssertEqual(try cluster.waitUntilFinished(urgent, in: scratch), ["COMPLETED"])
        let journaledWhenPreempted = Int(text("urgent-\(urgent).out").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        XCTAssertTrue((1..<Self.jobCount).contains(journaledWhenPreempted),
                      "the urgent job ran mid-sweep (\(journaledWhenPreempted) of \(Self.jobCount) runs journaled)")
        XCTAssertEqual(try cluster.waitUntilFinished(job, in: scratch, upTo: 180), ["COMPLETED"], text("job-\(job).out"))
        XCTAssertEqual(try cluster.job(job, in: scratch)["Restarts"], "1")
        let log = text("job-\(job).out")
        XCTAssertTrue(log.contains("slurm.sbatch: SIGTERM: passed to rank 0 (pid "), log)
        XCTAssertTrue(log.contains("slurm.sbatch: the sweep stopped for the time limit or a preemption: scontrol requeue \(job)"), log)
        XCTAssertTrue(log.contains("(restart 1)"), log)
        XCTAssertTrue(log.contains("resumes from its checkpoint"), log)
        XCTAssertEqual(checkpoints(out), [], "a journaled run's checkpoint is removed")
        try assertUninterruptedResults(in: out)
    }

    func testSrunWithoutMPIWiringIsRefusedWithTheFixAndSrunMpiPmixRuns() throws {
        let cluster = try XCTUnwrap(cluster)
        let lmsweep = SweepBinary.executable
        let refused = try cluster.run("srun", ["-n", "2", "--mpi=none", lmsweep, "run", Self.spec, "--out", "results/srun"]
                                      + TestData.dataArguments, in: scratch)
        XCTAssertNotEqual(refused.status, 0)
        let message = "error: the launcher started 2 tasks (SLURM_STEP_NUM_TASKS=2) but MPI sees a world of 1: each task would run "
            + "the sweep on its own. Fix: srun --mpi=pmix -n 2 lmsweep run ... (srun --mpi=list shows what this SLURM supports), "
            + "or mpirun -np 2 lmsweep run ... inside the allocation (sbatch scripts/slurm.sbatch, salloc)"
        XCTAssertEqual(refused.stderr.components(separatedBy: message).count - 1, 2, "each task refuses: \(refused.stderr)")
        XCTAssertEqual(try Self.records(in: path("results/srun")).count, 0, "nothing trained")

        // The fix, as the message gives it.
        let wired = try cluster.run("srun", ["-n", "2", "--mpi=pmix", lmsweep, "run", Self.spec, "--out", "results/srun"]
                                    + TestData.dataArguments, in: scratch)
        XCTAssertEqual(wired.status, 0, wired.stderr)
        XCTAssertTrue(wired.stderr.contains("to run on 2 ranks"), wired.stderr)
        try assertUninterruptedResults(in: path("results/srun"))
        XCTAssertEqual(Set(try Self.records(in: path("results/srun")).compactMap(\.rank)), [0, 1], "both ranks trained")
    }
}
