import Foundation
import Sweep
import Training
import TestSupport
import XCTest

/// `status`, `plan --show`, `sample`, `eval` of a sweep folder and the end of `run`, through
/// the binary as a user types them.
final class ResultsCommandTests: XCTestCase {
    private func folder(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "lmsweep-results-\(name)-\(UUID().uuidString.prefix(8))"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private func writeSpec(_ text: String, name: String) throws -> String {
        let path = folder(name) + ".yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Two linear runs and two MLPs of a second or so, keeping the best of each's weights.
    private let quickSpec = """
    name: quick
    base: {dataset: \(TestData.tinyShakespeare), d_model: 16, hidden_width: 32, depth: 1, context: 8, epochs: 1,
           windows_per_epoch: 2048, batch_size: 32, eval_windows: 200, save_weights: best}
    axes:
      arch: [linear, mlp]
      seed: [0, 1]
    """

    func testStatusOfAFinishedSweepComesFromTheJournalAndRunEndsWithTheBestPerArchitecture() throws {
        let spec = try writeSpec(quickSpec, name: "quick-spec")
        let out = folder("quick")
        let run = try SweepBinary.run(["run", spec, "--out", out, "-q"] + TestData.dataArguments)
        XCTAssertEqual(run.status, 0, run.stderr)
        let records = try Journal.load(path: Journal.journalPath(in: out)).map(\.record)
        XCTAssertEqual(records.count, 4)
        for arch in ["linear", "mlp"] {
            let best = records.filter { $0.config.arch.rawValue == arch }.min { $0.testNLL! < $1.testNLL! }!
            let lines = run.stdout.split(separator: "\n").filter { $0.hasPrefix("best \(TestData.tinyShakespeareReportName) \(arch): ") }
            XCTAssertEqual(lines.count, 1, run.stdout)
            XCTAssertTrue(lines.first?.contains(best.id) ?? false, "\(lines) names \(best.id)")
            XCTAssertTrue(lines.first?.contains(String(format: "test NLL %.4f", best.testNLL!)) ?? false)
        }
        // save_weights: best keeps the best run of each architecture only.
        let kept = SavedWeights.runs(in: out)
        XCTAssertEqual(kept.count, 2)
        for arch in RunConfig.Architecture.allCases where arch == .linear || arch == .mlp {
            let best = records.filter { $0.config.arch == arch }.min { $0.testNLL! < $1.testNLL! }!
            XCTAssertTrue(kept.contains(best.id), "\(arch)'s best \(best.id) kept in \(kept)")
        }

        // The status file says finished; without it the journal and the spec say the same.
        let status = try XCTUnwrap(SweepStatus.read(from: out))
        XCTAssertEqual(status.state, .finished)
        XCTAssertEqual(status.doneJobs, 4)
        try FileManager.default.removeItem(atPath: out + "/" + SweepStatus.fileName)
        let shown = try SweepBinary.run(["status", out] + TestData.dataArguments)
        XCTAssertEqual(shown.status, 0, shown.stderr)
        let lines = shown.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "sweep quick (\(out)): finished")
        XCTAssertEqual(lines.dropFirst().first, "jobs: 4 total, 4 done, 0 running, 0 pending")
        let best = records.min { $0.testNLL! < $1.testNLL! }!
        XCTAssertTrue(lines.contains { $0.hasPrefix("best so far: \(best.id) ") }, shown.stdout)

        let watched = try SweepBinary.run(["status", out, "--watch", "--interval", "60"] + TestData.dataArguments)
        XCTAssertEqual(watched.stdout, shown.stdout, "--watch of a finished sweep prints once and ends")

        let missing = try SweepBinary.run(["status", out + "/nowhere"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("\(out)/nowhere: not a sweep folder"), missing.stderr)

        // eval and sample take the folder and a run id (a prefix), and find the saved weights.
        let id = kept[0]
        let eval = try SweepBinary.run(["eval", "--weights", out, "--run", String(id.prefix(6))] + TestData.dataArguments)
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let evaluated = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any]
        let record = try XCTUnwrap(records.first { $0.id == id })
        XCTAssertEqual(evaluated?["test_nll"] as? Double ?? .nan, record.testNLL!, accuracy: 1e-9, "the saved weights are the tested ones")
        let sample = try SweepBinary.run(["sample", "--weights", out, "--run", id, "--tokens", "20"] + TestData.dataArguments)
        XCTAssertEqual(sample.status, 0, sample.stderr)
        let noRun = try SweepBinary.run(["sample", "--weights", out] + TestData.dataArguments)
        XCTAssertEqual(noRun.status, 1)
        XCTAssertTrue(noRun.stderr.contains("is a folder: name a run with --run ID (saved: \(kept.joined(separator: ", ")))"), noRun.stderr)
    }

    /// A sweep in flight, seen from another process: its rank's job, progress and heartbeat;
    /// killed, it reads as stopped, from the journal and the status file it left.
    func testStatusOfARunningSweepShowsEachRanksJobThenStoppedOnceKilled() throws {
        let spec = try writeSpec("""
        name: long
        base: {dataset: \(TestData.tinyShakespeare), arch: transformer, d_model: 32, heads: 2, depth: 2, context: 32, epochs: 1,
               windows_per_epoch: 2000000, batch_size: 32, eval_windows: 200}
        """, name: "long-spec")
        let out = folder("long")
        let (process, _, stderr) = try SweepBinary.start(["run", spec, "--out", out] + TestData.dataArguments)
        defer { if process.isRunning { SweepBinary.killTree(process.processIdentifier) } }
        let job = try Grid.expand(SweepSpec.load(path: spec), data: TestData.location).jobs[0]
        var seen = ""
        // Until the trainer has made some progress (the status file is rewritten once a second).
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning {
            let shown = try SweepBinary.run(["status", out])
            seen = shown.stdout
            if let line = seen.split(separator: "\n").first(where: { $0.hasPrefix("rank 0: ") }),
               !line.contains(": 0 steps") { break }
            Thread.sleep(forTimeInterval: 0.3)
        }
        let lines = seen.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.hasPrefix("sweep long (\(out)): running, run (pid ") ?? false,
                      "\(seen)\n\((try? String(contentsOfFile: stderr, encoding: .utf8)) ?? "")")
        XCTAssertEqual(lines.dropFirst().first, "jobs: 1 total, 0 done, 1 running, 0 pending")
        let rank = try XCTUnwrap(lines.first { $0.hasPrefix("rank 0: \(job.id) \(job.summary): ") }, seen)
        XCTAssertTrue(rank.contains("planned steps), running ") && rank.contains("last heartbeat"), rank)
        XCTAssertTrue(lines.contains { $0.hasPrefix("progress: ") && $0.contains("ETA") }, seen)

        SweepBinary.killTree(process.processIdentifier)
        process.waitUntilExit()
        let after = try SweepBinary.run(["status", out] + TestData.dataArguments)
        XCTAssertEqual(after.status, 0, after.stderr)
        XCTAssertTrue(after.stdout.hasPrefix("sweep long (\(out)): stopped (no process holds the folder"), after.stdout)
        XCTAssertTrue(after.stdout.contains("jobs: 1 total, 0 done, 0 running, 1 pending"), after.stdout)
    }

