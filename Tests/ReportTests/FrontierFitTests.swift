import Foundation
import XCTest
@testable import Sweep
@testable import Training

/// The frontier fits on synthetic data from known laws: each must recover its law within a
/// stated tolerance, and degenerate input must give a message, never NaN.
final class FrontierFitTests: XCTestCase {
    /// A known law L(N, D) = E + A/N^α + B/D^β with C = 6·N·D (Hoffmann et al. 2022, eq. 2).
    struct Law {
        var e = 1.2, a = 60.0, alpha = 0.4, b = 100.0, beta = 0.35
        func loss(_ n: Double, _ d: Double) -> Double { e + a / pow(n, alpha) + b / pow(d, beta) }
        var exponent: Double { beta / (alpha + beta) }
        /// The exact compute-optimal N at C (minimizing over N with D = C / 6N).
        func nOpt(_ c: Double) -> Double {
            pow(alpha * a / (beta * b), 1 / (alpha + beta)) * pow(c / 6, exponent)
        }
    }

    static let budgets = [1e12, 3e12, 1e13, 3e13, 1e14]

    /// Deterministic noise in ±amplitude.
    static func noise(_ generator: inout SeededGenerator, _ amplitude: Double) -> Double {
        (Double(generator.next() % 2_000_001) / 1_000_000 - 1) * amplitude
    }

    /// An iso-FLOP family drawn from `law`: at each budget 7 sizes log-spaced over ±0.9 decades
    /// around the true optimum (a window sliding with C, as an isoflop ladder does), `seeds` each.
    static func family(_ law: Law, name: String = "transformer ctx=64", seeds: Int = 2, noise amplitude: Double = 0.003,
                       seed: UInt64 = 7) -> FrontierFamily {
        var generator = SeededGenerator(seed: seed)
        let groups = budgets.map { c -> (budget: Double, samples: [FrontierSample]) in
            let center = log10(law.nOpt(c))
            let samples = (0..<7).flatMap { i -> [FrontierSample] in
                let n = pow(10, center - 0.9 + 0.3 * Double(i)), d = c / (6 * n)
                return (0..<seeds).map { s in
                    FrontierSample(size: "\(name) n=\(i) c=\(c)", seed: UInt64(s), parameters: n, tokens: d,
                                   flops: [.exact: c, .study: 2 * c, .sixN: c], loss: law.loss(n, d) + noise(&generator, amplitude))
                }
            }
            return (c, samples)
        }
        return FrontierFamily(name: name, arch: "transformer", context: 64, groups: groups)
    }

    static var quickOptions: FrontierOptions {
        var options = FrontierOptions()
        options.replicates = 300
        options.parametricReplicates = 20
        return options
    }

    func testHuberParabolaRecoversTheVertexDespiteAnOutlier() throws {
        // L = 2 + 0.3 (x − 4.5)², x = log10 N from 3.5 to 5.5, small noise, one run far off.
        var generator = SeededGenerator(seed: 1)
        var samples = (0..<9).map { i -> FrontierSample in
            let x = 3.5 + 0.25 * Double(i)
            return FrontierSample(size: "n\(i)", seed: 0, parameters: pow(10, x), tokens: 1, flops: [:],
                                  loss: 2 + 0.3 * (x - 4.5) * (x - 4.5) + Self.noise(&generator, 0.002))
        }
        samples[7].loss! += 0.5
        let fit = try FrontierFits.parabola(samples).get()
        XCTAssertEqual(fit.log10NOpt, 4.5, accuracy: 0.03)
        XCTAssertEqual(fit.lOpt, 2.0, accuracy: 0.01)
        XCTAssertTrue(fit.vertexInside)
        // The outlier moves an ordinary least-squares vertex well away: the robust loss matters.
        let x = samples.map { log10($0.parameters) }
        let ordinary = try XCTUnwrap(FrontierMath.leastSquares(design: x.map { [1, $0, $0 * $0] }, y: samples.map { $0.loss! }))
        XCTAssertGreaterThan(abs(-ordinary[1] / (2 * ordinary[2]) - 4.5), 0.05)
    }

