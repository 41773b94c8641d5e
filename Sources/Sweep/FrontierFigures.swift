import Foundation

/// The frontier's figures, from the fits alone: NLL against N per budget (small multiples with
/// the parabolas), L_opt and N_opt against C with intervals and crossovers, the best context.
enum FrontierFigures {
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    static func color(_ index: Int) -> String { palette[index % palette.count] }

    /// (file name, SVG text, title) of every figure of one dataset's frontier.
    static func all(_ f: DatasetFrontier) -> [(String, String, String)] {
        let prefix = "\(f.dataset)-frontier"
        var figures: [(String, String, String)] = []
        let panels = perBudget(f)
        if !panels.isEmpty {
            figures.append(("\(prefix)-nll-vs-n.svg", smallMultiples(panels, columns: 2),
                            "\(f.dataset): test NLL against N at each budget, with each family's parabola"))
        }
        let lOpt = optimumVersusCompute(f, loss: true), nOpt = optimumVersusCompute(f, loss: false)
        figures.append(("\(prefix)-lopt-vs-c.svg", lOpt.render(), lOpt.title))
        figures.append(("\(prefix)-nopt-vs-c.svg", nOpt.render(), nOpt.title))
        if let context = bestContext(f) { figures.append(("\(prefix)-best-context.svg", context.render(), context.title)) }
        return figures
    }

    /// One panel per budget: each family's runs (every seed) and its fitted parabola over the
    /// sizes sampled (dashed when its vertex is outside them).
    static func perBudget(_ f: DatasetFrontier) -> [SVGPlot] {
        let budgets = Set(f.families.flatMap { $0.budgets.map(\.budget) }).sorted()
        return budgets.map { budget in
            var plot = SVGPlot(title: "C = \(FrontierReport.sci(budget)) FLOPs", xLabel: "N (\(f.parameterCount) parameters)",
                               yLabel: "test NLL", xScale: .log10)
            plot.width = 620; plot.height = 380
            for (index, family) in f.families.enumerated() {
                guard let b = family.budgets.first(where: { $0.budget == budget }) else { continue }
                plot.series.append(.init(name: family.name, color: color(index), style: .markers,
                                         points: b.points.map { SVGPlot.Point(x: $0.parameters, y: $0.loss) }))
                guard let fit = b.fit else { continue }
                let low = fit.sampledLog10N[0], high = fit.sampledLog10N[1]
                let curve = (0...40).map { i -> SVGPlot.Point in
                    let x = low + (high - low) * Double(i) / 40
                    return SVGPlot.Point(x: pow(10, x), y: fit.loss(atLog10N: x))
                }
                plot.series.append(.init(name: family.name, color: color(index), style: .line, dash: b.trusted ? .solid : .dashed, points: curve))
            }
            return plot
        }
    }

    /// L_opt (linear axis: losses span a fraction of a decade) or N_opt (log) against C: each family's trusted optima with their 90%
    /// intervals as bars, its fitted law as a line, and (for L_opt) the crossovers as
    /// vertical dashed lines.
    static func optimumVersusCompute(_ f: DatasetFrontier, loss: Bool) -> SVGPlot {
        var plot = SVGPlot(title: "\(f.dataset): \(loss ? "L_opt" : "N_opt") against compute (90% intervals)",
                           xLabel: "C, exact training FLOPs", yLabel: loss ? "L_opt (test NLL)" : "N_opt (\(f.parameterCount))",
                           xScale: .log10, yScale: loss ? .linear : .log10)
        for (index, family) in f.families.enumerated() {
            let trusted = family.budgets.filter { $0.trusted && $0.fit != nil }
            let points = trusted.map { SVGPlot.Point(x: $0.budget, y: loss ? $0.fit!.lOpt : $0.fit!.nOpt) }
            plot.series.append(.init(name: family.name, color: color(index), style: .markers, points: points))
            for b in trusted {
                if let interval = loss ? b.lOptInterval : b.nOptInterval {
                    plot.series.append(.init(name: family.name, color: color(index), style: .line,
                                             points: [SVGPlot.Point(x: b.budget, y: interval.low), SVGPlot.Point(x: b.budget, y: interval.high)]))
                }
            }
            if let law = family.laws.first(where: { $0.convention == FrontierConvention.exact.rawValue }),
               let fitted = loss ? law.lOpt : law.nOpt, let first = trusted.first?.budget, let last = trusted.last?.budget {
                let line = (0...20).map { i -> SVGPlot.Point in
                    let c = pow(10, log10(first) + (log10(last) - log10(first)) * Double(i) / 20)
                    return SVGPlot.Point(x: c, y: fitted.value(at: c))
                }
                plot.series.append(.init(name: family.name, color: color(index), style: .line, points: line))
            }
        }
        if loss {
            let values = plot.series.flatMap(\.points).map(\.y).filter { $0 > 0 && $0.isFinite }
            if let low = values.min(), let high = values.max() {
                for c in f.crossovers where c.convention == FrontierConvention.exact.rawValue {
                    plot.series.append(.init(name: "crossover\(c.extrapolated ? " (extrapolated)" : "")", color: "#333333", style: .line, dash: .dashed,
                                             points: [SVGPlot.Point(x: c.budget, y: low), SVGPlot.Point(x: c.budget, y: high)]))
                }
            }
        }
        return plot
    }

    /// Per architecture, the context of its best family at each budget; nil with one context.
    static func bestContext(_ f: DatasetFrontier) -> SVGPlot? {
        guard Set(f.families.map(\.context)).count > 1 else { return nil }
        var plot = SVGPlot(title: "\(f.dataset): best context at each budget", xLabel: "C, exact training FLOPs",
                           yLabel: "context length (tokens)", xScale: .log10)
        let archs = f.bestContexts.map(\.arch).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        for (index, arch) in archs.enumerated() {
            let points = f.bestContexts.filter { $0.arch == arch }.map { SVGPlot.Point(x: $0.budget, y: Double($0.context)) }
            plot.series.append(.init(name: arch, color: color(index), style: .lineAndMarkers, points: points))
        }
        return plot
    }

    /// Panels side by side in one SVG, `columns` per row: each panel a nested `<svg>`.
    static func smallMultiples(_ panels: [SVGPlot], columns: Int) -> String {
        let width = panels.map(\.width).max() ?? 0, height = panels.map(\.height).max() ?? 0
        let rows = (panels.count + columns - 1) / columns
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width) * columns)\" height=\"\(Int(height) * rows)\">\n"
        for (index, panel) in panels.enumerated() {
            let x = Int(width) * (index % columns), y = Int(height) * (index / columns)
            let rendered = panel.render()
            svg += "<svg x=\"\(x)\" y=\"\(y)\" " + rendered.dropFirst("<svg ".count)
        }
        return svg + "</svg>\n"
    }
}
