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

    /// Returns the outcome on rank 0 and nil on the other ranks. With `staging`
    /// (`--stage-data`), workers that lack dataset files receive them from rank 0 at start-up.
    /// Before any training every rank measures its numerics; ranks that differ, or a journal
    /// whose records were computed under other numerics, stop the sweep unless
    /// `allowMixedNumerics`.
    public static func run(specPath: String, output: String?, retryFailed: Bool, shard: Shard? = nil,
                           pollInterval: Double = defaultPollInterval, staging: DataStaging? = nil,
                           allowMixedNumerics: Bool = false, add: Bool = false,
                           makeRunner: () throws -> JobRunner,
                           log: @escaping (String) -> Void) throws -> SweepOutcome? {
        let communicator = Communicator.launchedByMPI ? try Communicator() : nil
        defer { communicator?.finalize() }
        try LaunchCheck.check(worldSize: communicator?.size ?? 1)
        let rank = communicator?.rank ?? 0
        if let communicator, rank != 0 {
            try Worker(communicator: communicator, runner: try makeRunner(), staging: staging,
                       pollInterval: pollInterval, log: log).run()
            return nil
        }
        let size = communicator?.size ?? 1
        let runner: JobRunner
        let prepared: PreparedSweep
        var session: [Numerics] = []
        do {
            runner = try makeRunner()
            // After the runner set the BLAS threads the runs will use.
            session = [Numerics.thisProcess]
            prepared = try PreparedSweep.prepare(specPath: specPath, output: output, retryFailed: retryFailed, shard: shard,
                                                 add: add, check: runner.preflight, warn: log)
            if let communicator, size > 1 {
                let check = try StartupCheck.run(StartupCheck.requirements(prepared.plan.pending), communicator: communicator,
                                                 staging: staging, allowMixedNumerics: allowMixedNumerics,
                                                 pollInterval: pollInterval, log: log)
                session = check.groups.map { $0[0].numerics }
            }
            if let mismatch = prepared.numericsMismatch(session: session) {
                guard allowMixedNumerics else { throw mismatch }
                log("warning: --allow-mixed-numerics: \(mismatch.description.split(separator: "\n").dropLast().joined(separator: "\n"))")
            }
        } catch {
            // Nothing has trained yet: release the workers so that every rank ends cleanly.
            for worker in 1..<max(size, 1) { try? communicator?.send(.stop, to: worker) }
            throw error
        }
        for warning in prepared.warnings { log("warning: \(warning)") }
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
                                      pollInterval: pollInterval, log: log)
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
        let results = try prepared.writeResults(warn: log)
        return SweepOutcome(name: prepared.spec.name, totalJobs: prepared.jobs.count, skipped: plan.done.count,
                            records: records, journalPath: prepared.journal.path,
                            results: results, ranks: size,
                            wallSeconds: coordinator.timing.wallSeconds,
                            coordinatorCPUSeconds: coordinator.timing.coordinatorCPUSeconds)
    }
}
