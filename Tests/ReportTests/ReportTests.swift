import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import Sweep
@testable import Training

final class ReportTests: XCTestCase {
    /// A small grid of synthetic records: 3 architectures × 2 contexts × 2 seeds, plus a
    /// transformer at two depths and a RoPE twin, with learning curves.
    private func records() -> [RunRecord] {
        var out: [RunRecord] = []
        for arch in [RunConfig.Architecture.linear, .mlp, .transformer] {
            for context in [32, 64] {
                for seed in [UInt64(1), 2] {
                    for depth in arch == .transformer ? [2, 3] : [2] {
                        var c = RunConfig(); c.arch = arch; c.context = context; c.seed = seed; c.depth = depth
                        let nll = 2.0 - 0.1 * Double(context) / 32 - (arch == .transformer ? 0.3 : 0) + 0.01 * Double(seed)
                        out.append(record(c, nll: nll))
                    }
                }
            }
        }
        var rope = RunConfig(); rope.positions = .rope; rope.context = 64; rope.depth = 3; rope.seed = 1
        out.append(record(rope, nll: 1.55))
        var failed = RunConfig(); failed.arch = .mlp; failed.context = 128
        var r = RunRecord(id: failed.id, config: failed, status: .failed, error: "boom | bad", seed: 0)
        r.paramsTotal = 10
        out.append(r)
        return out
    }

    private func record(_ c: RunConfig, nll: Double) -> RunRecord {
        let params = CostEstimate.parameters(c.resolved(), vocabularySize: 65)
        return RunRecord(id: c.id, config: c, status: .ok, paramsTotal: params.total,
                         paramsNonEmbedding: params.nonEmbedding,
                         flopsStudy: Double(params.total) * 1e4, flops6N: Double(params.nonEmbedding) * 6e3,
                         flopsExact: Double(params.total) * 3e3 * Double(c.context),
                         validNLL: [nll + 0.5, nll + 0.2, nll], validSteps: [10, 20, 30], bestEval: 2,
                         testNLL: nll, bitsPerChar: nll / log(2), seed: c.seed, wallSeconds: 1, tokensPerSecond: 100)
    }

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Counts elements and checks the document parses as XML.
    private final class ElementCounter: NSObject, XMLParserDelegate {
        var counts: [String: Int] = [:]
        var texts: [String] = []
        /// Every run a point or a line names.
        var runs: Set<String> = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            counts[name, default: 0] += 1
            if let cls = attributes["class"] { counts["." + cls, default: 0] += 1 }
            if let ids = attributes["data-runs"] { runs.formUnion(ids.split(separator: " ").map(String.init)) }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { texts.append(string) }
    }

    private func parse(_ url: URL) throws -> ElementCounter {
        let parser = XMLParser(data: try Data(contentsOf: url))
        let counter = ElementCounter()
        parser.delegate = counter
        XCTAssertTrue(parser.parse(), "\(url.lastPathComponent) is not valid XML: \(String(describing: parser.parserError))")
        return counter
    }

    func testFiguresAreValidXMLWithOnePointPerRunAndALegend() throws {
        let dir = try temporaryDirectory()
        let all = records()
        let files = try Report.write(records: all, to: dir, title: "Test sweep")
        let names = Set(files.map(\.lastPathComponent))
        for expected in ["report.md", "tinyshakespeare-nll-vs-flops-study.svg", "tinyshakespeare-nll-vs-flops-6n.svg",
                         "tinyshakespeare-nll-vs-flops-exact.svg", "tinyshakespeare-nll-vs-context.svg",
                         "tinyshakespeare-nll-vs-depth.svg", "tinyshakespeare-learning-curves.svg",
                         "tinyshakespeare-positions.svg"] {
            XCTAssertTrue(names.contains(expected), "missing \(expected) in \(names.sorted())")
        }
        let scored = all.filter { $0.testNLL != nil }.count
        for convention in ["study", "6n", "exact"] {
            let svg = try parse(dir.appendingPathComponent("tinyshakespeare-nll-vs-flops-\(convention).svg"))
            XCTAssertEqual(svg.counts[".point"], scored, convention)
            XCTAssertGreaterThanOrEqual(svg.counts[".x-axis"] ?? 0, 1)
            let legend = Set(svg.texts)
            XCTAssertTrue(legend.isSuperset(of: ["linear", "mlp", "transformer", "Pareto frontier"]), "\(legend)")
        }
        // vs context: one point per (group, context), error bars where two seeds agree on a config;
        // the lone RoPE run is a point of its own.
        let context = try parse(dir.appendingPathComponent("tinyshakespeare-nll-vs-context.svg"))
        XCTAssertEqual(context.counts[".point"], 2 * 4 + 1)  // linear, mlp, transformer L=2, L=3 at 2 contexts; RoPE
        XCTAssertEqual(context.counts[".error-bar"], 2 * 4)
    }

