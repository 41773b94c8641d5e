import CBLAS
import Foundation
import TensorCore

/// The speed benchmark behind `lmsweep bench --sections ops`: each op at the study's shapes,
/// forward plus backward, GFLOP/s from the exact counter beside raw `cblas_sgemm` on the same
/// GEMM calls.
public enum OpBenchmark {
    public struct OpRow {
        public let op: String
        public let shape: String
        /// FLOPs of one forward + backward, from the counter.
        public let flops: Double
        public let forwardSeconds: Double
        public let backwardSeconds: Double
        /// The same GEMM calls issued directly to cblas_sgemm, if the op is matmul-based.
        public let rawSgemmSeconds: Double?
        public let rawSgemmFlops: Double?
        public var seconds: Double { forwardSeconds + backwardSeconds }
        public var gflops: Double { flops / seconds / 1e9 }
        public var rawSgemmGflops: Double? { rawSgemmSeconds.map { rawSgemmFlops! / $0 / 1e9 } }
    }

    /// One GEMM call's shape, for the raw-sgemm comparison.
    struct GemmCall {
        let transA: Bool, transB: Bool, m: Int, n: Int, k: Int, beta: Float
        var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    }

    /// A body issuing `calls` straight to cblas_sgemm on buffers of the right sizes, and its FLOPs.
    static func rawSgemm(_ calls: [GemmCall], repeats: Int = 1) -> (body: () -> Void, flops: Double) {
        var buffers = calls.map { call in
            ([Float](repeating: 0.01, count: call.m * call.k), [Float](repeating: 0.02, count: call.k * call.n),
             [Float](repeating: 0, count: call.m * call.n))
        }
        let body = {
            for _ in 0..<repeats {
                for index in calls.indices {
                    let call = calls[index]
                    cblas_sgemm(CblasRowMajor, call.transA ? CblasTrans : CblasNoTrans, call.transB ? CblasTrans : CblasNoTrans,
                                Int32(call.m), Int32(call.n), Int32(call.k), 1, buffers[index].0, Int32(call.transA ? call.m : call.k),
                                buffers[index].1, Int32(call.transB ? call.k : call.n), call.beta, &buffers[index].2, Int32(call.n))
                }
            }
        }
        return (body, Double(repeats) * calls.reduce(0) { $0 + $1.flops })
    }

    /// Times one op's forward and backward. `inputs` are parameters (so every input gets a
    /// gradient); `build` applies the op; the backward is seeded with a fixed output gradient.
    static func timeOp(_ op: String, shape: String, inputs: [[Int]], raw: [GemmCall]? = nil, rawRepeats: Int = 1,
                       build: @escaping (Graph, [Node]) -> Node) -> OpRow {
        let parameters = ParameterSet()
        let handles = inputs.enumerated().map { parameters.add("input\($0.offset)", shape: $0.element, initializer: .normal(std: 0.5)) }
        var rng = RNG(seed: 17)
        parameters.finalize(rng: &rng)
        let flops = FlopCounter()
        let graph = Graph(parameters: parameters, training: true, flops: flops)
        func forward() -> Node {
            graph.reset()
            return build(graph, handles.map { graph.param($0) })
        }
        let seed = [Float](repeating: 0.01, count: graph.shape(forward()).reduce(1, *))
        flops.reset()
        graph.backward(from: forward(), outputGradient: seed)
        let opFlops = flops.forward + flops.backward
        let rawBody = raw.map { rawSgemm($0, repeats: rawRepeats) }
        var bodies: [() -> Void] = [{ _ = forward() }, { graph.backward(from: forward(), outputGradient: seed) }]
        if let rawBody { bodies.append(rawBody.body) }
        let best = Measure.bestSecondsInterleaved(bodies)
        return OpRow(op: op, shape: shape, flops: opFlops, forwardSeconds: best[0],
                     backwardSeconds: max(best[1] - best[0], 0),
                     rawSgemmSeconds: rawBody == nil ? nil : best[2], rawSgemmFlops: rawBody?.flops)
    }

    /// The GEMMs of `linear` forward + backward on (rows, in) → (rows, out), as the op issues them.
    static func linearGemms(rows: Int, inFeatures: Int, outFeatures: Int) -> [GemmCall] {
        [GemmCall(transA: false, transB: true, m: rows, n: outFeatures, k: inFeatures, beta: 1),   // y = x·Wᵀ (+ b)
         GemmCall(transA: false, transB: false, m: rows, n: inFeatures, k: outFeatures, beta: 1),  // dx += dy·W
         GemmCall(transA: true, transB: false, m: outFeatures, n: inFeatures, k: rows, beta: 1)]   // dW += dyᵀ·x
    }

    /// The GEMMs of one (batch, head) slice of causal attention forward + backward, in the
    /// causal row blocks the kernel issues them (``TensorCore/causalAttentionBlockRows``).
    static func attentionGemms(time: Int, headDim: Int) -> [GemmCall] {
        let block = TensorCore.causalAttentionBlockRows
        return stride(from: 0, to: time, by: block).flatMap { start -> [GemmCall] in
            let rows = min(start + block, time) - start, keys = min(start + block, time)
            return [GemmCall(transA: false, transB: true, m: rows, n: keys, k: headDim, beta: 0),          // S = Q·Kᵀ
                    GemmCall(transA: false, transB: false, m: rows, n: headDim, k: keys, beta: 0),         // O = P·V
                    GemmCall(transA: true, transB: false, m: rows, n: headDim, k: time - start, beta: 1),  // dV += Pᵀ·dO
                    GemmCall(transA: false, transB: true, m: rows, n: keys, k: headDim, beta: 0),          // dP = dO·Vᵀ
                    GemmCall(transA: false, transB: false, m: rows, n: headDim, k: keys, beta: 1),         // dQ += dS·K
                    GemmCall(transA: true, transB: false, m: rows, n: headDim, k: time - start, beta: 1)]  // dK += dSᵀ·Q
        }
    }
}
