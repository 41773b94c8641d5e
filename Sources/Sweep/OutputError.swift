import Foundation

/// A table, report or figure that could not be written: the file and the system's reason
/// (`results/out/results.csv: cannot write (Read-only file system)`), never Foundation's
/// error dump.
public struct OutputError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): cannot write (\(reason))" }

    /// Runs `body`, turning a file-system error into an `OutputError` for the file it names
    /// (`NSFilePath`), or for `path` when it names none.
    public static func naming<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as OutputError {
            throw error
        } catch {
            let file = (error as NSError).userInfo[NSFilePathErrorKey] as? String ?? path
            throw OutputError(path: file, reason: ErrorReason.of(error))
        }
    }
}
