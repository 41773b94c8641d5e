import Foundation
import TensorCore
import Training

/// A whole training step (zeroGrad, forward, loss, backward, optimizer) timed op by op, and the
/// memory check over many steps: both on Training's own step, so they time what a run executes.
public enum StepBenchmark {
    public struct Breakdown {
        public struct Line { public let name: String; public let calls: Int; public let forwardSeconds: Double; public let backwardSeconds: Double }
        /// Fastest unprofiled step.
        public let stepSeconds: Double
        public let forwardFlops: Double, backwardFlops: Double, optimizerFlops: Double
        /// Each op's fastest time over the profiled steps (the least disturbed figure on a shared
        /// machine), largest first; includes "optimizer" and "zeroGrad".
        public let lines: [Line]
        public let profiledStepSeconds: Double

        /// GEMM-bound entries: linear (with its bias add, or its fused bias and activation), matmul,
        /// attention (its GEMMs and masked softmax).
        public static let matmulOps: Set<String> = ["linear", "linear relu", "linear gelu", "matmul", "attention"]
        public var matmulSeconds: Double { lines.filter { Self.matmulOps.contains($0.name) }.reduce(0) { $0 + $1.forwardSeconds + $1.backwardSeconds } }
        public var nonMatmulSeconds: Double { profiledStepSeconds - matmulSeconds }
    }

    /// Random windows for `run` on a vocabulary of `vocabularySize`: (inputs, targets).
    static func randomBatch(_ run: Run, vocabularySize: Int, rng: inout RNG) -> (inputs: [Int32], targets: [Int32]) {
        let inputs = (0..<(run.batchSize * run.context)).map { _ in Int32(rng.nextInt(below: vocabularySize)) }
        let targets = (0..<(run.batchSize * run.targetsPerWindow)).map { _ in Int32(rng.nextInt(below: vocabularySize)) }
        return (inputs, targets)
    }

    /// One run's training step op by op: `steps` unprofiled steps (the fastest is the step
    /// time), then `steps` profiled ones, keeping each op's fastest time.
    public static func breakdown(_ run: Run, vocabularySize: Int = 65, steps: Int = 5) -> Breakdown {
        TensorCore.setBLASThreads(1)
        let stepper = TrainingStep(run: run, vocabularySize: vocabularySize)
        var rng = RNG(seed: 1)
        let batch = randomBatch(run, vocabularySize: vocabularySize, rng: &rng)
        let lr = Float(run.lr)
        func step() { _ = stepper.step(inputs: batch.inputs, targets: batch.targets, windows: run.batchSize, lr: lr) }
        step()
        stepper.flops.reset()
        step()
        let flops = (stepper.flops.forward, stepper.flops.backward, stepper.flops.optimizer)
        var best = Double.infinity
        for _ in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds
            step()
            best = min(best, Measure.seconds(since: start))
        }
        var fastest: [String: OpProfiler.Entry] = [:]
        for _ in 0..<steps {
            let profiler = OpProfiler()
            stepper.profiler = profiler
            step()
            stepper.profiler = nil
            for (op, entry) in profiler.entries {
                guard var kept = fastest[op] else { fastest[op] = entry; continue }
                kept.forwardSeconds = min(kept.forwardSeconds, entry.forwardSeconds)
                kept.backwardSeconds = min(kept.backwardSeconds, entry.backwardSeconds)
                fastest[op] = kept
            }
        }
        let lines = fastest.map {
            Breakdown.Line(name: $0.key, calls: $0.value.calls, forwardSeconds: $0.value.forwardSeconds,
                           backwardSeconds: $0.value.backwardSeconds)
        }.sorted { $0.forwardSeconds + $0.backwardSeconds > $1.forwardSeconds + $1.backwardSeconds }
        let profiledTotal = lines.reduce(0) { $0 + $1.forwardSeconds + $1.backwardSeconds }
        return Breakdown(stepSeconds: best, forwardFlops: flops.0, backwardFlops: flops.1, optimizerFlops: flops.2,
                         lines: lines, profiledStepSeconds: profiledTotal)
    }

    /// The breakdown; with `ceiling`, the step's GFLOP/s also as a share of the measured FMA peak.
    public static func format(_ s: Breakdown, ceiling: Ceiling? = nil) -> String {
        let (pad, lpad, fixed) = (Measure.pad, Measure.lpad, Measure.fixed)
        let total = s.profiledStepSeconds
        var lines = [pad("op", 20) + lpad("calls", 7) + lpad("fwd ms", 10) + lpad("bwd ms", 10) + lpad("total ms", 10) + lpad("share", 8)]
        for line in s.lines {
            let seconds = line.forwardSeconds + line.backwardSeconds
            lines.append(pad(line.name, 20) + lpad("\(line.calls)", 7) + lpad(fixed(line.forwardSeconds * 1e3, 2), 10)
                         + lpad(fixed(line.backwardSeconds * 1e3, 2), 10) + lpad(fixed(seconds * 1e3, 2), 10)
                         + lpad(fixed(100 * seconds / total, 1) + "%", 8))
        }
        let flops = s.forwardFlops + s.backwardFlops + s.optimizerFlops
        lines.append("step: \(fixed(s.stepSeconds * 1e3, 1)) ms fastest whole step (sum of per-op minima \(fixed(total * 1e3, 1)) ms), "
                     + "\(fixed(flops / 1e9, 3)) GFLOP exact (fwd \(fixed(s.forwardFlops / 1e9, 3)), bwd \(fixed(s.backwardFlops / 1e9, 3)), "
                     + "optimizer \(fixed(s.optimizerFlops / 1e9, 4))) → \(fixed(flops / s.stepSeconds / 1e9, 1)) GFLOP/s"
                     + (ceiling.map { ", \($0.share(flops / s.stepSeconds / 1e9)) of FMA peak" } ?? ""))
        lines.append("GEMM-bound ops (linear, matmul, attention): \(fixed(100 * s.matmulSeconds / total, 1))%; "
                     + "everything else: \(fixed(100 * s.nonMatmulSeconds / total, 1))%")
        return lines.joined(separator: "\n")
    }

    public struct MemoryCheck {
        public let steps: Int
        public let arenaBytesAfterStep2: Int, arenaBytesAfterLast: Int
        public let residentBytesAfterStep2: Int, residentBytesAfterLast: Int
    }

    /// Runs `steps` training steps of `run` on fresh random windows and compares arena and
    /// resident memory after step 2 and at the end.
    public static func memoryCheck(_ run: Run, vocabularySize: Int = 65, steps: Int) -> MemoryCheck {
        TensorCore.setBLASThreads(1)
        let stepper = TrainingStep(run: run, vocabularySize: vocabularySize)
        var rng = RNG(seed: 2)
        var early = (arena: 0, resident: 0)
        func arena() -> Int { stepper.arenaBytes.activations + stepper.arenaBytes.gradients }
        for step in 1...steps {
            let batch = randomBatch(run, vocabularySize: vocabularySize, rng: &rng)
            _ = stepper.step(inputs: batch.inputs, targets: batch.targets, windows: run.batchSize, lr: Float(run.lr))
            if step == 2 { early = (arena(), Measure.residentBytes()) }
        }
        return MemoryCheck(steps: steps, arenaBytesAfterStep2: early.arena, arenaBytesAfterLast: arena(),
                           residentBytesAfterStep2: early.resident, residentBytesAfterLast: Measure.residentBytes())
    }
}
