import Sweep
import Training
import XCTest

final class GridTests: XCTestCase {
    private func expand(_ text: String) throws -> Grid.Expansion {
        let path = writeFile(text, named: "grid.yaml", in: scratchDirectory())
        return try Grid.expand(SweepSpec.load(path: path))
    }

    func testInapplicableAxesCollapseIntoOneJob() throws {
        let jobs = try smallGridJobs()
        // linear has no depth: 2 contexts; mlp and transformer: 2 contexts × 2 depths each.
        XCTAssertEqual(jobs.count, 10)
        XCTAssertEqual(Set(jobs.map(\.id)).count, 10, "ids are unique")
        XCTAssertEqual(jobs.filter { $0.config.arch == .linear }.map(\.config.context).sorted(), [16, 32])
        XCTAssertTrue(jobs.filter { $0.config.arch == .linear }.allSatisfy { $0.config.depth == nil })
        XCTAssertEqual(jobs.filter { $0.config.arch == .mlp }.map { $0.config.hidden ?? [] }.sorted { $0.count < $1.count }.last, [32, 32])
    }

    func testJobIDIsTheCanonicalConfigID() throws {
        for job in try smallGridJobs() {
            XCTAssertEqual(job.id, job.config.id)
            XCTAssertEqual(job.config, job.config.canonicalized())
            XCTAssertGreaterThan(job.predictedFLOPs, 0)
            XCTAssertGreaterThan(job.parameters, 0)
        }
    }

    func testOverridesApplyAboveBaseAndBelowAxes() throws {
        let expansion = try expand("""
        name: o
        base: {lr: 0.001, d_model: 16, heads: 2, ffn_width: 32, hidden_width: 16}
        overrides:
          mlp: {lr: 0.01, hidden_width: 64}
          transformer: {lr: 0.0003, heads: 4}
        axes:
          arch: [mlp, transformer]
          heads: [1, 2]
        """)
        let mlp = expansion.jobs.filter { $0.config.arch == .mlp }
        let transformer = expansion.jobs.filter { $0.config.arch == .transformer }
        XCTAssertEqual(mlp.count, 1, "heads does not apply to the MLP")
        XCTAssertEqual(mlp[0].config.lr, 0.01)
        XCTAssertEqual(mlp[0].config.hidden, [64, 64])
        XCTAssertEqual(transformer.map(\.config.lr), [0.0003, 0.0003])
        XCTAssertEqual(transformer.map { $0.config.heads ?? 0 }, [1, 2], "the axis wins over the override")
    }

    func testGridsIncludeAndExclude() throws {
        let expansion = try expand("""
        name: ablations
        base: {d_model: 16, heads: 2, ffn_width: 32, epochs: 1}
        axes: {seed: [0, 1]}
        grids:
          - set: {arch: linear}
            axes: {context: [16, 32, 64]}
          - set: {arch: mlp}
            axes: {hidden_width: [8, 16]}
        exclude:
          - {arch: linear, context: 64, seed: 1}
          - {arch: attention}
        include:
          - {arch: transformer, depth: 4, context: 8}
        """)
        // linear: 3 contexts × 2 seeds − 1 excluded; mlp: 2 widths × 2 seeds; plus one include.
        XCTAssertEqual(expansion.jobs.count, 5 + 4 + 1)
        XCTAssertFalse(expansion.jobs.contains { $0.config.arch == .linear && $0.config.context == 64 && $0.config.seed == 1 })
        XCTAssertTrue(expansion.jobs.contains { $0.config.arch == .transformer && $0.config.depth == 4 && $0.config.context == 8 })
        XCTAssertEqual(expansion.warnings.count, 1, "the attention rule matches nothing")
        XCTAssertTrue(expansion.warnings[0].contains(":11:"), expansion.warnings[0])
    }

    func testDuplicatePointsAcrossGridsCollapse() throws {
        let expansion = try expand("""
        name: d
        base: {arch: linear, epochs: 1}
        grids:
          - axes: {context: [16, 32]}
          - axes: {context: [32, 64], depth: [1, 5]}
        """)
        XCTAssertEqual(expansion.jobs.map(\.config.context), [16, 32, 64])
    }

    func testLargestFirstOrderIsByPredictedCostThenID() throws {
        let jobs = try smallGridJobs().sorted(by: Job.largestFirst)
        for (a, b) in zip(jobs, jobs.dropFirst()) {
            XCTAssertTrue(a.predictedFLOPs > b.predictedFLOPs || (a.predictedFLOPs == b.predictedFLOPs && a.id < b.id))
        }
        // The longer context costs more for the same architecture and depth.
        let linear = jobs.filter { $0.config.arch == .linear }
        XCTAssertEqual(linear.first?.config.context, 32)
    }
}
