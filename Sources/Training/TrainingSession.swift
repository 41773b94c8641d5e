import Corpus
import Foundation
import Models
import TensorCore

/// One run from initialization to test NLL: the step loop, its budgets, valid evaluations with
/// best-weight snapshots, divergence detection and the record's results.
final class TrainingSession {
    let run: Run
    let corpus: LoadedCorpus
    let model: any LanguageModel
    let valid, test: EvaluationWindows
    let progress: ((String) -> Void)?
    private var sampler: TrainingWindowSampler
    private let stepper: TrainingStep
    /// Training FLOPs only (forward, backward, optimizer); evaluation counts separately.
    var flops: FlopCounter { stepper.flops }
    private let evaluator: Evaluator
    private(set) var schedule: LRSchedule
    /// A run sized to its FLOP budget: its length in steps, known after the first step.
    private(set) var budgetSteps: Int?

    /// Ticked at every step and evaluation batch (a rank's heartbeat reads it).
    let activity: Activity?

    init(run: Run, corpus: LoadedCorpus, sampler: TrainingWindowSampler,
         valid: EvaluationWindows, test: EvaluationWindows, progress: ((String) -> Void)?, activity: Activity? = nil) {
        self.activity = activity
        self.run = run
        self.corpus = corpus
        self.sampler = sampler
        self.valid = valid
        self.test = test
        self.progress = progress
        stepper = TrainingStep(run: run, vocabularySize: corpus.vocabulary.count)
        model = stepper.model
        evaluator = Evaluator(model: model, objective: run.predictedPositions, activity: activity)
        schedule = Self.schedule(run, totalSteps: CostEstimate.plannedSteps(run))
    }

    /// The run's learning-rate schedule over `totalSteps`; WSD decays over the last 20% of them.
    static func schedule(_ run: Run, totalSteps: Int) -> LRSchedule {
        let peak = Float(run.lr)
        switch run.schedule {
        case .constant: return .constant(peak)
        case .cosine: return .warmupCosine(peak: peak, warmup: run.warmupSteps, total: totalSteps)
        case .wsd: return .warmupStableDecay(peak: peak, warmup: run.warmupSteps, total: totalSteps, decay: max(1, totalSteps / 5))
        }
    }

    /// A run sized to its budget learns its length from its first step's exact FLOPs (every
    /// full step of a run costs the same: the ops and shapes do not change), and its schedule is
    /// rebuilt to end at that step. The first step's learning rate does not depend on the
    /// schedule's length, so it is the same either way.
    private func sizeToBudget(afterFirstStep plannedSteps: inout Int) {
        guard run.sizeToBudget, let budget = run.flopBudget, budgetSteps == nil, flops.total > 0 else { return }
        sizeToBudget(steps: max(1, Int((budget / flops.total).rounded())), plannedSteps: &plannedSteps)
    }

    /// Ends the run, and its schedule, at step `steps`.
    private func sizeToBudget(steps: Int, plannedSteps: inout Int) {
        budgetSteps = steps
        plannedSteps = min(plannedSteps, steps)
        schedule = Self.schedule(run, totalSteps: plannedSteps)
    }

