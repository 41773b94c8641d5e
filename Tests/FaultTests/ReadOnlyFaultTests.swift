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
        guard let unshare = Command.which("unshare"), getuid() == 0 else {
            throw XCTSkip("needs root and unshare(1) for a private tmpfs")
        }
        let spec = try tinySpec()
        let mount = scratch + "/disk"
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let lmsweep = SweepBinary.executable
        func command(_ name: String, _ arguments: [String]) -> String {
            let data = arguments.first == "run" ? TestData.dataArguments : []
            let line = ([lmsweep] + arguments + data).map { "'\($0)'" }.joined(separator: " ")
            return "\(line) > '\(scratch)/\(name).out' 2> '\(scratch)/\(name).err'; echo $? > '\(scratch)/\(name).status'"
        }
        let script = """
            set -u
            mount -t tmpfs -o size=8m tmpfs '\(mount)' || exit 97
            \(command("first", ["run", spec, "--out", "\(mount)/out"]))
            cp '\(mount)/out/journal.jsonl' '\(scratch)/before.jsonl'
            mount -o remount,ro '\(mount)' || exit 98
            \(command("again", ["run", spec, "--out", "\(mount)/out"]))
            \(command("fresh", ["run", spec, "--out", "\(mount)/other"]))
            \(command("status", ["status", "\(mount)/out"]))
            \(command("report", ["report", "\(mount)/out", "-o", "\(scratch)/tables"]))
            \(command("inplace", ["report", "\(mount)/out"]))
            cp '\(mount)/out/journal.jsonl' '\(scratch)/after.jsonl'
            """
        let running = try Command.Running(unshare, ["--mount", "sh", "-c", script])
        if !running.wait(upTo: 120, until: { !running.process.isRunning }) {
            SweepBinary.killTree(running.process.processIdentifier)
            XCTFail("the commands on a read-only folder did not end within 120 s: \(running.stderr)")
        }
        running.process.waitUntilExit()
        let result = running.result()
        if result.status == 97 || result.status == 98 { throw XCTSkip("cannot mount a tmpfs read-only here: \(result.stderr)") }
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
