/// LayerNorm and softmax over the last dim.
extension Graph {
    /// LayerNorm over the last dim (Ba et al. 2016), PyTorch semantics: biased variance, eps inside the root.
    public func layerNorm(_ x: Node, weight: Node, bias: Node, eps: Float = 1e-5) -> Node {
        let shape = shapes[x.index]
        let columns = shape.last!
        precondition(shapes[weight.index] == [columns] && shapes[bias.index] == [columns],
                     "layerNorm: weight \(shapes[weight.index]) and bias \(shapes[bias.index]) must be [\(columns)] for input \(shape)")
        let rows = Graph.elementCount(shape) / columns
        let withGrad = needsGrad(x, weight, bias)
        let out = output(shape: shape, withGrad: withGrad)
        let mean = scratch(rows), rstd = scratch(rows)
        let px = values[x.index], pw = values[weight.index]
        NormalizationForms.layerNormForward(px, weight: pw, bias: values[bias.index], rows: rows, columns: columns,
                                            eps: eps, y: values[out.index], mean: mean, rstd: rstd)
        flops.add(FlopConvention.layerNormForward * Double(rows * columns), .forward)
        if withGrad {
            let dx = grads[x.index], dw = grads[weight.index], db = grads[bias.index], dy = grads[out.index]!
            let flops = self.flops
            record("layerNorm", output: out, inputs: [x, weight, bias], claimsInputs: true) { [unowned self] in
                self.zeroIfUnwritten(weight)
                self.zeroIfUnwritten(bias)
                let overwrite = dx != nil && self.claimUnwrittenGradient(x)
                NormalizationForms.layerNormBackward(px, weight: pw, mean: mean, rstd: rstd, dy: dy, rows: rows,
                                                     columns: columns, dx: dx, overwriteInput: overwrite, dweight: dw, dbias: db)
                flops.add(FlopConvention.layerNormBackward * Double(rows * columns), .backward)
            }
        }
        return out
    }

    /// Softmax over the last dim.
    public func softmax(_ x: Node) -> Node {
        let shape = shapes[x.index]
        let columns = shape.last!
        let rows = Graph.elementCount(shape) / columns
        let withGrad = needsGrad(x)
        let out = output(shape: shape, withGrad: withGrad)
        let py = values[out.index]
        py.update(from: values[x.index], count: rows * columns)
        for r in 0..<rows { Normalization.softmaxRow(py + r * columns, length: columns) }
        flops.add(FlopConvention.softmaxForward * Double(rows * columns), .forward)
        if withGrad {
            let dx = grads[x.index]!, dy = grads[out.index]!
            let flops = self.flops
            record("softmax", output: out, inputs: [x]) {
                for r in 0..<rows {
                    Normalization.softmaxBackwardRow(y: py + r * columns, dy: dy + r * columns,
                                                     dx: dx + r * columns, length: columns)
                }
                flops.add(FlopConvention.softmaxBackward * Double(rows * columns), .backward)
            }
        }
        return out
    }
}
