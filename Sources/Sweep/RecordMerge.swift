import Foundation
import Training

/// One id with records that disagree on their results, each with where it came from.
public struct RecordConflict: CustomStringConvertible {
    public let id: String
    public let versions: [SourcedRecord]
    public var description: String {
        let summary = Job.summary(versions[0].record.config)
        let lines = versions.map { v in
            "    \(v.source): status \(v.record.status.rawValue), test NLL \(v.record.testNLL.map { String($0) } ?? "-")"
        }
        return (["conflicting results for run \(id) (\(summary)):"] + lines).joined(separator: "\n")
    }
}

/// Records from one or more journals reduced to one per run id.
///
/// Rules, in order: records with the same results (``RunRecord/sameResult(as:)``) collapse
/// into the first; a finished (`ok`) record replaces a failed or diverged one (a retry), and a
/// later failure replaces an earlier one; two `ok` records with different results are a
/// conflict: the first is kept and every version is reported, never silently dropped.
public struct MergedRecords {
    /// One record per id, in order of first appearance.
    public private(set) var records: [RunRecord] = []
    public private(set) var conflicts: [RecordConflict] = []
    /// Failed or diverged records replaced by a later result for the same id.
    public private(set) var superseded: [SourcedRecord] = []
    /// Where each kept record came from.
    public private(set) var sources: [String: String] = [:]

    public init(_ inputs: [SourcedRecord]) {
        var index: [String: Int] = [:]
        var conflictIndex: [String: Int] = [:]
        for input in inputs {
            let id = input.record.id
            guard let at = index[id] else {
                index[id] = records.count
                records.append(input.record)
                sources[id] = input.source
                continue
            }
            let kept = records[at]
            if kept.sameResult(as: input.record) { continue }
            if kept.status != .ok {
                superseded.append(SourcedRecord(record: kept, source: sources[id] ?? ""))
                records[at] = input.record
                sources[id] = input.source
            } else if input.record.status != .ok {
                superseded.append(input)
            } else if let c = conflictIndex[id] {
                conflicts[c] = RecordConflict(id: id, versions: conflicts[c].versions + [input])
            } else {
                conflictIndex[id] = conflicts.count
                conflicts.append(RecordConflict(id: id, versions: [SourcedRecord(record: kept, source: sources[id] ?? ""), input]))
            }
        }
    }

    public var byID: [String: RunRecord] {
        Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
