import Corpus
import Foundation
import XCTest

/// Where tests find data, by one rule: the published datasets where the product looks for them
/// (`$LMSWEEP_DATA`, then the repository's `data/`), else a generated text corpus at the same
/// path under a data root of its own, which sweeps read as `dataset: text:...` (the binary
/// checks every published file's SHA-256, so a made-up file can never pass as Tiny Shakespeare).
/// So no test that trains through the binary depends on a download.
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

    private static let generated: String = {
        // A failure here is the test machine's (a full /tmp), and every data test reports it.
        (try? TinyCorpus.make(byteCount: 400_000, seed: 7)) ?? "/nonexistent-generated-corpus"
    }()

    /// The data root as the product sees it (for planning specs in-process: a text corpus's
    /// runs are pinned to its file).
    public static var location: DataLocation { DataLocation(root: tinyShakespeareRoot) }

    /// `--data-dir ROOT` for the binary.
    public static var dataArguments: [String] { ["--data-dir", tinyShakespeareRoot] }

    /// The dataset value specs use for Tiny Shakespeare: itself, or the generated text corpus.
    public static var tinyShakespeare: String {
        publishedRoot == nil ? "\"text:tinyshakespeare/input.txt\"" : "tinyshakespeare"
    }

    /// The name a report gives the Tiny Shakespeare runs (its sections, figure files).
    public static var tinyShakespeareReportName: String {
        publishedRoot == nil ? "text-tinyshakespeare_input.txt" : "tinyshakespeare"
    }

    /// The spec at `path` as these data want it: itself with the published datasets, else a copy
    /// reading the generated corpus (same name, same runs otherwise).
    public static func spec(_ path: String) -> String {
        guard publishedRoot == nil, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return path }
        let copy = NSTemporaryDirectory() + "lmsweep-spec-\(UUID().uuidString.prefix(8))-" + (path as NSString).lastPathComponent
        let rewritten = text.replacingOccurrences(of: "dataset: tinyshakespeare", with: "dataset: \(tinyShakespeare)")
        return (try? rewritten.write(toFile: copy, atomically: true, encoding: .utf8)) == nil ? path : copy
    }

    /// The published root, or a skip: for tests of the published files themselves.
    public static func requirePublished(_ why: String) throws -> String {
        guard let root = publishedRoot else {
            throw XCTSkip("the published datasets are not here (set LMSWEEP_DATA, or scripts/fetch-data.sh data): \(why)")
        }
        return root
    }
}