    func testIsoFLOPParabolasRecoverTheComputeOptimalLaw() throws {
        let law = Law()
        let result = FrontierAnalysis.analyze(dataset: "synthetic", families: [Self.family(law)], options: Self.quickOptions)
        let family = try XCTUnwrap(result.families.first)
        for budget in family.budgets {
            let fit = try XCTUnwrap(budget.fit, budget.problem ?? "")
            XCTAssertTrue(budget.trusted, "budget \(budget.budget): \(budget.problem ?? "")")
            // The true curve in log N is not exactly a parabola: N_opt within 10%, L_opt within 0.005 nats.
            XCTAssertEqual(fit.nOpt / law.nOpt(budget.budget), 1, accuracy: 0.10, "budget \(budget.budget)")
            let d = budget.budget / (6 * law.nOpt(budget.budget))
            XCTAssertEqual(fit.lOpt, law.loss(law.nOpt(budget.budget), d), accuracy: 0.005)
            let interval = try XCTUnwrap(budget.nOptInterval)
            XCTAssertLessThan(interval.low, interval.high)
        }
        let exact = try XCTUnwrap(family.laws.first { $0.convention == "exact" })
        let nOpt = try XCTUnwrap(exact.nOpt, exact.problem ?? "")
        XCTAssertEqual(nOpt.exponent, law.exponent, accuracy: 0.03, "true a = \(law.exponent)")
        XCTAssertEqual(nOpt.points, 5)
        let interval = try XCTUnwrap(exact.nOptExponentInterval)
        XCTAssertTrue(interval.low < nOpt.exponent && nOpt.exponent < interval.high)
        XCTAssertLessThan(interval.high - interval.low, 0.2)
        // The study proxy here is 2× the exact count at every run: the same exponent.
        let study = try XCTUnwrap(family.laws.first { $0.convention == "study" }?.nOpt)
        XCTAssertEqual(study.exponent, nOpt.exponent, accuracy: 1e-6)
        XCTAssertEqual(study.log10Coefficient, nOpt.log10Coefficient - nOpt.exponent * log10(2), accuracy: 1e-6)
        // L_opt falls with compute.
        XCTAssertLessThan(try XCTUnwrap(exact.lOpt).exponent, 0)
    }

    func testParametricFitRecoversTheLawAndAgreesWithTheParabolas() throws {
        let law = Law()
        let result = FrontierAnalysis.analyze(dataset: "synthetic", families: [Self.family(law, noise: 0.001)], options: Self.quickOptions)
        let parametric = try XCTUnwrap(result.families.first?.parametric)
        let fitted = try XCTUnwrap(parametric.law, parametric.problem ?? "")
        XCTAssertEqual(fitted.e, law.e, accuracy: 0.05)
        XCTAssertEqual(fitted.alpha, law.alpha, accuracy: 0.05)
        XCTAssertEqual(fitted.beta, law.beta, accuracy: 0.05)
        XCTAssertEqual(fitted.nOptExponent, law.exponent, accuracy: 0.03)
        XCTAssertEqual(try XCTUnwrap(parametric.kappa), 6, accuracy: 1e-9)
        // Its own optimum at each budget lands on the true one.
        XCTAssertEqual(parametric.optima.count, 5)
        for optimum in parametric.optima {
            XCTAssertEqual(optimum.nOpt / law.nOpt(optimum.budget), 1, accuracy: 0.15)
        }
        XCTAssertNotNil(parametric.nOptExponentInterval)
        XCTAssertTrue(parametric.agreement.hasPrefix("agree"), parametric.agreement)
    }

