import Corpus
import Foundation
import Training

/// Everything rank 0 knows before the first job is handed out: the checked spec, its jobs,
/// the journal (opened for appending), what it already holds, and what is left to run.
public struct PreparedSweep {
    public let spec: SweepSpec
    public let jobs: [Job]
    /// Held for the sweep's life: one writer per folder.
    public let lock: SweepLock
    public let journal: Journal
    public let existing: MergedRecords
    public let plan: Resume.Plan
    public let warnings: [String]
    /// The piece of the sweep this folder runs, if any, and the spec's whole job count.
    public let shard: Shard?
    public let specJobCount: Int

    /// Output folder for a spec when `--out` is not given: `results/NAME`.
    public static func defaultOutput(for spec: SweepSpec) -> String { "results/\(spec.name)" }

    /// Loads and validates the spec (every problem at once), expands it, opens the journal in
    /// `output` and works out which jobs remain. `check` runs on every job before any
    /// training starts (the Trainer's preflight: data present, context fits); its failures
    /// are reported as spec problems at the line of the job's dataset (or of its grid).
    /// With `shard`, only that piece of the jobs (see ``Shard``).
    public static func prepare(specPath: String, output: String?, retryFailed: Bool, shard: Shard? = nil, add: Bool = false,
                               data: DataLocation? = nil, check: ((RunConfig) throws -> Void)? = nil,
                               warn: (String) -> Void) throws -> PreparedSweep {
        let spec = try SweepSpec.load(path: specPath)
        let expansion = try Grid.expand(spec, data: data)
        let jobs = shard?.select(expansion.jobs) ?? expansion.jobs
        if let check {
            var problems: [SpecProblem] = []
            var seen: Set<String> = []
            for job in jobs {
                do { try check(job.config) } catch {
                    let message = "\(error)"
                    guard seen.insert(message).inserted else { continue }
                    // Most such failures are about the data: point at the dataset if the spec set it.
                    let line = job.settingLines["dataset"] ?? Int(job.origin.split(separator: ":").last ?? "") ?? 0
                    problems.append(SpecProblem(file: spec.file, line: line, key: "run", value: job.summary,
                                                message: message))
                }
            }
            if !problems.isEmpty { throw SpecValidationError(problems: problems) }
        }
        let directory = output ?? defaultOutput(for: spec)
        let lock = try SweepLock(folder: directory, command: "run")
        if let previous = lock.previous { warn("\(directory): taking over the lock of \(previous), which is gone") }
        try SweepFolder.check(spec, in: directory, add: add)
        let journal = try Journal(directory: directory, warn: warn)
        let existing = MergedRecords(try Journal.load(path: journal.path, warn: warn))
        for conflict in existing.conflicts { warn("\(conflict)") }
        try SweepFolder.write(spec, in: directory)
        let plan = Resume.plan(jobs: jobs, journal: existing, retryFailed: retryFailed)
        return PreparedSweep(spec: spec, jobs: jobs, lock: lock, journal: journal, existing: existing,
                             plan: plan, warnings: expansion.warnings, shard: shard, specJobCount: expansion.jobs.count)
    }

    /// Regenerates `results.csv`, `results.md`, `curves.csv` and `report.md` with its figures from the
    /// journal (the source of truth).
    @discardableResult
    public func writeResults(warn: (String) -> Void) throws -> ResultFiles {
        try Self.writeResults(directory: journal.directory, title: spec.name, warn: warn)
    }

    public static func writeResults(directory: String, title: String, warn: (String) -> Void) throws -> ResultFiles {
        let records = MergedRecords(try Journal.load(path: Journal.journalPath(in: directory), warn: warn))
        return try ResultFiles.write(records.records, to: directory, title: title)
    }
}

/// The tables and the report regenerated from a set of records.
public struct ResultFiles: Sendable {
    public let csv: String
    public let markdown: String
    public let curves: String
    public let report: String

    public static func write(_ records: [RunRecord], to directory: String, title: String,
                             frontier: FrontierOptions = FrontierOptions()) throws -> ResultFiles {
        let tables = try OutputError.naming(directory) { try ResultsTable(records).write(to: directory) }
        try OutputError.naming(directory) {
            try Report.write(records: records, to: URL(fileURLWithPath: directory), title: title, frontier: frontier)
        }
        // Named like the tables: relative to the working directory when the folder was given so.
        return ResultFiles(csv: tables.csv, markdown: tables.markdown, curves: tables.curves,
                           report: (directory as NSString).appendingPathComponent("report.md"))
    }
}
