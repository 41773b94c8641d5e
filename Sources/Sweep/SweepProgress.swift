import Foundation
import Training

/// What rank 0 prints as records arrive: jobs and predicted FLOPs done out of the total, an
/// ETA, and what each rank is running.
public struct SweepProgress {
    public let totalJobs: Int
    public let totalFLOPs: Double
    public private(set) var doneJobs: Int
    public private(set) var doneFLOPs: Double
    /// Predicted FLOPs finished in this session: the ETA's rate excludes work resumed from the journal.
    public private(set) var sessionFLOPs: Double = 0
    public private(set) var running: [Int: Job] = [:]
    public let ranks: Int
    public let started: Date

    public init(plan: Resume.Plan, ranks: Int, started: Date = Date()) {
        totalJobs = plan.pending.count + plan.done.count
        totalFLOPs = (plan.pending + plan.done).reduce(0) { $0 + $1.predictedFLOPs }
        doneJobs = plan.done.count
        doneFLOPs = plan.done.reduce(0) { $0 + $1.predictedFLOPs }
        self.ranks = ranks
        self.started = started
    }

    public mutating func start(_ job: Job, on rank: Int) { running[rank] = job }

    public mutating func finish(on rank: Int) {
        guard let job = running.removeValue(forKey: rank) else { return }
        doneJobs += 1
        doneFLOPs += job.predictedFLOPs
        sessionFLOPs += job.predictedFLOPs
    }

    /// Seconds left at this session's rate of predicted FLOPs per second; nil before the first record.
    public func eta(now: Date = Date()) -> Double? {
        guard sessionFLOPs > 0 else { return nil }
        return now.timeIntervalSince(started) * (totalFLOPs - doneFLOPs) / sessionFLOPs
    }

    public func line(now: Date = Date()) -> String {
        let percent = totalFLOPs > 0 ? 100 * doneFLOPs / totalFLOPs : 100
        var parts = [
            "\(doneJobs)/\(totalJobs) jobs",
            "\(ResultsTable.sci(doneFLOPs))/\(ResultsTable.sci(totalFLOPs)) FLOPs (\(Int(percent.rounded()))%)",
            "ETA \(eta(now: now).map(Self.duration) ?? "?")",
        ]
        let shown = min(ranks, 8)
        let ranksText = (0..<shown).map { rank in
            "r\(rank): \(running[rank]?.summary ?? "idle")"
        }.joined(separator: "; ")
        parts.append(ranksText + (ranks > shown ? "; +\(ranks - shown) ranks" : ""))
        return parts.joined(separator: " | ")
    }

    /// `1h02m`, `4m05s`, `12s`.
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }
}

/// The coordinator's dynamic queue, without MPI: hands out the largest pending job to whichever
/// rank asks, journals each record as it arrives, and tracks progress. The Cluster module
/// drives it from MPI messages; tests drive it directly.
public final class JobQueue {
    public private(set) var pending: [Job]
    public private(set) var progress: SweepProgress
    private let journal: Journal
    private let jobsByID: [String: Job]
    /// Records received this session, in arrival order.
    public private(set) var received: [RunRecord] = []

    public init(plan: Resume.Plan, journal: Journal, ranks: Int) {
        pending = plan.pending.sorted(by: Job.largestFirst)
        progress = SweepProgress(plan: plan, ranks: ranks)
        self.journal = journal
        jobsByID = Dictionary((plan.pending + plan.done).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The largest pending job for `rank`, or nil when none is left.
    public func next(for rank: Int) -> Job? {
        guard !pending.isEmpty else { return nil }
        let job = pending.removeFirst()
        progress.start(job, on: rank)
        return job
    }

    /// Journals a record (flushed and fsynced before it counts as done).
    public func finish(_ record: RunRecord, from rank: Int) throws {
        try journal.append(record)
        received.append(record)
        progress.finish(on: rank)
    }

    /// Nothing pending and nothing running: the sweep is complete.
    public var isDrained: Bool { pending.isEmpty && progress.running.isEmpty }

    public func job(id: String) -> Job? { jobsByID[id] }
}
