@testable import Sweep
import Training
import XCTest

/// The `isoflop` section: budgets × ladders × seeds × the top-level axes, each run sized to its
/// budget, and every mistake reported at its line.
final class IsoFLOPSpecTests: XCTestCase {
    static let spec = """
    name: iso
    base: {dataset: tinyshakespeare, objective: all, schedule: cosine, warmup_steps: 5, epochs: 100}
    axes:
      context: [16, 32]
    isoflop:
      budgets: [1e11, 1e12]
      seeds: [2, 1]
      sizes: 2
      ladders:
        mlp:
          - {d_model: 4, hidden: [16]}
          - {d_model: 8, hidden: [32]}
          - {d_model: 16, hidden: [64]}
        transformer:
          - {d_model: 8, depth: 1, heads: 2}
          - {d_model: 16, depth: 1, heads: 2}
          - {d_model: 16, depth: 2, heads: 2}
    """

    func testIsoFLOPSpecExpandsBudgetsSlidingLaddersSeedsAndContexts() throws {
        let spec = try SweepSpec.parse(text: Self.spec, file: "iso.yaml")
        let design = try XCTUnwrap(spec.isoflop)
        XCTAssertEqual(design.budgets, [1e11, 1e12])
        XCTAssertEqual(design.seeds, [2, 1])
        XCTAssertEqual(design.window(budget: 0, rungs: 3), 0..<2)
        XCTAssertEqual(design.window(budget: 1, rungs: 3), 1..<3)
        let jobs = try Grid.expand(spec).jobs
        // 1e11: 2 archs × 2 rungs × 2 contexts × 2 seeds; 1e12: the same with 1 seed.
        XCTAssertEqual(jobs.count, 16 + 8)
        XCTAssertTrue(jobs.allSatisfy { $0.config.sizeToBudget == true && $0.config.schedule == .cosine })
        let small = jobs.filter { $0.config.flopBudget == 1e11 }, large = jobs.filter { $0.config.flopBudget == 1e12 }
        XCTAssertEqual(Set(small.map(\.config.seed)), [0, 1])
        XCTAssertEqual(Set(large.map(\.config.seed)), [0])
        XCTAssertEqual(Set(small.filter { $0.config.arch == .mlp }.map(\.config.dModel)), [4, 8])
        XCTAssertEqual(Set(large.filter { $0.config.arch == .mlp }.map(\.config.dModel)), [8, 16])
        XCTAssertEqual(Set(large.filter { $0.config.arch == .transformer }.map { $0.config.depth ?? 0 }), [1, 2])
        XCTAssertEqual(Set(jobs.map(\.config.context)), [16, 32])
        // The budget's line is where each run's flop_budget came from.
        XCTAssertEqual(small.first?.settingLines["flop_budget"], 6)
    }

    /// The committed context sweep adds contexts 32 and 128 to isoflop-tiny's transformer: its
    /// context-64 runs are isoflop-tiny's own (same ids, so they do not train again), and the
    /// other contexts train the same sizes at each budget.
    func testContextSweepSharesItsContext64RunsWithIsoflopTiny() throws {
        let sweeps = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sweeps")
        func jobs(_ name: String) throws -> [Job] {
            try Grid.expand(SweepSpec.load(path: sweeps.appendingPathComponent(name).path)).jobs
        }
        let tiny = try jobs("isoflop-tiny.yaml"), context = try jobs("isoflop-tiny-context.yaml")
        XCTAssertEqual(context.count, 3 * 4 * 5 * 2)
        let at64 = context.filter { $0.config.context == 64 }
        XCTAssertEqual(at64.count, 40)
        XCTAssertTrue(Set(at64.map(\.id)).isSubset(of: Set(tiny.map(\.id))))
        for c in [32, 128] {
            XCTAssertEqual(Self.contextJobs(c, in: context), Self.contextJobs(64, in: context), "context \(c)")
        }
    }

