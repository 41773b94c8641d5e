import Foundation
import Training

/// Seconds from FLOPs: the machine's training throughput, assumed or measured.
public struct CostModel: Sendable {
    /// Sustained training throughput of one rank with one BLAS thread, FLOP/s.
    public var flopsPerSecond: Double

    /// One core's rate on the study's shapes (d_model 128, context 128): `lmsweep bench`
    /// measures 50–60 GFLOP/s for the four study models on one thread here. Tiny models
    /// (d_model 32) run far below it; the median measured rate replaces this figure as soon
    /// as a journal holds finished runs.
    public static let assumedFlopsPerSecond = 50e9

    public init(flopsPerSecond: Double = CostModel.assumedFlopsPerSecond) {
        self.flopsPerSecond = flopsPerSecond
    }

    /// Calibrates from finished runs: the median of predicted FLOPs over measured wall seconds
    /// (the prediction's own unit, so its bias cancels), or the assumption without any.
    public init(calibratedFrom records: [RunRecord]) {
        let rates = records.filter { $0.status == .ok && $0.wallSeconds > 0 }
            .map { Job(config: $0.config).predictedFLOPs / $0.wallSeconds }.sorted()
        self.init(flopsPerSecond: rates.isEmpty ? Self.assumedFlopsPerSecond : rates[rates.count / 2])
    }

    public func seconds(_ flops: Double) -> Double { flops / flopsPerSecond }
}
