import Foundation
import Sweep
import TestSupport
import Training
import XCTest

/// A sweep whose disk fills up: a real filesystem of its own (tmpfs in a private mount
/// namespace) nearly filled before the sweep starts. It must stop with the system's error and a
/// non-zero exit, its journal must hold only whole records, and once space is freed the same
/// command must finish the sweep without dropping or repeating a run.
final class DiskFullFaultTests: FaultCase {
    func testAFullDiskStopsTheSweepCleanlyAndFreeingSpaceLetsItFinish() throws {
        let spec = try tinySpec()
        // 2 MiB of tmpfs, all but 12 KiB taken by a filler: room for the folder's small files
        // and a record or two. The journal is copied out before the namespace (and its mount) ends.
        // A hang is this test's failure, never CI's: both sweeps take seconds.
        try inPrivateMount { mount in
            let run = ([SweepBinary.executable, "run", spec, "--out", "\(mount)/out"] + TestData.dataArguments)
                .map { "'\($0)'" }.joined(separator: " ")
            return """
            set -u
            mount -t tmpfs -o size=2048k tmpfs '\(mount)' || exit 97
            dd if=/dev/zero of='\(mount)/filler' bs=4k count=509 2>/dev/null
            \(run) > '\(scratch)/full.out' 2> '\(scratch)/full.err'
            echo $? > '\(scratch)/full.status'
            cp '\(mount)/out/journal.jsonl' '\(scratch)/full.jsonl' 2>/dev/null || touch '\(scratch)/full.jsonl'
            rm '\(mount)/filler'
            \(run) > '\(scratch)/freed.out' 2> '\(scratch)/freed.err'
            echo $? > '\(scratch)/freed.status'
            cp '\(mount)/out/journal.jsonl' '\(scratch)/freed.jsonl'
            """
        }
        func text(_ name: String) -> String { (try? String(contentsOfFile: scratch + "/" + name, encoding: .utf8)) ?? "" }
        let fullStatus = Int32(text("full.status").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        let fullError = text("full.err")
        XCTAssertNotEqual(fullStatus, 0, "a sweep on a full disk must fail:\n\(fullError)")
        XCTAssertLessThan(fullStatus, 128, "killed by a signal:\n\(fullError)")
        assertNoCrash(SweepBinary.Result(status: fullStatus, stdout: text("full.out"), stderr: fullError))
        XCTAssertTrue(fullError.contains("No space left on device"), fullError)
        print("full disk: exit \(fullStatus), \(fullError.split(separator: "\n").last ?? "")")

        // Whole records only: the journal loads, and every line is one.
        let before = try Journal.load(path: scratch + "/full.jsonl").map(\.record)
        XCTAssertEqual(text("full.jsonl").split(separator: "\n").count, before.count)
        XCTAssertLessThan(before.count, 4, "the disk filled before the sweep ended")

        XCTAssertEqual(text("freed.status").trimmingCharacters(in: .whitespacesAndNewlines), "0", text("freed.err"))
        let after = try Journal.load(path: scratch + "/freed.jsonl").map(\.record)
        XCTAssertEqual(after.count, 4, text("freed.err"))
        XCTAssertEqual(Set(after.map(\.id)).count, 4, "no run journaled twice")
        XCTAssertEqual(Array(after.prefix(before.count)).map(\.id), before.map(\.id), "the records kept on the full disk stay, first")
        for (kept, again) in zip(before, after) { XCTAssertEqual(kept.testNLL, again.testNLL) }
    }
}
