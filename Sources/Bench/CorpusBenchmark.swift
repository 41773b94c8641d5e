import Corpus
import Foundation

/// The corpus figures `lmsweep bench` prints: WikiText-2 read and tokenized, all three splits
/// under the standard convention (its train split alone: target < 0.3 s in a release build), its
/// SHA-256 (`lmsweep data verify`), and one 64 × 128 training batch assembled (target < 50 µs).
public enum CorpusBenchmark {
    /// One line per measurement. Reads the data from `location`; throws its errors unchanged.
    public static func run(location: DataLocation = .resolve()) throws -> [String] {
        let clock = ContinuousClock()
        let trainFile = CorpusDataset.wikitext2.files[0]
        var trainTokens: [Int32] = []
        // Best of three: the first pass also pays for the page cache.
        var loadSeconds = Double.infinity
        for _ in 0..<3 {
            let elapsed = try clock.measure {
                trainTokens = try LoadedCorpus.load(.wikitext2, .standard, from: location).train
            }
            loadSeconds = min(loadSeconds, elapsed.seconds)
        }
        let megabytes = Double(CorpusDataset.wikitext2.files.compactMap(\.byteCount).reduce(0, +)) / 1e6
        var lines = [String(format: "corpus  wikitext2 read+tokenize, three splits (%.1f MB; train %d tokens): %.1f ms",
                            megabytes, trainTokens.count, loadSeconds * 1e3)]

        let bytes = try location.read(trainFile)
        let hashing = clock.measure { _ = SHA256.digest(of: bytes) }
        lines.append(String(format: "corpus  sha256 of wikitext2 train: %.1f ms (%.0f MB/s)",
                            hashing.seconds * 1e3, Double(bytes.count) / 1e6 / hashing.seconds))

        for targets in WindowTargets.allCases {
            var sampler = try TrainingWindowSampler(tokens: trainTokens, contextLength: 128, seed: 1)
            var batch = TrainingBatch(batchSize: 64, contextLength: 128, targets: targets)
            for _ in 0..<100 { sampler.fill(&batch) }
            let repetitions = 2_000
            let elapsed = clock.measure { for _ in 0..<repetitions { sampler.fill(&batch) } }
            let microseconds = String(format: "%.1f", elapsed.seconds / Double(repetitions) * 1e6)
            lines.append("corpus  training batch 64x128 (targets \(targets.rawValue)): \(microseconds) µs  (target < 50 µs)")
        }
        return lines
    }
}
