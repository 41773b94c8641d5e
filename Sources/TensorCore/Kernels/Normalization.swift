import Foundation

/// LayerNorm and softmax row kernels (llm.c's layernorm_forward/backward, softmax over the last dim).
enum Normalization {
    /// y = (x − mean) · rstd · w + b per row of C; saves mean and rstd (1/√(var + eps), biased
    /// variance as PyTorch) for the backward pass.
    static func layerNormForward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                 rows: Int, columns: Int, eps: Float, y: UnsafeMutablePointer<Float>,
                                 mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>) {
        let inverseColumns = 1 / Float(columns)
        for r in 0..<rows {
            let xr = x + r * columns, yr = y + r * columns
            var sum: Float = 0
            for c in 0..<columns { sum += xr[c] }
            let mu = sum * inverseColumns
            var squares: Float = 0
            for c in 0..<columns { let d = xr[c] - mu; squares += d * d }
            let s = 1 / (squares * inverseColumns + eps).squareRoot()
            for c in 0..<columns { yr[c] = (xr[c] - mu) * s * weight[c] + bias[c] }
            mean[r] = mu
            rstd[r] = s
        }
    }

    /// Accumulates dx, dweight, dbias (any may be nil) from dy with the saved statistics.
    static func layerNormBackward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                  mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                  rows: Int, columns: Int, dx: UnsafeMutablePointer<Float>?,
                                  dweight: UnsafeMutablePointer<Float>?, dbias: UnsafeMutablePointer<Float>?) {
        let inverseColumns = 1 / Float(columns)
        for r in 0..<rows {
            let xr = x + r * columns, dyr = dy + r * columns
            let mu = mean[r], s = rstd[r]
            var dnormMean: Float = 0, dnormNormMean: Float = 0
            for c in 0..<columns {
                let normalized = (xr[c] - mu) * s
                let dnorm = weight[c] * dyr[c]
                dnormMean += dnorm
                dnormNormMean += dnorm * normalized
            }
            dnormMean *= inverseColumns
            dnormNormMean *= inverseColumns
            if let dx {
                let dxr = dx + r * columns
                for c in 0..<columns {
                    let normalized = (xr[c] - mu) * s
                    dxr[c] += (weight[c] * dyr[c] - dnormMean - normalized * dnormNormMean) * s
                }
            }
            if let dweight { for c in 0..<columns { dweight[c] += dyr[c] * (xr[c] - mu) * s } }
            if let dbias { for c in 0..<columns { dbias[c] += dyr[c] } }
        }
    }

    /// Softmax of one row of `length` in place over the first `length` entries.
    @inline(__always) static func softmaxRow(_ row: UnsafeMutablePointer<Float>, length: Int) {
        var maximum = -Float.infinity
        for j in 0..<length { maximum = max(maximum, row[j]) }
        var sum: Float = 0
        for j in 0..<length { let e = FastMath.exp(row[j] - maximum); row[j] = e; sum += e }
        let inverse = 1 / sum
        for j in 0..<length { row[j] *= inverse }
    }

    /// dx += y ⊙ (dy − Σ dy·y) over one row.
    @inline(__always) static func softmaxBackwardRow(y: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                                     dx: UnsafeMutablePointer<Float>, length: Int) {
        var dot: Float = 0
        for j in 0..<length { dot += dy[j] * y[j] }
        for j in 0..<length { dx[j] += y[j] * (dy[j] - dot) }
    }
}

/// A vectorisable exp. `Foundation.exp` is a scalar libm call; softmax and the loss spend most
/// of their time in it. This is Cephes' expf scheme: e^x = 2^n · e^r with n = round(x·log2 e),
/// r = x − n·ln 2 in two parts, and a degree-5 polynomial for e^r (relative error ≈ 2e−7,
/// tested against `Foundation.exp`).
enum FastMath {
    @inline(__always) static func exp(_ input: Float) -> Float {
        let x = min(max(input, -87.3), 88.3)
        let n = (x * 1.442_695_04).rounded(.toNearestOrEven)
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_6e-2
        p = p * r + 1.666_666_5e-1
        p = p * r + 5.000_000_1e-1
        let er = p * r * r + r + 1
        let scale = Float(bitPattern: UInt32(bitPattern: Int32(n) &+ 127) << 23)
        return er * scale
    }
}
