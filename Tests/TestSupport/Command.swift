import Foundation

/// Runs a program as a subprocess, its output captured through files (pipes can fill and block
/// a chatty `mpirun` while we wait for it).
public struct Command {
    public struct Result {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    public static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"] {
            let candidate = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs to completion.
    public static func run(_ program: String, _ arguments: [String], in directory: URL? = nil) throws -> Result {
        let running = try Running(program, arguments, in: directory)
        running.process.waitUntilExit()
        return running.result()
    }

    /// A started subprocess whose output can be read while it runs.
    public final class Running {
        public let process = Process()
        public let stdoutURL: URL
        public let stderrURL: URL

        public init(_ program: String, _ arguments: [String], in directory: URL? = nil) throws {
            let scratch = FileManager.default.temporaryDirectory
                .appendingPathComponent("lmsweep-cmd-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            stdoutURL = scratch.appendingPathComponent("stdout")
            stderrURL = scratch.appendingPathComponent("stderr")
            FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
            FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: program.hasPrefix("/") ? program : (Command.which(program) ?? program))
            process.arguments = arguments
            if let directory { process.currentDirectoryURL = directory }
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
            process.standardError = try FileHandle(forWritingTo: stderrURL)
            try process.run()
        }

        public var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
        public var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

        /// Polls until `condition` holds or `seconds` pass; returns whether it held.
        public func wait(upTo seconds: Double, until condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if condition() { return true }
                usleep(50_000)
            }
            return condition()
        }

        /// SIGKILL, not SIGTERM: a hung mpirun waits on its dead daemon even after SIGTERM.
        public func kill() {
            if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }

        public func result() -> Result {
            Result(status: process.terminationStatus, stdout: stdout, stderr: stderr)
        }

        deinit {
            try? FileManager.default.removeItem(at: stdoutURL.deletingLastPathComponent())
        }
    }
}
