import Foundation
import Training

/// Where a sweep keeps the weights its runs saved (`save_weights`): `FOLDER/weights/ID.safetensors`,
/// written by the rank that trained the run (so on a cluster, a filesystem every rank shares).
/// With `save_weights: best`, every such run saves, and at the end of the sweep only the best
/// run of each dataset and architecture keeps its file.
public enum SavedWeights {
    public static let folderName = "weights"

    public static func folder(in sweep: String) -> String { (sweep as NSString).appendingPathComponent(folderName) }

    public static func path(of id: String, in sweep: String) -> String {
        (folder(in: sweep) as NSString).appendingPathComponent("\(id).safetensors")
    }

    /// Ids of the runs with saved weights, sorted.
    public static func runs(in sweep: String) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder(in: sweep))) ?? []
        return files.filter { $0.hasSuffix(".safetensors") }.map { String($0.dropLast(".safetensors".count)) }.sorted()
    }

    /// Removes the weights of `best`-policy runs that are not the best (lowest test NLL) of
    /// their dataset and architecture among `records`; returns the ids removed.
    @discardableResult
    public static func keepBest(of records: [RunRecord], in sweep: String) -> [String] {
        let candidates = records.filter { $0.config.saveWeights == .best }
        let groups = Dictionary(grouping: candidates) { "\(Report.corpusName($0.config))|\($0.config.arch.rawValue)" }
        var removed: [String] = []
        for group in groups.values {
            let best = group.filter { $0.status == .ok && ($0.testNLL?.isFinite ?? false) }
                .min { ($0.testNLL!, $0.id) < ($1.testNLL!, $1.id) }
            for record in group where record.id != best?.id {
                if (try? FileManager.default.removeItem(atPath: path(of: record.id, in: sweep))) != nil { removed.append(record.id) }
            }
        }
        return removed.sorted()
    }
}
