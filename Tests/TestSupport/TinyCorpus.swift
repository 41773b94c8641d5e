import Foundation
import Corpus
import TensorCore

/// A made-up Tiny Shakespeare laid out like the real data root (`tinyshakespeare/input.txt`):
/// words from a small list in lines and paragraphs (the study's split rule cuts at blank
/// lines), deterministic for a seed.
public enum TinyCorpus {
    /// Writes the corpus under a fresh temporary root and returns the root's path.
    /// `byteCount` pads or cuts the text to an exact size: the real file's 1,115,394 bytes pass
    /// the loader's published-size check, so a `--data-dir` run of the built binary accepts it.
    public static func make(byteCount: Int = 6_000, seed: UInt64 = 1) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lmsweep-corpus-\(UUID().uuidString)")
        let folder = root.appendingPathComponent("tinyshakespeare")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let words = ["to", "be", "or", "not", "that", "is", "the", "question", "whether", "tis", "nobler",
                     "in", "mind", "suffer", "slings", "and", "arrows", "of", "outrageous", "fortune"]
        var rng = RNG(seed: seed)
        var text = ""
        text.reserveCapacity(byteCount + 100)
        var lineInParagraph = 0
        while text.utf8.count < byteCount {
            var line = (0..<(3 + rng.nextInt(below: 6))).map { _ in words[rng.nextInt(below: words.count)] }.joined(separator: " ")
            if rng.nextInt(below: 3) == 0 { line = line.prefix(1).uppercased() + line.dropFirst() + "," }
            text += line + "\n"
            lineInParagraph += 1
            if lineInParagraph == 4 { text += "\n"; lineInParagraph = 0 }
        }
        let bytes = Array(text.utf8.prefix(byteCount))
        try Data(bytes).write(to: folder.appendingPathComponent("input.txt"))
        return root.path
    }

    /// A location for in-process runs, without the published-size check.
    public static func location(_ root: String) -> DataLocation {
        DataLocation(root: root, checksPublishedSizes: false)
    }
}
