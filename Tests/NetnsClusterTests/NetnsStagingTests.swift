import Foundation
import TestSupport
import XCTest

/// Issue 7, data on hosts that do not have it: host 3 sees the data folder as empty (a node
/// without the shared filesystem). With `--stage-data` its rank receives Tiny Shakespeare from
/// rank 0 over TCP and the sweep completes; without it, the sweep stops at start-up naming the host.
final class NetnsStagingTests: XCTestCase {
    private var cluster: NetnsCluster?
    private var scratch: URL!
    private var dataDirectory = ""

    override func setUpWithError() throws {
        // The staged file is checked against its published SHA-256: a generated corpus cannot pass.
        dataDirectory = try TestData.requirePublished("staging checks each file against its published SHA-256")
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("netns-staging-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        cluster = try NetnsCluster(hostCount: 3)
        try cluster!.hide(dataDirectory, fromHost: 3)
    }

    override func tearDownWithError() throws {
        if let cluster {
            let leftovers = try cluster.down()
            XCTAssertEqual(leftovers, [], "netns-cluster.sh down left these behind")
        }
        cluster = nil
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    /// sweeps/smoke.yaml on three hosts, `extra` flags for every rank.
    private func clusterRun(out: String, _ extra: [String]) throws -> Command.Result {
        let spec = NetnsCluster.repository.appendingPathComponent("sweeps/smoke.yaml").path
        let run = try Command.Running("mpirun", try cluster!.mpirunFlags() + ["-np", "3", NetnsSweepTests.lmsweep, "run", spec,
                                                                           "--out", out, "--data-dir", dataDirectory] + extra,
                                      in: scratch)
        XCTAssertTrue(run.wait(upTo: 90) { !run.process.isRunning }, "mpirun still running after 90 s")
        run.kill()
        return run.result()
    }

    private func records(_ out: String) -> [[String: Any]] {
        let text = (try? String(contentsOfFile: out + "/journal.jsonl", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func testHostWithoutDataReceivesItWithStageDataAndTheSweepCompletes() throws {
        let out = scratch.appendingPathComponent("staged").path
        let result = try clusterRun(out: out, ["--stage-data"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let host3 = NetnsCluster.hostName(3)
        XCTAssertTrue(result.stderr.contains("rank 2 on \(host3): staged tinyshakespeare/input.txt from rank 0"), result.stderr)
        let stagingLines = result.stderr.split(separator: "\n").filter { $0.contains(": staged ") || $0.contains("rank 0: sent") }
        for line in stagingLines { print("NetnsStagingTests: \(line)") }
        // The private staging folder (on /tmp, which the test hosts share with this machine) is gone at exit.
        let folder = stagingLines.compactMap { line -> String? in
            guard let into = line.range(of: " into ") else { return nil }
            return line[into.upperBound...].split(separator: " ").first.map(String.init)
        }.first
        XCTAssertNotNil(folder, result.stderr)
        if let folder {
            XCTAssertTrue(folder.contains("lmsweep-staged-"), folder)
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder), "\(folder) left behind")
        }
        let entries = records(out)
        let ids = entries.compactMap { $0["id"] as? String }
        XCTAssertEqual(ids.count, 12, "every job of smoke.yaml")
        XCTAssertEqual(Set(ids).count, 12, "each once")
        XCTAssertEqual(entries.filter { $0["status"] as? String == "ok" }.count, 12)
        XCTAssertTrue(entries.contains { $0["host"] as? String == host3 }, "host 3 trained from its staged copy")
    }

    func testHostWithoutDataStopsTheSweepAtStartUpNamingTheHost() throws {
        let out = scratch.appendingPathComponent("unstaged").path
        let result = try clusterRun(out: out, [])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("rank 2 on \(NetnsCluster.hostName(3)): "), result.stderr)
        XCTAssertTrue(result.stderr.contains("tinyshakespeare/input.txt: no such file"), result.stderr)
        XCTAssertFalse(result.stderr.contains("rank 1 on "), "only host 3 lacks the data: \(result.stderr)")
        XCTAssertEqual(records(out).count, 0, "nothing trained")
    }
}
