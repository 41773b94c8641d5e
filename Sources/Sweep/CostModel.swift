import Foundation
import Training

/// Seconds from FLOPs: the machine's training throughput, assumed or measured.
public struct CostModel: Sendable {
    /// Sustained training throughput of one rank with one BLAS thread, FLOP/s.
    public var flopsPerSecond: Double

    /// A single-core figure for the tensor core on small models (predicted FLOPs per second,
    /// measured on the smoke sweep); replaced by the median measured rate once a journal holds
    /// finished runs.
    public static let assumedFlopsPerSecond = 5e9

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
