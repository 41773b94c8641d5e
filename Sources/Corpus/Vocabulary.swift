/// The token strings of a corpus, by id, and back. Ids are dense `Int32` in `0..<count`, the
/// type every window and batch carries.
public struct Vocabulary: Sendable, Equatable {
    /// `tokens[id]` is the token's text: one character, or one word (`<unk>`, `<eos>` included).
    public let tokens: [String]
    private let ids: [String: Int32]

    /// Tokens are distinct as the tokenizers see them (bytes, Unicode scalars), but two may read
    /// as one `String`: canonically equivalent scalars (U+212B and U+00C5), or invalid UTF-8 that
    /// decodes to U+FFFD. Such a text maps back to the first of its ids.
    public init(tokens: [String]) {
        self.tokens = tokens
        var ids: [String: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() where ids[token] == nil { ids[token] = Int32(id) }
        self.ids = ids
    }

    public var count: Int { tokens.count }

    public func id(of token: String) -> Int32? { ids[token] }

    public func token(_ id: Int32) -> String { tokens[Int(id)] }

    /// The text of `ids`: characters joined as they are, words with one space between.
    public func decode(_ ids: [Int32], level: TokenLevel) -> String {
        ids.map { tokens[Int($0)] }.joined(separator: level == .word ? " " : "")
    }

    public static func == (lhs: Vocabulary, rhs: Vocabulary) -> Bool { lhs.tokens == rhs.tokens }
}
