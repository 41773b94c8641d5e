/// Everything that can go wrong finding, checking and reading a dataset. Each message names the
/// path, what was expected and, for data problems, the command that fixes them.
public enum CorpusError: Error, Equatable, CustomStringConvertible {
    /// A file of the expected layout is not there (or the data root itself is missing).
    case fileMissing(path: String, root: DataLocation)
    case fileEmpty(path: String, root: DataLocation)
    case wrongSize(path: String, expected: Int, found: Int, root: DataLocation)
    case checksumMismatch(path: String, expected: String, found: String, root: DataLocation)
    case unreadable(path: String, reason: String)
    /// A valid/test word that the train split never contains: the word-level datasets already map
    /// rare words to `<unk>`, so this means a damaged or foreign file, never something to drop.
    case outOfVocabulary(word: String, path: String, line: Int)
    /// The study's Tiny Shakespeare split needs a blank line before each cut point.
    case noBlankLine(path: String, after: Int, before: Int)
    case unsupportedConvention(dataset: CorpusDataset, convention: CorpusConvention)
    /// A text corpus that is not usable text.
    case notText(path: String, reason: String)
    /// A text corpus whose contents are not those its runs were planned on.
    case textChanged(path: String, planned: String, found: String)
    /// A split too short for one window of the requested context length.
    case splitTooShort(split: Split, tokens: Int, needed: Int, contextLength: Int)

    public var description: String {
        switch self {
        case let .fileMissing(path, root):
            return "\(path): no such file. Expected the dataset layout of \(root) "
                + "(tinyshakespeare/input.txt, ptb/ptb.{train,valid,test}.txt, "
                + "wikitext-2/wiki.{train,valid,test}.tokens). Fix: \(root.fixCommand)"
        case let .fileEmpty(path, root):
            return "\(path): the file is empty. Fix: \(root.fixCommand)"
        case let .wrongSize(path, expected, found, root):
            return "\(path): \(found) bytes, expected \(expected) bytes (the published file). "
                + "Fix: \(root.fixCommand)"
        case let .checksumMismatch(path, expected, found, root):
            return "\(path): SHA-256 \(found), expected \(expected) (the published file). "
                + "Fix: \(root.fixCommand)"
        case let .unreadable(path, reason):
            return "\(path): cannot be read: \(reason)"
        case let .outOfVocabulary(word, path, line):
            return "\(path):\(line): word \"\(word)\" is not in the train vocabulary "
                + "(expected every valid/test word to occur in train, rare words as <unk>)"
        case let .noBlankLine(path, after, before):
            let range = after < 0 ? "before character \(before)" : "between characters \(after) and \(before)"
            return "\(path): no blank line (\"\\n\\n\") starts \(range), "
                + "which the study's Tiny Shakespeare split rule needs"
        case let .unsupportedConvention(dataset, convention):
            let allowed = dataset.conventions.map(\.rawValue).joined(separator: " or ")
            return "convention \(convention) does not apply to \(dataset) (use \(allowed))"
        case let .textChanged(path, planned, found):
            return "\(path): SHA-256 \(found), but its runs were planned on \(planned): the file changed. "
                + "Its SHA-256 is part of each run's id: plan or run the spec again for runs of the new text"
        case let .notText(path, reason):
            return "\(path): not a text corpus: \(reason)"
        case let .splitTooShort(split, tokens, needed, contextLength):
            return "\(split) split has \(tokens) tokens; context length \(contextLength) needs at least \(needed)"
        }
    }
}
