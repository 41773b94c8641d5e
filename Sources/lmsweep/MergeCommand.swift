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

    @Flag(help: "Replace the journal of an output folder that holds a sweep but is not one of the inputs.")
    var force = false

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one folder or journal to merge") }
        guard outputOptions.out != nil else { throw ValidationError("name the merged folder with -o/--out") }
    }

    var output: String { outputOptions.out ?? "" }

    /// Is `output` one of the inputs (the folder, or the folder of a journal file given)?
    var outputIsAnInput: Bool {
        let target = URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath().path
        return inputs.contains { input in
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory)
            let folder = isDirectory.boolValue ? input : (input as NSString).deletingLastPathComponent
            return URL(fileURLWithPath: folder.isEmpty ? "." : folder).standardizedFileURL.resolvingSymlinksInPath().path == target
        }
    }

    func run() throws {
        let existing = Journal.journalPath(in: output)
        if FileManager.default.fileExists(atPath: existing) && !outputIsAnInput && !force {
            StandardError.write("error: \(output) holds a sweep (\(existing)) that is not one of the inputs: merging would "
                                + "replace its journal. Add it as an input, merge into another folder, or pass --force")
            throw ExitCode.failure
        }
        let sourced = try loadJournals(inputs)
        let merged = MergedRecords(sourced)
        // One writer per folder: never under a running sweep.
        let lock: SweepLock
        do { lock = try SweepLock(folder: output, command: "merge") } catch {
            StandardError.write("error: \(error)")
            throw ExitCode.failure
        }
        defer { withExtendedLifetime(lock) {} }
        // In order of completion, then id: the same file whatever the order of the inputs.
        let records = merged.records.sorted { ($0.finishedAt, $0.id) < ($1.finishedAt, $1.id) }
        try Journal.write(records, to: existing)
        let paths: ResultFiles
        do {
            paths = try ResultFiles.write(records, to: output, title: URL(fileURLWithPath: output).lastPathComponent)
        } catch let error as OutputError {
            StandardError.write("error: \(error)")
            throw ExitCode.failure
        }
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
