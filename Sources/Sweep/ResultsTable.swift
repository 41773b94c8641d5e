import Foundation
import Training

/// One row per run, sorted by dataset, architecture, context and depth (the order the study's
/// tables use), as CSV for tools and Markdown for people. Only results go in, never provenance
/// (host, timings), so a merged table equals the table of one complete run of the same jobs.
/// Records hold canonical configs: a field that does not apply to a run is absent, an empty cell.
public struct ResultsTable {
    public let rows: [RunRecord]

    public init(_ records: [RunRecord]) {
        rows = records.sorted(by: Self.tableOrder)
    }

    /// Dataset and architecture in declaration order (linear → transformer: simplest first),
    /// then context, depth, and id so that equal keys still sort the same way every time.
    static func tableOrder(_ a: RunRecord, _ b: RunRecord) -> Bool {
        let (ca, cb) = (a.config, b.config)
        let ka = (Self.rank(ca.dataset), Self.rank(ca.arch), ca.context, ca.depth ?? 0)
        let kb = (Self.rank(cb.dataset), Self.rank(cb.arch), cb.context, cb.depth ?? 0)
        return ka != kb ? ka < kb : a.id < b.id
    }

    static func rank<E: CaseIterable & Equatable>(_ value: E) -> Int {
        E.allCases.firstIndex(of: value).map { E.allCases.distance(from: E.allCases.startIndex, to: $0) } ?? 0
    }

    public static let csvColumns = [
        "id", "dataset", "convention", "arch", "context", "depth", "d_model", "heads", "hidden",
        "positions", "seed", "params_total", "params_non_embedding", "flops_study", "flops_6n",
        "flops_exact", "steps", "tokens_trained", "test_nll", "bits_per_char", "perplexity",
        "status", "error",
    ]

    public func csv() -> String {
        var lines = [Self.csvColumns.joined(separator: ",")]
        for r in rows {
            let c = r.config
            let fields: [String] = [
                r.id, c.dataset.rawValue, c.convention.rawValue, c.arch.rawValue, "\(c.context)",
                c.depth.map(String.init) ?? "", "\(c.dModel)", c.heads.map(String.init) ?? "",
                (c.hidden ?? []).map(String.init).joined(separator: "x"), c.positions?.rawValue ?? "",
                "\(c.seed)", "\(r.paramsTotal)", "\(r.paramsNonEmbedding)", "\(r.flopsStudy)",
                "\(r.flops6N)", "\(r.flopsExact)", "\(r.steps)", "\(r.tokensTrained)",
                r.testNLL.map { "\($0)" } ?? "", r.bitsPerChar.map { "\($0)" } ?? "",
                r.perplexity.map { "\($0)" } ?? "", r.status.rawValue, r.error ?? "",
            ]
            lines.append(fields.map(Self.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// RFC 4180 quoting: a field with a comma, quote or line break is quoted, quotes doubled.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public func markdown() -> String {
        var lines = [
            "| dataset | arch | context | depth | d_model | params | FLOPs (study) | FLOPs (6N) | FLOPs (exact) | test NLL | bpc / ppl | status | id |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        for r in rows {
            let c = r.config
            let quality = r.bitsPerChar.map { String(format: "%.4f", $0) }
                ?? r.perplexity.map { String(format: "%.2f", $0) } ?? "–"
            let depth = c.depth.map(String.init) ?? "–"
            let status = r.status == .ok ? "ok" : "\(r.status.rawValue): \((r.error ?? "").replacingOccurrences(of: "|", with: "/"))"
            lines.append("| \(c.dataset.rawValue) | \(c.arch.rawValue) | \(c.context) | \(depth) | \(c.dModel) | "
                + "\(r.paramsTotal) | \(Self.sci(r.flopsStudy)) | \(Self.sci(r.flops6N)) | \(Self.sci(r.flopsExact)) | "
                + "\(r.testNLL.map { String(format: "%.4f", $0) } ?? "–") | \(quality) | \(status) | `\(r.id)` |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// FLOPs with three significant digits (`1.23e+12`).
    public static func sci(_ value: Double) -> String { String(format: "%.3g", value) }

    /// Writes `results.csv` and `results.md` into `directory`; returns their paths.
    @discardableResult
    public func write(to directory: String) throws -> (csv: String, markdown: String) {
        let csvPath = (directory as NSString).appendingPathComponent("results.csv")
        let mdPath = (directory as NSString).appendingPathComponent("results.md")
        try csv().write(toFile: csvPath, atomically: true, encoding: .utf8)
        try markdown().write(toFile: mdPath, atomically: true, encoding: .utf8)
        return (csvPath, mdPath)
    }
}
