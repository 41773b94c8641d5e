import Foundation

/// Everything `frontier.json` holds: every fitted value and its interval, per dataset. A value
/// that cannot be fitted is absent, with a `problem` saying why: the file never holds NaN.
public struct FrontierReportData: Codable, Sendable {
    public var generatedBy: String
    public var datasets: [DatasetFrontier]
}

/// A 90% bootstrap interval (the 5th and 95th percentiles) and the replicates it rests on.
public struct Interval: Codable, Equatable, Sendable {
    public var low: Double
    public var high: Double
    /// Replicates in which the quantity could be fitted (of ``DatasetFrontier/replicates``).
    public var replicates: Int

    public func contains(_ value: Double) -> Bool { value >= low && value <= high }

    /// The interval of `values`; nil when fewer than 10 replicates had a value.
    static func of(_ values: [Double]) -> Interval? {
        let finite = values.filter(\.isFinite)
        guard finite.count >= 10, let low = FrontierMath.quantile(finite, 0.05), let high = FrontierMath.quantile(finite, 0.95) else { return nil }
        return Interval(low: low, high: high, replicates: finite.count)
    }
}

/// One dataset's frontier: a fit per family (an architecture at one context, and whatever else
/// its runs share), the ranking at every budget, the crossovers and the best context.
public struct DatasetFrontier: Codable, Sendable {
    public var dataset: String
    /// `non-embedding` or `total`: the N of every fit.
    public var parameterCount: String
    public var replicates: Int
    public var bootstrapSeed: UInt64
    public var families: [FamilyFrontier]
    public var rankings: [BudgetRanking]
    public var crossovers: [Crossover]
    public var bestContexts: [BestContext]
}

public struct FamilyFrontier: Codable, Sendable {
    /// `transformer ctx=64` (plus any other key in which families differ).
    public var name: String
    public var arch: String
    public var context: Int
    public var budgets: [BudgetFit]
    /// N_opt(C) and L_opt(C) under each FLOP convention.
    public var laws: [ScalingLaws]
    public var parametric: ParametricResult
}

/// One (family, budget): its parabola and optimum.
public struct BudgetFit: Codable, Sendable {
    /// The runs' `flop_budget` (exact FLOPs).
    public var budget: Double
    public var runs: Int
    public var failedRuns: Int
    public var sizes: Int
    public var fit: ParabolaFit?
    /// Why there is no fit, or why its optimum is not trusted (vertex outside the sizes).
    public var problem: String?
    /// A fit whose vertex lies among the sampled sizes: the only optima the laws use.
    public var trusted: Bool
    public var nOptInterval: Interval?
    public var lOptInterval: Interval?
    /// Each convention's compute at the optimum (the exact one is the budget, within 1%).
    public var computeAtOptimum: [String: Double]
    /// The lowest mean test NLL over seeds of any size, and that size.
    public var bestObservedLoss: Double?
    public var bestObservedParameters: Double?
    /// What the architecture ranking compares: L_opt when trusted, else the best observed loss.
    public var comparisonLoss: Double?
    /// The runs with a test NLL: what the parabola was fitted to (and the figures plot).
    public var points: [FrontierPoint]
}

/// One run of a budget: its N, seed and test NLL.
public struct FrontierPoint: Codable, Sendable {
    public var parameters: Double
    public var seed: UInt64
    public var loss: Double
}

/// log–log laws of one family under one FLOP convention, over its trusted budgets.
public struct ScalingLaws: Codable, Sendable {
    public var convention: String
    public var nOpt: PowerLaw?
    public var nOptExponentInterval: Interval?
    public var lOpt: PowerLaw?
    public var lOptExponentInterval: Interval?
    public var problem: String?
}

/// The approach-3 cross-check of one family.
public struct ParametricResult: Codable, Sendable {
    public var law: ParametricLaw?
    public var problem: String?
    public var runs: Int
    /// C ≈ κ·N·D: the median of exact FLOPs / (N·D) over the family's runs.
    public var kappa: Double?
    public var eInterval: Interval?
    public var alphaInterval: Interval?
    public var betaInterval: Interval?
    public var nOptExponentInterval: Interval?
    /// The law's own optimum at each budget, beside the parabolas'.
    public var optima: [ParametricOptimum]
    /// Whether the N_opt exponents of approaches 2 and 3 agree (their intervals overlap).
    public var agreement: String
}

public struct ParametricOptimum: Codable, Sendable {
    public var budget: Double
    public var nOpt: Double
    public var lOpt: Double
}

/// The families at one budget, best first.
public struct BudgetRanking: Codable, Sendable {
    public var budget: Double
    public var best: String?
    public var bestLoss: Double?
    public var runnerUp: String?
    public var runnerUpLoss: Double?
    /// runner-up − best, nats per token.
    public var margin: Double?
    public var marginInterval: Interval?
    /// Fraction of bootstrap replicates in which the best is best.
    public var bestShare: Double?
    /// Families compared by their best observed loss because their vertex is outside the sizes.
    public var untrusted: [String]
    public var problem: String?
}

/// A budget at which the best family changes, from the L_opt(C) laws.
public struct Crossover: Codable, Sendable {
    public var convention: String
    /// Best below the crossover, and above it.
    public var below: String
    public var above: String
    public var budget: Double
    public var interval: Interval?
    /// Outside the budgets both families were fitted at.
    public var extrapolated: Bool
}

/// The best context of one architecture at one budget.
public struct BestContext: Codable, Sendable {
    public var arch: String
    public var budget: Double
    public var context: Int
    public var loss: Double
    public var trusted: Bool
}
