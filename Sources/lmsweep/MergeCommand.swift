import ArgumentParser
import Foundation
import Sweep
import Training

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the journals of partial sweeps into one journal and one results table.",
        discussion: """
        Each input is a sweep output folder (its journal.jsonl) or a journal file. Records of \
        the same run with the same results collapse; a finished record replaces a failed one.

        Records of the same run with different results are told apart by their numerics (the \
        fingerprint every record carries, see `lmsweep numerics`):
          numeric variant   different fingerprints: rounding, not a disagreement. Exit 0; the \
        size of the difference is reported, every version goes to OUT/variants.jsonl, and the \
        version kept is the one computed under the numerics most runs of the merge share (ties: \
        the smallest fingerprint), whatever the order of the inputs.
          conflict          the same fingerprint, or records written before numerics were \
        recorded: each is reported with the file:line it came from, all versions go to \
        OUT/conflicts.jsonl, the first is kept, and the command exits with status 1.

        Example:
          lmsweep merge results/grid-node1 results/grid-node2 -o results/grid
        """)

    @Argument(help: "Sweep output folders or journal files.")
    var inputs: [String]

    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup var verbosity: VerbosityOptions

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one folder or journal to merge") }
        guard outputOptions.out != nil else { throw ValidationError("name the merged folder with -o/--out") }
    }

    var output: String { outputOptions.out ?? "" }

    func run() throws {
        let sourced = try loadJournals(inputs)
        let merged = MergedRecords(sourced)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        try Journal.write(merged.records, to: Journal.journalPath(in: output))
        let paths = try ResultFiles.write(merged.records, to: output, title: URL(fileURLWithPath: output).lastPathComponent)
        for note in merged.superseded {
            verbosity.log("note: \(note.source): \(note.record.status.rawValue) run \(note.record.id) superseded by a finished record")
        }
        let variantsPath = (output as NSString).appendingPathComponent("variants.jsonl")
        let conflictsPath = (output as NSString).appendingPathComponent("conflicts.jsonl")
        // Files of an earlier merge into this folder would describe records no longer there.
        for stale in [variantsPath, conflictsPath] where FileManager.default.fileExists(atPath: stale) {
            try FileManager.default.removeItem(atPath: stale)
        }
        let variantNote = merged.variants.isEmpty ? "" : ", \(merged.variants.count) with numeric variants"
        print("merged \(sourced.count) records from \(inputs.count) journals into \(merged.records.count) runs\(variantNote)")
        print("journal: \(Journal.journalPath(in: output))")
        print("results: \(paths.csv)")
        print("results: \(paths.markdown)")
        print("report:  \(paths.report)")
        if !merged.variants.isEmpty {
            try Journal.write(merged.variants.flatMap(\.versions).map(\.record), to: variantsPath)
            let shown = 10
            for variant in merged.variants.prefix(shown) { verbosity.log("note: \(variant)") }
            if merged.variants.count > shown { verbosity.log("note: ... and \(merged.variants.count - shown) more") }
            let largest = merged.variants.max { $0.nllDifference < $1.nllDifference }!
            verbosity.log(String(format: "note: %d run(s) finished under different numerics (rounding, not conflicts); "
                                       + "NLL differs by at most %.3g (run %@); kept: the most shared numerics; "
                                       + "every version is in %@", merged.variants.count, largest.nllDifference,
                                       largest.id, variantsPath))
        }
        guard merged.conflicts.isEmpty else {
            try Journal.write(merged.conflicts.flatMap(\.versions).map(\.record), to: conflictsPath)
            for conflict in merged.conflicts { StandardError.write("\(conflict)") }
            StandardError.write("error: \(merged.conflicts.count) conflicting run(s); every version is in \(conflictsPath)")
            throw ExitCode.failure
        }
    }
}
