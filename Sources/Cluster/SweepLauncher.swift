import Foundation
import Sweep
import Training

/// What a finished sweep left behind (rank 0 only).
public struct SweepOutcome {
    public let name: String
    public let totalJobs: Int
    /// Jobs already in the journal before this session.
    public let skipped: Int
    /// Records received in this session.
    public let records: [RunRecord]
    public let journalPath: String
    public let results: ResultFiles
    public let ranks: Int
    /// Wall time of the session, first job handed out to last record journaled.
    public let wallSeconds: Double
    /// CPU time of rank 0's coordinating thread over the session.
    public let coordinatorCPUSeconds: Double

    /// The best any schedule could do with these runs on these ranks: total run time / ranks,
    /// or the longest run if that is longer.
    public var idealSeconds: Double {
        let times = records.map(\.wallSeconds)
        return max(times.reduce(0, +) / Double(max(ranks, 1)), times.max() ?? 0)
    }
}

/// `lmsweep run`: starts MPI when launched by `mpirun` (otherwise a world of one, same code
/// path, same results), then rank 0 coordinates and every other rank works.
public enum SweepLauncher {
    /// How often an idle rank polls for messages. 5 ms: a job takes seconds at least, so the
    /// delay is noise, and 200 `MPI_Iprobe` calls a second cost well under 1% of a core.
    public static let defaultPollInterval = 0.005

    /// How a sweep runs, beyond its spec and folder (`lmsweep run`'s flags).
    public struct Options {
        public var retryFailed = false
        public var shard: Shard?
        /// `--stage-data`: workers that lack dataset files receive them from rank 0 at start-up.
        public var staging: DataStaging?
        /// Run even if ranks, or the journal and this session, compute different bits.
        public var allowMixedNumerics = false
        /// Add this spec's runs to a folder holding a sweep of another name.
        public var add = false
        /// Seconds without progress after which a worker is stalled (`--stall-limit`).
        public var stallLimit: Double = 600
        public var pollInterval = SweepLauncher.defaultPollInterval
        /// Once SIGTERM or SIGINT reaches rank 0, how long it waits for the ranks' checkpoints.
        /// Under SLURM's default KillWait of 30 s, with room for the tables.
        public var interruptGrace: Double = 20
        /// Handle SIGTERM and SIGINT (checkpoint, then stop): `lmsweep run` does. Off by default,
        /// because handling them means ignoring their default action, which every process
        /// started afterwards inherits (a test process's daemons would then ignore SIGTERM).
        public var handleSignals = false
        public init() {}

        /// Workers beat, and rank 0 pings them, at least four times per stall limit, and at
        /// most every 5 s.
        var heartbeatInterval: Double { min(5, stallLimit / 4) }
        /// How long a worker waits on a silent rank 0 before it ends the job: twice the stall
        /// limit (at least 10 s), so a slow turn of rank 0 is never taken for a frozen one.
        var coordinatorLimit: Double { max(2 * stallLimit, 10) }
    }

    /// A stalled worker ended the sweep: every other job is journaled.
    public struct Stalled: Error, CustomStringConvertible {
        public let ranks: [Int: String]
        public var description: String {
            "\(ranks.count) rank(s) stalled: " + ranks.sorted { $0.key < $1.key }.map { "rank \($0.key) on \($0.value)" }
                .joined(separator: ", ") + "; their runs were trained by other ranks. Look at those hosts, then resume"
        }
    }

    /// SIGTERM or SIGINT ended the sweep: runs in flight were checkpointed, nothing is lost.
    public struct Interrupted: Error, CustomStringConvertible {
        public let checkpointed: Int
        public let finished: Int
        /// Runs stopped without a checkpoint (`checkpoint_every: 0`, or stopped before one): they start over.
        public let restarting: Int
        public let signal: Int32?
        public var description: String {
            "interrupted: \(checkpointed) runs checkpointed, \(finished) finished this session; run the same command to resume"
        }
        /// The exit status a shell shows for the signal (130 for SIGINT, 143 for SIGTERM).
        public var exitCode: Int32 { 128 + (signal ?? SIGTERM) }
    }

