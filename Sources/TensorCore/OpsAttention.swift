import Foundation

/// Causal scaled dot-product attention and rotary position embedding on (B, H, T, D) tensors.
extension Graph {
    /// softmax(Q·Kᵀ/√D + mask)·V per (batch, head), the mask applied inside the kernel.
    /// `dropout` drops attention probabilities (PyTorch's MHA dropout) when training.
    public func attention(q: Node, k: Node, v: Node, causal: Bool, dropout: Float, rng: inout RNG) -> Node {
        let shape = shapes[q.index]
        precondition(shape.count == 4 && shapes[k.index] == shape && shapes[v.index] == shape,
                     "attention: q \(shape), k \(shapes[k.index]), v \(shapes[v.index]) must all be (B, H, T, D)")
        precondition(dropout >= 0 && dropout < 1, "attention: dropout \(dropout) must be in [0, 1)")
        let slices = shape[0] * shape[1], time = shape[2], headDim = shape[3]
        let withGrad = needsGrad(q, k, v)
        let out = output(shape: shape, withGrad: withGrad)
        let probabilities = scratch(slices * time * time)
        let useDropout = training && dropout > 0
        var mask: UnsafeMutablePointer<Float>? = nil
        var dropped: UnsafeMutablePointer<Float>? = nil
        let unmasked = causal ? time * (time + 1) / 2 : time * time
        if useDropout {
            let m = scratch(slices * time * time)
            let keepScale = 1 / (1 - dropout)
            for s in 0..<slices {
                for i in 0..<time {
                    let row = m + (s * time + i) * time
                    let length = causal ? i + 1 : time
                    for j in 0..<length { row[j] = rng.nextFloat() < dropout ? 0 : keepScale }
                    for j in length..<time { row[j] = 0 }
                }
            }
            mask = m
            dropped = scratch(slices * time * time)
        }
        let pq = values[q.index], pk = values[k.index], pv = values[v.index], po = values[out.index]
        let sliceSize = time * headDim, scoreSize = time * time
        for s in 0..<slices {
            AttentionKernel.forward(q: pq + s * sliceSize, k: pk + s * sliceSize, v: pv + s * sliceSize,
                                    time: time, headDim: headDim, causal: causal,
                                    probabilities: probabilities + s * scoreSize,
                                    dropoutMask: mask.map { UnsafePointer($0 + s * scoreSize) },
                                    dropped: dropped.map { $0 + s * scoreSize },
                                    output: po + s * sliceSize, flops: flops)
        }
        flops.add(Double(slices * unmasked) * (FlopConvention.softmaxForward + (useDropout ? FlopConvention.dropoutForward : 0)), .forward)
        if withGrad {
            let dq = grads[q.index], dk = grads[k.index], dv = grads[v.index], dOut = grads[out.index]!
            let dScores = scratch(scoreSize)
            let flops = self.flops
            record {
                for s in 0..<slices {
                    AttentionKernel.backward(q: pq + s * sliceSize, k: pk + s * sliceSize, v: pv + s * sliceSize,
                                             probabilities: probabilities + s * scoreSize,
                                             dropoutMask: mask.map { UnsafePointer($0 + s * scoreSize) },
                                             dropped: dropped.map { UnsafePointer($0 + s * scoreSize) },
                                             dOutput: dOut + s * sliceSize, time: time, headDim: headDim, causal: causal,
                                             scratch: dScores, dq: dq.map { $0 + s * sliceSize },
                                             dk: dk.map { $0 + s * sliceSize }, dv: dv.map { $0 + s * sliceSize },
                                             flops: flops)
                }
                if dq != nil || dk != nil {
                    flops.add(Double(slices * unmasked) * (FlopConvention.softmaxBackward + (useDropout ? FlopConvention.dropoutBackward : 0)), .backward)
                }
            }
        }
        return out
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
        for s in 0..<slices {
            for t in 0..<time {
                let row = (s * time + t) * headDim
                let c = cosines + t * half, sn = sines + t * half
                for i in 0..<half {
                    let x1 = px[row + i], x2 = px[row + i + half]
                    py[row + i] = x1 * c[i] - x2 * sn[i]
                    py[row + i + half] = x2 * c[i] + x1 * sn[i]
                }
            }
        }
        let count = slices * time * headDim
        flops.add(FlopConvention.ropeForward * Double(count), .forward)
        if withGrad {
            let dx = grads[x.index]!, dy = grads[out.index]!
            let flops = self.flops
            record {
                for s in 0..<slices {
                    for t in 0..<time {
                        let row = (s * time + t) * headDim
                        let c = cosines + t * half, sn = sines + t * half
                        for i in 0..<half {
                            let g1 = dy[row + i], g2 = dy[row + i + half]
                            dx[row + i] += g1 * c[i] + g2 * sn[i]
                            dx[row + i + half] += g2 * c[i] - g1 * sn[i]
                        }
                    }
                }
                flops.add(FlopConvention.ropeBackward * Double(count), .backward)
            }
        }
        return out
    }
}
