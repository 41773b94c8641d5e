import Foundation

/// Elementwise and row-reduction kernels on raw buffers. Loops are kept plain so LLVM
/// vectorises them (AVX-512 under -Ounchecked).
enum Elementwise {
    /// target[i] += source[i]
    @inline(__always) static func accumulate(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        let vectorEnd = count & ~(Vector.width - 1)
        var i = 0
        while i < vectorEnd { Vector.store(Vector.load(target + i) + Vector.load(source + i), target + i); i += Vector.width }
        while i < count { target[i] += source[i]; i += 1 }
    }

    /// target[c] += Σ_r source[r, c]: a broadcast operand's (bias's) gradient. Rows are summed
    /// in order, so the result does not depend on the vector width.
    static func sumRows(_ source: UnsafePointer<Float>, rows: Int, columns: Int, into target: UnsafeMutablePointer<Float>) {
        for r in 0..<rows { accumulate(source + r * columns, into: target, count: columns) }
    }

    /// y = a + b with b repeated over the rows of a.
    static func addBroadcast(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, rows: Int, columns: Int,
                             into y: UnsafeMutablePointer<Float>) {
        let vectorEnd = columns & ~(Vector.width - 1)
        for r in 0..<rows {
            let ar = a + r * columns, yr = y + r * columns
            var c = 0
            while c < vectorEnd { Vector.store(Vector.load(ar + c) + Vector.load(b + c), yr + c); c += Vector.width }
            while c < columns { yr[c] = ar[c] + b[c]; c += 1 }
        }
    }

    /// Every row of y (rows, columns) set to b: the bias that `linear`'s GEMM then adds onto.
    static func broadcastRows(_ b: UnsafePointer<Float>, rows: Int, columns: Int, into y: UnsafeMutablePointer<Float>) {
        let vectorEnd = columns & ~(Vector.width - 1)
        for r in 0..<rows {
            let yr = y + r * columns
            var c = 0
            while c < vectorEnd { Vector.store(Vector.load(b + c), yr + c); c += Vector.width }
            while c < columns { yr[c] = b[c]; c += 1 }
        }
    }

