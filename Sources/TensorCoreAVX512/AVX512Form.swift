/// The AVX-512 form of the tensor core's flash attention, LayerNorm and causal attention's softmax passes: the same kernel sources as TensorCore's
/// own (this folder's other files are links to them), compiled with `-target-cpu skylake-avx512`,
/// so every 16-lane vector is one zmm register. TensorCore calls in here only when the CPU has
/// AVX-512 (`TensorCore.kernelForm`); the lane arithmetic is the same in both forms (FMA for
/// FMA, one fixed reduction tree), so both give the same bits.
///
/// The dropout generator crosses the module boundary as raw memory: this module's copy of
/// `LaneGenerator` has the same source, so the same layout, as TensorCore's.
public enum AVX512Form {
    public static func flashAttentionForward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                             time: Int, headDim: Int, causal: Bool, inputStride: Int, outputStride: Int,
                                             dropout: Float?, generator: UnsafeMutableRawPointer?,
                                             output: UnsafeMutablePointer<Float>, logSumExp: UnsafeMutablePointer<Float>,
                                             workspace: UnsafeMutablePointer<Float>) {
        let slice = dropout.map { FlashAttention.Dropout(probability: $0, generator: generator!.load(as: LaneGenerator.self)) }
        let next = FlashAttention.forward(q: q, k: k, v: v, time: time, headDim: headDim, causal: causal, inputStride: inputStride,
                                          outputStride: outputStride, dropout: slice, output: output, logSumExp: logSumExp,
                                          workspace: workspace)
        if let next, let generator { generator.storeBytes(of: next, as: LaneGenerator.self) }
    }

    public static func flashAttentionBackward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                              output: UnsafePointer<Float>, logSumExp: UnsafePointer<Float>,
                                              dOutput: UnsafePointer<Float>, time: Int, headDim: Int, causal: Bool,
                                              inputStride: Int, outputStride: Int, dropout: Float?,
                                              generator: UnsafeRawPointer?,
                                              dq: UnsafeMutablePointer<Float>?, dk: UnsafeMutablePointer<Float>?,
                                              dv: UnsafeMutablePointer<Float>?, overwrite: (q: Bool, k: Bool, v: Bool),
                                              workspace: UnsafeMutablePointer<Float>) {
        let slice = dropout.map { FlashAttention.Dropout(probability: $0, generator: generator!.load(as: LaneGenerator.self)) }
        FlashAttention.backward(q: q, k: k, v: v, output: output, logSumExp: logSumExp, dOutput: dOutput, time: time,
                                headDim: headDim, causal: causal, inputStride: inputStride, outputStride: outputStride,
                                dropout: slice, dq: dq, dk: dk, dv: dv, overwrite: overwrite, workspace: workspace)
    }

    /// Floats of workspace per slice (as TensorCore's form).
    public static func flashAttentionWorkspace(time: Int, headDim: Int) -> Int {
        FlashAttention.workspaceCount(time: time, headDim: headDim)
    }

    public static func layerNormForward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                        rows: Int, columns: Int, eps: Float, y: UnsafeMutablePointer<Float>,
                                        mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>) {
        Normalization.layerNormForward(x, weight: weight, bias: bias, rows: rows, columns: columns, eps: eps, y: y,
                                       mean: mean, rstd: rstd)
    }

    public static func layerNormBackward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                         mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                         rows: Int, columns: Int, dx: UnsafeMutablePointer<Float>?, overwriteInput: Bool,
                                         dweight: UnsafeMutablePointer<Float>?, dbias: UnsafeMutablePointer<Float>?) {
        Normalization.layerNormBackward(x, weight: weight, mean: mean, rstd: rstd, dy: dy, rows: rows, columns: columns,
                                        dx: dx, overwriteInput: overwriteInput, dweight: dweight, dbias: dbias)
    }

    public static func maskedSoftmax(_ scores: UnsafeMutablePointer<Float>, time: Int, causal: Bool) {
        Normalization.maskedSoftmax(scores, time: time, causal: causal)
    }

    public static func maskedSoftmaxBackward(probabilities: UnsafePointer<Float>, dropoutMask: UnsafePointer<Float>?,
                                             gradient: UnsafeMutablePointer<Float>, time: Int, causal: Bool) {
        Normalization.maskedSoftmaxBackward(probabilities: probabilities, dropoutMask: dropoutMask, gradient: gradient,
                                            time: time, causal: causal)
    }
}
