import Foundation

/// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019) with torch.optim's update rule:
///   Adam:  g ← g + λ·p                     AdamW: p ← p − lr·λ·p   (decoupled, before the update)
///   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²
///   p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)
/// The moments m and v are each one contiguous allocation, parallel to the parameter buffer.
public final class Adam {
    public let parameters: ParameterSet
    public var lr: Float
    public let beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    public let decoupledWeightDecay: Bool
    let flops: FlopCounter?
    /// Steps taken so far (t in the bias corrections).
    public internal(set) var stepCount = 0
    let firstMoment: UnsafeMutablePointer<Float>
    let secondMoment: UnsafeMutablePointer<Float>

    public init(parameters: ParameterSet, lr: Float, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
                weightDecay: Float = 0, decoupledWeightDecay: Bool = false, flops: FlopCounter?) {
        precondition(parameters.isFinalized, "Adam: finalize the ParameterSet first")
        self.parameters = parameters
        self.lr = lr
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        self.flops = flops
        firstMoment = ParameterSet.allocateAligned(parameters.count)
        secondMoment = ParameterSet.allocateAligned(parameters.count)
    }

    deinit {
        firstMoment.deallocate()
        secondMoment.deallocate()
    }

    public func step() { step(lr: lr) }

    /// One update of every parameter. With `zeroingGradients` the gradients are set to zero in
    /// the same pass (the next step's zeroGrad, without another sweep over the buffer: with
    /// vector square roots, Adam on the linear and MLP models runs at memory speed).
    public func step(lr: Float, zeroingGradients: Bool = false) {
        stepCount += 1
        let t = Float(stepCount)
        let stepSize = lr / (1 - Foundation.pow(beta1, t))
        let correction2Root = (1 - Foundation.pow(beta2, t)).squareRoot()
        let p = parameters.valueStorage, g = parameters.gradStorage
        let m = firstMoment, v = secondMoment
        let (b1, b2, eps, wd) = (beta1, beta2, eps, weightDecay)
        let count = parameters.count
        // AdamW's decay p ← (1 − lr·λ)·p before the update, in the same pass; × 1 is exact otherwise.
        let decay: Float = decoupledWeightDecay && wd != 0 ? 1 - lr * wd : 1
        let l2 = decoupledWeightDecay ? 0 : wd
        // Sixteen lanes at a time (the buffers are 64-byte aligned and do not alias); the same
        // operations in the same order per element as the scalar tail, so the bits agree.
        typealias Lanes = SIMD16<Float>
        let vectorCount = count / Lanes.scalarCount * Lanes.scalarCount
        var i = 0
        while i < vectorCount {
            let pp = UnsafeMutableRawPointer(p + i), gp = UnsafeMutableRawPointer(g + i)
            let mp = UnsafeMutableRawPointer(m + i), vp = UnsafeMutableRawPointer(v + i)
            let params = pp.load(as: Lanes.self) * decay
            let grad = gp.load(as: Lanes.self) + l2 * params
            if zeroingGradients { gp.storeBytes(of: Lanes(repeating: 0), as: Lanes.self) }
            let mi = b1 * mp.load(as: Lanes.self) + (1 - b1) * grad
            let vi = b2 * vp.load(as: Lanes.self) + (1 - b2) * grad * grad
            mp.storeBytes(of: mi, as: Lanes.self)
            vp.storeBytes(of: vi, as: Lanes.self)
            let root = Lanes(lowHalf: Vector.squareRoot(vi.lowHalf), highHalf: Vector.squareRoot(vi.highHalf))
            pp.storeBytes(of: params - stepSize * mi / (root / correction2Root + eps), as: Lanes.self)
            i += Lanes.scalarCount
        }
        for i in vectorCount..<count {
            let params = p[i] * decay
            let grad = g[i] + l2 * params
            if zeroingGradients { g[i] = 0 }
            let mi = b1 * m[i] + (1 - b1) * grad
            let vi = b2 * v[i] + (1 - b2) * grad * grad
            m[i] = mi
            v[i] = vi
            p[i] = params - stepSize * mi / (vi.squareRoot() / correction2Root + eps)
        }
        flops?.add((FlopConvention.adam + (wd != 0 ? FlopConvention.weightDecay : 0)) * Double(count), .optimizer)
    }
}

