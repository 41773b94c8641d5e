import XCTest
@testable import Corpus

/// The published statistics (issue 3, the data README), reproduced from the real files when
/// `LMSWEEP_DATA` names them; skipped otherwise.
final class PublishedDataTests: XCTestCase {
    private struct Expected {
        let vocabulary: Int
        let train: Int, valid: Int, test: Int
    }

    private func check(_ dataset: CorpusDataset, _ convention: CorpusConvention, _ expected: Expected) throws {
        let corpus = try LoadedCorpus.load(dataset, convention, from: try publishedData())
        let label = "\(dataset) \(convention)"
        XCTAssertEqual(corpus.vocabulary.count, expected.vocabulary, label)
        XCTAssertEqual(corpus.train.count, expected.train, label)
        XCTAssertEqual(corpus.valid.count, expected.valid, label)
        XCTAssertEqual(corpus.test.count, expected.test, label)
        let vocabularySize = Int32(corpus.vocabulary.count)
        for split in Split.allCases {
            XCTAssertTrue(corpus.tokens(split).allSatisfy { $0 >= 0 && $0 < vocabularySize }, "\(label) \(split)")
        }
    }

    func testTinyShakespeareStudySplit() throws {
        try check(.tinyshakespeare, .study, Expected(vocabulary: 65, train: 892_117, valid: 111_669, test: 111_606))
        // The study's train split ends with the blank line at 892,116 ("\n"), valid starts after it.
        let corpus = try LoadedCorpus.load(.tinyshakespeare, .study, from: try publishedData())
        XCTAssertEqual(corpus.vocabulary.decode(Array(corpus.train.prefix(14)), level: .character), "First Citizen:")
        XCTAssertEqual(corpus.vocabulary.token(corpus.train.last!), "\n")
        XCTAssertNotEqual(corpus.vocabulary.token(corpus.valid.first!), "\n")
    }

    func testTinyShakespeareNanoGPTSplit() throws {
        // int(0.9 · 1,115,394) = 1,003,854 train; valid doubles as test.
        try check(.tinyshakespeare, .nanogpt, Expected(vocabulary: 65, train: 1_003_854, valid: 111_540, test: 111_540))
    }

    func testPTBStudy() throws {
        try check(.ptb, .study, Expected(vocabulary: 9_999, train: 887_521, valid: 70_390, test: 78_669))
    }

    func testPTBStandard() throws {
        try check(.ptb, .standard, Expected(vocabulary: 10_000, train: 929_589, valid: 73_760, test: 82_430))
    }

    func testWikiText2Study() throws {
        try check(.wikitext2, .study, Expected(vocabulary: 33_277, train: 2_051_910, valid: 213_886, test: 241_211))
    }

    func testWikiText2Standard() throws {
        try check(.wikitext2, .standard, Expected(vocabulary: 33_278, train: 2_088_628, valid: 217_646, test: 245_569))
        let corpus = try LoadedCorpus.load(.wikitext2, .standard, from: try publishedData())
        // The first line of wiki.train.tokens is " \n" (empty): the split starts with <eos>, then " = Valkyria Chronicles III = ".
        XCTAssertEqual(corpus.vocabulary.decode(Array(corpus.train.prefix(6)), level: .word), "<eos> = Valkyria Chronicles III =")
    }

    func testEveryPublishedFileMatchesItsSum() throws {
        let location = try publishedData()
        for file in CorpusDataset.allFiles { XCTAssertNoThrow(try location.verify(file), file.relativePath) }
    }
}
