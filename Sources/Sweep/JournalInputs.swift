import Foundation
import Training

/// The journals named on a command line: sweep output folders (their `journal.jsonl`) or
/// journal files, read in the order given.
public enum JournalInputs {
    public struct Missing: Error, CustomStringConvertible {
        public let input: String
        public let reason: String
        public var description: String { "\(input): \(reason)" }
    }

    /// Every record of every input, each with the file:line it came from.
    public static func load(_ inputs: [String], warn: (String) -> Void) throws -> [SourcedRecord] {
        var sourced: [SourcedRecord] = []
        for input in inputs {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) else {
                throw Missing(input: input, reason: "no such folder or journal")
            }
            let path = isDirectory.boolValue ? Journal.journalPath(in: input) : input
            guard FileManager.default.fileExists(atPath: path) else {
                throw Missing(input: input, reason: "no \(Journal.fileName) in this folder")
            }
            sourced += try Journal.load(path: path, warn: warn)
        }
        return sourced
    }
}
