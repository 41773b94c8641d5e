import Foundation
import Training

/// One id with records that disagree on their results, each with where it came from.
public struct RecordConflict: CustomStringConvertible {
    public let id: String
    public let versions: [SourcedRecord]
    public var description: String {
        let summary = versions[0].record.run.summary
        let lines = versions.map { v in
            "    \(v.source): status \(v.record.status.rawValue), test NLL \(v.record.testNLL.map { String($0) } ?? "-")"
                + "\(v.record.numerics.map { ", numerics \($0.fingerprint)" } ?? ", numerics not recorded")"
        }
        return (["conflicting results for run \(id) (\(summary)):"] + lines).joined(separator: "\n")
    }
}

/// One id finished under different numerics with results that differ: rounding, not a
/// disagreement about the run. One version is kept (``MergedRecords`` says which); every
/// version is reported with the size of the difference.
public struct NumericVariant: CustomStringConvertible {
    public let id: String
    /// One record per distinct result, the kept one first.
    public let versions: [SourcedRecord]
    public var kept: SourcedRecord { versions[0] }

    /// The largest |Δ test NLL| between any two versions.
    public var testNLLDifference: Double { Self.spread(versions.map { $0.record.testNLL }) }

    /// The largest |Δ| between any two versions of any valid evaluation's NLL.
    public var validNLLDifference: Double {
        let evaluations = versions.map(\.record.validNLL.count).max() ?? 0
        return (0..<evaluations).map { index in
            Self.spread(versions.map { index < $0.record.validNLL.count ? $0.record.validNLL[index] : nil })
        }.max() ?? 0
    }

    /// The size of the variant: the larger of the two.
    public var nllDifference: Double { max(testNLLDifference, validNLLDifference) }

    private static func spread(_ values: [Double?]) -> Double {
        let present = values.compactMap { $0 }.filter(\.isFinite)
        guard let low = present.min(), let high = present.max() else { return 0 }
        return high - low
    }

    public var description: String {
        let summary = kept.record.run.summary
        let nll = kept.record.testNLL ?? 0
        var lines = [String(format: "numeric variant of run %@ (%@): NLL differs by %.3g (%.2g relative; test %.3g, valid %.3g)",
                            id, summary, nllDifference, nll == 0 ? 0 : nllDifference / abs(nll),
                            testNLLDifference, validNLLDifference)]
        for (index, version) in versions.enumerated() {
            let numerics = version.record.numerics
            lines.append("    \(version.source): test NLL \(version.record.testNLL.map { String($0) } ?? "-"), "
                         + "numerics \(numerics?.fingerprint ?? "?") (OpenBLAS \(numerics?.blasCore ?? "?"))"
                         + (index == 0 ? ", kept" : ""))
        }
        return lines.joined(separator: "\n")
    }
}

/// Records from one or more journals reduced to one per run id.
///
/// Rules, per id, none of which depends on the order of the inputs:
/// - records with the same results (``RunRecord/sameResult(as:)``) collapse into the one that
///   finished first (ties: the smallest source);
/// - a finished (`ok`) record replaces failed or diverged ones (a retry), and among failures
///   the most recent one is kept;
/// - `ok` records with different results under different numerics (every version's fingerprint
///   known, no fingerprint giving two results) are a *numeric variant*: the version kept is the
///   one computed under the numerics that the most runs of the whole merge share, ties going to
///   the smallest fingerprint; so the choice never depends on the order of the inputs;
/// - any other `ok` records with different results (the same numerics, or numerics not
///   recorded) are a conflict: the one that finished first is kept and every version is
///   reported, never silently dropped.
public struct MergedRecords {
    /// One record per id, in order of first appearance.
    public private(set) var records: [RunRecord] = []
    public private(set) var conflicts: [RecordConflict] = []
    public private(set) var variants: [NumericVariant] = []
    /// Failed or diverged records replaced by a later result for the same id.
    public private(set) var superseded: [SourcedRecord] = []
    /// Where each kept record came from.
    public private(set) var sources: [String: String] = [:]