    static func mulBroadcast(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, rows: Int, columns: Int,
                             into y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let ar = a + r * columns, yr = y + r * columns
            for c in 0..<columns { yr[c] = ar[c] * b[c] }
        }
    }

    /// y = x > 0 ? x : +0 (never −0, which `reluBackward`'s bit test relies on).
    static func reluForward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] = x[i] > 0 ? x[i] : 0 }
    }

    /// dx += dy where y > 0. Branch-free: y ≥ +0, so y > 0 exactly when its bit pattern is ≥ 1;
    /// adding 0x7FFFFFFF carries that into the sign bit, and an arithmetic shift by 31 spreads
    /// it into an all-ones lane mask. (A branchy scalar loop mispredicts on random signs.)
    /// With `accumulate` false, dx is overwritten (its first writer in the backward pass).
    static func reluBackward(output y: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                             into dx: UnsafeMutablePointer<Float>, count: Int, accumulate: Bool = true) {
        let vectorEnd = count & ~(Vector.width - 1)
        var i = 0
        while i < vectorEnd {
            let bits = unsafeBitCast(Vector.load(y + i), to: SIMD8<Int32>.self)
            let mask = (bits &+ 0x7FFF_FFFF) &>> 31
            let gated = unsafeBitCast(unsafeBitCast(Vector.load(dy + i), to: SIMD8<Int32>.self) & mask, to: Vector8.self)
            Vector.store(accumulate ? Vector.load(dx + i) + gated : gated, dx + i)
            i += Vector.width
        }
        while i < count { dx[i] = (accumulate ? dx[i] : 0) + (y[i] > 0 ? dy[i] : 0); i += 1 }
    }

    /// Inverted-dropout mask: 0 with probability p, else 1/(1−p), 8 decisions per generator step.
    /// Each lane's word is cut to its top 24 bits u and dropped when u < round(p·2²⁴), a
    /// probability within 3·10⁻⁸ of p; the comparison is a subtraction and a sign shift.
    static func dropoutMask(_ mask: UnsafeMutablePointer<Float>, count: Int, p: Float, generator: inout LaneGenerator) {
        let rule = DropoutRule(p: p)
        var i = 0
        while i < count {
            let lanes = rule.mask(&generator)
            if i + Vector.width <= count {
                Vector.store(lanes, mask + i)
            } else {
                for lane in 0..<(count - i) { mask[i + lane] = lanes[lane] }
            }
            i += Vector.width
        }
    }

    /// y = x ⊙ mask with the mask drawn on the fly (`dropoutMask`'s rule, the same decisions for
    /// the same generator state), so no mask is stored: the backward replays the generator from
    /// its saved state. With `accumulate`, y += x ⊙ mask.
    static func dropoutApply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, p: Float,
                             generator: inout LaneGenerator, accumulate: Bool) {
        let rule = DropoutRule(p: p)
        var i = 0
        while i < count {
            let mask = rule.mask(&generator)
            if i + Vector.width <= count {
                let product = Vector.load(x + i) * mask
                Vector.store(accumulate ? Vector.load(y + i) + product : product, y + i)
            } else {
                for lane in 0..<(count - i) { y[i + lane] = (accumulate ? y[i + lane] : 0) + x[i + lane] * mask[lane] }
            }
            i += Vector.width
        }
    }

    /// `dropoutMask`'s rule for 8 lanes: the next generator step's words against p's threshold.
    struct DropoutRule {
        let threshold: SIMD8<Int32>
        let keep: SIMD8<UInt32>

        init(p: Float) {
            threshold = SIMD8<Int32>(repeating: Int32((Double(p) * 16_777_216).rounded()))
            keep = SIMD8<UInt32>(repeating: (1 / (1 - p)).bitPattern)
        }

        /// 0 where a lane drops, 1/(1−p) where it keeps; advances the generator one step.
        @inline(__always) func mask(_ generator: inout LaneGenerator) -> Vector8 {
            let uniform = unsafeBitCast(generator.next() &>> 8, to: SIMD8<Int32>.self)
            let drop = unsafeBitCast((uniform &- threshold) &>> 31, to: SIMD8<UInt32>.self)
            return unsafeBitCast(keep & ~drop, to: Vector8.self)
        }
    }

    /// y = x ⊙ mask (also dropout's backward, accumulating into dx).
    static func multiply(_ x: UnsafePointer<Float>, _ mask: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                         count: Int, accumulate: Bool) {
        let vectorEnd = count & ~(Vector.width - 1)
        var i = 0
        while i < vectorEnd {
            let product = Vector.load(x + i) * Vector.load(mask + i)
            Vector.store(accumulate ? Vector.load(y + i) + product : product, y + i)
            i += Vector.width
        }
        while i < count { y[i] = (accumulate ? y[i] : 0) + x[i] * mask[i]; i += 1 }
    }

    static let geluScale: Float = (2 / Float.pi).squareRoot()
    static let geluCubic: Float = 0.044715

    /// GELU, tanh approximation (Hendrycks & Gimpel 2016; PyTorch approximate="tanh").
    @inline(__always) static func gelu(_ x: Float) -> Float {
        let inner = geluScale * (x + geluCubic * x * x * x)
        return 0.5 * x * (1 + tanhf(inner))
    }

    /// tanh lane-wise from one exp: tanh|u| = (1 − e)/(1 + e) with e = e^(−2|u|) ≤ 1, then u's sign.
    @inline(__always) static func tanh(_ u: Vector8) -> Vector8 {
        let bits = unsafeBitCast(u, to: SIMD8<UInt32>.self)
        let magnitude = unsafeBitCast(bits & 0x7FFF_FFFF, to: Vector8.self)
        let e = Vector.expNonPositive(-2 * magnitude)
        let positive = (1 - e) / (1 + e)
        return unsafeBitCast(unsafeBitCast(positive, to: SIMD8<UInt32>.self) | (bits & 0x8000_0000), to: Vector8.self)
    }

    /// GELU of 8 lanes with the vector tanh.
    @inline(__always) static func gelu(_ v: Vector8) -> Vector8 {
        let cube: Vector8 = v * v * v
        let t: Vector8 = tanh(geluScale * (v + geluCubic * cube))
        return 0.5 * v * (1 + t)
    }

    /// gelu'(v) of 8 lanes.
    @inline(__always) static func geluDerivative(_ v: Vector8) -> Vector8 {
        let cube: Vector8 = v * v * v
        let t: Vector8 = tanh(geluScale * (v + geluCubic * cube))
        let outer: Vector8 = 0.5 * (1 + t)
        let slope: Vector8 = geluScale * (1 + 3 * geluCubic * v * v)
        return outer + 0.5 * v * (1 - t * t) * slope
    }

    /// y = gelu(x), 8 lanes at a time with the vector tanh; scalar `gelu` for the tail.
    static func geluForward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        let vectorEnd = count & ~(Vector.width - 1)
        var i = 0
        while i < vectorEnd { Vector.store(gelu(Vector.load(x + i)), y + i); i += Vector.width }
        while i < count { y[i] = gelu(x[i]); i += 1 }
    }

    /// dx += dy · gelu'(x).
    static func geluBackward(_ x: UnsafePointer<Float>, dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, count: Int) {
        let vectorEnd = count & ~(Vector.width - 1)
        var i = 0
        while i < vectorEnd {
            Vector.store(Vector.load(dx + i) + Vector.load(dy + i) * geluDerivative(Vector.load(x + i)), dx + i)
            i += Vector.width
        }
        while i < count { dx[i] += dy[i] * geluDerivative(x[i]); i += 1 }
    }

    @inline(__always) static func geluDerivative(_ x: Float) -> Float {
        let inner = geluScale * (x + geluCubic * x * x * x)
        let t = tanhf(inner)
        let sech2 = 1 - t * t
        return 0.5 * (1 + t) + 0.5 * x * sech2 * geluScale * (1 + 3 * geluCubic * x * x)
    }
}
