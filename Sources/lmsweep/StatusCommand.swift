import ArgumentParser
import Foundation
import Sweep
import Training

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a sweep's progress from any terminal: counts, each rank's job, ETA, best run.",
        discussion: """
        Reads the sweep folder: the journal for what is done and the best run, rank 0's \
        status.json (rewritten atomically about once a second while `run` holds the folder) \
        for each rank's current job, its progress and last heartbeat, and the ETA. A finished \
        or stopped sweep is described from its journal and spec alone.

        Examples:
          lmsweep status results/grid
          lmsweep status results/grid --watch --interval 10
        """)

    @Argument(help: "The sweep folder (what `run --out` wrote to).")
    var folder: String

    @Flag(help: "Print the status again every --interval seconds until the sweep is no longer running.")
    var watch = false

    @Option(help: ArgumentHelp("Seconds between reports with --watch.", valueName: "seconds"))
    var interval: Double = 5

    @OptionGroup var data: DataOptions
    @OptionGroup var verbosity: VerbosityOptions

    func validate() throws {
        guard interval > 0 && interval.isFinite else { throw ValidationError("--interval must be a positive number of seconds (got \(interval))") }
    }

    func run() throws {
        while true {
            let report: StatusReport
            do {
                report = try StatusReport(folder: folder, data: data.location, warn: verbosity.log)
            } catch {
                StandardError.write("error: \(error)")
                throw ExitCode.failure
            }
            report.lines().forEach { print($0) }
            guard watch, report.state == .running else { return }
            fflush(stdout)
            Thread.sleep(forTimeInterval: interval)
            print("")
        }
    }
}
