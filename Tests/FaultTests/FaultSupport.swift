import Foundation
import Sweep
import TestSupport
import Training
import XCTest

/// What every fault case asserts: the exit status, a message naming what was wrong, no crash
/// (a signal or Swift's trap), and for cases with a journal, its finished records unchanged.
class FaultCase: XCTestCase {
    var scratch = ""

    override func setUpWithError() throws {
        scratch = NSTemporaryDirectory() + "lmsweep-fault-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    /// Writes `text` under the scratch folder; returns its path.
    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        let path = scratch + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs `lmsweep ARGS` and asserts it failed cleanly, saying each of `messages` on stderr.
    @discardableResult
    func assertRefused(_ arguments: [String], ranks: Int = 0, mpiOptions: [String] = [], saying messages: [String],
                       file: StaticString = #filePath, line: UInt = #line) throws -> SweepBinary.Result {
        let result = try SweepBinary.run(arguments, ranks: ranks, mpiOptions: mpiOptions)
        XCTAssertNotEqual(result.status, 0, "\(arguments) should fail", file: file, line: line)
        assertNoCrash(result, file: file, line: line)
        for message in messages {
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): expected '\(message)' in:\n\(result.stderr)", file: file, line: line)
        }
        return result
    }

    /// Swift traps and aborts print these; a clean failure never does.
    func assertNoCrash(_ result: SweepBinary.Result, file: StaticString = #filePath, line: UInt = #line) {
        for sign in ["Fatal error", "Stack dump", "Illegal instruction", "Segmentation fault", "signal 4", "signal 6", "signal 11",
                     "Unexpectedly found nil", "Error Domain=", "NSCocoaErrorDomain"] {
            XCTAssertFalse(result.stderr.contains(sign), "crash or raw error dump '\(sign)':\n\(result.stderr)", file: file, line: line)
        }
        XCTAssertLessThan(result.status, 128, "killed by a signal", file: file, line: line)
    }

    /// Runs `script` (sh) in a private mount namespace, where it can mount a filesystem of its
    /// own at `mountPoint` (a fresh folder under the scratch folder) that vanishes with it. Skips
    /// without root or unshare(1), and when the script exits 97 (its mount failed); a script that
    /// runs past `limit` seconds is killed and fails the test, never CI.
    func inPrivateMount(limit: Double = 120, _ script: (_ mountPoint: String) -> String) throws {
        guard let unshare = Command.which("unshare"), getuid() == 0 else {
            throw XCTSkip("needs root and unshare(1) for a private tmpfs")
        }
        let mount = scratch + "/disk"
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let running = try Command.Running(unshare, ["--mount", "sh", "-c", script(mount)])
        if !running.wait(upTo: limit, until: { !running.process.isRunning }) {
            SweepBinary.killTree(running.process.processIdentifier)
            XCTFail("the commands in the private mount did not end within \(Int(limit)) s: \(running.stderr)")
        }
        running.process.waitUntilExit()
        let result = running.result()
        if result.status == 97 { throw XCTSkip("cannot mount a tmpfs here: \(result.stderr)") }
    }

    /// A tiny valid spec (four runs of a second or less) named `name`.
    func tinySpec(_ name: String = "fault", extra: String = "") throws -> String {
        try write("""
            name: \(name)
            base: {dataset: \(TestData.tinyShakespeare), d_model: 16, heads: 2, ffn_width: 32, hidden_width: 32,
                   epochs: 1, windows_per_epoch: 256, batch_size: 32, eval_windows: 100}
            axes:
              arch: [linear, mlp]
              context: [8, 16]
            \(extra)
            """, to: "\(name).yaml")
    }

    /// Waits up to `seconds` for `process`, then kills it and everything under it: a hang is
    /// the test's failure, never CI's. True when it ended by itself.
    @discardableResult
    func finish(_ process: Process, within seconds: Double = 120, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        let ended = !process.isRunning
        if !ended { SweepBinary.killTree(process.processIdentifier) }
        process.waitUntilExit()
        XCTAssertTrue(ended, "still running after \(Int(seconds)) s", file: file, line: line)
        return ended
    }

    func journalText(_ folder: String) -> String {
        (try? String(contentsOfFile: Journal.journalPath(in: folder), encoding: .utf8)) ?? ""
    }
}
