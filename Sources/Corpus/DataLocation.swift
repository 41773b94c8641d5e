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
    /// Check each published file's byte count when reading it (cheap, catches truncated
    /// downloads). Off only for corpora made up by tests or users, which have other sizes.
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

    public func path(of file: DataFile) -> String { root + "/" + file.relativePath }

    /// The bytes of `file`, after the cheap checks: it exists, is not empty and (when
    /// `checksPublishedSizes`) has the published byte count. Checksums are `lmsweep data verify`'s job.
    public func read(_ file: DataFile) throws -> [UInt8] {
        let path = self.path(of: file)
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw CorpusError.fileMissing(path: path, root: self)
        }
        let size = try byteCount(atPath: path)
        if size == 0 { throw CorpusError.fileEmpty(path: path, root: self) }
        if checksPublishedSizes && size != file.byteCount {
            throw CorpusError.wrongSize(path: path, expected: file.byteCount, found: size, root: self)
        }
        guard let data = fileManager.contents(atPath: path) else {
            throw CorpusError.unreadable(path: path, reason: "permission denied or I/O error")
        }
        return [UInt8](data)
    }

    /// Size, existence and SHA-256 of `file` against the published sum (`lmsweep data verify`).
    public func verify(_ file: DataFile) throws {
        let bytes = try read(file)
        let digest = SHA256.hexDigest(of: bytes)
        if digest != file.sha256 {
            throw CorpusError.checksumMismatch(path: path(of: file), expected: file.sha256,
                                               found: digest, root: self)
        }
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
