import Foundation

/// A small SVG chart: scatter, lines and error bars on linear, log10 or log2 axes, with ticks,
/// axis labels, a title and a legend. Enough for the report's figures, readable in any browser,
/// and valid XML (every text is escaped) so tests can parse what they check. Every point and
/// line names the runs behind it (`data-runs`), so a test can check that no run is hidden.
public struct SVGPlot {
    public enum Scale { case linear, log10, log2 }
    public enum Style { case markers, line, lineAndMarkers }
    /// Line patterns, told apart in greyscale too (where colours repeat within an architecture).
    public enum Dash: Int, CaseIterable { case solid, dashed, dotted, dashDot
        var pattern: String? {
            switch self {
            case .solid: return nil
            case .dashed: return "7 4"
            case .dotted: return "2 3"
            case .dashDot: return "8 3 2 3"
            }
        }
    }
    public enum Marker: Int, CaseIterable { case circle, square, triangle, diamond }

    public struct Point {
        public var x: Double, y: Double
        /// Half-width of an error bar around y (for mean ± spread over seeds).
        public var yError: Double?
        /// The runs this point stands for (one, or the seeds of a mean).
        public var runs: [String]
        public init(x: Double, y: Double, yError: Double? = nil, runs: [String] = []) {
            self.x = x; self.y = y; self.yError = yError; self.runs = runs
        }
    }

    public struct Series {
        public var name: String
        public var color: String
        public var style: Style
        public var dash: Dash
        public var marker: Marker
        public var points: [Point]
        /// Shown in the legend (several series may share one entry, as runs of one group do).
        public var inLegend: Bool
        public init(name: String, color: String, style: Style = .markers, dash: Dash = .solid, marker: Marker = .circle,
                    inLegend: Bool = true, points: [Point]) {
            self.name = name; self.color = color; self.style = style; self.dash = dash; self.marker = marker
            self.inLegend = inLegend; self.points = points
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xScale: Scale = .linear
    public var yScale: Scale = .linear
    /// Integer ticks only (context, depth).
    public var integerX = false
    public var series: [Series] = []
    /// The plot area, without the legend.
    public var width = 540.0
    public var height = 400.0
    /// A y range shared with the other panels of a figure; nil fits the data.
    public var yRange: (Double, Double)?

    public init(title: String, xLabel: String, yLabel: String, xScale: Scale = .linear, yScale: Scale = .linear) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.xScale = xScale; self.yScale = yScale
    }

    // Plot area inside a panel: room for tick labels on the left and bottom.
    private var left: Double { 72 }
    private var right: Double { width - 16 }
    private var top: Double { 40 }
    private var bottom: Double { height - 58 }

    /// The y values the data span (with error bars), for a shared range.
    var yExtent: (Double, Double)? {
        let ys = usableSeries.flatMap(\.points).flatMap { p in [p.y - (p.yError ?? 0), p.y + (p.yError ?? 0)] }
            .filter { yScale == .linear || $0 > 0 }
        guard let low = ys.min(), let high = ys.max() else { return nil }
        return (low, high)
    }

    private var usableSeries: [Series] {
        series.map { s in var s = s; s.points = s.points.filter(usablePoint); return s }
    }

    /// A whole SVG document: this plot and its legend to the right.
    public func render() -> String { SVGFigure(title: nil, panels: [self]).render() }

