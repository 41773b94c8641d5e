import Foundation

/// One key of a config and its value, typed: what tables, figures, exclude rules and ids read
/// instead of flattening JSON text.
public struct RunField: Hashable, Sendable {
    public enum Value: Hashable, Sendable {
        case int(Int), double(Double), bool(Bool), text(String), ints([Int])
    }
    public let key: String
    public let value: Value
    /// The value as JSON writes it (`0.0003`, `"rope"`, `[64,64]`): the bytes run ids hash.
    public let json: String

    /// The value for people: `64`, `0.0003`, `5000000000000`, `rope`, `true`, `256-256`.
    public var text: String {
        switch value {
        case .int(let v): return String(v)
        case .double(let v): return v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)"
        case .bool(let v): return String(v)
        case .text(let v): return v
        case .ints(let v): return v.map(String.init).joined(separator: "-")
        }
    }

    /// The value as a number, where it is one (for an axis).
    public var number: Double? {
        switch value {
        case .int(let v): return Double(v)
        case .double(let v): return v
        default: return nil
        }
    }
}

extension RunField {
    /// The keys whose values are not the same in every one of `sets` (a key one set lacks
    /// counts as a value of its own): the keys a run's summary names first, in its order, then
    /// the others alphabetically.
    public static func varyingKeys(_ sets: [[String: RunField]]) -> [String] {
        let order = ["dataset", "arch", "context", "depth", "positions", "d_model", "heads", "hidden"]
        return RunConfig.keys.filter { key in Set(sets.map { $0[key]?.value }).count > 1 }
            .sorted { (order.firstIndex(of: $0) ?? order.count, $0) < (order.firstIndex(of: $1) ?? order.count, $1) }
    }

    /// A grouping key for `fields`: every key and value, in key order.
    public static func groupKey(_ fields: [String: RunField]) -> String {
        fields.keys.sorted().map { "\($0)=\(fields[$0]!.json)" }.joined(separator: ",")
    }
}

extension RunConfig {
    /// Every key this config sets, in declaration order: for the canonical form, exactly the
    /// keys that apply to the run. Read off the config's own `Codable` encoding, so a new field
    /// appears here without being listed anywhere.
    public var fields: [RunField] {
        let recorder = FieldRecorder()
        // Encoding a struct of strings, numbers, enums and integer lists cannot fail.
        try! encode(to: recorder)
        return recorder.fields
    }

    /// ``fields`` by key.
    public var fieldsByKey: [String: RunField] {
        Dictionary(fields.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

/// An `Encoder` that keeps each top-level key's value: typed, and as a JSON fragment written by
/// `JSONEncoder` (so ids hash exactly the bytes a config's JSON holds).
private final class FieldRecorder: Encoder {
    var fields: [RunField] = []
    var codingPath: [CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static let json: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A non-finite value is invalid (validation says so), but it must still have a text.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }()

    func record<T: Encodable>(_ value: T, key: CodingKey) throws {
        let typed: RunField.Value
        switch value {
        case let v as Int: typed = .int(v)
        case let v as UInt64: typed = .int(Int(truncatingIfNeeded: v))
        case let v as Double: typed = .double(v)
        case let v as Bool: typed = .bool(v)
        case let v as String: typed = .text(v)
        case let v as [Int]: typed = .ints(v)
        case let v as any RawRepresentable: typed = .text("\(v.rawValue)")
        default: typed = .text("\(value)")
        }
        let fragment = String(decoding: try Self.json.encode(value), as: UTF8.self)
        fields.append(RunField(key: key.stringValue, value: typed, json: fragment))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(Container<Key>(recorder: self))
    }
    func unkeyedContainer() -> UnkeyedEncodingContainer { fatalError("a run config is a keyed container") }
    func singleValueContainer() -> SingleValueEncodingContainer { fatalError("a run config is a keyed container") }

    struct Container<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let recorder: FieldRecorder
        var codingPath: [CodingKey] { [] }
        mutating func encodeNil(forKey key: Key) throws {}
        mutating func encode(_ value: Bool, forKey key: Key) throws { try recorder.record(value, key: key) }
        mutating func encode(_ value: String, forKey key: Key) throws { try recorder.record(value, key: key) }
        mutating func encode(_ value: Double, forKey key: Key) throws { try recorder.record(value, key: key) }
        mutating func encode(_ value: Float, forKey key: Key) throws { try recorder.record(Double(value), key: key) }
        mutating func encode(_ value: Int, forKey key: Key) throws { try recorder.record(value, key: key) }
        mutating func encode(_ value: Int8, forKey key: Key) throws { try recorder.record(Int(value), key: key) }
        mutating func encode(_ value: Int16, forKey key: Key) throws { try recorder.record(Int(value), key: key) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { try recorder.record(Int(value), key: key) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { try recorder.record(Int(value), key: key) }
        mutating func encode(_ value: UInt, forKey key: Key) throws { try recorder.record(UInt64(value), key: key) }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { try recorder.record(Int(value), key: key) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { try recorder.record(Int(value), key: key) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { try recorder.record(Int(value), key: key) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { try recorder.record(value, key: key) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try recorder.record(value, key: key) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type,
                                                            forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            fatalError("run-config values are flat")
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer { fatalError("run-config values are flat") }
        mutating func superEncoder() -> Encoder { recorder }
        mutating func superEncoder(forKey key: Key) -> Encoder { recorder }
    }
}
