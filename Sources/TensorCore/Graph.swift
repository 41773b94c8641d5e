/// One training step's tape (micrograd / llm.c style). Ops compute their forward result at
/// once into arena memory and, when training, push a backward closure that ACCUMULATES into
/// the input gradients. `backward` runs the closures in reverse recording order, which is a
/// topological order of the graph. Call `reset()` at the start of every step: the tape is
/// forgotten and the arenas are rewound, so the same op sequence reuses the same memory.
public final class Graph {
    public let parameters: ParameterSet
    /// false: evaluation / no-grad mode. No tape, no gradient buffers, dropout off.
    public var training: Bool
    public let flops: FlopCounter

    // Node storage, indexed by `Node.index`.
    var shapes: [[Int]] = []
    var values: [UnsafeMutablePointer<Float>] = []
    /// nil when the node needs no gradient (constants, eval mode, outputs of constants only).
    var grads: [UnsafeMutablePointer<Float>?] = []
    var tape: [() -> Void] = []
    /// The op that recorded each tape entry (for the profiler).
    var tapeOps: [StaticString] = []
    /// When set, attributes forward and backward time to ops (the benchmark's step breakdown).
    public var profiler: OpProfiler?

    let activationArena = Arena()
    let gradientArena = Arena()

    public init(parameters: ParameterSet, training: Bool, flops: FlopCounter) {
        self.parameters = parameters
        self.training = training
        self.flops = flops
    }

    /// Begins a new step: forgets the tape and rewinds the arenas.
    public func reset() {
        shapes.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        grads.removeAll(keepingCapacity: true)
        tape.removeAll(keepingCapacity: true)
        tapeOps.removeAll(keepingCapacity: true)
        profiler?.mark()
        activationArena.rewind()
        gradientArena.rewind()
    }

    /// Bytes held by the activation and activation-gradient arenas (flat across steps once warm).
    public var arenaBytes: (activations: Int, gradients: Int) {
        (activationArena.reservedBytes, gradientArena.reservedBytes)
    }

    // MARK: nodes

    public func param(_ p: Parameter) -> Node {
        precondition(parameters.isFinalized, "Graph.param: finalize the ParameterSet first")
        let entry = parameters.entry(p)
        return register(shape: entry.shape,
                        value: parameters.valueStorage + entry.offset,
                        grad: training ? parameters.gradStorage + entry.offset : nil)
    }

    /// A tensor with no gradient (inputs, masks).
    public func constant(shape: [Int], values source: [Float]) -> Node {
        let size = Graph.elementCount(shape)
        precondition(source.count == size, "Graph.constant: \(source.count) values for shape \(shape)")
        let pointer = activationArena.allocate(size)
        source.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: size) }
        return register(shape: shape, value: pointer, grad: nil)
    }

    public func value(_ n: Node) -> [Float] {
        Array(UnsafeBufferPointer(start: values[n.index], count: Graph.elementCount(shapes[n.index])))
    }

    /// The gradient accumulated for a node by `backward` (zeros if none flowed), nil without one.
    public func gradient(_ n: Node) -> [Float]? {
        guard let g = grads[n.index] else { return nil }
        return Array(UnsafeBufferPointer(start: g, count: Graph.elementCount(shapes[n.index])))
    }

    public func shape(_ n: Node) -> [Int] { shapes[n.index] }

    public func scalar(_ n: Node) -> Float {
        precondition(Graph.elementCount(shapes[n.index]) == 1, "Graph.scalar: node has shape \(shapes[n.index])")
        return values[n.index][0]
    }

    /// Runs the tape backwards from a scalar loss. Gradients ACCUMULATE into the parameter set's
    /// gradient buffer (call `parameters.zeroGrad()` between steps).
    public func backward(_ loss: Node) {
        precondition(training, "Graph.backward: the graph is in evaluation mode (training == false)")
        precondition(Graph.elementCount(shapes[loss.index]) == 1,
                     "Graph.backward: loss must be a scalar, got shape \(shapes[loss.index])")
        guard let seed = grads[loss.index] else { return }
        seed[0] += 1
        if let profiler {
            profiler.mark()
            for (closure, op) in zip(tape, tapeOps).reversed() {
                closure()
                profiler.attribute(op, .backward)
            }
        } else {
            for closure in tape.reversed() { closure() }
        }
    }

    /// Runs the tape backwards from any node with a given output gradient (the benchmark times one
    /// op's backward this way, without a reduction op after it).
    public func backward(from node: Node, outputGradient: [Float]) {
        precondition(training, "Graph.backward: the graph is in evaluation mode (training == false)")
        let count = Graph.elementCount(shapes[node.index])
        precondition(outputGradient.count == count, "Graph.backward(from:): \(outputGradient.count) values for shape \(shapes[node.index])")
        guard let seed = grads[node.index] else { return }
        outputGradient.withUnsafeBufferPointer { Elementwise.accumulate($0.baseAddress!, into: seed, count: count) }
        for closure in tape.reversed() { closure() }
    }

    // MARK: helpers for ops

    @inline(__always) static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    func register(shape: [Int], value: UnsafeMutablePointer<Float>, grad: UnsafeMutablePointer<Float>?) -> Node {
        shapes.append(shape)
        values.append(value)
        grads.append(grad)
        return Node(index: shapes.count - 1)
    }

    /// Whether an op on these inputs records a backward closure.
    @inline(__always) func needsGrad(_ inputs: Node...) -> Bool {
        training && inputs.contains { grads[$0.index] != nil }
    }

    /// An op's output: arena memory for the value and, if `withGrad`, a zeroed gradient buffer.
    func output(shape: [Int], withGrad: Bool) -> Node {
        let size = Graph.elementCount(shape)
        let value = activationArena.allocate(size)
        let grad = withGrad ? gradientArena.allocateZeroed(size) : nil
        return register(shape: shape, value: value, grad: grad)
    }

    /// Scratch memory that lives until the next `reset()` (saved statistics, masks).
    func scratch(_ count: Int) -> UnsafeMutablePointer<Float> { activationArena.allocate(count) }

    /// Pushes an op's backward closure; with a profiler, the time since the previous op ended is
    /// this op's forward time.
    /// `carving` moves a measured part of the op's forward time to a named sub-entry (attention's
    /// masked softmax, so the step breakdown separates it from the GEMMs).
    func record(_ op: StaticString, carving: (String, Double)? = nil, _ closure: @escaping () -> Void) {
        tape.append(closure)
        tapeOps.append(op)
        if let profiler {
            profiler.attribute(op, .forward)
            if let (part, seconds) = carving { profiler.carve(part, seconds, from: op.description, .forward) }
        }
    }
}

/// An opaque handle to a tensor of one `Graph` step.
public struct Node: Hashable, Sendable {
    public let index: Int
}
