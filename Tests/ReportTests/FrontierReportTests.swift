import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import Sweep
@testable import Training

/// `lmsweep report` on journals of budget-sized runs: frontier.json, the report's section and
/// the figures, from records alone.
final class FrontierReportTests: XCTestCase {
    /// Records of an iso-FLOP sweep drawn from the known law of ``FrontierFitTests``: a
    /// transformer and an MLP at three budgets, five sizes, two seeds, one run failed.
    func records() -> [RunRecord] {
        let law = FrontierFitTests.Law()
        var out: [RunRecord] = []
        for (archIndex, arch) in [RunConfig.Architecture.mlp, .transformer].enumerated() {
            for budget in [1e12, 1e13, 1e14] {
                let center = log10(law.nOpt(budget))
                for rung in 0..<5 {
                    for seed in [UInt64(0), 1] {
                        var c = RunConfig()
                        c.arch = arch; c.context = 64; c.dModel = 16 * (rung + 1) + 8 * Int(log10(budget))
                        c.flopBudget = budget; c.sizeToBudget = true; c.seed = seed
                        let n = pow(10, center - 0.6 + 0.3 * Double(rung)), d = budget / (6 * n)
                        var r = RunRecord(id: c.id, config: c, status: .ok, seed: seed)
                        r.paramsNonEmbedding = Int(n); r.paramsTotal = Int(n) + 1000
                        r.tokensTrained = Int(d); r.flopsExact = budget; r.flopsStudy = 2 * budget; r.flops6N = budget
                        r.testNLL = law.loss(n, d) + 0.05 * Double(archIndex) + 0.002 * Double(seed)
                        if arch == .mlp, budget == 1e13, rung == 2, seed == 1 {
                            r.status = .diverged; r.testNLL = .nan; r.error = "training loss is nan at step 7"
                        }
                        out.append(r)
                    }
                }
            }
        }
        return out
    }

    func testReportWritesFrontierJSONSectionAndFigures() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("frontier-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let written = try Report.write(records: records(), to: directory, title: "iso")
        let names = Set(written.map(\.lastPathComponent))
        for file in ["frontier.json", "tinyshakespeare-frontier-nll-vs-n.svg", "tinyshakespeare-frontier-lopt-vs-c.svg",
                     "tinyshakespeare-frontier-nopt-vs-c.svg"] {
            XCTAssertTrue(names.contains(file), "\(file) not in \(names.sorted())")
        }
        XCTAssertFalse(names.contains("tinyshakespeare-frontier-best-context.svg"), "one context: no best-context figure")

        let data = try Data(contentsOf: directory.appendingPathComponent("frontier.json"))
        let frontier = try JSONDecoder().decode(FrontierReportData.self, from: data)
        let dataset = try XCTUnwrap(frontier.datasets.first)
        XCTAssertEqual(dataset.dataset, "tinyshakespeare")
        XCTAssertEqual(dataset.families.map(\.name), ["mlp ctx=64", "transformer ctx=64"])
        let mlp = dataset.families[0]
        XCTAssertEqual(mlp.budgets.map(\.runs), [10, 10, 10])
        XCTAssertEqual(mlp.budgets.map(\.failedRuns), [0, 1, 0])
        let exponent = try XCTUnwrap(mlp.laws.first { $0.convention == "exact" }?.nOpt?.exponent)
        XCTAssertEqual(exponent, FrontierFitTests.Law().exponent, accuracy: 0.05)
        // The transformer is 0.05 nats worse everywhere: the MLP is best at every budget.
        XCTAssertEqual(dataset.rankings.map(\.best), ["mlp ctx=64", "mlp ctx=64", "mlp ctx=64"])
        for ranking in dataset.rankings { XCTAssertEqual(try XCTUnwrap(ranking.margin), 0.05, accuracy: 0.01) }
        XCTAssertFalse(String(decoding: data, as: UTF8.self).lowercased().contains("nan"))

        let markdown = try String(contentsOf: directory.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(markdown.contains("## Compute-optimal frontier: tinyshakespeare"))
        XCTAssertTrue(markdown.contains("| 1e+13 | mlp ctx=64 | "), markdown)
        XCTAssertTrue(markdown.contains("![tinyshakespeare: test NLL against N at each budget"))
        // (The per-run table above it quotes the diverged run's error; the frontier never shows NaN.)
        let section = try XCTUnwrap(markdown.range(of: "## Compute-optimal frontier").map { markdown[$0.lowerBound...] })
        XCTAssertFalse(section.lowercased().contains("nan"), String(section))

        // Every figure is well-formed XML; the small multiples hold one panel per budget.
        for url in written where url.pathExtension == "svg" {
            let parser = XMLParser(contentsOf: url)!
            XCTAssertTrue(parser.parse(), "\(url.lastPathComponent): \(parser.parserError.map { "\($0)" } ?? "")")
        }
        let multiples = try String(contentsOf: directory.appendingPathComponent("tinyshakespeare-frontier-nll-vs-n.svg"), encoding: .utf8)
        XCTAssertEqual(multiples.components(separatedBy: "<svg ").count - 1, 1 + 3)
        // Every run with a test NLL is a point (the diverged one is not).
        XCTAssertEqual(multiples.components(separatedBy: "class=\"point\"").count - 1, 2 * 3 * 5 * 2 - 1)
    }

    func testRecordsWithoutBudgetSizedRunsGetNoFrontier() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("frontier-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let plain = records().map { r -> RunRecord in
            var c = r.config; c.sizeToBudget = nil
            var copy = r; copy.config = c.canonicalized(); copy.id = c.id
            return copy
        }
        let written = try Report.write(records: plain, to: directory, title: "plain")
        XCTAssertFalse(written.contains { $0.lastPathComponent == "frontier.json" })
        XCTAssertFalse(try String(contentsOf: written[0], encoding: .utf8).contains("Compute-optimal frontier"))
    }
}

extension FrontierReportTests {
    func testTotalParameterCountIsAnOption() throws {
        var options = FrontierOptions()
        options.parameterCount = .total
        options.replicates = 20; options.parametricReplicates = 0
        let frontier = try XCTUnwrap(FrontierAnalysis.analyze(records(), options: options).first)
        XCTAssertEqual(frontier.parameterCount, "total")
        // Every run here has 1000 embedding parameters: the samples' N is the total.
        let record = records()[0]
        XCTAssertEqual(FrontierAnalysis.sample(record, options: options).parameters, Double(record.paramsNonEmbedding + 1000))
        XCTAssertEqual(FrontierAnalysis.sample(record, options: FrontierOptions()).parameters, Double(record.paramsNonEmbedding))
    }
}
