/// The activation a fused `linear` applies to its output.
public enum Activation: String, Sendable {
    case relu
    /// The tanh approximation, as `Graph.gelu`.
    case gelu
}

/// Fused ops: a GEMM's bias and activation in one pass over its output, a residual add and
/// dropout in one pass (kernels in `Kernels/Epilogue.swift`). Each computes its unfused
/// composition, `relu(linear(x))` and `add(residual, dropout(x))`, with fewer passes over memory.
extension Graph {
    /// activation(x (…, in) · Wᵀ + b) with W (out, in) → (…, out): the GEMM writes with beta 0,
    /// then one pass adds the bias and applies the activation. ReLU's backward needs only the
    /// output; GELU keeps the GEMM's output (without the bias) in scratch memory.
    public func linear(_ x: Node, weight: Node, bias: Node, activation: Activation) -> Node {
        let shapeX = shapes[x.index], shapeW = shapes[weight.index]
        precondition(shapeW.count == 2 && shapeX.last == shapeW[1],
                     "linear: input \(shapeX) does not match weight (out, in) = \(shapeW)")
        let inFeatures = shapeW[1], outFeatures = shapeW[0]
        precondition(shapes[bias.index] == [outFeatures], "linear: bias \(shapes[bias.index]) must be [\(outFeatures)]")
        let rows = Graph.elementCount(shapeX) / inFeatures, count = rows * outFeatures
        let withGrad = needsGrad(x, weight, bias)
        let out = output(shape: Array(shapeX.dropLast()) + [outFeatures], withGrad: withGrad)
        let px = values[x.index], pw = values[weight.index], pb = values[bias.index], py = values[out.index]
        let pre = activation == .relu ? py : scratch(count)                                 // (rows, out)
        Gemm.run(transA: false, transB: true, m: rows, n: outFeatures, k: inFeatures, a: px, lda: inFeatures,
                 b: pw, ldb: inFeatures, beta: 0, c: pre, ldc: outFeatures, flops: flops, .forward)
        switch activation {
        case .relu: Epilogue.biasReLU(py, bias: pb, rows: rows, columns: outFeatures)
        case .gelu: Epilogue.biasGELU(pre, bias: pb, rows: rows, columns: outFeatures, into: py)
        }
        let activationFlops = activation == .relu ? FlopConvention.reluForward : FlopConvention.geluForward
        flops.add((FlopConvention.biasForward + activationFlops) * Double(count), .forward)
        if withGrad {
            let dx = grads[x.index], dw = grads[weight.index], db = grads[bias.index], dy = grads[out.index]!
            let dPre = gradientArena.allocate(count)                                        // (rows, out)
            let flops = self.flops
            let op: StaticString = activation == .relu ? "linear relu" : "linear gelu"
            record(op, output: out, inputs: [x, weight, bias], claimsInputs: true) { [unowned self] in
                if db != nil { self.zeroIfUnwritten(bias) }
                switch activation {
                case .relu:
                    Epilogue.biasReLUBackward(output: py, dy: dy, into: dPre, rows: rows, columns: outFeatures, biasGradient: db)
                    flops.add(FlopConvention.reluBackward * Double(count), .backward)
                case .gelu:
                    Epilogue.biasGELUBackward(pre, bias: pb, dy: dy, into: dPre, rows: rows, columns: outFeatures, biasGradient: db)
                    flops.add(FlopConvention.geluBackward * Double(count), .backward)
                }
                if db != nil { flops.add(FlopConvention.broadcastReduceBackward * Double(count), .backward) }
                let freshX = dx != nil && self.claimUnwrittenGradient(x)
                let freshW = dw != nil && self.claimUnwrittenGradient(weight)
                Gemm.backward(transA: false, transB: true, m: rows, n: outFeatures, k: inFeatures,
                              a: px, b: pw, dC: dPre, dA: dx, dB: dw, overwriteA: freshX, overwriteB: freshW, flops: flops)
            }
        }
        return out
    }

    /// residual + dropout(x) (inverted dropout, as `dropout`), x of residual's shape: one pass
    /// forward, the mask replayed from the generator in the backward. Draws from `rng` exactly
    /// as `dropout` does, so it gives `add(residual, dropout(x, …))`'s bits; without training or
    /// with p == 0 it is `add`.
    public func residualDropout(_ residual: Node, _ x: Node, p: Float, rng: inout RNG) -> Node {
        precondition(p >= 0 && p < 1, "residualDropout: p = \(p) must be in [0, 1)")
        precondition(shapes[residual.index] == shapes[x.index],
                     "residualDropout: \(shapes[x.index]) must be the residual's shape \(shapes[residual.index])")
        guard training && p > 0 else { return add(residual, x) }
        let count = Graph.elementCount(shapes[x.index])
        let withGrad = needsGrad(residual, x)
        let out = output(shape: shapes[x.index], withGrad: withGrad)
        var generator = LaneGenerator(rng: &rng)
        let saved = generator
        Epilogue.residualDropout(values[residual.index], values[x.index], into: values[out.index], count: count, p: p,
                                 generator: &generator)
        flops.add((FlopConvention.dropoutForward + FlopConvention.addForward) * Double(count), .forward)
        if withGrad {
            let dr = grads[residual.index], dx = grads[x.index], dy = grads[out.index]!
            let flops = self.flops
            record("residual dropout", output: out, inputs: [residual, x], claimsInputs: true) { [unowned self] in
                if let dr {
                    if self.claimUnwrittenGradient(residual) { dr.update(from: dy, count: count) }
                    else { Elementwise.accumulate(dy, into: dr, count: count) }
                }
                if let dx {
                    var replay = saved
                    Elementwise.dropoutApply(dy, into: dx, count: count, p: p, generator: &replay,
                                             accumulate: !self.claimUnwrittenGradient(x))
                    flops.add(FlopConvention.dropoutBackward * Double(count), .backward)
                }
            }
        }
        return out
    }
}
