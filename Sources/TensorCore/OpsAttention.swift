import Foundation

/// Causal scaled dot-product attention and rotary position embedding on (B, H, T, D) tensors.
extension Graph {
    /// softmax(Q·Kᵀ/√D + mask)·V per (batch, head), the mask applied inside the kernel.
    /// `dropout` drops attention probabilities (PyTorch's MHA dropout) when training.
    public func attention(q: Node, k: Node, v: Node, causal: Bool, dropout: Float, rng: inout RNG) -> Node {
        let shape = shapes[q.index]
        precondition(shape.count == 4 && shapes[k.index] == shape && shapes[v.index] == shape,
                     "attention: q \(shape), k \(shapes[k.index]), v \(shapes[v.index]) must all be (B, H, T, D)")
        let (time, headDim) = (shape[2], shape[3])
        let slice = time * headDim
        let layout = AttentionLayout(slices: shape[0] * shape[1], time: time, headDim: headDim,
                                     inputStride: headDim, outputStride: headDim,
                                     inputOffset: { $0 * slice }, outputOffset: { $0 * slice })
        let out = output(shape: shape, withGrad: needsGrad(q, k, v))
        // Claimed in the kernel's write order (dV, then dQ, then dK), so q, k, v may be one node.
        attentionCore(layout, q: (values[q.index], grads[q.index]), k: (values[k.index], grads[k.index]),
                      v: (values[v.index], grads[v.index]), out: out, inputs: [q, k, v], causal: causal, dropout: dropout,
                      rng: &rng) { [unowned self] in
            let freshV = self.grads[v.index] != nil && self.claimUnwrittenGradient(v)
            let freshQ = self.grads[q.index] != nil && self.claimUnwrittenGradient(q)
            let freshK = self.grads[k.index] != nil && self.claimUnwrittenGradient(k)
            return (freshQ, freshK, freshV)
        }
        return out
    }

    /// Multi-head attention straight from a fused projection: qkv (B, T, 3C) laid out [Q | K | V]
    /// as PyTorch's in_proj → (B, T, C) with heads merged. Same maths as chunk → splitHeads →
    /// attention → mergeHeads, without the four copies: the GEMMs read and write the heads in
    /// place through their leading dimensions.
    public func attention(qkv: Node, heads: Int, causal: Bool, dropout: Float, rng: inout RNG) -> Node {
        let shape = shapes[qkv.index]
        precondition(shape.count == 3 && shape[2] % (3 * heads) == 0,
                     "attention(qkv:): input \(shape) must be (B, T, 3C) with C divisible by \(heads) heads")
        let (batch, time, channels) = (shape[0], shape[1], shape[2] / 3)
        let headDim = channels / heads
        let layout = AttentionLayout(slices: batch * heads, time: time, headDim: headDim,
                                     inputStride: 3 * channels, outputStride: channels,
                                     inputOffset: { ($0 / heads) * time * 3 * channels + ($0 % heads) * headDim },
                                     outputOffset: { ($0 / heads) * time * channels + ($0 % heads) * headDim })
        let out = output(shape: [batch, time, channels], withGrad: needsGrad(qkv))
        let (x, dx) = (values[qkv.index], grads[qkv.index])
        // One buffer, three disjoint column ranges, each written in full: one claim covers all.
        attentionCore(layout, q: (x, dx), k: (x + channels, dx.map { $0 + channels }),
                      v: (x + 2 * channels, dx.map { $0 + 2 * channels }), out: out, inputs: [qkv], causal: causal,
                      dropout: dropout, rng: &rng) { [unowned self] in
            let fresh = self.claimUnwrittenGradient(qkv)
            return (fresh, fresh, fresh)
        }
        return out
    }

    /// Where each (batch, head) slice lives: the offset of its first Q/K/V row (relative to the
    /// Q, K, V base pointers) and of its first output row, and the row strides.
    struct AttentionLayout {
        let slices: Int, time: Int, headDim: Int, inputStride: Int, outputStride: Int
        let inputOffset: (Int) -> Int
        let outputOffset: (Int) -> Int
    }

