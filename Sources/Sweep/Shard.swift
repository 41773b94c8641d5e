import Foundation

/// One of N disjoint pieces of a sweep (`--shard K/N`): for running a sweep as independent
/// processes — SLURM job-array tasks, machines without MPI between them — whose output
/// folders `lmsweep merge` then joins. Jobs are dealt over the whole expanded grid, largest
/// predicted cost first, each to the piece with the least predicted cost so far (ties: the
/// lowest piece). Every piece computes the same split from the same spec, the pieces are
/// disjoint and cover every job, and their predicted costs differ by at most one job's.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// 1...count.
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, (1...count).contains(index) else {
            throw ShardError(text: "\(index)/\(count)", reason: "need 1 ≤ K ≤ N")
        }
        self.index = index
        self.count = count
    }

    /// Parses `K/N`, e.g. `2/8`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0].trimmingCharacters(in: .whitespaces)),
              let count = Int(parts[1].trimmingCharacters(in: .whitespaces)) else {
            throw ShardError(text: text, reason: "expected K/N, e.g. 1/4")
        }
        guard count >= 1, (1...count).contains(index) else {
            throw ShardError(text: text, reason: "need 1 ≤ K ≤ N")
        }
        self.index = index
        self.count = count
    }

    public var description: String { "\(index)/\(count)" }

    /// This piece's jobs, in their original order.
    public func select(_ jobs: [Job]) -> [Job] {
        var load = [Double](repeating: 0, count: count)
        var mine: Set<String> = []
        var seen: Set<String> = []
        for job in jobs.sorted(by: Job.largestFirst) where seen.insert(job.id).inserted {
            let piece = load.indices.min { (load[$0], $0) < (load[$1], $1) }!
            load[piece] += job.predictedFLOPs
            if piece == index - 1 { mine.insert(job.id) }
        }
        return jobs.filter { mine.contains($0.id) }
    }
}

public struct ShardError: Error, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "--shard: '\(text)': \(reason)" }
}
