import ArgumentParser
import TensorCore
import Training

@main
struct LMSweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lmsweep",
        abstract: "Which small language model gives the best quality for a compute budget?",
        discussion: """
        Sweeps a grid of small language models (linear, MLP, self-attention, transformer) \
        across MPI ranks, trains each run on the CPU tensor core, and gathers test NLL, \
        parameter counts and training FLOPs into one results table.

        Launch a sweep on every core of this machine:
          mpirun -np 2 lmsweep run sweeps/smoke.yaml
        """,
        version: LMSweepVersion.current,
        subcommands: [RunCommand.self, PlanCommand.self, StatusCommand.self, MergeCommand.self, ReportCommand.self, TrainCommand.self,
                      EvalCommand.self, SampleCommand.self, BenchCommand.self, DataCommand.self, NumericsCommand.self]
    )

    /// Before anything else (and before MPI starts), make sure OpenBLAS runs the kernels this
    /// CPU supports: 0.3.21 misdetects some AVX-512 CPUs and falls back to generic kernels,
    /// 4× slower at GEMM. Every command gets the same kernels, so every rank computes the
    /// same bits. Before that, check the CPU has the instructions the tensor core was built for.
    static func main() {
        CPUCheck.exitIfUnsupported()
        BLASKernelChoice.preferFastKernels()
        main(nil)
    }
}
