import Foundation
import Training

/// Which config keys set a set of records apart (a column each in every table) and which are
/// the same wherever they apply (a header block above the table): a swept `lr`, budget or seed
/// is a column, a `d_model` every run shares is said once.
///
/// Read from each record's canonical config, so keys that do not apply to a run are absent
/// (an empty cell) and a key's default never differs from its spelt-out value. MLP widths are
/// one integer, `hidden_width`, beside `depth` when every MLP's layers are equally wide; the
/// list (`[512,256]`, JSON) otherwise.
public struct ConfigColumns {
    /// A key every record that has it holds at one value.
    public struct Constant: Equatable {
        public let key: String
        public let value: RunField.Value
        /// The architectures it applies to; empty when it applies to every record.
        public let appliesTo: [String]
    }

    /// The column keys, in reading order: what a run is first, its budget, shape, then the
    /// rest in the config's order, the seed last.
    public let varying: [String]
    public let constants: [Constant]
    private let fieldsByID: [String: [String: RunField.Value]]

    /// Dataset and architecture are columns even when constant: every reader groups by them.
    static let alwaysShown = ["dataset", "arch"]
    static let order = ["dataset", "text_path", "tokenizer", "arch", "flop_budget", "token_budget", "max_steps",
                        "epochs", "context", "depth", "hidden_width", "hidden", "d_model", "heads", "ffn_width",
                        "positions", "norm", "block_style"]

    public init(_ records: [RunRecord]) {
        var fields: [String: [String: RunField.Value]] = [:]
        for record in records { fields[record.id] = Self.tableFields(record.config) }
        // One list column for every MLP if any MLP's layers differ in width.
        if fields.values.contains(where: { $0["hidden"] != nil }) {
            for (id, f) in fields {
                guard case .int(let width)? = f["hidden_width"], case .int(let depth)? = f["depth"] else { continue }
                var g = f
                g["hidden_width"] = nil
                g["hidden"] = .ints(Array(repeating: width, count: depth))
                fields[id] = g
            }
        }
        fieldsByID = fields
        let sets = records.map { (arch: $0.config.arch.rawValue, fields: fields[$0.id]!) }
        let keys = Set(sets.flatMap(\.fields.keys))
        var varying: [String] = [], constants: [Constant] = []
        for key in keys {
            let values = Set(sets.compactMap { $0.fields[key] })
            // Set for some runs of an architecture and not for others: a swept `null` or value.
            let partial = Dictionary(grouping: sets, by: \.arch).values.contains { group in
                Set(group.map { $0.fields[key] == nil }).count > 1
            }
            if values.count > 1 || partial || Self.alwaysShown.contains(key) {
                varying.append(key)
            } else if let value = values.first {
                let archs = Set(sets.filter { $0.fields[key] != nil }.map(\.arch))
                let all = Set(sets.map(\.arch))
                let appliesTo = archs == all ? [] : RunConfig.Architecture.allCases.map(\.rawValue).filter(archs.contains)
                constants.append(Constant(key: key, value: value, appliesTo: appliesTo))
            }
        }
        self.varying = varying.sorted { Self.position($0) < Self.position($1) }
        self.constants = constants.sorted { Self.position($0.key) < Self.position($1.key) }
    }

    /// Where `key` goes among the columns: the reading order, then the config's, seed last.
    static func position(_ key: String) -> (Int, Int, String) {
        if key == "seed" { return (2, 0, key) }
        if let at = order.firstIndex(of: key) { return (0, at, key) }
        return (1, RunConfig.keys.firstIndex(of: key) ?? RunConfig.keys.count, key)
    }

    /// A canonical config's keys and values as tables show them: MLP layers of one width as
    /// `hidden_width`, a list of several widths as `hidden`.
    static func tableFields(_ config: RunConfig) -> [String: RunField.Value] {
        var out: [String: RunField.Value] = [:]
        for field in config.canonicalized().fields { out[field.key] = field.value }
        // The canonical form leaves the standard block out (ids predate `block_style`); a table
        // names it, so that a folder with both blocks reads `standard` and `study`, not `–`.
        if config.arch == .attention || config.arch == .transformer, out["block_style"] == nil {
            out["block_style"] = .text(config.resolved().blockStyle.rawValue)
        }
        if case .ints(let widths)? = out["hidden"], let first = widths.first, widths.allSatisfy({ $0 == first }) {
            out["hidden"] = nil
            out["hidden_width"] = .int(first)
        }
        return out
    }

    /// `record`'s value of column `key`, or nil where the key does not apply.
    public func value(_ key: String, of record: RunRecord) -> RunField.Value? {
        (fieldsByID[record.id] ?? Self.tableFields(record.config))[key]
    }

    /// A value as a CSV field: integers as integers (FLOP budgets too), numbers in their
    /// shortest exact form, lists as JSON (`[512,256]`), `true`/`false`.
    public static func csvText(_ value: RunField.Value) -> String {
        switch value {
        case .int(let v): return String(v)
        case .double(let v): return number(v)
        case .bool(let v): return String(v)
        case .text(let v): return v
        case .ints(let v): return "[" + v.map(String.init).joined(separator: ",") + "]"
        }
    }

    /// A value for people: budgets and other large numbers as `2e12`, lists as `512-256`.
    public static func readableText(_ value: RunField.Value) -> String {
        switch value {
        case .int(let v): return abs(v) >= 1_000_000 ? shortScientific(Double(v)) : String(v)
        case .double(let v): return abs(v) >= 1_000_000 ? shortScientific(v) : number(v)
        case .bool(let v): return String(v)
        case .text(let v): return v
        case .ints(let v): return v.map(String.init).joined(separator: "-")
        }
    }

    /// A number in CSV: an integral value below 2^53 as an integer, else Swift's shortest
    /// round-trip form; non-finite as `nan`, `inf`, `-inf` (which pandas reads).
    public static func number(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        if v == v.rounded(), abs(v) < 9_007_199_254_740_992 { return String(Int64(v)) }
        return "\(v)"
    }

    /// `2e12`, `5e11`, `1.5e12`: the fewest digits that give the value back to three figures.
    public static func shortScientific(_ v: Double) -> String {
        guard v.isFinite, v != 0 else { return v == 0 ? "0" : number(v) }
        let exponent = Int(floor(log10(abs(v))))
        let mantissa = v / pow(10, Double(exponent))
        var digits = String(format: "%.2f", mantissa)
        while digits.hasSuffix("0") { digits.removeLast() }
        if digits.hasSuffix(".") { digits.removeLast() }
        return "\(digits)e\(exponent)"
    }
}
