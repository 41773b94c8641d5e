import XCTest
@testable import TensorCore

/// Finite-difference checks of attention (with its causal mask and dropout), RoPE, the fused
/// loss and embedding backward (tolerance explained in GradientCheck.swift).
final class AttentionGradientTests: XCTestCase {
    let check = GradientCheck()
    let headShape = [2, 2, 5, 4]   // (B, H, T, D)

    func testCausalAttentionGradient() {
        check.run(inputs: [("q", headShape, nil), ("k", headShape, nil), ("v", headShape, nil)]) { g, n, rng in
            g.attention(q: n[0], k: n[1], v: n[2], causal: true, dropout: 0, rng: &rng)
        }
    }

    func testFullAttentionGradient() {
        check.run(inputs: [("q", headShape, nil), ("k", headShape, nil), ("v", headShape, nil)]) { g, n, rng in
            g.attention(q: n[0], k: n[1], v: n[2], causal: false, dropout: 0, rng: &rng)
        }
    }

    func testCausalAttentionGradientWithDropout() {
        check.run(inputs: [("q", headShape, nil), ("k", headShape, nil), ("v", headShape, nil)]) { g, n, rng in
            g.attention(q: n[0], k: n[1], v: n[2], causal: true, dropout: 0.2, rng: &rng)
        }
    }

    func testCausalMaskHidesTheFuture() {
        // Changing position t's key and value must not change outputs at positions < t.
        let parameters = ParameterSet()
        var rng = RNG(seed: 1)
        parameters.finalize(rng: &rng)
        let graph = Graph(parameters: parameters, training: false, flops: FlopCounter())
        let q = randomValues(20, seed: 1), k = randomValues(20, seed: 2), v = randomValues(20, seed: 3)
        func attend(_ k: [Float], _ v: [Float]) -> [Float] {
            graph.reset()
            let shape = [1, 1, 5, 4]
            let out = graph.attention(q: graph.constant(shape: shape, values: q), k: graph.constant(shape: shape, values: k),
                                      v: graph.constant(shape: shape, values: v), causal: true, dropout: 0, rng: &rng)
            return graph.value(out)
        }
        let before = attend(k, v)
        var k2 = k, v2 = v
        for d in 0..<4 { k2[16 + d] += 3; v2[16 + d] -= 2 }   // position 4 (the last)
        let after = attend(k2, v2)
        XCTAssertEqual(Array(before[0..<16]), Array(after[0..<16]))
        XCTAssertNotEqual(Array(before[16..<20]), Array(after[16..<20]))
    }

    func testRopeGradient() {
        check.run(inputs: [("x", [1, 2, 6, 8], nil)]) { g, n, _ in g.rope(n[0]) }
    }

    func testCrossEntropyGradient() {
        let targets: [Int32] = [0, 4, 2]
        check.run(inputs: [("logits", [3, 6], randomValues(18, seed: 8, scale: 2))]) { g, n, _ in
            g.crossEntropy(n[0], targets: targets)
        }
    }

    func testEmbeddingGradientWithRepeatedTokens() {
        let tokens: [Int32] = [1, 3, 1, 0, 3, 3]
        check.run(inputs: [("table", [5, 4], nil)]) { g, n, _ in
            g.embedding(n[0], tokens: tokens, shape: [2, 3])
        }
    }

    func testTransformerBlockGradientEndToEnd() {
        // Post-LN block with fused QKV, chunk, heads, RoPE, attention, GELU MLP, last position, loss.
        let (batch, time, channels, heads) = (2, 4, 8, 2)
        let tokens: [Int32] = [1, 2, 3, 4, 4, 3, 2, 1]
        let targets: [Int32] = [0, 5]
        check.run(inputs: [("emb", [6, channels], nil), ("qkv", [3 * channels, channels], randomValues(3 * channels * channels, seed: 11, scale: 0.3)),
                           ("proj", [channels, channels], randomValues(channels * channels, seed: 12, scale: 0.3)),
                           ("lnw", [channels], nil), ("lnb", [channels], nil),
                           ("fc", [16, channels], randomValues(16 * channels, seed: 13, scale: 0.3)),
                           ("out", [6, channels], nil)]) { g, n, rng in
            let x = g.embedding(n[0], tokens: tokens, shape: [batch, time])
            let qkv = g.chunk(g.linear(x, weight: n[1], bias: nil), 3)
            let q = g.rope(g.splitHeads(qkv[0], heads: heads)), k = g.rope(g.splitHeads(qkv[1], heads: heads))
            let v = g.splitHeads(qkv[2], heads: heads)
            let a = g.linear(g.mergeHeads(g.attention(q: q, k: k, v: v, causal: true, dropout: 0, rng: &rng)), weight: n[2], bias: nil)
            let h = g.layerNorm(g.add(x, a), weight: n[3], bias: n[4])
            let f = g.gelu(g.linear(h, weight: n[5], bias: nil))
            let down = g.matmul(g.reshape(f, [batch * time, 16]), n[5])   // fc reused as (16, C): shared weights
            let pooled = g.lastPosition(g.add(h, g.reshape(down, [batch, time, channels])))
            return g.crossEntropy(g.linear(pooled, weight: n[6], bias: nil), targets: targets)
        }
    }
}

/// The fused-QKV attention: the same values and gradients as chunk → splitHeads → attention → mergeHeads.
final class FusedAttentionTests: XCTestCase {
    func testFusedQKVAttentionGradient() {
        GradientCheck().run(inputs: [("qkv", [2, 5, 24], nil)]) { g, n, rng in
            g.attention(qkv: n[0], heads: 2, causal: true, dropout: 0, rng: &rng)
        }
        GradientCheck().run(inputs: [("qkv", [2, 5, 24], nil)]) { g, n, rng in
            g.attention(qkv: n[0], heads: 2, causal: true, dropout: 0.25, rng: &rng)
        }
    }

    func testFusedQKVAttentionEqualsTheUnfusedPath() {
        let parameters = ParameterSet()
        let p = parameters.add("qkv", shape: [2, 6, 24], initializer: .embedding)
        var rng = RNG(seed: 4)
        parameters.finalize(rng: &rng)
        let graph = Graph(parameters: parameters, training: true, flops: FlopCounter())
        let seed = randomValues(2 * 6 * 8, seed: 9)
        func run(fused: Bool) -> (value: [Float], grad: [Float]) {
            parameters.zeroGrad()
            graph.reset()
            var dropoutRNG = RNG(seed: 5)
            let qkv = graph.param(p)
            let out: Node
            if fused {
                out = graph.attention(qkv: qkv, heads: 2, causal: true, dropout: 0.2, rng: &dropoutRNG)
            } else {
                let parts = graph.chunk(qkv, 3).map { graph.splitHeads($0, heads: 2) }
                out = graph.mergeHeads(graph.attention(q: parts[0], k: parts[1], v: parts[2], causal: true, dropout: 0.2, rng: &dropoutRNG))
            }
            graph.backward(from: out, outputGradient: seed)
            return (graph.value(out), parameters.grads(p))
        }
        let fused = run(fused: true), unfused = run(fused: false)
        for (x, y) in zip(fused.value, unfused.value) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        for (x, y) in zip(fused.grad, unfused.grad) { XCTAssertEqual(x, y, accuracy: 1e-5) }
    }
}
