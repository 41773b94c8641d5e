/// Character-level tokenization and the two Tiny Shakespeare splits.
///
/// The vocabulary is the sorted set of the characters (Unicode scalars, as Python's `str`
/// indexes them) of the whole file, as in char-rnn and nanoGPT: 65 for Tiny Shakespeare.
enum CharacterTokenizer {
    /// Ids of every character of `bytes` (UTF-8), and the vocabulary they index.
    static func tokenize(_ bytes: [UInt8]) -> (ids: [Int32], vocabulary: Vocabulary) {
        if bytes.allSatisfy({ $0 < 0x80 }) { return tokenizeASCII(bytes) }
        let scalars = Array(String(decoding: bytes, as: UTF8.self).unicodeScalars)
        let alphabet = Set(scalars).sorted { $0.value < $1.value }
        // Tiny Shakespeare is ASCII: a 256-entry table keeps the per-character lookup a load.
        var byteTable = [Int32](repeating: -1, count: 256)
        var wide: [UInt32: Int32] = [:]
        for (id, scalar) in alphabet.enumerated() {
            if scalar.value < 256 { byteTable[Int(scalar.value)] = Int32(id) } else { wide[scalar.value] = Int32(id) }
        }
        var ids = [Int32](repeating: 0, count: scalars.count)
        for (position, scalar) in scalars.enumerated() {
            ids[position] = scalar.value < 256 ? byteTable[Int(scalar.value)] : wide[scalar.value]!
        }
        return (ids, Vocabulary(tokens: alphabet.map { String(Character($0)) }))
    }

    /// The same for pure ASCII (Tiny Shakespeare): one byte, one character, no decoding.
    private static func tokenizeASCII(_ bytes: [UInt8]) -> (ids: [Int32], vocabulary: Vocabulary) {
        var present = [Bool](repeating: false, count: 128)
        for byte in bytes { present[Int(byte)] = true }
        var table = [Int32](repeating: -1, count: 128)
        var alphabet: [String] = []
        for byte in 0..<128 where present[byte] {
            table[byte] = Int32(alphabet.count)
            alphabet.append(String(UnicodeScalar(UInt8(byte))))
        }
        return (bytes.map { table[Int($0)] }, Vocabulary(tokens: alphabet))
    }

    /// The study's contiguous train/valid/test split of Tiny Shakespeare, rebuilt by the rule in
    /// the data README (checked there byte for byte against the study's split files):
    /// `i1` = the last blank line (`"\n\n"`) starting before ⌊0.8 N⌋, `i2` the same before ⌊0.9 N⌋;
    /// train = `[0, i1]`, valid = `[i1+2, i2]`, test = `[i2+2, N)`: each split keeps one newline
    /// of its blank line, the other is dropped. Tiny Shakespeare: 892,117 / 111,669 / 111,606.
    static func studySplit(_ ids: [Int32], newline: Int32?, path: String)
        throws -> (train: [Int32], valid: [Int32], test: [Int32])
    {
        let count = ids.count
        // ⌊0.8 N⌋ and ⌊0.9 N⌋ in exact integer arithmetic.
        let cut80 = count * 8 / 10, cut90 = count * 9 / 10
        func lastBlankLine(before cut: Int, after floor: Int) throws -> Int {
            var position = min(cut - 1, count - 2)
            while position > floor {
                if ids[position] == newline && ids[position + 1] == newline { return position }
                position -= 1
            }
            throw CorpusError.noBlankLine(path: path, after: floor, before: cut)
        }
        let i1 = try lastBlankLine(before: cut80, after: -1)
        let i2 = try lastBlankLine(before: cut90, after: i1 + 1)
        return (Array(ids[0...i1]), Array(ids[(i1 + 2)...i2]), Array(ids[(i2 + 2)...]))
    }

    /// nanoGPT's split (`data/shakespeare_char/prepare.py`): the first ⌊0.9 N⌋ characters train,
    /// the rest validate. There is no test split; valid doubles as test.
    static func nanoGPTSplit(_ ids: [Int32]) -> (train: [Int32], valid: [Int32]) {
        let cut = ids.count * 9 / 10
        return (Array(ids[..<cut]), Array(ids[cut...]))
    }
}
