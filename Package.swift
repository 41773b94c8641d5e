// swift-tools-version:6.0
// LMSweep: a distributed sweep coordinator over MPI for small language models.
// Module layout and dependency order follow DESIGN.md: each module depends only on those above it.
import PackageDescription
import Foundation

/// The CPU the tensor core's own kernels are compiled for (BLAS picks its kernels at run time).
/// Default `haswell` (AVX2 + FMA: Intel since Haswell, AMD since Zen 1): the SIMD row kernels and
/// the optimizers run 8 lanes per instruction instead of SSE's 4. `LMSWEEP_TARGET_CPU=skylake-avx512`
/// (AVX-512), `native`, or `baseline` (no flag: any x86-64) at build time overrides it; `lmsweep`
/// checks at start-up that the CPU has what the build assumes (see `CPUCheck`).
let targetCPU: String? = {
    #if arch(x86_64)
    let requested = ProcessInfo.processInfo.environment["LMSWEEP_TARGET_CPU"] ?? "haswell"
    return requested == "baseline" || requested.isEmpty ? nil : requested
    #else
    return nil
    #endif
}()

/// What the tensor core's build assumes of the CPU: for `lmsweep`'s start-up check (compiled
/// without `-target-cpu`, so it runs anywhere and can say what is missing instead of SIGILL),
/// and for the tensor core's few explicit AVX instructions (`Vector.squareRoot`).
let cpuRequirementDefines: [SwiftSetting] = {
    let avx2: [SwiftSetting] = [.define("LMSWEEP_NEEDS_AVX2")]
    let avx512 = avx2 + [.define("LMSWEEP_NEEDS_AVX512")]
    switch targetCPU {
    case "haswell"?, "broadwell"?, "skylake"?, "alderlake"?, "znver1"?, "znver2"?, "znver3"?: return avx2
    case "skylake-avx512"?, "cascadelake"?, "icelake-server"?, "icelake-client"?, "tigerlake"?, "sapphirerapids"?,
         "emeraldrapids"?, "graniterapids"?, "znver4"?, "znver5"?:
        return avx512
    case "native"?:
        // This machine's flags, as LLVM's `native` will see them.
        let flags = ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
            .split(separator: "\n").first { $0.hasPrefix("flags") }.map { Set($0.split(separator: " ").map(String.init)) } ?? []
        guard flags.contains("avx2") && flags.contains("fma") else { return [] }
        return flags.contains("avx512f") ? avx512 : avx2
    default: return []
    }
}()

/// Kernels are written with explicit bounds reasoning; `-Ounchecked` drops the
/// per-element overflow and bounds traps that otherwise dominate elementwise loops.
let kernelSettings: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"] + (targetCPU.map { ["-target-cpu", $0] } ?? []))]

/// The AVX-512 form of the tensor core's flash attention: the same kernel sources (the target's
/// files are links into Sources/TensorCore/Kernels) compiled for AVX-512, chosen at run time by
/// `KernelForm` where the CPU has it, so one binary runs the widest kernels the CPU has.
let avx512FormTargets: [Target] = {
    #if arch(x86_64)
    return [.target(name: "TensorCoreAVX512", path: "Sources/TensorCoreAVX512",
                    swiftSettings: [.unsafeFlags(["-Ounchecked", "-target-cpu", "skylake-avx512"]),
                                    .define("LMSWEEP_NEEDS_AVX2"), .define("LMSWEEP_NEEDS_AVX512")])]
    #else
    return []
    #endif
}()
let avx512Form: [Target.Dependency] = avx512FormTargets.map { .target(name: $0.name) }

let package = Package(
    name: "LMSweep",
    products: [
        .executable(name: "lmsweep", targets: ["lmsweep"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // System libraries: OpenBLAS (cblas.h) and Open MPI (mpi.h behind static-inline getters).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),

        // CPUID (which kernel form this CPU runs) and the FMA chains of `lmsweep bench`'s ceiling,
        // in C: per-function target attributes let one object hold AVX2 and AVX-512 code.
        .target(name: "CPUProbe", path: "Sources/CPUProbe"),
    ] + avx512FormTargets + [
        .target(name: "TensorCore", dependencies: ["CBLAS", "CPUProbe"] + avx512Form,
                swiftSettings: kernelSettings + cpuRequirementDefines),
        .target(name: "Corpus", dependencies: ["TensorCore"]),
        .target(name: "Models", dependencies: ["TensorCore"]),
        .target(name: "Training", dependencies: ["TensorCore", "Corpus", "Models"]),
        .target(name: "Sweep", dependencies: ["Corpus", "Training", .product(name: "Yams", package: "Yams")]),
        .target(name: "Cluster", dependencies: ["CMPI", "Corpus", "Sweep", "Training"]),
        // Benchmarks and profiles, built on Training's step (no benchmark code in the library modules).
        .target(name: "Bench", dependencies: ["CBLAS", "CPUProbe", "TensorCore", "Corpus", "Training"]),
        .executableTarget(name: "lmsweep", dependencies: [
            "TensorCore", "Corpus", "Models", "Training", "Sweep", "Cluster", "Bench",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: cpuRequirementDefines),

        // What tests share: one rule for finding data, generated corpora, the binary and subprocess helpers.
        .target(name: "TestSupport", dependencies: ["Corpus", "TensorCore"], path: "Tests/TestSupport"),
        .testTarget(name: "ReportTests", dependencies: ["Sweep", "Training"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Models", "TensorCore", "Corpus", "TestSupport"]),
        .testTarget(name: "SweepTests", dependencies: ["Sweep", "Training"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "Sweep", "Training", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "TensorCore"]),
        .testTarget(name: "CorpusTests", dependencies: ["Corpus", "TensorCore", "TestSupport"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "CPUProbe"]),
        // Bad input and faults through the binary: one target, so `swift test --filter FaultTests` runs it alone.
        .testTarget(name: "FaultTests", dependencies: ["Sweep", "Training", "TestSupport"]),
        // Cluster mode over network-namespace test hosts: scripts and mpirun as subprocesses only.
        .testTarget(name: "NetnsClusterTests", dependencies: ["TestSupport"]),
        // A real one-node SLURM (scripts/slurm-cluster.sh): sbatch, job arrays, requeue, srun.
        .testTarget(name: "SlurmTests", dependencies: ["Sweep", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
