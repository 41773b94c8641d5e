// Corpus uses TensorCore for its seeded RNG only (DESIGN.md: Corpus knows nothing of tensors).
import struct TensorCore.RNG

/// Which positions of a window are trained on. Raw values match run configs' `objective`.
public enum WindowTargets: String, CaseIterable, Codable, Sendable {
    /// The study's objective: one target per window, the token right after it.
    case last
    /// Standard language modelling: every position predicts its next token.
    case all
}

/// A preallocated batch of training windows, refilled in place by ``TrainingWindowSampler``.
///
/// Layouts (row-major): `inputs` (batchSize, contextLength); `targets` (batchSize) for `.last`,
/// (batchSize, contextLength) for `.all`, where `targets[w*T + p]` is the token after input
/// position `p` of window `w`.
public struct TrainingBatch: Sendable {
    public let batchSize: Int
    public let contextLength: Int
    public let targetsMode: WindowTargets
    public internal(set) var inputs: [Int32]
    public internal(set) var targets: [Int32]
    /// Windows filled by the last ``TrainingWindowSampler/fill(_:windows:)``: `batchSize` except
    /// for a shorter final batch of an epoch. Rows past it hold stale windows.
    public internal(set) var windowCount: Int = 0

    public init(batchSize: Int, contextLength: Int, targets targetsMode: WindowTargets) {
        precondition(batchSize > 0 && contextLength > 0, "a batch needs positive batchSize and contextLength")
        self.batchSize = batchSize
        self.contextLength = contextLength
        self.targetsMode = targetsMode
        inputs = [Int32](repeating: 0, count: batchSize * contextLength)
        targets = [Int32](repeating: 0, count: targetsMode == .last ? batchSize : batchSize * contextLength)
    }
}

/// Random training windows, drawn uniformly with replacement from the train prefix, as the study
/// samples them. A window starting at `s` is `tokens[s ..< s+T]`; its targets are the tokens one
/// step later, so `s` ranges over `0 ..< trainTokenCount − T`.
///
/// Deterministic: the same tokens, context, cap and RNG state give the same windows, in the same
/// order, on any rank. ``fill(_:windows:)`` allocates nothing: it overwrites the batch's arrays.
public struct TrainingWindowSampler: Sendable {
    /// The RNG stream label for the data sampler, so a run's sampling never shifts its
    /// initialization or dropout draws (see `RNG.init(seed:stream:)`).
    public static let rngStream: UInt64 = 0x5341_4D50_4C45 // "SAMPLE"

    public let contextLength: Int
    /// Tokens windows are drawn from: the train split, or its first `maxTrainTokens`.
    public let trainTokenCount: Int
    private let tokens: [Int32]
    public private(set) var rng: RNG

    /// - Parameters:
    ///   - tokens: the train split (not copied: arrays share storage).
    ///   - maxTrainTokens: use only this prefix (the study: the first 80,000 word tokens).
    ///   - rng: the sampler's own generator, e.g. `RNG(seed: seed, stream: rngStream)`.
    public init(tokens: [Int32], contextLength: Int, maxTrainTokens: Int? = nil, rng: RNG) throws {
        precondition(contextLength > 0, "contextLength must be positive")
        precondition(maxTrainTokens.map { $0 > 0 } ?? true, "maxTrainTokens must be positive")
        let available = min(tokens.count, maxTrainTokens ?? tokens.count)
        guard available > contextLength else {
            throw CorpusError.splitTooShort(split: .train, tokens: available, needed: contextLength + 1,
                                            contextLength: contextLength)
        }
        self.tokens = tokens
        self.contextLength = contextLength
        self.trainTokenCount = available
        self.rng = rng
    }

    public init(tokens: [Int32], contextLength: Int, maxTrainTokens: Int? = nil, seed: UInt64) throws {
        try self.init(tokens: tokens, contextLength: contextLength, maxTrainTokens: maxTrainTokens,
                      rng: RNG(seed: seed, stream: Self.rngStream))
    }

    /// How many distinct windows there are to draw from.
    public var windowStartCount: Int { trainTokenCount - contextLength }

    /// Continues from a generator state a checkpoint saved (``rng``), drawing next exactly the
    /// windows the uninterrupted sampler would have drawn.
    public mutating func resume(rng: RNG) {
        self.rng = rng
    }

    /// Overwrites the first `windows` rows of `batch` (all of it by default) with fresh random
    /// windows and their targets.
    public mutating func fill(_ batch: inout TrainingBatch, windows: Int? = nil) {
        let count = windows ?? batch.batchSize
        precondition(batch.contextLength == contextLength, "batch context \(batch.contextLength) ≠ sampler context \(contextLength)")
        precondition(count >= 0 && count <= batch.batchSize, "windows must be in 0...batchSize")
        let length = contextLength
        let starts = windowStartCount
        let allTargets = batch.targetsMode == .all
        for window in 0..<count {
            let start = rng.nextInt(below: starts)
            let row = window * length
            // Same-length range replacement copies in place (a memmove), with no per-element checks.
            batch.inputs.replaceSubrange(row ..< row + length, with: tokens[start ..< start + length])
            if allTargets {
                batch.targets.replaceSubrange(row ..< row + length, with: tokens[start + 1 ... start + length])
            } else {
                batch.targets[window] = tokens[start + length]
            }
        }
        batch.windowCount = count
    }
}

extension LoadedCorpus {
    /// A sampler over this corpus's train split for a run with `seed`.
    public func trainingSampler(contextLength: Int, maxTrainTokens: Int? = nil,
                                seed: UInt64) throws -> TrainingWindowSampler {
        try TrainingWindowSampler(tokens: train, contextLength: contextLength,
                                  maxTrainTokens: maxTrainTokens, seed: seed)
    }
}
