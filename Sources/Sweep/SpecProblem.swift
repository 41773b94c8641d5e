import Foundation

/// One thing wrong with a sweep spec: where (file:line), which key, the offending value, and why.
public struct SpecProblem: Hashable, Sendable, CustomStringConvertible {
    public let file: String
    /// 1-based line in `file`; 0 when the problem has no single place (an empty file).
    public let line: Int
    /// Dotted path of the key (`base.heads`, `axes.context[2]`).
    public let key: String
    public let value: String
    public let message: String

    public init(file: String, line: Int, key: String, value: String, message: String) {
        self.file = file; self.line = line; self.key = key; self.value = value; self.message = message
    }

    public var description: String {
        let place = line > 0 ? "\(file):\(line)" : file
        let what = value.isEmpty ? key : "\(key) = \(value)"
        return what.isEmpty ? "\(place): \(message)" : "\(place): \(what): \(message)"
    }
}

/// Every problem found in a spec, reported together so one edit fixes them all.
public struct SpecValidationError: Error, CustomStringConvertible {
    public let problems: [SpecProblem]
    public init(problems: [SpecProblem]) { self.problems = problems }
    public var description: String {
        let noun = problems.count == 1 ? "problem" : "problems"
        return (["\(problems.count) \(noun) in sweep spec:"] + problems.map { "  \($0)" })
            .joined(separator: "\n")
    }
}
