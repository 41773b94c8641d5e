import Foundation

/// L(N, D) = E + A/N^α + B/D^β over every run of a family (Hoffmann et al. 2022, approach 3;
/// the replication of Besiroglu et al. 2024): the cross-check of the iso-FLOP parabolas.
public struct ParametricLaw: Codable, Equatable, Sendable {
    public var e: Double
    public var a: Double
    public var alpha: Double
    public var b: Double
    public var beta: Double

    public func loss(parameters n: Double, tokens d: Double) -> Double { e + a / pow(n, alpha) + b / pow(d, beta) }

    /// The compute-optimal exponent: with C = κ·N·D, N_opt ∝ C^(β/(α+β)).
    public var nOptExponent: Double { beta / (alpha + beta) }

    /// The compute-optimal size and loss at compute C, with C = κ·N·D: minimizing
    /// E + A N^−α + B (κN/C)^β over N gives N^(α+β) = (αA / (βB)) (C/κ)^β.
    public func optimum(compute: Double, kappa: Double) -> (parameters: Double, loss: Double) {
        let n = pow(alpha * a / (beta * b), 1 / (alpha + beta)) * pow(compute / kappa, nOptExponent)
        return (n, loss(parameters: n, tokens: compute / (kappa * n)))
    }
}

extension FrontierFits {
    /// Huber's δ on log L, as in Hoffmann et al. (2022) and Besiroglu et al. (2024).
    static let parametricHuberDelta = 1e-3

    /// The objective: Σ Huber_δ(log L̂ − log L), with L̂ = exp(LSE(e, a − α log N, b − β log D)),
    /// in θ = (e, a, b, α, β) where E = eᵉ, A = eᵃ, B = eᵇ (positive by construction).
    static func parametricObjective(_ data: [(n: Double, d: Double, loss: Double)]) -> ([Double]) -> Double {
        let logs = data.map { (log($0.n), log($0.d), log($0.loss)) }
        return { theta in
            let (e, a, b, alpha, beta) = (theta[0], theta[1], theta[2], theta[3], theta[4])
            guard alpha > 0, beta > 0, alpha < 5, beta < 5 else { return .greatestFiniteMagnitude }
            var total = 0.0
            for (logN, logD, logL) in logs {
                let terms = [e, a - alpha * logN, b - beta * logD]
                let top = terms.max()!
                let predicted = top + log(terms.reduce(0) { $0 + exp($1 - top) })
                total += FrontierMath.huber(predicted - logL, delta: parametricHuberDelta)
            }
            return total.isFinite ? total : .greatestFiniteMagnitude
        }
    }

    /// The starting grid of Hoffmann et al. (2022, appendix D.2), thinned: every start is
    /// polished by Nelder–Mead and the best result kept, since the objective has many local minima.
    static func parametricStarts(minimumLoss: Double) -> [[Double]] {
        var starts: [[Double]] = []
        for e in [log(0.5 * minimumLoss), log(0.9 * minimumLoss)] {
            for a in [0.0, 3, 6] { for b in [0.0, 3, 6] {
                for alpha in [0.2, 0.5, 1.0] { for beta in [0.2, 0.5, 1.0] { starts.append([e, a, b, alpha, beta]) } }
            } }
        }
        return starts
    }

    /// Fits L(N, D) from `starts` (default: the grid); a problem with fewer than 6 runs, fewer
    /// than 3 sizes or one budget's worth of tokens only.
    public static func parametric(_ samples: [FrontierSample], starts: [[Double]]? = nil) -> Result<(law: ParametricLaw, objective: Double), FitProblem> {
        let data = samples.compactMap { s in
            s.loss.flatMap { $0.isFinite && $0 > 0 && s.parameters > 0 && s.tokens > 0 ? (s.parameters, s.tokens, $0) : nil }
        }
        guard data.count >= 6 else { return .failure(FitProblem(message: "needs at least 6 runs with a test NLL, has \(data.count)")) }
        guard Set(data.map(\.0)).count >= 3, Set(data.map(\.1)).count >= 3 else {
            return .failure(FitProblem(message: "needs at least 3 distinct N and 3 distinct D"))
        }
        let objective = parametricObjective(data)
        var best: (x: [Double], value: Double)?
        for start in starts ?? parametricStarts(minimumLoss: data.map(\.2).min()!) {
            let result = FrontierMath.nelderMead(objective, start: start, step: [0.5, 1, 1, 0.1, 0.1], iterations: 1500)
            if best == nil || result.value < best!.value { best = result }
        }
        guard let best, best.value < .greatestFiniteMagnitude else {
            return .failure(FitProblem(message: "no start converged"))
        }
        let law = ParametricLaw(e: exp(best.x[0]), a: exp(best.x[1]), alpha: best.x[3], b: exp(best.x[2]), beta: best.x[4])
        guard [law.e, law.a, law.alpha, law.b, law.beta].allSatisfy(\.isFinite) else {
            return .failure(FitProblem(message: "the fit left the numeric range"))
        }
        return .success((law, best.value))
    }

