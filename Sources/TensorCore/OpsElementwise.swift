/// Elementwise ops: add / mul with row broadcasting, ReLU, GELU, dropout, each forward and
/// backward side by side.
extension Graph {
    /// The broadcast layout of b against a: b's shape must equal a's or a suffix of it.
    private func broadcastRows(_ a: Node, _ b: Node, _ op: String) -> (rows: Int, columns: Int) {
        let shapeA = shapes[a.index], shapeB = shapes[b.index]
        precondition(shapeB.count <= shapeA.count && Array(shapeA.suffix(shapeB.count)) == shapeB,
                     "\(op): \(shapeB) does not broadcast over \(shapeA) (it must be a's shape or a suffix of it)")
        let columns = Graph.elementCount(shapeB)
        return (Graph.elementCount(shapeA) / columns, columns)
    }

    /// a + b, b of a's shape or broadcast over a's leading dims (bias, residual, position embedding).
    public func add(_ a: Node, _ b: Node) -> Node {
        let (rows, columns) = broadcastRows(a, b, "add")
        let withGrad = needsGrad(a, b)
        let out = output(shape: shapes[a.index], withGrad: withGrad)
        let pa = values[a.index], pb = values[b.index]
        Elementwise.addBroadcast(pa, pb, rows: rows, columns: columns, into: values[out.index])
        flops.add(FlopConvention.addForward * Double(rows * columns), .forward)
        if withGrad {
            let da = grads[a.index], db = grads[b.index], dy = grads[out.index]!
            let flops = self.flops
            record("add", output: out, inputs: [a, b], claimsInputs: true) { [unowned self] in
                if let da {
                    if self.claimUnwrittenGradient(a) { da.update(from: dy, count: rows * columns) }
                    else { Elementwise.accumulate(dy, into: da, count: rows * columns) }
                }
                if let db {
                    if rows == 1 {
                        if self.claimUnwrittenGradient(b) { db.update(from: dy, count: columns) }
                        else { Elementwise.accumulate(dy, into: db, count: columns) }
                    } else {
                        self.zeroIfUnwritten(b)
                        Elementwise.sumRows(dy, rows: rows, columns: columns, into: db)
                        flops.add(FlopConvention.broadcastReduceBackward * Double(rows * columns), .backward)
                    }
                }
            }
        }
        return out
    }

    /// a ⊙ b, b of a's shape or broadcast over a's leading dims.
    public func mul(_ a: Node, _ b: Node) -> Node {
        let (rows, columns) = broadcastRows(a, b, "mul")
        let withGrad = needsGrad(a, b)
        let out = output(shape: shapes[a.index], withGrad: withGrad)
        let pa = values[a.index], pb = values[b.index]
        Elementwise.mulBroadcast(pa, pb, rows: rows, columns: columns, into: values[out.index])
        flops.add(FlopConvention.mulForward * Double(rows * columns), .forward)
        if withGrad {
            let da = grads[a.index], db = grads[b.index], dy = grads[out.index]!
            let flops = self.flops
            record("mul", output: out, inputs: [a, b]) {
                for r in 0..<rows {
                    let dyr = dy + r * columns, ar = pa + r * columns
                    if let da { let dar = da + r * columns; for c in 0..<columns { dar[c] += dyr[c] * pb[c] } }
                    if let db { for c in 0..<columns { db[c] += dyr[c] * ar[c] } }
                }
                flops.add(FlopConvention.mulBackward * Double(rows * columns), .backward)
            }
        }
        return out
    }

    public func relu(_ x: Node) -> Node {
        let count = Graph.elementCount(shapes[x.index])
        let withGrad = needsGrad(x)
        let out = output(shape: shapes[x.index], withGrad: withGrad)
        let px = values[x.index], py = values[out.index]
        Elementwise.reluForward(px, into: py, count: count)
        flops.add(FlopConvention.reluForward * Double(count), .forward)
        if withGrad {
            let dx = grads[x.index]!, dy = grads[out.index]!
            let flops = self.flops
            record("relu", output: out, inputs: [x], claimsInputs: true) { [unowned self] in
                Elementwise.reluBackward(output: py, dy: dy, into: dx, count: count, accumulate: !self.claimUnwrittenGradient(x))
                flops.add(FlopConvention.reluBackward * Double(count), .backward)
            }
        }
        return out
    }

    /// GELU with the tanh approximation (PyTorch `approximate="tanh"`).
    public func gelu(_ x: Node) -> Node {
        let count = Graph.elementCount(shapes[x.index])
        let withGrad = needsGrad(x)
        let out = output(shape: shapes[x.index], withGrad: withGrad)
        let px = values[x.index], py = values[out.index]
        Elementwise.geluForward(px, into: py, count: count)
        flops.add(FlopConvention.geluForward * Double(count), .forward)
        if withGrad {
            let dx = grads[x.index]!, dy = grads[out.index]!
            let flops = self.flops
            record("gelu", output: out, inputs: [x]) {
                Elementwise.geluBackward(px, dy: dy, into: dx, count: count)
                flops.add(FlopConvention.geluBackward * Double(count), .backward)
            }
        }
        return out
    }

    /// Inverted dropout: zero each element with probability p, scale survivors by 1/(1−p).
    /// Identity (the same node) when not training or p == 0. Draws 16 words of `rng`
    /// to seed the vector generator of its mask; the mask is never stored (the backward replays it).
    public func dropout(_ x: Node, p: Float, rng: inout RNG) -> Node {
        precondition(p >= 0 && p < 1, "dropout: p = \(p) must be in [0, 1)")
        guard training && p > 0 else { return x }
        let count = Graph.elementCount(shapes[x.index])
        let withGrad = needsGrad(x)
        let out = output(shape: shapes[x.index], withGrad: withGrad)
        var generator = LaneGenerator(rng: &rng)
        let saved = generator
        let px = values[x.index], py = values[out.index]
        Elementwise.dropoutApply(px, into: py, count: count, p: p, generator: &generator, accumulate: false)
        flops.add(FlopConvention.dropoutForward * Double(count), .forward)
        if withGrad {
            let dx = grads[x.index]!, dy = grads[out.index]!
            let flops = self.flops
            record("dropout", output: out, inputs: [x], claimsInputs: true) { [unowned self] in
                var replay = saved
                Elementwise.dropoutApply(dy, into: dx, count: count, p: p, generator: &replay,
                                         accumulate: !self.claimUnwrittenGradient(x))
                flops.add(FlopConvention.dropoutBackward * Double(count), .backward)
            }
        }
        return out
    }
}
