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
        _ = try Journal(directory: out)
        try SweepFolder.write(SweepSpec.load(path: specPath), in: out)
        XCTAssertEqual(try String(contentsOfFile: out + "/spec.yaml", encoding: .utf8), smallGridSpec)
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/sweep.json"))) as? [String: String]
        XCTAssertEqual(meta?["version"], LMSweepVersion.current)
        XCTAssertEqual(meta?["name"], "small")
        // A changed spec of the same sweep: the earlier text is kept as spec.1.yaml.
        let changed = smallGridSpec.replacingOccurrences(of: "epochs: 1", with: "epochs: 2")
        try SweepFolder.write(SweepSpec.parse(text: changed, file: specPath), in: out)
        XCTAssertEqual(try String(contentsOfFile: out + "/spec.yaml", encoding: .utf8), changed)
        XCTAssertEqual(try String(contentsOfFile: out + "/spec.1.yaml", encoding: .utf8), smallGridSpec)
        // Another sweep's spec is refused, unless added on purpose.
        let other = try SweepSpec.parse(text: smallGridSpec.replacingOccurrences(of: "name: small", with: "name: other"), file: specPath)
        XCTAssertThrowsError(try SweepFolder.check(other, in: out, add: false)) { error in
            XCTAssertTrue("\(error)".contains("holds the sweep 'small'"), "\(error)")
            XCTAssertTrue("\(error)".contains("named 'other'"), "\(error)")
        }
        XCTAssertNoThrow(try SweepFolder.check(other, in: out, add: true))
    }

    /// CRLF line ends (a file that went through a Windows tool) read as the same records.
    func testCRLFLineEndsReadAsTheSameRecords() throws {
        let dir = scratchDirectory()
        let jobs = try smallGridJobs()
        let records = jobs.prefix(3).map { syntheticRecord(for: $0.config) }
        let path = writeFile(records.map { $0.jsonLine() + "\r\n" }.joined(), named: Journal.fileName, in: dir)
        XCTAssertEqual(try Journal.load(path: path).map(\.record), records)
    }

    /// A complete last record that lost its newline is kept, and reopening adds the newline:
    /// never dropped, never retrained.
    func testCompleteLastRecordWithoutNewlineIsKeptAndGetsItsNewline() throws {
        let dir = scratchDirectory()
        let jobs = try smallGridJobs()
        let records = jobs.prefix(2).map { syntheticRecord(for: $0.config) }
        let text = records[0].jsonLine() + "\n" + records[1].jsonLine()
        let path = writeFile(text, named: Journal.fileName, in: dir)
        var warnings: [String] = []
        XCTAssertEqual(try Journal.load(path: path) { warnings.append($0) }.map(\.record), records)
        XCTAssertEqual(warnings, [])
        var openWarnings: [String] = []
        let journal = try Journal(directory: dir) { openWarnings.append($0) }
        XCTAssertEqual(openWarnings, ["\(path):2: the last record has no newline; adding it"])
        try journal.append(syntheticRecord(for: jobs[2].config))
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), text + "\n" + syntheticRecord(for: jobs[2].config).jsonLine() + "\n")
    }

    /// A journal deleted under a running sweep: the append fails naming the file and keeps the
    /// record's text in the message, instead of writing into a file nobody will read.
    func testAppendToADeletedJournalIsAnError() throws {
        let dir = scratchDirectory()
        let jobs = try smallGridJobs()
        let journal = try Journal(directory: dir)
        try journal.append(syntheticRecord(for: jobs[0].config))
        try FileManager.default.removeItem(atPath: journal.path)
        XCTAssertThrowsError(try journal.append(syntheticRecord(for: jobs[1].config))) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(journal.path):0: was deleted or replaced while the sweep ran"), "\(error)")
            XCTAssertTrue("\(error)".contains(jobs[1].id), "\(error)")
        }
        // Replaced by another file of the same name: refused too.
        writeFile("", named: Journal.fileName, in: dir)
        XCTAssertThrowsError(try journal.append(syntheticRecord(for: jobs[1].config)))
        XCTAssertEqual(try String(contentsOfFile: journal.path, encoding: .utf8), "")
    }
}
