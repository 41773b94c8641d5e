/// A model's parameters in llm.c's layout: values and gradients are each ONE contiguous Float
/// allocation, and every named tensor is a view (an offset) into them. Counting, zeroing, the
/// optimizer, clipping and moving weights between ranks are then one loop or one message.
public final class ParameterSet {
    public struct Entry {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public let count: Int
        let initializer: Initializer
    }

    private var registered: [Entry] = []
    private(set) var isFinalized = false
    /// Total scalars.
    public private(set) var count = 0
    /// The flat buffers; valid after `finalize`. 64-byte aligned for AVX-512 loads.
    private(set) var valueStorage: UnsafeMutablePointer<Float>
    private(set) var gradStorage: UnsafeMutablePointer<Float>

    public init() {
        valueStorage = ParameterSet.allocateAligned(1)
        gradStorage = ParameterSet.allocateAligned(1)
    }

    deinit {
        valueStorage.deallocate()
        gradStorage.deallocate()
    }

    static func allocateAligned(_ count: Int) -> UnsafeMutablePointer<Float> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride,
                                                   alignment: 64)
        let pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
        return pointer
    }

    /// Registers a tensor before `finalize()`. Names are PyTorch-style ("blocks.0.attn.in_proj_weight").
    public func add(_ name: String, shape: [Int], initializer: Initializer) -> Parameter {
        precondition(!isFinalized, "ParameterSet.add(\(name)): the set is already finalized")
        precondition(!shape.isEmpty && shape.allSatisfy { $0 > 0 },
                     "ParameterSet.add(\(name)): shape \(shape) must be non-empty with positive sizes")
        precondition(!registered.contains { $0.name == name }, "ParameterSet.add: duplicate name \(name)")
        let size = shape.reduce(1, *)
        registered.append(Entry(name: name, shape: shape, offset: count, count: size, initializer: initializer))
        count += size
        return Parameter(index: registered.count - 1)
    }

    /// Allocates the flat buffers and runs the initializers in registration order, each tensor
    /// drawn in row-major order from `rng`, so one seed gives one set of bits.
    public func finalize(rng: inout RNG) {
        precondition(!isFinalized, "ParameterSet.finalize: called twice")
        valueStorage.deallocate()
        gradStorage.deallocate()
        valueStorage = ParameterSet.allocateAligned(count)
        gradStorage = ParameterSet.allocateAligned(count)
        for entry in registered {
            entry.initializer.fill(valueStorage + entry.offset, count: entry.count, rng: &rng)
        }
        isFinalized = true
    }

    /// Named views in registration order.
    public var entries: [(name: String, shape: [Int], offset: Int)] {
        registered.map { ($0.name, $0.shape, $0.offset) }
    }

    public func entry(_ p: Parameter) -> Entry { registered[p.index] }

    public func values(_ p: Parameter) -> [Float] {
        requireFinalized()
        let e = registered[p.index]
        return Array(UnsafeBufferPointer(start: valueStorage + e.offset, count: e.count))
    }

    public func setValues(_ p: Parameter, _ v: [Float]) {
        requireFinalized()
        let e = registered[p.index]
        precondition(v.count == e.count, "setValues(\(e.name)): got \(v.count) values, shape \(e.shape) needs \(e.count)")
        v.withUnsafeBufferPointer { (valueStorage + e.offset).update(from: $0.baseAddress!, count: e.count) }
    }

    public func grads(_ p: Parameter) -> [Float] {
        requireFinalized()
        let e = registered[p.index]
        return Array(UnsafeBufferPointer(start: gradStorage + e.offset, count: e.count))
    }

    /// The whole value buffer: bit-compare, MPI, snapshot/restore of the best weights.
    public var flatValues: [Float] {
        get { requireFinalized(); return Array(UnsafeBufferPointer(start: valueStorage, count: count)) }
        set {
            requireFinalized()
            precondition(newValue.count == count, "flatValues: got \(newValue.count) values, the set holds \(count)")
            newValue.withUnsafeBufferPointer { valueStorage.update(from: $0.baseAddress!, count: count) }
        }
    }

    public var flatGrads: [Float] {
        get { requireFinalized(); return Array(UnsafeBufferPointer(start: gradStorage, count: count)) }
        set {
            requireFinalized()
            precondition(newValue.count == count, "flatGrads: got \(newValue.count) values, the set holds \(count)")
            newValue.withUnsafeBufferPointer { gradStorage.update(from: $0.baseAddress!, count: count) }
        }
    }

    public func zeroGrad() {
        gradStorage.update(repeating: 0, count: max(count, 1))
    }

    private func requireFinalized() {
        precondition(isFinalized, "ParameterSet: call finalize(rng:) before reading or writing values")
    }
}

public struct Parameter: Hashable, Sendable {
    public let index: Int
    public init(index: Int) { self.index = index }
}

/// Initial distributions as PyTorch draws them, so a port of a PyTorch model starts from the
/// same distributions (not the same bits: the generator is ours).
public enum Initializer {
    /// nn.Linear weight: kaiming_uniform_(a=√5) reduces to U(−1/√fanIn, 1/√fanIn).
    case linearWeight(fanIn: Int)
    /// nn.Linear bias: U(−1/√fanIn, 1/√fanIn).
    case linearBias(fanIn: Int)
    /// nn.Embedding: N(0, 1).
    case embedding
    case normal(std: Float)
    /// xavier_uniform_: U(−a, a), a = √(6 / (fanIn + fanOut)); nn.MultiheadAttention in_proj_weight.
    case xavierUniform(fanIn: Int, fanOut: Int)
    /// LayerNorm weight / bias, MHA biases.
    case ones, zeros

    func fill(_ target: UnsafeMutablePointer<Float>, count: Int, rng: inout RNG) {
        switch self {
        case .linearWeight(let fanIn), .linearBias(let fanIn):
            let bound = 1 / Float(fanIn).squareRoot()
            for i in 0..<count { target[i] = rng.uniform(-bound, bound) }
        case .embedding:
            for i in 0..<count { target[i] = rng.normal() }
        case .normal(let std):
            for i in 0..<count { target[i] = std * rng.normal() }
        case .xavierUniform(let fanIn, let fanOut):
            let bound = (6 / Float(fanIn + fanOut)).squareRoot()
            for i in 0..<count { target[i] = rng.uniform(-bound, bound) }
        case .ones:
            target.update(repeating: 1, count: count)
        case .zeros:
            target.update(repeating: 0, count: count)
        }
    }
}
