import Foundation
import TensorCore
import XCTest
@testable import Training

/// What a record says about how it was computed: the canary's fingerprint, the facts behind
/// it, and the build; and old records without them stay readable.
final class NumericsTests: XCTestCase {
    func testCanaryDigestIsTheSameOnEveryCallAndCoversThreeModels() throws {
        let digest = NumericsCanary.digest()
        XCTAssertEqual(digest.count, 32, "SHA-256")
        XCTAssertEqual(NumericsCanary.digest(), digest, "no state carries from one canary to the next")
        XCTAssertEqual(Numerics.thisProcess.fingerprint, digest.prefix(8).map { String(format: "%02x", $0) }.joined())
        let configs = NumericsCanary.runs
        XCTAssertEqual(configs.map(\.architecture), [.transformer, .transformer, .mlp])
        XCTAssertEqual(configs.map(\.positions), [.learned, .rope, .none])
        XCTAssertEqual(configs.map(\.objective), [.all, .last, .last])
    }

    /// The canary's GEMMs straddle OpenBLAS 0.3.21's small-matrix limit (M·N·K ≤ 10⁶): the
    /// transformers' QKV projection of (8·16) × 32 → 96 under it, the MLP's first layer of
    /// 1024 × (16·16) → 256 over it, whose weight gradient sums over K = 1,024 windows.
    func testCanaryShapesStraddleTheSmallMatrixLimit() {
        let configs = NumericsCanary.runs
        let transformer = configs[0], mlp = configs[2]
        let qkv = transformer.batchSize * transformer.context * transformer.dModel * 3 * transformer.dModel
        let firstLayer = mlp.batchSize * mlp.context * mlp.dModel * mlp.hidden[0]
        XCTAssertEqual(qkv, 393_216)
        XCTAssertEqual(firstLayer, 67_108_864)
        XCTAssertEqual(mlp.batchSize, 1024)
        XCTAssertLessThan(qkv, 1_000_000)
        XCTAssertGreaterThan(firstLayer, 1_000_000)
    }

    func testBuildIDIsTheOneReadelfPrints() throws {
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let readelf = Process()
        readelf.executableURL = URL(fileURLWithPath: "/usr/bin/readelf")
        readelf.arguments = ["-n", executable]
        let output = Pipe()
        readelf.standardOutput = output
        try readelf.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        readelf.waitUntilExit()
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.contains("Build ID:") }, text)
        let expected = line.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)
        XCTAssertEqual(try BuildIdentity.buildID(ofELF: executable), expected)
        XCTAssertEqual(BuildIdentity.current, expected)
        XCTAssertThrowsError(try BuildIdentity.buildID(ofELF: "/proc/self/status"), "not an ELF file")
    }

    func testFactsNameTheKernelsAndTheBuildAndTellWhichDiffer() {
        let numerics = Numerics.thisProcess
        XCTAssertEqual(numerics.blasCore, TensorCore.blasCoreName)
        XCTAssertTrue(numerics.blasConfig.hasPrefix("OpenBLAS "), numerics.blasConfig)
        XCTAssertFalse(numerics.blasBuild.split(separator: " ").contains(Substring(numerics.blasCore)),
                       "the build fact leaves the core out: \(numerics.blasBuild)")
        XCTAssertEqual(numerics.fact("build id"), BuildIdentity.current)
        XCTAssertEqual(numerics.fact("OPENBLAS_CORETYPE"), ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "(unset)")

        var other = numerics
        other.blasCore = "Other"; other.blasConfig = numerics.blasConfig.replacingOccurrences(of: numerics.blasCore, with: "Other")
        other.blasEnvironment["OPENBLAS_CORETYPE"] = "Other"
        XCTAssertEqual(Numerics.differingFacts([numerics, other]), ["OpenBLAS core", "OPENBLAS_CORETYPE"])
        other.buildID = "0"
        XCTAssertEqual(Numerics.differingFacts([numerics, other]), ["OpenBLAS core", "OPENBLAS_CORETYPE", "build id"])
        XCTAssertEqual(Numerics.differingFacts([numerics, numerics]), [])
    }

    /// A record from a journal written before numerics were recorded (docs/results, committed)
    /// still decodes, has none, and writes back byte for byte.
    func testRecordsWithoutNumericsStayReadable() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let journal = try String(contentsOf: repository.appendingPathComponent("docs/results/study-tiny/journal.jsonl"), encoding: .utf8)
        let line = try XCTUnwrap(journal.split(separator: "\n").first)
        XCTAssertFalse(line.contains("\"numerics\""))
        let record = try RunRecord.decode(jsonLine: line)
        XCTAssertNil(record.numerics)
        XCTAssertEqual(record.jsonLine(), String(line))
    }

    func testNumericsTravelInTheRecordAndAreProvenanceNotResults() throws {
        var record = RunRecord(id: "0123456789abcdef", config: RunConfig().canonicalized(), status: .ok, testNLL: 2.5, seed: 0,
                               numerics: Numerics.thisProcess)
        let decoded = try RunRecord.decode(jsonLine: record.jsonLine())
        XCTAssertEqual(decoded.numerics, Numerics.thisProcess)
        XCTAssertTrue(record.jsonLine().contains("\"fingerprint\":\"\(Numerics.thisProcess.fingerprint)\""))
        let before = record
        record.numerics?.fingerprint = "ffffffffffffffff"
        XCTAssertTrue(record.sameResult(as: before))
    }
}
