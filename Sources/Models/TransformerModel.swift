import TensorCore

/// A decoder-only transformer (Vaswani et al., 2017): token embeddings plus positions, `depth`
/// blocks of causal multi-head self-attention and a ReLU feed-forward net, each with a residual
/// and a LayerNorm, then a final LayerNorm and an output head with bias.
///
/// - Blocks are post-LN (`x = LN(x + MHA(x))`, `x = LN(x + FFN(x))`: the study's runs) or
///   pre-LN (`x = x + MHA(LN(x))`, `x = x + FFN(LN(x))`: GPT-2).
/// - ``ModelConfig/BlockStyle`` says where dropout goes and how the attention projections start.
/// - Positions are a learned table, RoPE on queries and keys (Su et al., 2021; NeoX split-half,
///   base 10,000) or none.
/// - The study's "self-attention" model is this with one block and a 4·d feed-forward net.
/// - With the `last` objective only the last position is read, so the final block computes its
///   query projection, attention output, residuals and feed-forward net for that position alone
///   (keys and values still cover the window), and the final LN and head see (B, d), not (B, T, d).
///   The logits are those of the full computation; the exact FLOP counter shows the saving.
///
/// Tensor names follow the PyTorch reference (`torch_study.py`, `Transformer` and
/// `PostLNBlock`, attention as `nn.MultiheadAttention`): `tok.weight` (V, d), `pos.weight`
/// (T, d), `blocks.{i}.attn.in_proj_weight` (3d, d) with rows q, k, v, `…attn.in_proj_bias`
/// (3d), `…attn.out_proj.weight|bias`, `…ln1.weight|bias`, `…ln2.weight|bias`,
/// `…ff.0.weight|bias` (ffn, d), `…ff.2.weight|bias` (d, ffn), `ln_f.weight|bias`,
/// `head.weight` (V, d; a copy of `tok.weight` when tied), `head.bias` (V).
public final class TransformerModel: LanguageModel {
    public let config: ModelConfig
    public let parameters = ParameterSet()
    public let embeddingParameterNames: Set<String> = ["tok.weight", "pos.weight"]
    public var supportsAllPositions: Bool { true }

    struct Block {
        /// The rows of nn.MultiheadAttention's packed in-projection, registered one after the
        /// other so that together they are exactly `in_proj_weight` (3d, d) and `in_proj_bias`
        /// (3d) in memory (see ``tensorLayout``). Separate handles let the last block project
        /// keys and values for every position but the query for the last position only.
        let qWeight, kWeight, vWeight, qBias, kBias, vBias: Parameter
        let outProjWeight, outProjBias: Parameter
        let ln1Weight, ln1Bias, ln2Weight, ln2Bias: Parameter
        let ff0Weight, ff0Bias, ff2Weight, ff2Bias: Parameter
    }
    let tokens: Parameter
    let positions: Parameter?
    let blocks: [Block]
    let lnFWeight, lnFBias: Parameter
    let headWeight: Parameter?
    let headBias: Parameter

