import Foundation
import Training

/// The coordinator's dynamic queue, without MPI: hands out the largest pending job to whichever
/// rank asks, journals each record as it arrives, and tracks progress. The Cluster module
/// drives it from MPI messages; tests drive it directly.
public final class JobQueue {
    public private(set) var pending: [Job]
    public private(set) var progress: SweepProgress
    private let journal: Journal
    /// Records received this session, in arrival order.
    public private(set) var received: [RunRecord] = []

    /// Keeps `status.json` beside the journal (``SweepStatus``).
    private let status: StatusWriter

    /// `existing`: the journal's records, for the status file's failure count and best run.
    public init(plan: Resume.Plan, journal: Journal, ranks: Int, cost: CostModel = CostModel(),
                existing: [RunRecord] = [], warn: @escaping (String) -> Void = { _ in }) {
        pending = plan.pending.sorted(by: Job.largestFirst)
        progress = SweepProgress(plan: plan, ranks: ranks, cost: cost)
        self.journal = journal
        status = StatusWriter(folder: journal.directory, existing: existing, warn: warn)
        status.update(progress, pending: pending.count, force: true)
    }

    /// A rank's activity count (its heartbeat, or rank 0's own trainer's): the status file's
    /// progress and last heartbeat.
    public func heartbeat(from rank: Int, activity: UInt64) {
        status.heartbeat(rank: rank, count: activity)
        status.update(progress, pending: pending.count)
    }

    /// The largest pending job for `rank`, or nil when none is left.
    public func next(for rank: Int) -> Job? {
        guard !pending.isEmpty else { return nil }
        let job = pending.removeFirst()
        progress.start(job, on: rank)
        status.started(rank: rank)
        status.update(progress, pending: pending.count, force: true)
        return job
    }

    /// `rank`'s job resumes from a checkpoint at `step`: its progress starts there.
    public func resumed(rank: Int, atStep step: Int) {
        status.resumed(rank: rank, step: step)
        if let job = progress.running[rank] {
            let planned = CostEstimate.plannedSteps(job.config.resolved())
            progress.resumed(on: rank, share: planned > 0 ? Double(step) / Double(planned) : 0)
        }
        status.update(progress, pending: pending.count, force: true)
    }

    /// Journals a record (flushed and fsynced before it counts as done).
    public func finish(_ record: RunRecord, from rank: Int) throws {
        try journal.append(record)
        received.append(record)
        progress.finish(on: rank)
        status.finished(record)
        status.update(progress, pending: pending.count, force: true)
    }

    /// Puts `rank`'s running job back at the head of the queue (the rank stalled); returns it.
    @discardableResult
    public func abandon(rank: Int) -> Job? {
        guard let job = progress.running[rank] else { return nil }
        progress.abandon(on: rank)
        pending.insert(job, at: 0)
        return job
    }

    /// Nothing pending and nothing running: the sweep is complete.
    public var isDrained: Bool { pending.isEmpty && progress.running.isEmpty }
}
