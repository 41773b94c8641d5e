import Corpus
import Foundation
import Training

/// `lmsweep plan` for an isoflop spec: at each budget, every family's sizes with their
/// non-embedding N, predicted steps, training targets and epochs over the train split, and the
/// predicted core-hours per budget and in all.
public enum IsoFLOPPlan {
    /// The plan's text. Times use each architecture's median measured rate among `finished`
    /// (tiny linear steps run far below a transformer's FLOP rate), else `cost`'s rate.
    public static func text(jobs: [Job], design: IsoFLOPDesign, finished: [RunRecord], cost: CostModel) -> String {
        let rates = ratesByArchitecture(finished)
        func seconds(_ job: Job) -> Double { job.predictedFLOPs / (rates[job.run.architecture] ?? cost.flopsPerSecond) }
        let byBudget = Dictionary(grouping: jobs.filter { $0.run.flopBudget != nil }) { $0.run.flopBudget! }
        var out = "isoflop: \(design.budgets.count) budgets, \(design.ladderLengths.map { "\($0.arch.rawValue) \($0.rungs) rungs" }.joined(separator: ", "))"
        out += design.sizes.map { ", \($0) sizes per budget" } ?? ""
        out += "\nepochs = training targets / tokens of the train split; steps predicted from the cost model "
        out += "(a run measures its first step's exact FLOPs and sets its length from them)\n"
        let rateText = RunConfig.Architecture.allCases.compactMap { arch in rates[arch].map { "\(arch.rawValue) \(ResultsTable.sci($0))" } }
        out += "rates (FLOP/s): " + (rateText.isEmpty ? "\(ResultsTable.sci(cost.flopsPerSecond)) for every architecture (\(cost.flopsPerSecond == CostModel.assumedFlopsPerSecond ? "assumed" : "measured"))"
                                   : rateText.joined(separator: ", ") + " measured; others \(ResultsTable.sci(cost.flopsPerSecond))") + "\n"
        var totalSeconds = 0.0, fewSteps: [String] = [], capped: [String] = []
        for (index, budget) in design.budgets.enumerated() {
            let budgetJobs = (byBudget[budget] ?? []).filter { $0.run.seed == 0 }.sorted(by: order)
            let all = byBudget[budget] ?? []
            let budgetSeconds = all.reduce(0) { $0 + seconds($1) }
            totalSeconds += budgetSeconds
            out += "\nbudget \(ResultsTable.sci(budget)) FLOPs: \(all.count) runs (\(design.seeds[index]) seeds), "
            out += String(format: "%.2f predicted core-hours\n", budgetSeconds / 3600)
            var rows = [["family", "size", "N non-emb", "log10 N", "steps", "targets", "epochs", "core-h (all seeds)"]]
            for job in budgetJobs {
                let run = job.run
                let splits = PublishedSplits.tokens(run.dataset, run.convention)
                let vocabulary = splits?.vocabulary ?? (run.corpus.level == .word ? 10_000 : 100)
                let n = CostEstimate.parameters(run, vocabularySize: vocabulary).nonEmbedding
                let steps = CostEstimate.predictedSteps(run, vocabularySize: vocabulary)
                let windows = min(steps * run.batchSize, run.epochs * run.windowsPerEpoch)
                let targets = windows * run.targetsPerWindow
                let train = min(run.maxTrainTokens ?? splits?.train ?? 0, splits?.train ?? .max)
                let seeds = all.filter { $0.run.config.withSeed(0) == run.config }
                if CostEstimate.predictedTrainingFLOPs(run, vocabularySize: vocabulary) < 0.99 * budget {
                    capped.append("\(run.summary) at \(ResultsTable.sci(budget))")
                }
                if steps < 100 { fewSteps.append("\(run.summary) at \(ResultsTable.sci(budget)): \(steps) steps") }
                rows.append(["\(run.architecture.rawValue) ctx=\(run.context)", size(run), "\(n)", String(format: "%.2f", log10(Double(max(1, n)))),
                             "\(steps)", "\(targets)", train > 0 ? String(format: "%.1f", Double(targets) / Double(train)) : "–",
                             String(format: "%.3f", seeds.reduce(0) { $0 + seconds($1) } / 3600)])
            }
            out += table(rows)
        }
        out += String(format: "\nisoflop total: %d runs, %.2f predicted core-hours\n", byBudget.values.reduce(0) { $0 + $1.count }, totalSeconds / 3600)
        if !fewSteps.isEmpty {
            out += "warning: fewer than 100 steps, so the realized FLOPs may miss the budget by more than 0.5%: "
            out += fewSteps.joined(separator: "; ") + "\n"
        }
        for warning in ladderSpacing(jobs) { out += "warning: \(warning)\n" }
        if !capped.isEmpty {
            out += "warning: epochs × windows_per_epoch or max_steps stop these runs before their budget (raise them): "
            out += capped.joined(separator: "; ") + "\n"
        }
        return out
    }

