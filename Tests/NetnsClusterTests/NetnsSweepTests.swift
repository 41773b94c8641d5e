import Foundation
import TestSupport
import XCTest

/// The real `lmsweep run` across three namespace hosts, launched as a user would on a cluster:
/// a hostfile, the rsh agent, TCP between hosts, datasets named on the command line (the agent
/// passes no environment, like ssh). Results are compared with a single-process run through
/// `lmsweep merge`, which collapses identical records and reports any two that differ.
final class NetnsSweepTests: XCTestCase {
    private var cluster: NetnsCluster?
    private var scratch: URL!

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.lmsweep) else {
            XCTFail("no lmsweep binary at \(Self.lmsweep): scripts/test.sh builds it")
            throw CocoaError(.fileNoSuchFile)
        }
        dataDirectory = TestData.tinyShakespeareRoot
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("netns-sweep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        cluster = try NetnsCluster(hostCount: 3)
    }

    override func tearDownWithError() throws {
        if let cluster {
            let leftovers = try cluster.down()
            XCTAssertEqual(leftovers, [], "netns-cluster.sh down left these behind")
        }
        cluster = nil
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    private var dataDirectory = ""

    /// `lmsweep` beside the running test bundle (TestSupport's rule).
    static var lmsweep: String { SweepBinary.executable }

    // MARK: running

    private func singleProcessRun(_ spec: String, out: String) throws {
        let result = try Command.run(Self.lmsweep, ["run", spec, "--out", out, "--data-dir", dataDirectory], in: scratch)
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    /// `mpirun` of `lmsweep run` on the hosts of `hostfile`, one rank per host.
    private func clusterRun(_ spec: String, out: String, hostfile: String? = nil, ranks: Int = 3) throws -> Command.Running {
        var flags = try cluster!.mpirunFlags()
        if let hostfile, let index = flags.firstIndex(of: "--hostfile") { flags[index + 1] = hostfile }
        return try Command.Running("mpirun", flags + NetnsCluster.numericEnvironmentFlags + ["-np", "\(ranks)", Self.lmsweep, "run", spec, "--out", out,
                                                      "--data-dir", dataDirectory], in: scratch)
    }

    private func finish(_ run: Command.Running, within seconds: Double = 90) -> Command.Result {
        let ended = run.wait(upTo: seconds) { !run.process.isRunning }
        XCTAssertTrue(ended, "mpirun still running after \(Int(seconds)) s")
        run.kill()
        return run.result()
    }

    /// The journal's records (every line that parses) with their exact text.
    private func journal(_ out: String) throws -> [(line: String, record: [String: Any])] {
        let text = (try? String(contentsOfFile: out + "/journal.jsonl", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let record = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return (String(line), record)
        }
    }

    /// `lmsweep merge` of the two folders collapses into `count` runs with no conflict and no
    /// numeric variant: every record of `out` has the same results (RunRecord.sameResult) as
    /// the reference's.
    private func assertSameResults(_ out: String, as reference: String, runs count: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let merged = scratch.appendingPathComponent("merged-\(UUID().uuidString.prefix(8))").path
        let result = try Command.run(Self.lmsweep, ["merge", reference, out, "-o", merged], in: scratch)
        XCTAssertEqual(result.status, 0, "records differ from the single-process run: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stdout.contains("into \(count) runs\n"), "no numeric variants: \(result.stdout)\n\(result.stderr)",
                      file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: merged + "/variants.jsonl"), file: file, line: line)
    }

    /// Every record's numerics fingerprint, by run id.
    private func fingerprints(_ entries: [(line: String, record: [String: Any])]) -> [String] {
        entries.map { ($0.record["numerics"] as? [String: Any])?["fingerprint"] as? String ?? "none" }
    }

    private func assertEachRecordNamesItsHost(_ entries: [(line: String, record: [String: Any])], file: StaticString = #filePath, line: UInt = #line) {
        for (_, record) in entries {
            let rank = record["rank"] as? Int ?? -1
            // slots=1 per host, ranks mapped by slot in hostfile order: rank r runs on host r+1.
            XCTAssertEqual(record["host"] as? String, NetnsCluster.hostName(rank + 1), "run \(record["id"] ?? "?")", file: file, line: line)
        }
    }

    // MARK: tests

    /// sweeps/smoke.yaml on three hosts: every job once, every record naming the host whose
    /// rank ran it, all three hosts used, results identical to one process.
    func testSmokeSweepAcrossThreeHostsEqualsSingleProcessRun() throws {
        let spec = TestData.spec(NetnsCluster.repository.appendingPathComponent("sweeps/smoke.yaml").path)
        let reference = scratch.appendingPathComponent("single").path
        try singleProcessRun(spec, out: reference)
        let expected = try journal(reference).count
        XCTAssertGreaterThan(expected, 0)

        let out = scratch.appendingPathComponent("cluster").path
        let result = finish(try clusterRun(spec, out: out))
        XCTAssertEqual(result.status, 0, result.stderr)
        let entries = try journal(out)
        XCTAssertEqual(entries.count, expected, "every job exactly once")
        XCTAssertEqual(Set(entries.compactMap { $0.record["id"] as? String }).count, expected)
        assertEachRecordNamesItsHost(entries)
        XCTAssertEqual(Set(entries.compactMap { $0.record["host"] as? String }), Set((1...3).map(NetnsCluster.hostName)))
        try assertSameResults(out, as: reference, runs: expected)
        let local = try journal(reference)
        XCTAssertEqual(Set(fingerprints(entries)), Set(fingerprints(local)), "one numerics fingerprint on every host")
        XCTAssertEqual(Set(fingerprints(local)).count, 1)
        XCTAssertTrue(result.stderr.contains("numerics: fingerprint \(fingerprints(local)[0]) on every rank"), result.stderr)
    }

    /// `lmsweep numerics` twice here and once on each of three hosts, with the OPENBLAS_*
    /// environment forwarded: one fingerprint everywhere, and the facts name each host's
    /// kernels identically.
    func testNumericsFingerprintIsTheSameInEveryProcessAndOnEveryHost() throws {
        func line(_ text: String) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
        }
        let here = try (0..<2).map { _ in try Command.run(Self.lmsweep, ["numerics", "--json"]) }
        for result in here { XCTAssertEqual(result.status, 0, result.stderr) }
        let local = try here.map { try line($0.stdout) }
        let localNumerics = local.map { $0["numerics"] as? [String: Any] ?? [:] }
        let fingerprint = localNumerics[0]["fingerprint"] as? String ?? ""
        XCTAssertEqual(fingerprint.count, 16, "16 hex digits")
        XCTAssertEqual(localNumerics[1]["fingerprint"] as? String, fingerprint, "two processes, one fingerprint")

        let run = try Command.Running("mpirun", try cluster!.mpirunFlags() + NetnsCluster.numericEnvironmentFlags
                                      + ["-np", "3", Self.lmsweep, "numerics", "--json"], in: scratch)
        let result = finish(run)
        XCTAssertEqual(result.status, 0, result.stderr)
        let ranks = try result.stdout.split(separator: "\n").map { try line(String($0)) }
        XCTAssertEqual(Set(ranks.compactMap { $0["host"] as? String }), Set((1...3).map(NetnsCluster.hostName)))
        for rank in ranks {
            let numerics = rank["numerics"] as? [String: Any] ?? [:]
            XCTAssertEqual(numerics["fingerprint"] as? String, fingerprint, "rank \(rank["rank"] ?? "?") on \(rank["host"] ?? "?")")
            XCTAssertEqual(numerics["blas_core"] as? String, localNumerics[0]["blas_core"] as? String)
            XCTAssertEqual(numerics["build_id"] as? String, localNumerics[0]["build_id"] as? String)
        }
    }

    /// A host dies mid-sweep (link silent, processes frozen): mpirun ends on its own, the journal
    /// keeps every finished record, and the same command on the two surviving hosts completes
    /// the sweep with every job exactly once and no finished record changed. (That records match
    /// a single-process run is the smoke test's job; a reference run here would double the time.)
    func testHostDyingMidSweepEndsMpirunAndResumeOnSurvivorsCompletesOnce() throws {
        let spec = scratch.appendingPathComponent("dead-host.yaml").path
        // 24 jobs (smoke.yaml's grid with seeds 0 and 1), ~24 s of work here, so that resume has
        // real work left. Host 3 is cut at the first record, while its rank holds a job: that
        // job can only be finished by the resume.
        try """
            name: netns-dead-host
            base: {dataset: \(TestData.tinyShakespeare), d_model: 32, heads: 2, ffn_width: 64, hidden_width: 64,
                   epochs: 1, windows_per_epoch: 49152, batch_size: 32, eval_windows: 500}
            axes:
              arch: [linear, mlp, attention, transformer]
              context: [16, 32]
              depth: [1, 2]
              seed: [0, 1]

            """.write(toFile: spec, atomically: true, encoding: .utf8)
        // Linear and attention have no depth axis: 4 + 8 + 4 + 8 jobs.
        let total = 24

        let out = scratch.appendingPathComponent("cluster").path
        let run = try clusterRun(spec, out: out)
        defer { run.kill() }
        XCTAssertTrue(run.wait(upTo: 60) { (try? self.journal(out).count) ?? 0 >= 1 }, "no records: \(run.stderr)")
        try cluster!.cut(host: 3)
        let cutAt = Date()
        let ended = run.wait(upTo: 45) { !run.process.isRunning }
        XCTAssertTrue(ended, "mpirun still running \(Int(Date().timeIntervalSince(cutAt))) s after host 3 died")
        guard ended else { return }
        print("NetnsSweepTests: mpirun ended \(String(format: "%.1f", Date().timeIntervalSince(cutAt))) s after host 3 was cut")
        XCTAssertNotEqual(run.process.terminationStatus, 0)
        XCTAssertTrue(run.stderr.contains(NetnsCluster.hostName(3)), run.stderr)

        let finished = try journal(out)
        print("NetnsSweepTests: \(finished.count) of \(total) runs journaled before mpirun ended")
        XCTAssertGreaterThanOrEqual(finished.count, 1)
        XCTAssertLessThan(finished.count, total, "host 3 died mid-sweep")
        assertEachRecordNamesItsHost(finished)

        let survivors = scratch.appendingPathComponent("survivors").path
        try "\(NetnsCluster.hostName(1)) slots=1\n\(NetnsCluster.hostName(2)) slots=1\n"
            .write(toFile: survivors, atomically: true, encoding: .utf8)
        let resumed = finish(try clusterRun(spec, out: out, hostfile: survivors, ranks: 2))
        XCTAssertEqual(resumed.status, 0, resumed.stderr)

        let complete = try journal(out)
        let ids = complete.compactMap { $0.record["id"] as? String }
        XCTAssertEqual(ids.count, total, "every job exactly once")
        XCTAssertEqual(Set(ids).count, total)
        let lines = Set(complete.map(\.line))
        for entry in finished {
            XCTAssertTrue(lines.contains(entry.line), "finished record changed: \(entry.record["id"] ?? "?")")
        }
        let resumedHosts = Set(complete.dropFirst(finished.count).compactMap { $0.record["host"] as? String })
        XCTAssertTrue(resumedHosts.isSubset(of: [NetnsCluster.hostName(1), NetnsCluster.hostName(2)]), "\(resumedHosts)")
        assertEachRecordNamesItsHost(complete)
        XCTAssertEqual(complete.filter { $0.record["status"] as? String == "ok" }.count, total)
    }
}
