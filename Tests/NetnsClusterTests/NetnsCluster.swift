import Foundation
import TestSupport
import XCTest

/// Test hosts made by `scripts/netns-cluster.sh` on a test-only subnet, driven as a user would:
/// scripts and `mpirun` run as subprocesses, nothing linked in. Only one set of test hosts per
/// machine at a time: an exclusive lock on a file beside the state directory serialises test
/// runs from several worktrees.
final class NetnsCluster {
    /// 10.213.77.0/24: apart from the script's default (net 7) that people use by hand.
    static let net = 77
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let script = repository.appendingPathComponent("scripts/netns-cluster.sh").path

    let hostCount: Int
    let state: String
    private let lockDescriptor: Int32

    static func hostName(_ index: Int) -> String { "lmsweep\(net)-node\(index)" }
    static func rootSideLink(_ index: Int) -> String { "lmsw\(net)-v\(index)" }
    static var subnet: String { "10.213.\(net).0/24" }

    /// Brings up `hostCount` hosts, or throws XCTSkip where this machine cannot run them.
    init(hostCount: Int) throws {
        for tool in ["mpirun", "mpicc", "ip", "unshare"] where Command.which(tool) == nil {
            throw XCTSkip("NetnsClusterTests need `\(tool)` on PATH (Open MPI and iproute2); skipping")
        }
        self.hostCount = hostCount
        state = "/tmp/lmsweep-netns-\(Self.net)"
        lockDescriptor = open("/tmp/lmsweep-netns-\(Self.net).lock", O_CREAT | O_RDWR, 0o644)
        guard lockDescriptor >= 0 else { throw XCTSkip("cannot open the test-host lock file in /tmp; skipping") }
        flock(lockDescriptor, LOCK_EX)
        // A previous run killed mid-test may have left hosts; `down` is idempotent.
        _ = try Command.run(Self.script, ["--net", "\(Self.net)", "down"])
        let up = try Command.run(Self.script, ["--net", "\(Self.net)", "up", "\(hostCount)"])
        if up.status == 3 {
            close(lockDescriptor)
            throw XCTSkip("`ip netns` is not permitted here (needs root or CAP_NET_ADMIN+CAP_SYS_ADMIN): \(up.stderr)")
        }
        guard up.status == 0 else {
            close(lockDescriptor)
            throw ClusterError.upFailed(up.stderr)
        }
    }

    /// Removes the hosts and releases the lock; what is left behind is returned for asserting.
    func down() throws -> [String] {
        defer { close(lockDescriptor) }
        let result = try Command.run(Self.script, ["--net", "\(Self.net)", "down"])
        guard result.status == 0 else { throw ClusterError.downFailed(result.stderr) }
        let namespaces = try Command.run("ip", ["netns", "list"]).stdout
        let links = try Command.run("ip", ["-o", "link", "show"]).stdout
        let leftovers = (namespaces + links).split(separator: "\n").map(String.init)
            .filter { $0.contains("lmsweep\(Self.net)-") || $0.contains("lmsw\(Self.net)-") }
        return leftovers + (FileManager.default.fileExists(atPath: state) ? [state] : [])
    }

    /// The hostfile and the flags `up` wrote for mpirun, plus the root-only flag as root.
    func mpirunFlags() throws -> [String] {
        let flags = try String(contentsOfFile: state + "/mpirun-flags", encoding: .utf8)
            .split(separator: "\n").map(String.init)
        return (getuid() == 0 ? ["--allow-run-as-root"] : []) + ["--hostfile", state + "/hostfile"] + flags
    }

    /// `-x NAME` for every `OPENBLAS_*` variable set in this process, as the launch scripts
    /// pass them: the rsh agent, like ssh, gives remote ranks a clean environment, and a rank
    /// whose OpenBLAS picks other kernels rounds differently.
    static var numericEnvironmentFlags: [String] {
        ProcessInfo.processInfo.environment.keys.filter { $0.hasPrefix("OPENBLAS_") }.sorted().flatMap { ["-x", $0] }
    }

    func cut(host index: Int) throws {
        let result = try Command.run(Self.script, ["--net", "\(Self.net)", "cut", "\(index)"])
        guard result.status == 0 else { throw ClusterError.downFailed(result.stderr) }
    }

    /// Commands launched on host `index` from now on see `path` as an empty folder.
    func hide(_ path: String, fromHost index: Int) throws {
        let result = try Command.run(Self.script, ["--net", "\(Self.net)", "hide", "\(index)", path])
        guard result.status == 0 else { throw ClusterError.hideFailed(result.stderr) }
    }

    /// Bytes the host sent into the bridge (received on the root side of its veth).
    func bytesSent(byHost index: Int) throws -> Int {
        let path = "/sys/class/net/\(Self.rootSideLink(index))/statistics/rx_bytes"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    enum ClusterError: Error { case upFailed(String), downFailed(String), hideFailed(String) }
}
