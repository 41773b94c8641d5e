/// Embedding lookup, the fused log-softmax + NLL loss, and the sum/mean reductions.
extension Graph {
    /// table (V, C) gathered at `tokens` (laid out as `shape`) → (shape…, C). Backward scatter-adds
    /// each output row's gradient into its token's table row.
    public func embedding(_ table: Node, tokens: [Int32], shape: [Int]) -> Node {
        let tableShape = shapes[table.index]
        precondition(tableShape.count == 2, "embedding: table \(tableShape) must be (V, C)")
        precondition(Graph.elementCount(shape) == tokens.count, "embedding: \(tokens.count) tokens for shape \(shape)")
        let (vocabulary, channels) = (tableShape[0], tableShape[1])
        if let bad = tokens.firstIndex(where: { $0 < 0 || Int($0) >= vocabulary }) {
            preconditionFailure("embedding: token \(tokens[bad]) at position \(bad) is outside the vocabulary 0..<\(vocabulary)")
        }
        let withGrad = needsGrad(table)
        let out = output(shape: shape + [channels], withGrad: withGrad)
        let pt = values[table.index], py = values[out.index]
        for (row, token) in tokens.enumerated() {
            (py + row * channels).update(from: pt + Int(token) * channels, count: channels)
        }
        if withGrad {
            let dt = grads[table.index]!, dy = grads[out.index]!
            let flops = self.flops
            record("embedding", output: out, inputs: [table]) {
                for (row, token) in tokens.enumerated() {
                    Elementwise.accumulate(dy + row * channels, into: dt + Int(token) * channels, count: channels)
                }
                flops.add(FlopConvention.embeddingBackward * Double(tokens.count * channels), .backward)
            }
        }
        return out
    }

    public func embedding(_ table: Node, tokens: UnsafeBufferPointer<Int32>, shape: [Int]) -> Node {
        embedding(table, tokens: Array(tokens), shape: shape)
    }

    /// Fused log-softmax + NLL: logits (N, V), one target per row → the scalar mean over rows.
    /// Saves only each row's log-sum-exp; the backward writes (softmax − onehot)/N directly.
    public func crossEntropy(_ logits: Node, targets: [Int32]) -> Node {
        let shape = shapes[logits.index]
        precondition(shape.count == 2, "crossEntropy: logits \(shape) must be (N, V)")
        let (rows, vocabulary) = (shape[0], shape[1])
        precondition(targets.count == rows, "crossEntropy: \(targets.count) targets for \(rows) rows of logits")
        if let bad = targets.firstIndex(where: { $0 < 0 || Int($0) >= vocabulary }) {
            preconditionFailure("crossEntropy: target \(targets[bad]) at row \(bad) is outside the vocabulary 0..<\(vocabulary)")
        }
        let withGrad = needsGrad(logits)
        let out = output(shape: [1], withGrad: withGrad)
        let logSumExp = scratch(rows)
        let px = values[logits.index]
        var total: Double = 0
        for r in 0..<rows {
            let lse = Loss.logSumExp(px + r * vocabulary, count: vocabulary)
            logSumExp[r] = lse
            total += Double(lse - px[r * vocabulary + Int(targets[r])])
        }
        values[out.index][0] = Float(total / Double(rows))
        flops.add(FlopConvention.crossEntropyForward * Double(rows * vocabulary)
                  + FlopConvention.crossEntropyForwardPerRow * Double(rows), .forward)
        if withGrad {
            let dx = grads[logits.index]!, dy = grads[out.index]!
            let flops = self.flops
            record("crossEntropy", output: out, inputs: [logits]) {
                let scale = dy[0] / Float(rows)
                for r in 0..<rows {
                    Loss.softmaxMinusOneHotBackward(px + r * vocabulary, logSumExp: logSumExp[r], target: Int(targets[r]),
                                                    scale: scale, dx: dx + r * vocabulary, count: vocabulary)
                }
                flops.add(FlopConvention.crossEntropyBackward * Double(rows * vocabulary), .backward)
            }
        }
        return out
    }

    public func sum(_ x: Node) -> Node {
        let count = Graph.elementCount(shapes[x.index])
        let withGrad = needsGrad(x)
        let out = output(shape: [1], withGrad: withGrad)
        let px = values[x.index]
        var total: Double = 0
        for i in 0..<count { total += Double(px[i]) }
        values[out.index][0] = Float(total)
        flops.add(FlopConvention.sumForward * Double(count), .forward)
        if withGrad {
            let dx = grads[x.index]!, dy = grads[out.index]!
            record("sum", output: out, inputs: [x]) {
                let g = dy[0]
                for i in 0..<count { dx[i] += g }
            }
        }
        return out
    }

    public func mean(_ x: Node) -> Node {
        let count = Graph.elementCount(shapes[x.index])
        let withGrad = needsGrad(x)
        let out = output(shape: [1], withGrad: withGrad)
        let px = values[x.index]
        var total: Double = 0
        for i in 0..<count { total += Double(px[i]) }
        values[out.index][0] = Float(total / Double(count))
        flops.add(FlopConvention.meanForward * Double(count), .forward)
        if withGrad {
            let dx = grads[x.index]!, dy = grads[out.index]!
            let flops = self.flops
            record("mean", output: out, inputs: [x]) {
                let g = dy[0] / Float(count)
                for i in 0..<count { dx[i] += g }
                flops.add(FlopConvention.meanBackward * Double(count), .backward)
            }
        }
        return out
    }
}
