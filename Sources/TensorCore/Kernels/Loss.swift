import Foundation

/// Row kernels of the fused loss.
enum Loss {
    /// log Σ exp(x) of one row, stable (max subtracted first).
    @inline(__always) static func logSumExp(_ x: UnsafePointer<Float>, count: Int) -> Float {
        let vectorEnd = count & ~(Vector.width - 1)
        var maxLanes = Vector8(repeating: -.infinity)
        var j = 0
        while j < vectorEnd { maxLanes = Vector.max(maxLanes, Vector.load(x + j)); j += Vector.width }
        var maximum = vectorEnd > 0 ? Vector.max(maxLanes) : -Float.infinity
        while j < count { maximum = x[j] > maximum ? x[j] : maximum; j += 1 }
        let shift = Vector8(repeating: maximum)
        var sumLanes = Vector8(repeating: 0)
        j = 0
        while j < vectorEnd { sumLanes += Vector.expNonPositive(Vector.load(x + j) - shift); j += Vector.width }
        var sum = Vector.sum(sumLanes)
        while j < count { sum += FastMath.exp(x[j] - maximum); j += 1 }
        return maximum + logf(sum)
    }

    /// dx += scale · (softmax(x) − onehot(target)), softmax recomputed from the saved log-sum-exp.
    @inline(__always) static func softmaxMinusOneHotBackward(_ x: UnsafePointer<Float>, logSumExp: Float, target: Int,
                                                             scale: Float, dx: UnsafeMutablePointer<Float>, count: Int) {
        let vectorEnd = count & ~(Vector.width - 1)
        let shift = Vector8(repeating: logSumExp), scaleLanes = Vector8(repeating: scale)
        var j = 0
        while j < vectorEnd {
            Vector.store(Vector.load(dx + j) + scaleLanes * Vector.expNonPositive(Vector.load(x + j) - shift), dx + j)
            j += Vector.width
        }
        while j < count { dx[j] += scale * FastMath.exp(x[j] - logSumExp); j += 1 }
        dx[target] -= scale
    }
}
