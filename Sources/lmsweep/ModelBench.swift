import Bench
import Foundation
import TensorCore
import Training

/// The `models` section of `lmsweep bench`: each study model's training throughput at batch 64,
/// context 128 (`last` objective; the transformer also with `all`), beside PyTorch's figures when
/// `shared/bench/torch_study.py` is run in the same minute.
enum ModelBench {
    static func printThroughput(seconds: Double = 3, repetitions: Int = 3, only: Set<String>? = nil, ceiling: Ceiling? = nil) {
        print("== models: training steps (forward, loss, backward, Adam), batch 64, context 128, 1 BLAS thread ==")
        print("model        objective  params      windows/s   tokens/s     GFLOP/s  MFLOP/step (exact)  % peak")
        for (name, run) in ModelThroughput.studyCases where only?.contains(name) ?? true {
            let m = ModelThroughput.measure(name, run, seconds: seconds, repetitions: repetitions)
            let label = m.name.padding(toLength: 12, withPad: " ", startingAt: 0)
                + " " + m.objective.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
            print(label + String(format: " %9d %12.1f %11.1f %10.1f %12.1f", m.parameters, m.windowsPerSecond,
                                 m.tokensPerSecond, m.gflopsPerSecond, m.flopsPerStep / 1e6)
                  + "  " + (ceiling?.share(m.gflopsPerSecond) ?? ""))
        }
        print()
    }

    /// Each study model's training step op by op: where the time goes beyond the GEMMs.
    static func printProfiles(steps: Int, ceiling: Ceiling? = nil) {
        for (name, run) in ModelThroughput.studyCases {
            print("== profile: \(name), \(run.objective.rawValue) objective, batch \(run.batchSize), context \(run.context), "
                  + "dropout \(run.dropout), \(steps) steps ==")
            print(StepBenchmark.format(StepBenchmark.breakdown(run, steps: steps), ceiling: ceiling))
            print()
        }
    }
}
