import Foundation
import Training

/// How the frontier is fitted.
public struct FrontierOptions: Sendable {
    public enum ParameterCount: String, Sendable { case nonEmbedding = "non-embedding", total }
    /// N in every fit: non-embedding parameters (Kaplan et al. 2020), or all of them.
    public var parameterCount: ParameterCount = .nonEmbedding
    /// Bootstrap replicates of approach 2 (parabolas and their laws).
    public var replicates = 1000
    /// Bootstrap replicates of approach 3 (each a Nelder–Mead polish of the full fit).
    public var parametricReplicates = 100
    /// The bootstrap's seed: a report is the same bytes each time it is made from one journal.
    public var seed: UInt64 = 0x46524F4E54  // "FRONT"
    /// Starts of the parametric fit; nil for the grid (``FrontierFits/parametricStarts(minimumLoss:)``).
    public var parametricStarts: [[Double]]? = nil
    public init() {}
}

/// One family's runs, by budget.
public struct FrontierFamily: Sendable {
    public var name: String
    public var arch: String
    public var context: Int
    public var groups: [(budget: Double, samples: [FrontierSample])]
    public init(name: String, arch: String, context: Int, groups: [(budget: Double, samples: [FrontierSample])]) {
        self.name = name; self.arch = arch; self.context = context; self.groups = groups
    }
}

public enum FrontierAnalysis {
    /// Keys that make a run's size: a family's runs differ in these, the budget and the seed.
    static let sizeKeys: Set<String> = ["d_model", "depth", "hidden", "hidden_width", "ffn_width", "heads"]

    /// The frontier of each dataset among `records`: the runs sized to a FLOP budget
    /// (`size_to_budget`), grouped into families. Empty when there are none.
    public static func analyze(_ records: [RunRecord], options: FrontierOptions = FrontierOptions()) -> [DatasetFrontier] {
        let isoflop = records.filter { $0.config.sizeToBudget == true && $0.config.flopBudget != nil }
        let byDataset = Dictionary(grouping: isoflop) { Report.corpusName($0.config) }
        return byDataset.keys.sorted().map { dataset in
            analyze(dataset: dataset, families: families(byDataset[dataset]!, options: options), options: options)
        }
    }

    /// Groups records into families and budgets.
    static func families(_ records: [RunRecord], options: FrontierOptions) -> [FrontierFamily] {
        var familyFields: [String: [String: RunField]] = [:]
        var members: [String: [RunRecord]] = [:]
        for record in records {
            var fields = record.config.fieldsByKey
            for key in sizeKeys.union(["seed", "flop_budget"]) { fields[key] = nil }
            let key = RunField.groupKey(fields)
            familyFields[key] = fields
            members[key, default: []].append(record)
        }
        // A family is named by its architecture and context, plus the keys in which families of
        // one architecture differ (the stride follows the context).
        let byArch = Dictionary(grouping: familyFields.values) { $0["arch"]?.text ?? "" }
        let varyingInArch = byArch.mapValues { sets in
            RunField.varyingKeys(sets).filter { !["arch", "context", "eval_stride"].contains($0) }
        }
        let archOrder = RunConfig.Architecture.allCases.map(\.rawValue)
        return familyFields.keys.map { key -> FrontierFamily in
            let fields = familyFields[key]!, runs = members[key]!
            let config = runs[0].config
            let varying = varyingInArch[config.arch.rawValue] ?? []
            let name = (["\(config.arch.rawValue) ctx=\(config.context)"] + varying.compactMap { k in fields[k].map { "\(k)=\($0.text)" } })
                .joined(separator: " ")
            let byBudget = Dictionary(grouping: runs) { $0.config.flopBudget! }
            let groups = byBudget.keys.sorted().map { budget in (budget, byBudget[budget]!.map { sample($0, options: options) }) }
            return FrontierFamily(name: name, arch: config.arch.rawValue, context: config.context, groups: groups)
        }.sorted { (archOrder.firstIndex(of: $0.arch) ?? 0, $0.context, $0.name) < (archOrder.firstIndex(of: $1.arch) ?? 0, $1.context, $1.name) }
    }

