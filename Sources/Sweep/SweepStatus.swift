import Foundation
import Training

/// What a sweep is doing, for `lmsweep status` in another terminal: job counts, what each rank
/// runs and when it last showed progress, the ETA and the best run so far. Rank 0 keeps it in
/// `FOLDER/status.json`, replaced atomically (a temporary file renamed over it), so a reader
/// never sees half of one. The journal stays the source of truth: a finished sweep's status
/// is worked out from the journal alone.
public struct SweepStatus: Codable, Equatable, Sendable {
    public static let fileName = "status.json"

    public enum State: String, Codable, Sendable { case running, finished }

    /// One rank's run in flight.
    public struct RankJob: Codable, Equatable, Sendable {
        public var rank: Int
        public var id: String
        public var summary: String
        public var startedAt: String
        /// The rank's activity count (training steps and evaluation batches) in this run; a
        /// run resumed from a checkpoint counts from the checkpoint's step.
        public var activity: UInt64
        /// Planned optimizer steps of the run (its epochs; a token or FLOP budget may stop it sooner).
        public var plannedSteps: Int
        /// When the rank last reported progress (ISO 8601).
        public var lastHeartbeat: String

        enum CodingKeys: String, CodingKey {
            case rank, id, summary, startedAt = "started_at", activity, plannedSteps = "planned_steps"
            case lastHeartbeat = "last_heartbeat"
        }
    }

    /// The run with the lowest test NLL so far.
    public struct Best: Codable, Equatable, Sendable {
        public var id: String
        public var summary: String
        public var testNLL: Double
        enum CodingKeys: String, CodingKey { case id, summary, testNLL = "test_nll" }
    }

    public var state: State
    public var updatedAt: String
    public var pid: Int32
    public var host: String
    public var ranks: Int
    public var totalJobs: Int
    public var doneJobs: Int
    /// Of the done jobs, those whose status is failed or diverged.
    public var failedJobs: Int
    public var runningJobs: Int
    public var pendingJobs: Int
    public var doneFLOPs: Double
    public var totalFLOPs: Double
    public var etaSeconds: Double?
    public var etaMeasured: Bool
    public var running: [RankJob]
    public var best: Best?

    enum CodingKeys: String, CodingKey {
        case state, updatedAt = "updated_at", pid, host, ranks, totalJobs = "total_jobs", doneJobs = "done_jobs"
        case failedJobs = "failed_jobs", runningJobs = "running_jobs", pendingJobs = "pending_jobs"
        case doneFLOPs = "done_flops", totalFLOPs = "total_flops", etaSeconds = "eta_seconds"
        case etaMeasured = "eta_measured", running, best
    }

    /// The best scored run of `records` (lowest test NLL; ties by id).
    public static func best(of records: [RunRecord]) -> Best? {
        records.filter { $0.status == .ok && ($0.testNLL?.isFinite ?? false) }
            .min { ($0.testNLL!, $0.id) < ($1.testNLL!, $1.id) }
            .map { Best(id: $0.id, summary: $0.run.summary, testNLL: $0.testNLL!) }
    }

    /// Writes `FOLDER/status.json` atomically: a temporary file in the folder, renamed over it.
    public func write(to folder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        let path = (folder as NSString).appendingPathComponent(Self.fileName)
        let temporary = (folder as NSString).appendingPathComponent(".\(Self.fileName).\(getpid()).tmp")
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw StatusFileError(path: path, reason: String(cString: strerror(errno)))
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw StatusFileError(path: path, reason: reason)
        }
    }

    /// `FOLDER/status.json`, or nil when there is none (or it does not parse).
    public static func read(from folder: String) -> SweepStatus? {
        let path = (folder as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(SweepStatus.self, from: data)
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
    }

    public static func date(_ text: String) -> Date? { ISO8601DateFormatter().date(from: text) }
}

/// The status file could not be written (its folder is gone, the disk is full).
public struct StatusFileError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "cannot write \(path): \(reason)" }
}

/// Rank 0's writer of `status.json`: fed by the job queue as jobs start and finish and ranks
/// report progress, it writes at most once a second (and always at the start and the end).
final class StatusWriter {
    private let folder: String
    private var lastWrite = Date.distantPast
    private var heartbeats: [Int: (count: UInt64, at: Date)] = [:]
    /// Each rank's activity count when its current job started (the counts run on across jobs).
    private var baselines: [Int: UInt64] = [:]
    /// The checkpoint step each rank's current job resumed from (absent: it started at 0).
    private var resumedSteps: [Int: Int] = [:]
    private var best: SweepStatus.Best?
    private var failed: Int
    /// Set once the journal is gone: no more writes.
    private var stopped = false
    /// Where the first write failed, said once; a status file is a convenience, never a reason to stop.
    private var warned = false
    private let warn: (String) -> Void

    init(folder: String, existing: [RunRecord], warn: @escaping (String) -> Void) {
        self.folder = folder
        self.warn = warn
        best = SweepStatus.best(of: existing)
        failed = existing.filter { $0.status != .ok }.count
    }

    func heartbeat(rank: Int, count: UInt64, now: Date = Date()) {
        if heartbeats[rank]?.count != count { heartbeats[rank] = (count, now) }
    }