    /// Ladders whose sizes are not roughly evenly spaced in log N: a step between neighbouring
    /// rungs under half or over twice the ladder's median step (the parabola fits weigh every
    /// size alike, so a crowded end pulls the vertex).
    static func ladderSpacing(_ jobs: [Job]) -> [String] {
        let families = Dictionary(grouping: jobs) { "\($0.run.architecture.rawValue) ctx=\($0.run.context)" }
        return families.keys.sorted().compactMap { family in
            let sizes = Set(families[family]!.map { job -> Int in
                let vocabulary = PublishedSplits.tokens(job.run.dataset, job.run.convention)?.vocabulary ?? 100
                return CostEstimate.parameters(job.run, vocabularySize: vocabulary).nonEmbedding
            }).sorted()
            guard sizes.count >= 3 else { return nil }
            let steps = zip(sizes, sizes.dropFirst()).map { log10(Double($1) / Double(max(1, $0))) }
            let median = FrontierMath.median(steps)
            guard median > 0, let worst = steps.max(by: { abs(log2($0 / median)) < abs(log2($1 / median)) }),
                  worst < median / 2 || worst > 2 * median else { return nil }
            return String(format: "the %@ sizes are unevenly spaced in log10 N: steps %@ (median %.2f)", family,
                          steps.map { String(format: "%.2f", $0) }.joined(separator: ", "), median)
        }
    }

    /// Median predicted FLOPs per measured second of each architecture's finished runs.
    static func ratesByArchitecture(_ records: [RunRecord]) -> [RunConfig.Architecture: Double] {
        let ok = records.filter { $0.status == .ok && $0.wallSeconds > 0 }
        return Dictionary(grouping: ok, by: \.config.arch).mapValues { runs in
            FrontierMath.median(runs.map { Job(config: $0.config).predictedFLOPs / $0.wallSeconds })
        }
    }

    static func order(_ a: Job, _ b: Job) -> Bool {
        let (x, y) = (a.run, b.run)
        let ka = (RunConfig.Architecture.allCases.firstIndex(of: x.architecture)!, x.context, a.parameters)
        let kb = (RunConfig.Architecture.allCases.firstIndex(of: y.architecture)!, y.context, b.parameters)
        return ka < kb
    }

    /// The keys that set a run's size: `d=32 depth=2`, `d=8 hidden=128`.
    static func size(_ run: Run) -> String {
        switch run.architecture {
        case .linear: return "d=\(run.dModel)"
        case .mlp: return "d=\(run.dModel) hidden=\(run.hidden.map(String.init).joined(separator: "x"))"
        case .attention, .transformer: return "d=\(run.dModel) depth=\(run.depth) heads=\(run.heads) ffn=\(run.ffnWidth)"
        }
    }

    static func table(_ rows: [[String]]) -> String {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { cells in
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return index < 2 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}

extension RunConfig {
    /// This config with another seed.
    func withSeed(_ seed: UInt64) -> RunConfig { var c = self; c.seed = seed; return c }
}
