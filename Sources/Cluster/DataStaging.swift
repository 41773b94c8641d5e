import Corpus
import Foundation
import Training

/// `--stage-data`: a worker whose data root lacks dataset files the sweep needs (missing, or
/// failing their size or SHA-256) receives exactly those files from rank 0 over MPI before the
/// queue opens. Real clusters often have no shared filesystem; copying the data by hand to
/// every node is the step users forget.
///
///     worker → 0   stageRequest(paths)   relative paths, e.g. tinyshakespeare/input.txt
///     0 → worker   stageFile(chunk)      each file in order, in chunks of ≤ 4 MiB
///
/// The worker writes them into a private staging folder (mode 0700), checks each against the
/// committed SHA-256 (``DataFile/sha256``, never a sum rank 0 sends: rank 0's copy could be
/// damaged too), copies the files it already had beside them, and from then on trains from
/// that folder. Everything happens before any rank trains, on the thread that makes MPI calls.
public struct DataStaging {
    /// Where this rank looks for the datasets; rank 0 serves files from here.
    public let location: DataLocation
    /// Where a worker writes what it receives. nil: `$TMPDIR/lmsweep-staged-HOST-PID`, removed
    /// at exit (and by the next worker on the host, if SIGKILL left it); a folder given here is
    /// the user's and is kept.
    public let folder: String?
    /// The runner that reads its datasets from `location` instead (the staged folder).
    public let makeRunner: (DataLocation) throws -> JobRunner

    public init(location: DataLocation, folder: String?, makeRunner: @escaping (DataLocation) throws -> JobRunner) {
        self.location = location
        self.folder = folder
        self.makeRunner = makeRunner
    }

    /// Chunk size: a message never holds more than this many bytes of a file (WikiText-2's
    /// train split, 10.8 MB, travels as three).
    static let chunkBytes = 4 << 20

    /// The files of every corpus `configs` use (a text corpus's with the SHA-256 its runs were
    /// planned with), each once.
    static func files(for configs: [RunConfig]) -> [DataFile] {
        var files: [DataFile] = []
        for file in configs.flatMap({ $0.resolved().corpus.files }) where !files.contains(file) { files.append(file) }
        return files
    }

    /// The files this rank cannot use from `location`: missing, wrong size or wrong SHA-256.
    func lacking(_ files: [DataFile]) -> [DataFile] {
        files.filter { (try? location.verify($0)) == nil }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Rank 0 told the worker to stop while it waited for files (another rank's check failed).
    struct Stopped: Error {}

    // MARK: worker side

    /// Asks rank 0 for `lacking`, writes and verifies each file, copies the rest of `files`
    /// from `location`, and returns the staged folder as a data location.
    func receive(_ lacking: [DataFile], of files: [DataFile], into folder: String,
                 communicator: Communicator, pollInterval: Double) throws -> DataLocation {
        if let absolute = files.first(where: { $0.relativePath.hasPrefix("/") }) {
            throw Failure(description: "\(absolute.relativePath): --stage-data copies files under the data folder; "
                          + "give the text corpus as a path under it (text_path relative to --data-dir)")
        }
        try communicator.send(.stageRequest(lacking.map(\.relativePath)), to: 0)
        let staged = DataLocation(root: folder)
        for file in lacking {
            var bytes: [UInt8] = []
            // A text corpus has no published size: its first chunk says it (its SHA-256 pins it).
            var total = file.byteCount
            while total.map({ bytes.count < $0 }) ?? true {
                let (envelope, payload) = try communicator.wait(from: 0, pollInterval: pollInterval)
                switch try SweepMessage(tag: envelope.tag, payload: payload) {
                case .stageFile(let chunk):
                    let expected = total ?? chunk.totalBytes
                    guard chunk.path == file.relativePath, chunk.offset == bytes.count, chunk.totalBytes == expected,
                          bytes.count + chunk.bytes.count <= expected else {
                        throw Failure(description: "staging \(file.relativePath) from rank 0: got \(chunk.path) bytes "
                                      + "\(chunk.offset)..<\(chunk.offset + chunk.bytes.count) of \(chunk.totalBytes), "
                                      + "expected bytes from \(bytes.count) of \(expected)")
                    }
                    total = expected
                    bytes += chunk.bytes
                case .stop:
                    throw Stopped()
                case let other:
                    throw Failure(description: "staging \(file.relativePath) from rank 0: got a \(other.tag) message")
                }
            }
            let path = staged.path(of: file)
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
            // Read back from disk: what the Trainer will read is what is checked.
            let written = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
            let sum = SHA256.hexDigest(of: written)
            guard sum == file.sha256 else {
                throw Failure(description: "\(path): staged from rank 0 with SHA-256 \(sum), expected \(file.sha256) "
                              + "(the committed sum): rank 0's copy or the transfer is damaged")
            }
        }
        for file in files where !lacking.contains(file) {
            let path = staged.path(of: file)
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: path)
            // A copy, not a link: DataLocation checks sizes with lstat-like attributes, and
            // the files are small (≤ 11 MB).
            try FileManager.default.copyItem(atPath: location.path(of: file), toPath: path)
        }
        return staged
    }

    /// Creates the staging folder with mode 0700 (only this user reads what is staged);
    /// returns it and whether it is ours to remove at exit.
    func makeFolder() throws -> (path: String, removeAtExit: Bool) {
        let temporary = NSTemporaryDirectory(), host = Self.hostTag
        if folder == nil { Self.removeAbandonedFolders(in: temporary, host: host) }
        let path = folder ?? (temporary as NSString).appendingPathComponent("\(Self.folderPrefix)\(host)-\(getpid())")
        if folder == nil { try? FileManager.default.removeItem(atPath: path) }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
        return (path, folder == nil)
    }

    static let folderPrefix = "lmsweep-staged-"

    /// This host's name as it may appear in a folder name (no '/' or '-' inside it, so the
    /// PID after the last '-' parses back).
    static var hostTag: String {
        String(ProcessInfo.processInfo.hostName.map { $0 == "/" || $0 == "-" ? "_" : $0 })
    }

    /// Removes the default staging folders of `host` whose process is gone: a worker killed
    /// with SIGKILL never ran its exit handler. Folders of other hosts (a `$TMPDIR` shared
    /// between nodes) and of live processes are left alone. Returns the names removed.
    @discardableResult
    static func removeAbandonedFolders(in directory: String, host: String,
                                       isAlive: (pid_t) -> Bool = { kill($0, 0) == 0 || errno != ESRCH }) -> [String] {
        let prefix = folderPrefix + host + "-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var removed: [String] = []
        for name in names where name.hasPrefix(prefix) {
            guard let pid = pid_t(name.dropFirst(prefix.count)), pid > 0, !isAlive(pid) else { continue }
            let path = (directory as NSString).appendingPathComponent(name)
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed.append(name) }
        }
        return removed
    }

