import Foundation
import Training

/// One row per run, tidy: a column for every config key that varies across the records
/// (``ConfigColumns``), then results, then provenance (how fast it ran), as CSV for pandas and
/// Markdown for people. Keys every run shares go to a header block in `results.md`. Integers
/// are written as integers; a cell is empty where a field does not apply (depth of the linear
/// model, perplexity of a character-level run), and a column nothing fills is left out.
public struct ResultsTable {
    public let rows: [RunRecord]
    public let columns: ConfigColumns

    public init(_ records: [RunRecord]) {
        columns = ConfigColumns(records)
        let columns = self.columns
        rows = records.sorted { Self.tableOrder($0, $1, columns: columns) }
    }

    /// Dataset and architecture in declaration order (linear → transformer: simplest first),
    /// then each varying key in column order (numbers by value, absent first), then the id.
    static func tableOrder(_ a: RunRecord, _ b: RunRecord, columns: ConfigColumns) -> Bool {
        let ka = (rank(a.config.dataset), rank(a.config.arch)), kb = (rank(b.config.dataset), rank(b.config.arch))
        if ka != kb { return ka < kb }
        for key in columns.varying {
            let (va, vb) = (columns.value(key, of: a), columns.value(key, of: b))
            if va == vb { continue }
            return sortKey(va) < sortKey(vb)
        }
        return a.id < b.id
    }

    private static func sortKey(_ value: RunField.Value?) -> (Int, Double, String) {
        switch value {
        case nil: return (0, 0, "")
        case .int(let v)?: return (1, Double(v), "")
        case .double(let v)?: return (1, v, "")
        case .bool(let v)?: return (1, v ? 1 : 0, "")
        case .text(let v)?: return (2, 0, v)
        case .ints(let v)?: return (1, Double(v.reduce(0, +)), v.map(String.init).joined(separator: ","))
        }
    }

    static func rank<E: CaseIterable & Equatable>(_ value: E) -> Int {
        E.allCases.firstIndex(of: value).map { E.allCases.distance(from: E.allCases.startIndex, to: $0) } ?? 0
    }

    /// A result or provenance column: its name and its field of a record (nil: empty).
    struct Column {
        let name: String
        let value: (RunRecord) -> String?
    }

    /// The columns after the config's, in order; `bits_per_char`, `perplexity` and `error` only
    /// when some record has one.
    var resultColumns: [Column] {
        let n = ConfigColumns.number
        var out: [Column] = [
            Column(name: "status") { $0.status.rawValue },
            Column(name: "params_total") { String($0.paramsTotal) },
            Column(name: "params_non_embedding") { String($0.paramsNonEmbedding) },
            Column(name: "flops_study") { n($0.flopsStudy) },
            Column(name: "flops_6n") { n($0.flops6N) },
            Column(name: "flops_exact") { n($0.flopsExact) },
            Column(name: "steps") { String($0.steps) },
            Column(name: "tokens_trained") { String($0.tokensTrained) },
            Column(name: "best_valid_nll") { r in r.bestEval.flatMap { r.validNLL.indices.contains($0) ? n(r.validNLL[$0]) : nil } },
            Column(name: "test_nll") { $0.testNLL.map(n) },
        ]
        if rows.contains(where: { $0.bitsPerChar != nil }) { out.append(Column(name: "bits_per_char") { $0.bitsPerChar.map(n) }) }
        if rows.contains(where: { $0.perplexity != nil }) { out.append(Column(name: "perplexity") { $0.perplexity.map(n) }) }
        out += [
            Column(name: "wall_seconds") { n($0.wallSeconds) },
            Column(name: "tokens_per_second") { n($0.tokensPerSecond) },
            Column(name: "gflops_per_second") { n($0.gflopsPerSecond) },
        ]
        if rows.contains(where: { $0.error != nil }) { out.append(Column(name: "error") { $0.error }) }
        return out
    }

    /// The CSV's header, in order.
    public var csvColumns: [String] { ["id"] + columns.varying + resultColumns.map(\.name) }

