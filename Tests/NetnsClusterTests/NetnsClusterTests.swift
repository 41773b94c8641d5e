import Foundation
import TestSupport
import XCTest

/// Cluster mode on one machine, for real: three hosts with their own network stacks
/// (`scripts/netns-cluster.sh`), `mpirun` launching onto them through the rsh agent from a
/// hostfile, MPI traffic over TCP between them. Skipped where `ip netns` is not permitted or
/// Open MPI is missing. Hosts come up in setUp and always go down in tearDown.
final class NetnsClusterTests: XCTestCase {
    private var cluster: NetnsCluster?
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("netns-tests-\(UUID().uuidString)")
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

    private func mpirun(_ arguments: [String]) throws -> Command.Running {
        try Command.Running("mpirun", try cluster!.mpirunFlags() + arguments, in: scratch)
    }

    /// Each host has its own UTS name, so each rank reports the host it really runs on.
    func testHostnameRunsOnThreeDistinctHosts() throws {
        let run = try mpirun(["-np", "3", "hostname"])
        XCTAssertTrue(run.wait(upTo: 60) { !run.process.isRunning }, "mpirun hostname did not finish")
        run.kill()
        let result = run.result()
        XCTAssertEqual(result.status, 0, result.stderr)
        let names = result.stdout.split(separator: "\n").map(String.init).sorted()
        XCTAssertEqual(names, (1...3).map(NetnsCluster.hostName))
    }

    /// 8 round trips of 1 MiB between rank 0 and each other rank, every element checked, and
    /// each host's own link carried at least its share: the bytes crossed TCP between hosts.
    func testPingPongCrossesTCPBetweenHosts() throws {
        let binary = try MPIPrograms.compile(MPIPrograms.pingPong, named: "pingpong", in: scratch)
        let before = try (1...3).map { try cluster!.bytesSent(byHost: $0) }
        let run = try mpirun(["-np", "3", binary])
        XCTAssertTrue(run.wait(upTo: 60) { !run.process.isRunning }, "ping-pong did not finish")
        run.kill()
        let result = run.result()
        XCTAssertEqual(result.status, 0, result.stderr)
        for rank in 0..<3 {
            XCTAssertTrue(result.stdout.contains("rank \(rank) on \(NetnsCluster.hostName(rank + 1))\n"), result.stdout)
        }
        XCTAssertTrue(result.stdout.contains("pingpong ok: 8 rounds x 2 peers x 1048576 bytes, 0 mismatches"), result.stdout)
        let echoedBytes = 8 * 1_048_576
        for host in 1...3 {
            let sent = try cluster!.bytesSent(byHost: host) - before[host - 1]
            // Host 1 (rank 0) sends to both peers; hosts 2 and 3 each echo 8 MiB back.
            XCTAssertGreaterThanOrEqual(sent, host == 1 ? 2 * echoedBytes : echoedBytes, "host \(host) link")
        }
    }

    /// A host dies mid-run the hard way: its link goes silent and its processes freeze, so no
    /// connection is ever closed. Without the keepalive flags mpirun waits for ever (measured:
    /// still hung after 10 minutes); with them it must give up on its own, name the lost host
    /// and exit non-zero. The bound is generous: detection takes about 6 s here.
    func testDeadHostEndsMpirunWithinBoundedTime() throws {
        let binary = try MPIPrograms.compile(MPIPrograms.heartbeat, named: "heartbeat", in: scratch)
        let run = try mpirun(["-np", "3", binary, "600"])
        defer { run.kill() }
        XCTAssertTrue(run.wait(upTo: 60) { run.stdout.contains("ready 3 ranks") }, "ranks never got ready: \(run.stderr)")
        try cluster!.cut(host: 3)
        let cutAt = Date()
        let ended = run.wait(upTo: 45) { !run.process.isRunning }
        let seconds = Date().timeIntervalSince(cutAt)
        // On a hang, what mpirun said and the state of its TCP connections to the dead host
        // (a send still unacknowledged there waits for retransmission timeouts, not keepalive).
        let sockets = ended ? "" : ((try? Command.run("ss", ["-tnoi", "dst", "10.213.\(NetnsCluster.net).13"]).stdout) ?? "")
        XCTAssertTrue(ended, "mpirun still running \(Int(seconds)) s after host 3 died; stderr:\n\(run.stderr)\nsockets:\n\(sockets)")
        guard ended else { return }
        XCTAssertNotEqual(run.process.terminationStatus, 0)
        XCTAssertTrue(run.stderr.contains("lost communication with a remote daemon"), run.stderr)
        XCTAssertTrue(run.stderr.contains("on node \(NetnsCluster.hostName(3))"), run.stderr)
        print("NetnsClusterTests: mpirun ended \(String(format: "%.1f", seconds)) s after host 3 was cut")
    }

