import Foundation
import Training

/// The report's figures, each built from records alone (never from a table), so a report of a
/// merged journal equals the report of one complete run. No figure hides a run: every run a
/// figure applies to is a point or a line in it (each names its runs in `data-runs`).
///
/// Colours are Okabe and Ito's colour-blind-safe palette, one per architecture; series of one
/// architecture differ in line pattern and marker. A sweep over budgets gets one panel per
/// budget, with one y range for all panels.
enum ReportFigures {
    static func color(_ arch: RunConfig.Architecture) -> String {
        switch arch {
        case .linear: return "#0072B2"      // blue
        case .mlp: return "#E69F00"         // orange
        case .attention: return "#009E73"   // bluish green
        case .transformer: return "#D55E00" // vermilion
        }
    }

    /// Colours of a compared key's values (Okabe and Ito's, blue and vermilion first).
    static let comparedColors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]

    static func marker(_ arch: RunConfig.Architecture) -> SVGPlot.Marker {
        SVGPlot.Marker.allCases[ResultsTable.rank(arch) % SVGPlot.Marker.allCases.count]
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

    static let nllLabel = "test NLL (nats per token)"

    static func scored(_ records: [RunRecord]) -> [RunRecord] {
        records.filter { $0.status == .ok && ($0.testNLL?.isFinite ?? false) }
    }

    // MARK: panels and groups

    /// The budget keys that vary among `records`: one panel per combination of their values.
    static func panelKeys(_ records: [RunRecord]) -> [String] {
        ["flop_budget", "token_budget"].filter { key in
            Set(records.map { ConfigColumns.tableFields($0.config)[key] }).count > 1
        }
    }

    /// `records` split by their panel keys' values (sorted by value), with a title each.
    static func panels(_ records: [RunRecord], keys: [String]) -> [(title: String, records: [RunRecord])] {
        guard !keys.isEmpty else { return [("", records)] }
        let byPanel = Dictionary(grouping: records) { r in keys.map { ConfigColumns.tableFields(r.config)[$0] } }
        return byPanel.keys.sorted { a, b in
            zip(a, b).first { $0 != $1 }.map { (number($0.0) ?? -1) < (number($0.1) ?? -1) } ?? false
        }.map { values in
            let title = zip(keys, values).map { key, value in
                value.map { "\(key == "flop_budget" ? "budget" : key) \(ConfigColumns.readableText($0))\(key == "flop_budget" ? " FLOPs" : "")" }
                    ?? "no \(key)"
            }.joined(separator: ", ")
            return (title, byPanel[values]!)
        }
    }

    static func number(_ value: RunField.Value?) -> Double? {
        switch value {
        case .int(let v)?: return Double(v)
        case .double(let v)?: return v
        default: return nil
        }
    }

    /// A set of runs drawn as one series: the same config but for the x key, the seed, the
    /// panel keys and keys derived from the others.
    struct Group {
        let key: String
        let arch: RunConfig.Architecture
        let fields: [String: RunField.Value]
        var label: String
        var dash: SVGPlot.Dash = .solid
        var marker: SVGPlot.Marker = .circle
    }

    /// Groups of `records` for series along `x` (nil: no x key, as for learning curves).
    /// A key is dropped from the grouping when the other keys and x determine it (eval_stride
    /// from context, MLP widths from depth, the objective from the architecture), so such
    /// keys never split a series; they are tried in the reverse of the table's column order.
    static func groups(_ records: [RunRecord], x: String?, panelKeys: [String]) -> (byRun: [String: String], groups: [String: Group]) {
        let fields = Dictionary(uniqueKeysWithValues: records.map { ($0.id, ConfigColumns.tableFields($0.config)) })
        let ignored = Set(["seed"] + panelKeys + (x.map { [$0] } ?? []))
        var keys = Set(fields.values.flatMap(\.keys)).subtracting(ignored)
        let candidates = keys.sorted { ConfigColumns.position($0) > ConfigColumns.position($1) }
        for key in candidates where key != "arch" && key != "dataset" {
            let others = keys.subtracting([key]).sorted()
            var seen: [String: RunField.Value?] = [:]
            var determined = true
            for r in records {
                let f = fields[r.id]!
                let context = others.map { "\($0)=\(f[$0].map { "\($0)" } ?? "-")" }.joined(separator: ",")
                    + "|x=\(x.flatMap { f[$0] }.map { "\($0)" } ?? "-")"
                if let earlier = seen[context], earlier != f[key] { determined = false; break }
                seen[context] = f[key]
            }
            if determined { keys.remove(key) }
        }
        let kept = keys.sorted()
        func groupKey(_ f: [String: RunField.Value]) -> String { kept.map { "\($0)=\(f[$0].map { "\($0)" } ?? "-")" }.joined(separator: ",") }
        var byRun: [String: String] = [:], groups: [String: Group] = [:]
        for r in records {
            let f = fields[r.id]!
            let key = groupKey(f)
            byRun[r.id] = key
            if groups[key] == nil {
                groups[key] = Group(key: key, arch: r.config.arch, fields: f.filter { kept.contains($0.key) }, label: "")
            }
        }
        // Labels: the architecture, then each kept key whose value differs between groups.
        let varying = kept.filter { key in Set(groups.values.map { $0.fields[key] }).count > 1 && key != "arch" && key != "dataset" }
            .sorted { ConfigColumns.position($0) < ConfigColumns.position($1) }
        for (key, group) in groups {
            let parts = varying.compactMap { k in group.fields[k].map { "\(k)=\(ConfigColumns.readableText($0))" } }
            groups[key]!.label = ([group.arch.rawValue] + parts).joined(separator: " ")
        }
        // Styles: within an architecture, a line pattern each, then a marker each.
        let ordered = orderedGroups(groups)
        var perArch: [RunConfig.Architecture: Int] = [:]
        for group in ordered {
            let index = perArch[group.arch, default: 0]
            perArch[group.arch] = index + 1
            groups[group.key]!.dash = SVGPlot.Dash.allCases[index % 4]
            groups[group.key]!.marker = SVGPlot.Marker.allCases[(index / 4 + ResultsTable.rank(group.arch)) % 4]
        }
        return (byRun, groups)
    }

    /// Architecture first, then each key in column order, numbers by value.
    static func orderedGroups(_ groups: [String: Group]) -> [Group] {
        let keys = Set(groups.values.flatMap(\.fields.keys)).sorted { ConfigColumns.position($0) < ConfigColumns.position($1) }
        return groups.values.sorted { a, b in
            if a.arch != b.arch { return ResultsTable.rank(a.arch) < ResultsTable.rank(b.arch) }
            for key in keys where a.fields[key] != b.fields[key] {
                let (x, y) = (number(a.fields[key]), number(b.fields[key]))
                if let x, let y { return x < y }
                return (a.fields[key].map { "\($0)" } ?? "") < (b.fields[key].map { "\($0)" } ?? "")
            }
            return a.key < b.key
        }
    }

    /// One group per architecture.
    static func architectureGroups(_ records: [RunRecord]) -> (byRun: [String: String], groups: [String: Group]) {
        var byRun: [String: String] = [:], groups: [String: Group] = [:]
        for r in records {
            byRun[r.id] = r.config.arch.rawValue
            groups[r.config.arch.rawValue] = Group(key: r.config.arch.rawValue, arch: r.config.arch, fields: [:],
                                                   label: r.config.arch.rawValue, marker: marker(r.config.arch))
        }
        return (byRun, groups)
    }

    /// A run's config with the seed set aside: the seeds of one config share it.
    static func seedless(_ record: RunRecord) -> String {
        var config = record.config
        config.seed = 0
        return config.id
    }

    /// Shares one y range between panels.
    static func sharingY(_ panels: [SVGPlot]) -> [SVGPlot] {
        let extents = panels.compactMap(\.yExtent)
        guard panels.count > 1, let low = extents.map(\.0).min(), let high = extents.map(\.1).max() else { return panels }
        return panels.map { var p = $0; p.yRange = (low, high); return p }
    }

    // MARK: figures

    /// Test NLL against training FLOPs (log axis), one open marker per run, shaped and coloured
    /// by architecture, with the Pareto frontier (the runs no cheaper run beats) through them.
    static func nllVersusFLOPs(_ records: [RunRecord], dataset: String, convention: FLOPConvention) -> SVGFigure {
        var plot = SVGPlot(title: "", xLabel: convention.label, yLabel: nllLabel, xScale: .log10)
        let scored = scored(records).filter { convention.value($0) > 0 }
        for arch in RunConfig.Architecture.allCases {
            let points = scored.filter { $0.config.arch == arch }
                .map { SVGPlot.Point(x: convention.value($0), y: $0.testNLL!, runs: [$0.id]) }
            if !points.isEmpty {
                plot.series.append(.init(name: arch.rawValue, color: color(arch), marker: marker(arch), points: points))
            }
        }
        let frontier = paretoFrontier(scored.map { (convention.value($0), $0.testNLL!) })
        if frontier.count > 1 {
            plot.series.append(.init(name: "Pareto frontier", color: "#000000", style: .line, dash: .dashed,
                                     points: frontier.map { SVGPlot.Point(x: $0.0, y: $0.1) }))
        }
        return SVGFigure(title: "\(dataset): test NLL vs compute (\(convention.rawValue))", panels: [plot])
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

    /// Test NLL against one config key (context, depth) or the parameter count: a panel per
    /// budget, a line per group across the key's values, mean ± standard deviation over seeds.
    /// Every scored run with the key is a point (a group at one value is a lone marker); nil
    /// when the key takes one value only.
    static func nllVersus(_ key: String, _ records: [RunRecord], dataset: String, xLabel: String,
                          xScale: SVGPlot.Scale = .linear, integer: Bool = true) -> SVGFigure? {
        let value: (RunRecord) -> Double? = key == "params" ? { Double($0.paramsTotal) }
            : { number(ConfigColumns.tableFields($0.config)[key]) }
        let runs = scored(records).filter { value($0) != nil }
        guard Set(runs.map(value)).count > 1 else { return nil }
        let keys = panelKeys(runs)
        // Against size, a line per architecture through its configs (the iso-FLOP profile);
        // against a key, a line per group.
        let (byRun, groups) = key == "params"
            ? architectureGroups(runs) : groups(runs, x: key, panelKeys: keys)
        var plots: [SVGPlot] = []
        for panel in panels(runs, keys: keys) {
            var plot = SVGPlot(title: panel.title, xLabel: xLabel, yLabel: nllLabel, xScale: xScale)
            plot.integerX = integer
            for group in orderedGroups(groups) {
                let members = panel.records.filter { byRun[$0.id] == group.key }
                guard !members.isEmpty else { continue }
                // The seeds of one config share a point (against size, configs of one size do not).
                let byPoint = Dictionary(grouping: members) { r in key == "params" ? seedless(r) : "\(value(r)!)" }
                let points = byPoint.values.map { rs -> SVGPlot.Point in
                    let s = Summary(rs.map { $0.testNLL! })
                    return SVGPlot.Point(x: value(rs[0])!, y: s.mean, yError: s.count > 1 ? s.std : nil, runs: rs.map(\.id).sorted())
                }.sorted { ($0.x, $0.y, $0.runs.first ?? "") < ($1.x, $1.y, $1.runs.first ?? "") }
                plot.series.append(.init(name: group.label, color: color(group.arch), style: .lineAndMarkers,
                                         dash: group.dash, marker: group.marker, points: points))
            }
            plots.append(plot)
        }
        let seeds = Set(runs.map(\.config.seed)).count > 1 ? " (mean ± sd over seeds)" : ""
        return SVGFigure(title: "\(dataset): test NLL vs \(key)\(seeds)", panels: sharingY(plots))
    }

    /// Valid NLL at every evaluation, a line per run, a panel per budget. Up to a dozen runs,
    /// each is named; past that, runs of one group (seeds) share a style and one legend entry
    /// that counts them.
    /// `colorKey`: the config key the figure compares (`positions`), a colour per value in
    /// place of the architecture's. Seeds of one configuration get a pattern each only where
    /// no other configuration of the architecture needs patterns to be told apart; otherwise a
    /// configuration's seeds share its pattern and one legend entry.
    static func learningCurves(_ records: [RunRecord], dataset: String, title: String? = nil, colorKey: String? = nil) -> SVGFigure? {
        let curves = records.filter { $0.validNLL.count > 1 && $0.validSteps.count == $0.validNLL.count }
        guard !curves.isEmpty else { return nil }
        let keys = panelKeys(curves)
        let (byRun, groups) = groups(curves, x: nil, panelKeys: keys)
        let seedsVary = Set(curves.map(\.config.seed)).count > 1
        let oneGroupPerArch = Dictionary(grouping: groups.values, by: \.arch).values.allSatisfy { $0.count == 1 }
        let perRun = curves.count <= 12 && (!seedsVary || oneGroupPerArch)
        let colorValues = colorKey.map { key in Array(Set(groups.values.compactMap { $0.fields[key].map(ConfigColumns.readableText) })).sorted() } ?? []
        func groupColor(_ group: Group) -> String {
            guard let key = colorKey, let value = group.fields[key].map(ConfigColumns.readableText),
                  let index = colorValues.firstIndex(of: value) else { return color(group.arch) }
            return Self.comparedColors[index % Self.comparedColors.count]
        }
        // With a colour per compared value, patterns count within each colour.
        var groupDash: [String: SVGPlot.Dash] = [:], perColor: [String: Int] = [:]
        for group in orderedGroups(groups) {
            let index = perColor[groupColor(group), default: 0]
            perColor[groupColor(group)] = index + 1
            groupDash[group.key] = colorKey == nil ? group.dash : SVGPlot.Dash.allCases[index % 4]
        }
        var plots: [SVGPlot] = []
        for panel in panels(curves, keys: keys) {
            var plot = SVGPlot(title: panel.title, xLabel: "training step", yLabel: "valid NLL (nats per token)")
            plot.integerX = true
            for group in orderedGroups(groups) {
                let members = ResultsTable(panel.records.filter { byRun[$0.id] == group.key }).rows
                let total = curves.filter { byRun[$0.id] == group.key }.count
                for (index, r) in members.enumerated() {
                    let name = perRun ? group.label + (seedsVary ? " seed=\(r.config.seed)" : "")
                        : group.label + (total > 1 ? " (\(total) runs)" : "")
                    let points = zip(r.validSteps, r.validNLL).map { SVGPlot.Point(x: Double($0), y: $1, runs: [r.id]) }
                    // Seeds of one named group: the same colour, a pattern each.
                    let base = groupDash[group.key] ?? group.dash
                    let dash = perRun && seedsVary ? SVGPlot.Dash.allCases[(base.rawValue + index) % 4] : base
                    plot.series.append(.init(name: name, color: groupColor(group), style: .line, dash: dash,
                                             marker: group.marker, inLegend: perRun || index == 0, points: points))
                }
            }
            plots.append(plot)
        }
        return SVGFigure(title: title ?? "\(dataset): validation NLL during training", panels: sharingY(plots))
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
