import Foundation

/// The numerical pieces the frontier fits are built from: least squares, Huber regression by
/// iteratively reweighted least squares, Nelder–Mead, percentiles and a seeded generator.
/// Small and dense on purpose: a fit has a handful of unknowns and at most a few hundred runs.
enum FrontierMath {
    /// Solves A·x = b by Gaussian elimination with partial pivoting; nil when A is singular
    /// (to a relative tolerance), so a fit on degenerate data says so instead of returning NaN.
    static func solve(_ matrix: [[Double]], _ rhs: [Double]) -> [Double]? {
        let n = rhs.count
        var a = matrix, b = rhs
        let scale = matrix.flatMap { $0 }.map(abs).max() ?? 0
        guard scale > 0 else { return nil }
        for column in 0..<n {
            let pivot = (column..<n).max { abs(a[$0][column]) < abs(a[$1][column]) }!
            guard abs(a[pivot][column]) > 1e-12 * scale else { return nil }
            a.swapAt(column, pivot); b.swapAt(column, pivot)
            for row in (column + 1)..<n {
                let factor = a[row][column] / a[column][column]
                for k in column..<n { a[row][k] -= factor * a[column][k] }
                b[row] -= factor * b[column]
            }
        }
        var x = Array(repeating: 0.0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var sum = b[row]
            for k in (row + 1)..<n { sum -= a[row][k] * x[k] }
            x[row] = sum / a[row][row]
        }
        return x.allSatisfy(\.isFinite) ? x : nil
    }

    /// Weighted least squares of y on the columns of `design` (one row per observation).
    static func leastSquares(design: [[Double]], y: [Double], weights: [Double]? = nil) -> [Double]? {
        guard let columns = design.first?.count, design.count >= columns else { return nil }
        var normal = Array(repeating: Array(repeating: 0.0, count: columns), count: columns)
        var rhs = Array(repeating: 0.0, count: columns)
        for (i, row) in design.enumerated() {
            let w = weights?[i] ?? 1
            for j in 0..<columns {
                rhs[j] += w * row[j] * y[i]
                for k in 0..<columns { normal[j][k] += w * row[j] * row[k] }
            }
        }
        return solve(normal, rhs)
    }

    /// Huber's tuning constant: 95% efficiency under Gaussian noise (Huber 1964).
    static let huberConstant = 1.345

    /// A robust polynomial fit: minimizes Σ ρ(rᵢ / s) with Huber's ρ, by iteratively reweighted
    /// least squares from the ordinary fit; s is the MAD scale of the ordinary fit's residuals.
    /// Points within 1.345 s weigh 1, farther ones 1.345 s / |r|, so one diverged-looking run
    /// cannot drag a vertex. Returns coefficients lowest power first.
    static func huberPolynomial(x: [Double], y: [Double], degree: Int, iterations: Int = 50) -> [Double]? {
        let design = x.map { xi in (0...degree).map { pow(xi, Double($0)) } }
        guard var coefficients = leastSquares(design: design, y: y) else { return nil }
        func residuals(_ c: [Double]) -> [Double] {
            zip(design, y).map { row, yi in yi - zip(row, c).reduce(0) { $0 + $1.0 * $1.1 } }
        }
        let scale = 1.4826 * median(residuals(coefficients).map(abs))
        guard scale > 1e-12 else { return coefficients }
        let threshold = huberConstant * scale
        for _ in 0..<iterations {
            let weights = residuals(coefficients).map { abs($0) <= threshold ? 1 : threshold / abs($0) }
            guard let next = leastSquares(design: design, y: y, weights: weights) else { break }
            let change = zip(next, coefficients).map { abs($0 - $1) }.max() ?? 0
            coefficients = next
            if change < 1e-12 { break }
        }
        return coefficients
    }

    /// Huber's loss of one residual with threshold δ: quadratic inside, linear outside.
    static func huber(_ r: Double, delta: Double) -> Double {
        abs(r) <= delta ? 0.5 * r * r : delta * (abs(r) - 0.5 * delta)
    }

    /// Nelder–Mead simplex minimization (Nelder & Mead 1965; standard coefficients) from
    /// `start` with initial steps `step`. Returns the best point and its value.
    static func nelderMead(_ f: ([Double]) -> Double, start: [Double], step: [Double],
                           iterations: Int = 2000, tolerance: Double = 1e-12) -> (x: [Double], value: Double) {
        let n = start.count
        var simplex = [start] + (0..<n).map { i in var p = start; p[i] += step[i]; return p }
        var values = simplex.map(f)
        for _ in 0..<iterations {
            let order = values.indices.sorted { values[$0] < values[$1] }
            simplex = order.map { simplex[$0] }; values = order.map { values[$0] }
            if abs(values[n] - values[0]) <= tolerance * (abs(values[0]) + tolerance) { break }
            let centroid = (0..<n).map { j in simplex[0..<n].reduce(0) { $0 + $1[j] } / Double(n) }
            func toward(_ t: Double) -> [Double] { (0..<n).map { centroid[$0] + t * (simplex[n][$0] - centroid[$0]) } }
            let reflected = toward(-1), reflectedValue = f(reflected)
            if reflectedValue < values[0] {
                let expanded = toward(-2), expandedValue = f(expanded)
                if expandedValue < reflectedValue { simplex[n] = expanded; values[n] = expandedValue }
                else { simplex[n] = reflected; values[n] = reflectedValue }
            } else if reflectedValue < values[n - 1] {
                simplex[n] = reflected; values[n] = reflectedValue
            } else {
                let contracted = reflectedValue < values[n] ? toward(-0.5) : toward(0.5)
                let contractedValue = f(contracted)
                if contractedValue < min(reflectedValue, values[n]) {
                    simplex[n] = contracted; values[n] = contractedValue
                } else {
                    for i in 1...n {
                        simplex[i] = (0..<n).map { simplex[0][$0] + 0.5 * (simplex[i][$0] - simplex[0][$0]) }
                        values[i] = f(simplex[i])
                    }
                }
            }
        }
        let best = values.indices.min { values[$0] < values[$1] }!
        return (simplex[best], values[best])
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : 0.5 * (sorted[middle - 1] + sorted[middle])
    }

    /// The q-quantile (0...1) of `values` by linear interpolation between order statistics.
    static func quantile(_ values: [Double], _ q: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = Int(position.rounded(.up))
        return sorted[low] + (position - Double(low)) * (sorted[high] - sorted[low])
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): the bootstrap's generator, seeded, so a report is the
/// same bytes every time it is made from the same journal.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func index(below count: Int) -> Int { Int(next() % UInt64(count)) }
}
