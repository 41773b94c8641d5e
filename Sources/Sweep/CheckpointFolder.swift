import Foundation

/// A sweep's checkpoints of runs in flight: `FOLDER/checkpoints/ID.ckpt`, written by rank 0
/// only (workers send theirs over MPI, so no shared filesystem is needed), removed once the
/// run's record is journaled.
///
/// Each write is atomic and durable: a temporary file in the same folder, fsync, rename over
/// the old checkpoint, fsync of the folder. A crash at any point leaves the old checkpoint or
/// the new one, never a torn file; a checkpoint that fails to parse anyway (edited by hand) is
/// set aside by the trainer, which then starts the run over.
public struct CheckpointFolder: Sendable {
    public let path: String

    public init(sweepFolder: String) {
        path = (sweepFolder as NSString).appendingPathComponent("checkpoints")
    }

    public init(path: String) {
        self.path = path
    }

    public func file(for id: String) -> String {
        (path as NSString).appendingPathComponent("\(id).ckpt")
    }

    /// Run ids hold 16 hex digits; nothing else names a file here.
    private func check(_ id: String) throws {
        guard !id.isEmpty, id.count <= 64, id.allSatisfy(\.isHexDigit) else {
            throw CheckpointFolderError(path: path, message: "'\(id)' is not a run id")
        }
    }

    /// The checkpoint of run `id`, if there is one.
    public func read(_ id: String) -> Data? {
        guard (try? check(id)) != nil else { return nil }
        return FileManager.default.contents(atPath: file(for: id))
    }

    public func has(_ id: String) -> Bool {
        (try? check(id)) != nil && FileManager.default.fileExists(atPath: file(for: id))
    }

    /// Ids with a checkpoint, sorted.
    public func ids() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { $0.hasSuffix(".ckpt") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// Writes `bytes` as run `id`'s checkpoint, replacing the old one atomically.
    public func write(_ bytes: Data, for id: String) throws {
        try check(id)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let target = file(for: id)
        let temporary = target + ".tmp.\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CheckpointFolderError(path: temporary, message: "cannot create (\(Self.errnoText()))") }
        var failure: String? = nil
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count, failure == nil {
                let written = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = "cannot write (\(Self.errnoText()))"
                } else {
                    offset += written
                }
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = "cannot flush to disk (\(Self.errnoText()))" }
        close(fd)
        if let failure {
            unlink(temporary)
            throw CheckpointFolderError(path: temporary, message: failure)
        }
        guard rename(temporary, target) == 0 else {
            let text = Self.errnoText()
            unlink(temporary)
            throw CheckpointFolderError(path: target, message: "cannot rename into place (\(text))")
        }
        // The rename itself is durable only once the folder is.
        let folder = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 { fsync(folder); close(folder) }
    }

    /// Removes run `id`'s checkpoint (its record is journaled); no checkpoint is no error.
    public func remove(_ id: String) {
        guard (try? check(id)) != nil else { return }
        unlink(file(for: id))
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}

public struct CheckpointFolderError: Error, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}
