import Foundation
import Training

/// One rank's numerics as the start-up check saw them.
public struct RankNumerics: Codable, Equatable, Sendable {
    public let rank: Int
    public let host: String
    public let numerics: Numerics

    public init(rank: Int, host: String, numerics: Numerics) {
        self.rank = rank; self.host = host; self.numerics = numerics
    }

    var label: String { "rank \(rank) (\(host))" }
}

/// Rank 0's comparison of every rank's numerics before any training. Ranks whose canary bits
/// differ would journal different results for the same run id, so the sweep stops unless the
/// user allows it (`--allow-mixed-numerics`).
public struct NumericsCheck: Error, CustomStringConvertible {
    /// Ranks grouped by fingerprint: rank 0's group first, then by lowest rank.
    public let groups: [[RankNumerics]]

    public init(_ ranks: [RankNumerics]) {
        var groups: [String: [RankNumerics]] = [:]
        for rank in ranks { groups[rank.numerics.fingerprint, default: []].append(rank) }
        self.groups = groups.values.map { $0.sorted { $0.rank < $1.rank } }.sorted { $0[0].rank < $1[0].rank }
    }

    public var agrees: Bool { groups.count <= 1 }

    /// Every fingerprint seen, rank 0's first.
    public var fingerprints: [String] { groups.map { $0[0].numerics.fingerprint } }

    /// Facts that differ between the groups.
    public var differingFacts: [String] { Numerics.differingFacts(groups.map { $0[0].numerics }) }

    public var description: String { ([summary] + fixes.map { "fix: \($0)" }).joined(separator: "\n") }

    /// The groups and what differs between them, without the fixes.
    public var summary: String {
        var lines = ["ranks compute different bits: a run's result would depend on the rank that ran it "
                     + "(numerics check before training, \(groups.count) fingerprints)"]
        let differing = differingFacts
        for group in groups {
            lines.append("  fingerprint \(group[0].numerics.fingerprint): " + Self.list(group.map(\.label)))
            let facts = differing.isEmpty ? ["OpenBLAS core"] : differing
            lines.append("      " + facts.map { "\($0) \(group[0].numerics.fact($0))" }.joined(separator: ", "))
        }
        lines.append(differing.isEmpty
                     ? "  every recorded fact agrees: something else differs between these ranks (the C library, the CPU's microcode)"
                     : "  facts that differ: \(differing.joined(separator: ", "))")
        return lines.joined(separator: "\n")
    }

    /// What to do, from what differs.
    var fixes: [String] {
        let differing = Set(differingFacts)
        var fixes: [String] = []
        let environment = differing.filter { $0.hasPrefix("OPENBLAS_") }.sorted()
        if !environment.isEmpty {
            let settings = environment.map { name in
                let value = groups[0][0].numerics.fact(name)
                return value == "(unset)" ? "-x \(name)" : "-x \(name)=\(value)"
            }
            fixes.append("give every rank the same environment: mpirun \(settings.joined(separator: " ")) ... "
                         + "(a remote rank does not see the launching shell's variables; scripts/run-local.sh, "
                         + "scripts/run-cluster.sh and scripts/slurm.sbatch forward every OPENBLAS_* that is set)")
        } else if differing.contains("OpenBLAS core") {
            fixes.append("the nodes' CPUs make OpenBLAS pick different kernels: pin one family every node runs, "
                         + "e.g. mpirun -x OPENBLAS_CORETYPE=Haswell ... (AVX2; SkylakeX needs AVX-512 everywhere)")
        }
        if differing.contains("OpenBLAS build") {
            fixes.append("install the same OpenBLAS build on every node")
        }
        if !differing.isDisjoint(with: ["build id", "lmsweep version", "kernel ISA"]) {
            fixes.append("run one lmsweep build on every node (the same binary on a shared path, built with one LMSWEEP_TARGET_CPU)")
        }
        fixes.append("or pass --allow-mixed-numerics to run anyway: records keep their numerics, and "
                     + "lmsweep merge reports the differences as numeric variants")
        return fixes
    }

    static func list(_ items: [String]) -> String {
        items.count <= 8 ? items.joined(separator: ", ") : items.prefix(8).joined(separator: ", ") + " and \(items.count - 8) more"
    }
}
