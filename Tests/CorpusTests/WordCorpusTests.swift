import XCTest
@testable import Corpus

final class WordCorpusTests: XCTestCase {
    private let train = " the cat sat on the mat \n\n a <unk> sat \n"
    private let valid = "the mat sat\na cat\n"
    private let test = "on the <unk>\nthe cat" // no final newline: still a line

    func testStudyConventionHasNoEndOfLineToken() throws {
        let data = try TemporaryData()
        try data.writePTB(train: train, valid: valid, test: test)
        let corpus = try LoadedCorpus.load(.ptb, .study, from: data.location)
        // Ids in order of first appearance in train.
        XCTAssertEqual(corpus.vocabulary.tokens, ["the", "cat", "sat", "on", "mat", "a", "<unk>"])
        XCTAssertEqual(corpus.train, [0, 1, 2, 3, 0, 4, 5, 6, 2])
        XCTAssertEqual(corpus.valid, [0, 4, 2, 5, 1])
        XCTAssertEqual(corpus.test, [3, 0, 6, 0, 1])
        XCTAssertEqual(corpus.level, .word)
        XCTAssertFalse(corpus.testIsValid)
    }

    func testStandardConventionEndsEveryLineWithEOS() throws {
        let data = try TemporaryData()
        try data.writePTB(train: train, valid: valid, test: test)
        let corpus = try LoadedCorpus.load(.ptb, .standard, from: data.location)
        XCTAssertEqual(corpus.vocabulary.tokens, ["<eos>", "the", "cat", "sat", "on", "mat", "a", "<unk>"])
        // Three train lines (one empty) → three <eos>.
        XCTAssertEqual(corpus.train, [1, 2, 3, 4, 1, 5, 0, 0, 6, 7, 3, 0])
        XCTAssertEqual(corpus.valid, [1, 5, 3, 0, 6, 2, 0])
        XCTAssertEqual(corpus.test, [4, 1, 7, 0, 1, 2, 0])
    }

    func testWordRoundTrip() throws {
        let data = try TemporaryData()
        let text = " Valkyria Chronicles III , @-@ 1 \t 000 = ( 戦場のヴァルキュリア ) \n ' <unk> ' \n"
        try data.writePTB(train: text, valid: text, test: text)
        let corpus = try LoadedCorpus.load(.ptb, .study, from: data.location)
        let words = text.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        XCTAssertEqual(corpus.vocabulary.decode(corpus.train, level: .word), words.joined(separator: " "))
        XCTAssertEqual(corpus.valid, corpus.train)
        XCTAssertEqual(corpus.vocabulary.count, Set(words).count)
        for word in words { XCTAssertEqual(corpus.vocabulary.token(corpus.vocabulary.id(of: word)!), word) }
    }

    /// Many distinct words: the interning table grows (rehashes) and keeps every id.
    func testVocabularySurvivesTableGrowth() throws {
        let data = try TemporaryData()
        let words = (0..<100_000).map { "w\($0)" }
        let text = words.joined(separator: " ") + "\n"
        try data.writePTB(train: text, valid: "w99999 w0\n", test: "w31337\n")
        let corpus = try LoadedCorpus.load(.ptb, .study, from: data.location)
        XCTAssertEqual(corpus.vocabulary.count, 100_000)
        XCTAssertEqual(corpus.train, (0..<100_000).map { Int32($0) })
        XCTAssertEqual(corpus.valid, [99_999, 0])
        XCTAssertEqual(corpus.test, [31_337])
    }

    func testOutOfVocabularyWordIsAnErrorNamingWordAndLine() throws {
        let data = try TemporaryData()
        try data.writePTB(train: train, valid: "the cat\n\nthe dog sat\n", test: test)
        XCTAssertThrowsError(try LoadedCorpus.load(.ptb, .study, from: data.location)) { error in
            let path = data.root + "/ptb/ptb.valid.txt"
            XCTAssertEqual(error as? CorpusError, .outOfVocabulary(word: "dog", path: path, line: 3))
            XCTAssertEqual("\(error)", "\(path):3: word \"dog\" is not in the train vocabulary "
                + "(expected every valid/test word to occur in train, rare words as <unk>)")
        }
    }

    /// An OOV word as the very last bytes of the file (no newline after it) is still reported.
    func testOutOfVocabularyAtEndOfFile() throws {
        let data = try TemporaryData()
        try data.writePTB(train: train, valid: valid, test: "the cat\nsat zebra")
        XCTAssertThrowsError(try LoadedCorpus.load(.ptb, .standard, from: data.location)) {
            XCTAssertEqual($0 as? CorpusError,
                           .outOfVocabulary(word: "zebra", path: data.root + "/ptb/ptb.test.txt", line: 2))
        }
    }
}
