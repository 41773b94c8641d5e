/// The graph side of ``FlashAttention``: per (batch, head) slice, O and each row's log-sum-exp
/// forward (no (T, T) matrix is kept), the backward from Q, K, V, O and the log-sum-exp.
extension Graph {
    func flashAttention(_ layout: AttentionLayout, q: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?),
                        k: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?),
                        v: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?),
                        out: Node, inputs: [Node], causal: Bool, dropout: Float?, generator: LaneGenerator?,
                        claimInputGradients: @escaping () -> (q: Bool, k: Bool, v: Bool)) {
        let (slices, time, headDim) = (layout.slices, layout.time, layout.headDim)
        let logSumExp = scratch(slices * time)
        let workspace = scratch(FlashAttentionForms.workspaceCount(time: time, headDim: headDim))
        let unmasked = Double(slices * (causal ? time * (time + 1) / 2 : time * time))
        // Each slice's generator state at its start, for the backward's replay.
        var sliceGenerators: [LaneGenerator] = []
        var next = generator
        let po = values[out.index]
        for s in 0..<slices {
            if let g = next { sliceGenerators.append(g) }
            let i = layout.inputOffset(s)
            next = FlashAttentionForms.forward(q: q.0 + i, k: k.0 + i, v: v.0 + i, time: time, headDim: headDim, causal: causal,
                                          inputStride: layout.inputStride, outputStride: layout.outputStride,
                                          dropout: dropout.map { FlashAttention.Dropout(probability: $0, generator: next!) },
                                          output: po + layout.outputOffset(s), logSumExp: logSumExp + s * time,
                                          workspace: workspace)
        }
        let blocks = Self.attentionBlocks(time: time, causal: causal)
        // S = Q·Kᵀ and O = P·V over the score cells the reference computes (the same tiles).
        let forwardPerSlice = blocks.reduce(0.0) { $0 + 2 * FlopConvention.matmul(m: $1.rows, n: $1.keys, k: headDim) }
        flops.add(Double(slices) * forwardPerSlice, .forward)
        flops.add(unmasked * (FlopConvention.softmaxForward + (dropout != nil ? FlopConvention.dropoutForward : 0)), .forward)
        guard let dOut = grads[out.index] else { return }
        let (dq, dk, dv) = (q.1, k.1, v.1)
        let flops = self.flops
        record("attention", output: out, inputs: inputs, claimsInputs: true) {
            let overwrite = claimInputGradients()
            for s in 0..<slices {
                let i = layout.inputOffset(s), o = layout.outputOffset(s)
                FlashAttentionForms.backward(q: q.0 + i, k: k.0 + i, v: v.0 + i, output: po + o, logSumExp: logSumExp + s * time,
                                        dOutput: dOut + o, time: time, headDim: headDim, causal: causal,
                                        inputStride: layout.inputStride, outputStride: layout.outputStride,
                                        dropout: dropout.map { FlashAttention.Dropout(probability: $0, generator: sliceGenerators[s]) },
                                        dq: dq.map { $0 + i }, dk: dk.map { $0 + i }, dv: dv.map { $0 + i },
                                        overwrite: overwrite, workspace: workspace)
            }
            // The op's FLOPs as the reference kernel counts them (its six GEMMs over the same
            // score cells); the recomputed Q·Kᵀ is the price of not storing P and is not counted.
            var perSlice = 0.0
            for (rows, keys, laterRows) in blocks {
                if dv != nil { perSlice += FlopConvention.matmul(m: rows, n: headDim, k: laterRows) }
                if dq != nil || dk != nil { perSlice += FlopConvention.matmul(m: rows, n: keys, k: headDim) }
                if dq != nil { perSlice += FlopConvention.matmul(m: rows, n: headDim, k: keys) }
                if dk != nil { perSlice += FlopConvention.matmul(m: rows, n: headDim, k: laterRows) }
            }
            flops.add(Double(slices) * perSlice, .backward)
            if dq != nil || dk != nil {
                flops.add(unmasked * (FlopConvention.softmaxBackward + (dropout != nil ? FlopConvention.dropoutBackward : 0)), .backward)
            }
        }
    }

    /// The reference kernel's row blocks: (rows, keys 0..<end they see, rows from the block's
    /// start to T) per block of 32 queries (one block of T when not causal).
    static func attentionBlocks(time: Int, causal: Bool) -> [(rows: Int, keys: Int, laterRows: Int)] {
        AttentionKernel.blocks(time: time, causal: causal).map { start in
            let end = min(start + (causal ? AttentionKernel.causalBlock : time), time)
            return (end - start, causal ? end : time, causal ? time - start : time)
        }
    }
}
