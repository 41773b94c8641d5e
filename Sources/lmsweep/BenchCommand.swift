import ArgumentParser
import Foundation
import Corpus
import TensorCore

/// `lmsweep bench`: the tensor core's speed at the study's shapes, one BLAS thread.
/// Argument parsing only; the measurements live in TensorCore's Benchmark*.swift.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the tensor core: per-op GFLOP/s beside raw cblas_sgemm, and a transformer step's breakdown.",
        discussion: """
        Build in release first (swift build -c release). Sections: ops (every op forward + backward \
        at batch 64, context 128, d_model 128, 4 heads, vocabulary 65 and 10,000), step (a 3-block \
        post-LN transformer training step, per-op time), memory (arena and resident memory over many steps), \
        models (each model's training windows/s), profile (each study model's training step op by op, \
        not run unless asked), data (loading and tokenizing WikiText-2, assembling \
        a batch; needs the datasets: --data-dir, $LMSWEEP_DATA or ./data).
        """
    )

    @Option(name: .long, help: "Sections to run, comma-separated: ops, step, memory, models, profile, data.")
    var sections: String = "ops,step,memory,models,data"

    @Option(name: .long, help: ArgumentHelp("Dataset folder for the data section.", valueName: "folder"))
    var dataDir: String?

    @Option(name: .long, help: "Profiled training steps for the step breakdown.")
    var steps: Int = 5

    @Option(name: .long, help: "Training steps for the memory check.")
    var memorySteps: Int = 200

    @Option(name: .long, help: "Attention/residual dropout in the benchmark transformer.")
    var dropout: Float = 0

    static let knownSections: Set<String> = ["ops", "step", "memory", "models", "profile", "data"]

    func validate() throws {
        for section in requestedSections where !Self.knownSections.contains(section) {
            throw ValidationError("--sections: unknown section '\(section)' (known: ops, step, memory, models, profile, data)")
        }
        guard steps > 0 else { throw ValidationError("--steps: \(steps) must be positive") }
        guard memorySteps >= 2 else { throw ValidationError("--memory-steps: \(memorySteps) must be at least 2") }
        guard dropout >= 0 && dropout < 1 else { throw ValidationError("--dropout: \(dropout) must be in [0, 1)") }
    }

    var requestedSections: [String] {
        sections.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    func run() throws {
        TensorCore.setBLASThreads(1)
        print("OpenBLAS kernels: \(TensorCore.blasCoreName)")
        var shape = BenchmarkTransformer.Shape()
        shape.dropout = dropout
        for section in requestedSections {
            switch section {
            case "ops": benchOps()
            case "step": benchStep(shape)
            case "memory": benchMemory(shape)
            case "data": try benchData()
            case "profile": ModelBench.printProfiles(steps: steps)
            default: benchModels()
            }
        }
    }

    func benchOps() {
        print("== ops: forward + backward at the study's shapes (1 BLAS thread; best of 5 rounds) ==")
        print(Benchmark.formatOpTable(Benchmark.opRows(Benchmark.StudyShapes())))
        print()
    }

    func benchStep(_ shape: BenchmarkTransformer.Shape) {
        print("== step: transformer training step, \(shape.layers) post-LN blocks, d \(shape.modelWidth), ffn \(shape.feedForwardWidth), "
              + "T \(shape.context), B \(shape.batch), vocabulary \(shape.vocabulary), last-position objective, Adam ==")
        print(Benchmark.formatStep(Benchmark.transformerStep(shape: shape, steps: steps)))
        print()
    }

    func benchMemory(_ shape: BenchmarkTransformer.Shape) {
        let check = Benchmark.memoryCheck(shape: shape, steps: memorySteps)
        print("== memory over \(check.steps) training steps ==")
        print("arena bytes after step 2: \(check.arenaBytesAfterStep2), after step \(check.steps): \(check.arenaBytesAfterLast)")
        print("resident bytes after step 2: \(check.residentBytesAfterStep2), after step \(check.steps): \(check.residentBytesAfterLast)")
        print()
    }

    /// Corpus speed: WikiText-2 train read and tokenized, a 64 × 128 batch assembled.
    func benchData() throws {
        print("== data: loading, tokenizing and batching ==")
        do {
            for line in try CorpusBenchmark.run(location: DataLocation.resolve(dataDir: dataDir)) { print(line) }
        } catch {
            print("skipped: \(error)")
        }
        print()
    }

    /// Each model's training windows/s and tokens/s (Models/Training's section: ModelBench.swift).
    func benchModels() {
        ModelBench.printThroughput()
    }
}