    public init(_ inputs: [SourcedRecord]) {
        var order: [String] = []
        var byID: [String: [SourcedRecord]] = [:]
        for input in inputs {
            if byID[input.record.id] == nil { order.append(input.record.id) }
            byID[input.record.id, default: []].append(input)
        }
        let prevalence = Self.prevalence(byID)
        for id in order {
            let kept = resolve(id, byID[id]!, prevalence: prevalence)
            records.append(kept.record)
            sources[id] = kept.source
        }
    }

    public var byID: [String: RunRecord] {
        Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Runs with an `ok` record under each fingerprint: how much of the merge shares it.
    private static func prevalence(_ byID: [String: [SourcedRecord]]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for versions in byID.values {
            let fingerprints = Set(versions.filter { $0.record.status == .ok }.compactMap(\.record.numerics?.fingerprint))
            for fingerprint in fingerprints { counts[fingerprint, default: 0] += 1 }
        }
        return counts
    }

    /// The one record kept for `id`; notes superseded failures, variants and conflicts.
    private mutating func resolve(_ id: String, _ versions: [SourcedRecord], prevalence: [String: Int]) -> SourcedRecord {
        let failures = Self.distinctResults(versions.filter { $0.record.status != .ok }).map(Self.earliest)
            .sorted(by: Self.finishedEarlier)
        let finished = Self.distinctResults(versions.filter { $0.record.status == .ok })
            .sorted { Self.finishedEarlier(Self.earliest($0), Self.earliest($1)) }
        guard let first = finished.first.map(Self.earliest) else {
            superseded += failures.dropLast()
            return failures.last!
        }
        superseded += failures
        guard finished.count > 1 else { return first }

        // Each distinct result's fingerprints; a variant needs them all known and disjoint.
        let fingerprints = finished.map { $0.map { $0.record.numerics?.fingerprint } }
        let known = fingerprints.allSatisfy { $0.allSatisfy { $0 != nil } }
        guard known, Self.disjoint(fingerprints) else {
            conflicts.append(RecordConflict(id: id, versions: finished.map(Self.earliest)))
            return first
        }
        // The most prevalent numerics, then the smallest fingerprint; within a result, its
        // record under the smallest fingerprint, then the smallest source.
        func rank(_ record: SourcedRecord) -> (Int, String, String) {
            let fingerprint = record.record.numerics!.fingerprint
            return (-(prevalence[fingerprint] ?? 0), fingerprint, record.source)
        }
        let representatives = finished.map { group in group.min { rank($0) < rank($1) }! }
        let ordered = representatives.sorted { rank($0) < rank($1) }
        variants.append(NumericVariant(id: id, versions: ordered))
        return ordered[0]
    }

    /// Finished first, then the smallest source: a total order on a run's versions.
    private static func finishedEarlier(_ a: SourcedRecord, _ b: SourcedRecord) -> Bool {
        (a.record.finishedAt, a.source) < (b.record.finishedAt, b.source)
    }

    private static func earliest(_ group: [SourcedRecord]) -> SourcedRecord { group.min(by: finishedEarlier)! }

    /// No fingerprint appears under two different results.
    private static func disjoint(_ groups: [[String?]]) -> Bool {
        var seen: Set<String> = []
        for group in groups {
            let own = Set(group.compactMap { $0 })
            guard seen.isDisjoint(with: own) else { return false }
            seen.formUnion(own)
        }
        return true
    }

    /// `versions` grouped by result (``RunRecord/sameResult(as:)``), in order of first appearance.
    private static func distinctResults(_ versions: [SourcedRecord]) -> [[SourcedRecord]] {
        var groups: [[SourcedRecord]] = []
        for version in versions {
            if let at = groups.firstIndex(where: { $0[0].record.sameResult(as: version.record) }) {
                groups[at].append(version)
            } else {
                groups.append([version])
            }
        }
        return groups
    }
}
