import CBLAS
import Foundation

/// The CPU tensor core: fp32 tensors, BLAS-backed ops with forward and backward side by side,
/// reverse-mode autograd, optimizers, a seeded RNG and exact FLOP counting.
public enum TensorCore {
    /// Causal attention computes scores in row blocks of this many queries, block [r0, r1)
    /// over keys 0..<r1 (the cost model predicts FLOPs from it).
    public static var causalAttentionBlockRows: Int { AttentionKernel.causalBlock }

    /// Whether causal attention at head widths 32 and 64 runs the flash kernel (``FlashAttention``)
    /// or the reference GEMM kernel (the default): for benchmarks and tests that compare the two.
    /// Off by default: measured in the whole training step the flash kernel is slower here (the
    /// reference kernel's GEMMs run at OpenBLAS's rate), and the two round differently, so runs
    /// keep one kernel and the numerics fingerprint (whose canary has head width 16) stays true.
    public nonisolated(unsafe) static var flashAttention = false

    /// Sets OpenBLAS's thread count. LMSweep runs one BLAS thread per MPI rank by default:
    /// runs are small, and parallelism across runs beats threads inside 128-wide matmuls.
    public static func setBLASThreads(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }

    /// The kernel family OpenBLAS chose when it loaded ("SkylakeX", "Haswell", "Prescott", ...).
    public static var blasCoreName: String { String(cString: openblas_get_corename()) }

    /// `openblas_get_config()`: version, build options and the chosen core, one line.
    public static var blasConfig: String {
        String(cString: openblas_get_config()).trimmingCharacters(in: .whitespaces)
    }

    /// The instruction set the tensor core's own kernels (softmax, LayerNorm, dropout, Adam, the
    /// loss) were compiled for (`LMSWEEP_TARGET_CPU` at build time, see Package.swift), and the
    /// kernel form that runs (``KernelForm``, chosen at start-up: the flash attention and
    /// LayerNorm in AVX-512 or AVX2), so the numerics facts and records say which form ran.
    public static var kernelISA: String { compiledISA + "; kernel form " + KernelForm.current.rawValue }

    static var compiledISA: String {
        #if LMSWEEP_NEEDS_AVX512
        return "avx512"
        #elseif LMSWEEP_NEEDS_AVX2
        return "avx2+fma"
        #elseif arch(x86_64)
        return "x86-64"
        #elseif arch(arm64)
        return "arm64"
        #else
        return "generic"
        #endif
    }

    /// OpenBLAS's generic fallbacks: what a DYNAMIC_ARCH build picks on a CPU it does not recognise.
    static let genericBLASCores: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom",
                                                "katmai", "coppermine", "northwood", "banias", "athlon", "opteron"]

    /// The kernel family this CPU can run fastest, if OpenBLAS settled for a slower one: OpenBLAS
    /// 0.3.21 reads the CPU model from CPUID, and a virtualised Sapphire Rapids or Zen 4 that
    /// reports a generic model gets the SSE3 "Prescott" kernels, 4× slower at SGEMM than the
    /// AVX-512 "SkylakeX" kernels the CPU supports (measured: 30 vs 120 GFLOP/s, one thread).
    public static func fasterBLASCore(cpuFlags: Set<String>, current: String) -> String? {
        let currentCore = current.lowercased()
        let avx512 = ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"].allSatisfy(cpuFlags.contains)
        if avx512 && !["skylakex", "cooperlake", "sapphirerapids"].contains(currentCore) { return "SkylakeX" }
        if !avx512 && cpuFlags.contains("avx2") && cpuFlags.contains("fma") && genericBLASCores.contains(currentCore) {
            return "Haswell"
        }
        return nil
    }

    /// The CPU's feature flags from /proc/cpuinfo (Linux); empty elsewhere.
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}
