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
