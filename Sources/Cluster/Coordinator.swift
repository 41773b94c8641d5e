import Foundation
import Sweep
import Training

/// Rank 0: hands out jobs largest-first to whichever rank asks, journals every record as it
/// arrives, prints progress, and trains too (on ``LocalWorker``'s thread).
///
/// The main thread polls: `MPI_Iprobe` for workers' messages, the local trainer's mailbox,
/// then a short sleep when neither had anything. Open MPI's blocking receive would spin this
/// thread at 100% and steal the core rank 0's own trainer runs on.
final class Coordinator {
    private let communicator: Communicator?
    /// Every message to and from the workers goes through it: rank 0 never waits on a worker.
    private let postbox: Postbox?
    private let queue: JobQueue
    private let local: LocalWorker
    private let pollInterval: Double
    /// A progress line at least this often while jobs run, so a long job shows it is alive.
    static let heartbeatSeconds: Double = 120
    /// A gap between two stall checks this long means rank 0 was paused.
    static let pauseSeconds: Double = 1
    private var lastStallCheck = Date()
    private let log: (String) -> Void
    private var stoppedWorkers: Set<Int> = []
    /// A worker whose activity count has not moved for this long is stalled.
    private let stallLimit: Double
    /// How often rank 0 pings the workers (`.alive`), so that they can tell it is not frozen.
    private let heartbeatInterval: Double
    private var lastPing = Date.distantPast
    /// Per worker with a job: its last activity count and when it last changed.
    private var activity: [Int: (count: UInt64, since: Date)] = [:]
    /// Workers declared stalled, with their hosts: their jobs went to other ranks, their late
    /// messages are ignored, and the sweep ends with an error naming them.
    private(set) var stalled: [Int: String] = [:]
    /// Workers with nothing to do while others still run.
    private var waiting: Set<Int> = []
    private let hosts: [Int: String]
    /// Where runs in flight are checkpointed (nil: nowhere).
    private let checkpoints: CheckpointFolder?
    /// Raised by SIGTERM or SIGINT: every run in flight checkpoints and stops, nothing new starts.
    private let interrupt: StopRequest
    /// How long, once interrupted, rank 0 waits for the ranks' last checkpoints.
    private let interruptGrace: Double
    private var interruptedAt: Date?
    /// What an interruption left: runs checkpointed, runs that will start over.
    public struct Interruption: Equatable {
        public var checkpointed = 0
        public var restarting = 0
        /// Ranks that did not answer within the grace period.
        public var unanswered: [Int] = []
    }
    private(set) var interruption: Interruption?
    /// Whether a signal to this rank ended the session (not only one worker's own).
    var wasInterrupted: Bool { interruptedAt != nil }

    init(communicator: Communicator?, prepared: PreparedSweep, runner: JobRunner, host: String,
         pollInterval: Double, stallLimit: Double = 600, heartbeatInterval: Double = 5, hosts: [Int: String] = [:],
         checkpoints: CheckpointFolder? = nil, interrupt: StopRequest = StopRequest(), interruptGrace: Double = 25,
         log: @escaping (String) -> Void) {
        self.stallLimit = stallLimit
        self.heartbeatInterval = heartbeatInterval
        self.hosts = hosts
        self.communicator = communicator
        self.postbox = communicator.map(Postbox.init)
        self.queue = JobQueue(plan: prepared.plan, journal: prepared.journal, ranks: communicator?.size ?? 1,
                              cost: CostModel(calibratedFrom: prepared.existing.records),
                              existing: prepared.existing.records, warn: log)
        self.checkpoints = checkpoints
        self.interrupt = interrupt
        self.interruptGrace = interruptGrace
        self.local = LocalWorker(runner: runner, host: host, checkpoints: .folder(checkpoints, log: log))
        self.pollInterval = pollInterval
        self.log = log
    }

    /// What the session cost: wall time, and the coordinating thread's own CPU time (MPI
    /// polling, decoding, journaling), which must stay a small fraction of a core.
    struct Timing {
        let wallSeconds: Double
        let coordinatorCPUSeconds: Double
    }
    private(set) var timing = Timing(wallSeconds: 0, coordinatorCPUSeconds: 0)

