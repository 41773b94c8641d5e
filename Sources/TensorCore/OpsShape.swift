/// Layout ops: reshape (a free view), split/merge of attention heads, last position, concat,
/// chunk. They move data and cost no FLOPs by convention.
extension Graph {
    /// A view with a new shape: shares the value and gradient buffers, so it copies nothing and
    /// its backward is the identity by construction.
    public func reshape(_ x: Node, _ shape: [Int]) -> Node {
        precondition(Graph.elementCount(shape) == Graph.elementCount(shapes[x.index]),
                     "reshape: \(shapes[x.index]) has \(Graph.elementCount(shapes[x.index])) elements, \(shape) needs \(Graph.elementCount(shape))")
        return register(shape: shape, value: values[x.index], grad: grads[x.index], gradientSharedWith: x)
    }

    /// Copies row blocks between two layouts: for every (outer, block) pair, `width` floats move
    /// from source offset `sourceOffset(outer, block)` to destination `destinationOffset(outer, block)`.
    private func permuteBlocks(outer: Int, blocks: Int, width: Int,
                               _ offsets: @escaping (Int, Int) -> (source: Int, destination: Int)) -> (
        _ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, _ accumulate: Bool) -> Void {
        return { source, destination, accumulate in
            for o in 0..<outer {
                for block in 0..<blocks {
                    let (s, d) = offsets(o, block)
                    if accumulate {
                        Elementwise.accumulate(source + s, into: destination + d, count: width)
                    } else {
                        (destination + d).update(from: source + s, count: width)
                    }
                }
            }
        }
    }

    /// (B, T, H·D) → (B, H, T, D).
    public func splitHeads(_ x: Node, heads: Int) -> Node {
        let shape = shapes[x.index]
        precondition(shape.count == 3 && shape[2] % heads == 0, "splitHeads: input \(shape) must be (B, T, C) with C divisible by \(heads) heads")
        let (batch, time, headDim) = (shape[0], shape[1], shape[2] / heads)
        let channels = shape[2]
        // block = (t, h): source (b, t, h·D), destination (b, h, t, ·)
        let move = permuteBlocks(outer: batch, blocks: time * heads, width: headDim) { b, block in
            let t = block / heads, h = block % heads
            return (b * time * channels + t * channels + h * headDim, ((b * heads + h) * time + t) * headDim)
        }
        let back = permuteBlocks(outer: batch, blocks: time * heads, width: headDim) { b, block in
            let t = block / heads, h = block % heads
            return (((b * heads + h) * time + t) * headDim, b * time * channels + t * channels + h * headDim)
        }
        return layoutOp("splitHeads", x, shape: [batch, heads, time, headDim], coversInput: true, forward: move, backward: back)
    }

    /// (B, H, T, D) → (B, T, H·D).
    public func mergeHeads(_ x: Node) -> Node {
        let shape = shapes[x.index]
        precondition(shape.count == 4, "mergeHeads: input \(shape) must be (B, H, T, D)")
        let (batch, heads, time, headDim) = (shape[0], shape[1], shape[2], shape[3])
        let channels = heads * headDim
        let move = permuteBlocks(outer: batch, blocks: time * heads, width: headDim) { b, block in
            let t = block / heads, h = block % heads
            return (((b * heads + h) * time + t) * headDim, b * time * channels + t * channels + h * headDim)
        }
        let back = permuteBlocks(outer: batch, blocks: time * heads, width: headDim) { b, block in
            let t = block / heads, h = block % heads
            return (b * time * channels + t * channels + h * headDim, ((b * heads + h) * time + t) * headDim)
        }
        return layoutOp("mergeHeads", x, shape: [batch, time, channels], coversInput: true, forward: move, backward: back)
    }

