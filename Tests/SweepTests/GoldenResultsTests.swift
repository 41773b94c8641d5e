import Foundation
import Sweep
import Training
import XCTest

/// The measured sweeps committed under docs/results pin what the pipeline computes from a
/// journal: every record keeps its id, and regenerating a folder's tables and report from its
/// journal gives the committed files byte for byte. A change that alters a table on purpose
/// updates the files in the same commit and says why.
final class GoldenResultsTests: XCTestCase {
    static let results = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/results")

    static var folders: [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: results, includingPropertiesForKeys: nil)) ?? [])
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("journal.jsonl").path) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    func testEveryCommittedFolderIsHere() {
        XCTAssertEqual(Self.folders.map(\.lastPathComponent), ["grid", "isoflop-tiny", "study-ablations", "study-positions", "study-tiny", "study-word"])
    }

    func testEveryCommittedRecordKeepsItsID() throws {
        var count = 0
        for folder in Self.folders {
            for entry in try Journal.load(path: folder.appendingPathComponent("journal.jsonl").path) {
                XCTAssertEqual(entry.record.config.id, entry.record.id, entry.source)
                XCTAssertEqual(Job(config: entry.record.config).id, entry.record.id, entry.source)
                count += 1
            }
        }
        XCTAssertEqual(count, 240 + 339 + 36 + 8 + 12 + 2)
    }

    func testRegeneratingEachFolderReproducesItsTablesAndReportByteForByte() throws {
        for folder in Self.folders {
            let scratch = scratchDirectory("golden-\(folder.lastPathComponent)")
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            try FileManager.default.copyItem(atPath: folder.appendingPathComponent("journal.jsonl").path,
                                             toPath: scratch + "/journal.jsonl")
            let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("sweep.json"))) as? [String: Any]
            let title = try XCTUnwrap(meta?["name"] as? String)
            _ = try PreparedSweep.writeResults(directory: scratch, title: title) { XCTFail("\(folder.lastPathComponent): \($0)") }

            let kept: Set<String> = ["journal.jsonl", "spec.yaml", "sweep.json", SweepLock.fileName]
            let committed = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !kept.contains($0) }.sorted()
            let written = try FileManager.default.contentsOfDirectory(atPath: scratch).filter { !kept.contains($0) }.sorted()
            XCTAssertEqual(written, committed, "\(folder.lastPathComponent): the same files")
            for file in committed {
                let expected = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                let actual = (try? String(contentsOfFile: scratch + "/" + file, encoding: .utf8)) ?? ""
                if actual != expected {
                    let at = zip(actual.split(separator: "\n", omittingEmptySubsequences: false),
                                 expected.split(separator: "\n", omittingEmptySubsequences: false)).enumerated()
                        .first { $0.element.0 != $0.element.1 }
                    XCTFail("\(folder.lastPathComponent)/\(file) differs at line \((at?.offset ?? 0) + 1):\n"
                            + "  written:   \(at?.element.0.prefix(200) ?? "")\n  committed: \(at?.element.1.prefix(200) ?? "")")
                }
            }
        }
    }
}