    /// Runs the queue to the end; returns the records received in this session.
    func run() throws -> [RunRecord] {
        let workers = (communicator?.size ?? 1) - 1
        let started = Date(), startedCPU = Self.threadCPUSeconds()
        defer {
            timing = Timing(wallSeconds: Date().timeIntervalSince(started),
                            coordinatorCPUSeconds: Self.threadCPUSeconds() - startedCPU)
        }
        local.start()
        var lastLine = Date()
        while !(local.stopped && stoppedWorkers.count == workers) {
            var handled = false
            let finishedBefore = queue.received.count
            if interrupt.isRaised && interruptedAt == nil { try beginInterruption() }
            if let since = interruptedAt, Date().timeIntervalSince(since) > interruptGrace {
                interruption?.unanswered = queue.progress.running.keys.sorted()
                log(String(format: "rank 0: %@ did not stop within %.0f s; ending without them",
                           interruption!.unanswered.map { "rank \($0)" }.joined(separator: ", "), interruptGrace))
                break
            }
            if let postbox {
                for (rank, message) in try postbox.collect() {
                    handled = true
                    if stalled[rank] != nil {
                        if case .record(let record) = message {
                            log("rank 0: ignoring run \(record.id) from rank \(rank), declared stalled (its job went to another rank)")
                        }
                        continue
                    }
                    switch message {
                    case .ready:
                        try assign(to: rank)
                    case .heartbeat(let count):
                        if let last = activity[rank], last.count != count { activity[rank] = (count, Date()) }
                        queue.heartbeat(from: rank, activity: count)
                    case .record(let record):
                        try accept(record, from: rank)
                        try assign(to: rank)
                    case .checkpoint(let id, let bytes):
                        store(Data(bytes), of: id, from: rank)
                    case .interrupted(let run):
                        stopped(run, on: rank)
                        // A rank that was told, or signalled itself, to stop gets no more work.
                        activity[rank] = nil
                        try postbox.post(.stop, to: rank)
                        stoppedWorkers.insert(rank)
                    case .job, .stop, .check, .checked, .stageRequest, .stageFile, .interrupt, .alive:
                        log("rank 0: ignoring an unexpected \(message.tag) message from rank \(rank)")
                    }
                }
                try declareStalls()
                if Date().timeIntervalSince(lastPing) >= heartbeatInterval {
                    for rank in 1..<workers + 1 where !stoppedWorkers.contains(rank) { try postbox.post(.alive, to: rank) }
                    lastPing = Date()
                }
                // Idle ranks wait until the sweep is drained: a stalled rank's job may come back.
                for rank in waiting.sorted() where !queue.pending.isEmpty || queue.isDrained {
                    waiting.remove(rank)
                    try assign(to: rank)
                }
            }
            queue.heartbeat(from: 0, activity: local.activity.count)
            let polled = local.poll()
            for record in polled.records {
                handled = true
                try accept(record, from: 0)
            }
            for run in polled.interrupted {
                handled = true
                stopped(run, on: 0)
            }
            if polled.wantsWork && !local.stopped {
                if interruptedAt != nil || !polled.interrupted.isEmpty {
                    handled = true
                    local.give(.stop)
                } else if let job = queue.next(for: 0) {
                    handled = true
                    local.give(.job(job, resume: resumeBytes(for: job, on: 0)))
                } else if queue.isDrained {
                    handled = true
                    local.give(.stop)
                }
            }
            // After reassigning, so the line shows what each rank runs next.
            if queue.received.count > finishedBefore || Date().timeIntervalSince(lastLine) >= Self.heartbeatSeconds {
                log("sweep: \(queue.progress.line())")
                lastLine = Date()
            }
            if !handled { Thread.sleep(forTimeInterval: pollInterval) }
        }
        try deliverLastMessages()
        return queue.received
    }

    /// Before `MPI_Finalize`, which must find no send in flight: the last messages (stops) are
    /// taken within the stall limit, or their ranks are stalled too.
    private func deliverLastMessages() throws {
        guard let postbox, interruption?.unanswered.isEmpty ?? true else { return }
        for rank in try postbox.drain(timeout: stallLimit, pollInterval: pollInterval).sorted() where stalled[rank] == nil {
            postbox.abandon(rank: rank)
            stalled[rank] = hosts[rank] ?? "?"
            log(String(format: "rank 0: rank %d on %@ did not take its last message within %.0f s (--stall-limit): stalled",
                       rank, stalled[rank]!, stallLimit))
        }
    }

    /// The runs in flight, one `rank R: summary (id)` each: what an abort loses.
    var inFlight: [String] {
        queue.progress.running.sorted { $0.key < $1.key }.map { "rank \($0.key): \($0.value.summary) (\($0.value.id))" }
    }

