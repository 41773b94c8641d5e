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
    /// The cost model's rate (calibrated from the journal's runs when it has any): the ETA
    /// until this session's first record gives a measured one.
    public let cost: CostModel

    public init(plan: Resume.Plan, ranks: Int, cost: CostModel = CostModel(), started: Date = Date()) {
        self.cost = cost
        totalJobs = plan.pending.count + plan.done.count
        totalFLOPs = (plan.pending + plan.done).reduce(0) { $0 + $1.predictedFLOPs }
        doneJobs = plan.done.count
        doneFLOPs = plan.done.reduce(0) { $0 + $1.predictedFLOPs }
        self.ranks = ranks
        self.started = started
    }

    public mutating func start(_ job: Job, on rank: Int, now: Date = Date()) {
        running[rank] = job
        runningSince[rank] = now
        resumedShare[rank] = nil
    }

    /// `rank`'s job resumed from a checkpoint `share` of the way through its planned steps.
    public mutating func resumed(on rank: Int, share: Double) {
        guard running[rank] != nil else { return }
        resumedShare[rank] = min(1, max(0, share))
    }

    public mutating func finish(on rank: Int, now: Date = Date()) {
        guard let job = running.removeValue(forKey: rank) else { return }
        // This session did only what the job's checkpoint had not: its rate counts that share.
        let share = resumedShare.removeValue(forKey: rank) ?? 0
        if let since = runningSince.removeValue(forKey: rank) { sessionBusySeconds += now.timeIntervalSince(since) }
        doneJobs += 1
        doneFLOPs += job.predictedFLOPs
        sessionFLOPs += (1 - share) * job.predictedFLOPs
    }

    /// Takes `rank`'s job off the running list without counting it done (a stalled rank's).
    public mutating func abandon(on rank: Int) {
        running.removeValue(forKey: rank)
        runningSince.removeValue(forKey: rank)
        resumedShare[rank] = nil
    }

    /// When `rank`'s running job started.
    public func startedAt(rank: Int) -> Date? { runningSince[rank] }

    /// When each running job started, and the rank-seconds the finished ones took.
    private var runningSince: [Int: Date] = [:]
    /// The share of each resumed running job its checkpoint had done.
    private var resumedShare: [Int: Double] = [:]
    private var sessionBusySeconds: Double = 0

    /// One rank's rate in predicted FLOPs per second, and whether it was measured: this
    /// session's finished jobs over the time they took, else the cost model's.
    public var rankRate: (flopsPerSecond: Double, measured: Bool) {
        sessionFLOPs > 0 && sessionBusySeconds > 0 ? (sessionFLOPs / sessionBusySeconds, true) : (cost.flopsPerSecond, false)
    }

    /// Seconds left, and whether the rate behind it was measured. A running job is credited
    /// with the work its checkpoint had done (if it resumed from one) and the work its rank has
    /// done at that rate since (at most 95% of it), the rest is shared by every rank, and no ETA
    /// is shorter than the longest running job's remainder.
    public func eta(now: Date = Date()) -> (seconds: Double, measured: Bool) {
        let (rate, measured) = rankRate
        var remaining = totalFLOPs - doneFLOPs
        var longest = 0.0
        for (rank, job) in running {
            let elapsed = runningSince[rank].map { now.timeIntervalSince($0) } ?? 0
            let credited = min(0.95 * job.predictedFLOPs, (resumedShare[rank] ?? 0) * job.predictedFLOPs + rate * elapsed)
            remaining -= credited
            longest = max(longest, (job.predictedFLOPs - credited) / rate)
        }
        let busy = Double(max(1, min(ranks, totalJobs - doneJobs)))
        return (max(longest, max(0, remaining) / (rate * busy)), measured)
    }

    public func line(now: Date = Date()) -> String {
        let percent = totalFLOPs > 0 ? 100 * doneFLOPs / totalFLOPs : 100
        var parts = [
            "\(doneJobs)/\(totalJobs) jobs",
            "\(ResultsTable.sci(doneFLOPs))/\(ResultsTable.sci(totalFLOPs)) FLOPs (\(Int(percent.rounded()))%)",
            eta(now: now).measured ? "ETA \(durationText(eta(now: now).seconds))"
                : "ETA ~\(durationText(eta(now: now).seconds)) (predicted)",
        ]
        let shown = min(ranks, 8)
        let ranksText = (0..<shown).map { rank in
            "r\(rank): \(running[rank]?.summary ?? "idle")"
        }.joined(separator: "; ")
        parts.append(ranksText + (ranks > shown ? "; +\(ranks - shown) ranks" : ""))
        return parts.joined(separator: " | ")
    }
}
