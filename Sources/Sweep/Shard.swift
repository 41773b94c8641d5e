import Foundation

/// One of N disjoint pieces of a sweep (`--shard K/N`, K from 1; `--shard slurm` in a job
/// array): for running a sweep as independent
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

    /// Parses `K/N`, e.g. `2/8` (K counts from 1), or `slurm`: this SLURM job-array task's piece
    /// (see ``init(slurmArray:)``), from `environment`.
    public init(parsing text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        if text.trimmingCharacters(in: .whitespaces).lowercased() == "slurm" {
            self = try Shard(slurmArray: environment)
            return
        }
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

    /// The piece of a SLURM job-array task: `sbatch --array=0-7` (or `1-8`) makes 8 tasks, and
    /// the task with `SLURM_ARRAY_TASK_ID` i runs piece i − MIN + 1 of `SLURM_ARRAY_TASK_COUNT`.
    /// The array must be contiguous (no step, no list with gaps): otherwise some piece would
    /// have no task and its jobs would never run.
    public init(slurmArray environment: [String: String]) throws {
        func value(_ name: String, _ minimum: Int) throws -> Int {
            guard let text = environment[name] else {
                throw ShardError(text: "slurm", reason: "\(name) is not set: this is not a SLURM job-array task "
                                 + "(submit with sbatch --array=0-N-1, or use --shard K/N)")
            }
            guard let number = Int(text.trimmingCharacters(in: .whitespaces)), number >= minimum else {
                throw ShardError(text: "slurm", reason: "\(name)='\(text)' is not a whole number ≥ \(minimum)")
            }
            return number
        }
        let id = try value("SLURM_ARRAY_TASK_ID", 0)
        let minimum = try value("SLURM_ARRAY_TASK_MIN", 0)
        let maximum = try value("SLURM_ARRAY_TASK_MAX", 0)
        let count = try value("SLURM_ARRAY_TASK_COUNT", 1)
        guard minimum <= maximum else {
            throw ShardError(text: "slurm", reason: "SLURM_ARRAY_TASK_MIN=\(minimum) is above SLURM_ARRAY_TASK_MAX=\(maximum)")
        }
        guard maximum - minimum + 1 == count else {
            throw ShardError(text: "slurm", reason: "SLURM_ARRAY_TASK_COUNT=\(count) tasks but SLURM_ARRAY_TASK_MIN=\(minimum) "
                             + "to SLURM_ARRAY_TASK_MAX=\(maximum) spans \(maximum - minimum + 1) indices: --shard slurm needs "
                             + "a contiguous array, e.g. --array=0-\(count - 1)")
        }
        guard (minimum...maximum).contains(id) else {
            throw ShardError(text: "slurm", reason: "SLURM_ARRAY_TASK_ID=\(id) is outside SLURM_ARRAY_TASK_MIN=\(minimum) "
                             + "to SLURM_ARRAY_TASK_MAX=\(maximum)")
        }
        try self.init(index: id - minimum + 1, count: count)
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
