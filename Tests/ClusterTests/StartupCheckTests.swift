import Foundation
import Sweep
import Training
import TestSupport
import XCTest

/// A rank that cannot see the data fails the sweep at start-up, naming its host and the path,
/// before any rank trains — never job by job in the middle of a sweep.
final class StartupCheckTests: XCTestCase {
    func testRankWithoutDataStopsTheSweepBeforeTrainingNamingHostAndPath() throws {
        let data = TestData.dataArguments
        let spec = TestData.spec(SweepBinary.repository + "/sweeps/smoke.yaml")
        let root = NSTemporaryDirectory() + "lmsweep-startup-\(UUID().uuidString.prefix(8))"
        let empty = root + "/no-data"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: root) }
        // Open MPI's MPMD form: rank 0 sees the data, rank 1 looks in an empty folder.
        let rank0 = ["run", spec, "--out", root + "/out"] + data
        let rank1 = ["run", spec, "--out", root + "/out", "--data-dir", empty]
        let result = try SweepBinary.run(rank0 + [":", "-np", "1", SweepBinary.executable] + rank1, ranks: 1)
        XCTAssertNotEqual(result.status, 0)
        let host = ProcessInfo.processInfo.hostName
        XCTAssertTrue(result.stderr.contains("rank 1 on \(host): \(empty)/tinyshakespeare/input.txt: no such file"), result.stderr)
        XCTAssertTrue(result.stderr.contains("scripts/fetch-data.sh \(empty)"), result.stderr)
        let journal = Journal.journalPath(in: root + "/out")
        let records = FileManager.default.fileExists(atPath: journal) ? try Journal.load(path: journal) : []
        XCTAssertEqual(records.count, 0, "nothing trained")
    }

    /// The default build's tensor core assumes AVX2 + FMA. On a CPU without them (faked here by
    /// bind-mounting a /proc/cpuinfo with those flags removed, in a private mount namespace) the
    /// binary must refuse at once, naming the missing flags and the rebuild, not die of SIGILL.
    func testBinaryBuiltForAVX2RefusesACPUWithoutItNamingTheFlags() throws {
        let requested = ProcessInfo.processInfo.environment["LMSWEEP_TARGET_CPU"] ?? "haswell"
        guard requested == "haswell" else { throw XCTSkip("built with LMSWEEP_TARGET_CPU=\(requested)") }
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else {
            throw XCTSkip("needs root and unshare(1) for a private mount namespace")
        }
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let withoutAVX2 = cpuinfo.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.hasPrefix("flags") else { return String(line) }
            return line.split(separator: " ").filter { $0 != "avx2" && $0 != "fma" }.joined(separator: " ")
        }.joined(separator: "\n")
        let fake = NSTemporaryDirectory() + "lmsweep-cpuinfo-\(UUID().uuidString.prefix(8))"
        try withoutAVX2.write(toFile: fake, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: fake) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["--mount", "sh", "-c", "mount --bind \"$1\" /proc/cpuinfo && exec \"$2\" --version",
                             "sh", fake, SweepBinary.executable]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if message.contains("mount:") || message.contains("unshare:") { throw XCTSkip("no mount namespace here: \(message)") }
        XCTAssertEqual(process.terminationStatus, 1, message)
        XCTAssertTrue(message.contains("needs CPU instructions that \(ProcessInfo.processInfo.hostName) lacks: avx2, fma"), message)
        XCTAssertTrue(message.contains("LMSWEEP_TARGET_CPU=baseline"), message)
        // And on the real /proc/cpuinfo the same binary starts.
        let real = try SweepBinary.run(["--version"])
        XCTAssertEqual(real.status, 0, real.stderr)
    }
}
