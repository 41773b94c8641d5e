/// The study's transformer trunk, built straight from Graph ops for the benchmark and the core's
/// own end-to-end tests (the Models module owns the real model zoo): learned token and position
/// embeddings, post-LN blocks as PyTorch's nn.TransformerEncoderLayer(norm_first=False, ReLU):
///   x ← LN1(x + MHA(x)),  x ← LN2(x + W2·ReLU(W1·x)),
/// then the last position's state through a linear head and the fused loss (the study's
/// last-position objective).
public final class BenchmarkTransformer {
    public struct Shape: Sendable {
        public var vocabulary = 65
        public var context = 128
        public var modelWidth = 128
        public var heads = 4
        public var feedForwardWidth = 256
        public var layers = 3
        public var batch = 64
        public var dropout: Float = 0
        public init() {}
    }

    struct Block {
        let inProjWeight, inProjBias, outProjWeight, outProjBias: Parameter
        let norm1Weight, norm1Bias, linear1Weight, linear1Bias, linear2Weight, linear2Bias, norm2Weight, norm2Bias: Parameter
    }

    public let shape: Shape
    public let parameters = ParameterSet()
    let tokenEmbedding, positionEmbedding, headWeight, headBias: Parameter
    let blocks: [Block]

    public init(shape: Shape, seed: UInt64) {
        self.shape = shape
        let (c, f) = (shape.modelWidth, shape.feedForwardWidth)
        tokenEmbedding = parameters.add("token_embedding.weight", shape: [shape.vocabulary, c], initializer: .embedding)
        positionEmbedding = parameters.add("position_embedding.weight", shape: [shape.context, c], initializer: .embedding)
        blocks = (0..<shape.layers).map { [parameters] layer in
            let prefix = "blocks.\(layer)."
            return Block(
                inProjWeight: parameters.add(prefix + "self_attn.in_proj_weight", shape: [3 * c, c], initializer: .xavierUniform(fanIn: c, fanOut: 3 * c)),
                inProjBias: parameters.add(prefix + "self_attn.in_proj_bias", shape: [3 * c], initializer: .zeros),
                outProjWeight: parameters.add(prefix + "self_attn.out_proj.weight", shape: [c, c], initializer: .linearWeight(fanIn: c)),
                outProjBias: parameters.add(prefix + "self_attn.out_proj.bias", shape: [c], initializer: .zeros),
                norm1Weight: parameters.add(prefix + "norm1.weight", shape: [c], initializer: .ones),
                norm1Bias: parameters.add(prefix + "norm1.bias", shape: [c], initializer: .zeros),
                linear1Weight: parameters.add(prefix + "linear1.weight", shape: [f, c], initializer: .linearWeight(fanIn: c)),
                linear1Bias: parameters.add(prefix + "linear1.bias", shape: [f], initializer: .linearBias(fanIn: c)),
                linear2Weight: parameters.add(prefix + "linear2.weight", shape: [c, f], initializer: .linearWeight(fanIn: f)),
                linear2Bias: parameters.add(prefix + "linear2.bias", shape: [c], initializer: .linearBias(fanIn: f)),
                norm2Weight: parameters.add(prefix + "norm2.weight", shape: [c], initializer: .ones),
                norm2Bias: parameters.add(prefix + "norm2.bias", shape: [c], initializer: .zeros))
        }
        headWeight = parameters.add("head.weight", shape: [shape.vocabulary, c], initializer: .linearWeight(fanIn: c))
        headBias = parameters.add("head.bias", shape: [shape.vocabulary], initializer: .linearBias(fanIn: c))
        var rng = RNG(seed: seed, stream: 1)
        parameters.finalize(rng: &rng)
    }

    /// tokens (B·T) → mean NLL of `targets` (B) at the last position.
    public func loss(_ g: Graph, tokens: [Int32], targets: [Int32], rng: inout RNG) -> Node {
        let (b, t) = (tokens.count / shape.context, shape.context)
        var x = g.add(g.embedding(g.param(tokenEmbedding), tokens: tokens, shape: [b, t]), g.param(positionEmbedding))  // (B, T, C)
        for block in blocks {
            let qkv = g.linear(x, weight: g.param(block.inProjWeight), bias: g.param(block.inProjBias))  // (B, T, 3C)
            let attended = g.attention(qkv: qkv, heads: shape.heads, causal: true, dropout: shape.dropout, rng: &rng)  // (B, T, C)
            let projected = g.dropout(g.linear(attended, weight: g.param(block.outProjWeight), bias: g.param(block.outProjBias)),
                                      p: shape.dropout, rng: &rng)
            x = g.layerNorm(g.add(x, projected), weight: g.param(block.norm1Weight), bias: g.param(block.norm1Bias))
            let hidden = g.relu(g.linear(x, weight: g.param(block.linear1Weight), bias: g.param(block.linear1Bias)))  // (B, T, F)
            let mlp = g.dropout(g.linear(g.dropout(hidden, p: shape.dropout, rng: &rng), weight: g.param(block.linear2Weight),
                                         bias: g.param(block.linear2Bias)), p: shape.dropout, rng: &rng)
            x = g.layerNorm(g.add(x, mlp), weight: g.param(block.norm2Weight), bias: g.param(block.norm2Bias))
        }
        let logits = g.linear(g.lastPosition(x), weight: g.param(headWeight), bias: g.param(headBias))  // (B, V)
        return g.crossEntropy(logits, targets: targets)
    }

    /// A deterministic batch of random tokens and targets.
    public func randomBatch(rng: inout RNG) -> (tokens: [Int32], targets: [Int32]) {
        let tokens = (0..<shape.batch * shape.context).map { _ in Int32(rng.nextInt(below: shape.vocabulary)) }
        let targets = (0..<shape.batch).map { _ in Int32(rng.nextInt(below: shape.vocabulary)) }
        return (tokens, targets)
    }
}