    private func attentionCore(_ layout: AttentionLayout, q: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?),
                               k: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?),
                               v: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?),
                               out: Node, inputs: [Node], causal: Bool, dropout: Float, rng: inout RNG,
                               claimInputGradients: @escaping () -> (q: Bool, k: Bool, v: Bool)) {
        precondition(dropout >= 0 && dropout < 1, "attention: dropout \(dropout) must be in [0, 1)")
        let (slices, time, headDim) = (layout.slices, layout.time, layout.headDim)
        let scoreSize = time * time
        let useDropout = training && dropout > 0
        let unmasked = causal ? time * (time + 1) / 2 : time * time
        var generator: LaneGenerator? = useDropout ? LaneGenerator(rng: &rng) : nil
        if TensorCore.flashAttention && FlashAttention.supports(headDim: headDim) {
            flashAttention(layout, q: q, k: k, v: v, out: out, inputs: inputs, causal: causal, dropout: useDropout ? dropout : nil,
                           generator: generator, claimInputGradients: claimInputGradients)
            return
        }
        let probabilities = scratch(slices * scoreSize)
        // Attention dropout keeps no (slices, T, T) mask: each slice's mask is drawn into one
        // (T, T) scratch that stays in cache, and the backward replays the generator from the
        // state saved at the slice's start. Same draws in the same order as one mask for all.
        let mask: UnsafeMutablePointer<Float>? = useDropout ? scratch(scoreSize) : nil
        let dropped: UnsafeMutablePointer<Float>? = useDropout ? scratch(scoreSize) : nil
        var sliceGenerators: [LaneGenerator] = []
        if useDropout { sliceGenerators.reserveCapacity(slices) }
        func drawMask(_ generator: inout LaneGenerator) {
            guard let mask else { return }
            for i in 0..<time {
                // Only the unmasked j ≤ i are drawn and read; the rest stays zero.
                let row = mask + i * time
                let length = causal ? i + 1 : time
                Elementwise.dropoutMask(row, count: length, p: dropout, generator: &generator)
                if length < time { (row + length).update(repeating: 0, count: time - length) }
            }
        }
        let po = values[out.index]
        for s in 0..<slices {
            if var g = generator {
                sliceGenerators.append(g)
                drawMask(&g)
                generator = g
            }
            let i = layout.inputOffset(s)
            AttentionKernel.forward(q: q.0 + i, k: k.0 + i, v: v.0 + i, time: time, headDim: headDim, causal: causal,
                                    inputStride: layout.inputStride, outputStride: layout.outputStride,
                                    probabilities: probabilities + s * scoreSize,
                                    dropoutMask: mask.map { UnsafePointer($0) }, dropped: dropped,
                                    output: po + layout.outputOffset(s), flops: flops)
        }
        flops.add(Double(slices * unmasked) * (FlopConvention.softmaxForward + (useDropout ? FlopConvention.dropoutForward : 0)), .forward)
        guard let dOut = grads[out.index] else { return }
        let (dq, dk, dv) = (q.1, k.1, v.1)
        let dScores = scratch(scoreSize)
        let flops = self.flops
        record("attention", output: out, inputs: inputs, claimsInputs: true) {
            let overwrite = claimInputGradients()
            for s in 0..<slices {
                let sliceProbabilities = probabilities + s * scoreSize
                if let mask, let dropped {
                    var g = sliceGenerators[s]
                    drawMask(&g)
                    Elementwise.multiply(sliceProbabilities, mask, into: dropped, count: scoreSize, accumulate: false)
                }
                let i = layout.inputOffset(s)
                AttentionKernel.backward(q: q.0 + i, k: k.0 + i, v: v.0 + i,
                                         probabilities: sliceProbabilities,
                                         dropoutMask: mask.map { UnsafePointer($0) }, dropped: dropped.map { UnsafePointer($0) },
                                         dOutput: dOut + layout.outputOffset(s), time: time, headDim: headDim, causal: causal,
                                         inputStride: layout.inputStride, outputStride: layout.outputStride,
                                         scratch: dScores, dq: dq.map { $0 + i }, dk: dk.map { $0 + i }, dv: dv.map { $0 + i },
                                         overwrite: overwrite,
                                         flops: flops)
            }
            if dq != nil || dk != nil {
                flops.add(Double(slices * unmasked) * (FlopConvention.softmaxBackward + (useDropout ? FlopConvention.dropoutBackward : 0)), .backward)
            }
        }
    }

    /// Rotary position embedding (Su et al. 2021) in the NeoX "split-half" convention: the pair
    /// (x[i], x[i + D/2]) at position t is rotated by t·base^(−2i/D). Positions are 0..<T.
    public func rope(_ x: Node, base: Float = 10000) -> Node {
        let shape = shapes[x.index]
        precondition(shape.count == 4 && shape[3] % 2 == 0, "rope: input \(shape) must be (B, H, T, D) with even D")
        let slices = shape[0] * shape[1], time = shape[2], headDim = shape[3], half = headDim / 2
        let withGrad = needsGrad(x)
        let out = output(shape: shape, withGrad: withGrad)
        let cosines = scratch(time * half), sines = scratch(time * half)
        for t in 0..<time {
            for i in 0..<half {
                let angle = Double(t) * Foundation.pow(Double(base), -2 * Double(i) / Double(headDim))
                cosines[t * half + i] = Float(Foundation.cos(angle))
                sines[t * half + i] = Float(Foundation.sin(angle))
            }
        }
        let px = values[x.index], py = values[out.index]
        Rotary.rotate(px, into: py, slices: slices, time: time, headDim: headDim, cosines: cosines, sines: sines, inverse: false)
        let count = slices * time * headDim
        flops.add(FlopConvention.ropeForward * Double(count), .forward)
        if withGrad {
            let dx = grads[x.index]!, dy = grads[out.index]!
            let flops = self.flops
            record("rope", output: out, inputs: [x]) {
                // The transpose of a rotation is the rotation by −θ, accumulated into dx.
                Rotary.rotate(dy, into: dx, slices: slices, time: time, headDim: headDim, cosines: cosines, sines: sines,
                              inverse: true)
                flops.add(FlopConvention.ropeBackward * Double(count), .backward)
            }
        }
        return out
    }
}
