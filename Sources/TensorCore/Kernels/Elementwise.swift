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
