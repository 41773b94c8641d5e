import Foundation
import XCTest
@testable import Sweep
@testable import Training

/// The tidy results table as pandas reads it: a column per swept key, typed cells, empty where
/// a field does not apply, and the learning curves in long format.
final class ResultsColumnsTests: XCTestCase {
    private func record(_ c: RunConfig, nll: Double?, status: RunRecord.Status = .ok, error: String? = nil) -> RunRecord {
        var r = RunRecord(id: c.id, config: c, status: status, error: error, paramsTotal: 1000 + c.context,
                          paramsNonEmbedding: 900, flopsStudy: 2e9, flops6N: 3e9, flopsExact: 4_000_000_123,
                          steps: 8, windowsTrained: 256, tokensTrained: 256, validNLL: [2.5, nll ?? .nan],
                          validSteps: [4, 8], bestEval: 1, testNLL: nll, seed: c.seed,
                          wallSeconds: 1.25, tokensPerSecond: 2048.5, gflopsPerSecond: 3.5)
        if let nll, nll.isFinite { r.bitsPerChar = nll / log(2) }
        return r
    }

    /// Linear, MLP and transformer at two budgets, two learning rates and two seeds, plus a
    /// failed and a diverged run.
    private func records() -> [RunRecord] {
        var out: [RunRecord] = []
        for arch in [RunConfig.Architecture.linear, .mlp, .transformer] {
            for budget in [5e11, 2e12] {
                for lr in [1e-3, 3e-4] {
                    for seed in [UInt64(0), 1] {
                        var c = RunConfig(); c.arch = arch; c.flopBudget = budget; c.lr = lr; c.seed = seed
                        c.context = 32; c.dModel = 64; c.depth = arch == .linear ? nil : 2; c.hiddenWidth = 64
                        out.append(record(c, nll: 2.0 - Double(seed) * 0.01 - (budget > 1e12 ? 0.2 : 0)))
                    }
                }
            }
        }
        var failed = RunConfig(); failed.arch = .mlp; failed.context = 64; failed.dModel = 64; failed.hiddenWidth = 64
        out.append(record(failed, nll: nil, status: .failed, error: "out of memory, at step 3"))
        var diverged = RunConfig(); diverged.context = 64; diverged.dModel = 64; diverged.lr = 1.0
        out.append(record(diverged, nll: .nan, status: .diverged, error: "test NLL is nan"))
        return out
    }

