import Foundation
import Training
import Yams

/// One run-config key as a spec sets it: the value as written and the line it is on, so that
/// a problem found later (in expansion or validation) can still point at the file.
public struct ConfigSetting {
    public let key: String
    /// The value, decoded once against ``RunConfig/schema`` when the spec was read.
    let assignment: RunConfigAssignment
    /// The YAML node as written.
    let node: Node
    public let line: Int
    /// The value as written, for messages.
    public var valueText: String { SpecReader.render(node) }
}

extension RunConfig {
    /// This config with the settings applied in order (later settings win).
    func applying(_ settings: [ConfigSetting]) -> RunConfig { applying(settings.map(\.assignment)) }
}

/// A partial run config (`base`, an override, a grid's fixed settings, an include or exclude
/// rule): settings in spec order; later settings win.
public struct ConfigPatch {
    public var settings: [ConfigSetting]
    public let line: Int
    public var keys: [String] { settings.map(\.key) }
}

/// One axis of a grid: a run-config key and the values it takes.
public struct SweepAxis {
    public let key: String
    public let values: [ConfigSetting]
    public let line: Int
}

/// One cartesian product: fixed settings and axes.
public struct SweepGrid {
    public let fixed: ConfigPatch
    public let axes: [SweepAxis]
    public let line: Int
}

/// A sweep as written in `sweeps/NAME.yaml` (YAML, or JSON, which YAML reads too).
///
/// ```yaml
/// name: smoke
/// base: {dataset: tinyshakespeare, epochs: 1, windows_per_epoch: 512}
/// axes: {arch: [linear, mlp, transformer], context: [16, 32], depth: [1, 2]}
/// overrides: {mlp: {hidden_width: 64}}      # per architecture
/// grids: [{set: {arch: attention}, axes: {heads: [1, 2]}}]   # more products
/// include: [{arch: transformer, depth: 4}]  # single extra runs
/// exclude: [{arch: mlp, context: 32}]       # grid points to drop
/// ```
///
/// A run's settings are applied in order of increasing precedence: the ``RunConfig``
/// defaults, `base`, `overrides[arch]`, the grid's `set`, then the axis values — the most
/// specific place a key is written wins.
public struct SweepSpec {
    public let file: String
    /// The spec's text, stored verbatim beside the journal.
    public let text: String
    public let name: String
    public let description: String?
    public let base: ConfigPatch
    public let overrides: [RunConfig.Architecture: ConfigPatch]
    /// The grids to expand: `grids`, each crossed with the top-level `axes`; or, without
    /// `grids`, one grid of the top-level `axes` alone.
    public let grids: [SweepGrid]
    public let include: [ConfigPatch]
    public let exclude: [ConfigPatch]
    /// The `isoflop` section (``IsoFLOPDesign``), whose grids are already in ``grids``.
    public let isoflop: IsoFLOPDesign?

    /// A name is one safe path component: `results/NAME` can never climb out of `results` or
    /// hide itself.
    public static func isSafeName(_ name: String) -> Bool {
        guard (1...100).contains(name.utf8.count), let first = name.unicodeScalars.first, first != ".", first != "-" else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
    }

    /// Keys a spec may have at its top level.
    public static let topLevelKeys = ["name", "description", "base", "overrides", "axes", "grids",
                                      "include", "exclude", "isoflop"]

    /// Reads and checks a spec file; throws ``SpecValidationError`` listing every problem.
    public static func load(path: String) throws -> SweepSpec {
        func unreadable(_ why: String) -> SpecValidationError {
            SpecValidationError(problems: [SpecProblem(file: path, line: 0, key: "", value: "", message: why)])
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw unreadable("no such spec file")
        }
        if isDirectory.boolValue { throw unreadable("is a folder; a spec is a YAML or JSON file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw unreadable("cannot read the spec file (permission denied or I/O error)")
        }
        guard let text = String(data: data, encoding: .utf8), !data.contains(0) else {
            throw unreadable("not UTF-8 text (a binary file?); a spec is a YAML or JSON file")
        }
        return try parse(text: text, file: path)
    }

    /// Checks a spec's text; `file` names it in messages.
    public static func parse(text: String, file: String) throws -> SweepSpec {
        var reader = SpecReader(file: file)
        let spec = reader.read(text: text)
        if let spec, reader.problems.isEmpty { return spec }
        var problems = reader.problems
        if let spec {
            // Report invalid configs in the same pass, except for keys already reported as
            // unreadable (their values fell back to defaults, so checks on them would mislead).
            let unreadable = Set(problems.map { $0.key.split(separator: ".").last.map {
                String($0.prefix { $0 != "[" }) } ?? "" })
            do { _ = try Grid.expand(spec) } catch let error as SpecValidationError {
                problems += error.problems.filter { !unreadable.contains($0.key) }
            }
        }
        throw SpecValidationError(problems: problems)
    }

    init(file: String, text: String, name: String, description: String?, base: ConfigPatch,
         overrides: [RunConfig.Architecture: ConfigPatch], grids: [SweepGrid],
         include: [ConfigPatch], exclude: [ConfigPatch], isoflop: IsoFLOPDesign? = nil) {
        self.file = file; self.text = text; self.name = name; self.description = description
        self.base = base; self.overrides = overrides; self.grids = grids
        self.include = include; self.exclude = exclude; self.isoflop = isoflop
    }
}
