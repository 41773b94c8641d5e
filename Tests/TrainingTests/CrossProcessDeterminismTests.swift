import TestSupport
import XCTest
import Corpus
import Foundation
@testable import Training

/// Same config and seed, same bits, in any process: the built `lmsweep train` binary runs the
/// same tiny run twice (two fresh processes), and the records agree on every result field.
final class CrossProcessDeterminismTests: XCTestCase {
    /// `lmsweep` sits next to the test bundle in `.build/release`.
    private func lmsweepBinary() throws -> String {
        let bundle = Bundle(for: Self.self).bundleURL
        let candidates = [bundle.deletingLastPathComponent().appendingPathComponent("lmsweep").path,
                          bundle.appendingPathComponent("lmsweep").path,
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lmsweep").path]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            XCTFail("lmsweep binary not built next to the tests (looked in \(candidates)); run scripts/test.sh")
            throw CocoaError(.fileNoSuchFile)
        }
        return found
    }

    private func run(_ binary: String, _ arguments: [String], expectSuccess: Bool = true) throws -> (lastLine: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if expectSuccess {
            XCTAssertEqual(process.terminationStatus, 0, stderr)
        } else {
            XCTAssertNotEqual(process.terminationStatus, 0, "\(arguments) should fail")
        }
        return (String(String(decoding: stdout, as: UTF8.self).split(separator: "\n").last ?? ""), stderr)
    }

    private func train(_ binary: String, dataDir: String, arguments: [String]) throws -> (record: RunRecord, stderr: String) {
        let (lastLine, stderr) = try run(binary, ["train", "--data-dir", dataDir] + arguments)
        return (try RunRecord.decode(jsonLine: lastLine), stderr)
    }

    func testSameConfigAndSeedGiveBitIdenticalRecordsAcrossProcesses() throws {
        let binary = try lmsweepBinary()
        // A text corpus of its own: the binary checks published files' sums, never a made-up one's.
        let root = try TinyCorpus.make(byteCount: 20_000, seed: 9)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let arguments = ["--set", "dataset=text:tinyshakespeare/input.txt", "--arch", "transformer", "--context", "16", "--depth", "2", "--seed", "5", "--max-steps", "6",
                         "--set", "d_model=16", "--set", "heads=2", "--set", "ffn_width=32", "--set", "batch_size=8",
                         "--set", "windows_per_epoch=24", "--set", "eval_windows=64", "--set", "lr=3e-3"]
        let weights = root + "/weights.safetensors"
        let first = try train(binary, dataDir: root, arguments: arguments + ["--save-weights", weights])
        let second = try train(binary, dataDir: root, arguments: arguments)
        XCTAssertEqual(first.record.status, .ok, first.record.error ?? "")
        XCTAssertEqual(first.record.steps, 6)
        XCTAssertEqual(first.record.validSteps, [3, 6])
        XCTAssertTrue(first.stderr.contains("epoch 1/4"), first.stderr)
        XCTAssertTrue(first.record.sameResult(as: second.record),
                      "\(first.record.resultOnly.jsonLine())\n\(second.record.resultOnly.jsonLine())")
        XCTAssertEqual(first.record.testNLL?.bitPattern, second.record.testNLL?.bitPattern)
        // `lmsweep eval` rebuilds the model from the file's stored config and reproduces the test NLL.
        let evaluationLine = try run(binary, ["eval", "--weights", weights, "--data-dir", root]).lastLine
        let evaluation = try JSONDecoder().decode(WeightsEvaluation.self, from: Data(evaluationLine.utf8))
        XCTAssertEqual(evaluation.testNLL, first.record.testNLL)
        XCTAssertEqual(evaluation.id, first.record.id)
        let different = try train(binary, dataDir: root, arguments: arguments.map { $0 == "5" ? "6" : $0 })
        XCTAssertNotEqual(different.record.testNLL, first.record.testNLL)
        // The text's SHA-256 is in the config, so a changed file is another run.
        let corpusPath = root + "/tinyshakespeare/input.txt"
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: corpusPath)))
        XCTAssertEqual(first.record.config.textSHA256, SHA256.hexDigest(of: bytes))
        try Data(bytes + Array("\nthe rest is silence\n".utf8)).write(to: URL(fileURLWithPath: corpusPath))
        let changed = try train(binary, dataDir: root, arguments: arguments)
        XCTAssertNotEqual(changed.record.id, first.record.id)
        XCTAssertNotEqual(changed.record.config.textSHA256, first.record.config.textSHA256)
        // And the old weights' runs refuse the changed text, naming it.
        let stale = try run(binary, ["eval", "--weights", weights, "--data-dir", root], expectSuccess: false).stderr
        XCTAssertTrue(stale.contains("\(corpusPath): SHA-256 ") && stale.contains("the file changed"), stale)
    }

    /// Bad input: a clear message naming the problem, a non-zero exit, no training.
    func testBadInputExitsNonZeroNamingTheProblem() throws {
        let binary = try lmsweepBinary()
        let missing = "/nonexistent-\(UUID().uuidString)"
        for (arguments, message) in [(["train", "--preset", "study-tiny-transfomer"], "unknown preset 'study-tiny-transfomer'"),
                                     (["train", "--set", "learning_rate=0.1"], "learning_rate"),
                                     (["train", "--set", "heads=3", "--data-dir", missing], "heads = 3"),
                                     (["train", "--data-dir", missing], missing + "/tinyshakespeare/input.txt"),
                                     (["eval", "--weights", missing + ".safetensors"], missing + ".safetensors")] {
            let stderr = try run(binary, arguments, expectSuccess: false).stderr
            XCTAssertTrue(stderr.contains(message), "\(arguments): \(stderr)")
        }
    }
}