    /// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`): the main thread's share only,
    /// not rank 0's trainer thread.
    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Workers whose activity has not moved for `stallLimit`: their jobs go back to the head of
    /// the queue for a live rank, and they are counted out.
    private func declareStalls() throws {
        let now = Date()
        // Checks come milliseconds apart; a long gap is time rank 0 itself was not running
        // (the job suspended by SLURM or Ctrl-Z, the host paused), in which no worker's
        // progress could be seen, so it does not count against them. One `now` for the gap and
        // the limits: a stop after it was read cannot make a stall of the stopped time.
        let gap = now.timeIntervalSince(lastStallCheck)
        if gap > Self.pauseSeconds {
            for (rank, last) in activity { activity[rank] = (last.count, last.since.addingTimeInterval(gap)) }
        }
        lastStallCheck = now
        for (rank, last) in activity where stalled[rank] == nil && now.timeIntervalSince(last.since) > stallLimit {
            let job = queue.abandon(rank: rank)
            postbox?.abandon(rank: rank)
            stalled[rank] = hosts[rank] ?? "?"
            stoppedWorkers.insert(rank)
            activity[rank] = nil
            log(String(format: "rank 0: rank %d on %@ made no progress for %.0f s (limit %.0f s, --stall-limit): stalled; ",
                       rank, stalled[rank]!, now.timeIntervalSince(last.since), stallLimit)
                + (job.map { "its run \($0.id) (\($0.summary)) goes to another rank" } ?? "it held no run"))
        }
    }

    /// SIGTERM or SIGINT: runs in flight checkpoint and stop, idle ranks stop, nothing new starts.
    private func beginInterruption() throws {
        interruptedAt = Date()
        interruption = Interruption()
        local.stop.raise()
        guard let postbox else { return }
        for rank in queue.progress.running.keys.sorted() where rank != 0 {
            try postbox.post(.interrupt, to: rank)
        }
        for rank in waiting.sorted() {
            try postbox.post(.stop, to: rank)
            stoppedWorkers.insert(rank)
        }
        waiting = []
    }

    /// A run a stop ended: back to the queue, to resume from its checkpoint (in this session on
    /// another rank, when only that rank was signalled; else in the next).
    private func stopped(_ run: InterruptedRun, on rank: Int) {
        guard let job = queue.abandon(rank: rank) else { return }
        if job.id != run.id { log("rank 0: rank \(rank) stopped run \(run.id) while it held \(job.id)") }
        if interruption == nil { interruption = Interruption() }
        if run.step != nil && checkpoints?.has(job.id) == true { interruption!.checkpointed += 1 } else { interruption!.restarting += 1 }
        log("rank \(rank): run \(job.id) (\(job.summary)) stopped " + (run.step.map { "at its checkpoint of step \($0)" } ?? "without a checkpoint; it starts over"))
    }

    /// A worker's checkpoint of the run it holds, written into the sweep folder.
    private func store(_ bytes: Data, of id: String, from rank: Int) {
        guard let checkpoints else { return }
        guard queue.progress.running[rank]?.id == id else {
            log("rank 0: ignoring a checkpoint of run \(id) from rank \(rank), which does not hold that run")
            return
        }
        do { try checkpoints.write(bytes, for: id) } catch {
            log("rank 0: could not write the checkpoint of run \(id) from rank \(rank): \(error); the run goes on")
        }
    }

    /// The checkpoint a job resumes from, if a session before this one (or a stopped rank) left one.
    /// Its step, when the checkpoint decodes, starts the job's progress in the status file.
    private func resumeBytes(for job: Job, on rank: Int) -> Data? {
        guard let bytes = checkpoints?.read(job.id) else { return nil }
        log("run \(job.id) (\(job.summary)) resumes from its checkpoint (\(bytes.count / 1024) KiB)")
        if let checkpoint = try? TrainingCheckpoint(decoding: bytes, source: job.id) { queue.resumed(rank: rank, atStep: checkpoint.step) }
        return bytes
    }

    private func assign(to rank: Int) throws {
        guard let postbox else { return }
        if interruptedAt != nil {
            activity[rank] = nil
            try postbox.post(.stop, to: rank)
            stoppedWorkers.insert(rank)
        } else if let job = queue.next(for: rank) {
            activity[rank] = (0, Date())
            if let bytes = resumeBytes(for: job, on: rank) {
                try postbox.post(.checkpoint(id: job.id, bytes: Array(bytes)), to: rank)
            }
            try postbox.post(.job(job.config), to: rank)
        } else if !queue.isDrained {
            activity[rank] = nil
            waiting.insert(rank)
        } else {
            activity[rank] = nil
            try postbox.post(.stop, to: rank)
            stoppedWorkers.insert(rank)
        }
    }

    private func accept(_ record: RunRecord, from rank: Int) throws {
        if let expected = queue.progress.running[rank], expected.id != record.id {
            log("rank 0: rank \(rank) returned run \(record.id) for job \(expected.id) (\(expected.summary)); journaling it as returned")
        }
        try queue.finish(record, from: rank)
        // Journaled (and fsynced): its checkpoint is no longer needed.
        checkpoints?.remove(record.id)
        if record.status != .ok {
            log("run \(record.id) (\(record.run.summary)) on rank \(rank): \(record.status.rawValue): \(record.error ?? "")")
        }
    }
}
