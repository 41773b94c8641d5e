import Foundation
import Training

/// The report's figures, each built from records alone (never from a table), so a report of a
/// merged journal equals the report of one complete run.
enum ReportFigures {
    /// One colour per architecture, the same in every figure.
    static func color(_ arch: RunConfig.Architecture) -> String {
        switch arch {
        case .linear: return "#1f77b4"
        case .mlp: return "#ff7f0e"
        case .attention: return "#2ca02c"
        case .transformer: return "#d62728"
        }
    }

    /// The three FLOP conventions of the record; the study's conclusions depend on which is used.
    enum FLOPConvention: String, CaseIterable {
        case study, sixN = "6n", exact
        var label: String {
            switch self {
            case .study: return "training FLOPs, study proxy (2 × params × windows × context)"
            case .sixN: return "training FLOPs, 6N + attention (Kaplan 2020 / PaLM)"
            case .exact: return "training FLOPs, exact (tensor-core counter)"
            }
        }
        func value(_ r: RunRecord) -> Double {
            switch self {
            case .study: return r.flopsStudy
            case .sixN: return r.flops6N
            case .exact: return r.flopsExact
            }
        }
    }

    /// Test NLL against training FLOPs (log axis), one point per run coloured by architecture,
    /// with the Pareto frontier (the runs no cheaper run beats) drawn through them.
    static func nllVersusFLOPs(_ records: [RunRecord], dataset: String, convention: FLOPConvention) -> SVGPlot {
        var plot = SVGPlot(title: "\(dataset): test NLL vs compute (\(convention.rawValue))",
                           xLabel: convention.label, yLabel: "test NLL (nats per token)", xScale: .log10)
        let scored = records.filter { $0.testNLL != nil && convention.value($0) > 0 }
        for arch in RunConfig.Architecture.allCases {
            let points = scored.filter { $0.config.arch == arch }
                .map { SVGPlot.Point(x: convention.value($0), y: $0.testNLL!) }
            if !points.isEmpty { plot.series.append(.init(name: arch.rawValue, color: color(arch), points: points)) }
        }
        let frontier = paretoFrontier(scored.map { (convention.value($0), $0.testNLL!) })
        if frontier.count > 1 {
            plot.series.append(.init(name: "Pareto frontier", color: "#333333", style: .line, dashed: true,
                                     points: frontier.map { SVGPlot.Point(x: $0.0, y: $0.1) }))
        }
        return plot
    }

    /// Points sorted by cost whose loss is lower than every cheaper point's.
    static func paretoFrontier(_ points: [(Double, Double)]) -> [(Double, Double)] {
        var best = Double.infinity
        var frontier: [(Double, Double)] = []
        for p in points.sorted(by: { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }) where p.1 < best {
            frontier.append(p); best = p.1
        }
        return frontier
    }

    /// Test NLL against one config key (context, depth, positions, ...): one series per group of
    /// runs that differ only in that key and the seed, mean ± standard deviation over seeds.
    static func nllVersus(_ key: String, _ records: [RunRecord], dataset: String, xLabel: String) -> SVGPlot? {
        let scored = records.filter { $0.testNLL != nil && $0.status == .ok }
        var groups: [String: [(record: RunRecord, x: Double)]] = [:]
        var groupFields: [String: [String: RunField]] = [:]
        for r in scored {
            var fields = r.config.fieldsByKey
            guard let x = fields[key]?.number else { continue }
            fields[key] = nil; fields["seed"] = nil
            let groupKey = RunField.groupKey(fields)
            groups[groupKey, default: []].append((r, x))
            groupFields[groupKey] = fields
        }
        let series = groups.filter { Set($0.value.map(\.x)).count > 1 }
        guard !series.isEmpty else { return nil }
        // Label each series by its architecture and what varies among series of that architecture;
        // colour by architecture, dash every further series of one architecture.
        var plot = SVGPlot(title: "\(dataset): test NLL vs \(key)", xLabel: xLabel, yLabel: "test NLL (nats per token)")
        let archOrder = RunConfig.Architecture.allCases
        let ordered = series.keys.sorted { a, b in
            let (ra, rb) = (series[a]![0].record.config.arch, series[b]![0].record.config.arch)
            return (archOrder.firstIndex(of: ra)!, a) < (archOrder.firstIndex(of: rb)!, b)
        }
        var seenPerArch: [RunConfig.Architecture: Int] = [:]
        for groupKey in ordered {
            let runs = series[groupKey]!
            let arch = runs[0].record.config.arch
            let fields = groupFields[groupKey]!
            let siblings = ordered.filter { series[$0]![0].record.config.arch == arch }.compactMap { groupFields[$0] }
            let varying = RunField.varyingKeys(siblings).filter { $0 != "arch" }
            var byValue: [Double: [Double]] = [:]
            for (r, x) in runs { byValue[x, default: []].append(r.testNLL!) }
            let points = byValue.keys.sorted().map { x -> SVGPlot.Point in
                let s = Summary(byValue[x]!)
                return SVGPlot.Point(x: x, y: s.mean, yError: s.count > 1 ? s.std : nil)
            }
            let name = ([arch.rawValue] + varying.map { "\($0)=\(fields[$0]?.text ?? "-")" }).joined(separator: " ")
            let index = seenPerArch[arch, default: 0]
            seenPerArch[arch] = index + 1
            plot.series.append(.init(name: name, color: color(arch), style: .lineAndMarkers, dashed: index > 0,
                                     points: points))
        }
        return plot
    }

    /// Valid NLL at every evaluation, one line per run, coloured by architecture;
    /// RoPE runs dashed so learned vs rotary positions read at a glance.
    static func learningCurves(_ records: [RunRecord], dataset: String, title: String? = nil) -> SVGPlot? {
        let curves = records.filter { $0.validNLL.count > 1 && $0.validSteps.count == $0.validNLL.count }
        guard !curves.isEmpty else { return nil }
        var plot = SVGPlot(title: title ?? "\(dataset): validation NLL during training", xLabel: "training step",
                           yLabel: "valid NLL (nats per token)")
        // Past a dozen runs a line per legend entry stops being readable: name by architecture
        // (and positions) only, and the legend shows each name once.
        let detailed = curves.count <= 12
        for r in ResultsTable(curves).rows {
            let c = r.config
            let positions = c.positions.map { " \($0.rawValue)" } ?? ""
            let name = detailed
                ? "\(c.arch.rawValue) T=\(c.context)\(c.depth.map { " L=\($0)" } ?? "")\(positions) s\(c.seed)"
                : "\(c.arch.rawValue)\(positions)"
            plot.series.append(.init(name: name, color: color(c.arch), style: .line, dashed: c.positions == .rope,
                                     points: zip(r.validSteps, r.validNLL).map { SVGPlot.Point(x: Double($0), y: $1) }))
        }
        return plot
    }
}

/// Mean and sample standard deviation.
struct Summary {
    let count: Int
    let mean: Double
    let std: Double
    init(_ values: [Double]) {
        count = values.count
        let mean = values.reduce(0, +) / Double(max(1, values.count))
        self.mean = mean
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        std = values.count > 1 ? (squares / Double(values.count - 1)).squareRoot() : 0
    }
}
