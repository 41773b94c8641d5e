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
    enum Assignment { case job(Job), stop }

    private let condition = NSCondition()
    private var assignment: Assignment?
    private var waiting = false
    private var finished: [RunRecord] = []
    private(set) var stopped = false
    private let runner: JobRunner
    private let rank: Int
    private let host: String
    /// Ticked by the runs this thread trains (the heartbeat's count).
    let activity = Activity()

    init(runner: JobRunner, rank: Int = 0, host: String) {
        self.runner = runner
        self.rank = rank
        self.host = host
    }

    func start() {
        let thread = Thread { [self] in loop() }
        thread.name = "lmsweep rank \(rank) trainer"
        // Training recurses through the autograd tape; give it a main-thread-sized stack.
        thread.stackSize = 64 << 20
        thread.start()
    }

    /// Called by the main thread: records finished since the last poll, and whether the
    /// trainer is waiting for its next assignment.
    func poll() -> (records: [RunRecord], wantsWork: Bool) {
        condition.lock()
        defer { condition.unlock() }
        let records = finished
        finished = []
        return (records, waiting && assignment == nil)
    }

    /// Called by the main thread when ``poll()`` said the trainer wants work.
    func give(_ next: Assignment) {
        condition.lock()
        assignment = next
        if case .stop = next { stopped = true }
        condition.signal()
        condition.unlock()
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
            guard case .job(let job) = next else { return }
            let record = runner.run(job.config, rank: rank, host: host, activity: activity)
            condition.lock()
            finished.append(record)
            condition.unlock()
        }
    }
}
