import Foundation
import Training

/// The frontier's part of a report: `frontier.json`, a Markdown section per dataset and its
/// figures, all from records (journals) alone. Written only when the records hold runs sized
/// to a FLOP budget.
public enum FrontierReport {
    /// Fits the frontier of `records`; when there is one, writes `frontier.json` and the figures
    /// into `directory`, appends the section to `markdown`, and returns the paths written.
    public static func write(records: [RunRecord], to directory: URL, markdown: inout String,
                             options: FrontierOptions = FrontierOptions()) throws -> [URL] {
        let datasets = FrontierAnalysis.analyze(records, options: options)
        guard !datasets.isEmpty else { return [] }
        var written: [URL] = []
        let json = directory.appendingPathComponent("frontier.json")
        try encode(FrontierReportData(generatedBy: "lmsweep report \(LMSweepVersion.current)", datasets: datasets))
            .write(to: json, options: .atomic)
        written.append(json)
        for frontier in datasets {
            markdown += self.markdown(frontier)
            markdown += "#### Figures\n\n"
            for (file, svg, title) in FrontierFigures.all(frontier) {
                let url = directory.appendingPathComponent(file)
                try svg.write(to: url, atomically: true, encoding: .utf8)
                written.append(url)
                markdown += "![\(title)](\(file))\n\n"
            }
        }
        return written
    }

    /// `frontier.json`'s bytes: sorted keys, so equal fits are equal files.
    public static func encode(_ data: FrontierReportData) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(data)
    }

    /// The Markdown section of one dataset's frontier.
    static func markdown(_ f: DatasetFrontier) -> String {
        var out = "## Compute-optimal frontier: \(f.dataset)\n\n"
        out += "Iso-FLOP analysis (Hoffmann et al. 2022, approaches 2 and 3). N is \(f.parameterCount) parameters; "
        out += "C is exact training FLOPs (the runs' budget) unless a table says otherwise; L is test NLL in nats per token. "
        out += "Brackets are 90% bootstrap intervals over \(f.replicates) replicates (seed \(f.bootstrapSeed)): "
        out += "sizes resampled with replacement, then each size's seeds. An optimum whose vertex lies outside the sizes "
        out += "sampled is not trusted: it is left out of the laws and ranked by its best observed loss, marked †.\n\n"

        out += "### Best family per budget\n\n| budget C | best | L | runner-up | margin | P(best) | note |\n|--:|---|--:|---|--:|--:|---|\n"
        for r in f.rankings {
            let dagger = { (name: String?) in name.map { r.untrusted.contains($0) ? "\($0) †" : $0 } ?? "–" }
            out += "| \(sci(r.budget)) | \(dagger(r.best)) | \(num(r.bestLoss)) | \(dagger(r.runnerUp)) "
            out += "| \(num(r.margin))\(bracket(r.marginInterval, num)) | \(r.bestShare.map { String(format: "%.2f", $0) } ?? "–") "
            out += "| \(cell(r.problem)) |\n"
        }

        out += "\n### Optimum per family and budget (approach 2: Huber parabola in log N)\n\n"
        out += "| family | budget C | runs (failed) | sizes | N_opt | L_opt | best observed L | parametric N_opt, L_opt | note |\n"
        out += "|---|--:|--:|--:|--:|--:|--:|--:|---|\n"
        for family in f.families {
            for b in family.budgets {
                let parametric = family.parametric.optima.first { $0.budget == b.budget }
                out += "| \(family.name) | \(sci(b.budget)) | \(b.runs) (\(b.failedRuns)) | \(b.sizes) "
                out += "| \(sci(b.fit?.nOpt))\(b.trusted ? "" : (b.fit == nil ? "" : " †"))\(bracket(b.nOptInterval, sci)) "
                out += "| \(num(b.fit?.lOpt))\(bracket(b.lOptInterval, num)) | \(num(b.bestObservedLoss)) "
                out += "| \(parametric.map { "\(sci($0.nOpt)), \(num($0.lOpt))" } ?? "–") | \(cell(b.problem)) |\n"
            }
        }

        out += "\n### Scaling laws per family (log–log fits over trusted optima)\n\n"
        out += "| family | FLOP convention | N_opt ∝ C^a: a | L_opt ∝ C^b: b | budgets | note |\n|---|---|--:|--:|--:|---|\n"
        for family in f.families {
            for law in family.laws {
                out += "| \(family.name) | \(law.convention) | \(num(law.nOpt?.exponent))\(bracket(law.nOptExponentInterval, num)) "
                out += "| \(num(law.lOpt?.exponent))\(bracket(law.lOptExponentInterval, num)) | \(law.nOpt.map { String($0.points) } ?? "–") "
                out += "| \(cell(law.problem)) |\n"
            }
        }

        out += "\n### Crossovers (where the best family changes, from the L_opt(C) laws)\n\n"
        if f.crossovers.isEmpty {
            out += "None: no two families with fitted laws change order within a decade of the budgets sampled.\n"
        } else {
            out += "| FLOP convention | best below | best above | C* | extrapolated |\n|---|---|---|--:|---|\n"
            for c in f.crossovers {
                out += "| \(c.convention) | \(c.below) | \(c.above) | \(sci(c.budget))\(bracket(c.interval, sci)) | \(c.extrapolated ? "yes: outside the budgets both were fitted at" : "no") |\n"
            }
        }

        out += "\n### Parametric cross-check (approach 3: L = E + A/N^α + B/D^β, Huber on log L, many starts)\n\n"
        out += "| family | runs | E | α | β | a = β/(α+β) | κ = C/(N·D) | agreement with approach 2 |\n|---|--:|--:|--:|--:|--:|--:|---|\n"
        for family in f.families {
            let p = family.parametric
            out += "| \(family.name) | \(p.runs) | \(num(p.law?.e))\(bracket(p.eInterval, num)) | \(num(p.law?.alpha))\(bracket(p.alphaInterval, num)) "
            out += "| \(num(p.law?.beta))\(bracket(p.betaInterval, num)) | \(num(p.law?.nOptExponent))\(bracket(p.nOptExponentInterval, num)) "
            out += "| \(num(p.kappa, digits: 2)) | \(cell(p.problem ?? p.agreement)) |\n"
        }

        if Set(f.bestContexts.map(\.context)).count > 1 || Set(f.families.map(\.context)).count > 1 {
            out += "\n### Best context per architecture and budget\n\n| arch | budget C | context | L | note |\n|---|--:|--:|--:|---|\n"
            for b in f.bestContexts {
                out += "| \(b.arch) | \(sci(b.budget)) | \(b.context) | \(num(b.loss)) | \(b.trusted ? "" : "† best observed") |\n"
            }
        }
        return out + "\n"
    }

    static func num(_ value: Double?, digits: Int = 4) -> String {
        guard let value, value.isFinite else { return "–" }
        return String(format: "%.\(digits)f", value)
    }

    static func sci(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "–" }
        return String(format: "%.3g", value)
    }

    /// ` [low, high]`, or nothing without an interval.
    static func bracket(_ interval: Interval?, _ format: (Double?) -> String) -> String {
        interval.map { " [\(format($0.low)), \(format($0.high))]" } ?? ""
    }

    static func bracket(_ interval: Interval?, _ format: (Double?, Int) -> String) -> String {
        bracket(interval) { format($0, 4) }
    }

    static func cell(_ text: String?) -> String { (text ?? "").replacingOccurrences(of: "|", with: "/") }
}