    init(_ config: ModelConfig) {
        self.config = config
        let (V, T, d, f) = (config.vocabularySize, config.contextLength, config.dModel, config.ffnWidth)
        let p = parameters
        tokens = p.add("tok.weight", shape: [V, d], initializer: .embedding)
        positions = config.positions == .learned ? p.add("pos.weight", shape: [T, d], initializer: .embedding) : nil
        blocks = (0..<config.depth).map { i in
            let n = "blocks.\(i)"
            // nn.MultiheadAttention._reset_parameters: xavier_uniform on the packed (3d, d)
            // in-projection (fan-out 3d for every row), zero biases; out_proj keeps nn.Linear's
            // weight init. Registered in rows q, k, v order, so the draws are those of one (3d, d) matrix.
            // The study's pre-LN block has four plain nn.Linear(d, d) layers instead.
            let plain = config.blockStyle == .study
            let weight = plain ? Initializer.linearWeight(fanIn: d) : .xavierUniform(fanIn: d, fanOut: 3 * d)
            let bias = plain ? Initializer.linearBias(fanIn: d) : .zeros
            return Block(
                qWeight: p.add("\(n).attn.\(Self.packedRows[0])", shape: [d, d], initializer: weight),
                kWeight: p.add("\(n).attn.\(Self.packedRows[1])", shape: [d, d], initializer: weight),
                vWeight: p.add("\(n).attn.\(Self.packedRows[2])", shape: [d, d], initializer: weight),
                qBias: p.add("\(n).attn.\(Self.packedRows[3])", shape: [d], initializer: bias),
                kBias: p.add("\(n).attn.\(Self.packedRows[4])", shape: [d], initializer: bias),
                vBias: p.add("\(n).attn.\(Self.packedRows[5])", shape: [d], initializer: bias),
                outProjWeight: p.add("\(n).attn.out_proj.weight", shape: [d, d], initializer: .linearWeight(fanIn: d)),
                outProjBias: p.add("\(n).attn.out_proj.bias", shape: [d], initializer: bias),
                ln1Weight: p.add("\(n).ln1.weight", shape: [d], initializer: .ones),
                ln1Bias: p.add("\(n).ln1.bias", shape: [d], initializer: .zeros),
                ln2Weight: p.add("\(n).ln2.weight", shape: [d], initializer: .ones),
                ln2Bias: p.add("\(n).ln2.bias", shape: [d], initializer: .zeros),
                ff0Weight: p.add("\(n).ff.0.weight", shape: [f, d], initializer: .linearWeight(fanIn: d)),
                ff0Bias: p.add("\(n).ff.0.bias", shape: [f], initializer: .linearBias(fanIn: d)),
                ff2Weight: p.add("\(n).ff.2.weight", shape: [d, f], initializer: .linearWeight(fanIn: f)),
                ff2Bias: p.add("\(n).ff.2.bias", shape: [d], initializer: .linearBias(fanIn: f)))
        }
        lnFWeight = p.add("ln_f.weight", shape: [d], initializer: .ones)
        lnFBias = p.add("ln_f.bias", shape: [d], initializer: .zeros)
        headWeight = config.tiedHead ? nil : p.add("head.weight", shape: [V, d], initializer: .linearWeight(fanIn: d))
        headBias = p.add("head.bias", shape: [V], initializer: .linearBias(fanIn: d))
    }

    public func logits(_ g: Graph, tokens windowTokens: [Int32], batchSize B: Int,
                       predicting: PredictedPositions, dropoutRNG: inout RNG) -> Node {
        let (T, d) = (config.contextLength, config.dModel)
        var x = g.embedding(g.param(tokens), tokens: windowTokens, shape: [B, T])   // (B, T, d)
        if let positions { x = g.add(x, g.param(positions)) }                      // + (T, d) per window
        let predicted = predicting.count(contextLength: T)
        precondition(predicted >= 1 && predicted <= T, "cannot predict \(predicted) of \(T) positions")
        var h: Node
        if predicted == 1 {
            for block in blocks.dropLast() { x = fullBlock(g, block, x, &dropoutRNG) }
            h = lastPositionBlock(g, blocks[blocks.count - 1], x, &dropoutRNG)    // (B, d)
        } else {
            for block in blocks { x = fullBlock(g, block, x, &dropoutRNG) }
            if predicted < T {
                // The last k positions of each window, as one piece when k divides T, else
                // position by position.
                let flat = g.reshape(x, [B, T * d])
                x = T % predicted == 0 ? g.chunk(flat, T / predicted).last!                     // (B, k·d)
                    : g.concat(Array(g.chunk(flat, T).suffix(predicted)), axis: 1)
            }
            h = g.reshape(x, [B * predicted, d])                                   // (B·k, d)
        }
        h = g.layerNorm(h, weight: g.param(lnFWeight), bias: g.param(lnFBias))
        return g.linear(h, weight: g.param(headWeight ?? tokens), bias: g.param(headBias)) // (·, V)
    }

    /// One block over every position: x (B, T, d) → (B, T, d).
    func fullBlock(_ g: Graph, _ b: Block, _ x: Node, _ rng: inout RNG) -> Node {
        switch config.norm {
        case .post:
            let attended = selfAttention(g, b, x, lastOnly: false, &rng)
            let mixed = g.layerNorm(g.residualDropout(x, attended, p: outputDropout, rng: &rng),
                                    weight: g.param(b.ln1Weight), bias: g.param(b.ln1Bias))
            return g.layerNorm(feedForward(g, b, mixed, residual: mixed, &rng),
                               weight: g.param(b.ln2Weight), bias: g.param(b.ln2Bias))
        case .pre:
            let normed = g.layerNorm(x, weight: g.param(b.ln1Weight), bias: g.param(b.ln1Bias))
            let attended = selfAttention(g, b, normed, lastOnly: false, &rng)
            let mixed = g.residualDropout(x, attended, p: outputDropout, rng: &rng)
            let normed2 = g.layerNorm(mixed, weight: g.param(b.ln2Weight), bias: g.param(b.ln2Bias))
            return feedForward(g, b, normed2, residual: mixed, &rng)
        }
    }

