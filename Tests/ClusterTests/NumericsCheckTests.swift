import Foundation
@testable import Cluster
import Training
import XCTest

/// Rank 0's comparison of the ranks' numerics: groups, what differs, and the fix it prints.
final class NumericsCheckTests: XCTestCase {
    private func numerics(_ fingerprint: String, core: String, coretype: String?, build: String = "b1") -> Numerics {
        Numerics(fingerprint: fingerprint, cpu: "Test CPU", blasCore: core,
                 blasConfig: "OpenBLAS 0.3.21 DYNAMIC_ARCH \(core) MAX_THREADS=64", kernelISA: "avx2+fma",
                 version: "0.1.0", buildID: build, blasEnvironment: coretype.map { ["OPENBLAS_CORETYPE": $0] } ?? [:])
    }

    func testAgreeingRanksFormOneGroup() {
        let same = numerics("aaaa", core: "Haswell", coretype: "Haswell")
        let check = NumericsCheck((0..<4).map { RankNumerics(rank: $0, host: "h\($0 % 2)", numerics: same) })
        XCTAssertTrue(check.agrees)
        XCTAssertEqual(check.fingerprints, ["aaaa"])
    }

    func testEnvironmentThatDidNotReachARemoteRankIsNamedWithTheMpirunFix() {
        let local = numerics("aaaa", core: "Haswell", coretype: "Haswell")
        let remote = numerics("bbbb", core: "SkylakeX", coretype: nil)
        let check = NumericsCheck([RankNumerics(rank: 2, host: "node2", numerics: remote),
                                   RankNumerics(rank: 0, host: "node0", numerics: local),
                                   RankNumerics(rank: 1, host: "node0", numerics: local)])
        XCTAssertFalse(check.agrees)
        XCTAssertEqual(check.groups.map { $0.map(\.rank) }, [[0, 1], [2]], "rank 0's group first")
        XCTAssertEqual(check.differingFacts, ["OpenBLAS core", "OPENBLAS_CORETYPE"])
        let text = check.description
        XCTAssertTrue(text.contains("  fingerprint aaaa: rank 0 (node0), rank 1 (node0)\n      OpenBLAS core Haswell, OPENBLAS_CORETYPE Haswell\n"), text)
        XCTAssertTrue(text.contains("  fingerprint bbbb: rank 2 (node2)\n      OpenBLAS core SkylakeX, OPENBLAS_CORETYPE (unset)\n"), text)
        XCTAssertTrue(text.contains("fix: give every rank the same environment: mpirun -x OPENBLAS_CORETYPE=Haswell ..."), text)
        XCTAssertFalse(text.contains("same OpenBLAS build"), "the build is the same: \(text)")
        XCTAssertTrue(text.hasSuffix("lmsweep merge reports the differences as numeric variants"), text)
    }

    func testDifferentCPUsWithOneEnvironmentGetThePinnedKernelFix() {
        let check = NumericsCheck([RankNumerics(rank: 0, host: "a", numerics: numerics("aaaa", core: "SkylakeX", coretype: nil)),
                                   RankNumerics(rank: 1, host: "b", numerics: numerics("bbbb", core: "Zen", coretype: nil))])
        XCTAssertEqual(check.differingFacts, ["OpenBLAS core"])
        XCTAssertTrue(check.description.contains("fix: the nodes' CPUs make OpenBLAS pick different kernels"), check.description)
    }

    func testAnotherBuildIsNamedWithTheOneBuildFix() {
        let check = NumericsCheck([RankNumerics(rank: 0, host: "a", numerics: numerics("aaaa", core: "Haswell", coretype: nil)),
                                   RankNumerics(rank: 1, host: "b", numerics: numerics("bbbb", core: "Haswell", coretype: nil, build: "b2"))])
        XCTAssertEqual(check.differingFacts, ["build id"])
        XCTAssertTrue(check.description.contains("fix: run one lmsweep build on every node"), check.description)
        XCTAssertFalse(check.description.contains("-x OPENBLAS"), check.description)
    }

    func testFingerprintsThatDifferWithEveryFactEqualSaySo() {
        let check = NumericsCheck([RankNumerics(rank: 0, host: "a", numerics: numerics("aaaa", core: "Haswell", coretype: nil)),
                                   RankNumerics(rank: 1, host: "b", numerics: numerics("bbbb", core: "Haswell", coretype: nil))])
        XCTAssertEqual(check.differingFacts, [])
        XCTAssertTrue(check.description.contains("every recorded fact agrees"), check.description)
    }
}
