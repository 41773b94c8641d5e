import Foundation
import Training

/// A record as read from a journal, with where it came from (`path:line`), for merge reports.
public struct SourcedRecord: Sendable {
    public let record: RunRecord
    public let source: String
    public init(record: RunRecord, source: String) { self.record = record; self.source = source }
}

public struct JournalError: Error, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let message: String
    public var description: String { "\(file):\(line): \(message)" }
}

/// The sweep's source of truth: `journal.jsonl` in the output folder, one ``RunRecord`` per
/// line, appended by rank 0 only, each line flushed and fsynced before the next job is
/// counted done, so a crash at any moment loses at most the runs in flight. Beside it,
/// `spec.yaml` (the spec as run) and `sweep.json` (spec path and software version).
public final class Journal {
    public let directory: String
    public var path: String { Self.journalPath(in: directory) }
    private var handle: FileHandle?

    public static let fileName = "journal.jsonl"
    public static func journalPath(in directory: String) -> String {
        (directory as NSString).appendingPathComponent(fileName)
    }

    /// Opens (creating if needed) the journal in `directory` for appending. A torn last line
    /// left by a crash mid-write is cut off first, so the next record starts on a line of its
    /// own; `warn` hears about it.
    public init(directory: String, warn: (String) -> Void = { _ in }) throws {
        self.directory = directory
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if !manager.fileExists(atPath: Self.journalPath(in: directory)) {
            guard manager.createFile(atPath: Self.journalPath(in: directory), contents: nil) else {
                throw JournalError(file: Self.journalPath(in: directory), line: 0, message: "cannot create the journal")
            }
        }
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: Self.journalPath(in: directory)))
        let data = try handle.readToEnd() ?? Data()
        if let last = data.last, last != UInt8(ascii: "\n") {
            let keep = (data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
            warn("\(path): cutting off a torn last line (\(data.count - keep) bytes from an interrupted write)")
            try handle.truncate(atOffset: UInt64(keep))
        }
        try handle.seekToEnd()
        self.handle = handle
    }

    deinit { try? handle?.close() }

    /// Appends one record as one line, then flushes it to disk (fsync) before returning.
    public func append(_ record: RunRecord) throws {
        guard let handle else { return }
        try handle.write(contentsOf: Data((record.jsonLine() + "\n").utf8))
        try handle.synchronize()
    }

    /// Writes `records` as a journal file at `path`, one line each, atomically (a temporary file
    /// renamed over the old one): a reader sees the old file or the new one, never half of one.
    public static func write(_ records: [RunRecord], to path: String) throws {
        let text = records.map { $0.jsonLine() + "\n" }.joined()
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Stores the spec as run and the software version beside the journal.
    public func writeSpec(_ spec: SweepSpec) throws {
        try spec.text.write(toFile: (directory as NSString).appendingPathComponent("spec.yaml"),
                            atomically: true, encoding: .utf8)
        let meta: [String: String] = ["name": spec.name, "spec_file": spec.file,
                                      "version": LMSweepVersion.current]
        let data = try JSONSerialization.data(withJSONObject: meta, options: [.sortedKeys, .prettyPrinted])
        try data.write(to: URL(fileURLWithPath: (directory as NSString).appendingPathComponent("sweep.json")),
                       options: .atomic)
    }

    /// Reads a journal: every record in file order with its `path:line`. A missing file is an
    /// empty journal. A torn last line (no newline: a crash mid-write) is skipped with a
    /// warning; an unreadable line anywhere else is corruption and an error naming it.
    public static func load(path: String, warn: (String) -> Void = { _ in }) throws -> [SourcedRecord] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let text = String(decoding: data, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let torn = !text.isEmpty && !text.hasSuffix("\n")
        if !torn { lines.removeLast() }  // the empty piece after the final newline
        var records: [SourcedRecord] = []
        for (index, line) in lines.enumerated() {
            let number = index + 1
            if torn && index == lines.count - 1 {
                warn("\(path):\(number): skipping a torn last line (\(line.utf8.count) bytes from an interrupted write)")
                break
            }
            if line.allSatisfy(\.isWhitespace) { continue }
            var record: RunRecord
            do {
                record = try RunRecord.decode(jsonLine: line)
            } catch {
                throw JournalError(file: path, line: number, message: "not a run record, the journal is corrupt (\(Self.reason(error)))")
            }
            // Resume and merge trust the id: it must be the one its config hashes to.
            let run = record.config.resolved()
            guard run.id == record.id else {
                throw JournalError(file: path, line: number,
                                   message: "run \(record.id)'s config hashes to \(run.id): the record was edited, or written by "
                                       + "a build whose run ids differ")
            }
            record.config = run.config
            records.append(SourcedRecord(record: record, source: "\(path):\(number)"))
        }
        return records
    }

    static func reason(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "bad \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted(let context): return context.debugDescription
        default: return "\(error)"
        }
    }
}
