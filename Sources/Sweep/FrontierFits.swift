import Foundation

/// The FLOP conventions a frontier can be fitted against (DESIGN.md, "FLOPs three ways").
public enum FrontierConvention: String, Codable, CaseIterable, Sendable {
    case exact, study, sixN = "6n"
}

/// One run as the fits see it: a rung of a ladder at one budget, one seed.
public struct FrontierSample: Hashable, Sendable {
    /// The rung: the run's config without its seed (runs of one rung differ only in seed).
    public var size: String
    public var seed: UInt64
    /// N: non-embedding parameters (or all, by ``FrontierOptions/parameterCount``).
    public var parameters: Double
    /// D: predicted training targets (the tokens whose loss a step takes).
    public var tokens: Double
    /// Realized training FLOPs under each convention.
    public var flops: [FrontierConvention: Double]
    /// Test NLL; nil when the run failed or diverged.
    public var loss: Double?

    public init(size: String, seed: UInt64, parameters: Double, tokens: Double,
                flops: [FrontierConvention: Double], loss: Double?) {
        self.size = size; self.seed = seed; self.parameters = parameters; self.tokens = tokens
        self.flops = flops; self.loss = loss
    }
}

/// Test NLL against log₁₀ N at one budget: L = c₀ + c₁x + c₂x², fitted with Huber's loss
/// (Hoffmann et al. 2022, approach 2). Its vertex is the budget's compute-optimal size.
public struct ParabolaFit: Codable, Equatable, Sendable {
    /// c₀, c₁, c₂ in x = log₁₀ N.
    public var coefficients: [Double]
    public var log10NOpt: Double
    public var nOpt: Double
    public var lOpt: Double
    /// The smallest and largest log₁₀ N sampled.
    public var sampledLog10N: [Double]
    /// Whether the vertex lies among the sampled sizes; if not, the optimum is an extrapolation.
    public var vertexInside: Bool

    public func loss(atLog10N x: Double) -> Double { coefficients[0] + coefficients[1] * x + coefficients[2] * x * x }
}

/// Why a fit has no value: said in words, never as NaN.
public struct FitProblem: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// y = 10^p · C^a, fitted by least squares in log–log (Hoffmann et al. 2022, figure 3).
public struct PowerLaw: Codable, Equatable, Sendable {
    public var exponent: Double
    public var log10Coefficient: Double
    public var points: Int
    public func value(at compute: Double) -> Double { pow(10, log10Coefficient + exponent * log10(compute)) }
}

public enum FrontierFits {
    /// The parabola of one budget's runs; a problem when fewer than 3 sizes have a loss or the
    /// curve has no minimum. A vertex outside the sampled sizes still fits, flagged.
    public static func parabola(_ samples: [FrontierSample]) -> Result<ParabolaFit, FitProblem> {
        let scored = samples.filter { $0.loss.map(\.isFinite) ?? false && $0.parameters > 0 }
        if scored.isEmpty {
            return .failure(FitProblem(message: samples.isEmpty ? "no runs" : "every run failed or diverged (\(samples.count) runs)"))
        }
        let sizes = Set(scored.map(\.size)).count
        guard sizes >= 3 else {
            return .failure(FitProblem(message: "needs at least 3 sizes with a test NLL, has \(sizes)"))
        }
        let x = scored.map { log10($0.parameters) }, y = scored.map { $0.loss! }
        guard Set(x).count >= 3, let c = FrontierMath.huberPolynomial(x: x, y: y, degree: 2) else {
            return .failure(FitProblem(message: "the sizes do not determine a parabola (fewer than 3 distinct N)"))
        }
        guard c[2] > 0 else {
            return .failure(FitProblem(message: "NLL has no minimum in log N over these sizes (the fitted curve is not convex)"))
        }
        let vertex = -c[1] / (2 * c[2])
        let low = x.min()!, high = x.max()!
        let fit = ParabolaFit(coefficients: c, log10NOpt: vertex, nOpt: pow(10, vertex),
                              lOpt: c[0] - c[1] * c[1] / (4 * c[2]), sampledLog10N: [low, high],
                              vertexInside: vertex >= low && vertex <= high)
        guard fit.nOpt.isFinite, fit.lOpt.isFinite else {
            return .failure(FitProblem(message: "the vertex is out of numeric range (N_opt = 10^\(vertex))"))
        }
        return .success(fit)
    }

