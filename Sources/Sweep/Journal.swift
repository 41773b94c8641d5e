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
/// ``SweepFolder`` keeps the spec as run.
public final class Journal {
    public let directory: String
    public var path: String { Self.journalPath(in: directory) }
    private var handle: FileHandle?

    public static let fileName = "journal.jsonl"
    public static func journalPath(in directory: String) -> String {
        (directory as NSString).appendingPathComponent(fileName)
    }

    /// The file this journal appends to, as opened: (device, inode).
    private var identity: (device: UInt64, inode: UInt64)?

    /// Opens (creating if needed) the journal in `directory` for appending. A last line
    /// without its newline is a complete record that lost it (it gets one) or a torn write
    /// left by a crash (it is cut off), so the next record starts on a line of its own; `warn`
    /// hears about either. The file must be readable as a journal: never append to one that
    /// could not be read.
    public init(directory: String, warn: (String) -> Void = { _ in }) throws {
        self.directory = directory
        let path = Self.journalPath(in: directory)
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw JournalError(file: directory, line: 0, message: "cannot create the sweep folder (\(ErrorReason.of(error)))")
        }
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw JournalError(file: path, line: 0, message: "is a folder; a journal is a file")
        }
        if !manager.fileExists(atPath: path) {
            guard manager.createFile(atPath: path, contents: nil) else {
                throw JournalError(file: path, line: 0, message: "cannot create the journal (is the folder writable?)")
            }
        }
        let handle: FileHandle
        let data: Data
        do {
            handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
            data = try handle.readToEnd() ?? Data()
        } catch {
            throw JournalError(file: path, line: 0, message: "cannot open the journal for appending (\(ErrorReason.of(error)))")
        }
        let lines = Self.lines(of: data)
        if let last = lines.last, !last.terminated {
            if (try? Self.record(from: last.bytes)) != nil {
                warn("\(path):\(lines.count): the last record has no newline; adding it")
                try handle.seekToEnd()
                try handle.write(contentsOf: Data([0x0A]))
            } else {
                warn("\(path):\(lines.count): cutting off a torn last line (\(last.bytes.count) bytes from an interrupted write)")
                try handle.truncate(atOffset: UInt64(data.count - last.bytes.count))
            }
        }
        try handle.seekToEnd()
        self.handle = handle
        identity = Self.identity(of: path)
    }

    deinit { try? handle?.close() }

    /// Appends one record as one line, then flushes it to disk (fsync) before returning. The
    /// file must still be the one that was opened: a journal deleted or replaced under a
    /// running sweep (another tool, `rm -r` of the folder) is an error, never a write into a
    /// file nobody will read.
    public func append(_ record: RunRecord) throws {
        guard let handle else { return }
        guard let now = Self.identity(of: path), let opened = identity, now == opened else {
            throw JournalError(file: path, line: 0, message: "was deleted or replaced while the sweep ran; "
                               + "this record could not be kept: \(record.jsonLine())")
        }
        do {
            try handle.write(contentsOf: Data((record.jsonLine() + "\n").utf8))
            try handle.synchronize()
        } catch {
            throw JournalError(file: path, line: 0, message: "cannot append (\(ErrorReason.of(error))); "
                               + "this record could not be kept: \(record.jsonLine())")
        }
    }

    private static func identity(of path: String) -> (device: UInt64, inode: UInt64)? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return (UInt64(status.st_dev), UInt64(status.st_ino))
    }

    /// A line of a journal file: its bytes without the line end (`\n`, or `\r\n` as Windows
    /// tools write it), and whether a newline ended it.
    struct Line {
        let bytes: Data
        let terminated: Bool
    }

    /// The file's lines, split on the byte 0x0A (never on characters: a record is UTF-8 bytes).
    static func lines(of data: Data) -> [Line] {
        var lines: [Line] = []
        var start = data.startIndex
        while start < data.endIndex {
            guard let newline = data[start...].firstIndex(of: 0x0A) else {
                lines.append(Line(bytes: data[start...], terminated: false))
                break
            }
            var end = newline
            if end > start, data[end - 1] == 0x0D { end -= 1 }
            lines.append(Line(bytes: data[start..<end], terminated: true))
            start = newline + 1
        }
        return lines
    }

    static func record(from bytes: Data) throws -> RunRecord {
        try RunRecord.decode(jsonLine: String(decoding: bytes, as: UTF8.self))
    }

    /// Writes `records` as a journal file at `path`, one line each, atomically (a temporary file
    /// renamed over the old one): a reader sees the old file or the new one, never half of one.
    public static func write(_ records: [RunRecord], to path: String) throws {
        let text = records.map { $0.jsonLine() + "\n" }.joined()
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Reads a journal: every record in file order with its `path:line`. A missing file is an
    /// empty journal. A last line without its newline is kept if it is a whole record, else
    /// skipped with a warning as a torn write; an unreadable line anywhere else, or a record
    /// whose id is not its config's, is corruption and an error naming it.
    public static func load(path: String, warn: (String) -> Void = { _ in }) throws -> [SourcedRecord] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw JournalError(file: path, line: 0, message: "cannot read the journal (\(ErrorReason.of(error)))")
        }
        let lines = Self.lines(of: data)
        var records: [SourcedRecord] = []
        for (index, line) in lines.enumerated() {
            let number = index + 1
            if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            var record: RunRecord
            do {
                record = try Self.record(from: line.bytes)
            } catch {
                if !line.terminated {
                    warn("\(path):\(number): skipping a torn last line (\(line.bytes.count) bytes from an interrupted write)")
                    break
                }
                throw JournalError(file: path, line: number, message: "not a run record, the journal is corrupt (\(ErrorReason.of(error)))")
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
}
