import Foundation
import Sweep
import TestSupport
import Training
import XCTest

/// Journals and weights files damaged by other tools, through the binary: a damaged journal is
/// refused naming its file and line and is left byte for byte as it was; a torn last line is
/// cut with a warning and the sweep resumes; a damaged weights file is an error naming it.
final class JournalAndWeightsFaultTests: FaultCase {
    /// A finished tiny sweep's folder and its journal's lines.
    private func finishedSweep() throws -> (spec: String, out: String, lines: [String]) {
        let spec = try tinySpec()
        let out = scratch + "/out"
        let first = try SweepBinary.run(["run", spec, "--out", out, "-q"] + TestData.dataArguments)
        XCTAssertEqual(first.status, 0, first.stderr)
        let lines = journalText(out).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4)
        return (spec, out, lines)
    }

    func testADamagedJournalIsRefusedNamingItsLineAndIsLeftAsItWas() throws {
        let (spec, out, lines) = try finishedSweep()
        let journal = Journal.journalPath(in: out)
        var edited = lines[1]
        // A record whose config was edited by hand: its id no longer hashes from it.
        edited = edited.replacingOccurrences(of: "\"seed\":0", with: "\"seed\":7")
        XCTAssertNotEqual(edited, lines[1])
        let damages: [(String, String, String)] = [
            ("garbage in the middle", ([lines[0], "{\"this is\": not a record", lines[2], lines[3]]).joined(separator: "\n") + "\n",
             "journal.jsonl:2: not a run record"),
            ("an edited record", [lines[0], edited, lines[2], lines[3]].joined(separator: "\n") + "\n",
             "journal.jsonl:2: run "),
            ("binary bytes", String(decoding: (0..<600).map { UInt8(truncatingIfNeeded: $0 &* 37) }, as: UTF8.self) + "\n",
             "journal.jsonl:1: not a run record"),
        ]
        for (name, text, message) in damages {
            try text.write(toFile: journal, atomically: true, encoding: .utf8)
            let before = try Data(contentsOf: URL(fileURLWithPath: journal))
            try assertRefused(["run", spec, "--out", out] + TestData.dataArguments, saying: [message])
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: journal)), before, "\(name): the journal is left as it was")
            try assertRefused(["report", out], saying: [message])
        }
    }

    func testATornLastLineIsCutWithAWarningAndTheSweepResumes() throws {
        let (spec, out, lines) = try finishedSweep()
        let torn = lines[3].prefix(lines[3].count / 2)
        try (lines[0...2].joined(separator: "\n") + "\n" + torn).write(toFile: Journal.journalPath(in: out), atomically: true, encoding: .utf8)
        let resumed = try SweepBinary.run(["run", spec, "--out", out] + TestData.dataArguments)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("cutting off a torn last line"), resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("1 to run"), resumed.stderr)
        let records = try Journal.load(path: Journal.journalPath(in: out)).map(\.record)
        XCTAssertEqual(Set(records.map(\.id)).count, 4, "every run once")
        XCTAssertEqual(records.prefix(3).map { $0.jsonLine() }, Array(lines[0...2]), "the whole records are kept, first")
    }

    func testDamagedWeightsFilesAreErrorsNamingTheFile() throws {
        let weights = scratch + "/good.safetensors"
        let trained = try SweepBinary.run(["train", "--arch", "linear", "--context", "8", "--max-steps", "3",
                                           "--set", "dataset=\(TestData.tinyShakespeare)", "--set", "d_model=8",
                                           "--set", "eval_windows=50", "--save-weights", weights, "-q"] + TestData.dataArguments)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let good = try Data(contentsOf: URL(fileURLWithPath: weights))
        XCTAssertEqual(try SweepBinary.run(["eval", "--weights", weights] + TestData.dataArguments).status, 0)
        var hugeHeader = good
        hugeHeader.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        let cases: [(String, Data?)] = [
            ("truncated", good.prefix(good.count - 17)),
            ("empty", Data()),
            ("garbage", Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 131) })),
            ("huge header length", hugeHeader),
            ("missing", nil),
        ]
        for (name, bytes) in cases {
            let path = scratch + "/\(name.replacingOccurrences(of: " ", with: "-")).safetensors"
            if let bytes { try bytes.write(to: URL(fileURLWithPath: path)) }
            let result = try assertRefused(["eval", "--weights", path] + TestData.dataArguments, saying: [path])
            XCTAssertFalse(result.stdout.contains("test_nll"), "\(name): no result from a damaged file")
        }
    }
}
