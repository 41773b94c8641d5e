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
    private let schedule: LRSchedule

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
        schedule = run.schedule == .cosine
            ? .warmupCosine(peak: Float(run.lr), warmup: run.warmupSteps, total: CostEstimate.plannedSteps(run))
            : .constant(Float(run.lr))
    }

    /// Trains, evaluates and fills every result field of `record`.
    func train(into record: inout RunRecord) {
        let c = run
        let targetsPerWindow = c.objective == .all ? c.context : 1
        let parameterCounts = (total: model.parameterCount, nonEmbedding: model.nonEmbeddingParameterCount)
        record.paramsTotal = parameterCounts.total
        record.paramsNonEmbedding = parameterCounts.nonEmbedding

        var batch = TrainingBatch(batchSize: c.batchSize, contextLength: c.context,
                                  targets: c.objective == .all ? .all : .last)
        var steps = 0, windows = 0, tokens = 0
        var trainingSeconds = 0.0
        var diverged: String? = nil
        var best: (nll: Double, eval: Int, weights: [Float])? = nil
        let plannedSteps = CostEstimate.plannedSteps(c)
        var epochLossSum = 0.0, epochLossCount = 0

        /// A valid evaluation: records it, keeps the best weights, reports progress.
        func evaluateValid(epoch: Int) {
            let nll = evaluator.nll(valid)
            let trainLoss = epochLossCount > 0 ? epochLossSum / Double(epochLossCount) : .nan
            epochLossSum = 0; epochLossCount = 0
            record.validNLL.append(nll)
            record.validSteps.append(steps)
            record.validTokens = (record.validTokens ?? []) + [tokens]
            record.validFLOPs = (record.validFLOPs ?? []) + [flops.total]
            record.trainLoss = (record.trainLoss ?? []) + [trainLoss]
            guard nll.isFinite else {
                diverged = "valid NLL is \(nll) at step \(steps)"
                return
            }
            if best == nil || nll < best!.nll {
                best = (nll, record.validNLL.count - 1, c.restoreBest ? model.parameters.flatValues : [])
            }
            let rate = trainingSeconds > 0 ? Double(windows) / trainingSeconds : 0
            let remaining = rate > 0 ? Double(max(0, plannedSteps - steps) * c.batchSize) / rate : 0
            progress?(String(format: "%@ epoch %d/%d step %d/%d  train %.4f  valid %.4f%@  %.0f windows/s  ETA %@",
                             record.id, epoch + 1, c.epochs, steps, plannedSteps, trainLoss, nll,
                             best?.eval == record.validNLL.count - 1 ? " (best)" : "", rate,
                             durationText(remaining)))
        }

        progress?("\(record.id) \(c.architecture.rawValue) on \(c.dataset.rawValue): \(parameterCounts.total) parameters, "
                  + "\(c.epochs) epochs of \(c.windowsPerEpoch) windows (batch \(c.batchSize), T \(c.context)), \(plannedSteps) steps planned")
        training: for epoch in 0..<c.epochs {
            var windowsLeft = c.windowsPerEpoch
            var stopped = false
            while windowsLeft > 0 {
                let count = min(c.batchSize, windowsLeft)
                sampler.fill(&batch, windows: count)
                let started = Date()
                let loss = step(batch, windows: count, lr: schedule.lr(at: steps))
                activity?.tick()
                trainingSeconds += Date().timeIntervalSince(started)
                steps += 1; windows += count; tokens += count * targetsPerWindow; windowsLeft -= count
                guard loss.isFinite else {
                    diverged = "training loss is \(loss) at step \(steps)"
                    break training
                }
                epochLossSum += Double(loss); epochLossCount += 1
                stopped = reachedBudget(steps: steps, tokens: tokens)
                if let every = c.evalEvery, steps % every == 0 {
                    evaluateValid(epoch: epoch)
                    if diverged != nil { break training }
                }
                if stopped { break }
            }
            if c.evalEvery == nil, record.validSteps.last != steps {
                evaluateValid(epoch: epoch)
                if diverged != nil { break training }
            }
            if stopped { break }
        }
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
            return
        }
        record.bestEval = best?.eval
        if c.restoreBest, let best, !best.weights.isEmpty { model.parameters.flatValues = best.weights }
        let testNLL = evaluator.nll(test)
        record.testNLL = testNLL
        guard testNLL.isFinite else {
            record.status = .diverged
            record.error = "test NLL is \(testNLL)"
            return
        }
        switch corpus.level {
        case .character: record.bitsPerChar = testNLL / log(2)
        case .word: record.perplexity = exp(testNLL)
        }
        progress?(String(format: "%@ test NLL %.4f (%@)", record.id, testNLL,
                         record.bitsPerChar.map { String(format: "%.4f bits/char", $0) }
                            ?? String(format: "perplexity %.2f", record.perplexity ?? .nan)))
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
        if let budget = run.flopBudget, flops.total >= budget { return true }
        return false
    }
}
