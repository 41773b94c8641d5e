import Foundation

/// What a run trains on: one of the published datasets under a convention, or a text corpus of
/// one's own: a file under the data root (or at an absolute path), pinned by its SHA-256, read
/// character by character or word by word.
public enum CorpusSource: Hashable, Sendable, CustomStringConvertible {
    case published(CorpusDataset, CorpusConvention)
    /// `sha256` nil: not pinned yet (a spec being checked, before its files are read).
    case text(path: String, sha256: String?, level: TokenLevel)

    public var level: TokenLevel {
        switch self {
        case .published(let dataset, _): return dataset.level
        case .text(_, _, let level): return level
        }
    }

    public var description: String {
        switch self {
        case .published(let dataset, let convention): return convention == .study ? dataset.rawValue : "\(dataset) (\(convention))"
        case .text(let path, _, let level): return "text:\(path)" + (level == .word ? " (words)" : "")
        }
    }

    /// The files it reads, with the sums they must have.
    public var files: [DataFile] {
        switch self {
        case .published(let dataset, _): return dataset.files
        case .text(let path, let sha256, _): return [DataFile(relativePath: path, byteCount: nil, sha256: sha256 ?? "")]
        }
    }
}

extension DataLocation {
    /// The SHA-256 of the text corpus at `path` (under this root, or absolute), after the checks
    /// any corpus file gets: what pins a run to the text it was planned on.
    public func sha256(ofText path: String) throws -> String {
        let file = DataFile(relativePath: path, byteCount: nil, sha256: "")
        let unchecked = DataLocation(root: root, source: source, checksPublishedSizes: false)
        return VerifiedFiles.shared.sha256(of: self.path(of: file), bytes: try unchecked.read(file))
    }
}

extension LoadedCorpus {
    /// A text corpus: its bytes, checked against the SHA-256 its runs were planned with, split at
    /// the last line end before 80% and before 90% of its tokens (train, valid, test). Characters
    /// are Unicode scalars as for Tiny Shakespeare; words are whitespace-separated with an
    /// `<eos>` per line, the vocabulary drawn from the whole file (no `<unk>`).
    static func loadText(path: String, sha256: String?, level: TokenLevel, from location: DataLocation) throws -> LoadedCorpus {
        let file = DataFile(relativePath: path, byteCount: nil, sha256: sha256 ?? "")
        let strict = DataLocation(root: location.root, source: location.source, checksPublishedSizes: sha256 != nil)
        let bytes: [UInt8]
        do { bytes = try strict.read(file) } catch CorpusError.checksumMismatch(let path, let expected, let found, _) {
            throw CorpusError.textChanged(path: path, planned: expected, found: found)
        }
        let fullPath = location.path(of: file)
        if bytes.contains(0) { throw CorpusError.notText(path: fullPath, reason: "it holds NUL bytes (a binary file?)") }
        let ids: [Int32], vocabulary: Vocabulary, lineEnd: Int32?
        switch level {
        case .character:
            (ids, vocabulary) = CharacterTokenizer.tokenize(bytes)
            lineEnd = vocabulary.id(of: "\n")
        case .word:
            var tokenizer = WordTokenizer()
            ids = try tokenizer.tokenize(bytes, growing: true, endOfLine: true, path: fullPath)
            vocabulary = tokenizer.vocabulary
            lineEnd = vocabulary.id(of: WordTokenizer.endOfLineToken)
        }
        guard ids.count >= 10 else {
            throw CorpusError.notText(path: fullPath, reason: "\(ids.count) tokens: too short to split into train, valid and test")
        }
        func cut(_ fraction: Int) -> Int {
            let target = ids.count * fraction / 10
            var position = target
            while position > 0, ids[position - 1] != lineEnd { position -= 1 }
            return position > 0 ? position : target
        }
        let (first, second) = (cut(8), max(cut(8) + 1, cut(9)))
        return LoadedCorpus(dataset: .text, convention: .study, level: level, vocabulary: vocabulary,
                            train: Array(ids[..<first]), valid: Array(ids[first..<second]), test: Array(ids[second...]))
    }
}
