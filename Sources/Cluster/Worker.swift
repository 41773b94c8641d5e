import Foundation
import Sweep
import Training

/// Ranks 1…N−1: ask rank 0 for work, train, send the record back, until told to stop.
///
/// The run trains on a thread of its own (``LocalWorker``) so that this thread, the only one
/// that calls MPI, stays free to send a heartbeat every few seconds: the count of steps and
/// evaluation batches done so far. A rank that stops beating, or whose count stops moving,
/// is one rank 0 can declare stalled.
final class Worker {
    private let communicator: Communicator
    private var runner: JobRunner
    private let staging: DataStaging?
    private let pollInterval: Double
    private let heartbeatInterval: Double
    /// How long rank 0 may send nothing once the sweep runs (nil: for ever).
    private let coordinatorLimit: Double?
    private let log: (String) -> Void

    init(communicator: Communicator, runner: JobRunner, staging: DataStaging? = nil, pollInterval: Double,
         heartbeatInterval: Double = 5, coordinatorLimit: Double? = nil, log: @escaping (String) -> Void = { _ in }) {
        self.communicator = communicator
        self.runner = runner
        self.staging = staging
        self.pollInterval = pollInterval
        self.heartbeatInterval = heartbeatInterval
        self.coordinatorLimit = coordinatorLimit
        self.log = log
    }

    /// Rank 0 sent nothing (no job, no ping) for `seconds`: it is frozen, or its host is. This
    /// rank cannot finalize without it, so the launcher exits, and mpirun ends the job.
    struct CoordinatorSilent: Error, CustomStringConvertible {
        let rank: Int
        let host: String
        let seconds: Double
        var description: String {
            String(format: "rank %d on %@: rank 0 sent nothing for %.0f s (twice --stall-limit): it is frozen, or its host is; "
                   + "ending the job. Its journal holds every run it received: run the same command to resume", rank, host, seconds)
        }
    }

    func run() throws {
        var stagingFolder: (path: String, removeAtExit: Bool)?
        var trainer: LocalWorker?
        defer {
            trainer?.give(.stop)
            if let stagingFolder, stagingFolder.removeAtExit { try? FileManager.default.removeItem(atPath: stagingFolder.path) }
        }
        // Sends never wait on rank 0, so this loop always comes round to watch it.
        let postbox = Postbox(communicator: communicator)
        var busy = false
        var lastBeat = Date()
        /// When rank 0 was last heard from, once the sweep runs (its first job or ping); nil before.
        var heardFromCoordinator: Date?
        var lastTurn = Date()
        /// Checkpoints rank 0 sent for the jobs it is about to send.
        var resumes: [String: Data] = [:]
        while true {
            // Time this rank itself was not running (the job suspended) does not count against
            // rank 0; one `now` for the gap and the limit, as in the coordinator's stall checks.
            let now = Date()
            let gap = now.timeIntervalSince(lastTurn)
            if gap > Coordinator.pauseSeconds { heardFromCoordinator = heardFromCoordinator?.addingTimeInterval(gap) }
            lastTurn = now
            if let coordinatorLimit, let heard = heardFromCoordinator, now.timeIntervalSince(heard) > coordinatorLimit {
                throw CoordinatorSilent(rank: communicator.rank, host: communicator.processorName, seconds: now.timeIntervalSince(heard))
            }
            for (_, message) in try postbox.collect() {
                if heardFromCoordinator != nil || message == .alive { heardFromCoordinator = Date() }
                switch message {
                case .stop:
                    // The last heartbeat or record must leave before MPI_Finalize.
                    _ = try postbox.drain(timeout: coordinatorLimit ?? 60, pollInterval: pollInterval)
                    return
                case .check(let configs):
                    if try !check(configs, stagingFolder: &stagingFolder) { return }
                    let local = LocalWorker(runner: runner, rank: communicator.rank, host: communicator.processorName,
                                            checkpoints: .outbox)
                    local.start()
                    trainer = local
                case .checkpoint(let id, let bytes):
                    resumes[id] = Data(bytes)
                case .job(let config):
                    heardFromCoordinator = Date()
                    guard let trainer else { continue }
                    let job = Job(config: config)
                    trainer.give(.job(job, resume: resumes.removeValue(forKey: job.id)))
                    busy = true
                    lastBeat = Date()
                case .interrupt:
                    trainer?.stop.raise()
                case .alive, .ready, .record, .checked, .stageRequest, .stageFile, .heartbeat, .interrupted:
                    continue
                }
            }
            if let trainer {
                // A signal to this rank itself (mpirun forwards SIGTERM to every rank).
                if InterruptSignals.request.isRaised { trainer.stop.raise() }
                let polled = trainer.poll()
                // Checkpoints first: rank 0 must hold a run's last checkpoint before it hears the run stopped.
                for (id, bytes) in polled.checkpoints {
                    try postbox.post(.checkpoint(id: id, bytes: Array(bytes)), to: 0)
                }
                for record in polled.records {
                    try postbox.post(.record(record), to: 0)
                    busy = false
                }
                for run in polled.interrupted {
                    try postbox.post(.interrupted(run), to: 0)
                    busy = false
                }
                if busy && Date().timeIntervalSince(lastBeat) >= heartbeatInterval {
                    try postbox.post(.heartbeat(trainer.activity.count), to: 0)
                    lastBeat = Date()
                }
            }
            Thread.sleep(forTimeInterval: pollInterval)
        }
    }

    /// Answers the start-up check (staging the files this host lacks, with `--stage-data`);
    /// false when rank 0 stopped the sweep meanwhile.
    private func check(_ configs: [RunConfig], stagingFolder: inout (path: String, removeAtExit: Bool)?) throws -> Bool {
        let host = communicator.processorName
        var problems = StartupCheck.problems(configs, runner: runner, host: host)
        if let staging {
            let files = DataStaging.files(for: configs)
            let lacking = staging.lacking(files)
            if !lacking.isEmpty {
                do {
                    let started = Date()
                    let folder = try staging.makeFolder()
                    stagingFolder = folder
                    let staged = try staging.receive(lacking, of: files, into: folder.path,
                                                     communicator: communicator, pollInterval: pollInterval)
                    log(String(format: "rank %d on %@: staged %@ from rank 0 into %@ in %.3f s (SHA-256 verified)",
                               communicator.rank, host, lacking.map(\.relativePath).joined(separator: ", "),
                               folder.path, Date().timeIntervalSince(started)))
                    runner = try staging.makeRunner(staged)
                    problems = StartupCheck.problems(configs, runner: runner, host: host)
                } catch is DataStaging.Stopped {
                    return false
                } catch {
                    problems = ["\(host): \(error)"]
                }
            }
        }
        // After the runner set the BLAS threads the runs will use.
        let report = CheckReport(host: host, problems: problems, numerics: Numerics.thisProcess)
        try communicator.send(.checked(report), to: 0)
        if problems.isEmpty { try communicator.send(.ready, to: 0) }
        return true
    }
}
