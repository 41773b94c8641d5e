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
    /// strings (`rope`), and decoded against ``RunConfig/schema``, like a config file's: an
    /// unknown key or a wrong type is an error naming the setting and what the key expects.
    public func applying(settings: [String]) throws -> RunConfig {
        var config = self
        for setting in settings {
            guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex else {
                throw OverrideError(setting: setting, message: "expected key=value")
            }
            let text = String(setting[setting.index(after: equals)...])
            let key: RunConfigKey
            do { key = try RunConfig.key(named: String(setting[..<equals])) } catch {
                throw OverrideError(setting: setting, message: "\(error)")
            }
            let value = JSONValue(text: text)
            if value.isNull && !key.optional {
                throw OverrideError(setting: setting, message: "\(key.name) needs a value (leave it out to keep the default)")
            }
            do {
                try key.assignment(from: value).apply(to: &config)
            } catch {
                throw OverrideError(setting: setting, message: "\(key.name): expected \(key.expectation)")
            }
        }
        return config
    }

    /// A command-line value: JSON where it parses as JSON, else a string.
    struct JSONValue: RunConfigValueSource {
        let data: Data
        init(text: String) {
            let parses = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil
            // A string as JSON: quotes and backslashes escaped by the encoder.
            data = parses ? Data(text.utf8) : ((try? JSONEncoder().encode(text)) ?? Data())
        }
        var isNull: Bool { String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespaces) == "null" }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(T.self, from: data) }
    }
}
