import Foundation
#if arch(x86_64) && LMSWEEP_NEEDS_AVX2
import _Builtin_intrinsics.intel
#endif

/// Flash causal attention for one (batch, head) slice, FlashAttention-style on the CPU (Dao et al.
/// 2022; the loop order of FlashAttention-2, Dao 2023): queries and keys in 32 × 32 tiles, an
/// online softmax per query row (running maximum m and sum l, the output rescaled by e^(m_old − m)
/// as the maximum grows), so the forward keeps only O and each row's log-sum-exp, never the
/// (T, T) probabilities. The backward recomputes each tile's scores from Q, K and the saved
/// log-sum-exp. Tiles above the diagonal are skipped; the diagonal tile is masked by lane.
///
/// Register-blocked for head widths 32 and 64 (four rows of a tile product at a time, each row
/// two or four 16-lane FMA chains, one zmm register each in the AVX-512 form, two ymm in the
/// AVX2 form): ``supports(headDim:)`` says which; other widths use ``AttentionKernel``, the
/// reference this kernel is tested against.
///
/// Tiles are 32 × 32, the reference's causal row block, so both compute the same score cells and
/// the FLOP counter (the op's FLOPs: the backward's recomputed Q·Kᵀ is not counted, as
/// FlashAttention's own FLOP figures do not count it) gives the same count for either kernel.
///
/// Dropout drops probabilities exactly as the reference does: the mask of query row i, keys
/// 0...i, is drawn by `Elementwise.dropoutMask` from the slice's generator, rows in order. The
/// forward and the backward both visit query tiles in order and draw their 32 rows into a strip,
/// so the backward replays the forward's mask from the slice's saved generator.
enum FlashAttention {
    /// The reference's causal row block (`AttentionKernel.causalBlock`, not named here: this
    /// file is also compiled into the AVX-512 form's module, which has no reference kernel).
    static let tile = 32

    static func supports(headDim: Int) -> Bool {
        #if LMSWEEP_NEEDS_AVX2
        return headDim == 32 || headDim == 64
        #else
        // Without FMA instructions the tile products would call fmaf lane by lane.
        return false
        #endif
    }

    /// Key and time lengths rounded up to whole tiles: transposed copies and local
    /// accumulators are padded so every tile reads and writes in bounds.
    @inline(__always) static func padded(_ time: Int) -> Int { (time + tile - 1) / tile * tile }

    /// Floats of workspace one slice needs (forward and backward alike).
    static func workspaceCount(time: Int, headDim: Int) -> Int {
        let t = padded(time)
        // Kᵀ and Vᵀ (D, T'); dQ, dK, dV (T', D) or the output tile (32, D); three 32 × 32 tiles;
        // the dropout strip (32, T'); Δ (T'); each query row's running maximum and 16 lanes of
        // running sum; 16 lanes of running maximum per row and the key-norm maxima (T'/32) of
        // the forward's bound.
        return 2 * headDim * t + 3 * t * headDim + 3 * tile * tile + tile * t + t + tile * 17 + 16 * tile + t
    }

    /// The slice's dropout: probability and the generator state at the slice's start.
    struct Dropout {
        let probability: Float
        var generator: LaneGenerator
    }

    // MARK: forward