    /// The law's θ, to start a bootstrap replicate's fit from the full fit.
    static func theta(_ law: ParametricLaw) -> [Double] { [log(law.e), log(law.a), log(law.b), law.alpha, law.beta] }
}

extension FrontierAnalysis {
    /// The parametric fit of one family, its bootstrap intervals, its optimum at each budget,
    /// and whether its N_opt exponent agrees with the parabolas' (approach 2, exact FLOPs).
    static func parametricResult(_ family: FrontierFamily, exactLaw: ScalingLaws, options: FrontierOptions,
                                 familyIndex: Int) -> ParametricResult {
        let samples = family.groups.flatMap(\.samples)
        var result = ParametricResult(runs: samples.filter { $0.loss != nil }.count, optima: [], agreement: "")
        let kappas = samples.compactMap { s in s.flops[.exact].map { $0 / (s.parameters * s.tokens) } }.filter { $0.isFinite && $0 > 0 }
        result.kappa = kappas.isEmpty ? nil : FrontierMath.median(kappas)
        switch FrontierFits.parametric(samples, starts: options.parametricStarts) {
        case .failure(let problem):
            result.problem = problem.message
            result.agreement = "no parametric fit: \(problem.message)"
            return result
        case .success(let fit):
            result.law = fit.law
            var replicateLaws: [ParametricLaw] = []
            for r in 0..<options.parametricReplicates {
                var generator = SeededGenerator(seed: options.seed ^ 0x5041_5241_4D00 &+ UInt64(r) &* 0x9E37_79B9 &+ UInt64(familyIndex))
                let resampled = family.groups.flatMap { FrontierFits.resample($0.samples, &generator) }
                let start = FrontierFits.theta(fit.law)
                if case .success(let refit) = FrontierFits.parametric(resampled, starts: [start, start.enumerated().map { $0.offset >= 3 ? $0.element * 1.3 : $0.element }]) {
                    replicateLaws.append(refit.law)
                }
            }
            result.eInterval = Interval.of(replicateLaws.map(\.e))
            result.alphaInterval = Interval.of(replicateLaws.map(\.alpha))
            result.betaInterval = Interval.of(replicateLaws.map(\.beta))
            result.nOptExponentInterval = Interval.of(replicateLaws.map(\.nOptExponent))
            if let kappa = result.kappa {
                result.optima = family.groups.map { group in
                    let optimum = fit.law.optimum(compute: group.budget, kappa: kappa)
                    return ParametricOptimum(budget: group.budget, nOpt: optimum.parameters, lOpt: optimum.loss)
                }.filter { $0.nOpt.isFinite && $0.lOpt.isFinite }
            }
            let exponent = fit.law.nOptExponent
            guard let approach2 = exactLaw.nOpt else {
                result.agreement = "no iso-FLOP exponent to compare with (\(exactLaw.problem ?? "no fit"))"
                return result
            }
            let overlap: Bool? = {
                guard let a = exactLaw.nOptExponentInterval, let b = result.nOptExponentInterval else { return nil }
                return a.low <= b.high && b.low <= a.high
            }()
            let text = String(format: "N_opt exponent %.3f (iso-FLOP parabolas) vs %.3f (parametric, β/(α+β))", approach2.exponent, exponent)
            switch overlap {
            case true?: result.agreement = "agree: \(text), intervals overlap"
            case false?: result.agreement = "disagree: \(text), intervals do not overlap"
            case nil: result.agreement = "not comparable with intervals: \(text)"
            }
            return result
        }
    }
}
