import ArgumentParser
import Foundation
import TensorCore
import Training

/// `lmsweep eval --weights F.safetensors`: the NLL of saved weights on valid and test.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate weights saved by `lmsweep train --save-weights`; print the result as JSON.",
        discussion: """
        The run config stored in the file rebuilds the model; --set key=value changes the \
        evaluation (e.g. --set eval_mode=full). --weights also takes a sweep folder whose runs \
        saved weights (save_weights: best or all), with --run ID.
        """
    )

    @OptionGroup var source: WeightsSource

    @Option(name: .customLong("set"), help: ArgumentHelp("A run-config setting that changes the evaluation; repeatable.", valueName: "key=value"))
    var settings: [String] = []

    @OptionGroup var data: DataOptions

    func run() throws {
        let trainer = Trainer(dataLocation: data.location)
        do {
            print(try trainer.evaluate(weightsPath: try source.path(), settings: settings).jsonLine())
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
