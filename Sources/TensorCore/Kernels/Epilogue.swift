/// Fused epilogues: the work that follows a GEMM or a sublayer done in one pass over its
/// output instead of one pass per op (llm.c's fused bias + GELU, PyTorch's fused dropout + add).
///
/// Each kernel does the same lane arithmetic as its unfused ops (`Elementwise`): the bias is
/// added to the finished GEMM output, then ReLU or GELU; a bias gradient sums rows in order, as
/// `Elementwise.sumRows` does; the dropout mask is `Elementwise.DropoutRule`'s.
enum Epilogue {
    /// y = max(y + b, +0) in place, b repeated over the rows: a beta-0 GEMM's output becomes
    /// `linear` + `relu` in one read and one write (instead of a bias broadcast, a GEMM that
    /// reads it back, and a ReLU pass into a second buffer).
    static func biasReLU(_ y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, rows: Int, columns: Int) {
        let vectorEnd = columns & ~(Vector.width - 1)
        let zero = Vector8(repeating: 0)
        for r in 0..<rows {
            let yr = y + r * columns
            var c = 0
            while c < vectorEnd { Vector.store(Vector.max(Vector.load(yr + c) + Vector.load(bias + c), zero), yr + c); c += Vector.width }
            while c < columns { let v = yr[c] + bias[c]; yr[c] = v > 0 ? v : 0; c += 1 }
        }
    }

    /// dPre = dy where y > 0, else 0 (`Elementwise.reluBackward`'s bit test), overwriting dPre;
    /// and db += Σ_r dPre[r, ·] row by row, in the same pass.
    static func biasReLUBackward(output y: UnsafePointer<Float>, dy: UnsafePointer<Float>, into dPre: UnsafeMutablePointer<Float>,
                                 rows: Int, columns: Int, biasGradient db: UnsafeMutablePointer<Float>?) {
        let vectorEnd = columns & ~(Vector.width - 1)
        for r in 0..<rows {
            let yr = y + r * columns, dyr = dy + r * columns, dr = dPre + r * columns
            var c = 0
            while c < vectorEnd {
                let bits = unsafeBitCast(Vector.load(yr + c), to: SIMD8<Int32>.self)
                let mask = (bits &+ 0x7FFF_FFFF) &>> 31
                let gated = unsafeBitCast(unsafeBitCast(Vector.load(dyr + c), to: SIMD8<Int32>.self) & mask, to: Vector8.self)
                Vector.store(gated, dr + c)
                if let db { Vector.store(Vector.load(db + c) + gated, db + c) }
                c += Vector.width
            }
            while c < columns {
                dr[c] = yr[c] > 0 ? dyr[c] : 0
                if let db { db[c] += dr[c] }
                c += 1
            }
        }
    }

    /// y = gelu(pre + b), b repeated over the rows; `pre` (the beta-0 GEMM's output) is kept
    /// without the bias, which the backward adds again.
    static func biasGELU(_ pre: UnsafePointer<Float>, bias: UnsafePointer<Float>, rows: Int, columns: Int,
                         into y: UnsafeMutablePointer<Float>) {
        let vectorEnd = columns & ~(Vector.width - 1)
        for r in 0..<rows {
            let pr = pre + r * columns, yr = y + r * columns
            var c = 0
            while c < vectorEnd { Vector.store(Elementwise.gelu(Vector.load(pr + c) + Vector.load(bias + c)), yr + c); c += Vector.width }
            while c < columns { yr[c] = Elementwise.gelu(pr[c] + bias[c]); c += 1 }
        }
    }

    /// dPre = dy · gelu'(pre + b), overwriting dPre; and db += Σ_r dPre[r, ·] in the same pass.
    static func biasGELUBackward(_ pre: UnsafePointer<Float>, bias: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                 into dPre: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
                                 biasGradient db: UnsafeMutablePointer<Float>?) {
        let vectorEnd = columns & ~(Vector.width - 1)
        for r in 0..<rows {
            let pr = pre + r * columns, dyr = dy + r * columns, dr = dPre + r * columns
            var c = 0
            while c < vectorEnd {
                let gradient = Vector.load(dyr + c) * Elementwise.geluDerivative(Vector.load(pr + c) + Vector.load(bias + c))
                Vector.store(gradient, dr + c)
                if let db { Vector.store(Vector.load(db + c) + gradient, db + c) }
                c += Vector.width
            }
            while c < columns {
                dr[c] = dyr[c] * Elementwise.geluDerivative(pr[c] + bias[c])
                if let db { db[c] += dr[c] }
                c += 1
            }
        }
    }

    /// y = residual + x ⊙ mask, the mask drawn on the fly as `Elementwise.dropoutApply` draws it
    /// (the same decisions for the same generator state): a sublayer's dropout and its residual
    /// add in one pass, with no dropped tensor stored.
    static func residualDropout(_ residual: UnsafePointer<Float>, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                                count: Int, p: Float, generator: inout LaneGenerator) {
        let rule = Elementwise.DropoutRule(p: p)
        var i = 0
        while i < count {
            let mask = rule.mask(&generator)
            if i + Vector.width <= count {
                Vector.store(Vector.load(residual + i) + Vector.load(x + i) * mask, y + i)
            } else {
                for lane in 0..<(count - i) { y[i + lane] = residual[i + lane] + x[i + lane] * mask[lane] }
            }
            i += Vector.width
        }
    }
}
