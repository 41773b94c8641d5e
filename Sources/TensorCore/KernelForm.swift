import CPUProbe
import Foundation
#if arch(x86_64)
import TensorCoreAVX512
#endif

/// Which compiled form of the tensor core's own kernels runs, chosen once at start-up from CPUID.
///
/// One binary carries two forms of the flash attention (the kernel that does most of the own
/// kernels' arithmetic) and of LayerNorm: this module's, compiled for `LMSWEEP_TARGET_CPU` (AVX2 + FMA by
/// default), and `TensorCoreAVX512`'s, the same sources compiled for AVX-512. The wider form runs
/// where the CPU and OS support AVX-512 F/DQ/BW/VL; `LMSWEEP_KERNEL_FORM=avx2` at run time keeps
/// the narrower one. The two forms do the same lane arithmetic (FMA for FMA, a fixed 16-lane
/// reduction tree that the AVX2 form runs as 2 × 8), so they give the same bits.
public enum KernelForm: String, Sendable {
    case avx512, avx2, portable

    /// The form this process runs: decided on first use, then fixed.
    public static let current: KernelForm = choose(environment: ProcessInfo.processInfo.environment,
                                                   hasAVX512: lmsweep_cpu_has_avx512() != 0)

    static func choose(environment: [String: String], hasAVX512: Bool) -> KernelForm {
        #if arch(x86_64) && LMSWEEP_NEEDS_AVX2
        if environment["LMSWEEP_KERNEL_FORM"] == "avx2" || !hasAVX512 { return .avx2 }
        return .avx512
        #else
        return .portable
        #endif
    }
}

/// The flash attention of the chosen form.
enum FlashAttentionForms {
    /// See `FlashAttention.forward`; returns the generator advanced past the slice's draws.
    static func forward(_ form: KernelForm = KernelForm.current, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                        v: UnsafePointer<Float>, time: Int, headDim: Int, causal: Bool, inputStride: Int, outputStride: Int,
                        dropout: FlashAttention.Dropout?, output: UnsafeMutablePointer<Float>,
                        logSumExp: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>) -> LaneGenerator? {
        #if arch(x86_64)
        if form == .avx512 {
            var generator = dropout?.generator ?? LaneGenerator(s0: .zero, s1: .zero, s2: .zero, s3: .zero)
            withUnsafeMutableBytes(of: &generator) { state in
                AVX512Form.flashAttentionForward(q: q, k: k, v: v, time: time, headDim: headDim, causal: causal,
                                                 inputStride: inputStride, outputStride: outputStride,
                                                 dropout: dropout?.probability, generator: dropout == nil ? nil : state.baseAddress,
                                                 output: output, logSumExp: logSumExp, workspace: workspace)
            }
            return dropout == nil ? nil : generator
        }
        #endif
        return FlashAttention.forward(q: q, k: k, v: v, time: time, headDim: headDim, causal: causal, inputStride: inputStride,
                                      outputStride: outputStride, dropout: dropout, output: output, logSumExp: logSumExp,
                                      workspace: workspace)
    }

    /// See `FlashAttention.backward`.
    static func backward(_ form: KernelForm = KernelForm.current, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                         v: UnsafePointer<Float>, output: UnsafePointer<Float>, logSumExp: UnsafePointer<Float>,
                         dOutput: UnsafePointer<Float>, time: Int, headDim: Int, causal: Bool, inputStride: Int,
                         outputStride: Int, dropout: FlashAttention.Dropout?,
                         dq: UnsafeMutablePointer<Float>?, dk: UnsafeMutablePointer<Float>?, dv: UnsafeMutablePointer<Float>?,
                         overwrite: (q: Bool, k: Bool, v: Bool), workspace: UnsafeMutablePointer<Float>) {
        #if arch(x86_64)
        if form == .avx512 {
            var generator = dropout?.generator ?? LaneGenerator(s0: .zero, s1: .zero, s2: .zero, s3: .zero)
            withUnsafeBytes(of: &generator) { state in
                AVX512Form.flashAttentionBackward(q: q, k: k, v: v, output: output, logSumExp: logSumExp, dOutput: dOutput,
                                                  time: time, headDim: headDim, causal: causal, inputStride: inputStride,
                                                  outputStride: outputStride, dropout: dropout?.probability,
                                                  generator: dropout == nil ? nil : state.baseAddress,
                                                  dq: dq, dk: dk, dv: dv, overwrite: overwrite, workspace: workspace)
            }
            return
        }
        #endif
        FlashAttention.backward(q: q, k: k, v: v, output: output, logSumExp: logSumExp, dOutput: dOutput, time: time,
                                headDim: headDim, causal: causal, inputStride: inputStride, outputStride: outputStride,
                                dropout: dropout, dq: dq, dk: dk, dv: dv, overwrite: overwrite, workspace: workspace)
    }

