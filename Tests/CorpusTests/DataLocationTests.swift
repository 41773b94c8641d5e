import Foundation
import XCTest
@testable import Corpus

final class DataLocationTests: XCTestCase {
    func testLookupOrderIsFlagThenEnvironmentThenWorkingDirectory() {
        let environment = ["LMSWEEP_DATA": "/from/env"]
        let explicit = DataLocation.resolve(dataDir: "/from/flag", environment: environment)
        XCTAssertEqual(explicit.root, "/from/flag")
        XCTAssertEqual(explicit.source, .explicit)

        let fromEnvironment = DataLocation.resolve(dataDir: nil, environment: environment)
        XCTAssertEqual(fromEnvironment.root, "/from/env")
        XCTAssertEqual(fromEnvironment.source, .environment)

        let fallback = DataLocation.resolve(dataDir: nil, environment: ["LMSWEEP_DATA": ""])
        XCTAssertEqual(fallback.root, FileManager.default.currentDirectoryPath + "/data")
        XCTAssertEqual(fallback.source, .workingDirectory)
        XCTAssertEqual(DataLocation.resolve(dataDir: nil, environment: [:]).source, .workingDirectory)
    }

    func testRootIsAbsoluteAndTrimmed() {
        XCTAssertEqual(DataLocation(root: "/srv/data///").root, "/srv/data")
        XCTAssertEqual(DataLocation(root: "/srv/./data/../data").root, "/srv/data")
        XCTAssertEqual(DataLocation(root: "/srv/data").path(of: CorpusDataset.ptb.files[2]), "/srv/data/ptb/ptb.test.txt")
    }

    func testMissingFileNamesPathLayoutAndFix() {
        let location = DataLocation.resolve(dataDir: "/nonexistent/lmsweep-data", environment: [:])
        XCTAssertThrowsError(try LoadedCorpus.load(.wikitext2, .study, from: location)) { error in
            XCTAssertEqual(error as? CorpusError,
                           .fileMissing(path: "/nonexistent/lmsweep-data/wikitext-2/wiki.train.tokens", root: location))
            XCTAssertEqual("\(error)", "/nonexistent/lmsweep-data/wikitext-2/wiki.train.tokens: no such file. "
                + "Expected the dataset layout of /nonexistent/lmsweep-data (from --data-dir) "
                + "(tinyshakespeare/input.txt, ptb/ptb.{train,valid,test}.txt, wikitext-2/wiki.{train,valid,test}.tokens). "
                + "Fix: scripts/fetch-data.sh /nonexistent/lmsweep-data")
        }
    }

    func testEmptyFileIsAnError() throws {
        let data = try TemporaryData()
        try data.writePTB(train: "a b\n", valid: "", test: "a\n")
        XCTAssertThrowsError(try LoadedCorpus.load(.ptb, .study, from: data.location)) {
            XCTAssertEqual($0 as? CorpusError, .fileEmpty(path: data.root + "/ptb/ptb.valid.txt", root: data.location))
            XCTAssertTrue("\($0)".contains("the file is empty. Fix: scripts/fetch-data.sh \(data.root)"))
        }
    }

    /// With published sizes checked (the default), a truncated file fails at load, before tokenizing.
    func testWrongSizeIsAnErrorWhenPublishedSizesAreChecked() throws {
        let data = try TemporaryData()
        try data.write("tinyshakespeare/input.txt", "First Citizen:\n\nBefore we proceed\n")
        let checked = DataLocation(root: data.root)
        XCTAssertThrowsError(try LoadedCorpus.load(.tinyshakespeare, .study, from: checked)) {
            XCTAssertEqual($0 as? CorpusError, .wrongSize(path: data.root + "/tinyshakespeare/input.txt",
                                                          expected: 1_115_394, found: 34, root: checked))
            XCTAssertTrue("\($0)".contains("34 bytes, expected 1115394 bytes"))
        }
    }
}
