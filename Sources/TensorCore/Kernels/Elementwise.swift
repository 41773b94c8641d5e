import Foundation

/// Elementwise and row-reduction kernels on raw buffers. Loops are kept plain so LLVM
/// vectorises them (AVX-512 under -Ounchecked).
enum Elementwise {
    /// target[i] += source[i]
    @inline(__always) static func accumulate(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { target[i] += source[i] }
    }

    /// target[c] += Σ_r source[r, c]: a broadcast operand's (bias's) gradient.
    static func sumRows(_ source: UnsafePointer<Float>, rows: Int, columns: Int, into target: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let row = source + r * columns
            for c in 0..<columns { target[c] += row[c] }
        }
    }

    /// y = a + b with b repeated over the rows of a.
    static func addBroadcast(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, rows: Int, columns: Int,
                             into y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let ar = a + r * columns, yr = y + r * columns
            for c in 0..<columns { yr[c] = ar[c] + b[c] }
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
    static func reluBackward(output y: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                             into dx: UnsafeMutablePointer<Float>, count: Int) {
        let vectorEnd = count & ~(Vector.width - 1)
        var i = 0
        while i < vectorEnd {
            let bits = unsafeBitCast(Vector.load(y + i), to: SIMD8<Int32>.self)
            let mask = (bits &+ 0x7FFF_FFFF) &>> 31
            let gated = unsafeBitCast(unsafeBitCast(Vector.load(dy + i), to: SIMD8<Int32>.self) & mask, to: Vector8.self)
            Vector.store(Vector.load(dx + i) + gated, dx + i)
            i += Vector.width
        }
        while i < count { dx[i] += y[i] > 0 ? dy[i] : 0; i += 1 }
    }

    static let geluScale: Float = (2 / Float.pi).squareRoot()
    static let geluCubic: Float = 0.044715

    /// GELU, tanh approximation (Hendrycks & Gimpel 2016; PyTorch approximate="tanh").
    @inline(__always) static func gelu(_ x: Float) -> Float {
        let inner = geluScale * (x + geluCubic * x * x * x)
        return 0.5 * x * (1 + tanhf(inner))
    }

    @inline(__always) static func geluDerivative(_ x: Float) -> Float {
        let inner = geluScale * (x + geluCubic * x * x * x)
        let t = tanhf(inner)
        let sech2 = 1 - t * t
        return 0.5 * (1 + t) + 0.5 * x * sech2 * geluScale * (1 + 3 * geluCubic * x * x)
    }
}
