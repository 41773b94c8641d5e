import Foundation

/// Loads each (dataset, convention, data root) once per process and hands every caller the same
/// ``LoadedCorpus``: a rank trains many runs on the same data, and tokenizing WikiText-2 again
/// for each would cost more than a small run.
///
/// Thread-safe: one lock, held through a load, so two threads asking for the same corpus at
/// once load it once (the second waits). A failed load is not cached; the next call retries.
public final class CorpusCache: @unchecked Sendable {
    public static let shared = CorpusCache()

    private struct Key: Hashable {
        let source: CorpusSource
        let root: String
    }

    private let lock = NSLock()
    private var corpora: [Key: LoadedCorpus] = [:]

    public init() {}

    public func corpus(_ dataset: CorpusDataset, _ convention: CorpusConvention,
                       at location: DataLocation) throws -> LoadedCorpus {
        try corpus(.published(dataset, convention), at: location)
    }

    public func corpus(_ source: CorpusSource, at location: DataLocation) throws -> LoadedCorpus {
        lock.lock()
        defer { lock.unlock() }
        let key = Key(source: source, root: location.root)
        if let cached = corpora[key] { return cached }
        let corpus = try LoadedCorpus.load(source, from: location)
        corpora[key] = corpus
        return corpus
    }

    /// How many corpora are held.
    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return corpora.count
    }
}
