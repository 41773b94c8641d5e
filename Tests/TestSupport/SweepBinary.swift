import Foundation
import XCTest

/// Runs the built `lmsweep` binary (next to the test bundle in the build folder), alone or
/// under a real `mpirun`, the way a user would.
public enum SweepBinary {
    /// The repository root (this file is Tests/ClusterTests/SweepBinary.swift).
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// `lmsweep` in the same build folder as the running test bundle.
    public static var executable: String {
        let testBinary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var folder = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        // The bundle may be a directory (Foo.xctest/...) or a single executable.
        while !folder.path.hasSuffix(".build") && folder.path != "/" {
            let candidate = folder.appendingPathComponent("lmsweep").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder.deleteLastPathComponent()
        }
        return (repository as NSString).appendingPathComponent(".build/release/lmsweep")
    }

    public static var mpirun: String? {
        ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public struct Result {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        public init(status: Int32, stdout: String, stderr: String) { self.status = status; self.stdout = stdout; self.stderr = stderr }
    }

    /// The child's environment: never inherited MPI rank variables (a world of one must not
    /// think it is a rank), and Open MPI's permission to run as root in CI containers.
    public static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OMPI_COMM_WORLD") && !$0.key.hasPrefix("PMIX_") }
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        return environment
    }

    /// Starts `lmsweep ARGS` (under `mpirun -np ranks` plus `mpiOptions` when `ranks` > 0);
    /// its stdout and stderr go to files, so a chatty child can never block on a full pipe.
    /// `extraEnvironment` is set for the child alone (never in this process).
    public static func start(_ arguments: [String], ranks: Int = 0, mpiOptions: [String] = [],
                             extraEnvironment: [String: String] = [:]) throws -> (process: Process, stdout: String, stderr: String) {
        let process = Process()
        if ranks > 0 {
            guard let mpirun else {
                XCTFail("mpirun is not installed: scripts/setup.sh installs Open MPI")
                throw CocoaError(.fileNoSuchFile)
            }
            process.executableURL = URL(fileURLWithPath: mpirun)
            process.arguments = ["-np", "\(ranks)"] + mpiOptions + [executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        process.environment = environment.merging(extraEnvironment) { _, extra in extra }
        process.currentDirectoryURL = URL(fileURLWithPath: repository)
        let base = NSTemporaryDirectory() + "lmsweep-child-\(UUID().uuidString.prefix(8))"
        let stdout = base + ".out", stderr = base + ".err"
        _ = FileManager.default.createFile(atPath: stdout, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderr))
        try process.run()
        return (process, stdout, stderr)
    }

    public static func run(_ arguments: [String], ranks: Int = 0, mpiOptions: [String] = [], timeout: Double = 120,
                           extraEnvironment: [String: String] = [:]) throws -> Result {
        let (process, stdout, stderr) = try start(arguments, ranks: ranks, mpiOptions: mpiOptions, extraEnvironment: extraEnvironment)
        // A hang is a failure, not a stuck CI job: every sweep here takes seconds.
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            killTree(process.processIdentifier)
            XCTFail("lmsweep \(arguments.joined(separator: " ")) on \(ranks) ranks did not finish in \(Int(timeout)) s")
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: (try? String(contentsOfFile: stdout, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? "")
    }

    /// SIGKILL a process and every descendant (mpirun and its ranks), by pid, children first:
    /// a machine dying mid-sweep.
    public static func killTree(_ pid: Int32) {
        for child in children(of: pid) { killTree(child) }
        kill(pid, SIGKILL)
    }

    /// The pid of MPI rank `rank` among `pid`'s descendants (by its `OMPI_COMM_WORLD_RANK`).
    public static func rankProcess(_ rank: Int, under pid: Int32) -> Int32? {
        for child in children(of: pid) {
            let environ = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(child)/environ"))) ?? Data()
            let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return child }
            if let found = rankProcess(rank, under: child) { return found }
        }
        return nil
    }

    /// Whether `pid` has exited: gone, or a zombie its parent has not reaped yet.
    public static func hasExited(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    /// `pid`'s resident memory in bytes (`/proc/PID/statm`), 0 once it is gone.
    public static func residentBytes(_ pid: Int32) -> Int {
        let fields = ((try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8)) ?? "").split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }

    /// Children forked by any thread of `pid` (Linux `/proc/PID/task/TID/children`).
    public static func children(of pid: Int32) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task -> [Int32] in
            let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
            return text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
    }
}