    /// Trains, evaluates and fills every result field of `record`. With `checkpointing`, it
    /// resumes from `resume` (a checkpoint of this run, already checked), checkpoints every
    /// `checkpoint_every` seconds, and when the stop request is raised checkpoints at the next
    /// step boundary and returns the step it stopped at: then `record` is incomplete.
    func train(into record: inout RunRecord, checkpointing: Checkpointing? = nil,
               resume: TrainingCheckpoint? = nil) throws -> Interrupted? {
        let c = run
        let targetsPerWindow = c.objective == .all ? c.context : 1
        let parameterCounts = (total: model.parameterCount, nonEmbedding: model.nonEmbeddingParameterCount)
        record.paramsTotal = parameterCounts.total
        record.paramsNonEmbedding = parameterCounts.nonEmbedding

        var batch = TrainingBatch(batchSize: c.batchSize, contextLength: c.context,
                                  targets: c.objective == .all ? .all : .last)
        var p = TrainingProgress(epoch: 0, windowsLeft: c.windowsPerEpoch)
        var diverged: String? = nil
        var best: (nll: Double, eval: Int, weights: [Float])? = nil
        var plannedSteps = CostEstimate.plannedSteps(c)
        if let resume {
            model.parameters.flatValues = resume.parameters
            try stepper.restore(dropout: resume.dropout, optimizer: resume.optimizer)
            sampler.resume(rng: resume.sampler)
            (flops.forward, flops.backward, flops.optimizer) = resume.flops
            p = resume.progress
            best = resume.best
            record.validNLL = resume.validNLL
            record.validSteps = resume.validSteps
            (record.validTokens, record.validFLOPs, record.trainLoss) =
                (resume.curves.validTokens, resume.curves.validFLOPs, resume.curves.trainLoss)
            // A run sized to its budget learnt its length at its first step, before the checkpoint.
            if let steps = resume.progress.budgetSteps { sizeToBudget(steps: steps, plannedSteps: &plannedSteps) }
        }

        /// A valid evaluation: records it, keeps the best weights, reports progress.
        func evaluateValid(epoch: Int) {
            let nll = evaluator.nll(valid)
            let trainLoss = p.lossCount > 0 ? p.lossSum / Double(p.lossCount) : .nan
            p.lossSum = 0; p.lossCount = 0
            record.validNLL.append(nll)
            record.validSteps.append(p.steps)
            record.validTokens = (record.validTokens ?? []) + [p.tokens]
            record.validFLOPs = (record.validFLOPs ?? []) + [flops.total]
            record.trainLoss = (record.trainLoss ?? []) + [trainLoss]
            guard nll.isFinite else {
                diverged = "valid NLL is \(nll) at step \(p.steps)"
                return
            }
            if best == nil || nll < best!.nll {
                best = (nll, record.validNLL.count - 1, c.restoreBest ? model.parameters.flatValues : [])
            }
            let rate = p.trainingSeconds > 0 ? Double(p.windows) / p.trainingSeconds : 0
            let remaining = rate > 0 ? Double(max(0, plannedSteps - p.steps) * c.batchSize) / rate : 0
            progress?(String(format: "%@ epoch %d/%d step %d/%d  train %.4f  valid %.4f%@  %.0f windows/s  ETA %@",
                             record.id, epoch + 1, c.epochs, p.steps, plannedSteps, trainLoss, nll,
                             best?.eval == record.validNLL.count - 1 ? " (best)" : "", rate,
                             durationText(remaining)))
        }

        /// Everything the next step reads, as it stands now.
        func checkpoint() -> TrainingCheckpoint {
            var state = p
            state.budgetSteps = budgetSteps
            return TrainingCheckpoint(runID: record.id, fingerprint: Numerics.thisProcess.fingerprint, progress: state,
                               flops: (flops.forward, flops.backward, flops.optimizer), sampler: sampler.rng,
                               dropout: stepper.carried.dropout, optimizer: stepper.carried.optimizer,
                               parameters: model.parameters.flatValues, best: best,
                               validNLL: record.validNLL, validSteps: record.validSteps,
                               curves: .init(validTokens: record.validTokens, validFLOPs: record.validFLOPs, trainLoss: record.trainLoss))
        }

        if let resume {
            progress?("\(record.id) resuming from its checkpoint at step \(resume.step)/\(plannedSteps)")
        } else {
            progress?("\(record.id) \(c.architecture.rawValue) on \(c.dataset.rawValue): \(parameterCounts.total) parameters, "
                      + "\(c.epochs) epochs of \(c.windowsPerEpoch) windows (batch \(c.batchSize), T \(c.context)), \(plannedSteps) steps planned")
        }
        var lastCheckpoint = Date()
        training: while p.epoch < c.epochs {
            var stopped = false
            while p.windowsLeft > 0 {
                // Between two steps: the only place a checkpoint is consistent.
                if let checkpointing {
                    // Never the state this session started from: that one is saved already.
                    let moved = p.steps > (resume?.step ?? 0)
                    if checkpointing.stop.isRaised {
                        guard c.checkpointEvery > 0, moved else { return Interrupted(checkpointedAt: resume?.step) }
                        checkpointing.save(checkpoint())
                        return Interrupted(checkpointedAt: p.steps)
                    }
                    if c.checkpointEvery > 0, moved, Date().timeIntervalSince(lastCheckpoint) >= c.checkpointEvery {
                        checkpointing.save(checkpoint())
                        lastCheckpoint = Date()
                    }
                }
                let count = min(c.batchSize, p.windowsLeft)
                sampler.fill(&batch, windows: count)
                let started = Date()
                let loss = step(batch, windows: count, lr: schedule.lr(at: p.steps))
                activity?.tick()
                p.trainingSeconds += Date().timeIntervalSince(started)
                p.steps += 1; p.windows += count; p.tokens += count * targetsPerWindow; p.windowsLeft -= count
                if p.steps == 1 { sizeToBudget(afterFirstStep: &plannedSteps) }
                guard loss.isFinite else {
                    diverged = "training loss is \(loss) at step \(p.steps)"
                    break training
                }
                p.lossSum += Double(loss); p.lossCount += 1
                stopped = reachedBudget(steps: p.steps, tokens: p.tokens)
                if let every = c.evalEvery, p.steps % every == 0 {
                    evaluateValid(epoch: p.epoch)
                    if diverged != nil { break training }
                }
                if stopped { break }
            }
            if c.evalEvery == nil, record.validSteps.last != p.steps {
                evaluateValid(epoch: p.epoch)
                if diverged != nil { break training }
            }
            if stopped { break }
            p.epoch += 1
            p.windowsLeft = c.windowsPerEpoch
        }
        let (steps, windows, tokens, trainingSeconds) = (p.steps, p.windows, p.tokens, p.trainingSeconds)
        // The final weights are always measured (the last `eval_every` interval may be partial).
        if diverged == nil, steps > 0, record.validSteps.last != steps { evaluateValid(epoch: c.epochs - 1) }

        record.steps = steps
        record.windowsTrained = windows
        record.tokensTrained = tokens
        record.flopsForward = flops.forward
        record.flopsBackward = flops.backward
        record.flopsOptimizer = flops.optimizer
        record.flopsExact = flops.total
        record.flopsStudy = CostEstimate.flopsStudy(parametersTotal: parameterCounts.total,
                                                    windowsTrained: windows, context: c.context)
        record.flops6N = CostEstimate.flops6N(c, parametersNonEmbedding: parameterCounts.nonEmbedding,
                                              windowsTrained: windows)
        record.tokensPerSecond = trainingSeconds > 0 ? Double(tokens) / trainingSeconds : 0
        record.gflopsPerSecond = trainingSeconds > 0 ? flops.total / trainingSeconds / 1e9 : 0

        if let diverged {
            record.status = .diverged
            record.error = diverged
            progress?("\(record.id) diverged: \(diverged)")
            return nil
        }
        record.bestEval = best?.eval
        if c.restoreBest, let best, !best.weights.isEmpty { model.parameters.flatValues = best.weights }
        let testNLL = evaluator.nll(test)
        record.testNLL = testNLL
        guard testNLL.isFinite else {
            record.status = .diverged
            record.error = "test NLL is \(testNLL)"
            return nil
        }
        switch corpus.level {
        case .character: record.bitsPerChar = testNLL / log(2)
        case .word: record.perplexity = exp(testNLL)
        }
        progress?(String(format: "%@ test NLL %.4f (%@)", record.id, testNLL,
                         record.bitsPerChar.map { String(format: "%.4f bits/char", $0) }
                            ?? String(format: "perplexity %.2f", record.perplexity ?? .nan)))
        return nil
    }