    func started(rank: Int, now: Date = Date()) {
        let count = heartbeats[rank]?.count ?? 0
        baselines[rank] = count
        heartbeats[rank] = (count, now)
        resumedSteps[rank] = nil
    }

    func resumed(rank: Int, step: Int) { resumedSteps[rank] = max(0, step) }

    /// How far `rank`'s job is against its planned steps (at most 99%): in all, counting the
    /// steps of the checkpoint it resumed from, and in this session alone.
    private func fraction(_ job: Job, rank: Int) -> Progress {
        let planned = Double(CostEstimate.plannedSteps(job.config.resolved()))
        guard planned > 0 else { return Progress(done: 0, session: 0) }
        let session = Double(activity(rank))
        return Progress(done: min(0.99, (session + Double(resumedSteps[rank] ?? 0)) / planned), session: min(0.99, session / planned))
    }

    /// A running job's share done: in all, and by this session (the share a rate is measured on).
    struct Progress: Equatable {
        var done: Double
        var session: Double
    }

    /// The progress line's ETA, except before the session's first record, when the cost
    /// model's assumed rate can be far off: then the rate the running jobs show by their
    /// progress (a fifth of a job done in this session at least) is a measurement too. A job
    /// resumed from a checkpoint is credited with all it has done, and its rate is this
    /// session's work over this session's time.
    static func eta(_ progress: SweepProgress, fractions: [Int: Progress], now: Date) -> (seconds: Double, measured: Bool) {
        let eta = progress.eta(now: now)
        guard !eta.measured else { return eta }
        var rates: [Double] = [], credited = 0.0, longest = 0.0
        for (rank, job) in progress.running {
            guard let f = fractions[rank], f.session >= 0.2, let since = progress.startedAt(rank: rank) else { continue }
            let elapsed = now.timeIntervalSince(since)
            guard elapsed > 0 else { continue }
            rates.append(job.predictedFLOPs * f.session / elapsed)
            credited += job.predictedFLOPs * f.done
            longest = max(longest, elapsed * (1 - f.done) / f.session)
        }
        guard !rates.isEmpty else { return eta }
        let rate = rates.reduce(0, +) / Double(rates.count)
        let busy = Double(max(1, min(progress.ranks, progress.totalJobs - progress.doneJobs)))
        let remaining = max(0, progress.totalFLOPs - progress.doneFLOPs - credited)
        return (max(longest, remaining / (rate * busy)), true)
    }

    /// `rank`'s activity since its job started (a count that restarted counts from zero).
    private func activity(_ rank: Int) -> UInt64 {
        let count = heartbeats[rank]?.count ?? 0, baseline = baselines[rank] ?? 0
        return count >= baseline ? count - baseline : count
    }

    func finished(_ record: RunRecord) {
        if record.status != .ok { failed += 1 }
        if let candidate = SweepStatus.best(of: [record]), best.map({ (candidate.testNLL, candidate.id) < ($0.testNLL, $0.id) }) ?? true {
            best = candidate
        }
    }

    /// Writes the status if a second has passed since the last write, or `force`.
    func update(_ progress: SweepProgress, pending: Int, force: Bool = false, now: Date = Date()) {
        guard force || now.timeIntervalSince(lastWrite) >= 1 else { return }
        lastWrite = now
        // A folder whose journal is gone is being removed (or was): adding files to it would
        // only get in the way of the removal; the sweep stops at its next record.
        guard !stopped, FileManager.default.fileExists(atPath: Journal.journalPath(in: folder)) else {
            stopped = true
            return
        }
        let eta = Self.eta(progress, fractions: Dictionary(uniqueKeysWithValues: progress.running.map { ($0.key, fraction($0.value, rank: $0.key)) }), now: now)
        let drained = pending == 0 && progress.running.isEmpty
        let running = progress.running.sorted { $0.key < $1.key }.map { rank, job in
            SweepStatus.RankJob(rank: rank, id: job.id, summary: job.summary,
                                startedAt: SweepStatus.timestamp(progress.startedAt(rank: rank) ?? now),
                                activity: activity(rank) + UInt64(resumedSteps[rank] ?? 0),
                                plannedSteps: CostEstimate.plannedSteps(job.config.resolved()),
                                lastHeartbeat: SweepStatus.timestamp(heartbeats[rank]?.at ?? now))
        }
        let status = SweepStatus(state: drained ? .finished : .running, updatedAt: SweepStatus.timestamp(now),
                                 pid: getpid(), host: ProcessInfo.processInfo.hostName, ranks: progress.ranks,
                                 totalJobs: progress.totalJobs, doneJobs: progress.doneJobs, failedJobs: failed,
                                 runningJobs: running.count, pendingJobs: pending,
                                 doneFLOPs: progress.doneFLOPs, totalFLOPs: progress.totalFLOPs,
                                 etaSeconds: drained ? 0 : eta.seconds, etaMeasured: eta.measured,
                                 running: running, best: best)
        do { try status.write(to: folder) } catch {
            if !warned { warn("warning: \(error) (the sweep goes on; `lmsweep status` reads the journal)") }
            warned = true
        }
    }
}