    /// The committed low-end sweep adds only new runs to isoflop-tiny's folder: smaller
    /// one-block transformers at its two lowest budgets, under its protocol.
    func testSmallSweepAddsSmallerTransformersAtTheLowBudgets() throws {
        let sweeps = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sweeps")
        let tiny = try Grid.expand(SweepSpec.load(path: sweeps.appendingPathComponent("isoflop-tiny.yaml").path)).jobs
        let small = try Grid.expand(SweepSpec.load(path: sweeps.appendingPathComponent("isoflop-tiny-small.yaml").path)).jobs
        XCTAssertEqual(small.count, 12)
        XCTAssertTrue(Set(small.map(\.id)).isDisjoint(with: Set(tiny.map(\.id))))
        XCTAssertEqual(Self.contextJobs(64, in: small).count, 12)
        let sizes = Dictionary(grouping: small, by: { $0.config.flopBudget ?? 0 }).mapValues { Set($0.map(\.config.dModel)) }
        XCTAssertEqual(sizes, [1e11: [8, 12], 3e11: [12, 16]])
        // The same protocol: the canonical configs differ from isoflop-tiny's in size alone.
        let reference = try XCTUnwrap(tiny.first { $0.config.arch == .transformer && $0.config.flopBudget == 1e11 && $0.config.seed == 0 })
        var resized = try XCTUnwrap(small.first { $0.config.flopBudget == 1e11 && $0.config.seed == 0 }).config
        resized.dModel = reference.config.dModel; resized.ffnWidth = reference.config.ffnWidth; resized.depth = reference.config.depth
        XCTAssertEqual(resized.id, reference.id)
    }

    /// The committed context-32 sweep trains the MLP at the sizes isoflop-tiny trains it at
    /// T = 64, budget by budget, so the two contexts compare size for size.
    func testContext32SweepTrainsTheMLPAtIsoflopTinysSizes() throws {
        let sweeps = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sweeps")
        let tiny = try Grid.expand(SweepSpec.load(path: sweeps.appendingPathComponent("isoflop-tiny.yaml").path)).jobs
        let short = try Grid.expand(SweepSpec.load(path: sweeps.appendingPathComponent("isoflop-tiny-context32.yaml").path)).jobs
        func mlpSizes(_ jobs: [Job]) -> Set<String> {
            Set(jobs.filter { $0.config.arch == .mlp && ($0.config.flopBudget ?? 0) <= 1e12 && $0.config.seed < 2 }
                .map { "\($0.config.flopBudget ?? 0) \($0.config.dModel) \($0.config.hidden ?? []) \($0.config.seed)" })
        }
        XCTAssertEqual(mlpSizes(short), mlpSizes(tiny))
        XCTAssertEqual(mlpSizes(short).count, 30)
        XCTAssertEqual(Set(short.map(\.config.context)), [32])
    }

    /// (budget, d_model, depth, seed) of the jobs at one context.
    static func contextJobs(_ context: Int, in jobs: [Job]) -> Set<String> {
        Set(jobs.filter { $0.config.context == context }.map {
            "\($0.config.flopBudget ?? 0) \($0.config.dModel) \($0.config.depth ?? 0) \($0.config.seed)"
        })
    }

    func testIsoFLOPMistakesAreReportedAtTheirLines() {
        let text = """
        name: iso
        axes: {seed: [0, 1]}
        isoflop:
          budgets: [1e12, 1e11, -3]
          seeds: [2, 1]
          sizes: 4
          ladder: x
          ladders:
            mlp:
              - {d_model: 4, flop_budget: 5}
              - {d_model: 8}
            gpt: [{d_model: 4}]
        """
        do {
            _ = try SweepSpec.parse(text: text, file: "iso.yaml")
            XCTFail("accepted")
        } catch let error as SpecValidationError {
            let found = error.problems.map { "\($0.line) \($0.key): \($0.message)" }
            func expect(_ line: Int, _ key: String, _ message: String) {
                XCTAssertTrue(error.problems.contains { $0.line == line && $0.key == key && $0.message.contains(message) },
                              "missing \(line) \(key) '\(message)' in \(found)")
            }
            expect(4, "isoflop.budgets", "a budget is a positive number")
            expect(4, "isoflop.budgets", "budgets must increase")
            expect(7, "isoflop", "unknown isoflop key (did you mean 'ladders'?)")
            expect(10, "isoflop.ladders.mlp[0].flop_budget", "is set by the isoflop section itself")
            expect(12, "isoflop.ladders", "not an architecture")
            expect(2, "axes.seed", "is set by the isoflop section")
            expect(9, "isoflop.sizes", "is more than the 2 rungs of the mlp ladder")
        } catch {
            XCTFail("\(error)")
        }
    }
}

