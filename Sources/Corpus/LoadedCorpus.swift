/// One dataset loaded under one convention: token ids per split and the vocabulary they index.
///
/// Immutable and `Sendable`: load it once per process (``CorpusCache``) and share it across every
/// run on the rank. Ids are `Int32`, the type windows and batches carry.
public final class LoadedCorpus: Sendable {
    public let dataset: CorpusDataset
    public let convention: CorpusConvention
    public let vocabulary: Vocabulary
    public let train: [Int32]
    public let valid: [Int32]
    /// Under `nanogpt` there is no test split: this is the valid split (``testIsValid``).
    public let test: [Int32]

    public let level: TokenLevel
    public var testIsValid: Bool { convention == .nanogpt }

    init(dataset: CorpusDataset, convention: CorpusConvention, level: TokenLevel? = nil, vocabulary: Vocabulary,
         train: [Int32], valid: [Int32], test: [Int32]) {
        self.dataset = dataset
        self.convention = convention
        self.level = level ?? dataset.level
        self.vocabulary = vocabulary
        self.train = train
        self.valid = valid
        self.test = test
    }

    public func tokens(_ split: Split) -> [Int32] {
        switch split {
        case .train: return train
        case .valid: return valid
        case .test: return test
        }
    }

    /// Reads (checking sizes and sums) and tokenizes `source` from `location`.
    /// Prefer ``CorpusCache/corpus(_:at:)``, which does this once per process.
    public static func load(_ source: CorpusSource, from location: DataLocation) throws -> LoadedCorpus {
        switch source {
        case .published(let dataset, let convention): return try load(dataset, convention, from: location)
        case .text(let path, let sha256, let level): return try loadText(path: path, sha256: sha256, level: level, from: location)
        }
    }

    /// A published dataset.
    public static func load(_ dataset: CorpusDataset, _ convention: CorpusConvention,
                            from location: DataLocation) throws -> LoadedCorpus {
        guard dataset != .text, dataset.conventions.contains(convention) else {
            throw CorpusError.unsupportedConvention(dataset: dataset, convention: convention)
        }
        switch dataset.level {
        case .character:
            let file = dataset.files[0]
            let (ids, vocabulary) = CharacterTokenizer.tokenize(try location.read(file))
            if convention == .nanogpt {
                let (train, valid) = CharacterTokenizer.nanoGPTSplit(ids)
                return LoadedCorpus(dataset: dataset, convention: convention, vocabulary: vocabulary,
                                    train: train, valid: valid, test: valid)
            }
            let (train, valid, test) = try CharacterTokenizer.studySplit(
                ids, newline: vocabulary.id(of: "\n"), path: location.path(of: file))
            return LoadedCorpus(dataset: dataset, convention: convention, vocabulary: vocabulary,
                                train: train, valid: valid, test: test)
        case .word:
            var tokenizer = WordTokenizer()
            var splits: [[Int32]] = []
            for (index, file) in dataset.files.enumerated() {
                splits.append(try tokenizer.tokenize(
                    try location.read(file), growing: index == 0,
                    endOfLine: convention == .standard, path: location.path(of: file)))
            }
            return LoadedCorpus(dataset: dataset, convention: convention, vocabulary: tokenizer.vocabulary,
                                train: splits[0], valid: splits[1], test: splits[2])
        }
    }
}
