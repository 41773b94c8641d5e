import Foundation
import Sweep
import TestSupport
import Training
import XCTest

/// One writer per sweep folder, one sweep per folder, and merge that never destroys.
final class SweepFolderFaultTests: FaultCase {
    /// Starts a sweep of ci-tiny.yaml (twenty runs, several seconds) into `out` and waits until
    /// it holds the folder's lock.
    private func startLongSweep(into out: String) throws -> Process {
        let spec = TestData.spec(SweepBinary.repository + "/sweeps/ci-tiny.yaml")
        let (process, _, _) = try SweepBinary.start(["run", spec, "--out", out] + TestData.dataArguments)
        let deadline = Date().addingTimeInterval(60)
        // Until the lock is held and its holder written (a moment after flock succeeds).
        while SweepLock.holder(of: out)?.pid != process.processIdentifier && process.isRunning && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTAssertEqual(SweepLock.holder(of: out)?.pid, process.processIdentifier, "the first sweep took the lock")
        return process
    }

    func testSecondRunOnALockedFolderIsRefusedNamingTheHolderAndTheFirstCompletes() throws {
        let out = scratch + "/shared"
        let first = try startLongSweep(into: out)
        defer { SweepBinary.killTree(first.processIdentifier) }
        let holder = try XCTUnwrap(SweepLock.holder(of: out))
        XCTAssertEqual(holder.pid, first.processIdentifier)
        try assertRefused(["run", try tinySpec(), "--out", out] + TestData.dataArguments,
                          saying: ["error: \(out) is locked by run (pid \(first.processIdentifier) on \(holder.host)"])
        finish(first)
        XCTAssertEqual(first.terminationStatus, 0)
        let records = try Journal.load(path: Journal.journalPath(in: out)).map(\.record)
        XCTAssertEqual(records.count, Set(records.map(\.id)).count, "every job once")
        XCTAssertEqual(records.count, try Grid.expand(SweepSpec.load(path: TestData.spec(SweepBinary.repository + "/sweeps/ci-tiny.yaml")), data: TestData.location).jobs.count)
        XCTAssertNil(SweepLock.holder(of: out), "released at the end")
    }

    func testMergeIntoARunningSweepsFolderIsRefusedAndLosesNothing() throws {
        let out = scratch + "/running"
        let first = try startLongSweep(into: out)
        defer { SweepBinary.killTree(first.processIdentifier) }
        let other = scratch + "/other"
        XCTAssertEqual(try SweepBinary.run(["run", try tinySpec(), "--out", other] + TestData.dataArguments).status, 0)
        try assertRefused(["merge", other, out, "-o", out], saying: ["error: \(out) is locked by run"])
        finish(first)
        XCTAssertEqual(first.terminationStatus, 0)
        XCTAssertEqual(try Journal.load(path: Journal.journalPath(in: out)).count,
                       try Grid.expand(SweepSpec.load(path: TestData.spec(SweepBinary.repository + "/sweeps/ci-tiny.yaml")), data: TestData.location).jobs.count)
    }

