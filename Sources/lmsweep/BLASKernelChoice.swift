import Foundation
import TensorCore

/// OpenBLAS picks its kernels once, when the library loads, from `OPENBLAS_CORETYPE` or CPUID.
/// 0.3.21 misdetects some AVX-512 CPUs (a virtualised Sapphire Rapids or Zen 4) and falls back
/// to generic kernels, 4× slower at GEMM. The only remedy is a process started with
/// `OPENBLAS_CORETYPE` set, so this is the executable's policy, not the tensor core's.
enum BLASKernelChoice {
    /// If OpenBLAS picked a slower family than this CPU supports (``TensorCore/fasterBLASCore``),
    /// re-executes this process (same arguments) with `OPENBLAS_CORETYPE` set. First thing in
    /// `main`, before any other work or MPI initialisation. Does nothing when
    /// `OPENBLAS_CORETYPE` is already set (so it runs at most once) or the choice is the best.
    static func preferFastKernels() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              let core = TensorCore.fasterBLASCore(cpuFlags: TensorCore.cpuFlags(), current: TensorCore.blasCoreName) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv returns only on failure: carry on with the slower kernels.
    }
}