    /// A host that is unreachable when the job starts fails the launch at once instead of
    /// leaving mpirun waiting for a daemon that never calls back (orte_leave_session_attached).
    func testUnreachableHostFailsLaunch() throws {
        try cluster!.cut(host: 2)
        let run = try mpirun(["-np", "3", "hostname"])
        defer { run.kill() }
        let ended = run.wait(upTo: 45) { !run.process.isRunning }
        XCTAssertTrue(ended, "mpirun hung launching onto an unreachable host")
        guard ended else { return }
        XCTAssertNotEqual(run.process.terminationStatus, 0)
        XCTAssertTrue(run.stderr.contains("unable to reliably start one or more daemons"), run.stderr)
    }

    /// A host can be made to lack a folder the others share (a node without the shared
    /// filesystem): every command launched there finds it empty, the other hosts do not.
    func testHiddenFolderIsEmptyOnlyOnThatHost() throws {
        let shared = scratch.appendingPathComponent("shared")
        try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true)
        try "corpus".write(to: shared.appendingPathComponent("input.txt"), atomically: true, encoding: .utf8)
        try cluster!.hide(shared.path, fromHost: 3)
        let run = try mpirun(["-np", "3", "sh", "-c", "echo $(hostname) $(ls \(shared.path) | wc -l)"])
        XCTAssertTrue(run.wait(upTo: 60) { !run.process.isRunning }, "mpirun did not finish")
        run.kill()
        let result = run.result()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.split(separator: "\n").map(String.init).sorted(),
                       ["\(NetnsCluster.hostName(1)) 1", "\(NetnsCluster.hostName(2)) 1", "\(NetnsCluster.hostName(3)) 0"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: shared.appendingPathComponent("input.txt").path),
                      "hiding is per host: the launching machine still sees the folder")
    }

    /// The agent parses ssh-style options and `user@` as ssh does, runs on the host named, and
    /// refuses anything that is not one of the test hosts: no traffic beyond them.
    func testAgentRunsOnlyOnTestHosts() throws {
        let agent = cluster!.state + "/rsh-agent"
        let byAddress = try Command.run(agent, ["-x", "-p", "22", "-oBatchMode=yes", "root@10.213.\(NetnsCluster.net).12", "hostname;", "ip", "-o", "-4", "addr", "show", "eth0"])
        XCTAssertEqual(byAddress.status, 0, byAddress.stderr)
        XCTAssertTrue(byAddress.stdout.hasPrefix(NetnsCluster.hostName(2) + "\n"), byAddress.stdout)
        XCTAssertTrue(byAddress.stdout.contains("inet 10.213.\(NetnsCluster.net).12/24"), byAddress.stdout)
        for outsider in ["192.0.2.2", "localhost", "lmsweep\(NetnsCluster.net)-node9", "10.213.\(NetnsCluster.net).1"] {
            let refused = try Command.run(agent, [outsider, "true"])
            XCTAssertEqual(refused.status, 255, "agent accepted \(outsider)")
        }
    }
}
