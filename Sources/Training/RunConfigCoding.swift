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
        let any = try decoder.container(keyedBy: AnyKey.self)
        for key in any.allKeys where CodingKeys(rawValue: key.stringValue) == nil {
            throw UnknownKeyError(key: key.stringValue, codingPath: any.codingPath + [key])
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func take<T: Decodable>(_ field: inout T, _ key: CodingKeys) throws {
            if let value = try c.decodeIfPresent(T.self, forKey: key) { field = value }
        }
        func takeOptional<T: Decodable>(_ field: inout T?, _ key: CodingKeys) throws {
            if c.contains(key) { field = try c.decodeIfPresent(T.self, forKey: key) }
        }
        try take(&dataset, .dataset); try take(&convention, .convention)
        try takeOptional(&maxTrainTokens, .maxTrainTokens)
        try take(&arch, .arch); try take(&context, .context); try take(&dModel, .dModel)
        try takeOptional(&heads, .heads); try takeOptional(&depth, .depth)
        try takeOptional(&ffnWidth, .ffnWidth); try takeOptional(&hiddenWidth, .hiddenWidth)
        try takeOptional(&hidden, .hidden); try takeOptional(&dropout, .dropout)
        try takeOptional(&positions, .positions); try takeOptional(&norm, .norm)
        try takeOptional(&tiedHead, .tiedHead)
        try take(&objective, .objective); try take(&optimizer, .optimizer); try take(&lr, .lr)
        try take(&weightDecay, .weightDecay); try take(&beta1, .beta1); try take(&beta2, .beta2)
        try take(&momentum, .momentum); try take(&schedule, .schedule)
        try take(&warmupSteps, .warmupSteps); try takeOptional(&gradClip, .gradClip)
        try take(&batchSize, .batchSize); try take(&seed, .seed)
        try take(&epochs, .epochs); try take(&windowsPerEpoch, .windowsPerEpoch)
        try takeOptional(&tokenBudget, .tokenBudget); try takeOptional(&flopBudget, .flopBudget)
        try takeOptional(&maxSteps, .maxSteps); try takeOptional(&evalEvery, .evalEvery)
        try take(&evalMode, .evalMode); try takeOptional(&evalWindows, .evalWindows)
        try takeOptional(&evalStride, .evalStride); try take(&restoreBest, .restoreBest)
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// Levenshtein distance, for "did you mean" hints on misspelt keys.
func editDistance(_ a: String, _ b: String) -> Int {
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
