/// Activation memory reused from step to step. A training step issues the same sequence of
/// allocations every time, so the i-th request of a step gets the i-th slot of the previous
/// step; a slot grows only when a request is larger than anything it held before. After the
/// first step of each shape no memory is allocated, and the total stays flat over any number
/// of steps.
final class Arena {
    private var pointers: [UnsafeMutablePointer<Float>] = []
    private var capacities: [Int] = []
    private var cursor = 0
    /// Bytes currently reserved by all slots.
    private(set) var reservedBytes = 0

    /// Starts a new step: the next request gets slot 0 again.
    func rewind() { cursor = 0 }

    /// A 64-byte aligned buffer of at least `count` floats, contents undefined.
    func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let needed = max(count, 16)
        defer { cursor += 1 }
        if cursor < pointers.count {
            if capacities[cursor] >= needed { return pointers[cursor] }
            pointers[cursor].deallocate()
            reservedBytes -= capacities[cursor] * MemoryLayout<Float>.stride
            pointers[cursor] = Arena.allocateAligned(needed)
            capacities[cursor] = needed
        } else {
            pointers.append(Arena.allocateAligned(needed))
            capacities.append(needed)
        }
        reservedBytes += needed * MemoryLayout<Float>.stride
        return pointers[cursor]
    }

    private static func allocateAligned(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
    }

    deinit {
        for pointer in pointers { pointer.deallocate() }
    }
}
