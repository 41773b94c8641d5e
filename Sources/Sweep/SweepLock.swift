import Foundation

/// One writer per sweep folder: an advisory lock (`flock`) on `FOLDER/lock`, held for as long
/// as the owner lives. The kernel drops it when the owner exits, however it exits (kill -9
/// included), so a lock is never stale in the kernel's eyes; the file's text names the last
/// holder, so a refusal can say who holds it and a takeover can say whose it was.
public final class SweepLock {
    public struct Holder: Codable, Equatable, CustomStringConvertible {
        public let pid: Int32
        public let host: String
        /// ISO 8601.
        public let started: String
        /// What holds it: `run`, `merge`.
        public let command: String
        public var description: String { "\(command) (pid \(pid) on \(host), since \(started))" }
    }

    /// The folder is another process's.
    public struct Held: Error, CustomStringConvertible {
        public let folder: String
        public let holder: Holder?
        public let attempted: String
        public var description: String {
            let who = holder.map { "by \($0)" } ?? "by another process"
            return "\(folder) is locked \(who): one writer per sweep folder. Wait for it to end, or \(attempted) into another folder"
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static let fileName = "lock"
    public let folder: String
    public let holder: Holder
    /// The holder that died holding this folder (a crash, kill -9), if the last one did.
    public let previous: Holder?
    private let descriptor: Int32

    /// Takes the lock on `folder` (created if needed) for `command`, or throws ``Held`` naming
    /// the process that has it.
    public init(folder: String, command: String) throws {
        self.folder = folder
        try Self.makeFolder(folder)
        let path = (folder as NSString).appendingPathComponent(Self.fileName)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw Failure(description: "\(path): cannot open the sweep folder's lock file (\(String(cString: strerror(errno))))")
        }
        let recorded = Self.readHolder(fd)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK { throw Held(folder: folder, holder: recorded, attempted: command) }
            throw Failure(description: "\(path): cannot lock (\(String(cString: strerror(code))))")
        }
        descriptor = fd
        previous = recorded
        holder = Holder(pid: getpid(), host: ProcessInfo.processInfo.hostName,
                        started: ISO8601DateFormatter().string(from: Date()), command: command)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        if let data = try? encoder.encode(holder) {
            let bytes = Array(data)
            _ = ftruncate(fd, 0)
            _ = pwrite(fd, bytes, bytes.count, 0)
            _ = fsync(fd)
        }
    }

    /// Released at a clean end: the file is emptied first, so a holder named in it later is
    /// one that died holding the lock (``previous``).
    deinit {
        _ = ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Who holds `folder`'s lock now, or nil when nobody does.
    public static func holder(of folder: String) -> Holder? {
        let path = (folder as NSString).appendingPathComponent(fileName)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // A shared lock is refused exactly when someone holds the exclusive one.
        guard flock(fd, LOCK_SH | LOCK_NB) != 0 else {
            flock(fd, LOCK_UN)
            return nil
        }
        return readHolder(fd) ?? Holder(pid: 0, host: "?", started: "?", command: "?")
    }

    private static func readHolder(_ fd: Int32) -> Holder? {
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = pread(fd, &bytes, bytes.count, 0)
        guard count > 0 else { return nil }
        return try? JSONDecoder().decode(Holder.self, from: Data(bytes.prefix(count)))
    }

    /// Creates `folder` if needed, or says in words why it cannot be one.
    static func makeFolder(_ folder: String) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: folder, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw Failure(description: "\(folder): exists and is a file, not a sweep folder") }
            return
        }
        if (try? manager.destinationOfSymbolicLink(atPath: folder)) != nil {
            throw Failure(description: "\(folder): a symbolic link that leads to no folder (dangling, or a loop)")
        }
        // mkdir -p by hand: the failing component's errno says why in words.
        var path = ""
        for component in (folder as NSString).standardizingPath.split(separator: "/", omittingEmptySubsequences: true) {
            path += "/" + component
            if folder.hasPrefix("/") == false && path == "/" + component { path = String(component) }
            guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
                throw Failure(description: "\(folder): cannot create the sweep folder (\(path): \(String(cString: strerror(errno))))")
            }
        }
        guard manager.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Failure(description: "\(folder): cannot create the sweep folder (a part of its path is a file)")
        }
    }

}
