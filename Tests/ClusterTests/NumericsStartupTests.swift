import Foundation
import Sweep
import Training
import TestSupport
import XCTest

/// The start-up numerics check under a real `mpirun`: ranks whose OpenBLAS runs other kernels
/// are refused before training (or, when allowed, journal records that `merge` tells apart as
/// numeric variants), and a journal is not resumed under other numerics unless allowed.
///
/// Each rank gets its kernel family with `-x OPENBLAS_CORETYPE=…` in Open MPI's MPMD form;
/// nothing here changes this process's own environment.
final class NumericsStartupTests: XCTestCase {
    static let spec = TestData.spec(SweepBinary.repository + "/sweeps/smoke.yaml")

    /// Two OpenBLAS kernel families this CPU runs that round differently: Haswell (AVX2 + FMA)
    /// against SkylakeX (AVX-512) where the CPU has AVX-512, else against Sandybridge (AVX, no FMA).
    static var kernelPair: (String, String) {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let flags = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }.map { Set($0.split(separator: " ")) } ?? []
        return flags.contains("avx512f") ? ("Haswell", "SkylakeX") : ("Haswell", "Sandybridge")
    }

    private func scratch(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "lmsweep-numerics-\(name)-\(UUID().uuidString.prefix(8))"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// `lmsweep ARGS` on two ranks, rank 0 with kernels `first`, rank 1 with `second`.
    private func mixedLaunch(_ arguments: [String], first: String, second: String) throws -> SweepBinary.Result {
        try SweepBinary.run(arguments + [":", "-np", "1", "-x", "OPENBLAS_CORETYPE=\(second)", SweepBinary.executable] + arguments,
                            ranks: 1, mpiOptions: ["-x", "OPENBLAS_CORETYPE=\(first)"])
    }

    /// `lmsweep ARGS` as one rank with kernels `kernels`.
    private func launch(_ arguments: [String], kernels: String) throws -> SweepBinary.Result {
        try SweepBinary.run(arguments, ranks: 1, mpiOptions: ["-x", "OPENBLAS_CORETYPE=\(kernels)"])
    }

    private func records(_ out: String) throws -> [RunRecord] {
        try Journal.load(path: Journal.journalPath(in: out)).map(\.record)
    }

    func testRanksWithDifferentOpenBLASKernelsAreRefusedBeforeTrainingNamingTheOddRank() throws {
        let (first, second) = Self.kernelPair
        let out = scratch("refused")
        let started = Date()
        let result = try mixedLaunch(["run", Self.spec, "--out", out] + TestData.dataArguments,
                                     first: first, second: second)
        print(String(format: "NumericsStartupTests: mixed-kernel launch (%@ vs %@) ended after %.2f s", first, second,
                     Date().timeIntervalSince(started)))
        XCTAssertNotEqual(result.status, 0)
        let host = ProcessInfo.processInfo.hostName
        let stderr = result.stderr
        XCTAssertTrue(stderr.contains("error: ranks compute different bits"), stderr)
        // Two groups, each naming its rank and host and the kernels it ran.
        XCTAssertTrue(stderr.contains(": rank 0 (\(host))\n      OpenBLAS core \(first), OPENBLAS_CORETYPE \(first)"), stderr)
        XCTAssertTrue(stderr.contains(": rank 1 (\(host))\n      OpenBLAS core \(second), OPENBLAS_CORETYPE \(second)"), stderr)
        XCTAssertTrue(stderr.contains("facts that differ: OpenBLAS core, OPENBLAS_CORETYPE\n"), stderr)
        XCTAssertTrue(stderr.contains("fix: give every rank the same environment: mpirun -x OPENBLAS_CORETYPE=\(first)"), stderr)
        XCTAssertTrue(stderr.contains("--allow-mixed-numerics"), stderr)
        XCTAssertEqual(try records(out).count, 0, "nothing trained")
    }

    func testAllowedMixedNumericsCompletesAndMergeWithOneProcessReportsVariantsNotConflicts() throws {
        let (first, second) = Self.kernelPair
        let data = TestData.dataArguments
        let mixed = scratch("mixed"), single = scratch("single"), merged = scratch("merged"), reversed = scratch("reversed")

        // Transformers scored on every test token (Double sums): a weight that differs in its last
        // bit shows in the NLL. (A short run scored on a float mean can come out identical.)
        try FileManager.default.createDirectory(atPath: mixed, withIntermediateDirectories: true)
        let spec = mixed + "/transformers.yaml"
        try """
            name: numerics-transformers
            base: {dataset: \(TestData.tinyShakespeare), arch: transformer, context: 16, d_model: 32, heads: 2, ffn_width: 64,
                   epochs: 1, windows_per_epoch: 1024, batch_size: 32, objective: all, eval_mode: full, eval_stride: 16}
            axes:
              depth: [1, 2]
              seed: [0, 1, 2, 3]

            """.write(toFile: spec, atomically: true, encoding: .utf8)
        let run = try mixedLaunch(["run", spec, "--out", mixed, "--allow-mixed-numerics"] + data, first: first, second: second)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("warning: --allow-mixed-numerics: running anyway"), run.stderr)
        let reference = try launch(["run", spec, "--out", single] + data, kernels: first)
        XCTAssertEqual(reference.status, 0, reference.stderr)

        let mixedRecords = try records(mixed), singleRecords = try records(single)
        XCTAssertEqual(Set(mixedRecords.map(\.id)), Set(singleRecords.map(\.id)))
        let cores = Dictionary(grouping: mixedRecords) { $0.numerics?.blasCore ?? "none" }
        XCTAssertEqual(Set(cores.keys), [first, second], "both ranks trained, each record names its kernels")
        XCTAssertEqual(Set(mixedRecords.map(\.rank)), [0, 1])
        for record in mixedRecords { XCTAssertEqual(record.numerics?.blasCore, record.rank == 0 ? first : second) }
        let byID = Dictionary(uniqueKeysWithValues: singleRecords.map { ($0.id, $0) })
        // Rank 0 ran the reference's kernels: the same bits. Rank 1's records are rounding variants.
        let differing = mixedRecords.filter { !$0.sameResult(as: byID[$0.id]!) }
        XCTAssertEqual(Set(differing.map(\.rank)), [1], "only the other kernels' records differ")
        XCTAssertGreaterThan(differing.count, 0)
        print("NumericsStartupTests: \(differing.count) of \(mixedRecords.filter { $0.rank == 1 }.count) runs on rank 1 (\(second)) "
              + "differ from \(first)'s bits")

        for (out, inputs) in [(merged, [single, mixed]), (reversed, [mixed, single])] {
            let result = try SweepBinary.run(["merge"] + inputs + ["-o", out])
            XCTAssertEqual(result.status, 0, "variants are not conflicts: \(result.stderr)")
            XCTAssertTrue(result.stdout.contains("into \(singleRecords.count) runs, \(differing.count) with numeric variants"), result.stdout)
            XCTAssertTrue(result.stderr.contains("finished under different numerics (rounding, not conflicts)"), result.stderr)
            let variants = try Journal.load(path: out + "/variants.jsonl").map(\.record)
            XCTAssertEqual(variants.count, 2 * differing.count, "every version of every variant")
            XCTAssertEqual(Set(variants.map(\.id)), Set(differing.map(\.id)))
            // Kept: the numerics most runs share, the reference's (every run) over rank 1's (some).
            let variantIDs = Set(differing.map(\.id))
            for record in try records(out) {
                XCTAssertTrue(record.sameResult(as: byID[record.id]!), "run \(record.id) keeps the \(first) version")
                if variantIDs.contains(record.id) { XCTAssertEqual(record.numerics?.blasCore, first) }
            }
        }
        func kept(_ out: String) throws -> [String: RunRecord] {
            Dictionary(uniqueKeysWithValues: try records(out).map { ($0.id, $0.resultOnly) })
        }
        XCTAssertEqual(try kept(merged), try kept(reversed), "the same kept versions whatever the order of the inputs")
    }

    func testResumingAJournalUnderOtherNumericsIsRefusedUnlessAllowed() throws {
        let (first, second) = Self.kernelPair
        let data = TestData.dataArguments
        let out = scratch("resume")
        // The first session runs all but the transformers, under `first`.
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let partialSpec = out + "/partial.yaml"
        try (try String(contentsOfFile: Self.spec, encoding: .utf8) + "exclude: [{arch: transformer}]\n")
            .write(toFile: partialSpec, atomically: true, encoding: .utf8)
        let partial = try launch(["run", partialSpec, "--out", out + "/sweep"] + data, kernels: first)
        XCTAssertEqual(partial.status, 0, partial.stderr)
        let before = try String(contentsOfFile: Journal.journalPath(in: out + "/sweep"), encoding: .utf8)
        let done = before.split(separator: "\n").count
        XCTAssertGreaterThan(done, 0)

        let refused = try launch(["run", Self.spec, "--out", out + "/sweep"] + data, kernels: second)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("error: \(out)/sweep/journal.jsonl holds \(done) record(s) computed under other numerics"),
                      refused.stderr)
        XCTAssertTrue(refused.stderr.contains("OpenBLAS core \(first)") && refused.stderr.contains("OpenBLAS core \(second)"), refused.stderr)
        XCTAssertEqual(try String(contentsOfFile: Journal.journalPath(in: out + "/sweep"), encoding: .utf8), before, "journal untouched")

        let allowed = try launch(["run", Self.spec, "--out", out + "/sweep", "--allow-mixed-numerics"] + data, kernels: second)
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
        XCTAssertTrue(allowed.stderr.contains("warning: --allow-mixed-numerics: "), allowed.stderr)
        let all = try records(out + "/sweep")
        XCTAssertEqual(Set(all.prefix(done).compactMap(\.numerics?.blasCore)), [first])
        XCTAssertEqual(Set(all.dropFirst(done).compactMap(\.numerics?.blasCore)), [second])
        XCTAssertEqual(all.count, Set(all.map(\.id)).count)
        XCTAssertTrue(all.dropFirst(done).allSatisfy { $0.config.arch == .transformer })
    }

    /// A finished sweep run again on two ranks: nothing to run, the start-up handshake still
    /// happens, and every rank ends (it used to wait for ever).
    func testFinishedSweepRunAgainOnTwoRanksEndsAtOnce() throws {
        let data = TestData.dataArguments
        let out = scratch("again")
        let first = try SweepBinary.run(["run", Self.spec, "--out", out] + data, ranks: 2)
        XCTAssertEqual(first.status, 0, first.stderr)
        let total = try records(out).count
        let again = try SweepBinary.run(["run", Self.spec, "--out", out] + data, ranks: 2, timeout: 60)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("\(total) already in"), again.stderr)
        XCTAssertTrue(again.stdout.contains("sweep smoke: 0 runs this session"), again.stdout)
        XCTAssertEqual(try records(out).count, total)
    }

    /// The kernel form is a numerics fact, and the two forms share one fingerprint: a node that
    /// runs the AVX-512 form gives the same bits as one kept on AVX2 (`LMSWEEP_KERNEL_FORM`).
    func testKernelFormIsANumericsFactAndBothFormsShareTheFingerprint() throws {
        func numerics(form: String) throws -> (fingerprint: String, kernelISA: String) {
            let result = try SweepBinary.run(["numerics", "--json"], extraEnvironment: ["LMSWEEP_KERNEL_FORM": form])
            XCTAssertEqual(result.status, 0, result.stderr)
            let line = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            let facts = line?["numerics"] as? [String: Any]
            return (facts?["fingerprint"] as? String ?? "", facts?["kernel_isa"] as? String ?? "")
        }
        let kept = try numerics(form: "avx2")
        if kept.kernelISA.hasSuffix("kernel form portable") {
            throw XCTSkip("this build has one kernel form only (LMSWEEP_TARGET_CPU without AVX2): \(kept.kernelISA)")
        }
        let chosen = try numerics(form: "")
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let flags = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }.map { Set($0.split(separator: " ")) } ?? []
        let widest = ["avx512f", "avx512dq", "avx512bw", "avx512vl"].allSatisfy(flags.contains) ? "avx512" : "avx2"
        XCTAssertTrue(kept.kernelISA.hasSuffix("kernel form avx2"), kept.kernelISA)
        XCTAssertTrue(chosen.kernelISA.hasSuffix("kernel form \(widest)"), chosen.kernelISA)
        XCTAssertEqual(kept.fingerprint.count, 16)
        XCTAssertEqual(kept.fingerprint, chosen.fingerprint)
    }
}
