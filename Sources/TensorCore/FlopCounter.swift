/// Exact FLOP accounting: every op adds what it executed, forward and backward separately,
/// and the optimizer separately. Matmuls count 2·m·n·k (one multiply and one add per term,
/// the PaLM appendix B / Kaplan convention). Everything else follows `FlopConvention`, the one
/// table of per-element costs, so a closed form can be written against it.
public final class FlopCounter {
    public enum Phase { case forward, backward, optimizer }

    public var forward: Double = 0
    public var backward: Double = 0
    public var optimizer: Double = 0
    public var total: Double { forward + backward + optimizer }

    public init() {}

    public func reset() {
        forward = 0; backward = 0; optimizer = 0
    }

    @inline(__always) func add(_ flops: Double, _ phase: Phase) {
        switch phase {
        case .forward: forward += flops
        case .backward: backward += flops
        case .optimizer: optimizer += flops
        }
    }

    @inline(__always) func addMatmul(m: Int, n: Int, k: Int, _ phase: Phase) {
        add(FlopConvention.matmul(m: m, n: n, k: k), phase)
    }
}

/// The per-op FLOP conventions, in one place. Costs are per element of the tensor named in
/// each comment. A transcendental (exp, tanh, sqrt, log) counts as 1; comparisons count as 1;
/// accumulating a gradient into an existing buffer (`+=`) is bookkeeping and is not counted;
/// copies, gathers and layout changes (reshape, split/merge heads, concat, last position) cost 0.
public enum FlopConvention {
    /// C = A·B with A (m, k), B (k, n): one multiply and one add per term.
    @inline(__always) public static func matmul(m: Int, n: Int, k: Int) -> Double {
        2 * Double(m) * Double(n) * Double(k)
    }

    // Elementwise: per output element.
    public static let addForward: Double = 1
    /// Reducing a broadcast operand's gradient (bias gradient): per element of the output gradient.
    public static let broadcastReduceBackward: Double = 1
    public static let mulForward: Double = 1
    /// Both input gradients: dy·b and dy·a.
    public static let mulBackward: Double = 2
    /// Bias add inside `linear`: per output element.
    public static let biasForward: Double = 1
    public static let reluForward: Double = 1
    public static let reluBackward: Double = 1
    /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    public static let geluForward: Double = 9
    /// The derivative of the tanh form, reusing tanh: 16 operations per element.
    public static let geluBackward: Double = 16
    public static let dropoutForward: Double = 1
    public static let dropoutBackward: Double = 1

    // Normalisation: per element of the normalised tensor.
    /// mean (1), variance (sub, square, add: 3), normalise (sub, mul: 2), affine (2).
    public static let layerNormForward: Double = 8
    /// dnorm = dy·w (1), two row means (4), dx (4), dw (2), db (1).
    public static let layerNormBackward: Double = 12
    /// max (1), subtract (1), exp (1), sum (1), scale by 1/sum (1).
    public static let softmaxForward: Double = 5
    /// dy·y (1), row sum (1), subtract (1), multiply by y (1).
    public static let softmaxBackward: Double = 4

    // Attention per (batch, head): the four T×T×D GEMMs count as matmuls (the 1/√D scale rides
    // in the GEMM's alpha and costs nothing extra); the masked softmax counts `softmaxForward`
    // and `softmaxBackward` per unmasked score (j ≤ i when causal), and attention dropout
    // counts `dropoutForward` / `dropoutBackward` per unmasked score.

    /// RoPE: each output element is x1·cos ∓ x2·sin: 2 multiplies and 1 add.
    public static let ropeForward: Double = 3
    public static let ropeBackward: Double = 3

    // Fused log-softmax + NLL, per logit.
    /// max (1), subtract (1), exp (1), sum (1).
    public static let crossEntropyForward: Double = 4
    /// exp(x − lse) (2) and scale by 1/N (1); the one-hot subtraction per row is not counted.
    public static let crossEntropyBackward: Double = 3
    /// Per row: log of the sum, add the max, subtract the target logit, add to the mean.
    public static let crossEntropyForwardPerRow: Double = 4

    // Reductions, per input element.
    public static let sumForward: Double = 1
    public static let meanForward: Double = 1
    /// Broadcasting 1/N back: per input element.
    public static let meanBackward: Double = 1

    /// Embedding: the gather costs nothing; the backward scatter adds one per gathered element.
    public static let embeddingBackward: Double = 1

    // Optimizers, per parameter.
    /// m ← β1·m + (1−β1)·g (3), v ← β2·v + (1−β2)·g² (4), the step lr/(1−β1ᵗ) · m / (√(v/(1−β2ᵗ)) + ε):
    /// divide, sqrt, add ε, divide, multiply, subtract (6). Bias corrections are per step, not per element.
    public static let adam: Double = 13
    /// Weight decay: g + λ·p (Adam) or p − lr·λ·p (AdamW): 2 per parameter.
    public static let weightDecay: Double = 2
    /// SGD: p − lr·g (2); with momentum b ← μ·b + g (2) first.
    public static let sgd: Double = 2
    public static let sgdMomentum: Double = 2
    /// Global gradient norm: square and add per parameter; clipping multiplies once more.
    public static let gradNorm: Double = 2
    public static let gradClip: Double = 1
}