    /// Returns the outcome on rank 0 and nil on the other ranks. Before any training every rank
    /// measures its numerics; ranks that differ, or a journal whose records were computed under
    /// other numerics, stop the sweep unless `options.allowMixedNumerics`.
    public static func run(specPath: String, output: String?, options: Options = Options(),
                           makeRunner: () throws -> JobRunner,
                           log: @escaping (String) -> Void) throws -> SweepOutcome? {
        let (retryFailed, shard, staging, pollInterval) = (options.retryFailed, options.shard, options.staging, options.pollInterval)
        let (allowMixedNumerics, add) = (options.allowMixedNumerics, options.add)
        let communicator = Communicator.launchedByMPI ? try Communicator() : nil
        defer { communicator?.finalize() }
        try LaunchCheck.check(worldSize: communicator?.size ?? 1)
        let rank = communicator?.rank ?? 0
        if options.handleSignals { InterruptSignals.install(who: "rank \(rank)") }
        if let communicator, rank != 0 {
            do {
                try Worker(communicator: communicator, runner: try makeRunner(), staging: staging, pollInterval: pollInterval,
                           heartbeatInterval: options.heartbeatInterval, coordinatorLimit: options.coordinatorLimit, log: log).run()
            } catch let silent as Worker.CoordinatorSilent {
                // MPI_Finalize would wait for rank 0: exit without it, and mpirun ends the job.
                log("error: \(silent)")
                exit(1)
            }
            return nil
        }
        let size = communicator?.size ?? 1
        let runner: JobRunner
        let prepared: PreparedSweep
        var session: [Numerics] = []
        var hosts: [Int: String] = [:]
        do {
            runner = try makeRunner()
            // After the runner set the BLAS threads the runs will use.
            session = [Numerics.thisProcess]
            prepared = try PreparedSweep.prepare(specPath: specPath, output: output, retryFailed: retryFailed, shard: shard,
                                                 add: add, data: runner.dataLocation, check: runner.preflight, warn: log)
            if let communicator, size > 1 {
                let check = try StartupCheck.run(StartupCheck.requirements(prepared.plan.pending), communicator: communicator,
                                                 staging: staging, allowMixedNumerics: allowMixedNumerics,
                                                 pollInterval: pollInterval, answerLimit: options.stallLimit, log: log)
                session = check.groups.map { $0[0].numerics }
                hosts = Dictionary(uniqueKeysWithValues: check.groups.flatMap { $0 }.map { ($0.rank, $0.host) })
            }
            if let mismatch = prepared.numericsMismatch(session: session) {
                guard allowMixedNumerics else { throw mismatch }
                log("warning: --allow-mixed-numerics: \(mismatch.description.split(separator: "\n").dropLast().joined(separator: "\n"))")
            }
        } catch let unanswered as StartupCheck.Unanswered {
            // That rank never reaches MPI_Finalize, where every other rank would wait for it:
            // exit without it, and mpirun ends the rest (as after a stall, below).
            log("error: \(unanswered)")
            exit(1)
        } catch {
            // Nothing has trained yet: release the workers so that every rank ends cleanly.
            for worker in 1..<max(size, 1) { try? communicator?.send(.stop, to: worker) }
            throw error
        }
        for warning in prepared.warnings { log("warning: \(warning)") }
        let checkpoints = CheckpointFolder(sweepFolder: prepared.journal.directory)
        // A checkpoint whose run is journaled is left over from a stop between the two writes.
        let journaled = Set(prepared.existing.records.map(\.id))
        for id in checkpoints.ids() where journaled.contains(id) { checkpoints.remove(id) }
        let plan = prepared.plan
        let piece = prepared.shard.map { " (shard \($0) of \(prepared.specJobCount))" } ?? ""
        log("sweep \(prepared.spec.name): \(prepared.jobs.count) jobs\(piece), \(plan.done.count) already in \(prepared.journal.path), "
            + "\(plan.pending.count) to run on \(size) rank\(size == 1 ? "" : "s")")
        let own = Numerics.measured
        log(String(format: "numerics: fingerprint %@%@ (OpenBLAS %@, own kernels %@; canary %.0f ms on rank 0)",
                   session.map(\.fingerprint).joined(separator: ", "), session.count > 1 ? " (mixed)" : size > 1 ? " on every rank" : "",
                   own.numerics.blasCore, own.numerics.kernelISA, own.canarySeconds * 1000))
        let host = communicator?.processorName ?? ProcessInfo.processInfo.hostName
        let records: [RunRecord]
        let coordinator = Coordinator(communicator: communicator, prepared: prepared, runner: runner, host: host,
                                      pollInterval: pollInterval, stallLimit: options.stallLimit,
                                      heartbeatInterval: options.heartbeatInterval, hosts: hosts,
                                      checkpoints: checkpoints, interrupt: options.handleSignals ? InterruptSignals.request : StopRequest(),
                                      interruptGrace: options.interruptGrace, log: log)
        do {
            records = try coordinator.run()
        } catch {
            // The journal holds every record received so far; end every rank now, not at a hang.
            log("error: \(error)")
            let inFlight = coordinator.inFlight
            if !inFlight.isEmpty { log("runs in flight, not journaled: " + inFlight.joined(separator: "; ")) }
            if let communicator { communicator.abort(code: 1) }
            throw error
        }
        if coordinator.wasInterrupted {
            let counts = coordinator.interruption ?? Coordinator.Interruption()
            if counts.restarting > 0 { log("\(counts.restarting) run(s) stopped without a checkpoint start over when resumed") }
            let interrupted = Interrupted(checkpointed: counts.checkpointed, finished: records.count, restarting: counts.restarting,
                                          signal: InterruptSignals.received)
            // First, before anything slow: mpirun SIGKILLs every rank about a second after it
            // forwards SIGTERM. The journal and checkpoints are already on disk.
            FileHandle.standardError.write(Data("\(interrupted)\n".utf8))
            _ = try? prepared.writeResults(warn: log)
            throw interrupted
        }
        let results = try prepared.writeResults(warn: log)
        if !coordinator.stalled.isEmpty, communicator != nil {
            // A stalled rank never finalizes, so end the job: exit without MPI_Finalize, and
            // mpirun kills every other rank. Not MPI_Abort: Open MPI 4.1's mpirun deadlocked
            // in 2 of 4 aborts with a stopped rank (its children left as zombies); after this
            // exit it ended every time (6 of 6).
            log("error: \(Stalled(ranks: coordinator.stalled))")
            exit(1)
        }
        return SweepOutcome(name: prepared.spec.name, totalJobs: prepared.jobs.count, skipped: plan.done.count,
                            records: records, journalPath: prepared.journal.path,
                            results: results, ranks: size,
                            wallSeconds: coordinator.timing.wallSeconds,
                            coordinatorCPUSeconds: coordinator.timing.coordinatorCPUSeconds)
    }
}
