import Foundation
import Training

/// A sweep folder holds one sweep: its journal, the spec as run (`spec.yaml`, each earlier
/// version kept as `spec.N.yaml`) and `sweep.json` (its name, spec path, software version).
/// Running a spec of another name into it is refused unless `--add` says it is deliberate.
public enum SweepFolder {
    public static let specFile = "spec.yaml", metaFile = "sweep.json"

    /// The folder holds another sweep.
    public struct OtherSweep: Error, CustomStringConvertible {
        public let folder: String
        public let held: String
        public let attempted: String
        public var description: String {
            "\(folder) holds the sweep '\(held)' (its \(specFile)); this spec is named '\(attempted)'. Run it into "
                + "another folder (--out), or pass --add to add its runs to this one"
        }
    }

    /// The name of the sweep `folder` holds, if any.
    public static func sweepName(in folder: String) -> String? {
        let path = (folder as NSString).appendingPathComponent(metaFile)
        guard let data = FileManager.default.contents(atPath: path),
              let meta = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return meta["name"] as? String
    }

    /// Refuses `spec` in a folder holding a sweep of another name, unless `add`.
    public static func check(_ spec: SweepSpec, in folder: String, add: Bool) throws {
        guard let held = sweepName(in: folder), held != spec.name, !add else { return }
        throw OtherSweep(folder: folder, held: held, attempted: spec.name)
    }

    /// Stores the spec as run and the software version; a different earlier `spec.yaml` is kept
    /// as `spec.N.yaml` (N = 1, 2, ...), so the folder says what every record was run from.
    public static func write(_ spec: SweepSpec, in folder: String) throws {
        let manager = FileManager.default
        let specPath = (folder as NSString).appendingPathComponent(specFile)
        if let old = manager.contents(atPath: specPath), old != Data(spec.text.utf8) {
            var version = 1
            while manager.fileExists(atPath: (folder as NSString).appendingPathComponent("spec.\(version).yaml")) { version += 1 }
            try manager.moveItem(atPath: specPath, toPath: (folder as NSString).appendingPathComponent("spec.\(version).yaml"))
        }
        try Data(spec.text.utf8).write(to: URL(fileURLWithPath: specPath), options: .atomic)
        let meta: [String: String] = ["name": spec.name, "spec_file": spec.file, "version": LMSweepVersion.current]
        let data = try JSONSerialization.data(withJSONObject: meta, options: [.sortedKeys, .prettyPrinted])
        try data.write(to: URL(fileURLWithPath: (folder as NSString).appendingPathComponent(metaFile)), options: .atomic)
    }
}
