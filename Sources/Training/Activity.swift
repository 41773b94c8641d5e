import Foundation

/// A count of work done that another thread can read: the trainer ticks it at every training
/// step and every evaluation batch, and a rank's heartbeat carries it, so rank 0 can tell a
/// working rank from one that is alive but stuck (a hung read on a network filesystem).
public final class Activity: @unchecked Sendable {
    private let lock = NSLock()
    private var ticks: UInt64 = 0

    public init() {}

    public func tick() {
        lock.lock()
        ticks &+= 1
        lock.unlock()
    }

    public var count: UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return ticks
    }
}
