import Foundation

/// Per-op wall time, forward and backward separately: the benchmark's step breakdown. The graph
/// calls `attribute` when an op finishes; the op is charged the time since the previous mark.
public final class OpProfiler {
    public struct Entry {
        public var forwardSeconds: Double = 0
        public var backwardSeconds: Double = 0
        public var calls = 0
        public var totalSeconds: Double { forwardSeconds + backwardSeconds }
    }

    public private(set) var entries: [String: Entry] = [:]
    private var last = DispatchTime.now().uptimeNanoseconds

    public init() {}

    /// Starts the clock without charging anyone (the start of a step or of the backward pass).
    public func mark() { last = DispatchTime.now().uptimeNanoseconds }

    /// Charges the time since the last mark to `op` and marks.
    public func attribute(_ op: String, _ phase: FlopCounter.Phase) {
        let now = DispatchTime.now().uptimeNanoseconds
        let seconds = Double(now - last) * 1e-9
        last = now
        var entry = entries[op, default: Entry()]
        if phase == .forward { entry.forwardSeconds += seconds; entry.calls += 1 } else { entry.backwardSeconds += seconds }
        entries[op] = entry
    }

    func attribute(_ op: StaticString, _ phase: FlopCounter.Phase) {
        attribute(op.description, phase)
    }

    public func reset() { entries = [:]; mark() }
}
