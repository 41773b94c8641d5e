/// Matrix products: `matmul` (2-D, or batched over matching leading dims) and `linear`
/// (PyTorch's x·Wᵀ + b, one GEMM over all leading rows).
extension Graph {
    /// a (…, m, k) · b (…, k, n) → (…, m, n); transposes are read in place through BLAS flags.
    /// Leading (batch) dims must match; a 2-D b with a batched a is treated as shared weights.
    public func matmul(_ a: Node, _ b: Node, transposeA: Bool = false, transposeB: Bool = false) -> Node {
        let shapeA = shapes[a.index], shapeB = shapes[b.index]
        precondition(shapeA.count >= 2 && shapeB.count >= 2, "matmul: needs 2-D or batched operands, got \(shapeA) and \(shapeB)")
        let rowsA = shapeA[shapeA.count - 2], colsA = shapeA[shapeA.count - 1]
        let rowsB = shapeB[shapeB.count - 2], colsB = shapeB[shapeB.count - 1]
        let (m, k) = transposeA ? (colsA, rowsA) : (rowsA, colsA)
        let (kB, n) = transposeB ? (colsB, rowsB) : (rowsB, colsB)
        precondition(k == kB, "matmul: inner dimensions differ: \(shapeA)\(transposeA ? "ᵀ" : "") · \(shapeB)\(transposeB ? "ᵀ" : "")")
        let batchDims = Array(shapeA.dropLast(2))
        let sharedB = shapeB.count == 2 && !batchDims.isEmpty
        precondition(sharedB || Array(shapeB.dropLast(2)) == batchDims,
                     "matmul: batch dims differ: \(shapeA) and \(shapeB)")
        let batch = Graph.elementCount(batchDims)
        let withGrad = needsGrad(a, b)
        let out = output(shape: batchDims + [m, n], withGrad: withGrad)
        let pa = values[a.index], pb = values[b.index], pc = values[out.index]
        let lda = transposeA ? m : k, ldb = transposeB ? k : n
        let strideB = sharedB ? 0 : k * n
        let flops = self.flops
        if sharedB && !transposeA {
            // One GEMM over all batch rows: (batch·m, k) · op(B).
            Gemm.run(transA: false, transB: transposeB, m: batch * m, n: n, k: k, a: pa, lda: lda, b: pb, ldb: ldb,
                     beta: 0, c: pc, ldc: n, flops: flops, .forward)
        } else {
            for item in 0..<batch {
                Gemm.run(transA: transposeA, transB: transposeB, m: m, n: n, k: k,
                         a: pa + item * m * k, lda: lda, b: pb + item * strideB, ldb: ldb,
                         beta: 0, c: pc + item * m * n, ldc: n, flops: flops, .forward)
            }
        }
        if withGrad {
            let da = grads[a.index], db = grads[b.index], dc = grads[out.index]!
            record("matmul", output: out, inputs: [a, b], claimsInputs: true) { [unowned self] in
                // Claimed in write order: each item writes its dA block, then its dB block.
                let freshA = da != nil && self.claimUnwrittenGradient(a)
                let freshB = db != nil && self.claimUnwrittenGradient(b)
                if sharedB && !transposeA {
                    Gemm.backward(transA: false, transB: transposeB, m: batch * m, n: n, k: k,
                                  a: pa, b: pb, dC: dc, dA: da, dB: db, overwriteA: freshA, overwriteB: freshB, flops: flops)
                } else {
                    for item in 0..<batch {
                        // A shared b accumulates over items: only the first may overwrite it.
                        Gemm.backward(transA: transposeA, transB: transposeB, m: m, n: n, k: k,
                                      a: pa + item * m * k, b: pb + item * strideB, dC: dc + item * m * n,
                                      dA: da.map { $0 + item * m * k }, dB: db.map { $0 + item * strideB },
                                      overwriteA: freshA, overwriteB: freshB && (!sharedB || item == 0), flops: flops)
                    }
                }
            }
        }
        return out
    }

    /// x (…, in) · Wᵀ + b with W (out, in) in PyTorch's layout → (…, out). One GEMM over all rows.
    public func linear(_ x: Node, weight: Node, bias: Node?) -> Node {
        let shapeX = shapes[x.index], shapeW = shapes[weight.index]
        precondition(shapeW.count == 2 && shapeX.last == shapeW[1],
                     "linear: input \(shapeX) does not match weight (out, in) = \(shapeW)")
        let inFeatures = shapeW[1], outFeatures = shapeW[0]
        if let bias { precondition(shapes[bias.index] == [outFeatures], "linear: bias \(shapes[bias.index]) must be [\(outFeatures)]") }
        let rows = Graph.elementCount(shapeX) / inFeatures
        let withGrad = needsGrad(x, weight) || (bias.map { needsGrad($0) } ?? false)
        let out = output(shape: Array(shapeX.dropLast()) + [outFeatures], withGrad: withGrad)
        let px = values[x.index], pw = values[weight.index], py = values[out.index]
        let pb = bias.map { values[$0.index] }
        if let pb {
            Elementwise.broadcastRows(pb, rows: rows, columns: outFeatures, into: py)
            flops.add(FlopConvention.biasForward * Double(rows * outFeatures), .forward)
        }
        Gemm.run(transA: false, transB: true, m: rows, n: outFeatures, k: inFeatures, a: px, lda: inFeatures,
                 b: pw, ldb: inFeatures, beta: pb == nil ? 0 : 1, c: py, ldc: outFeatures, flops: flops, .forward)
        if withGrad {
            let dx = grads[x.index], dw = grads[weight.index], dy = grads[out.index]!
            let db = bias.flatMap { grads[$0.index] }
            let flops = self.flops
            record("linear", output: out, inputs: [x, weight] + (bias.map { [$0] } ?? []), claimsInputs: true) { [unowned self] in
                let freshX = dx != nil && self.claimUnwrittenGradient(x)
                let freshW = dw != nil && self.claimUnwrittenGradient(weight)
                Gemm.backward(transA: false, transB: true, m: rows, n: outFeatures, k: inFeatures,
                              a: px, b: pw, dC: dy, dA: dx, dB: dw, overwriteA: freshX, overwriteB: freshW, flops: flops)
                if let db, let bias {
                    self.zeroIfUnwritten(bias)
                    Elementwise.sumRows(dy, rows: rows, columns: outFeatures, into: db)
                    flops.add(FlopConvention.broadcastReduceBackward * Double(rows * outFeatures), .backward)
                }
            }
        }
        return out
    }
}
