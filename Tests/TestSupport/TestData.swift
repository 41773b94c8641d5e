import Foundation
import XCTest

/// Where tests find data, by one rule: the published datasets where the product looks for them
/// (`$LMSWEEP_DATA`, then the repository's `data/`), else a generated Tiny Shakespeare of the
/// published file's size, which the binary's start-up checks accept, so no test that trains
/// through the binary depends on a download.
public enum TestData {
    /// The repository root (this file is Tests/TestSupport/TestData.swift).
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The published datasets' root, if this machine has them.
    public static var publishedRoot: String? {
        let candidates = [ProcessInfo.processInfo.environment["LMSWEEP_DATA"], repository.path + "/data"].compactMap { $0 }
        return candidates.first { !$0.isEmpty && FileManager.default.fileExists(atPath: $0 + "/tinyshakespeare/input.txt") }
    }

    /// The published root, or one generated once per test process.
    public static var tinyShakespeareRoot: String { publishedRoot ?? generated }

    /// Tiny Shakespeare's published size: 1,115,394 bytes.
    static let publishedSize = 1_115_394
    private static let generated: String = {
        // A failure here is the test machine's (a full /tmp), and every data test reports it.
        (try? TinyCorpus.make(byteCount: publishedSize, seed: 7)) ?? "/nonexistent-generated-corpus"
    }()

    /// `--data-dir ROOT` for the binary.
    public static var dataArguments: [String] { ["--data-dir", tinyShakespeareRoot] }

    /// The published root, or a skip: for tests of the published files themselves.
    public static func requirePublished(_ why: String) throws -> String {
        guard let root = publishedRoot else {
            throw XCTSkip("the published datasets are not here (set LMSWEEP_DATA, or scripts/fetch-data.sh data): \(why)")
        }
        return root
    }
}
