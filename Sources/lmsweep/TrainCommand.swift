import ArgumentParser
import Cluster
import Foundation
import Sweep
import TensorCore
import Training

/// `lmsweep train`: one run, from a preset or from flags; progress on stderr, the record last on stdout.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train and evaluate one run; print its record as JSON (the last line on stdout).",
        discussion: """
        Start from a preset (--preset NAME) or the defaults, then apply --arch, --dataset, \
        --context, --depth, --seed, --max-steps and any --set key=value (run-config keys: \
        \(RunConfig.keys.joined(separator: ", "))).

        Presets: \(Presets.names.joined(separator: ", ")).

        With --checkpoint DIR the run checkpoints to DIR/ID.ckpt every checkpoint_every \
        seconds (default 300) and on SIGTERM or Ctrl-C, then stops; the same command resumes \
        it from there, and the record is the one an uninterrupted run gives, bit for bit.
        """
    )

    @Option(help: ArgumentHelp("A named configuration (see the list above).", valueName: "name"))
    var preset: String?

    @Option(help: "The architecture.")
    var arch: RunConfig.Architecture?

    @Option(help: "The dataset.")
    var dataset: RunConfig.Dataset?

    // `.unconditional`: `--depth -1` is a value (then refused by validation), not an unknown option.
    @Option(parsing: .unconditional, help: "Context length T (tokens per window).")
    var context: Int?

    @Option(parsing: .unconditional, help: "Transformer blocks or MLP hidden layers.")
    var depth: Int?

    @Option(help: "Seed of initialization, sampling and dropout.")
    var seed: UInt64?

    @Option(name: .customLong("max-steps"), parsing: .unconditional, help: "Stop after this many optimizer steps (quick checks).")
    var maxSteps: Int?

    @Option(name: .customLong("set"), help: ArgumentHelp("A run-config setting; repeatable (e.g. --set lr=1e-3).", valueName: "key=value"))
    var settings: [String] = []

    @Option(name: .customLong("save-weights"), help: ArgumentHelp("Write the tested weights here (safetensors).", valueName: "file"))
    var saveWeights: String?

    @Option(help: ArgumentHelp("Checkpoint the run into this folder, and resume it from there (see above).", valueName: "folder"))
    var checkpoint: String?

    @OptionGroup var data: DataOptions
    @OptionGroup var verbosity: VerbosityOptions

    /// The run config the flags describe: the preset (or the defaults), the flags, the settings.
    func config() throws -> RunConfig {
        var config: RunConfig
        if let preset {
            guard let named = Presets.config(named: preset) else {
                throw ValidationError("unknown preset '\(preset)'; presets: \(Presets.names.joined(separator: ", "))")
            }
            config = named
        } else {
            config = RunConfig()
        }
        if let arch { config.arch = arch }
        if let dataset { config.dataset = dataset }
        if let context { config.context = context }
        if let depth { config.depth = depth }
        if let seed { config.seed = seed }
        if let maxSteps { config.maxSteps = maxSteps }
        do { config = try config.applying(settings: settings) } catch { throw ValidationError("\(error)") }
        let issues = config.validate()
        if !issues.isEmpty { throw ValidationError("\(InvalidRunConfig(issues: issues))") }
        return config
    }

    func validate() throws { _ = try config() }

    func run() throws {
        var config = try config()
        if config.dataset == .text, config.textSHA256 == nil, let path = config.textPath {
            do { config.textSHA256 = try data.location.sha256(ofText: path) } catch {
                StandardError.write("error: \(error)")
                throw ExitCode.failure
            }
        }
        if verbosity.verbose { StandardError.write("config: \(config.resolved().config.jsonText)") }
        let trainer = Trainer(dataLocation: data.location)
        do {
            try trainer.preflight(config)
        } catch {
            StandardError.write("error: \(error)")
            throw ExitCode.failure
        }
        let progress: ((String) -> Void)? = verbosity.quiet ? nil : StandardError.write
        let host = ProcessInfo.processInfo.hostName
        let record: RunRecord
        if let checkpoint {
            record = try checkpointed(config, trainer: trainer, folder: checkpoint, host: host, progress: progress)
        } else {
            record = trainer.run(config, rank: 0, host: host, progress: progress, saveWeightsTo: saveWeights)
        }
        print(record.jsonLine())
        if record.status == .failed {
            FileHandle.standardError.write(Data("error: run failed: \(record.error ?? "unknown error")\n".utf8))
            throw ExitCode.failure
        }
    }
}

extension TrainCommand {
    /// The run under `--checkpoint`: one writer per folder (the sweep folders' lock), resumed
    /// from its checkpoint if there is one, stopped cleanly by SIGTERM or SIGINT.
    private func checkpointed(_ config: RunConfig, trainer: Trainer, folder: String, host: String,
                              progress: ((String) -> Void)?) throws -> RunRecord {
        let lock: SweepLock
        do { lock = try SweepLock(folder: folder, command: "train") } catch {
            StandardError.write("error: \(error)")
            throw ExitCode.failure
        }
        defer { withExtendedLifetime(lock) {} }
        let checkpoints = CheckpointFolder(path: folder)
        let id = config.id
        InterruptSignals.install(who: "lmsweep train")
        var saveError: String? = nil
        let verbose = verbosity.verbose
        let checkpointing = Checkpointing(resumeFrom: checkpoints.read(id), stop: InterruptSignals.request) { checkpoint in
            do {
                let started = Date()
                let bytes = checkpoint.encoded()
                try checkpoints.write(bytes, for: id)
                if verbose {
                    StandardError.write(String(format: "%@ checkpoint at step %d: %.1f MiB written in %.0f ms", id, checkpoint.step,
                                               Double(bytes.count) / 1_048_576, Date().timeIntervalSince(started) * 1000))
                }
            } catch {
                saveError = "\(error)"
                StandardError.write("warning: could not write the checkpoint at step \(checkpoint.step): \(error)")
            }
        }
        switch trainer.train(config, rank: 0, host: host, progress: progress, checkpointing: checkpointing,
                             saveWeightsTo: saveWeights) {
        case .finished(let record):
            checkpoints.remove(id)
            return record
        case .interrupted(_, let step):
            let signal = InterruptSignals.received ?? SIGTERM
            if let step, saveError == nil {
                StandardError.write("interrupted: run \(id) checkpointed at step \(step) in \(checkpoints.file(for: id)); "
                                    + "run the same command to resume")
            } else {
                StandardError.write("interrupted: run \(id) not checkpointed (checkpoint_every is 0, or no step was taken); "
                                    + "the same command starts it over")
            }
            throw ExitCode(128 + signal)
        }
    }
}

extension RunConfig.Architecture: ExpressibleByArgument {}
extension RunConfig.Dataset: ExpressibleByArgument {}
