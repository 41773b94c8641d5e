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
        let c = canonicalized()
        check(context >= 1, "context", context, "must be at least 1")
        check(dModel >= 1, "d_model", dModel, "must be at least 1")
        check(batchSize >= 1, "batch_size", batchSize, "must be at least 1")
        check(epochs >= 1, "epochs", epochs, "must be at least 1")
        check(windowsPerEpoch >= 1, "windows_per_epoch", windowsPerEpoch, "must be at least 1")
        check(lr > 0 && lr.isFinite, "lr", lr, "must be a positive number")
        check(weightDecay >= 0, "weight_decay", weightDecay, "must not be negative")
        check((0..<1).contains(beta1), "beta1", beta1, "must be in [0, 1)")
        check((0..<1).contains(beta2), "beta2", beta2, "must be in [0, 1)")
        check((0..<1).contains(momentum), "momentum", momentum, "must be in [0, 1)")
        check(warmupSteps >= 0, "warmup_steps", warmupSteps, "must not be negative")
        if let v = gradClip { check(v > 0, "grad_clip", v, "must be positive") }
        if let v = maxTrainTokens { check(v > context, "max_train_tokens", v, "must exceed context (\(context))") }
        if let v = tokenBudget { check(v >= 1, "token_budget", v, "must be at least 1") }
        if let v = flopBudget { check(v > 0 && v.isFinite, "flop_budget", v, "must be a positive number") }
        if let v = maxSteps { check(v >= 1, "max_steps", v, "must be at least 1") }
        if let v = evalEvery { check(v >= 1, "eval_every", v, "must be at least 1") }
        if let v = c.evalWindows { check(v >= 1, "eval_windows", v, "must be at least 1") }
        if let v = c.evalStride {
            check((1...max(1, context)).contains(v), "eval_stride", v, "must be in 1...context (\(context))")
        }
        if let d = c.dropout { check((0..<1).contains(d), "dropout", d, "must be in [0, 1)") }
        switch convention {
        case .nanogpt:
            check(dataset == .tinyshakespeare, "convention", "nanogpt", "applies to tinyshakespeare only")
        case .standard:
            check(dataset != .tinyshakespeare, "convention", "standard", "applies to ptb and wikitext2 only (use study or nanogpt)")
        case .study: break
        }
        switch arch {
        case .linear: break
        case .mlp:
            if hidden == nil, let d = depth { check(d >= 1, "depth", d, "must be at least 1") }
            let widths = c.hidden ?? []
            check(!widths.isEmpty, "hidden", widths, "an MLP needs at least one hidden layer")
            check(widths.allSatisfy { $0 >= 1 }, "hidden", widths, "every width must be at least 1")
        case .attention, .transformer:
            let heads = c.heads ?? 0
            check(heads >= 1, "heads", heads, "must be at least 1")
            if heads >= 1 {
                check(dModel % heads == 0, "heads", heads, "must divide d_model (\(dModel))")
                if c.positions == .rope, dModel % heads == 0 {
                    check((dModel / heads) % 2 == 0, "positions", "rope",
                          "needs an even head size; d_model / heads = \(dModel / heads)")
                }
            }
            check((c.depth ?? 0) >= 1, "depth", c.depth ?? 0, "must be at least 1")
            check((c.ffnWidth ?? 0) >= 1, "ffn_width", c.ffnWidth ?? 0, "must be at least 1")
        }
        return issues
    }
}