    /// Two families whose L_opt(C) laws cross at a chosen budget: L = L_opt(C) + 0.2 (x − x_opt)².
    static func crossingFamily(_ name: String, log10Intercept: Double, exponent: Double, seed: UInt64) -> FrontierFamily {
        var generator = SeededGenerator(seed: seed)
        let groups = budgets.map { c -> (budget: Double, samples: [FrontierSample]) in
            let lOpt = pow(10, log10Intercept + exponent * log10(c)), center = 0.5 * log10(c) - 1.5
            let samples = (0..<5).flatMap { i in (0..<2).map { s -> FrontierSample in
                let x = center - 0.6 + 0.3 * Double(i)
                return FrontierSample(size: "\(name) \(i)", seed: UInt64(s), parameters: pow(10, x), tokens: c / (6 * pow(10, x)),
                                      flops: [.exact: c, .study: c, .sixN: c],
                                      loss: lOpt + 0.2 * (x - center) * (x - center) + noise(&generator, 0.002))
            } }
            return (c, samples)
        }
        return FrontierFamily(name: name, arch: name, context: 64, groups: groups)
    }

    func testCrossoverIsInterpolatedAndTheRankingFollowsIt() throws {
        // A: 10^0.6 C^−0.02, B: 10^0.99 C^−0.05: equal at C = 1e13, A better below, B above.
        let a = Self.crossingFamily("mlp", log10Intercept: 0.6, exponent: -0.02, seed: 3)
        let b = Self.crossingFamily("transformer", log10Intercept: 0.99, exponent: -0.05, seed: 4)
        let result = FrontierAnalysis.analyze(dataset: "synthetic", families: [a, b], options: Self.quickOptions)
        let exact = result.crossovers.filter { $0.convention == "exact" }
        XCTAssertEqual(exact.count, 1, "\(exact)")
        let crossover = try XCTUnwrap(exact.first)
        XCTAssertEqual(log10(crossover.budget), 13, accuracy: 0.1)
        XCTAssertEqual(crossover.below, "mlp")
        XCTAssertEqual(crossover.above, "transformer")
        XCTAssertFalse(crossover.extrapolated)
        let interval = try XCTUnwrap(crossover.interval)
        XCTAssertTrue(interval.contains(1e13), "\(interval)")
        XCTAssertTrue(interval.contains(crossover.budget))

        let first = try XCTUnwrap(result.rankings.first), last = try XCTUnwrap(result.rankings.last)
        XCTAssertEqual(first.best, "mlp")
        XCTAssertEqual(last.best, "transformer")
        // At 1e14: 10^(0.6−0.28) − 10^(0.99−0.7) = 2.089 − 1.950.
        XCTAssertEqual(try XCTUnwrap(last.margin), 2.0893 - 1.9498, accuracy: 0.01)
        XCTAssertGreaterThan(try XCTUnwrap(last.marginInterval).low, 0)
        XCTAssertGreaterThan(try XCTUnwrap(last.bestShare), 0.95)
    }

    func testCrossoverBeyondTheBudgetsIsFlaggedAsExtrapolated() throws {
        // Equal at 10^14.7, above every budget sampled.
        let a = Self.crossingFamily("mlp", log10Intercept: 0.6, exponent: -0.02, seed: 5)
        let b = Self.crossingFamily("transformer", log10Intercept: 0.6 + 0.03 * 14.7, exponent: -0.05, seed: 6)
        let result = FrontierAnalysis.analyze(dataset: "synthetic", families: [a, b], options: Self.quickOptions)
        let crossover = try XCTUnwrap(result.crossovers.first { $0.convention == "exact" })
        XCTAssertEqual(log10(crossover.budget), 14.7, accuracy: 0.15)
        XCTAssertTrue(crossover.extrapolated)
        XCTAssertTrue(result.rankings.allSatisfy { $0.best == "mlp" })
    }

