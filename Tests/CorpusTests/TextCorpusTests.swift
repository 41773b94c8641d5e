import Foundation
import TestSupport
import XCTest
@testable import Corpus

/// A text corpus of one's own: split at line ends, pinned by its SHA-256, refused when it is
/// not text or not the file its runs were planned on.
final class TextCorpusTests: XCTestCase {
    private func corpus(_ text: [UInt8], level: TokenLevel = .character, pin: Bool = true) throws -> (LoadedCorpus, TemporaryData) {
        let data = try TemporaryData()
        try FileManager.default.createDirectory(atPath: data.root + "/mine", withIntermediateDirectories: true)
        try Data(text).write(to: URL(fileURLWithPath: data.root + "/mine/corpus.txt"))
        let sum = pin ? SHA256.hexDigest(of: text) : nil
        return (try LoadedCorpus.load(.text(path: "mine/corpus.txt", sha256: sum, level: level), from: data.location), data)
    }

    func testCharacterCorpusSplitsAtTheLastLineEndsBefore80And90Percent() throws {
        let lines = (0..<100).map { "line \($0) of the text" }
        let text = Array((lines.joined(separator: "\n") + "\n").utf8)
        let (loaded, _) = try corpus(text)
        XCTAssertEqual(loaded.train.count + loaded.valid.count + loaded.test.count, text.count)
        let newline = try XCTUnwrap(loaded.vocabulary.id(of: "\n"))
        XCTAssertEqual(loaded.train.last, newline, "train ends at a line end")
        XCTAssertEqual(loaded.valid.last, newline)
        XCTAssertLessThanOrEqual(loaded.train.count, text.count * 8 / 10)
        XCTAssertGreaterThan(loaded.train.count, text.count * 8 / 10 - 25, "within one line of the 80% point")
        XCTAssertEqual(loaded.level, .character)
    }

    func testWordCorpusCountsWordsAndLineEnds() throws {
        let text = Array((0..<50).map { "w\($0 % 7) x y" }.joined(separator: "\n").utf8 + [0x0A])
        let (loaded, _) = try corpus(text, level: .word)
        XCTAssertEqual(loaded.train.count + loaded.valid.count + loaded.test.count, 50 * 4, "three words and <eos> per line")
        XCTAssertEqual(loaded.vocabulary.count, 7 + 2 + 1, "w0...w6, x, y, <eos>")
        XCTAssertEqual(loaded.level, .word)
    }

    func testUnicodeAndInvalidUTF8AreReadAsScalarsWithoutCrashing() throws {
        // Canonically equivalent Å (U+00C5, U+212B), a combining accent, a BMP and an astral symbol.
        var text = Array("\u{00C5} \u{212B} e\u{301} ☃ 𝄞\n".utf8)
        text += [0xFF, 0xFE, 0x41, 0x0A]
        text = Array(repeating: text, count: 20).flatMap { $0 }
        let (loaded, _) = try corpus(text)
        XCTAssertEqual(loaded.vocabulary.count, 10, "every distinct scalar, U+FFFD for the invalid bytes")
        XCTAssertEqual(loaded.train.count + loaded.valid.count + loaded.test.count,
                       String(decoding: text, as: UTF8.self).unicodeScalars.count)
    }

    func testBinaryEmptyShortAndChangedFilesAreRefusedNamingThePath() throws {
        XCTAssertThrowsError(try corpus([0x41, 0x00, 0x42] + Array(repeating: 0x41, count: 50))) { error in
            XCTAssertTrue("\(error)".contains("/mine/corpus.txt: not a text corpus: it holds NUL bytes"), "\(error)")
        }
        XCTAssertThrowsError(try corpus([])) { error in
            XCTAssertTrue("\(error)".contains("/mine/corpus.txt: the file is empty"), "\(error)")
        }
        XCTAssertThrowsError(try corpus(Array("abc\n".utf8))) { error in
            XCTAssertTrue("\(error)".contains("4 tokens: too short"), "\(error)")
        }
        let data = try TemporaryData()
        try data.write("mine/corpus.txt", String(repeating: "some text\n", count: 10))
        let planned = String(repeating: "0", count: 64)
        XCTAssertThrowsError(try LoadedCorpus.load(.text(path: "mine/corpus.txt", sha256: planned, level: .character), from: data.location)) { error in
            XCTAssertTrue("\(error)".contains("but its runs were planned on \(planned): the file changed"), "\(error)")
        }
    }

    /// A verified file is hashed once: the cache answers for the same path, size, mtime and
    /// inode, and a changed file is hashed again.
    func testVerifiedFilesRemembersSumsUntilTheFileChanges() throws {
        let data = try TemporaryData()
        try data.write("f.txt", "first contents\n")
        let path = data.root + "/f.txt", cache = data.root + "/cache/verified.json"
        let first = VerifiedFiles(cachePath: cache)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(first.sha256(of: path, bytes: bytes), SHA256.hexDigest(of: bytes))
        XCTAssertTrue(FileManager.default.fileExists(atPath: cache))
        // Another process (a fresh cache object) trusts the stored sum: shown by handing it other bytes.
        XCTAssertEqual(VerifiedFiles(cachePath: cache).sha256(of: path, bytes: Array("other contents\n".utf8)), SHA256.hexDigest(of: bytes))
        try data.write("f.txt", "changed contents, longer\n")
        let changed = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(VerifiedFiles(cachePath: cache).sha256(of: path, bytes: changed), SHA256.hexDigest(of: changed))
    }
}
