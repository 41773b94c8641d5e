import Foundation
import Sweep
import Training

/// A scratch folder per test, removed at the end of the process's use of it.
func scratchDirectory(_ name: String = #function) -> String {
    let path = (NSTemporaryDirectory() as NSString)
        .appendingPathComponent("lmsweep-tests-\(ProcessInfo.processInfo.processIdentifier)-\(name.filter(\.isLetter))-\(UUID().uuidString.prefix(8))")
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Writes `text` to `name` inside `directory`; returns the path.
@discardableResult
func writeFile(_ text: String, named name: String, in directory: String) -> String {
    let path = (directory as NSString).appendingPathComponent(name)
    try! text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// A deterministic stand-in for the Trainer: the same config always gives the same record,
/// with results derived from the config's id (so different jobs get different numbers).
func syntheticRecord(for config: RunConfig, rank: Int = 0, host: String = "test-host",
                     status: RunRecord.Status = .ok, nllOffset: Double = 0) -> RunRecord {
    let canonical = config.canonicalized()
    let hash = UInt64(canonical.id, radix: 16) ?? 0
    let nll = 1.0 + Double(hash % 1000) / 1000 + nllOffset
    return RunRecord(id: canonical.id, config: canonical, status: status,
                     error: status == .ok ? nil : "synthetic \(status.rawValue)",
                     paramsTotal: Int(hash % 100_000), paramsNonEmbedding: Int(hash % 50_000),
                     flopsStudy: Double(hash % 7_919) * 1e9, flops6N: Double(hash % 104_729) * 1e8,
                     flopsExact: Double(hash % 1_299_709) * 1e7, steps: 10, windowsTrained: 640,
                     tokensTrained: 640, validNLL: [nll + 0.1, nll], validSteps: [5, 10], bestEval: 1,
                     testNLL: status == .ok ? nll : nil, bitsPerChar: status == .ok ? nll / log(2) : nil,
                     seed: canonical.seed, wallSeconds: Double(rank) + 0.5, tokensPerSecond: 100,
                     gflopsPerSecond: 1, rank: rank, host: host, finishedAt: "2026-01-01T00:00:0\(rank)Z")
}

/// A small grid: linear × context {16, 32} (depth collapses), mlp and transformer × context
/// {16, 32} × depth {1, 2}: 2 + 4 + 4 = 10 jobs.
let smallGridSpec = """
name: small
base:
  dataset: tinyshakespeare
  d_model: 16
  heads: 2
  ffn_width: 32
  hidden_width: 32
  epochs: 1
  windows_per_epoch: 256
  batch_size: 32
  eval_windows: 200
axes:
  arch: [linear, mlp, transformer]
  context: [16, 32]
  depth: [1, 2]

"""

func smallGridJobs() throws -> [Job] {
    let dir = scratchDirectory()
    let path = writeFile(smallGridSpec, named: "small.yaml", in: dir)
    return try Grid.expand(SweepSpec.load(path: path)).jobs
}

/// Numerics with a given fingerprint and OpenBLAS core, the other facts fixed.
func syntheticNumerics(_ fingerprint: String, core: String = "Haswell") -> Numerics {
    Numerics(fingerprint: fingerprint, cpu: "Test CPU", blasCore: core,
             blasConfig: "OpenBLAS 0.3.21 DYNAMIC_ARCH \(core) MAX_THREADS=64", kernelISA: "avx2+fma",
             version: "0.1.0", buildID: "abc", blasEnvironment: ["OPENBLAS_CORETYPE": core])
}

extension RunRecord {
    /// This record as computed under `numerics`.
    func under(_ numerics: Numerics?) -> RunRecord {
        var record = self
        record.numerics = numerics
        return record
    }
}
