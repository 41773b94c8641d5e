import Foundation
import TensorCore

/// Training throughput of the study's models: full training steps (forward, fused loss,
/// backward, Adam) on random windows, timed like `shared/bench/torch_study.py` times PyTorch
/// (warm-up steps, then the median of repetitions), so the two print comparable windows/s.
public enum ModelThroughput {
    public struct Measurement: Sendable {
        public let name: String
        public let objective: RunConfig.Objective
        public let parameters: Int
        public let windowsPerSecond: Double
        /// Predicted targets per second (windows × T for `all`).
        public let tokensPerSecond: Double
        /// Exact-counter FLOPs (forward + backward + optimizer) per second.
        public let gflopsPerSecond: Double
        public let flopsPerStep: Double
    }

    /// The four study models at the study's shapes (Tiny Shakespeare, V = 65, T = 128, d = 128),
    /// `last` objective, and the transformer with `all`.
    public static var studyCases: [(name: String, config: RunConfig)] {
        var transformerAll = Presets.tiny(.transformer)
        transformerAll.objective = .all
        return [("linear", Presets.tiny(.linear)), ("mlp", Presets.tiny(.mlp)),
                ("attention", Presets.tiny(.attention)), ("transformer", Presets.tiny(.transformer)),
                ("transformer", transformerAll)]
    }

    /// Times training steps of `config` at its batch size and context on random tokens.
    public static func measure(_ name: String, _ config: RunConfig, vocabularySize: Int = 65,
                               seconds: Double = 3, repetitions: Int = 3, warmupSteps: Int = 3) -> Measurement {
        TensorCore.setBLASThreads(1)
        let c = config.resolved()
        let stepper = TrainingStep(run: c, vocabularySize: vocabularySize)
        let (B, T) = (c.batchSize, c.context)
        var rng = RNG(seed: 1)
        let data = (0..<200_000).map { _ in Int32(rng.nextInt(below: vocabularySize)) }
        let all = c.objective == .all
        func batch() -> (inputs: [Int32], targets: [Int32]) {
            var inputs = [Int32](), targets = [Int32]()
            inputs.reserveCapacity(B * T)
            for _ in 0..<B {
                let start = rng.nextInt(below: data.count - T - 1)
                inputs += data[start..<(start + T)]
                if all { targets += data[(start + 1)...(start + T)] } else { targets.append(data[start + T]) }
            }
            return (inputs, targets)
        }
        let lr = Float(c.lr)
        for _ in 0..<warmupSteps {
            let b = batch()
            _ = stepper.step(inputs: b.inputs, targets: b.targets, windows: B, lr: lr)
        }
        // Every step of a shape executes the same FLOPs; the counter gives them exactly.
        let flopsPerStep = stepper.flops.total / Double(max(1, warmupSteps))
        var rates: [Double] = []
        for _ in 0..<repetitions {
            var steps = 0
            let started = Date()
            while Date().timeIntervalSince(started) < seconds {
                let b = batch()
                _ = stepper.step(inputs: b.inputs, targets: b.targets, windows: B, lr: lr)
                steps += 1
            }
            // Batch assembly included, as torch_study.py includes its indexing.
            rates.append(Double(steps * B) / Date().timeIntervalSince(started))
        }
        let windowsPerSecond = rates.sorted()[rates.count / 2]
        return Measurement(name: name, objective: c.objective, parameters: stepper.model.parameterCount,
                           windowsPerSecond: windowsPerSecond,
                           tokensPerSecond: windowsPerSecond * Double(all ? T : 1),
                           gflopsPerSecond: flopsPerStep * windowsPerSecond / Double(B) / 1e9,
                           flopsPerStep: flopsPerStep)
    }

    /// One model's step, op by op (fastest of `steps` profiled steps), on random windows.
    public static func profile(_ config: RunConfig, vocabularySize: Int = 65, steps: Int = 5) -> Benchmark.StepBreakdown {
        TensorCore.setBLASThreads(1)
        let c = config.resolved()
        let stepper = TrainingStep(run: c, vocabularySize: vocabularySize)
        let (B, T) = (c.batchSize, c.context)
        var rng = RNG(seed: 1)
        let inputs = (0..<(B * T)).map { _ in Int32(rng.nextInt(below: vocabularySize)) }
        let targets = (0..<(c.objective == .all ? B * T : B)).map { _ in Int32(rng.nextInt(below: vocabularySize)) }
        let lr = Float(c.lr)
        _ = stepper.step(inputs: inputs, targets: targets, windows: B, lr: lr)
        stepper.flops.reset()
        _ = stepper.step(inputs: inputs, targets: targets, windows: B, lr: lr)
        let flops = stepper.flops
        return Benchmark.breakdown(steps: steps, forwardFlops: flops.forward, backwardFlops: flops.backward,
                                   optimizerFlops: flops.optimizer) { profiler in
            stepper.profiler = profiler
            _ = stepper.step(inputs: inputs, targets: targets, windows: B, lr: lr)
        }
    }
}
