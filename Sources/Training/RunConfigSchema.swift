import Corpus
import Foundation
import Models

/// What each run-config key accepts, declared once, beside ``RunConfig``: the strict decoder,
/// sweep specs and `--set` all read values through it, so a key's type, whether it may be null
/// and how to say what it expects never drift apart.
public struct RunConfigKey: Sendable {
    public let name: String
    /// Optional keys take `null` (the architecture's default); the others need a value.
    public let optional: Bool
    /// What the key accepts, in words: "an integer", "one of linear, mlp, attention, transformer".
    public let expectation: String
    /// Decodes a value once; the result sets it on a config.
    let parse: @Sendable (any RunConfigValueSource) throws -> RunConfigAssignment

    /// Decodes `source` as this key's value: what setting it does to a config.
    public func assignment(from source: any RunConfigValueSource) throws -> RunConfigAssignment {
        try parse(source)
    }
}

/// A decoded value of one key, ready to set on any config.
public struct RunConfigAssignment: Sendable {
    public let key: String
    let assign: @Sendable (inout RunConfig) -> Void
    public func apply(to config: inout RunConfig) { assign(&config) }
}

/// Where a value is decoded from: a JSON or YAML node, a keyed container's entry.
public protocol RunConfigValueSource {
    var isNull: Bool { get }
    func decode<T: Decodable>(_ type: T.Type) throws -> T
}

/// A value type's expectation in words.
public protocol RunConfigValue: Decodable, Sendable {
    static var expectation: String { get }
}

extension Int: RunConfigValue { public static var expectation: String { "an integer" } }
extension UInt64: RunConfigValue { public static var expectation: String { "a non-negative integer" } }
extension Double: RunConfigValue { public static var expectation: String { "a number" } }
extension Bool: RunConfigValue { public static var expectation: String { "true or false" } }
extension String: RunConfigValue { public static var expectation: String { "text" } }
extension Array: RunConfigValue where Element == Int { public static var expectation: String { "a list of integers" } }

extension RunConfigValue where Self: CaseIterable & RawRepresentable, RawValue == String {
    public static var expectation: String { "one of " + allCases.map(\.rawValue).joined(separator: ", ") }
}
extension CorpusDataset: RunConfigValue {}
extension TokenLevel: RunConfigValue {}
extension CorpusConvention: RunConfigValue {}
extension WindowTargets: RunConfigValue {}
extension ModelConfig.Architecture: RunConfigValue {}
extension ModelConfig.Positions: RunConfigValue {}
extension ModelConfig.NormPlacement: RunConfigValue {}
extension ModelConfig.BlockStyle: RunConfigValue {}
extension RunConfig.Optimizer: RunConfigValue {}
extension RunConfig.Schedule: RunConfigValue {}
extension RunConfig.EvalMode: RunConfigValue {}
extension RunConfig.WeightsPolicy: RunConfigValue {}

extension RunConfig {
    /// Every key, in declaration order, named by ``CodingKeys`` (the names journals use).
    public static let schema: [RunConfigKey] = [
        dataset, value(.convention, \.convention), optional(.maxTrainTokens, \.maxTrainTokens),
        optional(.textPath, \.textPath), optional(.textSHA256, \.textSHA256), optional(.tokenizer, \.tokenizer),
        value(.arch, \.arch), value(.context, \.context), value(.dModel, \.dModel),
        optional(.heads, \.heads), optional(.depth, \.depth), optional(.ffnWidth, \.ffnWidth),
        optional(.hiddenWidth, \.hiddenWidth), optional(.hidden, \.hidden), optional(.dropout, \.dropout),
        optional(.positions, \.positions), optional(.norm, \.norm),
        optional(.blockStyle, \.blockStyle), optional(.tiedHead, \.tiedHead),
        value(.objective, \.objective), value(.optimizer, \.optimizer), value(.lr, \.lr),
        value(.weightDecay, \.weightDecay), value(.beta1, \.beta1), value(.beta2, \.beta2),
        value(.momentum, \.momentum), value(.schedule, \.schedule), value(.warmupSteps, \.warmupSteps),
        optional(.gradClip, \.gradClip), value(.batchSize, \.batchSize), value(.seed, \.seed),
        value(.epochs, \.epochs), value(.windowsPerEpoch, \.windowsPerEpoch), optional(.tokenBudget, \.tokenBudget),
        optional(.flopBudget, \.flopBudget), optional(.sizeToBudget, \.sizeToBudget), optional(.maxSteps, \.maxSteps), optional(.evalEvery, \.evalEvery),
        value(.evalMode, \.evalMode), optional(.evalWindows, \.evalWindows), optional(.evalStride, \.evalStride),
        value(.restoreBest, \.restoreBest), optional(.saveWeights, \.saveWeights),
        optional(.checkpointEvery, \.checkpointEvery),
    ]

    /// `dataset`: a name, or `text:PATH` for `dataset: text` with `text_path: PATH`.
    private static let dataset = RunConfigKey(name: CodingKeys.dataset.rawValue, optional: false,
                                              expectation: CorpusDataset.expectation + ", or text:PATH") { source in
        if let text = try? source.decode(String.self), text.hasPrefix("text:") {
            let path = String(text.dropFirst(5))
            return RunConfigAssignment(key: "dataset") { $0.dataset = .text; $0.textPath = path }
        }
        let value = try source.decode(CorpusDataset.self)
        return RunConfigAssignment(key: "dataset") { $0.dataset = value }
    }

    static let schemaByName: [String: RunConfigKey] = Dictionary(uniqueKeysWithValues: schema.map { ($0.name, $0) })

    /// The key named `name`, or an ``UnknownKeyError`` with a "did you mean".
    public static func key(named name: String) throws -> RunConfigKey {
        guard let key = schemaByName[name] else { throw UnknownKeyError(key: name, codingPath: []) }
        return key
    }

    private static func value<T: RunConfigValue>(_ key: CodingKeys, _ path: WritableKeyPath<RunConfig, T> & Sendable) -> RunConfigKey {
        RunConfigKey(name: key.rawValue, optional: false, expectation: T.expectation) { source in
            let value = try source.decode(T.self)
            return RunConfigAssignment(key: key.rawValue) { $0[keyPath: path] = value }
        }
    }

    private static func optional<T: RunConfigValue>(_ key: CodingKeys, _ path: WritableKeyPath<RunConfig, T?> & Sendable) -> RunConfigKey {
        RunConfigKey(name: key.rawValue, optional: true, expectation: T.expectation) { source in
            let value = source.isNull ? nil : try source.decode(T.self)
            return RunConfigAssignment(key: key.rawValue) { $0[keyPath: path] = value }
        }
    }

    /// This config with `assignments` applied in order.
    public func applying(_ assignments: [RunConfigAssignment]) -> RunConfig {
        var config = self
        for assignment in assignments { assignment.apply(to: &config) }
        return config
    }
}
