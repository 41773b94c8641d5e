import Foundation

/// Where the datasets live on this machine: the root folder holding `tinyshakespeare/`, `ptb/`
/// and `wikitext-2/` as `scripts/fetch-data.sh` lays them out.
///
/// Lookup order (DESIGN.md): `--data-dir`, then the `LMSWEEP_DATA` environment variable, then
/// `./data`. Resolution never fails; a missing root shows up as a missing file whose message
/// names the path, where the root came from and the command that fetches the data.
public struct DataLocation: Sendable, Hashable, CustomStringConvertible {
    public enum Source: String, Sendable, Hashable {
        case explicit = "--data-dir"
        case environment = "LMSWEEP_DATA"
        case workingDirectory = "./data"
        /// Made by a program or a test, not resolved from the command line.
        case given = "given"
    }

    /// Absolute path of the root folder, without a trailing slash.
    public let root: String
    public let source: Source
    /// Check each file's size and SHA-256 when reading it: nobody trains on a file that is not
    /// the one its runs were planned on. Off only for corpora made up by tests in-process.
    public let checksPublishedSizes: Bool

    public init(root: String, source: Source = .given, checksPublishedSizes: Bool = true) {
        let absolute = root.hasPrefix("/") ? root
            : FileManager.default.currentDirectoryPath + "/" + root
        var trimmed = (absolute as NSString).standardizingPath
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.root = trimmed
        self.source = source
        self.checksPublishedSizes = checksPublishedSizes
    }

    /// The data root for this process: `dataDir` (from `--data-dir`) if given, else
    /// `LMSWEEP_DATA` if set and non-empty, else `./data`.
    public static func resolve(
        dataDir: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> DataLocation {
        if let dataDir, !dataDir.isEmpty { return DataLocation(root: dataDir, source: .explicit) }
        if let fromEnvironment = environment["LMSWEEP_DATA"], !fromEnvironment.isEmpty {
            return DataLocation(root: fromEnvironment, source: .environment)
        }
        return DataLocation(root: "data", source: .workingDirectory)
    }

    public var description: String {
        source == .given ? root : "\(root) (from \(source.rawValue))"
    }

    /// The command that puts the published files where this location expects them.
    public var fixCommand: String { "scripts/fetch-data.sh \(root)" }

    public func path(of file: DataFile) -> String {
        file.relativePath.hasPrefix("/") ? file.relativePath : root + "/" + file.relativePath
    }

    /// The bytes of `file`, checked before anyone trains on them: it exists, is not empty, and
    /// (when `checksPublishedSizes`) has its published size and SHA-256. The sum is remembered
    /// by path, size, modification time and inode (``VerifiedFiles``), so checking the same
    /// untouched file again costs a `stat`.
    public func read(_ file: DataFile) throws -> [UInt8] {
        let path = self.path(of: file)
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw CorpusError.fileMissing(path: path, root: self)
        }
        let size = try byteCount(atPath: path)
        if size == 0 { throw CorpusError.fileEmpty(path: path, root: self) }
        if checksPublishedSizes, let expected = file.byteCount, size != expected {
            throw CorpusError.wrongSize(path: path, expected: expected, found: size, root: self)
        }
        guard let data = fileManager.contents(atPath: path) else {
            throw CorpusError.unreadable(path: path, reason: "permission denied or I/O error")
        }
        let bytes = [UInt8](data)
        if checksPublishedSizes {
            let digest = VerifiedFiles.shared.sha256(of: path, bytes: bytes)
            if digest != file.sha256 {
                throw CorpusError.checksumMismatch(path: path, expected: file.sha256, found: digest, root: self)
            }
        }
        return bytes
    }

    /// Size, existence and SHA-256 of `file` against its sum (`lmsweep data verify`), whether or
    /// not this location checks them when reading.
    public func verify(_ file: DataFile) throws {
        let strict = DataLocation(root: root, source: source, checksPublishedSizes: true)
        _ = try strict.read(file)
    }

    private func byteCount(atPath path: String) throws -> Int {
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch {
            throw CorpusError.unreadable(path: path, reason: "\(error)")
        }
    }
}
