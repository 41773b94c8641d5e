import ArgumentParser
import Cluster
import Corpus
import Foundation
import Sweep
import TensorCore
import Training

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run every job of a sweep spec, across MPI ranks when started by mpirun.",
        discussion: """
        Rank 0 checks the whole spec first (every problem, with file:line), then hands out \
        jobs largest-first to whichever rank asks and trains jobs itself on a second thread. \
        Each finished record is appended to OUT/journal.jsonl (flushed and fsynced); at the \
        end OUT/results.csv, OUT/results.md and OUT/report.md (with SVG figures) are written. Without mpirun it runs as a world \
        of one and gives the same results.

        OUT is --out, or results/NAME with NAME from the spec. Running the same command again resumes: jobs already in the journal are skipped, and \
        jobs a changed spec adds are run.

        Before any training every rank runs a numerics canary (a few seeded training steps of \
        tiny models, well under a second) and rank 0 compares the bits: ranks that would round \
        differently (another OpenBLAS kernel family, often an OPENBLAS_CORETYPE that did not \
        reach a remote node) stop the sweep, naming them and the fix. Each record carries its \
        numerics; `lmsweep numerics` prints this machine's.

        --shard K/N runs piece K of N of the sweep (K from 1 to N; the same split every time, \
        balanced by predicted cost) into its own folder, for SLURM job arrays or machines without \
        MPI between them; `lmsweep merge` joins the folders. --shard slurm takes the piece from a \
        job-array task's SLURM_ARRAY_TASK_ID, _MIN, _MAX and _COUNT, so that sbatch --array=0-7 \
        runs the 8 pieces (scripts/slurm-array.sbatch).

        Examples:
          lmsweep run sweeps/smoke.yaml
          mpirun -np 2 lmsweep run sweeps/grid.yaml --out results/grid
          scripts/run-local.sh sweeps/grid.yaml     (all cores, root-safe flags)
          mpirun --hostfile hosts lmsweep run sweeps/grid.yaml --stage-data   (nodes without the data)
          lmsweep run sweeps/grid.yaml --shard 3/8 --out results/grid-3
          lmsweep run sweeps/grid.yaml --shard slurm --out results/grid/pieces/$SLURM_ARRAY_TASK_ID   (in sbatch --array=0-7)
        """)

    @Argument(help: "The sweep spec (YAML, or JSON), e.g. sweeps/smoke.yaml.")
    var spec: String

    @OptionGroup var output: OutputOptions

    @Flag(help: "Run again the jobs whose journal status is failed or diverged.")
    var retryFailed = false

    @Option(help: ArgumentHelp("Run only piece K of N of the sweep, K from 1 to N (balanced by predicted cost; join the pieces' folders with lmsweep merge), or `slurm`: this job-array task's piece (SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN + 1 of SLURM_ARRAY_TASK_COUNT).", valueName: "K/N|slurm"))
    var shard: String?

    @Option(help: ArgumentHelp("OpenBLAS threads per rank (one rank per core wants 1).", valueName: "n"))
    var blasThreads = 1

    @OptionGroup var data: DataOptions

    @Flag(help: ArgumentHelp("A rank that lacks dataset files (missing, or failing their size or SHA-256) receives them from rank 0 at start-up, verified against the committed SHA-256; for clusters without a shared filesystem."))
    var stageData = false

    @Option(help: ArgumentHelp("Where --stage-data writes received files (default: $TMPDIR/lmsweep-staged-HOST-PID, removed at exit; a folder given here is kept).", valueName: "folder"))
    var stageDir: String?

    @Flag(help: ArgumentHelp("Run even if ranks compute different bits (the start-up numerics check) or the journal's records were computed under other numerics; each record keeps its numerics."))
    var allowMixedNumerics = false

    @Option(help: ArgumentHelp("Seconds a rank may go without progress (steps, evaluation batches) before it is declared stalled and its run goes to another rank; also how long rank 0 waits for each worker's start-up check.", valueName: "seconds"))
    var stallLimit: Double = 600

    @Flag(help: ArgumentHelp("Add this spec's runs to an output folder that holds a sweep of another name (its spec is kept beside)."))
    var add = false

    @OptionGroup var verbosity: VerbosityOptions

    func validate() throws {
        guard blasThreads >= 1 else { throw ValidationError("--blas-threads must be at least 1 (got \(blasThreads))") }
        guard stallLimit >= 1 && stallLimit.isFinite else { throw ValidationError("--stall-limit must be at least 1 second (got \(stallLimit))") }
        if stageDir != nil && !stageData { throw ValidationError("--stage-dir needs --stage-data") }
        if let shard { _ = try parsedShard(shard) }
    }

    func parsedShard(_ text: String) throws -> Shard {
        do { return try Shard(parsing: text) } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        let outcome: SweepOutcome?
        do {
            let location = data.location
            let verbose = verbosity.verbose
            // Where runs with save_weights write theirs: the sweep folder, as the launcher names it.
            let folder = output.out ?? (try? SweepSpec.load(path: spec)).map(PreparedSweep.defaultOutput) ?? "."
            let staging = stageData ? DataStaging(location: location, folder: stageDir) { staged in
                TrainerRunner(dataLocation: staged, blasThreads: blasThreads, verbose: verbose, sweepFolder: folder)
            } : nil
            var options = SweepLauncher.Options()
            options.retryFailed = retryFailed
            options.shard = try shard.map(parsedShard)
            options.staging = staging
            options.allowMixedNumerics = allowMixedNumerics
            options.add = add
            options.stallLimit = stallLimit
            options.handleSignals = true
            outcome = try SweepLauncher.run(
                specPath: spec, output: output.out, options: options, makeRunner: { TrainerRunner(dataLocation: location, blasThreads: blasThreads, verbose: verbose, sweepFolder: folder) },
                log: verbosity.log)
        } catch let interrupted as SweepLauncher.Interrupted {
            // The launcher has said so already, first thing.
            throw ExitCode(interrupted.exitCode)
        } catch let error as SpecValidationError {
            StandardError.write("\(error)")
            throw ExitCode.failure
        } catch where error is JournalError || error is NumericsCheck || error is JournalNumericsMismatch
                    || error is SweepLock.Held || error is SweepLock.Failure || error is WorldsOfOne
                    || error is SweepFolder.OtherSweep || error is OutputError {
            StandardError.write("error: \(error)")
            throw ExitCode.failure
        }
        guard let outcome else { return }
        let failed = outcome.records.filter { $0.status != .ok }.count
        print("sweep \(outcome.name): \(outcome.records.count) runs this session (\(failed) failed or diverged), "
              + "\(outcome.skipped) from the journal, \(outcome.totalJobs) jobs in the spec")
        if !outcome.records.isEmpty {
            let wall = outcome.wallSeconds
            print(String(format: "time: %.2f s on %d rank%@; ideal %.2f s (run times / ranks, or the longest run); "
                         + "coordinator %.3f s CPU (%.2f%% of a core)", wall, outcome.ranks, outcome.ranks == 1 ? "" : "s",
                         outcome.idealSeconds, outcome.coordinatorCPUSeconds, 100 * outcome.coordinatorCPUSeconds / max(wall, 1e-9)))
        }
        // The best run per dataset and architecture over the whole journal (earlier sessions too).
        if let all = try? Journal.load(path: outcome.journalPath) {
            let records = MergedRecords(all).records
            BestRuns.lines(records).forEach { print($0) }
            let folder = (outcome.journalPath as NSString).deletingLastPathComponent
            SavedWeights.keepBest(of: records, in: folder)
            let saved = SavedWeights.runs(in: folder)
            if !saved.isEmpty { print("weights: \(saved.count) in \(SavedWeights.folder(in: folder)) (lmsweep sample --weights \(folder) --run ID)") }
        }
        print("journal: \(outcome.journalPath)")
        print("results: \(outcome.results.csv)")
        print("results: \(outcome.results.markdown)")
        print("curves:  \(outcome.results.curves)")
        print("report:  \(outcome.results.report)")
    }
}

