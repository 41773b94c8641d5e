import Foundation

extension RunConfig {
    /// A `key=value` setting that does not parse or names no run-config key.
    public struct OverrideError: Error, CustomStringConvertible {
        public let setting: String
        public let message: String
        public var description: String { "--set \(setting): \(message)" }
    }

    /// The config with `key=value` settings applied in order (`lmsweep train --set lr=1e-3`).
    /// Values are read as JSON where they parse (`0.1`, `true`, `[256,256]`, `null`), else as
    /// strings (`rope`); the result goes through the same strict decoding as a config file, so
    /// an unknown key or a wrong type is an error naming the setting.
    public func applying(settings: [String]) throws -> RunConfig {
        guard !settings.isEmpty else { return self }
        let encoder = JSONEncoder()
        var object = (try JSONSerialization.jsonObject(with: try encoder.encode(self))) as? [String: Any] ?? [:]
        for setting in settings {
            guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex else {
                throw OverrideError(setting: setting, message: "expected key=value")
            }
            let key = String(setting[..<equals])
            let text = String(setting[setting.index(after: equals)...])
            guard RunConfig.keys.contains(key) else {
                throw OverrideError(setting: setting, message: "\(UnknownKeyError(key: key, codingPath: []))")
            }
            let value = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) ?? text
            object[key] = value is NSNull ? nil : value
        }
        do {
            return try JSONDecoder().decode(RunConfig.self, from: try JSONSerialization.data(withJSONObject: object))
        } catch let error as DecodingError {
            throw OverrideError(setting: settings.joined(separator: " "), message: Self.describe(error))
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case let .typeMismatch(type, context), let .valueNotFound(type, context):
            return "\(context.codingPath.map(\.stringValue).joined(separator: ".")): expected \(type)"
        case let .dataCorrupted(context):
            return "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        case let .keyNotFound(key, _):
            return "missing \(key.stringValue)"
        @unknown default:
            return "\(error)"
        }
    }
}
