import Sweep
import Training
import XCTest

/// `merge` tells rounding from disagreement: the same run with different results under
/// different numerics is a variant (one kept by a rule that ignores input order); under the
/// same numerics, or where numerics were not recorded, it is a conflict.
final class NumericVariantTests: XCTestCase {
    private let haswell = syntheticNumerics("1111111111111111", core: "Haswell")
    private let skylake = syntheticNumerics("2222222222222222", core: "SkylakeX")

    private func sourced(_ records: [RunRecord], _ file: String) -> [SourcedRecord] {
        records.enumerated().map { SourcedRecord(record: $1, source: "\(file):\($0 + 1)") }
    }

    func testDifferentResultsUnderDifferentNumericsAreAVariantNotAConflict() throws {
        let jobs = try smallGridJobs()
        let a = jobs.map { syntheticRecord(for: $0.config).under(haswell) }
        let b = [syntheticRecord(for: jobs[2].config, nllOffset: 3e-7).under(skylake)]
        let merged = MergedRecords(sourced(a, "a.jsonl") + sourced(b, "b.jsonl"))
        XCTAssertTrue(merged.conflicts.isEmpty)
        XCTAssertEqual(merged.records.count, jobs.count)
        XCTAssertEqual(merged.variants.count, 1)
        let variant = merged.variants[0]
        XCTAssertEqual(variant.id, jobs[2].id)
        XCTAssertEqual(variant.versions.map(\.source), ["a.jsonl:3", "b.jsonl:1"], "kept first, then the other")
        XCTAssertEqual(variant.testNLLDifference, b[0].testNLL! - a[2].testNLL!, accuracy: 1e-12)
        XCTAssertEqual(variant.testNLLDifference, 3e-7, accuracy: 1e-12)
        XCTAssertTrue(variant.description.contains("numerics 2222222222222222 (OpenBLAS SkylakeX)"), variant.description)
        XCTAssertEqual(merged.byID[jobs[2].id], a[2], "kept: the numerics all ten runs share, not the one run's")
    }

    /// A variant whose test NLL came out equal in float still differs in its valid curve: the
    /// size reported is the largest difference in any NLL.
    func testVariantSizeCoversTheValidCurveWhenTheTestNLLAgrees() throws {
        let job = try smallGridJobs()[0]
        let a = syntheticRecord(for: job.config).under(haswell)
        var b = a.under(skylake)
        b.validNLL[0] += 5e-8
        let variant = try XCTUnwrap(MergedRecords(sourced([a, b], "j")).variants.first)
        XCTAssertEqual(variant.testNLLDifference, 0)
        XCTAssertEqual(variant.validNLLDifference, 5e-8, accuracy: 1e-15)
        XCTAssertEqual(variant.nllDifference, 5e-8, accuracy: 1e-15)
        XCTAssertTrue(variant.description.contains("NLL differs by 5e-08"), variant.description)
    }

    func testTheKeptVariantDoesNotDependOnInputOrder() throws {
        let jobs = try smallGridJobs()
        // Haswell has 3 runs, SkylakeX 6: SkylakeX's versions are kept wherever they differ.
        let h = jobs.prefix(3).map { syntheticRecord(for: $0.config, host: "h").under(haswell) }
        let s = jobs.prefix(6).map { syntheticRecord(for: $0.config, host: "s", nllOffset: 1e-6).under(skylake) }
        let inputs = [sourced(h, "h.jsonl"), sourced(s, "s.jsonl")]
        let forward = MergedRecords(inputs[0] + inputs[1]), backward = MergedRecords(inputs[1] + inputs[0])
        XCTAssertEqual(forward.variants.count, 3)
        XCTAssertEqual(Set(forward.records), Set(backward.records))
        XCTAssertEqual(Set(forward.records.map { $0.numerics?.blasCore }), ["SkylakeX"])

        // A tie (one run each) goes to the smallest fingerprint, in either order.
        let one = [SourcedRecord(record: h[0], source: "h.jsonl:1"), SourcedRecord(record: s[0], source: "s.jsonl:1")]
        XCTAssertEqual(MergedRecords(one).records, [h[0]])
        XCTAssertEqual(MergedRecords(one.reversed()).records, [h[0]])
    }

    func testDifferentResultsUnderOneFingerprintAreAConflict() throws {
        let job = try smallGridJobs()[0]
        let a = syntheticRecord(for: job.config).under(haswell)
        let b = syntheticRecord(for: job.config, nllOffset: 1e-7).under(haswell)
        let merged = MergedRecords(sourced([a], "a.jsonl") + sourced([b], "b.jsonl"))
        XCTAssertTrue(merged.variants.isEmpty)
        XCTAssertEqual(merged.conflicts.count, 1)
        XCTAssertEqual(merged.records, [a], "the first is kept")
        XCTAssertTrue(merged.conflicts[0].description.contains("a.jsonl:1: status ok, test NLL \(a.testNLL!), numerics 1111111111111111"))
    }

    func testOneFingerprintUnderTwoResultsIsAConflictEvenBesideAnotherNumerics() throws {
        let job = try smallGridJobs()[0]
        let versions = [syntheticRecord(for: job.config).under(haswell),
                        syntheticRecord(for: job.config, nllOffset: 1e-7).under(skylake),
                        syntheticRecord(for: job.config, nllOffset: 2e-7).under(haswell)]
        let merged = MergedRecords(sourced(versions, "j"))
        XCTAssertTrue(merged.variants.isEmpty)
        XCTAssertEqual(merged.conflicts.count, 1)
        XCTAssertEqual(merged.conflicts[0].versions.count, 3)
    }

    func testRecordsWithoutNumericsThatDifferAreAConflict() throws {
        let job = try smallGridJobs()[0]
        let old = syntheticRecord(for: job.config)
        XCTAssertNil(old.numerics)
        let new = syntheticRecord(for: job.config, nllOffset: 1e-7).under(skylake)
        for order in [[old, new], [new, old]] {
            let merged = MergedRecords(sourced(order, "j"))
            XCTAssertTrue(merged.variants.isEmpty)
            XCTAssertEqual(merged.conflicts.count, 1)
            XCTAssertTrue(merged.conflicts[0].description.contains("numerics not recorded"))
        }
    }

    func testSameResultsUnderDifferentNumericsCollapseWithoutAVariant() throws {
        let job = try smallGridJobs()[0]
        let a = syntheticRecord(for: job.config).under(haswell), b = syntheticRecord(for: job.config).under(skylake)
        XCTAssertTrue(a.sameResult(as: b), "numerics are provenance, not results")
        let merged = MergedRecords(sourced([a, b], "j"))
        XCTAssertTrue(merged.variants.isEmpty && merged.conflicts.isEmpty)
        XCTAssertEqual(merged.records, [a])
    }
}