    /// Writes O (T, D) at `output` (rows `outputStride` apart) and each query row's log-sum-exp
    /// of its scaled scores (T floats) for the backward. Returns the dropout generator advanced
    /// past this slice's draws (the next slice's state), nil without dropout.
    @discardableResult
    static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                        time: Int, headDim: Int, causal: Bool, inputStride ld: Int, outputStride: Int, dropout: Dropout?,
                        output: UnsafeMutablePointer<Float>, logSumExp: UnsafeMutablePointer<Float>,
                        workspace: UnsafeMutablePointer<Float>) -> LaneGenerator? {
        precondition(supports(headDim: headDim), "FlashAttention: head width \(headDim) is not register-blocked")
        let t = padded(time)
        let scale = 1 / Float(headDim).squareRoot()
        let keysT = workspace, outputTile = keysT + headDim * t
        let scores = outputTile + tile * headDim, strip = scores + tile * tile
        let maximum = strip + tile * t, total = maximum + tile, maximumLanes = total + 16 * tile
        let keyNormMax = maximumLanes + 16 * tile
        transpose(k, rows: time, columns: headDim, ld: ld, into: keysT, ldOut: t)
        // keyNormMax[b]: the largest |k_j| over keys 0..<(b + 1)·32, for the score bound.
        var largest: Float = 0
        for j in 0..<time {
            largest = Swift.max(largest, norm(k + j * ld, count: headDim))
            if j % tile == tile - 1 || j == time - 1 { keyNormMax[j / tile] = largest }
        }
        var generator = dropout?.generator
        for r0 in stride(from: 0, to: time, by: tile) {
            let rows = min(tile, time - r0)
            if let p = dropout?.probability, generator != nil { drawStrip(&generator!, rows: r0..<(r0 + rows), time: time, causal: causal, p: p, into: strip, ld: t) }
            let keyEnd = causal ? r0 + rows : time
            let keyBound = keyNormMax[(keyEnd - 1) / tile]

            /// The tile with each row's scores shifted by a fixed bound of their maximum,
            /// scale·|q_i|·max_j |k_j| (Cauchy–Schwarz): no running maximum, no rescaling. False
            /// when a row's bound lies more than `boundSlack` above its true maximum (its terms
            /// could underflow); the tile is then redone with the online maximum.
            func bounded() -> Bool {
                outputTile.update(repeating: 0, count: tile * headDim)
                total.update(repeating: 0, count: 16 * tile)
                maximumLanes.update(repeating: -.infinity, count: 16 * tile)
                for r in 0..<rows {
                    // Widened by 1e-5 relative: a rounded score may exceed the rounded bound by ~D ulps.
                    maximum[r] = scale * norm(q + (r0 + r) * ld, count: headDim) * keyBound * (1 + 1e-5) + 1e-30
                }
                for c0 in stride(from: 0, to: keyEnd, by: tile) {
                    let keys = min(tile, time - c0)
                    // S = Q tile · Kᵀ tile  (rows, 32), scaled by 1/√D as each row is read
                    multiply32(rows: rows, depth: headDim, a: q + r0 * ld, aRow: ld, aDepth: 1, b: keysT + c0, ldb: t,
                               c: scores, ldc: tile, accumulate: false)
                    for r in 0..<rows {
                        let valid = causal ? min(r0 + r - c0 + 1, keys) : keys
                        let row = scores + r * tile
                        let s = maskedRow(row, scale: scale, valid: valid)
                        let shift = SIMD16<Float>(repeating: maximum[r])
                        let e0 = Vector.exp16(s.values.0 - shift).replacing(with: 0, where: s.masked.0)
                        let e1 = Vector.exp16(s.values.1 - shift).replacing(with: 0, where: s.masked.1)
                        store16(load16(total + 16 * r) + (e0 + e1), total + 16 * r)
                        let lanes = maximumLanes + 16 * r
                        store16(Vector.max16(load16(lanes), Vector.max16(s.values.0, s.values.1)), lanes)
                        storeProbabilities(e0, e1, row, mask: dropout == nil ? nil : strip + r * t + c0)
                    }
                    // O tile += P · V tile
                    multiply(width: headDim, rows: rows, depth: keys, a: scores, aRow: tile, aDepth: 1, b: v + c0 * ld, ldb: ld,
                             c: outputTile, ldc: headDim, accumulate: true)
                }
                for r in 0..<rows where maximum[r] - Vector.max(load16(maximumLanes + 16 * r)) > boundSlack { return false }
                return true
            }

            /// The tile with the online softmax: a running maximum per row, the sum and the
            /// output rescaled by e^(m_old − m_new) as it grows.
            func online() {
                outputTile.update(repeating: 0, count: tile * headDim)
                maximum.update(repeating: -.infinity, count: tile)
                total.update(repeating: 0, count: 16 * tile)
                for c0 in stride(from: 0, to: keyEnd, by: tile) {
                    let keys = min(tile, time - c0)
                    multiply32(rows: rows, depth: headDim, a: q + r0 * ld, aRow: ld, aDepth: 1, b: keysT + c0, ldb: t,
                               c: scores, ldc: tile, accumulate: false)
                    for r in 0..<rows {
                        let valid = causal ? min(r0 + r - c0 + 1, keys) : keys
                        let row = scores + r * tile
                        let s = maskedRow(row, scale: scale, valid: valid)
                        let newMax = Swift.max(maximum[r], Vector.max(Vector.max16(s.values.0, s.values.1)))
                        // e^(m_old − m_new): 0 on the first tile, exactly 1 (no exp) when the maximum held.
                        let rescale = maximum[r] == -.infinity ? 0 : newMax == maximum[r] ? 1 : FastMath.exp(maximum[r] - newMax)
                        let shift = SIMD16<Float>(repeating: newMax)
                        let e0 = Vector.exp16(s.values.0 - shift).replacing(with: 0, where: s.masked.0)
                        let e1 = Vector.exp16(s.values.1 - shift).replacing(with: 0, where: s.masked.1)
                        store16(load16(total + 16 * r) * rescale + (e0 + e1), total + 16 * r)
                        maximum[r] = newMax
                        storeProbabilities(e0, e1, row, mask: dropout == nil ? nil : strip + r * t + c0)
                        if rescale != 1 { scaleRow(outputTile + r * headDim, count: headDim, by: rescale) }
                    }
                    multiply(width: headDim, rows: rows, depth: keys, a: scores, aRow: tile, aDepth: 1, b: v + c0 * ld, ldb: ld,
                             c: outputTile, ldc: headDim, accumulate: true)
                }
            }

            if !bounded() { online() }
            for r in 0..<rows {
                let rowTotal = Vector.sum16(load16(total + 16 * r))
                let inverse = 1 / rowTotal, o = outputTile + r * headDim, y = output + (r0 + r) * outputStride
                for c in stride(from: 0, to: headDim, by: 16) { store16(load16(o + c) * inverse, y + c) }
                logSumExp[r0 + r] = maximum[r] + Foundation.log(rowTotal)
            }
        }
        return generator
    }

    /// How far (in the exponent) a row's bound may lie above its largest score: the largest
    /// term is then ≥ e^−60 ≈ 10⁻²⁶, and the sum keeps every term the exact shift would keep
    /// down to fp32's resolution (terms below 10⁻⁸ of the largest do not change a float sum).
    static let boundSlack: Float = 60

    /// Unnormalised probabilities e0, e1 (a row's 32 keys) into `row`, times the dropout mask.
    @inline(__always) static func storeProbabilities(_ e0: SIMD16<Float>, _ e1: SIMD16<Float>, _ row: UnsafeMutablePointer<Float>,
                                                     mask: UnsafePointer<Float>?) {
        if let mask {
            store16(e0 * load16(mask), row); store16(e1 * load16(mask + 16), row + 16)
        } else {
            store16(e0, row); store16(e1, row + 16)
        }
    }

    /// |x| over `count` floats (a multiple of 16), as a fixed 16-lane tree.
    @inline(__always) static func norm(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD16<Float>()
        for c in stride(from: 0, to: count, by: 16) { let v = load16(x + c); lanes = fma16(v, v, lanes) }
        return Vector.sum16(lanes).squareRoot()
    }

    // MARK: backward

    /// Accumulates dQ, dK, dV (each nil when not wanted) from dO, or writes over them where
    /// `overwrite` says so; they are written after all tiles, dV first, then dQ, then dK (the
    /// reference's order, so q, k and v may share one gradient buffer). `output` and `logSumExp`
    /// are the forward's.
    static func backward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                         output: UnsafePointer<Float>, logSumExp: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
                         time: Int, headDim: Int, causal: Bool, inputStride ld: Int, outputStride: Int, dropout: Dropout?,
                         dq: UnsafeMutablePointer<Float>?, dk: UnsafeMutablePointer<Float>?, dv: UnsafeMutablePointer<Float>?,
                         overwrite: (q: Bool, k: Bool, v: Bool), workspace: UnsafeMutablePointer<Float>) {
        precondition(supports(headDim: headDim), "FlashAttention: head width \(headDim) is not register-blocked")
        let t = padded(time)
        let scale = 1 / Float(headDim).squareRoot()
        let keysT = workspace, valuesT = keysT + headDim * t
        let dQ = valuesT + headDim * t, dK = dQ + t * headDim, dV = dK + t * headDim
        let probabilities = dV + t * headDim, dScores = probabilities + tile * tile, dropped = dScores + tile * tile
        let strip = dropped + tile * tile, delta = strip + tile * t
        transpose(k, rows: time, columns: headDim, ld: ld, into: keysT, ldOut: t)
        transpose(v, rows: time, columns: headDim, ld: ld, into: valuesT, ldOut: t)
        dQ.update(repeating: 0, count: 3 * t * headDim)
        // Δ_i = Σ_j P_ij · dP'_ij = dO_i · O_i (dP' = dP ⊙ mask: the identity holds with dropout too).
        for i in 0..<time {
            let dy = dOutput + i * outputStride, y = output + i * outputStride
            var lanes = SIMD16<Float>()
            for c in stride(from: 0, to: headDim, by: 16) { lanes = fma16(load16(dy + c), load16(y + c), lanes) }
            delta[i] = Vector.sum16(lanes)
        }
        var generator = dropout?.generator
        for r0 in stride(from: 0, to: time, by: tile) {
            let rows = min(tile, time - r0)
            let queries = q + r0 * ld, dOutputs = dOutput + r0 * outputStride
            if let p = dropout?.probability, generator != nil { drawStrip(&generator!, rows: r0..<(r0 + rows), time: time, causal: causal, p: p, into: strip, ld: t) }
            let keyEnd = causal ? r0 + rows : time
            for c0 in stride(from: 0, to: keyEnd, by: tile) {
                let keys = min(tile, time - c0)
                // S = Q tile · Kᵀ tile (scaled as read) and dP = dO tile · Vᵀ tile  (rows, 32)
                multiply32(rows: rows, depth: headDim, a: queries, aRow: ld, aDepth: 1, b: keysT + c0, ldb: t,
                           c: probabilities, ldc: tile, accumulate: false)
                multiply32(rows: rows, depth: headDim, a: dOutputs, aRow: outputStride, aDepth: 1, b: valuesT + c0, ldb: t,
                           c: dScores, ldc: tile, accumulate: false)
                for r in 0..<rows {
                    let row = probabilities + r * tile, dRow = dScores + r * tile, dropRow = dropped + r * tile
                    let valid = causal ? min(r0 + r - c0 + 1, keys) : keys
                    let s = maskedRow(row, scale: scale, valid: valid)
                    let shift = SIMD16<Float>(repeating: logSumExp[r0 + r])
                    let p0 = Vector.exp16(s.values.0 - shift).replacing(with: 0, where: s.masked.0)
                    let p1 = Vector.exp16(s.values.1 - shift).replacing(with: 0, where: s.masked.1)
                    var d0 = load16(dRow), d1 = load16(dRow + 16)
                    if dropout != nil {
                        let m = strip + r * t + c0
                        let m0 = load16(m), m1 = load16(m + 16)
                        store16(p0 * m0, dropRow); store16(p1 * m1, dropRow + 16)
                        d0 *= m0; d1 *= m1
                    } else {
                        store16(p0, dropRow); store16(p1, dropRow + 16)
                    }
                    let rowDelta = SIMD16<Float>(repeating: delta[r0 + r])
                    store16(p0 * (d0 - rowDelta), dRow); store16(p1 * (d1 - rowDelta), dRow + 16)
                }
                // dV tile += P'ᵀ · dO tile, dQ tile += dS · K tile, dK tile += dSᵀ · Q tile (the
                // transposed operands read with swapped strides; dQ and dK scaled by 1/√D at the end)
                multiply(width: headDim, rows: keys, depth: rows, a: dropped, aRow: 1, aDepth: tile, b: dOutputs, ldb: outputStride,
                         c: dV + c0 * headDim, ldc: headDim, accumulate: true)
                multiply(width: headDim, rows: rows, depth: keys, a: dScores, aRow: tile, aDepth: 1, b: k + c0 * ld, ldb: ld,
                         c: dQ + r0 * headDim, ldc: headDim, accumulate: true)
                multiply(width: headDim, rows: keys, depth: rows, a: dScores, aRow: 1, aDepth: tile, b: queries, ldb: ld,
                         c: dK + c0 * headDim, ldc: headDim, accumulate: true)
            }
        }
        if let dv { writeRows(dV, columns: headDim, rows: time, scale: 1, into: dv, ld: ld, overwrite: overwrite.v) }
        if let dq { writeRows(dQ, columns: headDim, rows: time, scale: scale, into: dq, ld: ld, overwrite: overwrite.q) }
        if let dk { writeRows(dK, columns: headDim, rows: time, scale: scale, into: dk, ld: ld, overwrite: overwrite.k) }
    }

    // MARK: tiles

    /// a·b + c lane-wise in one rounding: the FMA instruction (LLVM does not contract `a * b + c`).
    @inline(__always) static func fma16(_ a: SIMD16<Float>, _ b: SIMD16<Float>, _ c: SIMD16<Float>) -> SIMD16<Float> {
        #if arch(x86_64) && LMSWEEP_NEEDS_AVX512
        return _mm512_fmadd_ps(a, b, c)
        #elseif arch(x86_64) && LMSWEEP_NEEDS_AVX2
        return SIMD16(lowHalf: _mm256_fmadd_ps(a.lowHalf, b.lowHalf, c.lowHalf),
                      highHalf: _mm256_fmadd_ps(a.highHalf, b.highHalf, c.highHalf))
        #else
        return c.addingProduct(a, b)
        #endif
    }

    /// C (rows, width) = or += A (rows, depth) · B (depth, width) for width 32 or 64.
    @inline(__always) static func multiply(width: Int, rows: Int, depth: Int, a: UnsafePointer<Float>, aRow: Int, aDepth: Int,
                                           b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                                           accumulate: Bool) {
        if width == 32 {
            multiply32(rows: rows, depth: depth, a: a, aRow: aRow, aDepth: aDepth, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        } else {
            multiply64(rows: rows, depth: depth, a: a, aRow: aRow, aDepth: aDepth, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        }
    }

    /// C (rows, 32) = or += A (rows, depth) · B (depth, 32): four rows at a time, each row's
    /// accumulator two 16-lane vectors (8 chains, enough to hide the FMA latency on two ports),
    /// A's entries broadcast against B's rows. A's entry (r, p) is at a[r·aRow + p·aDepth] (so Aᵀ
    /// is read in place by swapping the strides); B and C are `ldb`, `ldc` floats per row.
    static func multiply32(rows: Int, depth: Int, a: UnsafePointer<Float>, aRow: Int, aDepth: Int,
                           b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        var r = 0
        while r + 4 <= rows {
            let a0 = a + r * aRow, a1 = a0 + aRow, a2 = a1 + aRow, a3 = a2 + aRow
            let c0 = c + r * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc
            var x00 = SIMD16<Float>(), x01 = x00, x10 = x00, x11 = x00, x20 = x00, x21 = x00, x30 = x00, x31 = x00
            if accumulate {
                x00 = load16(c0); x01 = load16(c0 + 16); x10 = load16(c1); x11 = load16(c1 + 16)
                x20 = load16(c2); x21 = load16(c2 + 16); x30 = load16(c3); x31 = load16(c3 + 16)
            }
            for p in 0..<depth {
                let bp = b + p * ldb
                let b0 = load16(bp), b1 = load16(bp + 16)
                let ap = p * aDepth
                let s0 = SIMD16<Float>(repeating: a0[ap]), s1 = SIMD16<Float>(repeating: a1[ap])
                let s2 = SIMD16<Float>(repeating: a2[ap]), s3 = SIMD16<Float>(repeating: a3[ap])
                x00 = fma16(s0, b0, x00); x01 = fma16(s0, b1, x01)
                x10 = fma16(s1, b0, x10); x11 = fma16(s1, b1, x11)
                x20 = fma16(s2, b0, x20); x21 = fma16(s2, b1, x21)
                x30 = fma16(s3, b0, x30); x31 = fma16(s3, b1, x31)
            }
            store16(x00, c0); store16(x01, c0 + 16); store16(x10, c1); store16(x11, c1 + 16)
            store16(x20, c2); store16(x21, c2 + 16); store16(x30, c3); store16(x31, c3 + 16)
            r += 4
        }
        while r < rows {
            let ar = a + r * aRow, cr = c + r * ldc
            var x0 = accumulate ? load16(cr) : SIMD16<Float>(), x1 = accumulate ? load16(cr + 16) : SIMD16<Float>()
            for p in 0..<depth {
                let s = SIMD16<Float>(repeating: ar[p * aDepth]), bp = b + p * ldb
                x0 = fma16(s, load16(bp), x0); x1 = fma16(s, load16(bp + 16), x1)
            }
            store16(x0, cr); store16(x1, cr + 16)
            r += 1
        }
    }

    /// C (rows, 64) = or += A (rows, depth) · B (depth, 64): as `multiply32`, four 16-lane
    /// vectors per row (16 chains).
    static func multiply64(rows: Int, depth: Int, a: UnsafePointer<Float>, aRow: Int, aDepth: Int,
                           b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        var r = 0
        while r + 4 <= rows {
            let a0 = a + r * aRow, a1 = a0 + aRow, a2 = a1 + aRow, a3 = a2 + aRow
            let c0 = c + r * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc
            var x00 = SIMD16<Float>(), x01 = x00, x02 = x00, x03 = x00, x10 = x00, x11 = x00, x12 = x00, x13 = x00
            var x20 = x00, x21 = x00, x22 = x00, x23 = x00, x30 = x00, x31 = x00, x32 = x00, x33 = x00
            if accumulate {
                x00 = load16(c0); x01 = load16(c0 + 16); x02 = load16(c0 + 32); x03 = load16(c0 + 48)
                x10 = load16(c1); x11 = load16(c1 + 16); x12 = load16(c1 + 32); x13 = load16(c1 + 48)
                x20 = load16(c2); x21 = load16(c2 + 16); x22 = load16(c2 + 32); x23 = load16(c2 + 48)
                x30 = load16(c3); x31 = load16(c3 + 16); x32 = load16(c3 + 32); x33 = load16(c3 + 48)
            }
            for p in 0..<depth {
                let bp = b + p * ldb
                let b0 = load16(bp), b1 = load16(bp + 16), b2 = load16(bp + 32), b3 = load16(bp + 48)
                let ap = p * aDepth
                let s0 = SIMD16<Float>(repeating: a0[ap]), s1 = SIMD16<Float>(repeating: a1[ap])
                let s2 = SIMD16<Float>(repeating: a2[ap]), s3 = SIMD16<Float>(repeating: a3[ap])
                x00 = fma16(s0, b0, x00); x01 = fma16(s0, b1, x01); x02 = fma16(s0, b2, x02); x03 = fma16(s0, b3, x03)
                x10 = fma16(s1, b0, x10); x11 = fma16(s1, b1, x11); x12 = fma16(s1, b2, x12); x13 = fma16(s1, b3, x13)
                x20 = fma16(s2, b0, x20); x21 = fma16(s2, b1, x21); x22 = fma16(s2, b2, x22); x23 = fma16(s2, b3, x23)
                x30 = fma16(s3, b0, x30); x31 = fma16(s3, b1, x31); x32 = fma16(s3, b2, x32); x33 = fma16(s3, b3, x33)
            }
            store16(x00, c0); store16(x01, c0 + 16); store16(x02, c0 + 32); store16(x03, c0 + 48)
            store16(x10, c1); store16(x11, c1 + 16); store16(x12, c1 + 32); store16(x13, c1 + 48)
            store16(x20, c2); store16(x21, c2 + 16); store16(x22, c2 + 32); store16(x23, c2 + 48)
            store16(x30, c3); store16(x31, c3 + 16); store16(x32, c3 + 32); store16(x33, c3 + 48)
            r += 4
        }
        while r < rows {
            let ar = a + r * aRow, cr = c + r * ldc
            for half in stride(from: 0, to: 64, by: 32) {
                var x0 = accumulate ? load16(cr + half) : SIMD16<Float>(), x1 = accumulate ? load16(cr + half + 16) : SIMD16<Float>()
                for p in 0..<depth {
                    let s = SIMD16<Float>(repeating: ar[p * aDepth]), bp = b + p * ldb + half
                    x0 = fma16(s, load16(bp), x0); x1 = fma16(s, load16(bp + 16), x1)
                }
                store16(x0, cr + half); store16(x1, cr + half + 16)
            }
            r += 1
        }
    }

    /// A 32-float score row times `scale` as two vectors, lanes from `valid` on masked (keys after the query,
    /// and keys past T whose columns hold padding) and set to −∞ for the maximum; the exp of a
    /// masked lane is replaced by 0 (the polynomial exp is not defined at −∞).
    @inline(__always) static func maskedRow(_ row: UnsafePointer<Float>, scale: Float, valid: Int)
        -> (values: (SIMD16<Float>, SIMD16<Float>), masked: (SIMDMask<SIMD16<Int32>>, SIMDMask<SIMD16<Int32>>)) {
        let lanes = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        let limit = SIMD16<Int32>(repeating: Int32(truncatingIfNeeded: valid))
        let masked = (lanes .>= limit, lanes &+ 16 .>= limit)
        return (((load16(row) * scale).replacing(with: -.infinity, where: masked.0),
                 (load16(row + 16) * scale).replacing(with: -.infinity, where: masked.1)), masked)
    }

    /// Rows r of the strip (32, T'), for query rows `rows`, get the dropout mask of keys 0..<length
    /// (length i + 1 when causal): the reference's draws in the reference's order; zeros after.
    static func drawStrip(_ generator: inout LaneGenerator, rows: Range<Int>, time: Int, causal: Bool, p: Float,
                          into strip: UnsafeMutablePointer<Float>, ld: Int) {
        for i in rows {
            let row = strip + (i - rows.lowerBound) * ld
            let length = causal ? i + 1 : time
            Elementwise.dropoutMask(row, count: length, p: p, generator: &generator)
            (row + length).update(repeating: 0, count: ld - length)
        }
    }

    /// X (rows, columns), rows `ld` apart, into Xᵀ (columns, ldOut); columns rows..<ldOut zeroed.
    static func transpose(_ x: UnsafePointer<Float>, rows: Int, columns: Int, ld: Int,
                          into out: UnsafeMutablePointer<Float>, ldOut: Int) {
        for c in 0..<columns {
            let o = out + c * ldOut
            for r in 0..<rows { o[r] = x[r * ld + c] }
            (o + rows).update(repeating: 0, count: ldOut - rows)
        }
    }

    /// Local rows (rows, columns) times `scale` into X (rows `ld` apart), written or added.
    static func writeRows(_ local: UnsafePointer<Float>, columns: Int, rows: Int, scale: Float,
                          into x: UnsafeMutablePointer<Float>, ld: Int, overwrite: Bool) {
        for r in 0..<rows {
            let source = local + r * columns, target = x + r * ld
            for c in stride(from: 0, to: columns, by: 16) {
                let value = load16(source + c) * scale
                store16(overwrite ? value : load16(target + c) + value, target + c)
            }
        }
    }

    @inline(__always) static func scaleRow(_ p: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        for c in stride(from: 0, to: count, by: 16) { store16(load16(p + c) * factor, p + c) }
    }

    @inline(__always) static func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always) static func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }
}
