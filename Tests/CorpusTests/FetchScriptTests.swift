import Foundation
import XCTest
@testable import Corpus

/// `scripts/fetch-data.sh --from`: the copy path and its SHA-256 check (downloads need a network
/// this machine does not have; they share the same check).
final class FetchScriptTests: XCTestCase {
    private let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/fetch-data.sh").path

    private func runScript(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["bash", script] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outputData, as: UTF8.self),
                String(decoding: errorData, as: UTF8.self))
    }

    func testCopyFromPublishedFolderInstallsVerifiedFiles() throws {
        let published = try publishedData()
        let target = try TemporaryData()
        let result = try runScript([target.root + "/data", "--from", published.root])
        XCTAssertEqual(result.status, 0, result.errors)
        let copied = DataLocation(root: target.root + "/data")
        for file in CorpusDataset.allFiles { XCTAssertNoThrow(try copied.verify(file), file.relativePath) }
        // Run again: everything is already there and kept.
        let again = try runScript([target.root + "/data", "--from", published.root])
        XCTAssertEqual(again.status, 0)
        XCTAssertEqual(again.output.components(separatedBy: "(already present)").count - 1, 7)
    }

    func testWrongFileIsRejectedNamedAndNotInstalled() throws {
        let source = try TemporaryData()
        try source.write("tinyshakespeare/input.txt", "not Shakespeare\n")
        let target = try TemporaryData()
        let result = try runScript(["--from", source.root, target.root + "/data"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.errors.contains("\(source.root)/tinyshakespeare/input.txt: SHA-256 "), result.errors)
        XCTAssertTrue(result.errors.contains("expected 86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"))
        XCTAssertTrue(result.errors.contains("\(source.root)/ptb/ptb.train.txt: cannot copy"), result.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: target.root + "/data/tinyshakespeare/input.txt"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: target.root + "/data/tinyshakespeare/input.txt.partial"))
    }
}