    func testReportTableHasEveryRunAndEscapesErrors() throws {
        let dir = try temporaryDirectory()
        let all = records()
        try Report.write(records: all, to: dir, title: "Test sweep")
        let markdown = try String(contentsOf: dir.appendingPathComponent("report.md"), encoding: .utf8)
        for r in all { XCTAssertTrue(markdown.contains("| \(r.id) |"), "row for \(r.id)") }
        XCTAssertTrue(markdown.contains("failed: boom / bad"))
        XCTAssertTrue(markdown.contains("Mean and spread over seeds"))
        XCTAssertTrue(markdown.contains("\(all.count) runs (\(all.count - 1) ok, 1 failed)"))
    }

    /// The standard block is absent from a run's canonical config (its id predates the key), yet
    /// a folder holding both blocks names both in its columns, and a folder of standard blocks
    /// says so once; the linear model and the MLP have no block at all.
    func testBlockStyleIsNamedInTablesEvenAtItsDefault() throws {
        var standard = RunConfig(); standard.context = 64
        var study = standard; study.blockStyle = .study
        var spelt = standard; spelt.blockStyle = .standard; spelt.seed = 1
        var mlp = RunConfig(); mlp.arch = .mlp
        XCTAssertNil(standard.canonicalized().blockStyle)
        XCTAssertNil(spelt.canonicalized().blockStyle)

        let mixed = ConfigColumns([record(standard, nll: 2), record(study, nll: 1.9), record(spelt, nll: 2.1), record(mlp, nll: 2.4)])
        XCTAssertTrue(mixed.varying.contains("block_style"))
        XCTAssertEqual(mixed.value("block_style", of: record(standard, nll: 2)), .text("standard"))
        XCTAssertEqual(mixed.value("block_style", of: record(spelt, nll: 2.1)), .text("standard"))
        XCTAssertEqual(mixed.value("block_style", of: record(study, nll: 1.9)), .text("study"))
        XCTAssertNil(mixed.value("block_style", of: record(mlp, nll: 2.4)))

        let plain = ConfigColumns([record(standard, nll: 2), record(spelt, nll: 2.1), record(mlp, nll: 2.4)])
        XCTAssertFalse(plain.varying.contains("block_style"))
        XCTAssertEqual(plain.constants.first { $0.key == "block_style" },
                       ConfigColumns.Constant(key: "block_style", value: .text("standard"), appliesTo: ["transformer"]))
    }

    /// The positions figure compares learned and rotary positions by colour, whatever else
    /// varies; the seeds of one configuration share its colour, its pattern and one legend entry.
    func testPositionsFigureColoursEachPositionsAndGroupsSeeds() throws {
        var all: [RunRecord] = []
        for positions in [RunConfig.Positions.learned, .rope] {
            for block in [RunConfig.BlockStyle.standard, .study] {
                for seed in block == .study ? [UInt64(0), 1, 2] : [0] {
                    var c = RunConfig(); c.norm = .pre; c.positions = positions; c.blockStyle = block; c.seed = seed
                    all.append(record(c, nll: positions == .rope ? 2.0 : 1.9))
                }
            }
        }
        let dir = try temporaryDirectory()
        try Report.write(records: all, to: dir, title: "Positions")
        let svg = try String(contentsOf: dir.appendingPathComponent("tinyshakespeare-positions.svg"), encoding: .utf8)
        func lines(of run: RunRecord) throws -> String {
            let line = try XCTUnwrap(svg.split(separator: "\n").first { $0.contains("data-runs=\"\(run.id)\"") && $0.contains("<polyline") })
            return String(line)
        }
        func stroke(_ run: RunRecord) throws -> String {
            let line = try lines(of: run)
            let start = try XCTUnwrap(line.range(of: "stroke=\"")).upperBound
            return String(line[start...].prefix(7))
        }
        func dashed(_ run: RunRecord) throws -> Bool { try lines(of: run).contains("stroke-dasharray") }
        let learned = all.filter { $0.config.positions == .learned }, rope = all.filter { $0.config.positions == .rope }
        XCTAssertEqual(Set(try learned.map(stroke)).count, 1)
        XCTAssertEqual(Set(try rope.map(stroke)).count, 1)
        XCTAssertNotEqual(try stroke(learned[0]), try stroke(rope[0]))
        for runs in [learned, rope] {
            XCTAssertEqual(try runs.filter { $0.config.blockStyle == .study }.map(dashed), [true, true, true], "one pattern for a configuration's seeds")
            XCTAssertEqual(try runs.filter { $0.config.blockStyle != .study }.map(dashed), [false])
        }
        XCTAssertTrue(svg.contains(">transformer positions=rope block_style=study (3 runs)<"), svg)
        XCTAssertFalse(svg.contains("seed="), "no legend entry per seed")
    }

