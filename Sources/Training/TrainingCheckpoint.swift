import Foundation
import Models
import TensorCore

/// Where a run stands between two steps: the counters the step loop keeps.
struct TrainingProgress: Equatable {
    /// The epoch the next step belongs to, and the windows left in it.
    var epoch: Int
    var windowsLeft: Int
    var steps = 0, windows = 0, tokens = 0
    /// The training loss since the last valid evaluation (the progress line's "train").
    var lossSum = 0.0, lossCount = 0
    var trainingSeconds = 0.0
    /// A run sized to its budget: the step it ends at, learnt from its first step's FLOPs.
    var budgetSteps: Int? = nil
}

/// A run stopped between two steps, with everything the next step reads: resuming from it takes
/// exactly the steps the uninterrupted run takes, so the record's results are the same bits.
///
/// It holds the parameters, the optimizer's moments, the step counters, both random streams
/// that advance during training (the window sampler's and the dropout generator, from which
/// every dropout lane generator is drawn), the best-valid snapshot, the valid curve so far and
/// the FLOP counters. Initialization is not needed again: the parameters replace it.
///
/// **Format**: a safetensors file (tensors `parameters`, `optimizer.N`, and `best` when a
/// best-valid snapshot is kept) whose metadata key `lmsweep.checkpoint` holds the JSON header
/// below. Every floating-point scalar is written as the hex digits of its bits, so that no
/// decimal round trip can change one.
public struct TrainingCheckpoint: Equatable {
    public static let format = "lmsweep-checkpoint-1"
    public let runID: String
    /// ``Numerics/fingerprint`` of the process that wrote it: a resume under other numerics
    /// would not give the uninterrupted run's bits, so it starts over instead.
    public let fingerprint: String
    var progress: TrainingProgress
    var flops: (forward: Double, backward: Double, optimizer: Double)
    var sampler: RNG
    var dropout: RNG
    var optimizer: OptimizerState
    var parameters: [Float]
    var best: (nll: Double, eval: Int, weights: [Float])?
    var validNLL: [Double]
    var validSteps: [Int]
    /// The record's other per-evaluation curves so far (tokens, exact FLOPs, training loss).
    var curves = Curves()

    struct Curves {
        var validTokens: [Int]?
        var validFLOPs: [Double]?
        var trainLoss: [Double]?

        func sameBits(as other: Curves) -> Bool {
            validTokens == other.validTokens && validFLOPs?.map(\.bitPattern) == other.validFLOPs?.map(\.bitPattern)
                && trainLoss?.map(\.bitPattern) == other.trainLoss?.map(\.bitPattern)
        }
    }

    /// The step the run resumes at.
    public var step: Int { progress.steps }

    public static func == (a: Self, b: Self) -> Bool {
        a.runID == b.runID && a.fingerprint == b.fingerprint && a.progress == b.progress
            && a.flops == b.flops && a.sampler.state == b.sampler.state && a.dropout.state == b.dropout.state
            && a.optimizer == b.optimizer && a.parameters == b.parameters
            && a.best?.nll == b.best?.nll && a.best?.eval == b.best?.eval && a.best?.weights == b.best?.weights
            && a.validNLL == b.validNLL && a.validSteps == b.validSteps && a.curves.sameBits(as: b.curves)
    }

    /// What the JSON header holds: the scalars, each Double as its bits.
    private struct Header: Codable {
        var format: String
        var run_id: String
        var fingerprint: String
        var epoch: Int, windows_left: Int, steps: Int, windows: Int, tokens: Int
        var loss_sum: String, loss_count: Int, training_seconds: String
        var flops_forward: String, flops_backward: String, flops_optimizer: String
        var sampler_rng: [String], dropout_rng: [String]
        var optimizer_steps: Int, optimizer_buffers: Int
        var best_nll: String?, best_eval: Int?
        var valid_nll: [String], valid_steps: [Int]
        var budget_steps: Int?
        var valid_tokens: [Int]?, valid_flops: [String]?, train_loss: [String]?
    }

    /// The checkpoint as bytes (safetensors with the header in its metadata).
    public func encoded() -> Data {
        let header = Header(
            format: Self.format, run_id: runID, fingerprint: fingerprint,
            epoch: progress.epoch, windows_left: progress.windowsLeft, steps: progress.steps,
            windows: progress.windows, tokens: progress.tokens,
            loss_sum: Self.bits(progress.lossSum), loss_count: progress.lossCount,
            training_seconds: Self.bits(progress.trainingSeconds),
            flops_forward: Self.bits(flops.forward), flops_backward: Self.bits(flops.backward),
            flops_optimizer: Self.bits(flops.optimizer),
            sampler_rng: sampler.state.map { String($0, radix: 16) }, dropout_rng: dropout.state.map { String($0, radix: 16) },
            optimizer_steps: optimizer.steps, optimizer_buffers: optimizer.buffers.count,
            best_nll: best.map { Self.bits($0.nll) }, best_eval: best?.eval,
            valid_nll: validNLL.map(Self.bits), valid_steps: validSteps, budget_steps: progress.budgetSteps,
            valid_tokens: curves.validTokens, valid_flops: curves.validFLOPs?.map(Self.bits), train_loss: curves.trainLoss?.map(Self.bits))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Strings and integers only: encoding cannot fail.
        let json = String(decoding: try! encoder.encode(header), as: UTF8.self)
        var tensors = [Safetensors.Tensor(name: "parameters", shape: [parameters.count], values: parameters)]
        for (i, buffer) in optimizer.buffers.enumerated() {
            tensors.append(Safetensors.Tensor(name: "optimizer.\(i)", shape: [buffer.count], values: buffer))
        }
        if let best, !best.weights.isEmpty {
            tensors.append(Safetensors.Tensor(name: "best", shape: [best.weights.count], values: best.weights))
        }
        return Safetensors.encode(tensors, metadata: ["lmsweep.checkpoint": json])
    }

