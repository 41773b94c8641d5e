import Foundation

/// A whole transformer training step (zeroGrad, forward, backward, Adam) timed op by op, and
/// the memory check over many steps.
extension Benchmark {
    public struct StepBreakdown {
        public struct Line { public let name: String; public let calls: Int; public let forwardSeconds: Double; public let backwardSeconds: Double }
        /// Fastest unprofiled step.
        public let stepSeconds: Double
        public let forwardFlops: Double, backwardFlops: Double, optimizerFlops: Double
        /// Each op's fastest time over the profiled steps (the least disturbed figure on a shared
        /// machine), largest first; includes "adam.step" and "zeroGrad".
        public let lines: [Line]
        public let profiledStepSeconds: Double

        /// GEMM-bound entries: linear (with its bias add), matmul, attention's GEMMs (its masked softmax is carved out).
        public static let matmulOps: Set<String> = ["linear", "matmul", "attention"]
        public var matmulSeconds: Double { lines.filter { Self.matmulOps.contains($0.name) }.reduce(0) { $0 + $1.forwardSeconds + $1.backwardSeconds } }
        public var nonMatmulSeconds: Double { profiledStepSeconds - matmulSeconds }
    }

    public static func transformerStep(shape: BenchmarkTransformer.Shape, steps: Int = 5) -> StepBreakdown {
        let model = BenchmarkTransformer(shape: shape, seed: 1)
        let flops = FlopCounter()
        let graph = Graph(parameters: model.parameters, training: true, flops: flops)
        let adam = Adam(parameters: model.parameters, lr: 1e-3, flops: flops)
        var dataRNG = RNG(seed: 2), dropoutRNG = RNG(seed: 3)
        let batch = model.randomBatch(rng: &dataRNG)
        func step(_ profiler: OpProfiler?) {
            graph.profiler = profiler
            profiler?.mark()
            model.parameters.zeroGrad()
            profiler?.attribute("zeroGrad", .forward)
            graph.reset()
            let loss = model.loss(graph, tokens: batch.tokens, targets: batch.targets, rng: &dropoutRNG)
            graph.backward(loss)
            profiler?.mark()
            adam.step(lr: 1e-3)
            profiler?.attribute("adam.step", .forward)
        }
        step(nil)
        flops.reset()
        step(nil)
        let (forwardFlops, backwardFlops, optimizerFlops) = (flops.forward, flops.backward, flops.optimizer)
        return breakdown(steps: steps, forwardFlops: forwardFlops, backwardFlops: backwardFlops,
                         optimizerFlops: optimizerFlops, step: step)
    }

    /// Times `steps` unprofiled steps (the fastest is the step time), then `steps` profiled ones,
    /// keeping each op's fastest time: any model's step breakdown. `step` runs one whole training
    /// step, attributing its ops to the profiler it is given (nil: unprofiled).
    public static func breakdown(steps: Int, forwardFlops: Double, backwardFlops: Double, optimizerFlops: Double,
                                 step: (OpProfiler?) -> Void) -> StepBreakdown {
        var best = Double.infinity
        for _ in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds
            step(nil)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        }
        var fastest: [String: OpProfiler.Entry] = [:]
        for _ in 0..<steps {
            let profiler = OpProfiler()
            step(profiler)
            for (op, entry) in profiler.entries {
                guard var kept = fastest[op] else { fastest[op] = entry; continue }
                kept.forwardSeconds = min(kept.forwardSeconds, entry.forwardSeconds)
                kept.backwardSeconds = min(kept.backwardSeconds, entry.backwardSeconds)
                fastest[op] = kept
            }
        }
        let lines = fastest.map {
            StepBreakdown.Line(name: $0.key, calls: $0.value.calls, forwardSeconds: $0.value.forwardSeconds,
                               backwardSeconds: $0.value.backwardSeconds)
        }.sorted { $0.forwardSeconds + $0.backwardSeconds > $1.forwardSeconds + $1.backwardSeconds }
        let profiledTotal = lines.reduce(0) { $0 + $1.forwardSeconds + $1.backwardSeconds }
        return StepBreakdown(stepSeconds: best, forwardFlops: forwardFlops, backwardFlops: backwardFlops,
                             optimizerFlops: optimizerFlops, lines: lines, profiledStepSeconds: profiledTotal)
    }

    public static func formatStep(_ s: StepBreakdown) -> String {
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
                     + "optimizer \(fixed(s.optimizerFlops / 1e9, 4))) → \(fixed(flops / s.stepSeconds / 1e9, 1)) GFLOP/s")
        lines.append("GEMM work (linear, matmul, attention GEMMs): \(fixed(100 * s.matmulSeconds / total, 1))%; "
                     + "everything else: \(fixed(100 * s.nonMatmulSeconds / total, 1))% (target ≤ 25%)")
        return lines.joined(separator: "\n")
    }

    public struct MemoryCheck {
        public let steps: Int
        public let arenaBytesAfterStep2: Int, arenaBytesAfterLast: Int
        public let residentBytesAfterStep2: Int, residentBytesAfterLast: Int
    }

    /// Runs `steps` training steps and compares arena and resident memory after step 2 and at the end.
    public static func memoryCheck(shape: BenchmarkTransformer.Shape, steps: Int) -> MemoryCheck {
        let model = BenchmarkTransformer(shape: shape, seed: 1)
        let graph = Graph(parameters: model.parameters, training: true, flops: FlopCounter())
        let adam = Adam(parameters: model.parameters, lr: 1e-3, flops: nil)
        var dataRNG = RNG(seed: 2), dropoutRNG = RNG(seed: 3)
        var early = (arena: 0, resident: 0)
        for step in 1...steps {
            let batch = model.randomBatch(rng: &dataRNG)
            model.parameters.zeroGrad()
            graph.reset()
            graph.backward(model.loss(graph, tokens: batch.tokens, targets: batch.targets, rng: &dropoutRNG))
            adam.step(lr: 1e-3)
            if step == 2 { early = (graph.arenaBytes.activations + graph.arenaBytes.gradients, residentBytes()) }
        }
        return MemoryCheck(steps: steps, arenaBytesAfterStep2: early.arena,
                           arenaBytesAfterLast: graph.arenaBytes.activations + graph.arenaBytes.gradients,
                           residentBytesAfterStep2: early.resident, residentBytesAfterLast: residentBytes())
    }

    /// Resident set size from /proc/self/statm (Linux); 0 where unavailable.
    public static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