    func testPlanShowPrintsOneJobsResolvedConfigByIDPrefix() throws {
        let spec = SweepBinary.repository + "/sweeps/smoke.yaml"
        let jobs = try Grid.expand(SweepSpec.load(path: spec)).jobs
        let job = try XCTUnwrap(jobs.first { $0.config.arch == .transformer })
        // The shortest prefix no other job shares.
        let prefix = try XCTUnwrap((4...16).map { String(job.id.prefix($0)) }.first { p in jobs.filter { $0.id.hasPrefix(p) }.count == 1 })
        let shown = try SweepBinary.run(["plan", spec, "--show", prefix])
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertTrue(shown.stdout.hasPrefix("job \(job.id): \(job.summary)"), shown.stdout)
        let json = try XCTUnwrap(shown.stdout.range(of: "{").map { String(shown.stdout[$0.lowerBound...]) })
        let config = try JSONDecoder().decode(RunConfig.self, from: Data(json.utf8))
        XCTAssertEqual(config, job.config, "the resolved config, every default decided")
        XCTAssertEqual(config.heads, 2)
        XCTAssertEqual(config.norm, .post, "a default the spec never wrote")

        let unknown = try SweepBinary.run(["plan", spec, "--show", "ffffffffffffffff"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("no job of \(spec) has an id starting with 'ffffffffffffffff'"), unknown.stderr)
        let notHex = try SweepBinary.run(["plan", spec, "--show", "zz"])
        XCTAssertNotEqual(notHex.status, 0)
        XCTAssertTrue(notHex.stderr.contains("--show: 'zz' is not a job id"), notHex.stderr)
        let shared = try XCTUnwrap(Dictionary(grouping: jobs) { $0.id.prefix(1) }.first { $0.value.count > 1 })
        let ambiguous = try SweepBinary.run(["plan", spec, "--show", String(shared.key)])
        XCTAssertEqual(ambiguous.status, 1)
        XCTAssertTrue(ambiguous.stderr.contains("\(shared.value.count) jobs of \(spec) have ids starting with '\(shared.key)'"), ambiguous.stderr)
    }

    func testSampleIsDeterministicAndGreedyWhetherByTemperatureOrTopK() throws {
        let weights = folder("weights") + ".safetensors"
        let dataset = TestData.tinyShakespeare.replacingOccurrences(of: "\"", with: "")
        let train = try SweepBinary.run(["train", "--set", "dataset=\(dataset)", "--arch", "transformer", "--context", "16", "--depth", "1", "--max-steps", "40",
                                         "--set", "d_model=32", "--set", "heads=2", "--set", "eval_windows=200",
                                         "--save-weights", weights] + TestData.dataArguments)
        XCTAssertEqual(train.status, 0, train.stderr)
        func sample(_ options: [String]) throws -> String {
            let result = try SweepBinary.run(["sample", "--weights", weights, "--prompt", "to be", "--tokens", "60"] + options
                                             + TestData.dataArguments)
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.hasPrefix("to be"), result.stdout)
            return result.stdout
        }
        let seeded = try sample(["--seed", "7", "--temperature", "1"])
        XCTAssertEqual(try sample(["--seed", "7", "--temperature", "1"]), seeded, "same seed, same text")
        XCTAssertNotEqual(try sample(["--seed", "8", "--temperature", "1"]), seeded, "another seed, another draw")
        XCTAssertEqual(seeded.count, "to be".count + 60 + 1, "60 characters and a line end")
        let greedy = try sample(["--temperature", "0"])
        XCTAssertEqual(try sample(["--temperature", "1", "--top-k", "1", "--seed", "3"]), greedy, "top-k 1 is the argmax")
        XCTAssertEqual(try sample(["--temperature", "0.0001", "--seed", "3"]), greedy, "temperature → 0 is the argmax")

        let bad = try SweepBinary.run(["sample", "--weights", weights, "--prompt", "to be → not"] + TestData.dataArguments)
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("--prompt: character 7, '→' (U+2192), is not in the vocabulary of "), bad.stderr)
        let negative = try SweepBinary.run(["sample", "--weights", weights, "--temperature=-1"])
        XCTAssertNotEqual(negative.status, 0)
        XCTAssertTrue(negative.stderr.contains("--temperature must be a number ≥ 0 (got -1.0)"), negative.stderr)
    }
}
