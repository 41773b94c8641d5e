import Foundation
import Models
import TensorCore

/// A run's model, its training graph and optimizer, and one step: forward, fused loss,
/// backward, optional clipping, optimizer. Shared by the Trainer and the throughput benchmark,
/// so the benchmark times exactly what a run executes.
///
/// Randomness comes from independent streams of the run's seed (initialization here, dropout
/// here, window sampling in Corpus), so changing how many draws one makes never shifts another.
public final class TrainingStep {
    static let initializationStream: UInt64 = 0x494E_4954       // "INIT"
    static let dropoutStream: UInt64 = 0x44_524F_504F_5554      // "DROPOUT"

    public let run: Run
    public let model: any LanguageModel
    /// Training FLOPs (forward, backward, optimizer) from every step so far.
    public let flops = FlopCounter()
    private let graph: Graph
    private let optimizer: OptimizerStep
    private var dropoutRNG: RNG
    /// Adam zeroes the gradients in its update pass; then the next step skips its own zeroGrad.
    private var gradientsAreZero = false
    /// Charges each op's time, and zeroGrad's and the optimizer's, when set (`lmsweep bench --sections profile`).
    public var profiler: OpProfiler? {
        didSet { graph.profiler = profiler }
    }

    public init(run: Run, vocabularySize: Int) {
        self.run = run
        var initRNG = RNG(seed: run.seed, stream: Self.initializationStream)
        model = makeLanguageModel(run.modelConfig(vocabularySize: vocabularySize), initRNG: &initRNG)
        dropoutRNG = RNG(seed: run.seed, stream: Self.dropoutStream)
        graph = Graph(parameters: model.parameters, training: true, flops: flops)
        optimizer = OptimizerStep(run, parameters: model.parameters, flops: flops)
    }

    /// Bytes the step graph's arenas hold (activations, gradients): flat from the second step on.
    public var arenaBytes: (activations: Int, gradients: Int) { graph.arenaBytes }

    /// One optimizer step on `windows` windows (inputs (windows, T); targets (windows) for the
    /// `last` objective, (windows, T) for `all`). Returns the mean loss; a non-finite loss
    /// skips backward and the update, so the caller can stop with status `diverged`.
    public func step(inputs: [Int32], targets: [Int32], windows: Int, lr: Float) -> Float {
        profiler?.mark()
        graph.reset()
        if !gradientsAreZero { model.parameters.zeroGrad() }
        profiler?.attribute("zeroGrad", .forward)
        let logits = model.logits(graph, tokens: inputs, batchSize: windows,
                                  predicting: run.predictedPositions, dropoutRNG: &dropoutRNG)
        let loss = graph.crossEntropy(logits, targets: targets)
        let value = graph.scalar(loss)
        guard value.isFinite else { return value }
        gradientsAreZero = false
        graph.backward(loss)
        profiler?.mark()
        if let clip = run.gradClip {
            _ = clipGradNorm(model.parameters, maxNorm: Float(clip), flops: flops)
        }
        gradientsAreZero = optimizer.step(lr: lr)
        profiler?.attribute("optimizer", .forward)
        return value
    }
}

extension TrainingStep {
    /// The dropout generator and the optimizer's state: with the parameters and the FLOP
    /// counters, all a step carries to the next.
    var carried: (dropout: RNG, optimizer: OptimizerState) {
        switch optimizer {
        case .adam(let adam): return (dropoutRNG, adam.state)
        case .sgd(let sgd): return (dropoutRNG, sgd.state)
        }
    }

    /// Continues from what a checkpoint saved of ``carried``.
    func restore(dropout: RNG, optimizer state: OptimizerState) throws {
        switch optimizer {
        case .adam(let adam): try adam.restore(state)
        case .sgd(let sgd): try sgd.restore(state)
        }
        dropoutRNG = dropout
        gradientsAreZero = false
    }
}

/// The configured optimizer behind one `step(lr:)`.
enum OptimizerStep {
    case adam(Adam)
    case sgd(SGD)

    init(_ c: Run, parameters: ParameterSet, flops: FlopCounter) {
        switch c.optimizer {
        case .adam, .adamw:
            self = .adam(Adam(parameters: parameters, lr: Float(c.lr), beta1: Float(c.beta1), beta2: Float(c.beta2),
                              weightDecay: Float(c.weightDecay), decoupledWeightDecay: c.optimizer == .adamw,
                              flops: flops))
        case .sgd:
            self = .sgd(SGD(parameters: parameters, lr: Float(c.lr), momentum: Float(c.momentum),
                            weightDecay: Float(c.weightDecay), flops: flops))
        }
    }

    /// Updates the parameters; returns whether the gradients were zeroed in the same pass.
    func step(lr: Float) -> Bool {
        switch self {
        case .adam(let adam): adam.step(lr: lr, zeroingGradients: true); return true
        case .sgd(let sgd): sgd.step(lr: lr); return false
        }
    }
}
