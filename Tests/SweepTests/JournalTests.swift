import Sweep
import Training
import XCTest

final class JournalTests: XCTestCase {
    func testAppendedRecordsLoadBackInOrderWithTheirLines() throws {
        let dir = scratchDirectory()
        let jobs = try smallGridJobs()
        let journal = try Journal(directory: dir)
        for job in jobs.prefix(3) { try journal.append(syntheticRecord(for: job.config)) }
        let loaded = try Journal.load(path: journal.path)
        XCTAssertEqual(loaded.map(\.record), jobs.prefix(3).map { syntheticRecord(for: $0.config) })
        XCTAssertEqual(loaded.map(\.source), (1...3).map { "\(journal.path):\($0)" })
    }

    func testTornLastLineIsSkippedWithAWarningAndCutBeforeTheNextAppend() throws {
        let dir = scratchDirectory()
        let jobs = try smallGridJobs()
        let path = Journal.journalPath(in: dir)
        let complete = jobs.prefix(2).map { syntheticRecord(for: $0.config).jsonLine() + "\n" }.joined()
        let torn = String(syntheticRecord(for: jobs[2].config).jsonLine().prefix(57))
        writeFile(complete + torn, named: Journal.fileName, in: dir)

        var warnings: [String] = []
        let loaded = try Journal.load(path: path) { warnings.append($0) }
        XCTAssertEqual(loaded.map(\.record.id), jobs.prefix(2).map(\.id))
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].contains("\(path):3: skipping a torn last line"), warnings[0])

        // Reopening for append cuts the torn bytes, so the next record is a line of its own.
        var openWarnings: [String] = []
        let journal = try Journal(directory: dir) { openWarnings.append($0) }
        XCTAssertEqual(openWarnings.count, 1)
        try journal.append(syntheticRecord(for: jobs[3].config))
        var reloadWarnings: [String] = []
        let reloaded = try Journal.load(path: path) { reloadWarnings.append($0) }
        XCTAssertEqual(reloaded.map(\.record.id), [jobs[0].id, jobs[1].id, jobs[3].id])
        XCTAssertEqual(reloadWarnings, [])
    }

    func testCorruptLineInTheMiddleIsAnErrorNamingFileAndLine() throws {
        let dir = scratchDirectory()
        let jobs = try smallGridJobs()
        let lines = [syntheticRecord(for: jobs[0].config).jsonLine(), "{\"id\": \"garbage\"}",
                     syntheticRecord(for: jobs[1].config).jsonLine()]
        let path = writeFile(lines.joined(separator: "\n") + "\n", named: Journal.fileName, in: dir)
        XCTAssertThrowsError(try Journal.load(path: path)) { error in
            let journalError = error as? JournalError
            XCTAssertEqual(journalError?.file, path)
            XCTAssertEqual(journalError?.line, 2)
            XCTAssertTrue("\(error)".hasPrefix("\(path):2: not a run record"), "\(error)")
        }
    }

    /// A record whose config was edited (by hand, or another tool) no longer hashes to its id:
    /// resume would skip the wrong job, so loading stops there, naming the line.
    func testRecordWhoseConfigDoesNotHashToItsIDIsAnErrorNamingTheLine() throws {
        let dir = scratchDirectory()
        let jobs = try smallGridJobs()
        let edited = syntheticRecord(for: jobs[1].config).jsonLine()
            .replacingOccurrences(of: "\"windows_per_epoch\":256", with: "\"windows_per_epoch\":512")
        XCTAssertNotEqual(edited, syntheticRecord(for: jobs[1].config).jsonLine())
        let path = writeFile([syntheticRecord(for: jobs[0].config).jsonLine(), edited].joined(separator: "\n") + "\n",
                             named: Journal.fileName, in: dir)
        XCTAssertThrowsError(try Journal.load(path: path)) { error in
            XCTAssertEqual((error as? JournalError)?.line, 2)
            XCTAssertTrue("\(error)".contains("run \(jobs[1].id)'s config hashes to "), "\(error)")
        }
    }

    func testMissingJournalIsEmpty() throws {
        XCTAssertEqual(try Journal.load(path: scratchDirectory() + "/nothing.jsonl").count, 0)
    }

    func testSpecAndVersionAreStoredBesideTheJournal() throws {
        let dir = scratchDirectory()
        let specPath = writeFile(smallGridSpec, named: "small.yaml", in: dir)
        let out = dir + "/out"
        let journal = try Journal(directory: out)
        try journal.writeSpec(SweepSpec.load(path: specPath))
        XCTAssertEqual(try String(contentsOfFile: out + "/spec.yaml", encoding: .utf8), smallGridSpec)
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/sweep.json"))) as? [String: String]
        XCTAssertEqual(meta?["version"], LMSweepVersion.current)
        XCTAssertEqual(meta?["name"], "small")
    }
}
