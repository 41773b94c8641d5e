/// How a split is evaluated; the cases are run configs' `eval_mode` (`study`, `full`) with their
/// parameters (`eval_windows`, `eval_stride`).
public enum EvaluationMode: Sendable, Hashable {
    /// The study's protocol: the first `windows` windows of the split at stride 1, last position
    /// only (window i = tokens[i ..< i+T], target tokens[i+T]). Fewer when the split is shorter.
    case study(windows: Int)
    /// Every token of the split except the first (which has no context) predicted exactly once,
    /// from windows at stride `stride` (1...T): the first window scores all its positions, each
    /// later one only its last `stride` positions (the tail window fewer), so every prediction
    /// after the first window sees at least T − stride tokens of context.
    case full(stride: Int)
}

/// The windows of one split to evaluate, and which of their positions are scored.
///
/// **NLL convention.** Report the per-token mean: the sum over every scored target of −ln p(target)
/// divided by ``scoredTargetCount`` (nats). Not the mean of per-batch means, which weighs a short
/// last batch wrongly. Under `.study` every window scores one target, so it is also the mean over
/// windows, the study's figure.
public struct EvaluationWindows: Sendable {
    public let mode: EvaluationMode
    public let contextLength: Int
    /// Start of each window in the split: inputs tokens[s ..< s+T], targets tokens[s+1 ... s+T].
    public let windowStarts: [Int]
    /// Per window, the first scored position p (p ..< T are scored; T−1 for `.study`).
    public let firstScoredPositions: [Int]
    private let tokens: [Int32]

    /// - Throws: ``CorpusError/splitTooShort(split:tokens:needed:contextLength:)`` when the split
    ///   has no full window (fewer than T + 1 tokens).
    public init(tokens: [Int32], split: Split, contextLength: Int, mode: EvaluationMode) throws {
        let length = contextLength
        precondition(length > 0, "contextLength must be positive")
        guard tokens.count > length else {
            throw CorpusError.splitTooShort(split: split, tokens: tokens.count, needed: length + 1,
                                            contextLength: length)
        }
        let lastStart = tokens.count - 1 - length
        var starts: [Int] = [], firstScored: [Int] = []
        switch mode {
        case let .study(windows):
            precondition(windows > 0, "study evaluation needs a positive window count")
            starts = Array(0..<min(windows, lastStart + 1))
            firstScored = [Int](repeating: length - 1, count: starts.count)
        case let .full(stride):
            precondition(stride >= 1 && stride <= length, "evaluation stride must be in 1...contextLength")
            starts = Array(Swift.stride(from: 0, through: lastStart, by: stride))
            firstScored = [0] + [Int](repeating: length - stride, count: starts.count - 1)
            // A tail window ending on the split's last token scores only what is still unscored.
            if let previous = starts.last, previous < lastStart {
                starts.append(lastStart)
                firstScored.append(previous + length - lastStart)
            }
        }
        self.mode = mode
        self.contextLength = length
        self.windowStarts = starts
        self.firstScoredPositions = firstScored
        self.tokens = tokens
    }

    public var windowCount: Int { windowStarts.count }

    /// Targets scored over all windows: the NLL denominator.
    public var scoredTargetCount: Int { firstScoredPositions.reduce(0) { $0 + contextLength - $1 } }

    /// True under `.study`: a model that predicts only the last position can evaluate.
    public var scoresLastPositionOnly: Bool { firstScoredPositions.allSatisfy { $0 == contextLength - 1 } }

    /// The windows in batches of at most `size`, in order.
    public func batches(size: Int) -> EvaluationBatches {
        precondition(size > 0, "batch size must be positive")
        return EvaluationBatches(windows: self, size: size)
    }

    /// Up to `size` windows from window `first` on (the last batch may be shorter).
    func batch(startingAt first: Int, size: Int) -> EvaluationBatch {
        let count = min(size, windowCount - first)
        let length = contextLength
        var inputs = [Int32](repeating: 0, count: count * length)
        var targets = [Int32](repeating: 0, count: count * length)
        for window in 0..<count {
            let start = windowStarts[first + window]
            for position in 0..<length {
                inputs[window * length + position] = tokens[start + position]
                targets[window * length + position] = tokens[start + position + 1]
            }
        }
        return EvaluationBatch(windowCount: count, contextLength: length, inputs: inputs, targets: targets,
                               firstScoredPositions: Array(firstScoredPositions[first..<(first + count)]))
    }
}

/// A batch of evaluation windows. Layouts (row-major): `inputs` and `targets` are
/// (windowCount, contextLength); `targets[w*T + p]` is the token after input position p of window w,
/// and only positions `firstScoredPositions[w] ..< T` count towards the NLL.
public struct EvaluationBatch: Sendable {
    public let windowCount: Int
    public let contextLength: Int
    public let inputs: [Int32]
    public let targets: [Int32]
    public let firstScoredPositions: [Int]

    public var scoredTargetCount: Int { firstScoredPositions.reduce(0) { $0 + contextLength - $1 } }

    /// The last position's target of each window, (windowCount): what a last-position model scores.
    public var lastPositionTargets: [Int32] {
        (0..<windowCount).map { targets[$0 * contextLength + contextLength - 1] }
    }

    /// Whether position `position` of window `window` is scored.
    public func isScored(window: Int, position: Int) -> Bool { position >= firstScoredPositions[window] }
}

/// The batches of an ``EvaluationWindows``, built one at a time as they are iterated.
public struct EvaluationBatches: Sequence, IteratorProtocol, Sendable {
    let windows: EvaluationWindows
    let size: Int
    private var nextWindow = 0

    init(windows: EvaluationWindows, size: Int) {
        self.windows = windows
        self.size = size
    }

    public var count: Int { (windows.windowCount + size - 1) / size }

    public mutating func next() -> EvaluationBatch? {
        guard nextWindow < windows.windowCount else { return nil }
        defer { nextWindow += size }
        return windows.batch(startingAt: nextWindow, size: size)
    }
}

extension LoadedCorpus {
    /// The evaluation windows of `split` for a model of context `contextLength`.
    public func evaluationWindows(_ split: Split, contextLength: Int,
                                  mode: EvaluationMode) throws -> EvaluationWindows {
        try EvaluationWindows(tokens: tokens(split), split: split, contextLength: contextLength, mode: mode)
    }
}
