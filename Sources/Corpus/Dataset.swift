/// The study's three datasets, by the names run configs use (`dataset: wikitext2`), and `text`:
/// a text file of one's own (``CorpusSource/text(path:sha256:level:)``).
public enum CorpusDataset: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case tinyshakespeare, ptb, wikitext2, text

    public var description: String { rawValue }

    /// The published ones, which have files and sums of their own.
    public static var published: [CorpusDataset] { [.tinyshakespeare, .ptb, .wikitext2] }

    /// Tiny Shakespeare is modelled character by character (Karpathy's char-rnn); PTB and
    /// WikiText-2 word by word, as they are distributed (Mikolov 2010; Merity et al. 2016). A
    /// text corpus says its own (`tokenizer`); characters unless it says words.
    public var level: TokenLevel { self == .ptb || self == .wikitext2 ? .word : .character }

    /// The conventions this dataset can be loaded under; the first is the default.
    public var conventions: [CorpusConvention] {
        switch self {
        case .tinyshakespeare: return [.study, .nanogpt]
        case .ptb, .wikitext2: return [.study, .standard]
        case .text: return [.study]
        }
    }
}

/// How a dataset is split and tokenized. The raw values are the ones run configs use
/// (`convention: standard`), so the Trainer maps its own enum by `rawValue`.
public enum CorpusConvention: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    /// The study's protocol. Tiny Shakespeare: the study's contiguous 80/10/10 split, rebuilt from
    /// `input.txt` by the rule in the data README. PTB, WikiText-2: whitespace tokens with no
    /// end-of-line token (vocabularies 9,999 and 33,277).
    case study
    /// nanoGPT's Tiny Shakespeare split: first 90% train, last 10% valid; valid doubles as test.
    case nanogpt
    /// The usual word-level LM convention (`line.split() + ['<eos>']`, PyTorch's
    /// word_language_model): an `<eos>` after every line (vocabularies 10,000 and 33,278).
    case standard

    public var description: String { rawValue }
}

public enum TokenLevel: String, CaseIterable, Codable, Sendable { case character, word }

public enum Split: String, CaseIterable, Sendable, CustomStringConvertible {
    case train, valid, test
    public var description: String { rawValue }
}

/// One file of a dataset as published: where it sits under the data root, and its size and
/// SHA-256 (the same sums as `data.sha256` at the top of the repository and the shared
/// `SHA256SUMS`; a test keeps them in step).
public struct DataFile: Sendable, Hashable {
    /// Path under the data root, e.g. `wikitext-2/wiki.train.tokens` (absolute for a text
    /// corpus given so).
    public let relativePath: String
    /// The published size; nil for a text corpus, whose size its SHA-256 pins.
    public let byteCount: Int?
    public let sha256: String

    public init(relativePath: String, byteCount: Int?, sha256: String) {
        self.relativePath = relativePath; self.byteCount = byteCount; self.sha256 = sha256
    }
}

extension CorpusDataset {
    /// The files of this dataset, in the layout `scripts/fetch-data.sh` creates.
    /// Tiny Shakespeare is one file that the loader splits; the word-level datasets have one
    /// file per split, in train, valid, test order.
    public var files: [DataFile] {
        switch self {
        case .tinyshakespeare:
            return [DataFile(relativePath: "tinyshakespeare/input.txt", byteCount: 1_115_394,
                             sha256: "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed")]
        case .ptb:
            return [
                DataFile(relativePath: "ptb/ptb.train.txt", byteCount: 5_101_618,
                         sha256: "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf"),
                DataFile(relativePath: "ptb/ptb.valid.txt", byteCount: 399_782,
                         sha256: "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2"),
                DataFile(relativePath: "ptb/ptb.test.txt", byteCount: 449_945,
                         sha256: "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0"),
            ]
        case .text:
            return []
        case .wikitext2:
            return [
                DataFile(relativePath: "wikitext-2/wiki.train.tokens", byteCount: 10_797_148,
                         sha256: "9e9fa1ad55b1c2c95b08e37dd8e653f638fac2c6de904b79e813611eefbc985f"),
                DataFile(relativePath: "wikitext-2/wiki.valid.tokens", byteCount: 1_121_681,
                         sha256: "f0737ed31fc1329026e95cb8b98e19c2a182c39c240ab909dc31abf2f8af58e8"),
                DataFile(relativePath: "wikitext-2/wiki.test.tokens", byteCount: 1_256_449,
                         sha256: "d790b833ef8cf03a90db7bf1271b7520b83c45ce07ba3c1a9699df81e239eca0"),
            ]
        }
    }

    /// Every file of every published dataset.
    public static var allFiles: [DataFile] { published.flatMap(\.files) }
}