/// The Trainer as the sweep's job runner: one per rank, so each corpus is loaded once per rank.
final class TrainerRunner: JobRunner {
    private let trainer: Trainer
    private let verbose: Bool
    private let sweepFolder: String

    init(dataLocation: DataLocation, blasThreads: Int, verbose: Bool, sweepFolder: String) {
        trainer = Trainer(dataLocation: dataLocation)
        // After the Trainer, which sets its own default of one thread per rank.
        TensorCore.setBLASThreads(blasThreads)
        self.verbose = verbose
        self.sweepFolder = sweepFolder
    }

    func run(_ config: RunConfig, rank: Int, host: String, activity: Activity, checkpointing: Checkpointing) -> RunOutcome {
        // Resuming, or setting a checkpoint aside, is worth a line even without --verbose.
        let progress: (String) -> Void = { [verbose] line in
            if verbose || line.contains("checkpoint") { StandardError.write("[rank \(rank)] \(line)") }
        }
        var weights: String? = nil
        if let policy = config.saveWeights, policy != .discard {
            weights = SavedWeights.path(of: config.id, in: sweepFolder)
            try? FileManager.default.createDirectory(atPath: SavedWeights.folder(in: sweepFolder), withIntermediateDirectories: true)
        }
        return trainer.train(config, rank: rank, host: host, progress: progress, activity: activity, checkpointing: checkpointing,
                             saveWeightsTo: weights)
    }

    func preflight(_ config: RunConfig) throws {
        try trainer.preflight(config)
    }

    var dataLocation: DataLocation? { trainer.dataLocation }
}

/// Diagnostics and progress go to stderr, one whole line per write (ranks share the terminal).
enum StandardError {
    static func write(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
