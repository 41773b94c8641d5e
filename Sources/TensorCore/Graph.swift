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
    /// The node whose flag in `gradientUnwritten` governs this node's gradient buffer (itself,
    /// or the source of a reshape view that shares the buffer).
    var gradientOwner: [Int] = []
    /// Activation gradients are not zeroed when allocated: the first backward closure to touch
    /// one either overwrites all of it (GEMMs with beta 0, copies) or zeroes it first. True
    /// until then. Parameter gradients are never unwritten: they accumulate across calls.
    var gradientUnwritten: [Bool] = []
    var tape: [TapeEntry] = []

    struct TapeEntry {
        let op: StaticString
        let output: Node
        let inputs: [Node]
        /// The closure claims its inputs' unwritten gradients itself (`claimUnwrittenGradient`);
        /// otherwise `backward` zeroes them before running it.
        let claimsInputs: Bool
        let closure: () -> Void
    }
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
        gradientOwner.removeAll(keepingCapacity: true)
        gradientUnwritten.removeAll(keepingCapacity: true)
        tape.removeAll(keepingCapacity: true)
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
        zeroIfUnwritten(n)
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
        zeroIfUnwritten(loss)
        seed[0] += 1
        runTape()
    }

    /// Runs the backward closures in reverse recording order. Before each, its output gradient
    /// (unwritten if nothing consumed the output) and, unless the op claims them itself, its
    /// inputs' gradients are zeroed if still unwritten.
    private func runTape() {
        profiler?.mark()
        for entry in tape.reversed() {
            zeroIfUnwritten(entry.output)
            if !entry.claimsInputs { for input in entry.inputs { zeroIfUnwritten(input) } }
            entry.closure()
            profiler?.attribute(entry.op, .backward)
        }
    }

    /// Runs the tape backwards from any node with a given output gradient (the benchmark times one
    /// op's backward this way, without a reduction op after it).
    public func backward(from node: Node, outputGradient: [Float]) {
        precondition(training, "Graph.backward: the graph is in evaluation mode (training == false)")
        let count = Graph.elementCount(shapes[node.index])
        precondition(outputGradient.count == count, "Graph.backward(from:): \(outputGradient.count) values for shape \(shapes[node.index])")
        guard let seed = grads[node.index] else { return }
        zeroIfUnwritten(node)
        outputGradient.withUnsafeBufferPointer { Elementwise.accumulate($0.baseAddress!, into: seed, count: count) }
        runTape()
    }

    // MARK: helpers for ops

    @inline(__always) static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// `gradientSharedWith`: a node whose gradient buffer this one views (reshape).
    func register(shape: [Int], value: UnsafeMutablePointer<Float>, grad: UnsafeMutablePointer<Float>?,
                  unwritten: Bool = false, gradientSharedWith: Node? = nil) -> Node {
        shapes.append(shape)
        values.append(value)
        grads.append(grad)
        gradientOwner.append(gradientSharedWith.map { gradientOwner[$0.index] } ?? shapes.count - 1)
        gradientUnwritten.append(unwritten)
        return Node(index: shapes.count - 1)
    }

    /// For a backward closure about to write node n's gradient: true if the buffer is still
    /// unwritten, in which case the caller takes it over and must OVERWRITE all of it; false if
    /// it must accumulate. Writers to one buffer must claim in the order they write.
    @inline(__always) func claimUnwrittenGradient(_ n: Node) -> Bool {
        let owner = gradientOwner[n.index]
        guard gradientUnwritten[owner] else { return false }
        gradientUnwritten[owner] = false
        return true
    }

    /// Zeroes node n's gradient if it is still unwritten (before a partial write or a reduction).
    @inline(__always) func zeroIfUnwritten(_ n: Node) {
        guard let g = grads[n.index], claimUnwrittenGradient(n) else { return }
        g.update(repeating: 0, count: Graph.elementCount(shapes[n.index]))
    }

    /// Whether an op on these inputs records a backward closure.
    @inline(__always) func needsGrad(_ inputs: Node...) -> Bool {
        training && inputs.contains { grads[$0.index] != nil }
    }

    /// An op's output: arena memory for the value and, if `withGrad`, an unwritten gradient buffer.
    func output(shape: [Int], withGrad: Bool) -> Node {
        let size = Graph.elementCount(shape)
        let value = activationArena.allocate(size)
        let grad = withGrad ? gradientArena.allocate(size) : nil
        return register(shape: shape, value: value, grad: grad, unwritten: withGrad)
    }

    /// Scratch memory that lives until the next `reset()` (saved statistics, masks).
    func scratch(_ count: Int) -> UnsafeMutablePointer<Float> { activationArena.allocate(count) }

    /// Pushes an op's backward closure; with a profiler, the time since the previous op ended is
    /// this op's forward time (the profiler wraps ops from outside; kernels know nothing of it).
    func record(_ op: StaticString, output: Node, inputs: [Node], claimsInputs: Bool = false,
                _ closure: @escaping () -> Void) {
        tape.append(TapeEntry(op: op, output: output, inputs: inputs, claimsInputs: claimsInputs, closure: closure))
        profiler?.attribute(op, .forward)
    }
}

/// An opaque handle to a tensor of one `Graph` step.
public struct Node: Hashable, Sendable {
    public let index: Int
}
