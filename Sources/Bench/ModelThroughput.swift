import Foundation
import TensorCore
import Training

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
    public static var studyCases: [(name: String, run: Run)] {
        let preset = { (name: String) in Presets.config(named: "study-tiny-\(name)")! }
        var transformerAll = preset("transformer")
        transformerAll.objective = .all
        return [("linear", preset("linear").resolved()), ("mlp", preset("mlp").resolved()),
                ("attention", preset("attention").resolved()), ("transformer", preset("transformer").resolved()),
                ("transformer", transformerAll.resolved())]
    }

    /// Times training steps of `c` at its batch size and context on random tokens.
    public static func measure(_ name: String, _ c: Run, vocabularySize: Int = 65,
                               seconds: Double = 3, repetitions: Int = 3, warmupSteps: Int = 3) -> Measurement {
        TensorCore.setBLASThreads(1)
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
}