    /// The panel's elements, drawn at the origin in a `width` × `height` box.
    func renderPanel() -> String {
        let usable = usableSeries
        let points = usable.flatMap(\.points)
        let xAxis = Axis(values: points.map(\.x), scale: xScale, integer: integerX)
        var ys = points.flatMap { p in [p.y - (p.yError ?? 0), p.y + (p.yError ?? 0)] }.filter { yScale == .linear || $0 > 0 }
        if let yRange { ys = [yRange.0, yRange.1] }
        let yAxis = Axis(values: ys, scale: yScale, integer: false)
        func px(_ x: Double) -> Double { left + xAxis.fraction(x) * (right - left) }
        func py(_ y: Double) -> Double { bottom - yAxis.fraction(y) * (bottom - top) }

        var svg = "<text x=\"\(fmt((left + right) / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">\(escape(title))</text>\n"
        svg += "<g class=\"x-axis\">\n"
        for tick in xAxis.ticks {
            let x = px(tick)
            svg += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(top))\" x2=\"\(fmt(x))\" y2=\"\(fmt(bottom))\" stroke=\"#e5e5e5\"/>\n"
            svg += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(bottom))\" x2=\"\(fmt(x))\" y2=\"\(fmt(bottom + 5))\" stroke=\"black\"/>\n"
            svg += "<text x=\"\(fmt(x))\" y=\"\(fmt(bottom + 19))\" text-anchor=\"middle\">\(escape(xAxis.label(tick)))</text>\n"
        }
        svg += "</g>\n<g class=\"y-axis\">\n"
        for tick in yAxis.ticks {
            let y = py(tick)
            svg += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(y))\" x2=\"\(fmt(right))\" y2=\"\(fmt(y))\" stroke=\"#e5e5e5\"/>\n"
            svg += "<line x1=\"\(fmt(left - 5))\" y1=\"\(fmt(y))\" x2=\"\(fmt(left))\" y2=\"\(fmt(y))\" stroke=\"black\"/>\n"
            svg += "<text x=\"\(fmt(left - 8))\" y=\"\(fmt(y + 4))\" text-anchor=\"end\">\(escape(yAxis.label(tick)))</text>\n"
        }
        svg += "</g>\n"
        svg += "<rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(right - left))\" height=\"\(fmt(bottom - top))\" fill=\"none\" stroke=\"black\"/>\n"
        svg += "<text x=\"\(fmt((left + right) / 2))\" y=\"\(fmt(height - 14))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        svg += "<text transform=\"translate(16 \(fmt((top + bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"

        for s in usable where !s.points.isEmpty {
            svg += "<g class=\"series\" data-name=\"\(escape(s.name))\">\n"
            let dash = s.dash.pattern.map { " stroke-dasharray=\"\($0)\"" } ?? ""
            if s.style != .markers, s.points.count > 1 {
                let path = s.points.map { "\(fmt(px($0.x))),\(fmt(py($0.y)))" }.joined(separator: " ")
                let runs = Array(Set(s.points.flatMap(\.runs))).sorted().joined(separator: " ")
                svg += "<polyline class=\"line\" data-runs=\"\(runs)\" points=\"\(path)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\"\(dash)/>\n"
            }
            for p in s.points {
                if let e = p.yError, e > 0 {
                    let low = yScale == .linear ? p.y - e : max(p.y - e, yAxis.lower)
                    let (x, y1, y2) = (fmt(px(p.x)), fmt(py(low)), fmt(py(p.y + e)))
                    svg += "<line class=\"error-bar\" x1=\"\(x)\" y1=\"\(y1)\" x2=\"\(x)\" y2=\"\(y2)\" stroke=\"\(s.color)\"/>\n"
                }
                // A lone point of a line series still shows, as a marker.
                if s.style != .line || s.points.count == 1 {
                    svg += Self.marker(s.marker, x: px(p.x), y: py(p.y), color: s.color,
                                  attributes: "class=\"point\" data-runs=\"\(p.runs.sorted().joined(separator: " "))\"")
                }
            }
            svg += "</g>\n"
        }
        return svg
    }

    /// One legend entry: a line sample and/or a marker, then the name in full.
    static func legendEntry(_ s: Series, x: Double, y: Double) -> String {
        var svg = ""
        if s.style != .markers {
            let dash = s.dash.pattern.map { " stroke-dasharray=\"\($0)\"" } ?? ""
            svg += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(y))\" x2=\"\(fmt(x + 26))\" y2=\"\(fmt(y))\" stroke=\"\(s.color)\" stroke-width=\"2\"\(dash)/>\n"
        }
        if s.style != .line {
            svg += marker(s.marker, x: x + 13, y: y, color: s.color, attributes: "")
        }
        svg += "<text x=\"\(fmt(x + 34))\" y=\"\(fmt(y + 4))\">\(escape(s.name))</text>\n"
        return svg
    }

    /// An open marker (white fill), so points that coincide stay visible as rings.
    static func marker(_ marker: Marker, x: Double, y: Double, color: String, attributes: String) -> String {
        let attributes = attributes.isEmpty ? "" : attributes + " "
        let style = "fill=\"white\" fill-opacity=\"0.6\" stroke=\"\(color)\" stroke-width=\"1.6\""
        switch marker {
        case .circle:
            return "<circle \(attributes)cx=\"\(fmt(x))\" cy=\"\(fmt(y))\" r=\"4.5\" \(style)/>\n"
        case .square:
            return "<rect \(attributes)x=\"\(fmt(x - 4))\" y=\"\(fmt(y - 4))\" width=\"8\" height=\"8\" \(style)/>\n"
        case .triangle:
            return "<polygon \(attributes)points=\"\(fmt(x)),\(fmt(y - 5)) \(fmt(x + 5)),\(fmt(y + 4)) \(fmt(x - 5)),\(fmt(y + 4))\" \(style)/>\n"
        case .diamond:
            return "<polygon \(attributes)points=\"\(fmt(x)),\(fmt(y - 5.5)) \(fmt(x + 5)),\(fmt(y)) \(fmt(x)),\(fmt(y + 5.5)) \(fmt(x - 5)),\(fmt(y))\" \(style)/>\n"
        }
    }

    private func usablePoint(_ p: Point) -> Bool {
        p.x.isFinite && p.y.isFinite && (xScale == .linear || p.x > 0) && (yScale == .linear || p.y > 0)
    }
}

