import Foundation
import Training
import Yams

/// Walks a spec's YAML node tree (``Yams/compose(yaml:_:_:_:)`` keeps each node's line) and
/// collects every problem instead of stopping at the first.
struct SpecReader {
    let file: String
    private(set) var problems: [SpecProblem] = []

    init(file: String) { self.file = file }

    mutating func read(text: String) -> SweepSpec? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            report(line: Self.line(of: error), key: "", value: "", "not valid YAML: \(Self.summary(of: error))")
            return nil
        } catch {
            report(line: 0, key: "", value: "", "not valid YAML: \(error)")
            return nil
        }
        guard let root, let mapping = root.mapping else {
            report(line: root.map(Self.line) ?? 0, key: "", value: "",
                   "a spec is a mapping with at least `name` (keys: \(SweepSpec.topLevelKeys.joined(separator: ", ")))")
            return nil
        }
        var name: String?
        var description: String?
        var base = ConfigPatch(settings: [], line: Self.line(root))
        var overrides: [RunConfig.Architecture: ConfigPatch] = [:]
        var topAxes: [SweepAxis] = []
        var grids: [SweepGrid]?
        var include: [ConfigPatch] = []
        var exclude: [ConfigPatch] = []
        var isoflopNode: Node?
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? Self.render(keyNode)
            switch key {
            case "name":
                if let text = value.scalar?.string, SweepSpec.isSafeName(text) {
                    name = text
                } else {
                    report(value, key: "name", "must be 1 to 100 ASCII letters, digits, '.', '_' or '-', not starting with '.' or '-' "
                           + "(it names the output folder results/NAME)")
                }
            case "description":
                if let text = value.scalar?.string { description = text }
                else { report(value, key: "description", "must be text") }
            case "base":
                base = patch(value, path: "base")
            case "overrides":
                overrides = readOverrides(value)
            case "axes":
                topAxes = axes(value, path: "axes")
            case "grids":
                grids = readGrids(value)
            case "include":
                include = patches(value, path: "include")
            case "exclude":
                exclude = patches(value, path: "exclude")
            case "isoflop":
                isoflopNode = value
            default:
                report(keyNode, key: "top level", value: key, "unknown spec key\(Self.hint(key, among: SweepSpec.topLevelKeys)) (keys: \(SweepSpec.topLevelKeys.joined(separator: ", ")))")
            }
        }
        if name == nil && !mapping.keys.contains(where: { $0.string == "name" }) {
            report(line: Self.line(root), key: "name", value: "", "missing: a spec needs a name (it names the output folder)")
        }
        // An iso-FLOP section's grids join `grids`; without `grids` they are the whole sweep.
        let isoflop = isoflopNode.flatMap { readIsoFLOP($0, topAxes: topAxes) }
        if let isoflop { grids = (grids ?? []) + isoflop.1 }
        let allGrids: [SweepGrid]
        if let grids {
            allGrids = grids.map { grid in
                for axis in grid.axes where topAxes.contains(where: { $0.key == axis.key }) {
                    report(line: axis.line, key: "grids.axes.\(axis.key)", value: "",
                           "is also a top-level axis; list it in one place")
                }
                return SweepGrid(fixed: grid.fixed, axes: topAxes + grid.axes, line: grid.line)
            }
        } else {
            allGrids = [SweepGrid(fixed: ConfigPatch(settings: [], line: Self.line(root)), axes: topAxes, line: Self.line(root))]
        }
        // Returned even with problems, so that expansion can report bad configs in the same pass.
        return SweepSpec(file: file, text: text, name: name ?? "unnamed", description: description, base: base,
                         overrides: overrides, grids: allGrids, include: include, exclude: exclude,
                         isoflop: isoflop?.0)
    }

    // MARK: sections

    private mutating func readOverrides(_ node: Node) -> [RunConfig.Architecture: ConfigPatch] {
        guard let mapping = node.mapping else {
            report(node, key: "overrides", "must map an architecture to its settings, e.g. `mlp: {hidden_width: 256}`")
            return [:]
        }
        var result: [RunConfig.Architecture: ConfigPatch] = [:]
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            guard let arch = RunConfig.Architecture(rawValue: key) else {
                report(keyNode, key: "overrides", value: key, "not an architecture (\(RunConfig.Architecture.expectation))")
                continue
            }
            let settings = patch(value, path: "overrides.\(key)")
            for setting in settings.settings where setting.key == "arch" {
                report(line: setting.line, key: "overrides.\(key).arch", value: setting.valueText,
                       "an override cannot change the architecture it belongs to")
            }
            result[arch] = settings
        }
        return result
    }

    private mutating func readGrids(_ node: Node) -> [SweepGrid] {
        guard let sequence = node.sequence else {
            report(node, key: "grids", "must be a list of grids, each `{set: {...}, axes: {...}}`")
            return []
        }
        var grids: [SweepGrid] = []
        for (index, item) in sequence.enumerated() {
            let path = "grids[\(index)]"
            guard let mapping = item.mapping else {
                report(item, key: path, "must be a mapping with `set` and/or `axes`")
                continue
            }
            var fixed = ConfigPatch(settings: [], line: Self.line(item))
            var gridAxes: [SweepAxis] = []
            for (keyNode, value) in mapping {
                switch keyNode.string ?? "" {
                case "set": fixed = patch(value, path: "\(path).set")
                case "axes": gridAxes = axes(value, path: "\(path).axes")
                default:
                    let key = keyNode.string ?? Self.render(keyNode)
                    report(keyNode, key: path, value: key, "unknown grid key\(Self.hint(key, among: ["set", "axes"])) (keys: set, axes)")
                }
            }
            grids.append(SweepGrid(fixed: fixed, axes: gridAxes, line: Self.line(item)))
        }
        return grids
    }

    private mutating func patches(_ node: Node, path: String) -> [ConfigPatch] {
        guard let sequence = node.sequence else {
            report(node, key: path, "must be a list of partial run configs, e.g. `- {arch: mlp, context: 64}`")
            return []
        }
        return sequence.enumerated().map { index, item in patch(item, path: "\(path)[\(index)]") }
    }

    private mutating func axes(_ node: Node, path: String) -> [SweepAxis] {
        guard let mapping = node.mapping else {
            report(node, key: path, "must map run-config keys to lists of values, e.g. `context: [32, 64]`")
            return []
        }
        var result: [SweepAxis] = []
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? Self.render(keyNode)
            guard let sequence = value.sequence, !sequence.isEmpty else {
                report(value, key: "\(path).\(key)", "an axis lists its values, e.g. `\(key): [a, b]`")
                continue
            }
            var values: [ConfigSetting] = []
            for (index, item) in sequence.enumerated() {
                if let setting = setting(keyNode: keyNode, value: item, path: "\(path).\(key)[\(index)]") {
                    values.append(setting)
                } else if !RunConfig.keys.contains(key) {
                    break  // an unknown key is reported once, not once per value
                }
            }
            if values.count == sequence.count {
                result.append(SweepAxis(key: key, values: values, line: Self.line(keyNode)))
            }
        }
        return result
    }

    /// A mapping of run-config keys, each key known and each value of the right type.
    mutating func patch(_ node: Node, path: String) -> ConfigPatch {
        guard let mapping = node.mapping else {
            report(node, key: path, "must be a mapping of run-config keys (\(RunConfig.keys.prefix(6).joined(separator: ", ")), ...)")
            return ConfigPatch(settings: [], line: Self.line(node))
        }
        var settings: [ConfigSetting] = []
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? Self.render(keyNode)
            if let setting = setting(keyNode: keyNode, value: value, path: "\(path).\(key)") {
                settings.append(setting)
            }
        }
        return ConfigPatch(settings: settings, line: Self.line(node))
    }

    /// Decodes one key's value, once, against ``RunConfig/schema``: the contract's own
    /// declaration is the single source of truth for what a key accepts.
    private mutating func setting(keyNode: Node, value: Node, path: String) -> ConfigSetting? {
        let key = keyNode.string ?? Self.render(keyNode)
        let schema: RunConfigKey
        do {
            schema = try RunConfig.key(named: key)
        } catch {
            report(keyNode, key: path, value: key, "\(error)")
            return nil
        }
        if value.null != nil && !schema.optional {
            report(value, key: path, "needs a value (leave the key out to keep the default)")
            return nil
        }
        do {
            return ConfigSetting(key: key, assignment: try schema.assignment(from: YAMLValue(node: value)), node: value,
                                 line: Self.line(value))
        } catch {
            report(value, key: path, "expected \(schema.expectation)")
            return nil
        }
    }

    /// A YAML node as a run-config value source.
    struct YAMLValue: RunConfigValueSource {
        let node: Node
        var isNull: Bool { node.null != nil }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try YAMLDecoder().decode(T.self, from: node) }
    }

    // MARK: reporting

    mutating func report(_ node: Node, key: String, value: String? = nil, _ message: String) {
        report(line: Self.line(node), key: key, value: value ?? Self.render(node), message)
    }

    mutating func report(line: Int, key: String, value: String, _ message: String) {
        problems.append(SpecProblem(file: file, line: line, key: key, value: value, message: message))
    }

    // MARK: helpers

    static func line(_ node: Node) -> Int { node.mark?.line ?? 0 }

    static func line(of error: YamlError) -> Int {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        case .duplicatedKeysInMapping(_, let context): return context.mark.line
        default: return 0
        }
    }

    static func summary(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): return problem
        case .duplicatedKeysInMapping(let duplicates, _): return "duplicated keys \(duplicates.joined(separator: ", "))"
        default: return "\(error)"
        }
    }

    /// The value as the user wrote it, compactly (`[1, 2]`, `{arch: mlp}`).
    static func render(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): return scalar.string
        case .sequence(let sequence): return "[" + sequence.map(render).joined(separator: ", ") + "]"
        case .mapping(let mapping):
            return "{" + mapping.map { "\(render($0.key)): \(render($0.value))" }.joined(separator: ", ") + "}"
        case .alias: return "*alias"
        }
    }


    static func hint(_ key: String, among keys: [String]) -> String {
        guard let near = keys.min(by: { editDistance($0, key) < editDistance($1, key) }), editDistance(near, key) <= 3 else { return "" }
        return " (did you mean '\(near)'?)"
    }
}