    /// The same block when only its last position is read: x (B, T, d) → (B, d).
    func lastPositionBlock(_ g: Graph, _ b: Block, _ x: Node, _ rng: inout RNG) -> Node {
        switch config.norm {
        case .post:
            let attended = selfAttention(g, b, x, lastOnly: true, &rng)             // (B, d)
            let mixed = g.layerNorm(g.residualDropout(g.lastPosition(x), attended, p: outputDropout, rng: &rng),
                                    weight: g.param(b.ln1Weight), bias: g.param(b.ln1Bias))
            return g.layerNorm(feedForward(g, b, mixed, residual: mixed, &rng),
                               weight: g.param(b.ln2Weight), bias: g.param(b.ln2Bias))
        case .pre:
            // LayerNorm is per position, so normalizing every position and then reading the
            // keys and values is the full computation.
            let normed = g.layerNorm(x, weight: g.param(b.ln1Weight), bias: g.param(b.ln1Bias))
            let attended = selfAttention(g, b, normed, lastOnly: true, &rng)             // (B, d)
            let mixed = g.residualDropout(g.lastPosition(x), attended, p: outputDropout, rng: &rng)
            let normed2 = g.layerNorm(mixed, weight: g.param(b.ln2Weight), bias: g.param(b.ln2Bias))
            return feedForward(g, b, normed2, residual: mixed, &rng)
        }
    }

    /// Causal multi-head self-attention with `nn.MultiheadAttention`'s projections.
    /// x (B, T, d) → (B, T, d), or (B, d) for the last position alone. The study's block drops
    /// out the result; the caller does that with the residual add (``outputDropout``).
    func selfAttention(_ g: Graph, _ b: Block, _ x: Node, lastOnly: Bool, _ rng: inout RNG) -> Node {
        let H = config.heads
        let p = probabilityDropout
        let rope = config.positions == .rope
        func outProjection(_ y: Node) -> Node { g.linear(y, weight: g.param(b.outProjWeight), bias: g.param(b.outProjBias)) }
        if !lastOnly && !rope {
            // One GEMM against the packed (3d, d) in-projection (a copy of 3d² weights, far
            // smaller than the activations) feeds the fused attention, which reads heads in place.
            let weight = g.concat([g.param(b.qWeight), g.param(b.kWeight), g.param(b.vWeight)], axis: 0) // (3d, d)
            let bias = g.concat([g.param(b.qBias), g.param(b.kBias), g.param(b.vBias)], axis: 0)         // (3d)
            let qkv = g.linear(x, weight: weight, bias: bias)                                            // (B, T, 3d)
            return outProjection(g.attention(qkv: qkv, heads: H, causal: true, dropout: p, rng: &rng))   // (B, T, d)
        }
        func heads(_ weight: Parameter, _ bias: Parameter) -> Node {                                   // (B, H, T, D)
            g.splitHeads(g.linear(x, weight: g.param(weight), bias: g.param(bias)), heads: H)
        }
        let v = heads(b.vWeight, b.vBias)
        var k = heads(b.kWeight, b.kBias)
        if rope { k = g.rope(k) }
        if !lastOnly {
            let q = g.rope(heads(b.qWeight, b.qBias))
            return outProjection(g.mergeHeads(g.attention(q: q, k: k, v: v, causal: true, dropout: p, rng: &rng)))
        }
        let query: Node                                                                                  // (B, d)
        if rope {
            // RoPE rotates by position: rotate every query, then read the last one.
            let q = g.rope(heads(b.qWeight, b.qBias))
            let s = g.shape(q)                                                                           // (B, H, T, D)
            query = g.reshape(g.lastPosition(g.reshape(q, [s[0] * H, s[2], s[3]])), [s[0], H * s[3]])
        } else {
            query = g.linear(g.lastPosition(x), weight: g.param(b.qWeight), bias: g.param(b.qBias))
        }
        return outProjection(lastQueryAttention(g, query: query, k: k, v: v, &rng))                     // (B, d)
    }