    /// A report of records in any order (a merge of partial journals) equals the full run's.
    func testReportDoesNotDependOnRecordOrder() throws {
        let all = records()
        let a = try temporaryDirectory(), b = try temporaryDirectory()
        let filesA = try Report.write(records: all, to: a, title: "T")
        var rng = SystemRandomNumberGenerator()
        try Report.write(records: all.shuffled(using: &rng), to: b, title: "T")
        for file in filesA {
            let other = b.appendingPathComponent(file.lastPathComponent)
            XCTAssertEqual(try Data(contentsOf: file), try Data(contentsOf: other), file.lastPathComponent)
        }
    }

    /// No figure hides a run: every run a figure applies to is a point or a line in it, for the
    /// synthetic grid and for every committed sweep under docs/results.
    func testEveryRunAppearsInEveryFigureThatAppliesToIt() throws {
        let results = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/results")
        var sets: [(String, [RunRecord])] = [("synthetic", records())]
        for folder in try FileManager.default.contentsOfDirectory(atPath: results.path).sorted() {
            let journal = results.appendingPathComponent(folder).appendingPathComponent("journal.jsonl").path
            guard FileManager.default.fileExists(atPath: journal) else { continue }
            sets.append((folder, MergedRecords(try Journal.load(path: journal)).records))
        }
        XCTAssertEqual(sets.count, 1 + 6)   // the synthetic grid and the six committed sweeps
        var checked = 0
        for (name, all) in sets {
            let dir = try temporaryDirectory()
            try Report.write(records: all, to: dir, title: name)
            for corpus in Set(all.map { Report.corpusName($0.config) }) {
                let runs = all.filter { Report.corpusName($0.config) == corpus }
                let scored = runs.filter { $0.status == .ok && ($0.testNLL?.isFinite ?? false) }
                var expected: [String: Set<String>] = [:]
                for convention in ["study", "6n", "exact"] { expected["nll-vs-flops-\(convention)"] = Set(scored.map(\.id)) }
                if Set(scored.map(\.config.context)).count > 1 { expected["nll-vs-context"] = Set(scored.map(\.id)) }
                let deep = scored.filter { $0.config.depth != nil }
                if Set(deep.map(\.config.depth)).count > 1 { expected["nll-vs-depth"] = Set(deep.map(\.id)) }
                if Set(scored.map(\.config.flopBudget)).count > 1 { expected["nll-vs-params"] = Set(scored.map(\.id)) }
                let curves = runs.filter { $0.validNLL.count > 1 }
                if !curves.isEmpty { expected["learning-curves"] = Set(curves.map(\.id)) }
                for (figure, ids) in expected {
                    let url = dir.appendingPathComponent("\(corpus)-\(figure).svg")
                    XCTAssertTrue(FileManager.default.fileExists(atPath: url.path), "\(name): \(corpus)-\(figure).svg is missing")
                    guard FileManager.default.fileExists(atPath: url.path) else { continue }
                    let shown = try parse(url).runs
                    XCTAssertEqual(ids.subtracting(shown), [], "\(name): runs missing from \(corpus)-\(figure).svg")
                    XCTAssertEqual(shown.subtracting(ids), [], "\(name): runs in \(corpus)-\(figure).svg that do not apply")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 20)
    }

    func testParetoFrontierKeepsOnlyRunsNoCheaperRunBeats() {
        let frontier = ReportFigures.paretoFrontier([(10, 3.0), (1, 2.5), (5, 2.6), (20, 1.0), (3, 2.0)])
        XCTAssertEqual(frontier.map(\.0), [1, 3, 20])
        XCTAssertEqual(frontier.map(\.1), [2.5, 2.0, 1.0])
    }
}