    // MARK: rank 0 side

    /// Sends `paths` (as a worker asked for them) from rank 0's data root, each one of the
    /// sweep's `files` (never another path a worker names) and checked against its SHA-256 first:
    /// rank 0 never hands out a damaged copy.
    static func serve(_ paths: [String], of files: [DataFile], from location: DataLocation, to worker: Int,
                      communicator: Communicator) throws {
        for path in paths {
            guard let file = files.first(where: { $0.relativePath == path }) else {
                throw Failure(description: "rank \(worker) asked for \(path), which is not one of this sweep's dataset files")
            }
            let bytes = try location.read(file)
            let sum = SHA256.hexDigest(of: bytes)
            guard sum == file.sha256 else {
                throw CorpusError.checksumMismatch(path: location.path(of: file), expected: file.sha256,
                                                   found: sum, root: location)
            }
            for offset in stride(from: 0, to: bytes.count, by: chunkBytes) {
                let chunk = StagedChunk(path: path, offset: offset, totalBytes: bytes.count,
                                        bytes: Array(bytes[offset..<min(offset + chunkBytes, bytes.count)]))
                try communicator.send(.stageFile(chunk), to: worker)
            }
        }
    }
}

/// A piece of one staged file: `bytes` start at `offset` of the file's `totalBytes`.
struct StagedChunk: Equatable {
    let path: String
    let offset: Int
    let totalBytes: Int
    let bytes: [UInt8]

    private struct Header: Codable {
        let path: String
        let offset: Int
        let totalBytes: Int
    }

    /// One JSON header line, then the raw bytes (no base64: the payload stays the file's size).
    var payload: [UInt8] {
        let header = try! JSONEncoder().encode(Header(path: path, offset: offset, totalBytes: totalBytes))
        return Array(header) + [0x0A] + bytes
    }

    init(path: String, offset: Int, totalBytes: Int, bytes: [UInt8]) {
        self.path = path
        self.offset = offset
        self.totalBytes = totalBytes
        self.bytes = bytes
    }

    init(payload: [UInt8]) throws {
        guard let newline = payload.firstIndex(of: 0x0A) else {
            throw SweepMessage.DecodeError(description: "stageFile message without a header line")
        }
        let header = try JSONDecoder().decode(Header.self, from: Data(payload[..<newline]))
        self.init(path: header.path, offset: header.offset, totalBytes: header.totalBytes,
                  bytes: Array(payload[(newline + 1)...]))
    }
}
