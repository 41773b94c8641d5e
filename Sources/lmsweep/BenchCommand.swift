import ArgumentParser
import Bench
import Corpus
import Foundation
import TensorCore
import Training

/// `lmsweep bench`: the tensor core's speed at the study's shapes, one BLAS thread.
/// Argument parsing only; the measurements live in the Bench module.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the tensor core: per-op GFLOP/s beside raw cblas_sgemm, and a transformer step's breakdown.",
        discussion: """
        Build in release first (swift build -c release). Sections: ops (every op forward + backward \
        at batch 64, context 128, d_model 128, 4 heads, vocabulary 65 and 10,000), step (the study's \
        3-block post-LN transformer, study-tiny-transformer, one training step op by op), memory (arena \
        and resident memory over many steps), \
        models (each model's training windows/s), profile (each study model's training step op by op, \
        not run unless asked), data (loading and tokenizing WikiText-2, assembling \
        a batch; needs the datasets: --data-dir, $LMSWEEP_DATA or ./data).
        """
    )

    enum Section: String, CaseIterable {
        case ops, step, memory, models, profile, data
    }

    @Option(name: .long, help: ArgumentHelp("Sections to run, comma-separated: \(Section.allCases.map(\.rawValue).joined(separator: ", ")).",
                                          valueName: "list"),
            transform: { try BenchCommand.sections($0) })
    var sections: [Section] = [.ops, .step, .memory, .models, .data]

    static func sections(_ text: String) throws -> [Section] {
        try text.split(separator: ",").map { name in
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard let section = Section(rawValue: trimmed) else {
                throw ValidationError("unknown section '\(trimmed)' (known: \(Section.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return section
        }
    }

    @OptionGroup var data: DataOptions

    @Option(name: .long, help: "Profiled training steps for the step breakdown.")
    var steps: Int = 5

    @Option(name: .long, help: "Training steps for the memory check.")
    var memorySteps: Int = 200

    @Option(name: .long, help: "Dropout of the step and memory sections' transformer (the study's is 0.1).")
    var dropout: Double = 0

    @Flag(help: "Run the step, memory, models and profile sections with the flash attention (training uses the reference kernel).")
    var flashAttention = false

    func validate() throws {
        guard steps > 0 else { throw ValidationError("--steps: \(steps) must be positive") }
        guard memorySteps >= 2 else { throw ValidationError("--memory-steps: \(memorySteps) must be at least 2") }
        guard dropout >= 0 && dropout < 1 else { throw ValidationError("--dropout: \(dropout) must be in [0, 1)") }
    }

    func run() throws {
        TensorCore.setBLASThreads(1)
        TensorCore.flashAttention = flashAttention
        print("OpenBLAS kernels: \(TensorCore.blasCoreName) (OPENBLAS_CORETYPE \(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset"))")
        print("tensor core kernels: \(TensorCore.kernelISA); attention: "
              + (TensorCore.flashAttention ? "flash (head widths 32, 64; reference GEMMs otherwise)" : "reference GEMMs"))
        print("== ceiling: this core's FMA peak and raw sgemm at the study's shapes (1 thread; % of the widest peak) ==")
        let ceiling = Ceiling.measure()
        print(ceiling.format())
        print()
        var transformer = Presets.config(named: "study-tiny-transformer")!
        transformer.dropout = dropout
        let run = transformer.resolved()
        for section in sections {
            switch section {
            case .ops: benchOps(ceiling)
            case .step: benchStep(run, ceiling)
            case .memory: benchMemory(run)
            case .data: try benchData()
            case .profile: ModelBench.printProfiles(steps: steps, ceiling: ceiling)
            case .models: ModelBench.printThroughput(ceiling: ceiling)
            }
        }
    }

    func benchOps(_ ceiling: Ceiling) {
        print("== ops: forward + backward at the study's shapes (1 BLAS thread; best of 5 rounds) ==")
        print(OpBenchmark.formatOpTable(OpBenchmark.opRows(OpBenchmark.StudyShapes()), ceiling: ceiling))
        print()
    }

    func benchStep(_ run: Run, _ ceiling: Ceiling) {
        print("== step: transformer training step, \(run.depth) \(run.norm.rawValue)-LN blocks, d \(run.dModel), ffn \(run.ffnWidth), "
              + "T \(run.context), B \(run.batchSize), vocabulary 65, \(run.objective.rawValue) objective, dropout \(run.dropout), Adam ==")
        print(StepBenchmark.format(StepBenchmark.breakdown(run, steps: steps), ceiling: ceiling))
        print()
    }

    func benchMemory(_ run: Run) {
        let check = StepBenchmark.memoryCheck(run, steps: memorySteps)
        print("== memory over \(check.steps) training steps ==")
        print("arena bytes after step 2: \(check.arenaBytesAfterStep2), after step \(check.steps): \(check.arenaBytesAfterLast)")
        print("resident bytes after step 2: \(check.residentBytesAfterStep2), after step \(check.steps): \(check.residentBytesAfterLast)")
        print()
    }

    /// Corpus speed: WikiText-2 train read and tokenized, a 64 × 128 batch assembled.
    func benchData() throws {
        print("== data: loading, tokenizing and batching ==")
        do {
            for line in try CorpusBenchmark.run(location: data.location) { print(line) }
        } catch {
            print("skipped: \(error)")
        }
        print()
    }
}