    static func sample(_ record: RunRecord, options: FrontierOptions) -> FrontierSample {
        var fields = record.config.fieldsByKey
        fields["seed"] = nil; fields["flop_budget"] = nil
        let n = options.parameterCount == .total ? record.paramsTotal : record.paramsNonEmbedding
        let loss = record.status == .ok ? record.testNLL.flatMap { $0.isFinite ? $0 : nil } : nil
        return FrontierSample(size: RunField.groupKey(fields), seed: record.config.seed, parameters: Double(n),
                              tokens: Double(record.tokensTrained),
                              flops: [.exact: record.flopsExact, .study: record.flopsStudy, .sixN: record.flops6N], loss: loss)
    }

    /// One budget's estimates, from its runs (or a resample of them).
    struct Estimate {
        var fit: ParabolaFit?
        var problem: String?
        var trusted: Bool { fit?.vertexInside ?? false }
        var comparisonLoss: Double?
        var compute: [FrontierConvention: Double] = [:]
    }

    static func estimate(_ samples: [FrontierSample]) -> Estimate {
        var estimate = Estimate()
        switch FrontierFits.parabola(samples) {
        case .success(let fit):
            estimate.fit = fit
            if !fit.vertexInside {
                estimate.problem = String(format: "vertex outside the sampled sizes (N_opt = %.3g; sampled %.3g to %.3g): not trusted",
                                          fit.nOpt, pow(10, fit.sampledLog10N[0]), pow(10, fit.sampledLog10N[1]))
            }
            for convention in FrontierConvention.allCases {
                estimate.compute[convention] = FrontierFits.compute(convention, at: fit.log10NOpt, of: samples)
            }
        case .failure(let problem):
            estimate.problem = problem.message
        }
        estimate.comparisonLoss = estimate.trusted ? estimate.fit!.lOpt : FrontierFits.bestObserved(samples)?.loss
        return estimate
    }

    /// The N_opt and L_opt laws of one family's budget estimates under one convention.
    static func laws(_ estimates: [Estimate], _ convention: FrontierConvention) -> (nOpt: PowerLaw?, lOpt: PowerLaw?, problem: String?) {
        let trusted = estimates.filter { $0.trusted && $0.compute[convention] != nil }
        let compute = trusted.map { $0.compute[convention]! }
        let nOpt = FrontierFits.powerLaw(compute: compute, values: trusted.map { $0.fit!.nOpt })
        let lOpt = FrontierFits.powerLaw(compute: compute, values: trusted.map { $0.fit!.lOpt })
        var problem: String?
        if case .failure(let p) = nOpt { problem = p.message }
        return (try? nOpt.get(), try? lOpt.get(), problem)
    }

