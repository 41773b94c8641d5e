import CBLAS

/// Row-major single-precision GEMM: C (m, n) = alpha · op(A) · op(B) + beta · C, where op(X) is X
/// or Xᵀ. Transposes never copy: they become BLAS transpose flags with the stored leading
/// dimension. Every call counts its 2·m·n·k FLOPs.
enum Gemm {
    @inline(__always)
    static func run(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
                    flops: FlopCounter, _ phase: FlopCounter.Phase) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        flops.addMatmul(m: m, n: n, k: k, phase)
    }

    /// The reference triple loop (Double accumulation) that `run` is tested against.
    static func naive(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        for i in 0..<m {
            for j in 0..<n {
                var sum: Double = 0
                for p in 0..<k {
                    let x = transA ? a[p * lda + i] : a[i * lda + p]
                    let y = transB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(x) * Double(y)
                }
                let previous = beta == 0 ? 0 : beta * c[i * ldc + j]
                c[i * ldc + j] = alpha * Float(sum) + previous
            }
        }
    }

    /// Gradients of C = op(A)·op(B) (one batch item), accumulated into dA and dB (either may be nil),
    /// or written over them (beta 0) when `overwriteA` / `overwriteB`.
    /// A is stored (m, k) or (k, m) when transposed; B is stored (k, n) or (n, k).
    static func backward(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                         a: UnsafePointer<Float>, b: UnsafePointer<Float>, dC: UnsafePointer<Float>,
                         dA: UnsafeMutablePointer<Float>?, dB: UnsafeMutablePointer<Float>?,
                         overwriteA: Bool = false, overwriteB: Bool = false, flops: FlopCounter) {
        let betaA: Float = overwriteA ? 0 : 1, betaB: Float = overwriteB ? 0 : 1
        let lda = transA ? m : k
        let ldb = transB ? k : n
        if let dA {
            if !transA {
                // dA (m, k) = dC · op(B)ᵀ
                run(transA: false, transB: !transB, m: m, n: k, k: n, a: dC, lda: n, b: b, ldb: ldb,
                    beta: betaA, c: dA, ldc: k, flops: flops, .backward)
            } else {
                // dA (k, m) = op(B) · dCᵀ
                run(transA: transB, transB: true, m: k, n: m, k: n, a: b, lda: ldb, b: dC, ldb: n,
                    beta: betaA, c: dA, ldc: m, flops: flops, .backward)
            }
        }
        if let dB {
            if !transB {
                // dB (k, n) = op(A)ᵀ · dC
                run(transA: !transA, transB: false, m: k, n: n, k: m, a: a, lda: lda, b: dC, ldb: n,
                    beta: betaB, c: dB, ldc: n, flops: flops, .backward)
            } else {
                // dB (n, k) = dCᵀ · op(A)
                run(transA: true, transB: transA, m: n, n: k, k: m, a: dC, lda: n, b: a, ldb: lda,
                    beta: betaB, c: dB, ldc: k, flops: flops, .backward)
            }
        }
    }
}
