import Foundation
import Training

/// A resumed sweep whose journal already holds records computed under numerics that none of
/// this session's ranks has: going on would put two roundings of the grid into one journal,
/// and results that differ only in rounding would look like differences between runs.
public struct JournalNumericsMismatch: Error, CustomStringConvertible {
    public let journal: String
    /// The journal's numerics that this session lacks, with how many records carry each.
    public let foreign: [(numerics: Numerics, records: Int)]
    public let session: [Numerics]

    public var description: String {
        let count = foreign.map(\.records).reduce(0, +)
        let all = foreign.map(\.numerics) + session
        let differing = Numerics.differingFacts(all)
        let shown = differing.isEmpty ? ["OpenBLAS core"] : differing
        func facts(_ numerics: Numerics) -> String { shown.map { "\($0) \(numerics.fact($0))" }.joined(separator: ", ") }
        var lines = ["\(journal) holds \(count) record(s) computed under other numerics than this session's: "
                     + "resuming would mix two roundings in one journal"]
        for (numerics, records) in foreign {
            lines.append("  journal: fingerprint \(numerics.fingerprint) (\(records) records): \(facts(numerics))")
        }
        for numerics in session {
            lines.append("  this session: fingerprint \(numerics.fingerprint): \(facts(numerics))")
        }
        if !differing.isEmpty { lines.append("  facts that differ: \(differing.joined(separator: ", "))") }
        lines.append("fix: resume where the journal's numerics hold (the same lmsweep build, OpenBLAS and OPENBLAS_* "
                     + "variables), or pass --allow-mixed-numerics to add this session's records beside them")
        return lines.joined(separator: "\n")
    }
}

extension PreparedSweep {
    /// The mismatch, if this session would add records (some job is pending) to a journal
    /// holding records of numerics none of `session` has. Records without numerics (written
    /// before they were recorded) match anything.
    public func numericsMismatch(session: [Numerics]) -> JournalNumericsMismatch? {
        guard !plan.pending.isEmpty else { return nil }
        let fingerprints = Set(session.map(\.fingerprint))
        var foreign: [String: (numerics: Numerics, records: Int)] = [:]
        for record in existing.records {
            guard let numerics = record.numerics, !fingerprints.contains(numerics.fingerprint) else { continue }
            foreign[numerics.fingerprint, default: (numerics, 0)].records += 1
        }
        guard !foreign.isEmpty else { return nil }
        return JournalNumericsMismatch(journal: journal.path,
                                       foreign: foreign.values.sorted { $0.numerics.fingerprint < $1.numerics.fingerprint },
                                       session: session)
    }
}
