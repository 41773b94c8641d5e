import Foundation
import Training
import Yams

/// The `isoflop` section of a spec: an iso-FLOP sweep (Hoffmann et al. 2022, approach 2).
/// At every budget, every architecture trains a ladder of sizes, each run sized to the budget
/// (`size_to_budget`: steps = budget ÷ exact FLOPs per step, the schedule ending there).
///
/// ```yaml
/// axes: {context: [64, 128]}          # crossed with every rung at every budget
/// isoflop:
///   budgets: [1e12, 1e13, 1e14]       # exact training FLOPs
///   seeds: [3, 2, 2]                  # seeds 0..<n per budget, or one count for all
///   sizes: 5                          # rungs per budget: a window sliding up the ladder
///   ladders:
///     mlp: [{d_model: 8, hidden_width: 32}, {d_model: 16, hidden_width: 64}, ...]
///     transformer: [{d_model: 16, depth: 1}, {d_model: 32, depth: 2}, ...]
/// ```
///
/// With `sizes: k` below a ladder's length, budget i of B trains the k consecutive rungs
/// starting at round(i · (R − k) / (B − 1)): small models at small budgets, large at large,
/// as the compute-optimal size grows with compute.
public struct IsoFLOPDesign: Sendable {
    public let budgets: [Double]
    /// Seeds per budget, parallel to ``budgets``.
    public let seeds: [Int]
    /// Rungs per budget; nil for the whole ladder.
    public let sizes: Int?
    /// Architectures in the order the spec lists them, each with its rung count.
    public let ladderLengths: [(arch: RunConfig.Architecture, rungs: Int)]

    public static let keys = ["budgets", "seeds", "sizes", "ladders"]
    /// Keys the section itself sets on every run: a rung or a top-level axis may not.
    static let ownedKeys: Set<String> = ["arch", "flop_budget", "size_to_budget", "seed"]

    /// The rungs budget `index` trains, of a ladder of `rungs`.
    public func window(budget index: Int, rungs: Int) -> Range<Int> {
        guard let sizes, sizes < rungs else { return 0..<rungs }
        let start = budgets.count > 1
            ? Int((Double(index) * Double(rungs - sizes) / Double(budgets.count - 1)).rounded()) : 0
        return start..<(start + sizes)
    }
}