    /// The whole analysis of one dataset's families.
    public static func analyze(dataset: String, families: [FrontierFamily], options: FrontierOptions) -> DatasetFrontier {
        let estimates = families.map { $0.groups.map { estimate($0.samples) } }
        // Bootstrap replicates, each with a generator of its own seed so that a replicate's
        // draws do not depend on how many the others made.
        var replicates: [[[Estimate]]] = []
        for r in 0..<options.replicates {
            var generator = SeededGenerator(seed: options.seed &+ UInt64(r) &* 0x9E37_79B9)
            replicates.append(families.map { family in family.groups.map { estimate(FrontierFits.resample($0.samples, &generator)) } })
        }

        var results: [FamilyFrontier] = []
        var lawsByConvention: [FrontierConvention: [PowerLaw?]] = [:]
        var replicateLaws: [FrontierConvention: [[PowerLaw?]]] = [:]
        for (fi, family) in families.enumerated() {
            var budgets: [BudgetFit] = []
            for (bi, group) in family.groups.enumerated() {
                let e = estimates[fi][bi]
                let observed = FrontierFits.bestObserved(group.samples)
                let trustedReplicates = replicates.map { $0[fi][bi] }.filter(\.trusted)
                budgets.append(BudgetFit(
                    budget: group.budget, runs: group.samples.count,
                    failedRuns: group.samples.filter { $0.loss == nil }.count,
                    sizes: Set(group.samples.map(\.size)).count, fit: e.fit, problem: e.problem, trusted: e.trusted,
                    nOptInterval: e.trusted ? Interval.of(trustedReplicates.map { $0.fit!.nOpt }) : nil,
                    lOptInterval: e.trusted ? Interval.of(trustedReplicates.map { $0.fit!.lOpt }) : nil,
                    computeAtOptimum: Dictionary(uniqueKeysWithValues: e.compute.map { ($0.key.rawValue, $0.value) }),
                    bestObservedLoss: observed?.loss, bestObservedParameters: observed?.parameters,
                    comparisonLoss: e.comparisonLoss,
                    points: group.samples.compactMap { s in s.loss.map { FrontierPoint(parameters: s.parameters, seed: s.seed, loss: $0) } }))
            }
            var laws: [ScalingLaws] = []
            for convention in FrontierConvention.allCases {
                let point = Self.laws(estimates[fi], convention)
                let perReplicate = replicates.map { Self.laws($0[fi], convention) }
                lawsByConvention[convention, default: []].append(point.lOpt)
                replicateLaws[convention, default: []].append(perReplicate.map(\.lOpt))
                laws.append(ScalingLaws(convention: convention.rawValue, nOpt: point.nOpt,
                                        nOptExponentInterval: point.nOpt == nil ? nil : Interval.of(perReplicate.compactMap { $0.nOpt?.exponent }),
                                        lOpt: point.lOpt,
                                        lOptExponentInterval: point.lOpt == nil ? nil : Interval.of(perReplicate.compactMap { $0.lOpt?.exponent }),
                                        problem: point.problem))
            }
            let parametric = parametricResult(family, exactLaw: laws.first { $0.convention == FrontierConvention.exact.rawValue }!,
                                              options: options, familyIndex: fi)
            results.append(FamilyFrontier(name: family.name, arch: family.arch, context: family.context,
                                          budgets: budgets, laws: laws, parametric: parametric))
        }
        return DatasetFrontier(
            dataset: dataset, parameterCount: options.parameterCount.rawValue, replicates: options.replicates,
            bootstrapSeed: options.seed, families: results,
            rankings: rankings(families, estimates, replicates),
            crossovers: FrontierConvention.allCases.flatMap { convention in
                crossovers(families, results, laws: lawsByConvention[convention] ?? [], replicates: replicateLaws[convention] ?? [],
                           convention: convention)
            },
            bestContexts: bestContexts(families, estimates))
    }

    /// The ranking at every budget any family was run at.
    static func rankings(_ families: [FrontierFamily], _ estimates: [[Estimate]], _ replicates: [[[Estimate]]]) -> [BudgetRanking] {
        let budgets = Set(families.flatMap { $0.groups.map(\.budget) }).sorted()
        return budgets.map { budget in
            // (family index, budget index) of every family run at this budget.
            let present = families.indices.compactMap { fi in families[fi].groups.firstIndex { $0.budget == budget }.map { (fi, $0) } }
            let scored = present.compactMap { fi, bi in estimates[fi][bi].comparisonLoss.map { (fi, bi, $0) } }.sorted { $0.2 < $1.2 }
            var ranking = BudgetRanking(budget: budget, untrusted: present.filter { !estimates[$0.0][$0.1].trusted }.map { families[$0.0].name })
            guard let best = scored.first else {
                ranking.problem = "no family has a test NLL at this budget"
                return ranking
            }
            ranking.best = families[best.0].name
            ranking.bestLoss = best.2
            var wins = 0, counted = 0
            for replicate in replicates {
                let losses = present.compactMap { fi, bi in replicate[fi][bi].comparisonLoss.map { (fi, $0) } }
                guard let winner = losses.min(by: { $0.1 < $1.1 }) else { continue }
                counted += 1
                if winner.0 == best.0 { wins += 1 }
            }
            ranking.bestShare = counted > 0 ? Double(wins) / Double(counted) : nil
            guard scored.count > 1 else {
                ranking.problem = "one family only"
                return ranking
            }
            let second = scored[1]
            ranking.runnerUp = families[second.0].name
            ranking.runnerUpLoss = second.2
            ranking.margin = second.2 - best.2
            ranking.marginInterval = Interval.of(replicates.compactMap { r in
                guard let a = r[best.0][best.1].comparisonLoss, let b = r[second.0][second.1].comparisonLoss else { return nil }
                return b - a
            })
            return ranking
        }
    }