/// SGD with momentum, torch.optim.SGD's rule (dampening 0, no Nesterov):
///   g ← g + λ·p;  b ← g on the first step, else μ·b + g;  p ← p − lr·b.
public final class SGD {
    public let parameters: ParameterSet
    public var lr: Float
    public let momentum: Float, weightDecay: Float
    let flops: FlopCounter?
    let momentumBuffer: UnsafeMutablePointer<Float>
    var started = false

    public init(parameters: ParameterSet, lr: Float, momentum: Float = 0, weightDecay: Float = 0, flops: FlopCounter?) {
        precondition(parameters.isFinalized, "SGD: finalize the ParameterSet first")
        self.parameters = parameters
        self.lr = lr
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.flops = flops
        momentumBuffer = ParameterSet.allocateAligned(parameters.count)
    }

    deinit { momentumBuffer.deallocate() }

    public func step() { step(lr: lr) }

    public func step(lr: Float) {
        let p = parameters.valueStorage, g = parameters.gradStorage, b = momentumBuffer
        let (mu, wd, count) = (momentum, weightDecay, parameters.count)
        let first = !started
        started = true
        for i in 0..<count {
            var grad = g[i] + wd * p[i]
            if mu != 0 {
                b[i] = first ? grad : mu * b[i] + grad
                grad = b[i]
            }
            p[i] -= lr * grad
        }
        let perParameter = FlopConvention.sgd + (mu != 0 ? FlopConvention.sgdMomentum : 0)
            + (wd != 0 ? FlopConvention.weightDecay : 0)
        flops?.add(perParameter * Double(count), .optimizer)
    }
}

/// Global-norm gradient clipping (torch.nn.utils.clip_grad_norm_): if ‖g‖ > maxNorm, scale every
/// gradient by maxNorm / (‖g‖ + 1e−6). Returns the norm before clipping. The sum of squares is
/// accumulated in Double in a fixed order, so the result does not depend on the machine.
@discardableResult
public func clipGradNorm(_ parameters: ParameterSet, maxNorm: Float, flops: FlopCounter?) -> Float {
    let g = parameters.gradStorage, count = parameters.count
    var squares: Double = 0
    for i in 0..<count { squares += Double(g[i]) * Double(g[i]) }
    let norm = Float(squares.squareRoot())
    flops?.add(FlopConvention.gradNorm * Double(count), .optimizer)
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 {
        for i in 0..<count { g[i] *= coefficient }
        flops?.add(FlopConvention.gradClip * Double(count), .optimizer)
    }
    return norm
}

/// Learning-rate schedules; `step` counts from 0.
public enum LRSchedule: Sendable {
    case constant(Float)
    /// Linear warmup to `peak` over `warmup` steps (step s gets peak·(s+1)/warmup), then cosine
    /// decay to `minLR` at step `total` (nanoGPT's schedule); `minLR` after that.
    case warmupCosine(peak: Float, warmup: Int, total: Int, minLR: Float = 0)
    /// Warmup-stable-decay (Hu et al. 2024, MiniCPM; Hägele et al. 2024): the same linear warmup,
    /// `peak` until the last `decay` steps before `total`, then a linear decay reaching 0 at
    /// step `total` (the step after the last); 0 after that.
    case warmupStableDecay(peak: Float, warmup: Int, total: Int, decay: Int)

    public func lr(at step: Int) -> Float {
        switch self {
        case .constant(let value):
            return value
        case .warmupCosine(let peak, let warmup, let total, let minLR):
            if step < warmup { return peak * Float(step + 1) / Float(warmup) }
            if step >= total { return minLR }
            let progress = Double(step - warmup) / Double(max(1, total - warmup))
            let cosine = 0.5 * (1 + Foundation.cos(Double.pi * progress))
            return minLR + Float(cosine) * (peak - minLR)
        case .warmupStableDecay(let peak, let warmup, let total, let decay):
            if step < warmup { return peak * Float(step + 1) / Float(warmup) }
            if step >= total { return 0 }
            let decayStart = total - max(1, decay)
            if step < decayStart { return peak }
            return peak * Float(total - step) / Float(max(1, decay))
        }
    }
}