    public func csv() -> String {
        let results = resultColumns
        var lines = [csvColumns.joined(separator: ",")]
        for r in rows {
            let config = columns.varying.map { columns.value($0, of: r).map(ConfigColumns.csvText) ?? "" }
            let fields = [r.id] + config + results.map { $0.value(r) ?? "" }
            lines.append(fields.map(Self.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// RFC 4180 quoting: a field with a comma, quote or line break is quoted, quotes doubled.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The settings every run shares, as a Markdown table (empty when there are none).
    public func settingsMarkdown() -> String {
        guard !columns.constants.isEmpty else { return "" }
        var out = "| setting | value | applies to |\n|---|---|---|\n"
        for c in columns.constants {
            out += "| `\(c.key)` | \(ConfigColumns.readableText(c.value)) | \(c.appliesTo.isEmpty ? "all" : c.appliesTo.joined(separator: ", ")) |\n"
        }
        return out
    }

    public func markdown() -> String {
        var out = ""
        let settings = settingsMarkdown()
        if !settings.isEmpty { out += "Every run shares these settings (where they apply):\n\n" + settings + "\n" }
        out += markdownRows()
        return out
    }

    /// The rows as a Markdown table: the varying keys, results and training speed.
    public func markdownRows() -> String {
        let keys = columns.varying
        let results = ["params", "FLOPs (study)", "FLOPs (6N)", "FLOPs (exact)", "test NLL", "bpc / ppl", "tokens/s", "wall s"]
        let header: [String] = ["id"] + keys + results + ["status"]
        let keyAlignment: [String] = keys.map { isNumeric($0) ? "--:" : "---" }
        let alignment: [String] = ["---"] + keyAlignment + Array(repeating: "--:", count: results.count) + ["---"]
        var lines = ["| " + header.joined(separator: " | ") + " |", "|" + alignment.joined(separator: "|") + "|"]
        for r in rows {
            let config = keys.map { columns.value($0, of: r).map(ConfigColumns.readableText) ?? "–" }
            let quality = r.bitsPerChar.map { String(format: "%.4f", $0) }
                ?? r.perplexity.map { String(format: "%.2f", $0) } ?? "–"
            let status = r.status == .ok ? "ok" : "\(r.status.rawValue): \(r.error ?? "")"
            let cells = [r.id] + config + [
                "\(r.paramsTotal)", Self.sci(r.flopsStudy), Self.sci(r.flops6N), Self.sci(r.flopsExact),
                r.testNLL.map { String(format: "%.4f", $0) } ?? "–", quality,
                String(format: "%.0f", r.tokensPerSecond), String(format: "%.1f", r.wallSeconds), status,
            ]
            lines.append("| " + cells.map { $0.replacingOccurrences(of: "|", with: "/") }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func isNumeric(_ key: String) -> Bool {
        rows.contains { if case .int? = columns.value(key, of: $0) { return true }
                        if case .double? = columns.value(key, of: $0) { return true }
                        return false }
    }

    /// FLOPs with three significant digits (`1.23e+12`).
    public static func sci(_ value: Double) -> String { String(format: "%.3g", value) }

    /// Writes `results.csv`, `results.md` and `curves.csv` into `directory`; returns their paths.
    @discardableResult
    public func write(to directory: String) throws -> (csv: String, markdown: String, curves: String) {
        let csvPath = (directory as NSString).appendingPathComponent("results.csv")
        let mdPath = (directory as NSString).appendingPathComponent("results.md")
        let curvesPath = (directory as NSString).appendingPathComponent(CurvesTable.fileName)
        try csv().write(toFile: csvPath, atomically: true, encoding: .utf8)
        try markdown().write(toFile: mdPath, atomically: true, encoding: .utf8)
        try CurvesTable(rows).csv().write(toFile: curvesPath, atomically: true, encoding: .utf8)
        return (csvPath, mdPath, curvesPath)
    }
}
