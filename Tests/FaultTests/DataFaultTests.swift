import Foundation
import Sweep
import TestSupport
import Training
import XCTest

/// Never train on data that is not verified: published files by their committed sums, text
/// corpora by the sums their runs were planned with.
final class DataFaultTests: FaultCase {
    func testASameSizeCorruptedDatasetIsRefusedBeforeTraining() throws {
        let published = try TestData.requirePublished("a corrupted copy of the published file")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: published + "/tinyshakespeare/input.txt")))
        bytes[bytes.count / 2] ^= 0x01
        try FileManager.default.createDirectory(atPath: scratch + "/data/tinyshakespeare", withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: scratch + "/data/tinyshakespeare/input.txt"))
        let spec = try write("name: bad-data\nbase: {dataset: tinyshakespeare, arch: linear, context: 8, epochs: 1, windows_per_epoch: 64, eval_windows: 10}\n",
                             to: "bad-data.yaml")
        try assertRefused(["run", spec, "--out", scratch + "/out", "--data-dir", scratch + "/data"],
                          saying: ["\(scratch)/data/tinyshakespeare/input.txt: SHA-256 ", "expected 86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"])
        XCTAssertEqual(journalText(scratch + "/out"), "", "nothing trained")
        try assertRefused(["train", "--data-dir", scratch + "/data", "--max-steps", "1"],
                          saying: ["input.txt: SHA-256 "])
    }

    func testAMissingDataFolderNamesThePathAndTheFix() throws {
        try assertRefused(["run", try tinySpec(), "--out", scratch + "/out", "--data-dir", scratch + "/nowhere"],
                          saying: ["\(scratch)/nowhere/", "no such file", "scripts/fetch-data.sh \(scratch)/nowhere"])
    }

    /// `dataset: text:PATH` trains through the binary; its sum is in every record.
    func testATextCorpusOfOnesOwnTrainsAndIsPinnedByItsSum() throws {
        let text = (0..<400).map { "the \($0 % 13) lines of my own corpus" }.joined(separator: "\n") + "\n"
        try write(text, to: "data/mine/corpus.txt")
        let spec = try write("""
            name: mine
            base: {dataset: "text:mine/corpus.txt", arch: linear, context: 8, epochs: 1, windows_per_epoch: 128, eval_windows: 50}
            axes: {seed: [0, 1]}
            """, to: "mine.yaml")
        let result = try SweepBinary.run(["run", spec, "--out", scratch + "/out", "--data-dir", scratch + "/data"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let records = try Journal.load(path: Journal.journalPath(in: scratch + "/out")).map(\.record)
        XCTAssertEqual(records.count, 2)
        XCTAssertEqual(Set(records.map(\.status)), [.ok])
        XCTAssertEqual(Set(records.compactMap(\.config.textSHA256)), [SHA256Helper.hex(Array(text.utf8))])
        // Edited after planning: the same spec plans new runs; the old ones stay as they were.
        try write(text + "one more line\n", to: "data/mine/corpus.txt")
        let again = try SweepBinary.run(["run", spec, "--out", scratch + "/out", "--data-dir", scratch + "/data"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("2 jobs, 0 already in"), again.stderr)
        XCTAssertEqual(try Journal.load(path: Journal.journalPath(in: scratch + "/out")).count, 4)
    }

    func testTextCorporaThatAreNotTextAreRefusedAtTheSpecLine() throws {
        try Data([0x41, 0x00] + Array(repeating: 0x42, count: 100)).write(to: URL(fileURLWithPath: try write("", to: "data/bin.txt")))
        try write("", to: "data/empty.txt")
        for (file, message) in [("bin.txt", "not a text corpus: it holds NUL bytes"), ("empty.txt", "the file is empty"),
                                ("absent.txt", "no such file")] {
            let spec = try write("name: t\nbase: {arch: linear, context: 4, epochs: 1, windows_per_epoch: 8, eval_windows: 4}\n"
                                 + "include: [{dataset: \"text:\(file)\"}]\n", to: "t.yaml")
            try assertRefused(["run", spec, "--out", scratch + "/out-\(file)", "--data-dir", scratch + "/data"], saying: [message])
        }
    }
}

/// SHA-256 by coreutils, independent of the tensor core's own implementation.
enum SHA256Helper {
    static func hex(_ bytes: [UInt8]) -> String {
        let path = NSTemporaryDirectory() + "sha-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try? Command.run("/usr/bin/sha256sum", [path])
        return String(result?.stdout.prefix(64) ?? "")
    }
}
