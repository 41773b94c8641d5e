import Foundation

/// Strict decoding: a key that is missing keeps its default, a key that is unknown is an error
/// (nanoGPT's rule: a typo in a config must never be silently ignored).
extension RunConfig {
    public struct UnknownKeyError: Error, CustomStringConvertible {
        public let key: String
        public let codingPath: [CodingKey]
        public var description: String {
            let near = RunConfig.keys.min { editDistance($0, key) < editDistance($1, key) } ?? ""
            let hint = editDistance(near, key) <= 3 ? " (did you mean '\(near)'?)" : ""
            return "unknown run-config key '\(key)'\(hint)"
        }
    }

    public init(from decoder: Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys where Self.schemaByName[key.stringValue] == nil {
            throw UnknownKeyError(key: key.stringValue, codingPath: container.codingPath + [key])
        }
        for field in Self.schema {
            let key = AnyKey(stringValue: field.name)
            guard container.contains(key) else { continue }
            try field.assignment(from: KeyedValue(container: container, key: key)).apply(to: &self)
        }
    }

    /// One entry of a keyed container, as a value source.
    struct KeyedValue: RunConfigValueSource {
        let container: KeyedDecodingContainer<AnyKey>
        let key: AnyKey
        var isNull: Bool { (try? container.decodeNil(forKey: key)) ?? false }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try container.decode(T.self, forKey: key) }
    }

    /// The config as compact JSON with sorted keys (every key it sets).
    public var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        // Strings, numbers (non-finite ones spelt out) and enums: encoding cannot fail.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// Levenshtein distance, for "did you mean" hints on misspelt keys (run-config keys here, spec
/// keys in Sweep).
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
