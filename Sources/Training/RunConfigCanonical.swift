import Foundation

extension RunConfig {
    /// The config with every field that does not apply to its architecture removed and every
    /// default that does apply filled in. Two configs that train the same run canonicalize to
    /// the same value; ``id`` hashes this form.
    public func canonicalized() -> RunConfig {
        var c = self
        switch arch {
        case .linear:
            c.depth = nil; c.heads = nil; c.ffnWidth = nil; c.hiddenWidth = nil; c.hidden = nil
            c.dropout = nil; c.positions = nil; c.norm = nil; c.tiedHead = nil
            c.objective = .last
        case .mlp:
            c.heads = nil; c.ffnWidth = nil; c.positions = nil; c.norm = nil; c.tiedHead = nil
            let widths = hidden ?? Array(repeating: hiddenWidth ?? 256, count: depth ?? 2)
            c.hidden = widths; c.depth = widths.count; c.hiddenWidth = nil
            c.dropout = dropout ?? 0.1
            c.objective = .last
        case .attention, .transformer:
            c.hidden = nil; c.hiddenWidth = nil
            c.depth = arch == .attention ? 1 : (depth ?? 3)
            c.heads = heads ?? 4
            c.ffnWidth = ffnWidth ?? 4 * dModel
            c.dropout = dropout ?? 0.1
            c.positions = positions ?? .learned
            c.norm = norm ?? .post
            c.tiedHead = tiedHead ?? false
        }
        switch evalMode {
        case .study:
            c.evalStride = nil
            c.evalWindows = evalWindows ?? 10_000
        case .full:
            c.evalWindows = nil
            // A model that predicts only the last position needs a window per predicted token.
            c.evalStride = c.objective == .last ? 1 : (evalStride ?? max(1, context / 2))
        }
        if schedule == .constant { c.warmupSteps = 0 }
        switch optimizer {
        case .adam, .adamw: c.momentum = 0.9
        case .sgd: c.beta1 = 0.9; c.beta2 = 0.999
        }
        return c
    }

    /// The run's identity: 16 hex digits of the FNV-1a 64-bit hash of the canonical config's
    /// JSON with sorted keys. Position in a sweep never enters it, so resume, dedupe and merge
    /// all follow from it.
    public var id: String {
        let hash = fnv1a64(canonicalJSON())
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The canonical config as compact JSON with sorted keys (the bytes that ``id`` hashes).
    public func canonicalJSON() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a struct of strings, numbers and enums cannot fail.
        return try! encoder.encode(canonicalized())
    }

    /// Mean hidden or block count, for table sorting: 0 where depth does not apply.
    public var effectiveDepth: Int { canonicalized().depth ?? 0 }
}

/// FNV-1a, 64-bit (Fowler–Noll–Vo): tiny, stable across platforms and Swift versions,
/// unlike `Hasher`, which is seeded per process.
func fnv1a64(_ data: Data) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in data {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01b3
    }
    return hash
}
