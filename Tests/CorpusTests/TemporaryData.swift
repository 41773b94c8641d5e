import Foundation
import TestSupport
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

/// The published datasets, with their published sizes checked (TestSupport's one rule).
func publishedData() throws -> DataLocation {
    DataLocation(root: try TestData.requirePublished("these tests check the published files' own figures"), source: .environment)
}
