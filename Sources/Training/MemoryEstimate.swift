import Foundation

/// What a run needs in memory, worked out before it allocates, so that a run too large for the
/// machine is a `failed` record with the reason instead of a rank the allocator aborts (which
/// every resume would repeat).
public enum MemoryEstimate {
    /// Bytes a run holds at its peak: parameters with their gradients, Adam's two moments and the
    /// best-valid snapshot (5 × 4 bytes each), and one training step's activations and their
    /// gradients. Per window and transformer block the step keeps about T·(12·d + 2·f) floats
    /// plus 1.1·H·T² for attention, 1.2 per logit, and 0.8 as much again for the gradients
    /// (fitted to the tensor core's arenas: 5 to 23% above them for transformers at T 64 to 256,
    /// V 65 and 10,000, both objectives).
    public static func bytes(_ run: Run, vocabularySize vocab: Int) -> Double {
        let parameters = Double(CostEstimate.parameters(run, vocabularySize: vocab).total)
        let (t, d, batch) = (Double(run.context), Double(run.dModel), Double(run.batchSize))
        var perWindow = t * d * 2 + Double(run.targetsPerWindow) * Double(vocab) * 1.2  // embeddings; logits
        switch run.architecture {
        case .linear:
            break
        case .mlp:
            perWindow += Double(run.hidden.reduce(0, +)) * 3
        case .attention, .transformer:
            // The `last` objective runs its final block on one position: count it as a fifth.
            let blocks = Double(run.depth) - (run.objective == .last ? 0.8 : 0)
            let block = t * (12 * d + 2 * Double(run.ffnWidth)) + 1.1 * Double(run.heads) * t * t
            perWindow += blocks * block
        }
        return 20 * parameters + 1.8 * 4 * batch * perWindow
    }

    /// Bytes this machine can still give: the kernel's `MemAvailable`, or the cgroup's limit less
    /// its use when that is lower (a container, a SLURM job); nil where neither is readable.
    public static func availableBytes() -> Double? {
        var available: Double?
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kib = Double(line.split(separator: " ").dropFirst().first ?? "") {
            available = kib * 1024
        }
        func read(_ path: String) -> Double? {
            (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        if let limit = read("/sys/fs/cgroup/memory.max"), let used = read("/sys/fs/cgroup/memory.current") {
            available = min(available ?? .infinity, max(0, limit - used))
        }
        return available
    }

    /// Why `run` cannot run here, or nil when it fits in `available` bytes.
    public static func refusal(_ run: Run, vocabularySize vocab: Int, available: Double?) -> String? {
        guard let available else { return nil }
        let needed = bytes(run, vocabularySize: vocab)
        guard needed > available else { return nil }
        func gib(_ bytes: Double) -> String { String(format: "%.1f GiB", bytes / Double(1 << 30)) }
        return "needs about \(gib(needed)) (parameters, optimizer state, one step's activations), more than the "
            + "\(gib(available)) this machine has available: reduce batch_size, context or the model's width"
    }
}
