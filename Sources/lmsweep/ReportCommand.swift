import ArgumentParser
import Foundation
import Sweep
import Training

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write results.csv, results.md, curves.csv, report.md and SVG figures from sweep journals.",
        discussion: """
        Reads the journals (sweep output folders or journal files), merges them as `lmsweep \
        merge` does, and writes the tables (results.csv, results.md, curves.csv) and report.md \
        with one table per dataset and its figures: test \
        NLL against training FLOPs under each FLOP convention (study proxy, 6N, exact) with \
        the Pareto frontier, against context length and depth, learning curves, learned vs \
        RoPE positions, and mean ± spread over seeds. Runs sized to a FLOP budget (isoflop \
        sweeps) add the compute-optimal frontier: frontier.json, its section and figures. Reports are always regenerated from \
        journals, never edited. `lmsweep run` writes one at the end of every sweep.

        Example:
          lmsweep report results/study-tiny
          lmsweep report results/grid-node1 results/grid-node2 -o results/grid
        """)

    @Argument(help: "Sweep output folders or journal files.")
    var inputs: [String]

    @OptionGroup var outputOptions: OutputOptions

    @Option(help: "Title of the report (default: the output folder's name).")
    var title: String?

    @Option(help: ArgumentHelp("N in the compute-optimal frontier's fits: non-embedding parameters or all of them.",
                               valueName: "non-embedding|total"))
    var frontierParameters = FrontierOptions.ParameterCount.nonEmbedding.rawValue

    func validate() throws {
        guard FrontierOptions.ParameterCount(rawValue: frontierParameters) != nil else {
            throw ValidationError("--frontier-parameters must be non-embedding or total (got '\(frontierParameters)')")
        }
        guard !inputs.isEmpty else { throw ValidationError("give at least one sweep folder or journal") }
    }

    func run() throws {
        let sourced = try loadJournals(inputs)
        let merged = MergedRecords(sourced)
        for conflict in merged.conflicts { StandardError.write("\(conflict)") }
        guard merged.conflicts.isEmpty else {
            StandardError.write("error: \(merged.conflicts.count) conflicting run(s): resolve them with `lmsweep merge` first")
            throw ExitCode.failure
        }
        let folder = outputOptions.out ?? defaultFolder()
        let name = title ?? URL(fileURLWithPath: folder).lastPathComponent
        var frontier = FrontierOptions()
        frontier.parameterCount = FrontierOptions.ParameterCount(rawValue: frontierParameters)!
        let files: ResultFiles
        do {
            try OutputError.naming(folder) { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            files = try ResultFiles.write(merged.records, to: folder, title: name, frontier: frontier)
        } catch let error as OutputError {
            StandardError.write("error: \(error)")
            throw ExitCode.failure
        }
        let figures = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".svg") }
        print("report of \(merged.records.count) runs: \(files.report)")
        print("tables: \(files.csv), \(files.markdown), \(files.curves)")
        print("figures: \(figures.count) SVG files in \(folder)")
    }

    private func defaultFolder() -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: inputs[0], isDirectory: &isDirectory), isDirectory.boolValue {
            return inputs[0]
        }
        return (inputs[0] as NSString).deletingLastPathComponent
    }
}

/// The journals named on a command line, or exit 1 naming the one that cannot be read.
func loadJournals(_ inputs: [String]) throws -> [SourcedRecord] {
    do {
        return try JournalInputs.load(inputs, warn: StandardError.write)
    } catch {
        StandardError.write("error: \(error)")
        throw ExitCode.failure
    }
}
