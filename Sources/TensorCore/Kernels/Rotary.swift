/// Rotary position embedding's rotation on (slices, T, D) rows, NeoX split-half pairs
/// (x[i], x[i + D/2]) rotated by the angle in `cosines`/`sines` (T, D/2):
///   forward:  y1 = x1·c − x2·s,  y2 = x2·c + x1·s          (written)
///   inverse:  y1 += x1·c + x2·s, y2 += x2·c − x1·s         (accumulated: rope's backward, Rᵀ·dy)
/// Eight pairs per vector when D/2 is a multiple of 8; a scalar loop otherwise.
enum Rotary {
    static func rotate(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, slices: Int, time: Int, headDim: Int,
                       cosines: UnsafePointer<Float>, sines: UnsafePointer<Float>, inverse: Bool) {
        let half = headDim / 2
        let vectorEnd = half & ~(Vector.width - 1)
        for s in 0..<slices {
            for t in 0..<time {
                let row = (s * time + t) * headDim
                let xa = x + row, xb = x + row + half, ya = y + row, yb = y + row + half
                let c = cosines + t * half, sn = sines + t * half
                var i = 0
                if inverse {
                    while i < vectorEnd {
                        let (x1, x2, cv, sv) = (Vector.load(xa + i), Vector.load(xb + i), Vector.load(c + i), Vector.load(sn + i))
                        Vector.store(Vector.load(ya + i) + (x1 * cv + x2 * sv), ya + i)
                        Vector.store(Vector.load(yb + i) + (x2 * cv - x1 * sv), yb + i)
                        i += Vector.width
                    }
                    while i < half {
                        let (x1, x2) = (xa[i], xb[i])
                        ya[i] += x1 * c[i] + x2 * sn[i]
                        yb[i] += x2 * c[i] - x1 * sn[i]
                        i += 1
                    }
                } else {
                    while i < vectorEnd {
                        let (x1, x2, cv, sv) = (Vector.load(xa + i), Vector.load(xb + i), Vector.load(c + i), Vector.load(sn + i))
                        Vector.store(x1 * cv - x2 * sv, ya + i)
                        Vector.store(x2 * cv + x1 * sv, yb + i)
                        i += Vector.width
                    }
                    while i < half {
                        let (x1, x2) = (xa[i], xb[i])
                        ya[i] = x1 * c[i] - x2 * sn[i]
                        yb[i] = x2 * c[i] + x1 * sn[i]
                        i += 1
                    }
                }
            }
        }
    }
}
