import ArgumentParser
import Foundation
import Sweep
import Training

/// `lmsweep sample`: text from a trained model, as nanoGPT's sample.py.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Generate text from saved weights (lmsweep train --save-weights, or a sweep's save_weights).",
        discussion: """
        Prints the prompt followed by --tokens generated tokens. Each token is drawn from the \
        model's next-token distribution over the last `context` tokens (shorter contexts are \
        padded on the left with line breaks: every model reads whole windows), its logits \
        divided by --temperature and cut to the --top-k most likely. --temperature 0 (or \
        --top-k 1) always takes the most likely token. The same weights, options and --seed \
        give the same text.

        Examples:
          lmsweep sample --weights w.safetensors --prompt "ROMEO:" --tokens 300
          lmsweep sample --weights results/study-tiny --run 53d0f8 --temperature 0
        """)

    @OptionGroup var source: WeightsSource

    @Option(help: ArgumentHelp("Text the generated tokens continue (characters, or words at word level; default: a line break).", valueName: "text"))
    var prompt: String?

    @Option(help: ArgumentHelp("Tokens to generate.", valueName: "n"))
    var tokens = 500

    @Option(help: ArgumentHelp("Divides the logits: below 1 more likely tokens, above 1 more varied; 0 is greedy.", valueName: "t"))
    var temperature = 0.8

    @Option(help: ArgumentHelp("Sample among the k most likely tokens only.", valueName: "k"))
    var topK = 200

    @Option(help: ArgumentHelp("Seed of the sampler's random draws.", valueName: "s"))
    var seed: UInt64 = 1337

    @OptionGroup var data: DataOptions
    @OptionGroup var verbosity: VerbosityOptions

    func validate() throws {
        guard tokens >= 0 else { throw ValidationError("--tokens must be at least 0 (got \(tokens))") }
        guard temperature >= 0 && temperature.isFinite else { throw ValidationError("--temperature must be a number ≥ 0 (got \(temperature))") }
        guard topK >= 1 else { throw ValidationError("--top-k must be at least 1 (got \(topK))") }
    }

    func run() throws {
        var options = SampleOptions()
        options.prompt = prompt ?? "\n"; options.tokens = tokens; options.temperature = temperature
        options.topK = topK; options.seed = seed
        do {
            let path = try source.path()
            if verbosity.verbose { StandardError.write("weights: \(path)") }
            let sample = try Trainer(dataLocation: data.location).sample(weightsPath: path, options: options)
            print(sample.prompt + sample.text)
        } catch {
            StandardError.write("error: \(error)")
            throw ExitCode.failure
        }
    }
}

/// Weights named on the command line: a safetensors file, or a sweep folder and a run id.
struct WeightsSource: ParsableArguments {
    @Option(help: ArgumentHelp("A safetensors file, or a sweep folder whose runs saved weights (with --run).", valueName: "file-or-folder"))
    var weights: String

    @Option(name: .customLong("run"), help: ArgumentHelp("With a sweep folder: the run's id (a unique prefix is enough).", valueName: "id"))
    var runID: String?

    /// The safetensors file: `weights` itself, or FOLDER/weights/ID.safetensors.
    func path() throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: weights, isDirectory: &isDirectory) else {
            throw WeightsNotFound(description: "--weights \(weights): no such file or folder")
        }
        guard isDirectory.boolValue else {
            if let runID { throw WeightsNotFound(description: "--run \(runID) needs a sweep folder; --weights \(weights) is a file") }
            return weights
        }
        let saved = SavedWeights.runs(in: weights)
        guard let runID else {
            throw WeightsNotFound(description: "--weights \(weights) is a folder: name a run with --run ID ("
                                  + (saved.isEmpty ? "it holds no saved weights; set save_weights: all or best in the spec"
                                                   : "saved: " + saved.prefix(10).joined(separator: ", ")) + ")")
        }
        let matches = saved.filter { $0.hasPrefix(runID.lowercased()) }
        guard matches.count == 1 else {
            throw WeightsNotFound(description: matches.isEmpty
                ? "--run \(runID): no saved weights in \(SavedWeights.folder(in: weights)) for a run starting with '\(runID)'"
                    + (saved.isEmpty ? " (none saved: set save_weights: all or best in the spec)" : " (saved: \(saved.prefix(10).joined(separator: ", ")))")
                : "--run \(runID): \(matches.count) saved runs start with '\(runID)': \(matches.joined(separator: ", ")); give more digits")
        }
        return SavedWeights.path(of: matches[0], in: weights)
    }
}

struct WeightsNotFound: Error, CustomStringConvertible {
    let description: String
}