/// `plan`'s isoflop section: per budget, each family's sizes, steps, targets, epochs and the
/// predicted core-hours that the jobs' own predictions add up to.
final class IsoFLOPPlanTests: XCTestCase {
    func testPlanListsEachBudgetsSizesWithEpochsAndCoreHours() throws {
        let spec = try SweepSpec.parse(text: IsoFLOPSpecTests.spec, file: "iso.yaml")
        let jobs = try Grid.expand(spec).jobs
        let cost = CostModel(flopsPerSecond: 1e9)
        let text = IsoFLOPPlan.text(jobs: jobs, design: try XCTUnwrap(spec.isoflop), finished: [], cost: cost)
        let lines = text.split(separator: "\n").map(String.init)
        // 1e11: 16 runs at 2 seeds; the first family row is the smallest MLP rung at context 16.
        let small = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("budget 1e+11 FLOPs: 16 runs (2 seeds)") })
        let expectedHours = jobs.filter { $0.config.flopBudget == 1e11 }.reduce(0) { $0 + $1.predictedFLOPs } / 1e9 / 3600
        XCTAssertTrue(lines[small].hasSuffix(String(format: "%.2f predicted core-hours", expectedHours)), lines[small])
        let row = lines[small + 2].split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        XCTAssertEqual(Array(row.prefix(4)), ["mlp", "ctx=16", "d=4", "hidden=16"])
        let job = try XCTUnwrap(jobs.first { $0.config.flopBudget == 1e11 && $0.config.arch == .mlp && $0.config.dModel == 4
                                             && $0.config.context == 16 && $0.config.seed == 0 })
        let vocabulary = 65  // Tiny Shakespeare's characters
        let steps = CostEstimate.predictedSteps(job.run, vocabularySize: vocabulary)
        XCTAssertEqual(row[4], "\(CostEstimate.parameters(job.run, vocabularySize: vocabulary).nonEmbedding)")
        XCTAssertEqual(row[6], "\(steps)")
        // Batches of 64 windows, one target each (`last`), up to the 100 epochs of 50,000 windows.
        XCTAssertEqual(row[7], "\(min(steps * 64, 100 * 50_000))")
        XCTAssertTrue(text.contains("warning: epochs × windows_per_epoch or max_steps stop these runs before their budget"), text)
        XCTAssertTrue(text.contains("mlp ctx=16 hidden=16 d=4 seed=0 at 1e+11"), text)
        XCTAssertTrue(text.contains("budget 1e+12 FLOPs: 8 runs (1 seeds)"), text)
        XCTAssertFalse(text.contains("unevenly spaced"), text)
        // A rung crowded against its neighbour (hidden 64 → 68) is pointed out.
        let crowded = try SweepSpec.parse(text: IsoFLOPSpecTests.spec.replacingOccurrences(
            of: "- {d_model: 16, hidden: [64]}", with: "- {d_model: 16, hidden: [64]}\n      - {d_model: 16, hidden: [68]}"), file: "iso.yaml")
        let warnings = IsoFLOPPlan.ladderSpacing(try Grid.expand(crowded).jobs)
        XCTAssertEqual(warnings.count, 2, "\(warnings)")   // the MLP at both contexts
        XCTAssertTrue(warnings[0].hasPrefix("the mlp ctx=16 sizes are unevenly spaced in log10 N: steps "), warnings[0])
        XCTAssertTrue(text.contains(String(format: "isoflop total: 24 runs, %.2f predicted core-hours",
                                           jobs.reduce(0) { $0 + $1.predictedFLOPs } / 1e9 / 3600)), text)
    }
}
