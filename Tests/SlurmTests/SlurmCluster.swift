import Foundation
import TestSupport
import XCTest

/// A real one-node SLURM made by `scripts/slurm-cluster.sh` (munged, slurmctld, slurmd from the
/// Debian packages), driven as a user would: `sbatch`, `srun`, `scancel` and `scontrol` as
/// subprocesses, nothing linked in. One cluster per machine at a time (its ports are fixed): an
/// exclusive lock on a file beside the state folder serialises test runs from several worktrees.
final class SlurmCluster {
    static let repository = URL(fileURLWithPath: SweepBinary.repository)
    static let script = repository.appendingPathComponent("scripts/slurm-cluster.sh").path
    static let state = "/tmp/lmsweep-slurm-tests"

    private let lockDescriptor: Int32
    /// What every client command adds to this process's environment: SLURM_CONF for this
    /// cluster, and Open MPI's root permission (sbatch passes the submitter's environment on to
    /// the job, so its mpirun sees it).
    let environment: [String: String]

    /// Brings the cluster up, or throws XCTSkip where its daemons cannot run here.
    init() throws {
        lockDescriptor = open(Self.state + ".lock", O_CREAT | O_RDWR, 0o644)
        guard lockDescriptor >= 0 else { throw XCTSkip("cannot open the SLURM test lock file in /tmp; skipping") }
        flock(lockDescriptor, LOCK_EX)
        environment = ["SLURM_CONF": Self.state + "/slurm.conf", "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]
        // Ports of its own, apart from the script's default that people use by hand.
        let up = try Command.run(Self.script, ["--state", Self.state, "--cpus", "2", "--port", "16827", "up"])
        if up.status == 3 {
            close(lockDescriptor)
            throw XCTSkip("SlurmTests cannot run SLURM daemons here: \(up.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard up.status == 0 else {
            close(lockDescriptor)
            throw Failure(what: "scripts/slurm-cluster.sh up", output: up.stderr)
        }
    }

    /// Cancels every job, stops the daemons by PID and releases the lock; returns what is left
    /// (daemons still alive, the state folder), for asserting.
    func down() throws -> [String] {
        defer { close(lockDescriptor) }
        let pids = ["munged", "slurmctld", "slurmd"].compactMap { name -> (String, Int32)? in
            guard let text = try? String(contentsOfFile: "\(Self.state)/\(name).pid", encoding: .utf8),
                  let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
            return (name, pid)
        }
        let result = try Command.run(Self.script, ["--state", Self.state, "down"])
        guard result.status == 0 else { throw Failure(what: "scripts/slurm-cluster.sh down", output: result.stderr) }
        let alive = pids.filter { kill($0.1, 0) == 0 }.map { "\($0.0) (pid \($0.1)) still running" }
        return alive + (FileManager.default.fileExists(atPath: Self.state) ? [Self.state] : [])
    }

    struct Failure: Error, CustomStringConvertible {
        let what: String
        let output: String
        var description: String { "\(what) failed:\n\(output)" }
    }

    // MARK: client commands

    /// A SLURM client command (sbatch, srun, scontrol, ...) run to completion in `directory`.
    func run(_ tool: String, _ arguments: [String], in directory: URL, timeout: Double = 120) throws -> SweepBinary.Result {
        let running = try start(tool, arguments, in: directory)
        let ended = running.wait(upTo: timeout) { !running.process.isRunning }
        if !ended {
            SweepBinary.killTree(running.process.processIdentifier)
            XCTFail("\(tool) \(arguments.joined(separator: " ")) did not end in \(Int(timeout)) s")
        }
        running.process.waitUntilExit()
        let result = running.result()
        return SweepBinary.Result(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    /// `env NAME=VALUE... TOOL ARGS`: the cluster's variables for this command alone.
    func start(_ tool: String, _ arguments: [String], in directory: URL) throws -> Command.Running {
        let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return try Command.Running("/usr/bin/env", assignments + [tool] + arguments, in: directory)
    }

    /// `sbatch --parsable ARGS`: the job id (for an array, the array's id).
    func submit(_ arguments: [String], in directory: URL) throws -> String {
        let result = try run("sbatch", ["--parsable"] + arguments, in: directory)
        guard result.status == 0, let id = result.stdout.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }),
              !id.isEmpty else {
            throw Failure(what: "sbatch \(arguments.joined(separator: " "))", output: result.stdout + result.stderr)
        }
        return id
    }

    /// `scontrol show job ID`'s fields (the first record's, for an array: use a task's id).
    func job(_ id: String, in directory: URL) throws -> [String: String] {
        let result = try run("scontrol", ["show", "job", "-o", id], in: directory)
        var fields: [String: String] = [:]
        for line in result.stdout.split(separator: "\n").prefix(1) {
            for item in line.split(separator: " ") {
                let pair = item.split(separator: "=", maxSplits: 1)
                if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
            }
        }
        return fields
    }

    /// The states of a job's records (an array's tasks each have one).
    func states(_ id: String, in directory: URL) throws -> [String] {
        let result = try run("scontrol", ["show", "job", "-o", id], in: directory)
        return result.stdout.split(separator: "\n").compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("JobState=") }.map { String($0.dropFirst("JobState=".count)) }
        }
    }

    static let finalStates: Set<String> = ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE"]

    /// Polls until every record of job `id` is in a final state (or `seconds` pass); returns the states.
    @discardableResult
    func waitUntilFinished(_ id: String, in directory: URL, upTo seconds: Double = 120) throws -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        var states: [String] = []
        while Date() < deadline {
            states = try self.states(id, in: directory)
            if !states.isEmpty && states.allSatisfy(Self.finalStates.contains) { return states }
            usleep(200_000)
        }
        XCTFail("job \(id) not finished after \(Int(seconds)) s: \(states)")
        return states
    }
}
