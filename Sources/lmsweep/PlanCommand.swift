import ArgumentParser
import Foundation
import Sweep
import Training

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Check a sweep spec and print its jobs with predicted parameters, FLOPs and time.",
        discussion: """
        Validates the spec exactly as `run` does (every problem at once, with file:line) and \
        prints one row per job after grid expansion and collapse, largest predicted cost \
        first, then the totals. Times use the median measured throughput of the runs already \
        in the output folder's journal, or an assumed single-core rate when it has none.

        --show ID prints one job's resolved config instead (every default decided, the keys \
        that do not apply to its architecture left out) as JSON, with its predicted cost; a \
        unique prefix of the id is enough.

        Examples:
          lmsweep plan sweeps/grid.yaml --ranks 2
          lmsweep plan sweeps/grid.yaml --show 791b86
        """)

    @Argument(help: "The sweep spec (YAML, or JSON).")
    var spec: String

    @Option(help: ArgumentHelp("Ranks to predict the wall time for.", valueName: "n"))
    var ranks = 1

    @OptionGroup var output: OutputOptions
    @OptionGroup var data: DataOptions

    @Option(help: ArgumentHelp("Plan only piece K of N of the sweep (K from 1), or `slurm` (this job-array task's piece), as `run --shard` runs it.", valueName: "K/N|slurm"))
    var shard: String?

    @Option(help: ArgumentHelp("Print this job's resolved config (a unique prefix of its id is enough).", valueName: "id"))
    var show: String?

    func validate() throws {
        if let show, show.isEmpty || !show.allSatisfy(\.isHexDigit) {
            throw ValidationError("--show: '\(show)' is not a job id (hex digits, as `lmsweep plan` lists them)")
        }
        guard ranks >= 1 else { throw ValidationError("--ranks must be at least 1 (got \(ranks))") }
        if let shard { do { _ = try Shard(parsing: shard) } catch { throw ValidationError("\(error)") } }
    }

    func run() throws {
        let sweep: SweepSpec
        let expansion: Grid.Expansion
        do {
            sweep = try SweepSpec.load(path: spec)
            expansion = try Grid.expand(sweep, data: data.location)
        } catch let error as SpecValidationError {
            StandardError.write("\(error)")
            throw ExitCode.failure
        }
        for warning in expansion.warnings { StandardError.write("warning: \(warning)") }
        let journalPath = Journal.journalPath(in: output.out ?? PreparedSweep.defaultOutput(for: sweep))
        let finished = MergedRecords(try Journal.load(path: journalPath, warn: StandardError.write)).byID
        let cost = CostModel(calibratedFrom: Array(finished.values))
        let piece = try shard.map { try Shard(parsing: $0) }
        let jobs = (piece?.select(expansion.jobs) ?? expansion.jobs).sorted(by: Job.largestFirst)
        if let show { return try Self.show(show, of: jobs, spec: sweep, finished: finished, cost: cost) }

        print("sweep \(sweep.name) (\(sweep.file)): \(jobs.count) jobs" + (piece.map { " (shard \($0) of \(expansion.jobs.count))" } ?? ""))
        let header = ["id", "run", "params", "pred. FLOPs", "pred. time", "status"]
        var rows: [[String]] = []
        let varying = Job.varyingKeys(jobs)
        for job in jobs {
            let status = finished[job.id].map { $0.status.rawValue } ?? "pending"
            rows.append([job.id, job.summary(with: varying), "\(job.parameters)", ResultsTable.sci(job.predictedFLOPs),
                         durationText(cost.seconds(job.predictedFLOPs)), status])
        }
        printTable(header: header, rows: rows)

        let total = jobs.reduce(0) { $0 + $1.predictedFLOPs }
        let pending = jobs.filter { finished[$0.id] == nil }
        let rate = cost.flopsPerSecond == CostModel.assumedFlopsPerSecond ? "assumed" : "measured"
        print("total: \(jobs.count) jobs, \(pending.count) pending, \(ResultsTable.sci(total)) predicted FLOPs, "
              + "\(durationText(cost.seconds(total))) on one rank at \(ResultsTable.sci(cost.flopsPerSecond)) FLOP/s (\(rate))")
        if let design = sweep.isoflop {
            print("")
            print(IsoFLOPPlan.text(jobs: jobs, design: design, finished: Array(finished.values), cost: cost), terminator: "")
        }
        if ranks > 1 {
            let makespan = Self.makespan(pending.map(\.predictedFLOPs), ranks: ranks)
            print("pending on \(ranks) ranks (largest first): about \(durationText(cost.seconds(makespan)))")
        }
    }

    /// Prints the job whose id starts with `prefix`, or exits 1 saying why there is not one.
    static func show(_ prefix: String, of jobs: [Job], spec: SweepSpec, finished: [String: RunRecord], cost: CostModel) throws {
        let matches = jobs.filter { $0.id.hasPrefix(prefix.lowercased()) }
        guard matches.count == 1, let job = matches.first else {
            if matches.isEmpty {
                StandardError.write("error: --show \(prefix): no job of \(spec.file) has an id starting with '\(prefix)' "
                                    + "(\(jobs.count) jobs; `lmsweep plan \(spec.file)` lists them)")
            } else {
                StandardError.write("error: --show \(prefix): \(matches.count) jobs of \(spec.file) have ids starting with '\(prefix)': "
                                    + matches.prefix(8).map(\.id).joined(separator: ", ") + (matches.count > 8 ? ", ..." : "")
                                    + "; give more digits")
            }
            throw ExitCode.failure
        }
        print("job \(job.id): \(job.summary) (from \(job.origin.isEmpty ? spec.file : job.origin))")
        print("predicted: \(job.parameters) parameters, \(ResultsTable.sci(job.predictedFLOPs)) FLOPs, "
              + "\(durationText(cost.seconds(job.predictedFLOPs))) on one rank; status: \(finished[job.id]?.status.rawValue ?? "pending")")
        // One key per line, each value as the run's id hashes it.
        let fields = job.config.fields.sorted { $0.key < $1.key }
        print("{\n" + fields.map { "  \"\($0.key)\": \($0.json)" }.joined(separator: ",\n") + "\n}")
    }

    /// Longest-processing-time-first on `ranks` identical ranks: what the coordinator does.
    static func makespan(_ costs: [Double], ranks: Int) -> Double {
        var load = Array(repeating: 0.0, count: ranks)
        for cost in costs.sorted(by: >) {
            let least = load.indices.min { load[$0] < load[$1] }!
            load[least] += cost
        }
        return load.max() ?? 0
    }

    private func printTable(header: [String], rows: [[String]]) {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                // Numbers right-aligned, text left-aligned.
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return (2...4).contains(index) ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }
        print(line(header))
        print(line(widths.map { String(repeating: "-", count: $0) }))
        rows.forEach { print(line($0)) }
    }
}
