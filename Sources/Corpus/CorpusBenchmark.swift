import Foundation

/// The corpus figures `lmsweep bench` prints: WikiText-2 train read and tokenized (target
/// < 0.3 s in a release build), its SHA-256 (`lmsweep data verify`), and one 64 × 128 training
/// batch assembled (target < 50 µs).
public enum CorpusBenchmark {
    /// One line per measurement. Reads the data from `location`; throws its errors unchanged.
    public static func run(location: DataLocation = .resolve()) throws -> [String] {
        let clock = ContinuousClock()
        let trainFile = CorpusDataset.wikitext2.files[0]
        var trainTokens: [Int32] = []
        // Best of three: the first pass also pays for the page cache.
        var tokenizeSeconds = Double.infinity
        for _ in 0..<3 {
            var tokenizer = WordTokenizer()
            let elapsed = try clock.measure {
                trainTokens = try tokenizer.tokenize(try location.read(trainFile), growing: true, endOfLine: true,
                                                     path: location.path(of: trainFile))
                _ = tokenizer.vocabulary
            }
            tokenizeSeconds = min(tokenizeSeconds, elapsed.seconds)
        }
        var lines = [String(format: "corpus  wikitext2 train read+tokenize (%.1f MB, %d tokens): %.1f ms  (target < 300 ms)",
                            Double(trainFile.byteCount) / 1e6, trainTokens.count, tokenizeSeconds * 1e3)]

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

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
