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
