import Foundation
import Sweep
import TestSupport
import Training
import XCTest

/// A sweep folder on a read-only filesystem (a tmpfs in a private mount namespace, remounted
/// read-only after a sweep finished there). Writing commands must refuse with the system's
/// error, naming the path, and leave every record as it was; commands that only read (`status`,
/// `report` to another folder, `plan`) must still work.
final class ReadOnlyFaultTests: FaultCase {
    func testAReadOnlyFolderIsRefusedByWritersAndReadByReaders() throws {
        let spec = try tinySpec()
        func command(_ name: String, _ arguments: [String]) -> String {
            let data = arguments.first == "run" ? TestData.dataArguments : []
            let line = ([SweepBinary.executable] + arguments + data).map { "'\($0)'" }.joined(separator: " ")
            return "\(line) > '\(scratch)/\(name).out' 2> '\(scratch)/\(name).err'; echo $? > '\(scratch)/\(name).status'"
        }
        var mount = ""
        try inPrivateMount { mountPoint in
            mount = mountPoint
            return """
            set -u
            mount -t tmpfs -o size=8m tmpfs '\(mount)' || exit 97
            \(command("first", ["run", spec, "--out", "\(mount)/out"]))
            cp '\(mount)/out/journal.jsonl' '\(scratch)/before.jsonl'
            mount -o remount,ro '\(mount)' || exit 97
            \(command("again", ["run", spec, "--out", "\(mount)/out"]))
            \(command("fresh", ["run", spec, "--out", "\(mount)/other"]))
            \(command("status", ["status", "\(mount)/out"]))
            \(command("report", ["report", "\(mount)/out", "-o", "\(scratch)/tables"]))
            \(command("inplace", ["report", "\(mount)/out"]))
            cp '\(mount)/out/journal.jsonl' '\(scratch)/after.jsonl'
            """
        }
        func text(_ name: String) -> String { (try? String(contentsOfFile: scratch + "/" + name, encoding: .utf8)) ?? "" }
        func outcome(_ name: String) -> SweepBinary.Result {
            SweepBinary.Result(status: Int32(text("\(name).status").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1,
                               stdout: text("\(name).out"), stderr: text("\(name).err"))
        }
        XCTAssertEqual(outcome("first").status, 0, outcome("first").stderr)
        for name in ["again", "fresh", "inplace"] {
            let refused = outcome(name)
            print("read-only, \(name): exit \(refused.status), \(refused.stderr.split(separator: "\n").first ?? "")")
            XCTAssertNotEqual(refused.status, 0, "\(name) must fail on a read-only folder:\n\(refused.stderr)")
            assertNoCrash(refused)
            XCTAssertTrue(refused.stderr.lowercased().contains("read-only file system"), "\(name): \(refused.stderr)")
            XCTAssertTrue(refused.stderr.contains(mount), "\(name) names the path: \(refused.stderr)")
        }
        XCTAssertTrue(outcome("inplace").stderr.lowercased().contains("error: \(mount)/out/results.csv: cannot write (read-only file system)".lowercased()),
                      outcome("inplace").stderr)
        for name in ["status", "report"] {
            XCTAssertEqual(outcome(name).status, 0, "\(name) only reads: \(outcome(name).stderr)")
            assertNoCrash(outcome(name))
        }
        XCTAssertTrue(outcome("status").stdout.contains("4 total, 4 done"), outcome("status").stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch + "/tables/results.csv"))
        XCTAssertEqual(text("after.jsonl"), text("before.jsonl"), "every record as it was")
        XCTAssertEqual(try Journal.load(path: scratch + "/after.jsonl").count, 4)
    }
}
