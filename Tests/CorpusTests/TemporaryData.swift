import Foundation
import XCTest
@testable import Corpus

/// A throwaway data root laid out like the published one, holding tiny corpora written by a test.
/// Size checks are off: these files are not the published ones.
final class TemporaryData {
    let root: String
    let location: DataLocation

    init() throws {
        root = NSTemporaryDirectory() + "lmsweep-corpus-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        location = DataLocation(root: root, checksPublishedSizes: false)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func write(_ relativePath: String, _ text: String) throws {
        let path = root + "/" + relativePath
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// A PTB-shaped corpus: train, valid, test files.
    func writePTB(train: String, valid: String, test: String) throws {
        try write("ptb/ptb.train.txt", train)
        try write("ptb/ptb.valid.txt", valid)
        try write("ptb/ptb.test.txt", test)
    }
}

/// The shared datasets when `LMSWEEP_DATA` names them (CI sets it), with the published sizes checked.
func publishedData() throws -> DataLocation {
    guard let root = ProcessInfo.processInfo.environment["LMSWEEP_DATA"], !root.isEmpty else {
        throw XCTSkip("LMSWEEP_DATA is not set: skipping the published-statistics checks "
            + "(set LMSWEEP_DATA to a folder made by scripts/fetch-data.sh to run them)")
    }
    return DataLocation(root: root, source: .environment)
}