extension SpecReader {
    /// Reads `isoflop`; returns the design and the grids it expands to (before the top-level
    /// axes are crossed in), or nil with problems reported.
    mutating func readIsoFLOP(_ node: Node, topAxes: [SweepAxis]) -> (IsoFLOPDesign, [SweepGrid])? {
        guard let mapping = node.mapping else {
            report(node, key: "isoflop", "must be a mapping with budgets, ladders and optionally seeds, sizes")
            return nil
        }
        var budgets: [(value: Double, node: Node)] = []
        var seeds: [Int] = []
        var seedsNode: Node?
        var sizes: Int?
        var ladders: [(arch: RunConfig.Architecture, keyNode: Node, rungs: [ConfigPatch])] = []
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? Self.render(keyNode)
            switch key {
            case "budgets":
                let items = value.sequence.map(Array.init) ?? []
                for item in items {
                    if let number = try? YAMLDecoder().decode(Double.self, from: item), number > 0, number.isFinite {
                        budgets.append((number, item))
                    } else {
                        report(item, key: "isoflop.budgets", "a budget is a positive number of exact FLOPs, e.g. 1e13")
                    }
                }
                if items.isEmpty { report(value, key: "isoflop.budgets", "must list the budgets, e.g. [1e12, 1e13, 1e14]") }
                for (a, b) in zip(budgets, budgets.dropFirst()) where b.value <= a.value {
                    report(b.node, key: "isoflop.budgets", "budgets must increase (\(Self.render(b.node)) follows \(Self.render(a.node)))")
                }
            case "seeds":
                seedsNode = value
                if let count = try? YAMLDecoder().decode(Int.self, from: value) {
                    seeds = [count]
                } else if let counts = try? YAMLDecoder().decode([Int].self, from: value) {
                    seeds = counts
                } else {
                    report(value, key: "isoflop.seeds", "a number of seeds, or one per budget, e.g. [3, 2, 2]")
                }
                if seeds.contains(where: { !(1...1000).contains($0) }) {
                    report(value, key: "isoflop.seeds", "every seed count must be in 1...1000")
                    seeds = []
                }
            case "sizes":
                if let count = try? YAMLDecoder().decode(Int.self, from: value), count >= 1 {
                    sizes = count
                } else {
                    report(value, key: "isoflop.sizes", "the number of rungs per budget, a positive integer")
                }
            case "ladders":
                guard let archs = value.mapping, !archs.isEmpty else {
                    report(value, key: "isoflop.ladders", "must map architectures to their ladders of sizes, e.g. `mlp: [{d_model: 8}, {d_model: 16}]`")
                    continue
                }
                for (archNode, ladder) in archs {
                    let name = archNode.string ?? Self.render(archNode)
                    guard let arch = RunConfig.Architecture(rawValue: name) else {
                        report(archNode, key: "isoflop.ladders", value: name, "not an architecture (\(RunConfig.Architecture.expectation))")
                        continue
                    }
                    guard let rungNodes = ladder.sequence, !rungNodes.isEmpty else {
                        report(ladder, key: "isoflop.ladders.\(name)", "a ladder lists its sizes, e.g. `- {d_model: 16, depth: 1}`")
                        continue
                    }
                    var rungs: [ConfigPatch] = []
                    for (index, rungNode) in rungNodes.enumerated() {
                        let rung = patch(rungNode, path: "isoflop.ladders.\(name)[\(index)]")
                        for setting in rung.settings where IsoFLOPDesign.ownedKeys.contains(setting.key) {
                            report(line: setting.line, key: "isoflop.ladders.\(name)[\(index)].\(setting.key)", value: setting.valueText,
                                   "is set by the isoflop section itself (budgets, seeds, ladders)")
                        }
                        rungs.append(rung)
                    }
                    ladders.append((arch, archNode, rungs))
                }
            default:
                report(keyNode, key: "isoflop", value: key,
                       "unknown isoflop key\(Self.hint(key, among: IsoFLOPDesign.keys)) (keys: \(IsoFLOPDesign.keys.joined(separator: ", ")))")
            }
        }
        for key in ["budgets", "ladders"] where !mapping.keys.contains(where: { $0.string == key }) {
            report(node, key: "isoflop.\(key)", value: "", "missing: an isoflop sweep needs \(key)")
        }
        for axis in topAxes where IsoFLOPDesign.ownedKeys.contains(axis.key) {
            report(line: axis.line, key: "axes.\(axis.key)", value: "", "is set by the isoflop section (budgets, seeds, ladders); list it there")
        }
        if seeds.isEmpty, seedsNode == nil { seeds = [1] }
        if seeds.count == 1 { seeds = Array(repeating: seeds[0], count: budgets.count) }
        if seeds.count != budgets.count, let seedsNode {
            report(seedsNode, key: "isoflop.seeds", "lists \(seeds.count) seed counts for \(budgets.count) budgets: give one count, or one per budget")
        }
        if let sizes, let shortest = ladders.min(by: { $0.rungs.count < $1.rungs.count }), sizes > shortest.rungs.count {
            report(line: Self.line(shortest.keyNode), key: "isoflop.sizes", value: "\(sizes)",
                   "is more than the \(shortest.rungs.count) rungs of the \(shortest.arch.rawValue) ladder")
        }
        guard !budgets.isEmpty, !ladders.isEmpty, seeds.count == budgets.count else { return nil }

        let design = IsoFLOPDesign(budgets: budgets.map(\.value), seeds: seeds, sizes: sizes,
                                   ladderLengths: ladders.map { ($0.arch, $0.rungs.count) })
        var grids: [SweepGrid] = []
        let sectionLine = Self.line(node)
        for (budgetIndex, budget) in budgets.enumerated() {
            let seedLine = seedsNode.map(Self.line) ?? sectionLine
            let seedAxis = SweepAxis(key: "seed", values: (0..<seeds[budgetIndex]).compactMap {
                synthesized("seed", Node(String($0)), line: seedLine)
            }, line: seedLine)
            for ladder in ladders {
                for rungIndex in design.window(budget: budgetIndex, rungs: ladder.rungs.count) {
                    let rung = ladder.rungs[rungIndex]
                    let owned = [synthesized("arch", Node(ladder.arch.rawValue), line: Self.line(ladder.keyNode)),
                                 synthesized("flop_budget", budget.node, line: Self.line(budget.node)),
                                 synthesized("size_to_budget", Node("true"), line: sectionLine)].compactMap { $0 }
                    grids.append(SweepGrid(fixed: ConfigPatch(settings: owned + rung.settings, line: rung.line),
                                           axes: [seedAxis], line: rung.line))
                }
            }
        }
        return (design, grids)
    }

    /// A setting the section makes itself, decoded through the schema like any other.
    private func synthesized(_ key: String, _ value: Node, line: Int) -> ConfigSetting? {
        guard let schema = try? RunConfig.key(named: key),
              let assignment = try? schema.assignment(from: YAMLValue(node: value)) else { return nil }
        return ConfigSetting(key: key, assignment: assignment, node: value, line: line)
    }
}