/// Panels side by side (small multiples, at most three a row) with one title and one legend
/// to the right, sized to its longest entry and growing the figure downwards, never cut.
public struct SVGFigure {
    public var title: String?
    public var panels: [SVGPlot]
    public init(title: String?, panels: [SVGPlot]) { self.title = title; self.panels = panels }

    /// Average width of a 12 px Helvetica character, generous so text never spills.
    static let characterWidth = 7.0

    public func render() -> String {
        let columns = min(3, max(1, panels.count))
        let rows = (panels.count + columns - 1) / max(1, columns)
        let panelWidth = panels.map(\.width).max() ?? 540, panelHeight = panels.map(\.height).max() ?? 400
        let titleHeight = title == nil ? 0.0 : 34.0
        var shown = Set<String>()
        let entries = panels.flatMap(\.series).filter { $0.inLegend && !$0.points.isEmpty }
            .filter { shown.insert("\($0.name)|\($0.color)|\($0.dash)|\($0.marker)|\($0.style)").inserted }
        let legendWidth = entries.isEmpty ? 0 : 50 + Self.characterWidth * Double(entries.map(\.name.count).max() ?? 0)
        let width = Double(columns) * panelWidth + legendWidth + 10
        let legendHeight = 40 + 20 * Double(entries.count)
        let height = max(titleHeight + Double(rows) * panelHeight, titleHeight + legendHeight)

        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(fmt(width))" height="\(fmt(height))" \
        viewBox="0 0 \(fmt(width)) \(fmt(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>

        """
        if let title {
            svg += "<text x=\"\(fmt(Double(columns) * panelWidth / 2))\" y=\"24\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">\(escape(title))</text>\n"
        }
        for (index, panel) in panels.enumerated() {
            let x = Double(index % columns) * panelWidth, y = titleHeight + Double(index / columns) * panelHeight
            svg += "<g class=\"panel\" transform=\"translate(\(fmt(x)) \(fmt(y)))\">\n" + panel.renderPanel() + "</g>\n"
        }
        svg += "<g class=\"legend\">\n"
        let legendX = Double(columns) * panelWidth + 4
        for (index, entry) in entries.enumerated() {
            svg += SVGPlot.legendEntry(entry, x: legendX, y: titleHeight + 50 + Double(index) * 20)
        }
        svg += "</g>\n</svg>\n"
        return svg
    }
}

/// One axis: its range (padded, or whole decades on a log scale), tick positions and labels.
private struct Axis {
    let scale: SVGPlot.Scale
    let lower: Double
    let upper: Double
    let ticks: [Double]

    init(values: [Double], scale: SVGPlot.Scale, integer: Bool) {
        self.scale = scale
        var low = values.min() ?? 0, high = values.max() ?? 1
        switch scale {
        case .log10:
            if values.isEmpty { low = 1; high = 10 }
            var lowExp = floor(log10(low)), highExp = ceil(log10(high))
            if highExp == lowExp { lowExp -= 0.5; highExp += 0.5 }
            let lower = pow(10, lowExp), upper = pow(10, highExp)
            self.lower = lower; self.upper = upper
            let decades = Int(floor(log10(upper)) - ceil(log10(lower))) + 1
            var ticks: [Double] = []
            for e in Int(ceil(log10(lower)))...Int(floor(log10(upper))) {
                let decade = pow(10, Double(e))
                ticks.append(decade)
                if decades <= 2 { ticks += [2 * decade, 5 * decade].filter { $0 <= upper } }
            }
            self.ticks = ticks.sorted()
        case .log2:
            // Powers of two (contexts): a tick at each, half an octave of room either side.
            if values.isEmpty { low = 1; high = 2 }
            let lowExp = floor(log2(low)), highExp = ceil(log2(high))
            lower = pow(2, lowExp - 0.3); upper = pow(2, highExp + 0.3)
            ticks = stride(from: lowExp, through: highExp, by: 1).map { pow(2, $0) }
        case .linear:
            if high == low { low -= integer ? 1 : 0.5; high += integer ? 1 : 0.5 }
            var step = Axis.niceStep((high - low) / 6)
            if integer { step = max(1, step.rounded()) }
            lower = floor(low / step) * step
            upper = ceil(high / step) * step
            ticks = stride(from: lower, through: upper + step * 1e-9, by: step).map { $0 }
        }
    }

    /// A step of 1, 2 or 5 × 10^k near the raw step.
    static func niceStep(_ raw: Double) -> Double {
        let magnitude = pow(10, floor(log10(raw)))
        let residual = raw / magnitude
        return (residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10) * magnitude
    }

    func fraction(_ value: Double) -> Double {
        switch scale {
        case .linear: return (value - lower) / (upper - lower)
        case .log10: return (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
        case .log2: return (log2(value) - log2(lower)) / (log2(upper) - log2(lower))
        }
    }

    func label(_ value: Double) -> String {
        switch scale {
        case .log10:
            let e = log10(value)
            if e == e.rounded() { return "1e\(Int(e))" }
            return String(format: "%.0fe%d", value / pow(10, floor(e)), Int(floor(e)))
        case .log2:
            return String(Int(value.rounded()))
        case .linear:
            if abs(value) < 1e-12 { return "0" }
            if abs(value) >= 1e5 { return ConfigColumns.shortScientific(value) }
            return value == value.rounded() ? String(Int(value)) : String(format: "%g", (value * 1e6).rounded() / 1e6)
        }
    }
}

private func fmt(_ value: Double) -> String { String(format: "%.1f", value) }

/// Escapes text for XML content and attribute values.
private func escape(_ text: String) -> String {
    var out = ""
    for ch in text {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default: out.append(ch)
        }
    }
    return out
}
