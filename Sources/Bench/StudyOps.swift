import Foundation
import TensorCore

/// The benchmark's content at the study's shapes (batch 64, context 128, d_model 128, 4 heads,
/// FFN 256, vocabulary 65 and 10,000) and its printed table.
extension OpBenchmark {
    public struct StudyShapes: Sendable {
        public var batch = 64, context = 128, modelWidth = 128, heads = 4, feedForwardWidth = 256
        public var vocabularies = [65, 10_000]
        public init() {}
    }

    /// Every op, forward + backward, at the study's shapes.
    public static func opRows(_ s: StudyShapes) -> [OpRow] {
        let (b, t, c, h, f) = (s.batch, s.context, s.modelWidth, s.heads, s.feedForwardWidth)
        let rows = b * t, d = c / h
        var result: [OpRow] = []
        for (name, inF, outF) in [("linear qkv", c, 3 * c), ("linear out", c, c), ("linear ffn1", c, f), ("linear ffn2", f, c)] {
            result.append(timeOp(name, shape: "(\(b),\(t),\(inF))→\(outF)", inputs: [[b, t, inF], [outF, inF], [outF]],
                                 raw: linearGemms(rows: rows, inFeatures: inF, outFeatures: outF)) { g, n in
                g.linear(n[0], weight: n[1], bias: n[2])
            })
        }
        // The fused epilogues beside the ops they replace, in the same run.
        let ffn1 = linearGemms(rows: rows, inFeatures: c, outFeatures: f)
        for activation in [Activation.relu, .gelu] {
            let inputs = [[b, t, c], [f, c], [f]]
            result.append(timeOp("ffn1+\(activation.rawValue) unfused", shape: "(\(b),\(t),\(c))→\(f)", inputs: inputs, raw: ffn1) { g, n in
                let y = g.linear(n[0], weight: n[1], bias: n[2])
                return activation == .relu ? g.relu(y) : g.gelu(y)
            })
            result.append(timeOp("ffn1+\(activation.rawValue) fused", shape: "(\(b),\(t),\(c))→\(f)", inputs: inputs, raw: ffn1) { g, n in
                g.linear(n[0], weight: n[1], bias: n[2], activation: activation)
            })
        }
        for vocabulary in s.vocabularies {
            result.append(timeOp("linear head", shape: "(\(b),\(c))→\(vocabulary)", inputs: [[b, c], [vocabulary, c], [vocabulary]],
                                 raw: linearGemms(rows: b, inFeatures: c, outFeatures: vocabulary)) { g, n in
                g.linear(n[0], weight: n[1], bias: n[2])
            })
        }
        result.append(timeOp("matmul batched QKᵀ", shape: "(\(b * h),\(t),\(d))·ᵀ", inputs: [[b * h, t, d], [b * h, t, d]],
                             raw: [GemmCall(transA: false, transB: true, m: t, n: t, k: d, beta: 0),
                                   GemmCall(transA: false, transB: false, m: t, n: d, k: t, beta: 1),
                                   GemmCall(transA: true, transB: false, m: t, n: d, k: t, beta: 1)], rawRepeats: b * h) { g, n in
            g.matmul(n[0], n[1], transposeB: true)
        })
        let heads = [b, h, t, d]
        // The flash and the reference kernel on the same shapes, in the same run, whichever is on.
        let flash = TensorCore.flashAttention
        for (name, useFlash) in [("attention flash", true), ("attention reference", false)] {
            TensorCore.flashAttention = useFlash
            result.append(timeOp(name, shape: "(\(b),\(h),\(t),\(d))", inputs: [heads, heads, heads],
                                 raw: attentionGemms(time: t, headDim: d), rawRepeats: b * h) { g, n in
                var rng = RNG(seed: 1)
                return g.attention(q: n[0], k: n[1], v: n[2], causal: true, dropout: 0, rng: &rng)
            })
        }
        TensorCore.flashAttention = flash
        result.append(timeOp("attention fused qkv", shape: "(\(b),\(t),\(3 * c))", inputs: [[b, t, 3 * c]],
                             raw: attentionGemms(time: t, headDim: d), rawRepeats: b * h) { g, n in
            var rng = RNG(seed: 1)
            return g.attention(qkv: n[0], heads: h, causal: true, dropout: 0, rng: &rng)
        })
        result.append(timeOp("rope", shape: "(\(b),\(h),\(t),\(d))", inputs: [heads]) { g, n in g.rope(n[0]) })
        result.append(timeOp("layerNorm", shape: "(\(b),\(t),\(c))", inputs: [[b, t, c], [c], [c]]) { g, n in
            g.layerNorm(n[0], weight: n[1], bias: n[2])
        })
        result.append(timeOp("add residual", shape: "(\(b),\(t),\(c))", inputs: [[b, t, c], [b, t, c]]) { g, n in g.add(n[0], n[1]) })
        result.append(timeOp("relu", shape: "(\(b),\(t),\(f))", inputs: [[b, t, f]]) { g, n in g.relu(n[0]) })
        result.append(timeOp("gelu", shape: "(\(b),\(t),\(f))", inputs: [[b, t, f]]) { g, n in g.gelu(n[0]) })
        result.append(timeOp("dropout 0.1", shape: "(\(b),\(t),\(c))", inputs: [[b, t, c]]) { g, n in
            var rng = RNG(seed: 2)
            return g.dropout(n[0], p: 0.1, rng: &rng)
        })
        result.append(timeOp("drop+add unfused", shape: "(\(b),\(t),\(c))", inputs: [[b, t, c], [b, t, c]]) { g, n in
            var rng = RNG(seed: 2)
            return g.add(n[0], g.dropout(n[1], p: 0.1, rng: &rng))
        })
        result.append(timeOp("residual dropout", shape: "(\(b),\(t),\(c))", inputs: [[b, t, c], [b, t, c]]) { g, n in
            var rng = RNG(seed: 2)
            return g.residualDropout(n[0], n[1], p: 0.1, rng: &rng)
        })
        result.append(timeOp("softmax", shape: "(\(b * h * t),\(t))", inputs: [[b * h * t, t]]) { g, n in g.softmax(n[0]) })
        result.append(timeOp("splitHeads", shape: "(\(b),\(t),\(c))", inputs: [[b, t, c]]) { g, n in g.splitHeads(n[0], heads: h) })
        result.append(timeOp("mergeHeads", shape: "(\(b),\(h),\(t),\(d))", inputs: [heads]) { g, n in g.mergeHeads(n[0]) })
        for vocabulary in s.vocabularies {
            var rng = RNG(seed: 3)
            let tokens = (0..<rows).map { _ in Int32(rng.nextInt(below: vocabulary)) }
            let targets = (0..<b).map { _ in Int32(rng.nextInt(below: vocabulary)) }
            result.append(timeOp("embedding", shape: "\(rows) of (\(vocabulary),\(c))", inputs: [[vocabulary, c]]) { g, n in
                g.embedding(n[0], tokens: tokens, shape: [b, t])
            })
            result.append(timeOp("crossEntropy", shape: "(\(b),\(vocabulary))", inputs: [[b, vocabulary]]) { g, n in
                g.crossEntropy(n[0], targets: targets)
            })
        }
        return result
    }

    /// The table, each op's GFLOP/s also as a share of the measured FMA peak (`ceiling`).
    public static func formatOpTable(_ rows: [OpRow], ceiling: Ceiling? = nil) -> String {
        let (pad, lpad, fixed) = (Measure.pad, Measure.lpad, Measure.fixed)
        var lines = [pad("op", 20) + pad("shape", 22) + lpad("MFLOP", 9) + lpad("fwd ms", 9) + lpad("bwd ms", 9)
                     + lpad("GFLOP/s", 9) + lpad("% peak", 8) + lpad("sgemm", 9) + lpad("% sgemm", 9)]
        for row in rows {
            var line = pad(row.op, 20) + pad(row.shape, 22) + lpad(fixed(row.flops / 1e6, 1), 9)
                + lpad(fixed(row.forwardSeconds * 1e3, 3), 9) + lpad(fixed(row.backwardSeconds * 1e3, 3), 9)
                + lpad(fixed(row.gflops, 1), 9) + lpad(ceiling?.share(row.gflops) ?? "", 8)
            if let raw = row.rawSgemmGflops {
                line += lpad(fixed(raw, 1), 9) + lpad(fixed(100 * row.gflops / raw, 0) + "%", 9)
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

}
