import CPUProbe
import Foundation
import TensorCore

/// What one core can do at best, measured in the same run as everything it is compared with:
/// the FMA peak from 16 independent multiply-add chains on 512-bit (zmm) and 256-bit (ymm)
/// registers, and raw `cblas_sgemm` at the study's GEMM shapes. Every op's and model's GFLOP/s
/// is then printed as a share of the widest peak, so a figure says how far from the hardware it is.
public struct Ceiling: Sendable {
    /// GFLOP/s of the zmm chains; nil where the CPU has no AVX-512.
    public let zmmGflops: Double?
    /// GFLOP/s of the ymm chains; nil where the CPU has no AVX2 + FMA.
    public let ymmGflops: Double?
    /// Raw sgemm at the study's shapes: (name, shape, GFLOP/s).
    public let sgemm: [(name: String, shape: String, gflops: Double)]

    /// The widest peak measured (what "% of peak" divides by), or nil if none could be.
    public var peakGflops: Double? { zmmGflops ?? ymmGflops }

    /// `value` as a share of the peak, "n/a" without one.
    public func share(_ gflops: Double) -> String {
        guard let peak = peakGflops else { return "n/a" }
        return Measure.fixed(100 * gflops / peak, 1) + "%"
    }

    /// Best GFLOP/s of the chains over `rounds` timed runs of `iterations` rounds each (≈ 3 ms
    /// each on a 200 GFLOP/s core: many short runs, so one of them finds the core undisturbed
    /// on a shared machine, as the minimum-time figures of the ops they are compared with do).
    static func chainsGflops(flopsPerIteration: Double, iterations: Int = 1_000_000, rounds: Int = 30,
                             _ chains: (Int) -> Float) -> Double? {
        guard !chains(1).isNaN else { return nil }
        var best = Double.infinity
        var sink: Float = 0
        for _ in 0..<rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            sink += chains(iterations)
            best = min(best, Measure.seconds(since: start))
        }
        precondition(sink.isFinite, "FMA chains diverged")
        return flopsPerIteration * Double(iterations) / best / 1e9
    }

    /// Measures the peak and sgemm at the study's shapes (batch 64, context 128, d 128, FFN 256,
    /// 4 heads): each linear layer's three GEMMs and one head's causal attention GEMMs.
    public static func measure(_ s: OpBenchmark.StudyShapes = .init()) -> Ceiling {
        TensorCore.setBLASThreads(1)
        let zmm = chainsGflops(flopsPerIteration: 512) { lmsweep_fma_chains_zmm($0) }
        let ymm = chainsGflops(flopsPerIteration: 256) { lmsweep_fma_chains_ymm($0) }
        let rows = s.batch * s.context, c = s.modelWidth, f = s.feedForwardWidth
        var cases: [(String, String, [OpBenchmark.GemmCall], Int)] = []
        for (name, inF, outF) in [("qkv", c, 3 * c), ("out", c, c), ("ffn1", c, f), ("ffn2", f, c)] {
            cases.append(("linear \(name)", "\(rows)×\(inF)→\(outF) fwd+bwd",
                          OpBenchmark.linearGemms(rows: rows, inFeatures: inF, outFeatures: outF), 1))
        }
        cases.append(("attention GEMMs", "T \(s.context), D \(s.modelWidth / s.heads), causal blocks",
                      OpBenchmark.attentionGemms(time: s.context, headDim: s.modelWidth / s.heads), 16))
        let bodies = cases.map { OpBenchmark.rawSgemm($0.2, repeats: $0.3) }
        let best = Measure.bestSecondsInterleaved(bodies.map(\.body))
        let sgemm = cases.indices.map { (cases[$0].0, cases[$0].1, bodies[$0].flops / best[$0] / 1e9) }
        return Ceiling(zmmGflops: zmm, ymmGflops: ymm, sgemm: sgemm)
    }

    public func format() -> String {
        let (pad, lpad, fixed) = (Measure.pad, Measure.lpad, Measure.fixed)
        func figure(_ g: Double?) -> String { g.map { fixed($0, 1) + " GFLOP/s" } ?? "not available on this CPU" }
        var lines = ["FMA peak, zmm (512-bit) chains: \(figure(zmmGflops))",
                     "FMA peak, ymm (256-bit) chains: \(figure(ymmGflops))",
                     pad("raw cblas_sgemm", 20) + pad("shape", 34) + lpad("GFLOP/s", 9) + lpad("% peak", 9)]
        for row in sgemm {
            lines.append(pad(row.name, 20) + pad(row.shape, 34) + lpad(fixed(row.gflops, 1), 9) + lpad(share(row.gflops), 9))
        }
        return lines.joined(separator: "\n")
    }
}
