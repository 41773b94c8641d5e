import Corpus
import Foundation
import Training

/// `lmsweep status`: a sweep folder read from outside, running or finished. The journal says
/// what is done (and the best run); rank 0's `status.json` what each rank runs and the ETA,
/// live only while a `run` holds the folder's lock; the spec kept beside the journal how many
/// jobs there are when no status file says.
public struct StatusReport {
    public enum State: String { case running, finished, stopped, incomplete }

    public let folder: String
    public let name: String
    public let state: State
    public let totalJobs: Int?
    /// Jobs of the plan ``totalJobs`` counts that the journal holds (failed ones too).
    public let done: Int
    public let failed: Int
    /// Journal records outside that plan: runs of an earlier spec the folder kept (`--add`).
    public let otherRecords: Int
    public let running: [SweepStatus.RankJob]
    public let status: SweepStatus?
    public let holder: SweepLock.Holder?
    public let best: SweepStatus.Best?
    /// Best run per dataset and architecture (what the end of `run` prints too).
    public let bestPerGroup: [String]

    /// Reads `folder`; throws when it holds no journal, nor status, nor spec.
    public init(folder: String, data: DataLocation? = nil, warn: (String) -> Void = { _ in }) throws {
        self.folder = folder
        let fm = FileManager.default
        let journalPath = Journal.journalPath(in: folder)
        let specPath = (folder as NSString).appendingPathComponent(SweepFolder.specFile)
        guard fm.fileExists(atPath: journalPath) || fm.fileExists(atPath: specPath) else {
            throw StatusError(description: "\(folder): not a sweep folder (no \(Journal.fileName) and no spec.yaml)")
        }
        let records = fm.fileExists(atPath: journalPath) ? MergedRecords(try Journal.load(path: journalPath, warn: warn)).records : []
        best = SweepStatus.best(of: records)
        bestPerGroup = BestRuns.lines(records)
        holder = SweepLock.holder(of: folder)
        let status = SweepStatus.read(from: folder)
        self.status = status
        // The spec's job count, when no live status gives it.
        var specJobs: Int?
        var specIDs: Set<String>?
        var specName: String?
        if let spec = try? SweepSpec.load(path: specPath) {
            specName = spec.name
            if let jobs = try? Grid.expand(spec, data: data).jobs {
                specIDs = Set(jobs.map(\.id))
                specJobs = specIDs!.union(records.map(\.id)).count
            }
        }
        name = SweepFolder.sweepName(in: folder) ?? specName ?? URL(fileURLWithPath: folder).lastPathComponent
        // A `run` holds the folder: its status file (if it has written one) is live.
        let live = holder?.command == "run"
        let current = live && status?.state == .running ? status : nil
        running = current?.running ?? []
        // The status file counts what the last run planned (a --shard's piece, not the whole
        // spec); without one, the spec kept in the folder and the journal say.
        totalJobs = current?.totalJobs ?? status?.totalJobs ?? specJobs
        // That plan is the spec's jobs (or a piece of them); records of an earlier spec in the
        // same journal are no part of it, so they count neither as done nor against pending.
        // Without the spec (or the data to expand it), the status file's own count stands.
        let plan = current ?? status
        let counted = plan == nil ? records : specIDs.map { ids in records.filter { ids.contains($0.id) } } ?? records
        done = plan != nil && specIDs == nil ? min(records.count, plan!.doneJobs) : counted.count
        failed = counted.filter { $0.status != .ok }.count
        otherRecords = plan != nil && specIDs != nil ? records.count - counted.count : 0
        if live {
            state = .running
        } else if let total = totalJobs, done < total {
            state = status?.state == .running ? .stopped : .incomplete
        } else {
            state = .finished
        }
    }

    public var pending: Int? { totalJobs.map { max(0, $0 - done - running.count) } }

    /// The report as lines, ages measured from `now`.
    public func lines(now: Date = Date()) -> [String] {
        var out: [String] = []
        var head = "sweep \(name) (\(folder)): \(state.rawValue)"
        switch state {
        case .running: if let holder { head += ", \(holder)" }
        case .stopped: head += " (no process holds the folder; rank 0's last status \(age(status?.updatedAt, now)) ago); run it again to resume"
        case .incomplete: head += "; run it again to resume"
        case .finished: break
        }
        out.append(head)
        var counts = "jobs: \(totalJobs.map(String.init) ?? "?") total, \(done) done"
        if failed > 0 { counts += " (\(failed) failed or diverged)" }
        counts += ", \(running.count) running, \(pending.map(String.init) ?? "?") pending"
        if otherRecords > 0 { counts += "; the journal also holds \(otherRecords) run\(otherRecords == 1 ? "" : "s") of earlier specs" }
        out.append(counts)
        if state == .running, let status {
            let percent = status.totalFLOPs > 0 ? Int((100 * status.doneFLOPs / status.totalFLOPs).rounded()) : 100
            let eta = status.etaSeconds.map { status.etaMeasured ? durationText($0) : "~" + durationText($0) + " (predicted)" } ?? "?"
            out.append("progress: \(ResultsTable.sci(status.doneFLOPs))/\(ResultsTable.sci(status.totalFLOPs)) predicted FLOPs (\(percent)%), ETA \(eta) as of \(age(status.updatedAt, now)) ago")
            for job in running {
                let fraction = job.plannedSteps > 0 ? min(99, Int(100 * Double(job.activity) / Double(job.plannedSteps))) : 0
                out.append("rank \(job.rank): \(job.id) \(job.summary): \(job.activity) steps and eval batches (~\(fraction)% of \(job.plannedSteps) planned steps), "
                           + "running \(age(job.startedAt, now)), last heartbeat \(age(job.lastHeartbeat, now)) ago")
            }
        }
        if let best {
            out.append("best so far: \(best.id) \(best.summary): test NLL \(String(format: "%.4f", best.testNLL))")
        }
        if state == .finished || state == .incomplete || state == .stopped { out += bestPerGroup.map { "  " + $0 } }
        return out
    }

    private func age(_ timestamp: String?, _ now: Date) -> String {
        guard let timestamp, let date = SweepStatus.date(timestamp) else { return "?" }
        return durationText(max(0, now.timeIntervalSince(date)))
    }
}

public struct StatusError: Error, CustomStringConvertible {
    public let description: String
}

/// The best run per dataset and architecture: one line each, lowest test NLL first within a
/// dataset. What the end of `run` prints and `status` shows.
public enum BestRuns {
    public static func lines(_ records: [RunRecord]) -> [String] {
        let scored = records.filter { $0.status == .ok && ($0.testNLL?.isFinite ?? false) }
        let groups = Dictionary(grouping: scored) { "\(Report.corpusName($0.config))|\($0.config.arch.rawValue)" }
        let best = groups.values.map { $0.min { ($0.testNLL!, $0.id) < ($1.testNLL!, $1.id) }! }
        return best.sorted {
            let a = (Report.corpusName($0.config), ResultsTable.rank($0.config.arch))
            let b = (Report.corpusName($1.config), ResultsTable.rank($1.config.arch))
            return a < b
        }.map { r in
            let quality = r.bitsPerChar.map { String(format: ", %.4f bits/char", $0) }
                ?? r.perplexity.map { String(format: ", perplexity %.2f", $0) } ?? ""
            return "best \(Report.corpusName(r.config)) \(r.config.arch.rawValue): \(r.id) \(r.run.summary): "
                + "test NLL \(String(format: "%.4f", r.testNLL!))\(quality), \(r.paramsTotal) params, \(ResultsTable.sci(r.flopsExact)) FLOPs"
        }
    }
}