    /// log₁₀ y = p + a · log₁₀ C by least squares; a problem with fewer than 2 distinct budgets.
    public static func powerLaw(compute: [Double], values: [Double]) -> Result<PowerLaw, FitProblem> {
        let pairs = zip(compute, values).filter { $0.0 > 0 && $0.1 > 0 && $0.0.isFinite && $0.1.isFinite }
        guard Set(pairs.map(\.0)).count >= 2 else {
            return .failure(FitProblem(message: "needs trusted optima at 2 or more budgets, has \(Set(pairs.map(\.0)).count)"))
        }
        let design = pairs.map { [1, log10($0.0)] }
        guard let c = FrontierMath.leastSquares(design: design, y: pairs.map { log10($0.1) }) else {
            return .failure(FitProblem(message: "the budgets do not determine a line"))
        }
        return .success(PowerLaw(exponent: c[1], log10Coefficient: c[0], points: pairs.count))
    }

    /// Where two L_opt(C) power laws cross: the budget at which their ranking changes, or nil
    /// when they are parallel.
    public static func crossover(_ a: PowerLaw, _ b: PowerLaw) -> Double? {
        let slope = a.exponent - b.exponent
        guard abs(slope) > 1e-12 else { return nil }
        let log10C = (b.log10Coefficient - a.log10Coefficient) / slope
        guard log10C.isFinite, abs(log10C) < 300 else { return nil }
        return pow(10, log10C)
    }

    /// A convention's compute at a budget's optimum: log₁₀ C_X interpolated linearly in log₁₀ N
    /// through the budget's runs (every run of one budget has the same exact FLOPs, but not the
    /// same study proxy or 6N).
    static func compute(_ convention: FrontierConvention, at log10N: Double, of samples: [FrontierSample]) -> Double? {
        let points = samples.compactMap { s in s.flops[convention].flatMap { $0 > 0 ? (log10(s.parameters), log10($0)) : nil } }
        guard !points.isEmpty else { return nil }
        if Set(points.map(\.0)).count < 2 { return pow(10, points.map(\.1).reduce(0, +) / Double(points.count)) }
        guard let c = FrontierMath.leastSquares(design: points.map { [1, $0.0] }, y: points.map(\.1)) else { return nil }
        let value = pow(10, c[0] + c[1] * log10N)
        return value.isFinite ? value : nil
    }

    /// The budget's best observed loss: the lowest mean test NLL over seeds of any size.
    static func bestObserved(_ samples: [FrontierSample]) -> (parameters: Double, loss: Double)? {
        let bySize = Dictionary(grouping: samples.filter { $0.loss?.isFinite ?? false }, by: \.size)
        // Sizes in key order, so that a tie goes the same way whatever the dictionary's order.
        return bySize.keys.sorted().map { size in
            let runs = bySize[size]!
            return (runs[0].parameters, runs.reduce(0) { $0 + $1.loss! } / Double(runs.count))
        }.min { $0.1 < $1.1 }
    }

    /// One bootstrap resample of a budget's runs, in two stages: sizes with replacement, then
    /// each drawn size's seeds with replacement (a cluster bootstrap: runs of one size share its
    /// fit residual, seeds within it vary by seed only).
    static func resample(_ samples: [FrontierSample], _ generator: inout SeededGenerator) -> [FrontierSample] {
        let bySize = Dictionary(grouping: samples.filter { $0.loss?.isFinite ?? false }, by: \.size)
        let sizes = bySize.keys.sorted()
        guard !sizes.isEmpty else { return [] }
        var drawn: [FrontierSample] = []
        for _ in sizes {
            let runs = bySize[sizes[generator.index(below: sizes.count)]]!
            for _ in runs { drawn.append(runs[generator.index(below: runs.count)]) }
        }
        return drawn
    }
}
