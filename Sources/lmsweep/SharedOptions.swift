import ArgumentParser
import Corpus

/// The dataset folder, spelt the same on every command that reads data.
struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Dataset folder (default: $LMSWEEP_DATA, then ./data).", valueName: "folder"))
    var dataDir: String?

    var location: DataLocation { DataLocation.resolve(dataDir: dataDir) }
}

/// The folder a command writes its journal, tables and report to: `-o`/`--out` on every
/// command (`--output`, the old spelling of merge and report, still works).
struct OutputOptions: ParsableArguments {
    @Option(name: [.customShort("o"), .customLong("out"), .customLong("output")],
            help: ArgumentHelp("The sweep folder (journal, tables, report).", valueName: "folder"))
    var out: String?
}

/// How much a command says on stderr: `--quiet` for errors and warnings only, `--verbose` for
/// more (each command's help says what).
struct VerbosityOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print only errors and warnings on stderr.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Print more on stderr: each run's progress (run), the resolved config (train).")
    var verbose = false

    func validate() throws {
        if quiet && verbose { throw ValidationError("--quiet and --verbose exclude each other") }
    }

    /// Writes a progress line to stderr unless quiet; errors and warnings always.
    func log(_ line: String) {
        if !quiet || line.hasPrefix("error") || line.hasPrefix("warning") { StandardError.write(line) }
    }
}
