import XCTest
@testable import Corpus

final class CharacterCorpusTests: XCTestCase {
    func testCharacterRoundTripAndSortedVocabulary() {
        let text = "First Citizen:\nBefore we proceed, hear me speak.\n\nAll: Speak, speak. ü\n"
        let (ids, vocabulary) = CharacterTokenizer.tokenize(Array(text.utf8))
        XCTAssertEqual(vocabulary.decode(ids, level: .character), text)
        XCTAssertEqual(ids.count, text.unicodeScalars.count)
        // The sorted set of characters: newline first, then space, then punctuation, letters, ü last.
        XCTAssertEqual(vocabulary.tokens.first, "\n")
        XCTAssertEqual(vocabulary.tokens[1], " ")
        XCTAssertEqual(vocabulary.tokens.last, "ü")
        XCTAssertEqual(vocabulary.count, Set(text.unicodeScalars).count)
        XCTAssertEqual(vocabulary.tokens, vocabulary.tokens.sorted { $0.unicodeScalars.first!.value < $1.unicodeScalars.first!.value })
    }

    func testASCIIAndUnicodePathsAgree() {
        let text = "Speak, speak.\n\nYou are all resolved rather to die than to famish?\n"
        let ascii = CharacterTokenizer.tokenize(Array(text.utf8))
        let mixed = CharacterTokenizer.tokenize(Array((text + "é").utf8))
        XCTAssertEqual(ascii.vocabulary.tokens + ["é"], mixed.vocabulary.tokens)
        XCTAssertEqual(ascii.ids, Array(mixed.ids.dropLast()))
    }

    /// The study's split rule (data README) on a synthetic 100-character text with blank lines.
    func testStudySplitRuleOnSyntheticText() throws {
        // Blank lines ("\n\n") start at 9, 49, 74 and 88; N = 100.
        var characters = [Character](repeating: "x", count: 100)
        for start in [9, 49, 74, 88] { characters[start] = "\n"; characters[start + 1] = "\n" }
        let text = String(characters)
        let (ids, vocabulary) = CharacterTokenizer.tokenize(Array(text.utf8))
        let split = try CharacterTokenizer.studySplit(ids, newline: vocabulary.id(of: "\n"), path: "synthetic")
        // ⌊0.8·100⌋ = 80 → i1 = 74; ⌊0.9·100⌋ = 90 → i2 = 88.
        XCTAssertEqual(vocabulary.decode(split.train, level: .character), String(characters[0...74]))
        XCTAssertEqual(vocabulary.decode(split.valid, level: .character), String(characters[76...88]))
        XCTAssertEqual(vocabulary.decode(split.test, level: .character), String(characters[90...]))
        XCTAssertEqual([split.train.count, split.valid.count, split.test.count], [75, 13, 10])
        // Each split ends with one newline of its blank line; the other newline is dropped.
        XCTAssertEqual(vocabulary.token(split.train.last!), "\n")
        XCTAssertEqual(vocabulary.token(split.valid.last!), "\n")
        XCTAssertEqual(split.train.count + split.valid.count + split.test.count, 100 - 2)
    }

    /// A blank line starting exactly at ⌊0.8 N⌋ is not "before" it: the earlier one is used.
    func testStudySplitCutPointIsExclusive() throws {
        var characters = [Character](repeating: "x", count: 100)
        for start in [30, 80, 85] { characters[start] = "\n"; characters[start + 1] = "\n" }
        let (ids, vocabulary) = CharacterTokenizer.tokenize(Array(String(characters).utf8))
        let split = try CharacterTokenizer.studySplit(ids, newline: vocabulary.id(of: "\n"), path: "synthetic")
        XCTAssertEqual([split.train.count, split.valid.count, split.test.count], [31, 54, 13])
    }

    func testStudySplitWithoutBlankLineNamesTheFile() {
        let (ids, vocabulary) = CharacterTokenizer.tokenize(Array("one line\nanother line\nno blanks\n".utf8))
        XCTAssertThrowsError(try CharacterTokenizer.studySplit(ids, newline: vocabulary.id(of: "\n"), path: "/x/input.txt")) {
            XCTAssertEqual($0 as? CorpusError, .noBlankLine(path: "/x/input.txt", after: -1, before: 25))
            XCTAssertTrue("\($0)".hasPrefix("/x/input.txt: no blank line"))
        }
    }

    func testNanoGPTSplitIsNinetyTen() throws {
        let data = try TemporaryData()
        let text = String(repeating: "abc\n\n", count: 20) // 100 characters
        try data.write("tinyshakespeare/input.txt", text)
        let corpus = try LoadedCorpus.load(.tinyshakespeare, .nanogpt, from: data.location)
        XCTAssertEqual(corpus.train.count, 90)
        XCTAssertEqual(corpus.valid.count, 10)
        XCTAssertEqual(corpus.test, corpus.valid)
        XCTAssertTrue(corpus.testIsValid)
        XCTAssertEqual(corpus.vocabulary.decode(corpus.train + corpus.valid, level: .character), text)
        XCTAssertEqual(corpus.level, .character)
    }

    func testUnsupportedConventionIsAnError() throws {
        let data = try TemporaryData()
        XCTAssertThrowsError(try LoadedCorpus.load(.tinyshakespeare, .standard, from: data.location)) {
            XCTAssertEqual("\($0)", "convention standard does not apply to tinyshakespeare (use study or nanogpt)")
        }
        XCTAssertThrowsError(try LoadedCorpus.load(.ptb, .nanogpt, from: data.location)) {
            XCTAssertEqual($0 as? CorpusError, .unsupportedConvention(dataset: .ptb, convention: .nanogpt))
        }
    }
}