    /// Attention for the last query alone, which sees every key (so no mask is needed):
    /// softmax(q_T·Kᵀ/√D)·V per (batch, head). query (B, H·D) with heads side by side,
    /// k, v (B, H, T, D) → (B, H·D), heads concatenated as `mergeHeads` does. Dropout on the
    /// probabilities as in the full kernel.
    func lastQueryAttention(_ g: Graph, query: Node, k: Node, v: Node, _ rng: inout RNG) -> Node {
        let shape = g.shape(k)
        let (B, H, T, D) = (shape[0], shape[1], shape[2], shape[3])
        let scale = g.constant(shape: [D], values: [Float](repeating: 1 / Float(D).squareRoot(), count: D))
        let q = g.mul(g.reshape(query, [B * H, 1, D]), scale)                                   // (BH, 1, D)
        let scores = g.matmul(q, g.reshape(k, [B * H, T, D]), transposeB: true)                // (BH, 1, T)
        let probabilities = g.dropout(g.softmax(scores), p: probabilityDropout, rng: &rng)
        let y = g.matmul(probabilities, g.reshape(v, [B * H, T, D]))                          // (BH, 1, D)
        return g.reshape(y, [B, H * D])                                                        // (B, d)
    }

    /// Names of the packed in-projection's pieces inside the ParameterSet, in memory order.
    static let packedRows = ["in_proj_weight.q", "in_proj_weight.k", "in_proj_weight.v",
                             "in_proj_bias.q", "in_proj_bias.k", "in_proj_bias.v"]

    /// The PyTorch tensors: each block's q, k, v rows merged back into `in_proj_weight` (3d, d)
    /// and `in_proj_bias` (3d), which they already are in memory; a tied `head.weight` is a
    /// second name for `tok.weight`.
    public var tensorLayout: [TensorLayout] {
        var layout: [TensorLayout] = []
        for entry in parameters.entries {
            let count = entry.shape.reduce(1, *)
            if let piece = Self.packedRows.firstIndex(where: { entry.name.hasSuffix(".attn." + $0) }) {
                let packed = String(entry.name.dropLast(2))                              // "...in_proj_weight"
                if piece % 3 == 0 {
                    layout.append(TensorLayout(name: packed, shape: [3 * entry.shape[0]] + entry.shape.dropFirst(), offset: entry.offset))
                }
                precondition(layout.last!.name == packed && layout.last!.offset + (piece % 3) * count == entry.offset,
                             "\(entry.name) is not laid out right after its packed neighbour")
                continue
            }
            if entry.name == "head.bias", config.tiedHead, let table = layout.first {
                // A tied head is the token table: written under both names, as PyTorch's
                // state_dict of a tied module lists it, so a strict load works there too.
                layout.append(TensorLayout(name: "head.weight", shape: table.shape, offset: table.offset))
            }
            layout.append(TensorLayout(name: entry.name, shape: entry.shape, offset: entry.offset))
        }
        return layout
    }

    /// Dropout on the attention probabilities: the block's dropout, or none in the study's pre-LN block.
    var probabilityDropout: Float { config.blockStyle == .study ? 0 : config.dropout }

    /// Dropout on the attention output before its residual add (one pass, `residualDropout`):
    /// the study's pre-LN block only.
    var outputDropout: Float { config.blockStyle == .study ? config.dropout : 0 }

    /// Linear → ReLU → Linear → Dropout, on the last axis, added to `residual`; the study's pre-LN
    /// block drops out the result a second time on its residual branch (two independent masks,
    /// drawn in that order). The first linear and its ReLU are one pass over the GEMM's output;
    /// the last dropout and the residual add are another (`residualDropout`).
    func feedForward(_ g: Graph, _ b: Block, _ x: Node, residual: Node, _ rng: inout RNG) -> Node {
        let hidden = g.linear(x, weight: g.param(b.ff0Weight), bias: g.param(b.ff0Bias), activation: .relu)
        var out = g.linear(hidden, weight: g.param(b.ff2Weight), bias: g.param(b.ff2Bias))
        if config.blockStyle == .study { out = g.dropout(out, p: config.dropout, rng: &rng) }
        return g.residualDropout(residual, out, p: config.dropout, rng: &rng)
    }
}
