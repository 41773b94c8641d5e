import Foundation

/// SHA-256 sums of files already read, remembered by path, size, modification time and inode,
/// in memory and in `$XDG_CACHE_HOME/lmsweep/verified-files.json` (`~/.cache` by default), so
/// that a repeated sweep does not hash its datasets again. A file that changed in any of those
/// is hashed anew; a cache that cannot be read or written is only slower.
public final class VerifiedFiles: @unchecked Sendable {
    public static let shared = VerifiedFiles()

    struct Entry: Codable, Equatable {
        let size: Int64
        let modified: Int64
        let inode: UInt64
        let sha256: String
    }

    private let lock = NSLock()
    private var entries: [String: Entry]?
    let cachePath: String?

    init(cachePath: String? = VerifiedFiles.defaultCachePath) { self.cachePath = cachePath }

    static var defaultCachePath: String? {
        let environment = ProcessInfo.processInfo.environment
        guard let base = environment["XDG_CACHE_HOME"].flatMap({ $0.isEmpty ? nil : $0 })
                ?? environment["HOME"].map({ $0 + "/.cache" }) else { return nil }
        return base + "/lmsweep/verified-files.json"
    }

    /// The SHA-256 of `bytes`, the contents of `path` just read: from the cache when the file is
    /// the one hashed before, else computed (and remembered).
    public func sha256(of path: String, bytes: [UInt8]) -> String {
        var status = stat()
        guard stat(path, &status) == 0 else { return SHA256.hexDigest(of: bytes) }
        let modified = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
        let size = Int64(status.st_size), inode = UInt64(status.st_ino)
        lock.lock()
        defer { lock.unlock() }
        if entries == nil { entries = load() }
        if let entry = entries?[path], entry.size == size, entry.modified == modified, entry.inode == inode,
           size == Int64(bytes.count) {
            return entry.sha256
        }
        let digest = SHA256.hexDigest(of: bytes)
        entries?[path] = Entry(size: size, modified: modified, inode: inode, sha256: digest)
        save()
        return digest
    }

    private func load() -> [String: Entry] {
        guard let cachePath, let data = FileManager.default.contents(atPath: cachePath),
              let decoded = try? JSONDecoder().decode([String: Entry].self, from: data) else { return [:] }
        return decoded
    }

    private func save() {
        guard let cachePath, let entries, let data = try? JSONEncoder().encode(entries) else { return }
        try? FileManager.default.createDirectory(atPath: (cachePath as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        try? data.write(to: URL(fileURLWithPath: cachePath), options: .atomic)
    }
}