    /// The budgets at which the best family changes, under one convention: where the lower
    /// envelope of the L_opt(C) laws switches from one family to another.
    static func crossovers(_ families: [FrontierFamily], _ results: [FamilyFrontier], laws: [PowerLaw?],
                           replicates: [[PowerLaw?]], convention: FrontierConvention) -> [Crossover] {
        let fitted = laws.indices.filter { laws[$0] != nil }
        guard fitted.count >= 2 else { return [] }
        // Each family's fitted span: the compute of its trusted optima.
        func span(_ fi: Int) -> ClosedRange<Double> {
            let values = results[fi].budgets.filter(\.trusted).compactMap { $0.computeAtOptimum[convention.rawValue] }
            return (values.min() ?? 1)...(values.max() ?? 1)
        }
        let low = fitted.map { span($0).lowerBound }.min()!, high = fitted.map { span($0).upperBound }.max()!
        // Scan the envelope a decade either side of the sampled compute.
        let steps = 600
        let from = log10(low) - 1, to = log10(high) + 1
        func best(atLog10 c: Double) -> Int { fitted.min { laws[$0]!.value(at: pow(10, c)) < laws[$1]!.value(at: pow(10, c)) }! }
        var result: [Crossover] = []
        var previous = best(atLog10: from)
        for step in 1...steps {
            let c = from + (to - from) * Double(step) / Double(steps)
            let current = best(atLog10: c)
            guard current != previous else { continue }
            if let budget = FrontierFits.crossover(laws[previous]!, laws[current]!) {
                let common = (max(span(previous).lowerBound, span(current).lowerBound), min(span(previous).upperBound, span(current).upperBound))
                let samples = zip(replicates[previous], replicates[current]).compactMap { a, b in
                    a.flatMap { a in b.flatMap { FrontierFits.crossover(a, $0) } }.map(log10)
                }
                result.append(Crossover(convention: convention.rawValue, below: families[previous].name, above: families[current].name,
                                        budget: budget,
                                        interval: Interval.of(samples).map { Interval(low: pow(10, $0.low), high: pow(10, $0.high), replicates: $0.replicates) },
                                        extrapolated: common.0 > common.1 || budget < common.0 || budget > common.1))
            }
            previous = current
        }
        return result
    }

    /// Per architecture and budget, the context whose family has the lowest loss.
    static func bestContexts(_ families: [FrontierFamily], _ estimates: [[Estimate]]) -> [BestContext] {
        var best: [String: BestContext] = [:]
        for (fi, family) in families.enumerated() {
            for (bi, group) in family.groups.enumerated() {
                guard let loss = estimates[fi][bi].comparisonLoss else { continue }
                let key = "\(family.arch)|\(group.budget)"
                if best[key].map({ loss < $0.loss }) ?? true {
                    best[key] = BestContext(arch: family.arch, budget: group.budget, context: family.context, loss: loss,
                                            trusted: estimates[fi][bi].trusted)
                }
            }
        }
        let archOrder = RunConfig.Architecture.allCases.map(\.rawValue)
        return best.values.sorted { (archOrder.firstIndex(of: $0.arch) ?? 0, $0.budget) < (archOrder.firstIndex(of: $1.arch) ?? 0, $1.budget) }
    }
}
