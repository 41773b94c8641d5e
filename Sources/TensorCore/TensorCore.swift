import CBLAS

/// The CPU tensor core: fp32 tensors, BLAS-backed ops with forward and backward side by side,
/// reverse-mode autograd, optimizers, a seeded RNG and exact FLOP counting.
public enum TensorCore {
    /// Sets OpenBLAS's thread count. LMSweep runs one BLAS thread per MPI rank by default:
    /// runs are small, and parallelism across runs beats threads inside 128-wide matmuls.
    public static func setBLASThreads(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }
}
