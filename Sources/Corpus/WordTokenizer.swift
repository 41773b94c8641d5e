/// Word-level tokenization of PTB and WikiText-2: whitespace-separated tokens, vocabulary from
/// the train split only, ids in order of first appearance (as PyTorch's word_language_model
/// numbers them, except that `<eos>` is always id 0). With `endOfLine`, an `<eos>` follows every
/// line: `line.split() + ['<eos>']`.
///
/// "Whitespace" is ASCII whitespace (space, \t, \n, \v, \f, \r), Python's `bytes.split()`; the
/// published files contain no other whitespace, so this equals the README's `str.split()` counts.
///
/// Speed: words are interned straight from the file's bytes in an open-addressing table keyed by
/// FNV-1a hashes, so no `String` is made per token, only one per distinct word at the end.
struct WordTokenizer {
    static let endOfLineToken = "<eos>"

    /// Distinct words' bytes, back to back; word `id` is `arena[wordStart[id] ..< wordStart[id + 1]]`.
    private var arena: [UInt8] = []
    private var wordStart: [Int] = [0]
    private var wordHash: [UInt64] = []
    /// Slots hold word id + 1 (0 = empty); capacity a power of two, at most half full.
    private var slots = [Int32](repeating: 0, count: 1 << 16)

    init() {}

    var wordCount: Int { wordHash.count }

    /// The vocabulary so far, in id order.
    var vocabulary: Vocabulary {
        Vocabulary(tokens: (0..<wordCount).map {
            String(decoding: arena[wordStart[$0] ..< wordStart[$0 + 1]], as: UTF8.self)
        })
    }

    /// Ids of the words of `bytes`. With `growing`, new words join the vocabulary (the train
    /// split); without, a new word is `CorpusError.outOfVocabulary` naming it, `path` and its line.
    mutating func tokenize(_ bytes: [UInt8], growing: Bool, endOfLine: Bool, path: String) throws -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(bytes.count / 4)
        // `<eos>` is interned before any word, so under `standard` it is always id 0.
        let endOfLineID: Int32 = endOfLine ? try internWord(Self.endOfLineToken, path: path) : -1
        // FNV-1a (Fowler–Noll–Vo), folded in byte by byte while scanning a word.
        var hash: UInt64 = Self.fnvOffset
        var wordBegin = -1
        var line = 1
        for (position, byte) in bytes.enumerated() {
            let isSpace = byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
            if !isSpace {
                if wordBegin < 0 { wordBegin = position; hash = Self.fnvOffset }
                hash = (hash ^ UInt64(byte)) &* Self.fnvPrime
                continue
            }
            if wordBegin >= 0 {
                ids.append(try id(bytes, wordBegin, position, hash: hash, growing: growing, path: path, line: line))
                wordBegin = -1
            }
            if byte == 0x0A {
                if endOfLine { ids.append(endOfLineID) }
                line += 1
            }
        }
        if wordBegin >= 0 {
            ids.append(try id(bytes, wordBegin, bytes.count, hash: hash, growing: growing, path: path, line: line))
        }
        // A last line without its newline is still a line (Python's file iteration yields it).
        if endOfLine, let last = bytes.last, last != 0x0A { ids.append(endOfLineID) }
        return ids
    }

    private static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let fnvPrime: UInt64 = 0x0000_0100_0000_01b3

    private mutating func internWord(_ word: String, path: String) throws -> Int32 {
        let bytes = Array(word.utf8)
        let hash = bytes.reduce(Self.fnvOffset) { ($0 ^ UInt64($1)) &* Self.fnvPrime }
        return try id(bytes, 0, bytes.count, hash: hash, growing: true, path: path, line: 0)
    }

    /// The id of `bytes[begin..<end]`, adding it when `growing`; else an out-of-vocabulary error.
    @inline(__always)
    private mutating func id(_ bytes: [UInt8], _ begin: Int, _ end: Int, hash: UInt64,
                             growing: Bool, path: String, line: Int) throws -> Int32 {
        let slot = findSlot(bytes, begin, end, hash: hash)
        let entry = slots[slot]
        if entry != 0 { return entry - 1 }
        guard growing else {
            throw CorpusError.outOfVocabulary(word: String(decoding: bytes[begin..<end], as: UTF8.self),
                                              path: path, line: line)
        }
        let id = wordCount
        arena.append(contentsOf: bytes[begin..<end])
        wordStart.append(arena.count)
        wordHash.append(hash)
        slots[slot] = Int32(id + 1)
        if 2 * wordCount > slots.count { rehash() }
        return Int32(id)
    }

    /// The slot holding `bytes[begin..<end]`, or the empty slot where it belongs (linear probing).
    @inline(__always)
    private func findSlot(_ bytes: [UInt8], _ begin: Int, _ end: Int, hash: UInt64) -> Int {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return slot }
            let id = Int(entry) - 1
            if wordHash[id] == hash && matches(id, bytes, begin, end) { return slot }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    private func matches(_ id: Int, _ bytes: [UInt8], _ begin: Int, _ end: Int) -> Bool {
        let start = wordStart[id]
        guard wordStart[id + 1] - start == end - begin else { return false }
        for offset in 0..<(end - begin) where arena[start + offset] != bytes[begin + offset] { return false }
        return true
    }

    private mutating func rehash() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for id in 0..<wordCount {
            var slot = Int(truncatingIfNeeded: wordHash[id]) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(id + 1)
        }
    }
}