    /// RFC 4180 rows: quoted fields may hold commas and doubled quotes.
    private func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
        var chars = Array(text)[...]
        while let ch = chars.popFirst() {
            if quoted {
                if ch == "\"" { if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false } }
                else { field.append(ch) }
            } else if ch == "\"" { quoted = true }
            else if ch == "," { row.append(field); field = "" }
            else if ch == "\n" { row.append(field); rows.append(row); row = []; field = "" }
            else { field.append(ch) }
        }
        return rows
    }

    enum Kind: Equatable { case integer, number, boolean, text, empty }

    /// The type pandas would give a column: every non-empty cell an integer, a number, a boolean.
    private func kinds(_ rows: [[String]]) -> [String: Kind] {
        let header = rows[0]
        var out: [String: Kind] = [:]
        for (index, name) in header.enumerated() {
            let cells = rows.dropFirst().map { $0[index] }.filter { !$0.isEmpty }
            if cells.isEmpty { out[name] = .empty }
            else if cells.allSatisfy({ Int($0) != nil }) { out[name] = .integer }
            else if cells.allSatisfy({ Double($0) != nil || $0 == "nan" || $0 == "inf" }) { out[name] = .number }
            else if cells.allSatisfy({ $0 == "true" || $0 == "false" }) { out[name] = .boolean }
            else { out[name] = .text }
        }
        return out
    }

    func testCSVHasAColumnPerSweptKeyWithTypedCells() throws {
        let table = ResultsTable(records())
        let rows = parseCSV(table.csv())
        let header = rows[0]
        XCTAssertEqual(rows.count, records().count + 1)
        XCTAssertTrue(rows.allSatisfy { $0.count == header.count }, "every row has every column")
        for swept in ["arch", "flop_budget", "lr", "seed", "context", "depth"] {
            XCTAssertTrue(header.contains(swept), "\(swept) is a column: \(header)")
        }
        XCTAssertFalse(header.contains("d_model"), "a key every run shares is not a column")
        XCTAssertFalse(header.contains("hidden"), "MLP layers of one width are hidden_width beside depth")
        XCTAssertEqual(Array(header.suffix(4)), ["wall_seconds", "tokens_per_second", "gflops_per_second", "error"])

        let kind = kinds(rows)
        for integer in ["flop_budget", "seed", "context", "depth", "params_total",
                        "params_non_embedding", "flops_study", "flops_6n", "flops_exact", "steps", "tokens_trained"] {
            XCTAssertEqual(kind[integer], .integer, integer)
        }
        for number in ["lr", "test_nll", "best_valid_nll", "bits_per_char", "wall_seconds", "tokens_per_second", "gflops_per_second"] {
            XCTAssertEqual(kind[number], .number, number)
        }
        XCTAssertEqual(kind["error"], .text)
        XCTAssertNil(kind["perplexity"], "no word-level run, no perplexity column")

        let column = Dictionary(uniqueKeysWithValues: header.enumerated().map { ($1, $0) })
        let linear = try XCTUnwrap(rows.dropFirst().first { $0[column["arch"]!] == "linear" })
        XCTAssertEqual(linear[column["depth"]!], "", "depth does not apply to the linear model")
        XCTAssertEqual(linear[column["flop_budget"]!], "500000000000")
        XCTAssertEqual(linear[column["flops_exact"]!], "4000000123")
        let failed = try XCTUnwrap(rows.dropFirst().first { $0[column["status"]!] == "failed" })
        XCTAssertEqual(failed[column["error"]!], "out of memory, at step 3")
        XCTAssertEqual(failed[column["test_nll"]!], "")
        XCTAssertEqual(failed[column["flop_budget"]!], "", "a run without a budget")
        let diverged = try XCTUnwrap(rows.dropFirst().first { $0[column["status"]!] == "diverged" })
        XCTAssertEqual(diverged[column["test_nll"]!], "nan")

        let markdown = table.markdown()
        XCTAssertTrue(markdown.contains("| `d_model` | 64 | all |"), markdown)
        XCTAssertTrue(markdown.contains("| `heads` | 4 | transformer |"), "shared where it applies")
    }

    func testMLPsOfDifferentWidthsGetAListThatParses() throws {
        var wide = RunConfig(); wide.arch = .mlp; wide.hidden = [512, 256]
        var even = RunConfig(); even.arch = .mlp; even.hidden = [128, 128, 128]
        var word = RunConfig(); word.arch = .linear; word.dataset = .ptb
        var ptb = record(word, nll: 5)
        ptb.bitsPerChar = nil; ptb.perplexity = exp(5)
        let rows = parseCSV(ResultsTable([record(wide, nll: 2), record(even, nll: 2.1), ptb]).csv())
        let column = Dictionary(uniqueKeysWithValues: rows[0].enumerated().map { ($1, $0) })
        XCTAssertNil(column["hidden_width"])
        let lists = rows.dropFirst().map { $0[column["hidden"]!] }.filter { !$0.isEmpty }
        let parsed = try lists.map { try JSONDecoder().decode([Int].self, from: Data($0.utf8)) }
        XCTAssertEqual(Set(parsed), [[512, 256], [128, 128, 128]])
        XCTAssertEqual(kinds(rows)["perplexity"], .number)
        XCTAssertEqual(kinds(rows)["bits_per_char"], .number, "half empty: a cell per run where it applies")
    }

    func testCurvesHaveARowPerEvaluationWithExactTokensAndFLOPs() throws {
        var c = RunConfig(); c.arch = .linear; c.context = 16; c.windowsPerEpoch = 100; c.batchSize = 32; c.epochs = 2
        var old = record(c, nll: 2)
        old.flopsExact = 1000
        var new = old
        new.config.seed = 5; new.id = new.config.id
        new.validTokens = [96, 200]; new.validFLOPs = [480, 1000]; new.trainLoss = [2.9, 2.4]
        let rows = parseCSV(CurvesTable([old, new]).csv())
        XCTAssertEqual(rows[0], CurvesTable.columns)
        XCTAssertEqual(rows.count, 1 + 4)
        // 100 windows per epoch in batches of 32, 32, 32, 4: step 4 ends epoch 1, step 8 epoch 2.
        XCTAssertEqual(rows[1], [old.id, "0", "4", "100", "500", "", "2.5", "false"])
        XCTAssertEqual(rows[2], [old.id, "1", "8", "200", "1000", "", "2", "true"])
        XCTAssertEqual(rows[3], [new.id, "0", "4", "96", "480", "2.9", "2.5", "false"], "kept values win")
        let kind = kinds(rows)
        XCTAssertEqual(kind["step"], .integer)
        XCTAssertEqual(kind["tokens"], .integer)
        XCTAssertEqual(kind["flops_exact"], .integer)
        XCTAssertEqual(kind["valid_nll"], .number)
        XCTAssertEqual(kind["best"], .boolean)
    }

    private func committed(_ folder: String) throws -> [[String]] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/results/\(folder)/results.csv")
        return parseCSV(try String(contentsOf: url, encoding: .utf8))
    }

    /// The ablations tell 1, 2 and 4 heads and the MLP widths apart.
    func testRegeneratedAblationsTableHasHeadsAndWidthColumns() throws {
        let rows = try committed("study-ablations")
        let column = Dictionary(uniqueKeysWithValues: rows[0].enumerated().map { ($1, $0) })
        let kind = kinds(rows)
        XCTAssertEqual(kind["heads"], .integer)
        XCTAssertEqual(kind["hidden_width"], .integer)
        XCTAssertEqual(Set(rows.dropFirst().map { $0[column["heads"]!] }.filter { !$0.isEmpty }), ["1", "2", "4"])
        XCTAssertEqual(Set(rows.dropFirst().map { $0[column["hidden_width"]!] }.filter { !$0.isEmpty }), ["128", "256", "512"])
    }

    func testRegeneratedGridTableHasBudgetAndSeedColumns() throws {
        let rows = try committed("grid")
        let kind = kinds(rows)
        XCTAssertEqual(rows.count, 241)
        XCTAssertEqual(kind["flop_budget"], .integer)
        XCTAssertEqual(kind["seed"], .integer)
        XCTAssertEqual(kind["depth"], .integer)
        XCTAssertEqual(kind["context"], .integer)
        let column = Dictionary(uniqueKeysWithValues: rows[0].enumerated().map { ($1, $0) })
        XCTAssertEqual(Set(rows.dropFirst().map { $0[column["flop_budget"]!] }), ["500000000000", "2000000000000"])
    }
}
