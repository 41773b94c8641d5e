import Corpus
import Foundation
import Training

/// Expands a spec into its jobs and checks every one of them before any rank trains.
public enum Grid {
    /// The jobs of a spec, deduplicated by id, and warnings that do not stop a sweep.
    public struct Expansion {
        public let jobs: [Job]
        public let warnings: [String]
    }

    /// Every grid point and include rule as a ``Job``. Points whose canonical configs coincide
    /// (depth for the linear model) collapse into one job. Throws ``SpecValidationError`` with
    /// every invalid config, each pointing at the line that set the offending value.
    /// With `data`, a text corpus's runs are pinned to its file's SHA-256 (read from there): the
    /// sum is part of each run's id, so a changed file makes new runs. Without, they stay unpinned.
    public static func expand(_ spec: SweepSpec, data: DataLocation? = nil) throws -> Expansion {
        var expander = Expander(spec: spec, data: data)
        for grid in spec.grids { expander.expand(grid) }
        for rule in spec.include {
            expander.add(layers: [spec.base, rule], origin: rule.line, excludable: false)
        }
        for (index, rule) in spec.exclude.enumerated() where !expander.usedExcludes.contains(index) {
            expander.warnings.append("\(spec.file):\(rule.line): exclude rule matches no grid point")
        }
        if !expander.problems.isEmpty { throw SpecValidationError(problems: expander.problems) }
        return Expansion(jobs: expander.jobs, warnings: expander.warnings)
    }
}

private struct Expander {
    let spec: SweepSpec
    var jobs: [Job] = []
    var seen: Set<String> = []
    var problems: [SpecProblem] = []
    var reported: Set<SpecProblem> = []
    var warnings: [String] = []
    var usedExcludes: Set<Int> = []

    let data: DataLocation?
    /// Each text corpus's SHA-256 by path, read once.
    var textSums: [String: String] = [:]

    init(spec: SweepSpec, data: DataLocation?) { self.spec = spec; self.data = data }

    mutating func expand(_ grid: SweepGrid) {
        var point: [ConfigSetting] = []
        func walk(_ axisIndex: Int) {
            if axisIndex == grid.axes.count {
                add(layers: [spec.base, grid.fixed, ConfigPatch(settings: point, line: grid.line)],
                    origin: grid.line, excludable: true)
                return
            }
            for value in grid.axes[axisIndex].values {
                point.append(value)
                walk(axisIndex + 1)
                point.removeLast()
            }
        }
        walk(0)
    }

    /// Builds one config from `layers` (lowest precedence first) with the architecture's
    /// overrides slotted in just above `base`, validates it, and adds it unless excluded or
    /// already present.
    mutating func add(layers: [ConfigPatch], origin: Int, excludable: Bool) {
        let arch = RunConfig().applying(layers.flatMap(\.settings).filter { $0.key == "arch" }).arch
        var ordered = [layers[0]]
        if let override = spec.overrides[arch] { ordered.append(override) }
        ordered += layers.dropFirst()
        var latest: [String: ConfigSetting] = [:]
        var order: [String] = []
        for setting in ordered.flatMap(\.settings) {
            if latest[setting.key] == nil { order.append(setting.key) }
            latest[setting.key] = setting
        }
        var config = RunConfig().applying(order.compactMap { latest[$0] })
        if excludable, let rule = spec.exclude.firstIndex(where: { Self.matches(config, $0) }) {
            usedExcludes.insert(rule)
            return
        }
        let configIssues = config.validate()
        // A context already out of range needs no second word about the splits.
        let issues = configIssues + (configIssues.contains { $0.key == "context" } ? [] : Self.splitIssues(config))
        for issue in issues {
            // A key the spec never set points at the one that asked for it (text_path at dataset).
            let line = latest[issue.key]?.line ?? (issue.key == "text_path" ? latest["dataset"]?.line : nil) ?? origin
            let problem = SpecProblem(file: spec.file, line: line, key: issue.key, value: issue.value,
                                      message: "\(issue.message) (in run \(config.resolved().summary))")
            // The same bad base value breaks every run of the grid: say so once per place.
            let place = SpecProblem(file: spec.file, line: line, key: issue.key, value: issue.value, message: issue.message)
            if reported.insert(place).inserted { problems.append(problem) }
        }
        guard issues.isEmpty else { return }
        if config.dataset == .text, config.textSHA256 == nil, let data, let path = config.textPath {
            do {
                config.textSHA256 = try textSums[path] ?? data.sha256(ofText: path)
                textSums[path] = config.textSHA256
            } catch {
                let line = latest["text_path"]?.line ?? latest["dataset"]?.line ?? origin
                let problem = SpecProblem(file: spec.file, line: line, key: "text_path", value: path, message: "\(error)")
                if reported.insert(problem).inserted { problems.append(problem) }
                return
            }
        }
        let job = Job(config: config, origin: "\(spec.file):\(origin)", settingLines: latest.mapValues(\.line))
        if seen.insert(job.id).inserted { jobs.append(job) }
    }

    /// Does every key of an exclude rule have the same value in `config` (as configured,
    /// before canonicalization)?
    static func matches(_ config: RunConfig, _ rule: ConfigPatch) -> Bool {
        let fields = config.fieldsByKey
        return rule.settings.allSatisfy { setting in
            RunConfig().applying([setting]).fieldsByKey[setting.key]?.value == fields[setting.key]?.value
        }
    }

    /// A context must leave at least one target in every split the run reads
    /// (``PublishedSplits``, the datasets' published sizes; the loader checks the files).
    static func splitIssues(_ config: RunConfig) -> [ConfigIssue] {
        guard let sizes = PublishedSplits.tokens(config.dataset, config.convention) else { return [] }
        let train = min(config.maxTrainTokens ?? sizes.train, sizes.train)
        let splits = [("train", train), ("valid", sizes.valid), ("test", sizes.test)]
        guard let (split, length) = splits.min(by: { $0.1 < $1.1 }), config.context >= length else { return [] }
        return [ConfigIssue(key: "context", value: "\(config.context)",
                            message: "longer than the \(split) split of \(config.dataset.rawValue) (\(length) tokens)")]
    }
}
