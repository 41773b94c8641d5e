/// What an optimizer carries from one step to the next, as plain values: what a checkpoint
/// saves so that a resumed run takes exactly the steps the uninterrupted run would have taken.
public struct OptimizerState: Equatable, Sendable {
    /// Steps taken (Adam's t); for SGD, 1 once the momentum buffer holds a value.
    public var steps: Int
    /// Adam: the first and second moments. SGD: the momentum buffer. Each parallel to the parameters.
    public var buffers: [[Float]]

    public init(steps: Int, buffers: [[Float]]) {
        self.steps = steps
        self.buffers = buffers
    }
}

/// A state that does not fit the optimizer it is restored into.
public struct OptimizerStateMismatch: Error, CustomStringConvertible {
    public let description: String
}

extension Adam {
    public var state: OptimizerState {
        let count = parameters.count
        return OptimizerState(steps: stepCount, buffers: [Array(UnsafeBufferPointer(start: firstMoment, count: count)),
                                                          Array(UnsafeBufferPointer(start: secondMoment, count: count))])
    }

    public func restore(_ state: OptimizerState) throws {
        let count = parameters.count
        guard state.buffers.count == 2, state.buffers.allSatisfy({ $0.count == count }), state.steps >= 0 else {
            throw OptimizerStateMismatch(description: "Adam needs 2 buffers of \(count) values, the state has "
                                         + "\(state.buffers.map(\.count)) (step \(state.steps))")
        }
        firstMoment.update(from: state.buffers[0], count: count)
        secondMoment.update(from: state.buffers[1], count: count)
        stepCount = state.steps
    }
}

extension SGD {
    public var state: OptimizerState {
        OptimizerState(steps: started ? 1 : 0,
                       buffers: [Array(UnsafeBufferPointer(start: momentumBuffer, count: parameters.count))])
    }

    public func restore(_ state: OptimizerState) throws {
        let count = parameters.count
        guard state.buffers.count == 1, state.buffers[0].count == count, state.steps >= 0 else {
            throw OptimizerStateMismatch(description: "SGD needs 1 buffer of \(count) values, the state has "
                                         + "\(state.buffers.map(\.count)) (step \(state.steps))")
        }
        momentumBuffer.update(from: state.buffers[0], count: count)
        started = state.steps > 0
    }
}