    func testDegenerateBudgetsGiveMessagesNotNaN() throws {
        func samples(_ losses: [Double?], sizes: [Double]) -> [FrontierSample] {
            zip(losses, sizes).enumerated().map { i, pair in
                FrontierSample(size: "n\(pair.1)", seed: UInt64(i), parameters: pair.1, tokens: 1e6, flops: [.exact: 1e12], loss: pair.0)
            }
        }
        let twoSizes = FrontierFits.parabola(samples([2.0, 1.9, 1.95], sizes: [1e4, 1e5, 1e5]))
        XCTAssertEqual(twoSizes.failureMessage, "needs at least 3 sizes with a test NLL, has 2")
        let failed = FrontierFits.parabola(samples([nil, nil, nil, nil], sizes: [1e4, 1e5, 1e6, 1e7]))
        XCTAssertEqual(failed.failureMessage, "every run failed or diverged (4 runs)")
        let concave = FrontierFits.parabola(samples([2.0, 2.2, 2.0], sizes: [1e4, 1e5, 1e6]))
        XCTAssertEqual(concave.failureMessage, "NLL has no minimum in log N over these sizes (the fitted curve is not convex)")
        // Still falling at the largest size: the vertex lies beyond it, fitted but not trusted.
        let falling = try FrontierFits.parabola(samples([2.0, 1.7, 1.5, 1.4], sizes: [1e4, 1e5, 1e6, 1e7])).get()
        XCTAssertFalse(falling.vertexInside)
        XCTAssertGreaterThan(falling.log10NOpt, 7)
        XCTAssertEqual(FrontierFits.powerLaw(compute: [1e12], values: [1e5]).failureMessage,
                       "needs trusted optima at 2 or more budgets, has 1")

        // A family with every kind of trouble, through the whole analysis and into JSON.
        let groups: [(budget: Double, samples: [FrontierSample])] = [
            (1e12, samples([2.0, 1.9, 1.95], sizes: [1e4, 1e5, 1e5])),
            (1e13, samples([nil, nil, nil], sizes: [1e4, 1e5, 1e6])),
            (1e14, samples([2.0, 1.7, 1.5, 1.4], sizes: [1e4, 1e5, 1e6, 1e7])),
        ]
        let family = FrontierFamily(name: "mlp ctx=32", arch: "mlp", context: 32, groups: groups)
        let result = FrontierAnalysis.analyze(dataset: "synthetic", families: [family], options: Self.quickOptions)
        let budgets = try XCTUnwrap(result.families.first?.budgets)
        XCTAssertEqual(budgets.map(\.trusted), [false, false, false])
        XCTAssertEqual(try XCTUnwrap(budgets[0].comparisonLoss), 1.925, accuracy: 1e-12)
        XCTAssertNil(budgets[1].comparisonLoss)
        XCTAssertEqual(budgets[1].failedRuns, 3)
        XCTAssertTrue(budgets[2].problem?.hasPrefix("vertex outside the sampled sizes") ?? false, budgets[2].problem ?? "")
        XCTAssertEqual(result.rankings[1].problem, "no family has a test NLL at this budget")
        XCTAssertNotNil(result.families[0].laws[0].problem)
        let json = String(decoding: try FrontierReport.encode(FrontierReportData(generatedBy: "test", datasets: [result])), as: UTF8.self)
        for bad in ["nan", "NaN", "inf"] { XCTAssertFalse(json.contains(bad), "frontier.json holds \(bad)") }
        let markdown = FrontierReport.markdown(result)
        for bad in ["nan", "NaN", "inf "] { XCTAssertFalse(markdown.contains(bad), "the report holds \(bad):\n\(markdown)") }
        XCTAssertTrue(markdown.contains("every run failed or diverged (3 runs)"), markdown)
    }

    func testBootstrapIsDeterministic() throws {
        let family = Self.family(Law())
        var options = Self.quickOptions
        options.replicates = 50
        options.parametricReplicates = 0
        let first = FrontierAnalysis.analyze(dataset: "s", families: [family], options: options)
        let second = FrontierAnalysis.analyze(dataset: "s", families: [family], options: options)
        XCTAssertEqual(try FrontierReport.encode(FrontierReportData(generatedBy: "t", datasets: [first])),
                       try FrontierReport.encode(FrontierReportData(generatedBy: "t", datasets: [second])))
    }
}

extension Result where Failure == FitProblem {
    var failureMessage: String? { if case .failure(let problem) = self { return problem.message } else { return nil } }
}