    static func workspaceCount(time: Int, headDim: Int) -> Int {
        #if arch(x86_64)
        return max(FlashAttention.workspaceCount(time: time, headDim: headDim),
                   AVX512Form.flashAttentionWorkspace(time: time, headDim: headDim))
        #else
        return FlashAttention.workspaceCount(time: time, headDim: headDim)
        #endif
    }
}

/// LayerNorm and causal attention's softmax passes of the chosen form (16 lanes in both; one zmm
/// register per vector in the AVX-512 form).
enum NormalizationForms {
    static func layerNormForward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                 bias: UnsafePointer<Float>, rows: Int, columns: Int, eps: Float, y: UnsafeMutablePointer<Float>,
                                 mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                                 form: KernelForm = KernelForm.current) {
        #if arch(x86_64)
        if form == .avx512 {
            return AVX512Form.layerNormForward(x, weight: weight, bias: bias, rows: rows, columns: columns, eps: eps, y: y,
                                               mean: mean, rstd: rstd)
        }
        #endif
        Normalization.layerNormForward(x, weight: weight, bias: bias, rows: rows, columns: columns, eps: eps, y: y,
                                       mean: mean, rstd: rstd)
    }

    static func layerNormBackward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                  mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                  rows: Int, columns: Int, dx: UnsafeMutablePointer<Float>?, overwriteInput: Bool = false,
                                  dweight: UnsafeMutablePointer<Float>?, dbias: UnsafeMutablePointer<Float>?,
                                  form: KernelForm = KernelForm.current) {
        #if arch(x86_64)
        if form == .avx512 {
            return AVX512Form.layerNormBackward(x, weight: weight, mean: mean, rstd: rstd, dy: dy, rows: rows, columns: columns,
                                                dx: dx, overwriteInput: overwriteInput, dweight: dweight, dbias: dbias)
        }
        #endif
        Normalization.layerNormBackward(x, weight: weight, mean: mean, rstd: rstd, dy: dy, rows: rows, columns: columns,
                                        dx: dx, overwriteInput: overwriteInput, dweight: dweight, dbias: dbias)
    }

    /// Causal attention's softmax row pass (``Normalization/maskedSoftmax``) of the chosen form.
    static func maskedSoftmax(_ scores: UnsafeMutablePointer<Float>, time: Int, causal: Bool,
                              form: KernelForm = KernelForm.current) {
        #if arch(x86_64)
        if form == .avx512 { return AVX512Form.maskedSoftmax(scores, time: time, causal: causal) }
        #endif
        Normalization.maskedSoftmax(scores, time: time, causal: causal)
    }

    /// Causal attention's backward row pass (``Normalization/maskedSoftmaxBackward``) of the chosen form.
    static func maskedSoftmaxBackward(probabilities: UnsafePointer<Float>, dropoutMask: UnsafePointer<Float>?,
                                      gradient: UnsafeMutablePointer<Float>, time: Int, causal: Bool,
                                      form: KernelForm = KernelForm.current) {
        #if arch(x86_64)
        if form == .avx512 {
            return AVX512Form.maskedSoftmaxBackward(probabilities: probabilities, dropoutMask: dropoutMask, gradient: gradient,
                                                    time: time, causal: causal)
        }
        #endif
        Normalization.maskedSoftmaxBackward(probabilities: probabilities, dropoutMask: dropoutMask, gradient: gradient,
                                            time: time, causal: causal)
    }
}