    /// Reads what ``encoded()`` wrote; `source` names the bytes in errors (a file's path).
    public init(decoding data: Data, source: String) throws {
        let (tensors, metadata) = try Safetensors.decode(data, path: source)
        func problem(_ message: String) -> Safetensors.FormatError { .init(path: source, message: message) }
        guard let json = metadata["lmsweep.checkpoint"] else { throw problem("not an lmsweep checkpoint (no lmsweep.checkpoint header)") }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(json.utf8)) } catch {
            throw problem("its checkpoint header does not parse: \(error)")
        }
        guard header.format == Self.format else { throw problem("checkpoint format \(header.format), this build reads \(Self.format)") }
        let byName = Dictionary(tensors.map { ($0.name, $0.values) }, uniquingKeysWith: { a, _ in a })
        guard let parameters = byName["parameters"] else { throw problem("no parameters tensor") }
        let buffers = try (0..<max(0, header.optimizer_buffers)).map { i in
            guard let buffer = byName["optimizer.\(i)"] else { throw problem("no optimizer.\(i) tensor") }
            return buffer
        }
        func double(_ text: String, _ field: String) throws -> Double {
            guard let bits = UInt64(text, radix: 16) else { throw problem("\(field) \"\(text)\" is not hex bits") }
            return Double(bitPattern: bits)
        }
        func rng(_ words: [String], _ field: String) throws -> RNG {
            let state = words.compactMap { UInt64($0, radix: 16) }
            guard state.count == words.count, let generator = RNG(state: state) else {
                throw problem("\(field) is not a generator state")
            }
            return generator
        }
        guard header.epoch >= 0, header.windows_left >= 0, header.steps >= 0, header.windows >= 0, header.tokens >= 0,
              header.loss_count >= 0, header.valid_nll.count == header.valid_steps.count else {
            throw problem("its counters are out of range")
        }
        runID = header.run_id
        fingerprint = header.fingerprint
        progress = TrainingProgress(epoch: header.epoch, windowsLeft: header.windows_left, steps: header.steps,
                                    windows: header.windows, tokens: header.tokens,
                                    lossSum: try double(header.loss_sum, "loss_sum"), lossCount: header.loss_count,
                                    trainingSeconds: try double(header.training_seconds, "training_seconds"),
                                    budgetSteps: header.budget_steps)
        flops = (try double(header.flops_forward, "flops_forward"), try double(header.flops_backward, "flops_backward"),
                 try double(header.flops_optimizer, "flops_optimizer"))
        sampler = try rng(header.sampler_rng, "sampler_rng")
        dropout = try rng(header.dropout_rng, "dropout_rng")
        optimizer = OptimizerState(steps: header.optimizer_steps, buffers: buffers)
        self.parameters = parameters
        if let nll = header.best_nll, let eval = header.best_eval {
            best = (try double(nll, "best_nll"), eval, byName["best"] ?? [])
        } else {
            best = nil
        }
        validNLL = try header.valid_nll.map { try double($0, "valid_nll") }
        validSteps = header.valid_steps
        curves = Curves(validTokens: header.valid_tokens,
                        validFLOPs: try header.valid_flops?.map { try double($0, "valid_flops") },
                        trainLoss: try header.train_loss?.map { try double($0, "train_loss") })
    }

    init(runID: String, fingerprint: String, progress: TrainingProgress,
         flops: (forward: Double, backward: Double, optimizer: Double), sampler: RNG, dropout: RNG,
         optimizer: OptimizerState, parameters: [Float], best: (nll: Double, eval: Int, weights: [Float])?,
         validNLL: [Double], validSteps: [Int], curves: Curves = Curves()) {
        self.runID = runID
        self.fingerprint = fingerprint
        self.progress = progress
        self.flops = flops
        self.sampler = sampler
        self.dropout = dropout
        self.optimizer = optimizer
        self.parameters = parameters
        self.best = best
        self.validNLL = validNLL
        self.validSteps = validSteps
        self.curves = curves
    }

    private static func bits(_ value: Double) -> String { String(value.bitPattern, radix: 16) }
}

/// How one run checkpoints: the checkpoint to resume from, where new ones go, and a stop
/// request another thread may raise (SIGTERM). The interval is the run's `checkpoint_every`.
public struct Checkpointing {
    /// Bytes of a checkpoint of this run (``TrainingCheckpoint/encoded()``), or nil to start fresh.
    public var resumeFrom: Data?
    /// Receives every checkpoint the run takes. It must not block for long: the run waits.
    public var save: (TrainingCheckpoint) -> Void
    /// Raised: the run checkpoints at its next step boundary and stops, interrupted.
    public var stop: StopRequest

    public init(resumeFrom: Data? = nil, stop: StopRequest = StopRequest(), save: @escaping (TrainingCheckpoint) -> Void) {
        self.resumeFrom = resumeFrom
        self.save = save
        self.stop = stop
    }
}

/// A flag one thread raises and others read: "checkpoint and stop".
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    public init() {}
    public func raise() {
        lock.lock(); raised = true; lock.unlock()
    }
    public var isRaised: Bool {
        lock.lock(); defer { lock.unlock() }
        return raised
    }
}

/// How a run ended: with its record, or stopped by a ``StopRequest`` before it finished.
public enum RunOutcome {
    case finished(RunRecord)
    /// `checkpointedAt`: the step of the checkpoint it took on stopping (nil when it took none:
    /// `checkpoint_every: 0`, or it stopped before its first step).
    case interrupted(id: String, checkpointedAt: Int?)

    public var record: RunRecord? {
        if case .finished(let record) = self { return record }
        return nil
    }
}
