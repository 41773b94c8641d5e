import Foundation
import XCTest
@testable import Sweep
import Training

/// The committed study sweeps run exactly the study's configurations: each job's id equals the
/// id of the `lmsweep train` preset that reproduces the same experiment.
final class StudySweepsTests: XCTestCase {
    private let sweeps = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("sweeps")

    private func jobIDs(_ name: String) throws -> Set<String> {
        let spec = try SweepSpec.load(path: sweeps.appendingPathComponent("\(name).yaml").path)
        return Set(try Grid.expand(spec).jobs.map(\.id))
    }

    private func presetID(_ name: String, _ edit: (inout RunConfig) -> Void = { _ in }) throws -> String {
        var config = try XCTUnwrap(Presets.config(named: name), "no preset \(name)")
        edit(&config)
        return config.id
    }

    func testStudyTinyIsTheFourBaselinePresets() throws {
        let expected = try Set(["linear", "mlp", "attention", "transformer"].map { try presetID("study-tiny-\($0)") })
        XCTAssertEqual(try jobIDs("study-tiny"), expected)
    }

    func testAblationsVaryOneKeyOfTheAblationPresets() throws {
        var expected = Set<String>()
        for context in [32, 64, 128] { expected.insert(try presetID("ablation-tiny-linear") { $0.context = context }) }
        for width in [128, 256, 512] { expected.insert(try presetID("ablation-tiny-mlp") { $0.hidden = [width, width] }) }
        for heads in [1, 2, 4] { expected.insert(try presetID("ablation-tiny-attention") { $0.heads = heads }) }
        for depth in [2, 3, 4] { expected.insert(try presetID("ablation-tiny-transformer") { $0.depth = depth }) }
        XCTAssertEqual(expected.count, 12)
        XCTAssertEqual(try jobIDs("study-ablations"), expected)
    }

    func testPositionsAndWordSweepsAreTheirPresets() throws {
        XCTAssertEqual(try jobIDs("study-positions"),
                       Set([try presetID("positions-learned"), try presetID("positions-rope")]))
        XCTAssertEqual(try jobIDs("study-word"), Set([try presetID("study-ptb"), try presetID("study-wikitext2")]))
    }

    func testExactPositionsSweepIsTheExactPresetsWithThreeSeeds() throws {
        var expected = Set<String>()
        for name in ["positions-learned-exact", "positions-rope-exact"] {
            for seed in [UInt64(0), 1, 2] { expected.insert(try presetID(name) { $0.seed = seed }) }
        }
        XCTAssertEqual(expected.count, 6)
        XCTAssertEqual(try jobIDs("study-positions-exact"), expected)
        XCTAssertTrue(try jobIDs("study-positions-exact").isDisjoint(with: jobIDs("study-positions")))
    }
}
