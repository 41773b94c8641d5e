import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Sweep
import Training
import TestSupport
import XCTest

/// The first look a user takes: `mpirun -np 2 lmsweep run sweeps/smoke.yaml` trains every
/// architecture and leaves a report whose figures are valid XML with one point per run.
final class SmokeReportTests: XCTestCase {
    /// Counts `class="point"` elements; fails the test on XML that does not parse.
    private final class PointCounter: NSObject, XMLParserDelegate {
        var points = 0
        var texts: Set<String> = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            if attributes["class"] == "point" { points += 1 }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { texts.insert(string) }
    }

    private func parse(_ path: String) throws -> PointCounter {
        let parser = XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: path)))
        let counter = PointCounter()
        parser.delegate = counter
        XCTAssertTrue(parser.parse(), "\(path): \(String(describing: parser.parserError))")
        return counter
    }

    func testSmokeSweepOnTwoRanksWritesAReportWithOnePointPerRun() throws {
        let data = TestData.dataArguments
        let spec = TestData.spec(SweepBinary.repository + "/sweeps/smoke.yaml")
        let out = NSTemporaryDirectory() + "lmsweep-smoke-\(UUID().uuidString.prefix(8))"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: out) }
        let result = try SweepBinary.run(["run", spec, "--out", out] + data, ranks: 2)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("report:  \(out)/report.md"), result.stdout)

        let records = try Journal.load(path: Journal.journalPath(in: out)).map(\.record)
        let jobs = try Grid.expand(SweepSpec.load(path: spec), data: TestData.location).jobs
        XCTAssertEqual(Set(records.map(\.id)), Set(jobs.map(\.id)))
        XCTAssertEqual(Set(records.map(\.rank)), [0, 1], "both ranks trained")
        XCTAssertTrue(records.allSatisfy { $0.status == .ok && $0.testNLL != nil })
        // It learns: every run's valid NLL falls over its four evaluations.
        for record in records {
            XCTAssertEqual(record.validNLL.count, 4, record.id)
            XCTAssertLessThan(record.validNLL.last ?? .infinity, (record.validNLL.first ?? 0) - 0.1, "\(record.id): \(record.validNLL)")
        }

        for convention in ["study", "6n", "exact"] {
            let figure = try parse("\(out)/\(TestData.tinyShakespeareReportName)-nll-vs-flops-\(convention).svg")
            XCTAssertEqual(figure.points, records.count, convention)
            XCTAssertTrue(figure.texts.isSuperset(of: ["linear", "mlp", "attention", "transformer"]), "\(figure.texts)")
        }
        for figure in ["nll-vs-context", "nll-vs-depth", "learning-curves"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/\(TestData.tinyShakespeareReportName)-\(figure).svg"), figure)
            _ = try parse("\(out)/\(TestData.tinyShakespeareReportName)-\(figure).svg")
        }
        let report = try String(contentsOfFile: "\(out)/report.md", encoding: .utf8)
        for record in records { XCTAssertTrue(report.contains("| \(record.id) |")) }
    }
}
