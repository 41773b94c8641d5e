import Foundation

/// One problem with a run config: the key, the offending value, and why.
public struct ConfigIssue: Error, Hashable, Sendable, CustomStringConvertible {
    public let key: String
    public let value: String
    public let message: String
    public init(key: String, value: String, message: String) {
        self.key = key; self.value = value; self.message = message
    }
    public var description: String { "\(key) = \(value): \(message)" }
}

extension RunConfig {
    /// Every problem with this config that can be known without reading data, all at once.
    /// (Whether the context fits a split needs the corpus: ``Sweep`` checks that.)
    public func validate() -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        func check(_ ok: Bool, _ key: String, _ value: Any, _ message: String) {
            if !ok { issues.append(ConfigIssue(key: key, value: "\(value)", message: message)) }
        }
        // Upper limits far above any small model, low enough that no product of sizes in the cost
        // model or an allocation overflows: a config is refused, never a trap.
        func size(_ value: Int, _ key: String, max limit: Int) {
            check((1...limit).contains(value), key, value, "must be in 1...\(limit)")
        }
        let c = canonicalized()
        size(context, "context", max: Limits.context)
        size(dModel, "d_model", max: Limits.width)
        size(batchSize, "batch_size", max: Limits.batch)
        size(epochs, "epochs", max: Limits.epochs)
        size(windowsPerEpoch, "windows_per_epoch", max: Limits.count)
        check(lr > 0 && lr.isFinite, "lr", lr, "must be a positive number")
        check(weightDecay >= 0 && weightDecay.isFinite, "weight_decay", weightDecay, "must be a non-negative number")
        check((0..<1).contains(beta1), "beta1", beta1, "must be in [0, 1)")
        check((0..<1).contains(beta2), "beta2", beta2, "must be in [0, 1)")
        check((0..<1).contains(momentum), "momentum", momentum, "must be in [0, 1)")
        check((0...Limits.count).contains(warmupSteps), "warmup_steps", warmupSteps, "must be in 0...\(Limits.count)")
        if let v = gradClip { check(v > 0 && v.isFinite, "grad_clip", v, "must be a positive number") }
        if let v = maxTrainTokens { check(v > context && v <= Limits.tokens, "max_train_tokens", v, "must exceed context (\(context)) and be at most \(Limits.tokens)") }
        if let v = tokenBudget { size(v, "token_budget", max: Limits.tokens) }
        if let v = flopBudget { check(v > 0 && v <= 1e24, "flop_budget", v, "must be a positive number at most 1e24") }
        if sizeToBudget == true {
            check(flopBudget != nil, "size_to_budget", true, "sizes a run to its flop_budget; set flop_budget too")
        }
        if let v = maxSteps { size(v, "max_steps", max: Limits.count) }
        if let v = checkpointEvery { check(v >= 0 && v <= 1e9, "checkpoint_every", v, "must be seconds in 0...1e9 (0: no checkpoints)") }
        if let v = evalEvery { size(v, "eval_every", max: Limits.count) }
        if let v = c.evalWindows { size(v, "eval_windows", max: Limits.count) }
        if let v = c.evalStride {
            check((1...max(1, context)).contains(v), "eval_stride", v, "must be in 1...context (\(context))")
        }
        if let d = c.dropout { check((0..<1).contains(d), "dropout", d, "must be in [0, 1)") }
        if dataset == .text {
            check(!(textPath ?? "").isEmpty, "text_path", textPath ?? "", "dataset text needs the corpus file (text_path, or dataset: text:PATH)")
            if let sum = textSHA256 {
                check(sum.count == 64 && sum.allSatisfy(\.isHexDigit), "text_sha256", sum, "must be 64 hex digits")
            }
        } else {
            check(textPath == nil, "text_path", textPath ?? "", "applies to dataset text only")
            check(textSHA256 == nil, "text_sha256", textSHA256 ?? "", "applies to dataset text only")
            check(tokenizer == nil, "tokenizer", tokenizer?.rawValue ?? "", "applies to dataset text only")
        }
        switch convention {
        case .nanogpt:
            check(dataset == .tinyshakespeare, "convention", "nanogpt", "applies to tinyshakespeare only")
        case .standard:
            check(dataset == .ptb || dataset == .wikitext2, "convention", "standard", "applies to ptb and wikitext2 only")
        case .study: break
        }
        switch arch {
        case .linear: break
        case .mlp:
            if hidden == nil, let d = depth { size(d, "depth", max: Limits.depth) }
            if hidden == nil, let w = hiddenWidth { size(w, "hidden_width", max: Limits.width) }
            let widths = c.hidden ?? []
            check((1...Limits.depth).contains(widths.count), "hidden", widths, "an MLP needs 1...\(Limits.depth) hidden layers")
            check(widths.allSatisfy { (1...Limits.width).contains($0) }, "hidden", widths, "every width must be in 1...\(Limits.width)")
        case .attention, .transformer:
            let heads = c.heads ?? 0
            check((1...max(1, dModel)).contains(heads), "heads", heads, "must be in 1...d_model (\(dModel))")
            if heads >= 1 {
                check(dModel % heads == 0, "heads", heads, "must divide d_model (\(dModel))")
                if c.positions == .rope, dModel % heads == 0 {
                    check((dModel / heads) % 2 == 0, "positions", "rope",
                          "needs an even head size; d_model / heads = \(dModel / heads)")
                }
            }
            size(c.depth ?? 0, "depth", max: Limits.depth)
            size(c.ffnWidth ?? 0, "ffn_width", max: Limits.width)
            if c.blockStyle == .study {
                check(c.norm == .pre, "block_style", "study",
                      "is the study's pre-LN block; set norm: pre (its post-LN block is the standard one)")
            }
        }
        return issues
    }
}

/// The largest value each kind of size may take (see ``RunConfig/validate()``). Products of
/// these stay far inside 64 bits: context × width × width < 2⁶³ and so on.
public enum Limits {
    public static let context = 1 << 20
    public static let width = 1 << 16
    public static let batch = 1 << 20
    public static let depth = 1 << 10
    /// Windows per epoch, steps and other counts.
    public static let count = 1 << 40
    /// Epochs × windows per epoch stays below 2⁶⁰.
    public static let epochs = 1 << 20
    public static let tokens = 1 << 50
}
