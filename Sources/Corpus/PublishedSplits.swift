/// Token counts and vocabulary sizes of the datasets as published (`shared/data/README.md`),
/// for plans and validation before any file is read. Loaders check the real files.
public enum PublishedSplits {
    public struct Sizes: Sendable { public let train, valid, test, vocabulary: Int }

    public static func tokens(_ dataset: CorpusDataset, _ convention: CorpusConvention) -> Sizes? {
        switch (dataset, convention) {
        case (.tinyshakespeare, .study): return Sizes(train: 892_117, valid: 111_669, test: 111_606, vocabulary: 65)
        // nanoGPT: first 90% train, last 10% valid; valid doubles as test.
        case (.tinyshakespeare, .nanogpt): return Sizes(train: 1_003_854, valid: 111_540, test: 111_540, vocabulary: 65)
        case (.ptb, .study): return Sizes(train: 887_521, valid: 70_390, test: 78_669, vocabulary: 9_999)
        case (.ptb, .standard): return Sizes(train: 929_589, valid: 73_760, test: 82_430, vocabulary: 10_000)
        case (.wikitext2, .study): return Sizes(train: 2_051_910, valid: 213_886, test: 241_211, vocabulary: 33_277)
        case (.wikitext2, .standard): return Sizes(train: 2_088_628, valid: 217_646, test: 245_569, vocabulary: 33_278)
        default: return nil
        }
    }
}
