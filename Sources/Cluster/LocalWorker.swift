import Foundation
import Sweep
import Training

/// Rank 0's own trainer, on a thread of its own.
///
/// Why a thread and not interleaving: with interleaving, every worker that finishes while rank
/// 0 is inside a (minutes-long) run waits idle until that run ends, which wastes whole ranks
/// on mixed-cost grids. With the trainer on a second thread, the main thread stays free to
/// answer workers within one poll interval. The main thread still makes every MPI call, so
/// `MPI_THREAD_FUNNELED` is all Open MPI has to provide; the two threads meet only here,
/// under one lock.
final class LocalWorker {
    /// A job, with the checkpoint bytes it resumes from (nil: it starts fresh).
    enum Assignment { case job(Job, resume: Data?), stop }

    /// Where the runs' checkpoints go: rank 0 writes them into the sweep folder from this
    /// thread; a worker keeps them here for its main thread to send to rank 0 over MPI.
    enum CheckpointSink {
        case folder(CheckpointFolder?, log: (String) -> Void)
        case outbox
    }

    private let condition = NSCondition()
    private var assignment: Assignment?
    private var waiting = false
    private var finished: [RunRecord] = []
    private var interrupted: [InterruptedRun] = []
    private var outbox: [(id: String, bytes: Data)] = []
    private(set) var stopped = false
    private let runner: JobRunner
    private let rank: Int
    private let host: String
    private let sink: CheckpointSink
    /// Ticked by the runs this thread trains (the heartbeat's count).
    let activity = Activity()
    /// Raised (SIGTERM): the run in flight checkpoints at its next step boundary and stops.
    let stop = StopRequest()

    init(runner: JobRunner, rank: Int = 0, host: String, checkpoints: CheckpointSink = .folder(nil, log: { _ in })) {
        self.runner = runner
        self.rank = rank
        self.host = host
        self.sink = checkpoints
    }

    func start() {
        let thread = Thread { [self] in loop() }
        thread.name = "lmsweep rank \(rank) trainer"
        // Training recurses through the autograd tape; give it a main-thread-sized stack.
        thread.stackSize = 64 << 20
        thread.start()
    }

    /// What the trainer produced since the last poll, in order: checkpoints (a worker's, to
    /// send), then finished records and interrupted runs; and whether it waits for work.
    /// A run's last checkpoint is always returned no later than its interruption.
    func poll() -> (checkpoints: [(id: String, bytes: Data)], records: [RunRecord], interrupted: [InterruptedRun], wantsWork: Bool) {
        condition.lock()
        defer { condition.unlock() }
        let result = (outbox, finished, interrupted, waiting && assignment == nil)
        outbox = []; finished = []; interrupted = []
        return result
    }

    /// Called by the main thread when ``poll()`` said the trainer wants work.
    func give(_ next: Assignment) {
        condition.lock()
        assignment = next
        if case .stop = next { stopped = true }
        condition.signal()
        condition.unlock()
    }

    private func save(_ checkpoint: TrainingCheckpoint, of id: String) {
        switch sink {
        case .folder(let folder, let log):
            guard let folder else { return }
            do { try folder.write(checkpoint.encoded(), for: id) } catch {
                log("rank \(rank): could not write the checkpoint of run \(id) at step \(checkpoint.step): \(error); "
                    + "the run goes on, and resumes from its previous checkpoint if interrupted")
            }
        case .outbox:
            let bytes = checkpoint.encoded()
            condition.lock()
            outbox.append((id, bytes))
            condition.unlock()
        }
    }

    private func loop() {
        while true {
            condition.lock()
            waiting = true
            while assignment == nil { condition.wait() }
            let next = assignment!
            assignment = nil
            waiting = false
            condition.unlock()
            guard case .job(let job, let resume) = next else { return }
            let id = job.id
            let checkpointing = Checkpointing(resumeFrom: resume, stop: stop) { [self] in save($0, of: id) }
            let outcome = runner.run(job.config, rank: rank, host: host, activity: activity, checkpointing: checkpointing)
            condition.lock()
            switch outcome {
            case .finished(let record): finished.append(record)
            case .interrupted(let id, let step): interrupted.append(InterruptedRun(id: id, step: step))
            }
            condition.unlock()
        }
    }
}