    /// Why `checkpoint` cannot be restored into this session's model and optimizer, or nil.
    func mismatch(_ checkpoint: TrainingCheckpoint) -> String? {
        let count = model.parameters.count
        if checkpoint.parameters.count != count { return "\(checkpoint.parameters.count) parameters, the model has \(count)" }
        if let weights = checkpoint.best?.weights, !weights.isEmpty, weights.count != count {
            return "a best-valid snapshot of \(weights.count) values"
        }
        let expected = stepper.carried.optimizer.buffers.count
        if checkpoint.optimizer.buffers.count != expected || checkpoint.optimizer.buffers.contains(where: { $0.count != count }) {
            return "optimizer buffers \(checkpoint.optimizer.buffers.map(\.count)), the optimizer keeps \(expected) of \(count)"
        }
        if checkpoint.validNLL.count != checkpoint.validSteps.count { return "a valid curve of mismatched lengths" }
        return nil
    }

    /// A run the stop request ended before it finished.
    struct Interrupted: Error {
        /// The step of the checkpoint it can resume from (nil: none; it starts over).
        let checkpointedAt: Int?
    }

    /// One optimizer step on the batch's first `windows` windows; returns the mean training loss.
    func step(_ batch: TrainingBatch, windows: Int, lr: Float) -> Float {
        let T = run.context
        let inputs = windows == batch.batchSize ? batch.inputs : Array(batch.inputs[0..<(windows * T)])
        let targetCount = run.objective == .all ? windows * T : windows
        let targets = targetCount == batch.targets.count ? batch.targets : Array(batch.targets[0..<targetCount])
        return stepper.step(inputs: inputs, targets: targets, windows: windows, lr: lr)
    }

    /// Whether a token, FLOP or step budget has been reached (epochs end the loop by themselves).
    func reachedBudget(steps: Int, tokens: Int) -> Bool {
        if let cap = run.maxSteps, steps >= cap { return true }
        if let budget = run.tokenBudget, tokens >= budget { return true }
        if let target = budgetSteps { return steps >= target }
        if let budget = run.flopBudget, flops.total >= budget { return true }
        return false
    }
}
