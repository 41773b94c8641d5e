import Foundation

/// LayerNorm and softmax row kernels (llm.c's layernorm_forward/backward, softmax over the last dim).
enum Normalization {
    /// y = (x − mean) · rstd · w + b per row of C; saves mean and rstd (1/√(var + eps), biased
    /// variance as PyTorch) for the backward pass. 16 lanes at a time (one zmm register in the
    /// AVX-512 form, two ymm in the AVX2 form), sums as a fixed 16-lane tree: the same bits in both.
    static func layerNormForward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                 rows: Int, columns: Int, eps: Float, y: UnsafeMutablePointer<Float>,
                                 mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>) {
        let inverseColumns = 1 / Float(columns)
        let vectorEnd = columns & ~15
        for r in 0..<rows {
            let xr = x + r * columns, yr = y + r * columns
            var lanes = SIMD16<Float>()
            var c = 0
            while c < vectorEnd { lanes += load16(xr + c); c += 16 }
            var sum = Vector.sum16(lanes)
            while c < columns { sum += xr[c]; c += 1 }
            let mu = sum * inverseColumns
            let muLanes = SIMD16<Float>(repeating: mu)
            lanes = SIMD16<Float>()
            c = 0
            while c < vectorEnd { let d = load16(xr + c) - muLanes; lanes += d * d; c += 16 }
            var squares = Vector.sum16(lanes)
            while c < columns { let d = xr[c] - mu; squares += d * d; c += 1 }
            let s = 1 / (squares * inverseColumns + eps).squareRoot()
            let sLanes = SIMD16<Float>(repeating: s)
            c = 0
            while c < vectorEnd {
                store16((load16(xr + c) - muLanes) * sLanes * load16(weight + c) + load16(bias + c), yr + c)
                c += 16
            }
            while c < columns { yr[c] = (xr[c] - mu) * s * weight[c] + bias[c]; c += 1 }
            mean[r] = mu
            rstd[r] = s
        }
    }

    /// Accumulates dx, dweight, dbias (any may be nil) from dy with the saved statistics; 16
    /// lanes and fixed trees as the forward.
    static func layerNormBackward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                  mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                  rows: Int, columns: Int, dx: UnsafeMutablePointer<Float>?, overwriteInput: Bool = false,
                                  dweight: UnsafeMutablePointer<Float>?, dbias: UnsafeMutablePointer<Float>?) {
        let inverseColumns = 1 / Float(columns)
        let vectorEnd = columns & ~15
        for r in 0..<rows {
            let xr = x + r * columns, dyr = dy + r * columns
            let mu = mean[r], s = rstd[r]
            let muLanes = SIMD16<Float>(repeating: mu), sLanes = SIMD16<Float>(repeating: s)
            var meanLanes = SIMD16<Float>(), normMeanLanes = SIMD16<Float>()
            var c = 0
            while c < vectorEnd {
                let normalized = (load16(xr + c) - muLanes) * sLanes
                let dnorm = load16(weight + c) * load16(dyr + c)
                meanLanes += dnorm
                normMeanLanes += dnorm * normalized
                c += 16
            }
            var dnormMean = Vector.sum16(meanLanes), dnormNormMean = Vector.sum16(normMeanLanes)
            while c < columns {
                let normalized = (xr[c] - mu) * s
                let dnorm = weight[c] * dyr[c]
                dnormMean += dnorm
                dnormNormMean += dnorm * normalized
                c += 1
            }
            dnormMean *= inverseColumns
            dnormNormMean *= inverseColumns
            if let dx {
                let dxr = dx + r * columns
                let meanTerm = SIMD16<Float>(repeating: dnormMean), normTerm = SIMD16<Float>(repeating: dnormNormMean)
                c = 0
                while c < vectorEnd {
                    let normalized = (load16(xr + c) - muLanes) * sLanes
                    let contribution = (load16(weight + c) * load16(dyr + c) - meanTerm - normalized * normTerm) * sLanes
                    store16(overwriteInput ? contribution : load16(dxr + c) + contribution, dxr + c)
                    c += 16
                }
                while c < columns {
                    let normalized = (xr[c] - mu) * s
                    let contribution = (weight[c] * dyr[c] - dnormMean - normalized * dnormNormMean) * s
                    dxr[c] = overwriteInput ? contribution : dxr[c] + contribution
                    c += 1
                }
            }
            if let dweight {
                c = 0
                while c < vectorEnd {
                    let normalized = (load16(xr + c) - muLanes) * sLanes
                    store16(load16(dweight + c) + load16(dyr + c) * normalized, dweight + c)
                    c += 16
                }
                while c < columns { dweight[c] += dyr[c] * (xr[c] - mu) * s; c += 1 }
            }
            if let dbias { Elementwise.accumulate(dyr, into: dbias, count: columns) }
        }
    }

    @inline(__always) static func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always) static func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }

    /// Softmax of one row in place over its first `length` entries: 8 lanes at a time, a scalar tail.
    @inline(__always) static func softmaxRow(_ row: UnsafeMutablePointer<Float>, length: Int) {
        let vectorEnd = length & ~(Vector.width - 1)
        var maxLanes = Vector8(repeating: -.infinity)
        var j = 0
        while j < vectorEnd { maxLanes = Vector.max(maxLanes, Vector.load(row + j)); j += Vector.width }
        var maximum = vectorEnd > 0 ? Vector.max(maxLanes) : -Float.infinity
        while j < length { maximum = row[j] > maximum ? row[j] : maximum; j += 1 }
        let shift = Vector8(repeating: maximum)
        var sumLanes = Vector8(repeating: 0)
        j = 0
        while j < vectorEnd {
            let e = Vector.expNonPositive(Vector.load(row + j) - shift)
            Vector.store(e, row + j)
            sumLanes += e
            j += Vector.width
        }
        var sum = Vector.sum(sumLanes)
        while j < length { let e = FastMath.exp(row[j] - maximum); row[j] = e; sum += e; j += 1 }
        let inverse = 1 / sum
        let inverseLanes = Vector8(repeating: inverse)
        j = 0
        while j < vectorEnd { Vector.store(Vector.load(row + j) * inverseLanes, row + j); j += Vector.width }
        while j < length { row[j] *= inverse; j += 1 }
    }

    /// Softmax over row[0..<length] computed in whole 8-float vectors, the row's last vector
    /// masked by lane (−∞ for the maximum, 0 after the exp, by select, so whatever the padding
    /// held never reaches a result): no scalar tail and no scalar stores before vector loads,
    /// which dominated the short rows of causal attention. Writes row[0..<padded], `padded` =
    /// length rounded up to 8 (the row must have room for it), zeros past the length.
    @inline(__always) static func softmaxRowPadded(_ row: UnsafeMutablePointer<Float>, length: Int) {
        let last = (length - 1) & ~(Vector.width - 1)
        let valid = laneIndex .< SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: length - last))
        let tail = Vector.load(row + last).replacing(with: -.infinity, where: .!valid)
        var maxLanes = tail
        var j = 0
        while j < last { maxLanes = Vector.max(maxLanes, Vector.load(row + j)); j += Vector.width }
        let shift = Vector8(repeating: Vector.max(maxLanes))
        var sumLanes = Vector8(repeating: 0)
        j = 0
        while j < last {
            let e = Vector.expNonPositive(Vector.load(row + j) - shift)
            Vector.store(e, row + j)
            sumLanes += e
            j += Vector.width
        }
        let e = Vector.expNonPositive(tail - shift).replacing(with: 0, where: .!valid)
        Vector.store(e, row + last)
        sumLanes += e
        let inverseLanes = Vector8(repeating: 1 / Vector.sum(sumLanes))
        j = 0
        while j <= last { Vector.store(Vector.load(row + j) * inverseLanes, row + j); j += Vector.width }
    }

    /// `softmaxRowPadded` in 16 lanes with 16-lane trees (one zmm register per vector in the
    /// AVX-512 form, two ymm in the AVX2 form, the same bits): writes row[0..<padded], `padded` =
    /// length rounded up to 16 (the row must have room for it), zeros past the length.
    @inline(__always) static func softmaxRowPadded16(_ row: UnsafeMutablePointer<Float>, length: Int) {
        let last = (length - 1) & ~15
        let valid = laneIndex16 .< SIMD16<Int32>(repeating: Int32(truncatingIfNeeded: length - last))
        let tail = load16(row + last).replacing(with: -.infinity, where: .!valid)
        var maxLanes = tail
        var j = 0
        while j < last { maxLanes = Vector.max16(maxLanes, load16(row + j)); j += 16 }
        let shift = SIMD16<Float>(repeating: Vector.max(maxLanes))
        var sumLanes = SIMD16<Float>(repeating: 0)
        j = 0
        while j < last {
            let e = Vector.exp16(load16(row + j) - shift)
            store16(e, row + j)
            sumLanes += e
            j += 16
        }
        let e = Vector.exp16(tail - shift).replacing(with: 0, where: .!valid)
        store16(e, row + last)
        sumLanes += e
        let inverseLanes = SIMD16<Float>(repeating: 1 / Vector.sum16(sumLanes))
        j = 0
        while j <= last { store16(load16(row + j) * inverseLanes, row + j); j += 16 }
    }

    /// Causal attention's row pass over a (T, T) score matrix: softmax over j ≤ i (all j when
    /// not causal), zeros above the diagonal. Rows run in 16-lane vectors over their length
    /// rounded up to 16 where the row has room, else `softmaxRow`.
    static func maskedSoftmax(_ scores: UnsafeMutablePointer<Float>, time: Int, causal: Bool) {
        for i in 0..<time {
            let row = scores + i * time
            let length = causal ? i + 1 : time
            let padded = (length + 15) & ~15
            var written = length
            if padded <= time {
                softmaxRowPadded16(row, length: length)
                written = padded
            } else {
                softmaxRow(row, length: length)
            }
            if written < time { (row + written).update(repeating: 0, count: time - written) }
        }
    }

    /// Causal attention's backward row pass: dS = P ⊙ (dP' − Σ dP'·P) with dP' = dP ⊙ mask (when
    /// dropout ran), over j ≤ i (all j when not causal), in place in `gradient` (T, T); zeros
    /// above the diagonal. The row sums use `dot16`'s 16-lane tree.
    static func maskedSoftmaxBackward(probabilities: UnsafePointer<Float>, dropoutMask: UnsafePointer<Float>?,
                                      gradient: UnsafeMutablePointer<Float>, time: Int, causal: Bool) {
        for i in 0..<time {
            let length = causal ? i + 1 : time
            let p = probabilities + i * time, d = gradient + i * time
            if let dropoutMask { let m = dropoutMask + i * time; for j in 0..<length { d[j] *= m[j] } }
            let dotLanes = SIMD16<Float>(repeating: dot16(p, d, length: length))
            let vectorEnd = length & ~15
            var j = 0
            while j < vectorEnd { store16(load16(p + j) * (load16(d + j) - dotLanes), d + j); j += 16 }
            while j < length { d[j] = p[j] * (d[j] - dotLanes[0]); j += 1 }
            if length < time { (d + length).update(repeating: 0, count: time - length) }
        }
    }

    /// Σ a·b over `length` entries: 16 partial sums, the fixed 16-lane tree, then a scalar tail.
    @inline(__always) static func dot16(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, length: Int) -> Float {
        let vectorEnd = length & ~15
        var lanes = SIMD16<Float>(repeating: 0)
        var j = 0
        while j < vectorEnd { lanes += load16(a + j) * load16(b + j); j += 16 }
        var total = Vector.sum16(lanes)
        while j < length { total += a[j] * b[j]; j += 1 }
        return total
    }

    /// Lane numbers 0...15, as `laneIndex`.
    @inline(__always) static var laneIndex16: SIMD16<Int32> { SIMD16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) }

    /// Lane numbers 0...7, compared against a count to mask a row's last vector. A literal,
    /// not a stored `static let`: a global's lazy initialisation check is a call per row.
    @inline(__always) static var laneIndex: SIMD8<Int32> { SIMD8(0, 1, 2, 3, 4, 5, 6, 7) }

    /// The reference softmax row (Double, libm exp) that `softmaxRow` is tested against.
    static func naiveSoftmaxRow(_ row: [Float]) -> [Float] {
        let maximum = row.max()!
        let exps = row.map { Foundation.exp(Double($0 - maximum)) }
        let total = exps.reduce(0, +)
        return exps.map { Float($0 / total) }
    }

    /// Σ a·b over `length` entries, 8 partial sums.
    @inline(__always) static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, length: Int) -> Float {
        let vectorEnd = length & ~(Vector.width - 1)
        var lanes = Vector8(repeating: 0)
        var j = 0
        while j < vectorEnd { lanes += Vector.load(a + j) * Vector.load(b + j); j += Vector.width }
        var total = Vector.sum(lanes)
        while j < length { total += a[j] * b[j]; j += 1 }
        return total
    }

    /// dx += y ⊙ (dy − Σ dy·y) over one row.
    @inline(__always) static func softmaxBackwardRow(y: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                                     dx: UnsafeMutablePointer<Float>, length: Int) {
        let dotProduct = dot(dy, y, length: length)
        for j in 0..<length { dx[j] += y[j] * (dy[j] - dotProduct) }
    }
}

/// A vectorisable exp. `Foundation.exp` is a scalar libm call; softmax and the loss spend most
/// of their time in it. This is Cephes' expf scheme: e^x = 2^n · e^r with n = round(x·log2 e),
/// r = x − n·ln 2 in two parts, and a degree-5 polynomial for e^r (relative error ≈ 2e−7,
/// tested against `Foundation.exp`).
enum FastMath {
    @inline(__always) static func exp(_ input: Float) -> Float {
        let x = min(max(input, -87.3), 88.3)
        let magic: Float = 12_582_912   // 1.5·2²³: adding it rounds to an integer in the low mantissa bits
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_6e-2
        p = p * r + 1.666_666_5e-1
        p = p * r + 5.000_000_1e-1
        let er = p * r * r + r + 1
        let exponent = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
        let scale = Float(bitPattern: UInt32(bitPattern: exponent &+ 127) << 23)
        return er * scale
    }
}