    /// (B, T, C) → (B, C): the last time step (the study's last-position objective).
    public func lastPosition(_ x: Node) -> Node {
        let shape = shapes[x.index]
        precondition(shape.count == 3, "lastPosition: input \(shape) must be (B, T, C)")
        let (time, channels) = (shape[1], shape[2])
        let move = permuteBlocks(outer: shape[0], blocks: 1, width: channels) { b, _ in
            ((b * time + time - 1) * channels, b * channels)
        }
        let back = permuteBlocks(outer: shape[0], blocks: 1, width: channels) { b, _ in
            (b * channels, (b * time + time - 1) * channels)
        }
        return layoutOp("lastPosition", x, shape: [shape[0], channels], forward: move, backward: back)
    }

    /// Concatenation along `axis`; all other dims must match.
    public func concat(_ xs: [Node], axis: Int) -> Node {
        precondition(!xs.isEmpty, "concat: no inputs")
        let first = shapes[xs[0].index]
        precondition(axis >= 0 && axis < first.count, "concat: axis \(axis) out of range for \(first)")
        for x in xs {
            let s = shapes[x.index]
            precondition(s.count == first.count && s.enumerated().allSatisfy { $0.offset == axis || $0.element == first[$0.offset] },
                         "concat: shapes \(first) and \(s) differ off axis \(axis)")
        }
        let outer = Graph.elementCount(Array(first[..<axis]))
        let widths = xs.map { Graph.elementCount(Array(shapes[$0.index][axis...])) }
        let total = widths.reduce(0, +)
        var outShape = first
        outShape[axis] = xs.reduce(0) { $0 + shapes[$1.index][axis] }
        let withGrad = training && xs.contains { grads[$0.index] != nil }
        let out = output(shape: outShape, withGrad: withGrad)
        let py = values[out.index]
        var column = 0
        var placements: [(value: UnsafeMutablePointer<Float>, grad: UnsafeMutablePointer<Float>?, width: Int, column: Int)] = []
        for (x, width) in zip(xs, widths) {
            placements.append((values[x.index], grads[x.index], width, column))
            for o in 0..<outer { (py + o * total + column).update(from: values[x.index] + o * width, count: width) }
            column += width
        }
        if withGrad {
            let dy = grads[out.index]!
            record("concat", output: out, inputs: xs) {
                for p in placements {
                    guard let dx = p.grad else { continue }
                    for o in 0..<outer { Elementwise.accumulate(dy + o * total + p.column, into: dx + o * p.width, count: p.width) }
                }
            }
        }
        return out
    }

    /// Splits the last dim into `parts` equal pieces (torch.chunk): e.g. a fused QKV projection.
    public func chunk(_ x: Node, _ parts: Int) -> [Node] {
        let shape = shapes[x.index]
        let channels = shape.last!
        precondition(parts > 0 && channels % parts == 0, "chunk: last dim of \(shape) is not divisible by \(parts)")
        let width = channels / parts
        let rows = Graph.elementCount(shape) / channels
        return (0..<parts).map { part in
            let move = permuteBlocks(outer: rows, blocks: 1, width: width) { r, _ in (r * channels + part * width, r * width) }
            let back = permuteBlocks(outer: rows, blocks: 1, width: width) { r, _ in (r * width, r * channels + part * width) }
            return layoutOp("chunk", x, shape: Array(shape.dropLast()) + [width], forward: move, backward: back)
        }
    }

    /// A pure data-movement op: `forward` copies x into the output, `backward` accumulates the
    /// output gradient back into x's gradient.
    /// `coversInput`: the backward writes every element of x's gradient (a permutation), so it
    /// may overwrite an unwritten buffer instead of zeroing and accumulating.
    private func layoutOp(_ name: StaticString, _ x: Node, shape: [Int], coversInput: Bool = false,
                          forward: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Bool) -> Void,
                          backward: @escaping (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Bool) -> Void) -> Node {
        let withGrad = needsGrad(x)
        let out = output(shape: shape, withGrad: withGrad)
        forward(values[x.index], values[out.index], false)
        if withGrad {
            let dx = grads[x.index]!, dy = grads[out.index]!
            record(name, output: out, inputs: [x], claimsInputs: coversInput) { [unowned self] in
                let overwrite = coversInput && self.claimUnwrittenGradient(x)
                backward(dy, dx, !overwrite)
            }
        }
        return out
    }
}
