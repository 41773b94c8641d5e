import Foundation

/// A small SVG chart: scatter, lines and error bars on linear or log axes, with ticks, axis
/// labels, a title and a legend. Enough for the report's figures, readable in any browser,
/// and valid XML (every text is escaped) so tests can parse what they check.
public struct SVGPlot {
    public enum Scale { case linear, log10 }
    public enum Style { case markers, line, lineAndMarkers }

    public struct Point {
        public var x: Double, y: Double
        /// Half-width of an error bar around y (for mean ± spread over seeds).
        public var yError: Double?
        public init(x: Double, y: Double, yError: Double? = nil) { self.x = x; self.y = y; self.yError = yError }
    }

    public struct Series {
        public var name: String
        public var color: String
        public var style: Style
        public var dashed: Bool
        public var points: [Point]
        public init(name: String, color: String, style: Style = .markers, dashed: Bool = false, points: [Point]) {
            self.name = name; self.color = color; self.style = style; self.dashed = dashed; self.points = points
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xScale: Scale = .linear
    public var yScale: Scale = .linear
    public var series: [Series] = []
    public var width = 760.0
    public var height = 450.0

    public init(title: String, xLabel: String, yLabel: String, xScale: Scale = .linear, yScale: Scale = .linear) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.xScale = xScale; self.yScale = yScale
    }

    // Plot area inside the canvas: room for tick labels on the left and bottom, legend on the right.
    private var left: Double { 78 }
    private var right: Double { width - 210 }
    private var top: Double { 40 }
    private var bottom: Double { height - 58 }

    public func render() -> String {
        let usable = series.map { s in
            Series(name: s.name, color: s.color, style: s.style, dashed: s.dashed,
                   points: s.points.filter { usablePoint($0) })
        }
        let points = usable.flatMap(\.points)
        let xs = points.map(\.x)
        let ys = points.flatMap { p in [p.y - (p.yError ?? 0), p.y + (p.yError ?? 0)] }.filter { yScale == .linear || $0 > 0 }
        let xAxis = Axis(values: xs, scale: xScale)
        let yAxis = Axis(values: ys, scale: yScale)
        func px(_ x: Double) -> Double { left + xAxis.fraction(x) * (right - left) }
        func py(_ y: Double) -> Double { bottom - yAxis.fraction(y) * (bottom - top) }

        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(fmt(width))" height="\(fmt(height))" \
        viewBox="0 0 \(fmt(width)) \(fmt(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(fmt((left + right) / 2))" y="22" text-anchor="middle" font-size="15" font-weight="bold">\(escape(title))</text>

        """
        // Grid, ticks and tick labels.
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
        svg += "<text transform=\"translate(18 \(fmt((top + bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"

        // Data.
        for s in usable where !s.points.isEmpty {
            svg += "<g class=\"series\" data-name=\"\(escape(s.name))\">\n"
            let dash = s.dashed ? " stroke-dasharray=\"6 4\"" : ""
            if s.style != .markers, s.points.count > 1 {
                let path = s.points.map { "\(fmt(px($0.x))),\(fmt(py($0.y)))" }.joined(separator: " ")
                svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\"\(dash)/>\n"
            }
            for p in s.points {
                if let e = p.yError, e > 0 {
                    let low = yScale == .log10 ? max(p.y - e, yAxis.lower) : p.y - e
                    svg += "<line class=\"error-bar\" x1=\"\(fmt(px(p.x)))\" y1=\"\(fmt(py(low)))\" x2=\"\(fmt(px(p.x)))\" y2=\"\(fmt(py(p.y + e)))\" stroke=\"\(s.color)\"/>\n"
                }
                if s.style != .line {
                    svg += "<circle class=\"point\" cx=\"\(fmt(px(p.x)))\" cy=\"\(fmt(py(p.y)))\" r=\"4\" fill=\"\(s.color)\" fill-opacity=\"0.8\" stroke=\"white\"/>\n"
                }
            }
            svg += "</g>\n"
        }

        // Legend, to the right of the plot area.
        svg += "<g class=\"legend\">\n"
        var shown = Set<String>()
        let entries = usable.filter { shown.insert("\($0.name)|\($0.color)|\($0.dashed)").inserted }
        for (index, s) in entries.enumerated() {
            let y = top + 10 + Double(index) * 20
            let dash = s.dashed ? " stroke-dasharray=\"6 4\"" : ""
            if s.style == .markers {
                svg += "<circle cx=\"\(fmt(right + 22))\" cy=\"\(fmt(y))\" r=\"4\" fill=\"\(s.color)\"/>\n"
            } else {
                svg += "<line x1=\"\(fmt(right + 12))\" y1=\"\(fmt(y))\" x2=\"\(fmt(right + 32))\" y2=\"\(fmt(y))\" stroke=\"\(s.color)\" stroke-width=\"2\"\(dash)/>\n"
            }
            // Long names are cut to fit the legend column; the full name stays in the series' data-name.
            let name = s.name.count > 30 ? String(s.name.prefix(29)) + "…" : s.name
            svg += "<text x=\"\(fmt(right + 40))\" y=\"\(fmt(y + 4))\">\(escape(name))</text>\n"
        }
        svg += "</g>\n</svg>\n"
        return svg
    }

    private func usablePoint(_ p: Point) -> Bool {
        p.x.isFinite && p.y.isFinite && (xScale == .linear || p.x > 0) && (yScale == .linear || p.y > 0)
    }
}

/// One axis: its range (padded, or whole decades on a log scale), tick positions and labels.
private struct Axis {
    let scale: SVGPlot.Scale
    let lower: Double
    let upper: Double
    let ticks: [Double]

    init(values: [Double], scale: SVGPlot.Scale) {
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
        case .linear:
            if high == low { low -= 0.5; high += 0.5 }
            let step = Axis.niceStep((high - low) / 6)
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
        }
    }

    func label(_ value: Double) -> String {
        switch scale {
        case .log10:
            let e = log10(value)
            if e == e.rounded() { return "1e\(Int(e))" }
            return String(format: "%.0fe%d", value / pow(10, floor(e)), Int(floor(e)))
        case .linear:
            if abs(value) < 1e-12 { return "0" }
            if abs(value) >= 1e5 { return String(format: "%.1e", value) }
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
