import Foundation
@testable import Cluster
import Sweep
import Training
import TestSupport
import XCTest

/// `--stage-data`: a rank whose data folder lacks a dataset file (or holds a damaged one)
/// receives it from rank 0 over MPI, checked against the committed SHA-256, and trains from it
/// with the same results as one process. Open MPI's MPMD form gives rank 1 its own folder.
final class StageDataTests: XCTestCase {
    private var root = ""
    private var data = ""

    override func setUpWithError() throws {
        data = try TestData.requirePublished("staging checks each file against its published SHA-256")
        root = NSTemporaryDirectory() + "lmsweep-stage-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    private var original: String { data + "/tinyshakespeare/input.txt" }

    /// `mpirun -np 1 lmsweep run SPEC RANK0 : -np 1 lmsweep run SPEC RANK1`.
    private func sweep(_ spec: String, out: String, rank0: [String], rank1: [String]) throws -> SweepBinary.Result {
        let common = ["run", spec, "--out", out]
        return try SweepBinary.run(common + rank0 + [":", "-np", "1", SweepBinary.executable] + common + rank1, ranks: 1)
    }

    /// A one-job spec: for the tests whose point is start-up, not the results.
    private func oneJobSpec() throws -> String {
        let spec = root + "/one.yaml"
        try """
            name: stage-one
            base: {dataset: tinyshakespeare, arch: linear, context: 8, epochs: 1, windows_per_epoch: 256,
                   batch_size: 32, eval_windows: 100}

            """.write(toFile: spec, atomically: true, encoding: .utf8)
        return spec
    }

    /// Tiny Shakespeare with one byte changed: right size, wrong SHA-256.
    private func damagedCopy(in folder: String) throws -> String {
        try FileManager.default.createDirectory(atPath: folder + "/tinyshakespeare", withIntermediateDirectories: true)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: original)))
        bytes[1000] ^= 0x01
        let path = folder + "/tinyshakespeare/input.txt"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The sum as coreutils computes it (an implementation independent of Corpus.SHA256).
    private func sha256sum(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return String(output.prefix(64))
    }

    func testRankWithoutDataReceivesItFromRankZeroAndGivesSingleProcessResults() throws {
        let empty = root + "/no-data", staged = root + "/staged", out = root + "/out"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let result = try sweep(MultiRankSweepTests.spec, out: out, rank0: ["--data-dir", data, "--stage-data"],
                               rank1: ["--data-dir", empty, "--stage-data", "--stage-dir", staged])
        XCTAssertEqual(result.status, 0, result.stderr)
        let host = ProcessInfo.processInfo.hostName
        XCTAssertTrue(result.stderr.contains("rank 1 on \(host): staged tinyshakespeare/input.txt from rank 0 into \(staged)"), result.stderr)

        let records = try Journal.load(path: Journal.journalPath(in: out)).map(\.record)
        let reference = try MultiRankSweepTests.referenceRecords()
        XCTAssertEqual(records.count, reference.count, "every job exactly once")
        XCTAssertEqual(Set(records.map(\.id)), Set(reference.keys))
        XCTAssertEqual(Set(records.map(\.rank)), [0, 1], "rank 1 trained from the staged data")
        for record in records {
            XCTAssertEqual(record.status, .ok, record.error ?? "")
            XCTAssertTrue(reference[record.id].map(record.sameResult) ?? false, "run \(record.id) on rank \(record.rank) differs")
        }

        let copy = staged + "/tinyshakespeare/input.txt"
        XCTAssertNil(try? FileManager.default.destinationOfSymbolicLink(atPath: copy), "a received file, not a link")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: copy)), try Data(contentsOf: URL(fileURLWithPath: original)))
        let mode = try FileManager.default.attributesOfItem(atPath: staged)[.posixPermissions] as? NSNumber
        XCTAssertEqual(mode?.intValue, 0o700, "only this user reads what is staged")
        XCTAssertTrue(FileManager.default.fileExists(atPath: copy), "a folder given with --stage-dir is kept")
    }

    func testDamagedFileIsReplacedFromRankZeroAndTheDefaultStagingFolderIsRemovedAtExit() throws {
        let damaged = root + "/damaged", out = root + "/out", temporary = root + "/tmp"
        _ = try damagedCopy(in: damaged)
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        // Both ranks inherit mpirun's environment: the default staging folder goes under `temporary`.
        setenv("TMPDIR", temporary + "/", 1)
        defer { unsetenv("TMPDIR") }
        // What a worker killed with SIGKILL on this host leaves (its PID is gone): removed too.
        let abandoned = temporary + "/" + DataStaging.folderPrefix + DataStaging.hostTag + "-\(Int32.max)"
        try FileManager.default.createDirectory(atPath: abandoned + "/tinyshakespeare", withIntermediateDirectories: true)
        let result = try sweep(try oneJobSpec(), out: out, rank0: ["--data-dir", data, "--stage-data"],
                               rank1: ["--data-dir", damaged, "--stage-data"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("staged tinyshakespeare/input.txt from rank 0 into \(temporary)/lmsweep-staged-"),
                      result.stderr)
        XCTAssertEqual(try Journal.load(path: Journal.journalPath(in: out)).map(\.record).map(\.status), [.ok])
        let left = try FileManager.default.contentsOfDirectory(atPath: temporary).filter { $0.hasPrefix("lmsweep-staged-") }
        XCTAssertEqual(left, [], "the private staging folder is removed at exit, and the abandoned one at start")
    }

    /// Only this host's default folders whose process is gone: not a live process's, not
    /// another host's (a `$TMPDIR` shared between nodes), not a user's folder of another name.
    func testOnlyThisHostsFoldersOfDeadProcessesAreRemoved() throws {
        let names = ["lmsweep-staged-here-\(Int32.max)", "lmsweep-staged-here-\(getpid())", "lmsweep-staged-there-\(Int32.max)",
                     "lmsweep-staged-here-x", "lmsweep-staged-here-\(Int32.max)-mine", "results"]
        for name in names { try FileManager.default.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true) }
        let removed = DataStaging.removeAbandonedFolders(in: root, host: "here")
        XCTAssertEqual(removed, ["lmsweep-staged-here-\(Int32.max)"])
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: root)), Set(names.dropFirst()))
        XCTAssertFalse(DataStaging.hostTag.contains("-"), "the PID after the last '-' must parse back")
    }

    /// PTB's train split (5.1 MB) travels in two chunks; the split rank 1 has is not sent but
    /// copied beside the others, so the staged folder holds the whole dataset.
    func testRankWithPartOfADatasetReceivesExactlyTheFilesItLacks() throws {
        let partial = root + "/partial", staged = root + "/staged", out = root + "/out", spec = root + "/ptb.yaml"
        try FileManager.default.createDirectory(atPath: partial + "/ptb", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: data + "/ptb/ptb.valid.txt", toPath: partial + "/ptb/ptb.valid.txt")
        try """
            name: stage-ptb
            base: {dataset: ptb, arch: linear, context: 8, epochs: 1, windows_per_epoch: 256, batch_size: 32, eval_windows: 100}

            """.write(toFile: spec, atomically: true, encoding: .utf8)
        let result = try sweep(spec, out: out, rank0: ["--data-dir", data, "--stage-data"],
                               rank1: ["--data-dir", partial, "--stage-data", "--stage-dir", staged])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("rank 0: sent ptb/ptb.train.txt, ptb/ptb.test.txt to rank 1"), result.stderr)
        XCTAssertEqual(try Journal.load(path: Journal.journalPath(in: out)).map(\.record).map(\.status), [.ok])
        for split in ["train", "valid", "test"] {
            let name = "/ptb/ptb.\(split).txt"
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: staged + name)),
                           try Data(contentsOf: URL(fileURLWithPath: data + name)), name)
        }
    }

    func testRankZeroNeverSendsADamagedCopy() throws {
        let damaged = root + "/damaged", empty = root + "/no-data", out = root + "/out"
        let path = try damagedCopy(in: damaged)
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let actual = try sha256sum(path)
        let result = try sweep(try oneJobSpec(), out: out, rank0: ["--data-dir", damaged, "--stage-data"],
                               rank1: ["--data-dir", empty, "--stage-data"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("\(path): SHA-256 \(actual), expected 86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"),
                      result.stderr)
        let journal = Journal.journalPath(in: out)
        let records = FileManager.default.fileExists(atPath: journal) ? try Journal.load(path: journal) : []
        XCTAssertEqual(records.count, 0, "nothing trained")
    }

    func testWithoutStageDataARankWithoutDataStillStopsTheSweepAtStartUp() throws {
        let empty = root + "/no-data", out = root + "/out"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let result = try sweep(try oneJobSpec(), out: out, rank0: ["--data-dir", data], rank1: ["--data-dir", empty])
        XCTAssertNotEqual(result.status, 0)
        let host = ProcessInfo.processInfo.hostName
        XCTAssertTrue(result.stderr.contains("rank 1 on \(host): \(empty)/tinyshakespeare/input.txt: no such file"), result.stderr)
        XCTAssertFalse(result.stderr.contains("staged"), result.stderr)
    }
}