    func testMergeOverAnotherSweepIsRefusedUnlessForced() throws {
        let a = scratch + "/a", b = scratch + "/b"
        let spec = try tinySpec()
        for out in [a, b] { XCTAssertEqual(try SweepBinary.run(["run", spec, "--out", out] + TestData.dataArguments).status, 0) }
        let before = journalText(b)
        try assertRefused(["merge", a, "-o", b], saying: ["error: \(b) holds a sweep", "is not one of the inputs", "--force"])
        XCTAssertEqual(journalText(b), before, "untouched")
        let forced = try SweepBinary.run(["merge", a, "-o", b, "--force"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        // Into one of its own inputs, merge needs no force.
        XCTAssertEqual(try SweepBinary.run(["merge", a, b, "-o", a]).status, 0)
    }

    func testALockLeftByADeadProcessIsTakenOverWithAMessage() throws {
        let out = scratch + "/stale"
        try write(#"{"command":"run","host":"gone-host","pid":999999,"started":"2026-01-01T00:00:00Z"}"#, to: "stale/lock")
        let result = try SweepBinary.run(["run", try tinySpec(), "--out", out] + TestData.dataArguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("\(out): taking over the lock of run (pid 999999 on gone-host, since 2026-01-01T00:00:00Z), which is gone"),
                      result.stderr)
    }

    func testSeveralWorldsOfOneAreRefusedWithTheFix() throws {
        let out = scratch + "/worlds"
        for variable in ["SLURM_STEP_NUM_TASKS", "PMI_SIZE"] {
            let result = try SweepBinary.run(["run", try tinySpec(), "--out", out] + TestData.dataArguments,
                                             extraEnvironment: [variable: "2"])
            XCTAssertNotEqual(result.status, 0)
            assertNoCrash(result)
            XCTAssertTrue(result.stderr.contains("the launcher started 2 tasks (\(variable)=2) but MPI sees a world of 1"), result.stderr)
            XCTAssertTrue(result.stderr.contains("srun --mpi=pmix"), result.stderr)
        }
        XCTAssertEqual(journalText(out), "", "nothing trained")
    }

    func testAnotherSweepIntoAUsedFolderIsRefusedUnlessAdded() throws {
        let out = scratch + "/used"
        XCTAssertEqual(try SweepBinary.run(["run", try tinySpec("first"), "--out", out] + TestData.dataArguments).status, 0)
        let before = journalText(out)
        let second = try tinySpec("second", extra: "include: [{arch: linear, context: 12}]")
        try assertRefused(["run", second, "--out", out] + TestData.dataArguments,
                          saying: ["error: \(out) holds the sweep 'first'", "this spec is named 'second'", "--add"])
        XCTAssertEqual(journalText(out), before)
        let added = try SweepBinary.run(["run", second, "--out", out, "--add"] + TestData.dataArguments)
        XCTAssertEqual(added.status, 0, added.stderr)
        XCTAssertTrue(journalText(out).hasPrefix(before), "finished records kept byte for byte")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/spec.1.yaml"), "the first spec is kept")
    }

    func testUnsafeSpecNamesAreRefusedAtTheNameLine() throws {
        for name in ["../escape", ".hidden", "a/b", "-dash", String(repeating: "x", count: 101)] {
            let spec = try write("name: \"\(name)\"\nbase: {arch: linear}\n", to: "unsafe.yaml")
            try assertRefused(["plan", spec], saying: ["\(spec):1: name = \(name): must be 1 to 100 ASCII letters"])
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: SweepBinary.repository + "/escape"))
    }

    /// `rm -r` of the folder under a running sweep: the sweep stops naming the journal and the
    /// runs in flight, instead of training on into a file nobody will read.
    func testDeletingTheFolderMidRunStopsTheSweepNamingWhatIsLost() throws {
        let out = scratch + "/doomed"
        let spec = TestData.spec(SweepBinary.repository + "/sweeps/ci-tiny.yaml")
        let (process, _, stderrPath) = try SweepBinary.start(["run", spec, "--out", out] + TestData.dataArguments)
        defer { SweepBinary.killTree(process.processIdentifier) }
        let deadline = Date().addingTimeInterval(60)
        while journalText(out).isEmpty && process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        // As `rm -r` may, a removal can meet a file the sweep adds meanwhile (its status file): again.
        for attempt in 1...3 {
            do { try FileManager.default.removeItem(atPath: out); break } catch where attempt < 3 { Thread.sleep(forTimeInterval: 0.05) }
        }
        finish(process)
        XCTAssertNotEqual(process.terminationStatus, 0)
        let stderr = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        XCTAssertTrue(stderr.contains("error: \(out)/journal.jsonl:0: was deleted or replaced while the sweep ran; this record could not be kept: {"),
                      stderr)
        assertNoCrash(SweepBinary.Result(status: process.terminationStatus, stdout: "", stderr: stderr))
    }
}
