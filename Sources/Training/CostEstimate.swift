import Corpus
import Foundation
import TensorCore

/// Closed forms for what a run costs before it runs: parameter counts, the two analytic FLOP
/// conventions of the record, and a predicted training cost the sweep uses to order its queue
/// (largest first) and to show an ETA. The exact count comes from the tensor core's counter.
public enum CostEstimate {
    /// Total and non-embedding parameters of the model a config builds.
    ///
    /// Layouts follow the study's PyTorch models (`shared/bench/torch_study.py`):
    /// - linear: token embedding (V·d), one linear layer T·d → V with bias;
    /// - MLP: token embedding, hidden linear layers with bias, output layer with bias;
    /// - attention / transformer: token embedding, learned position table (T·d, absent for RoPE
    ///   and none), per block `nn.MultiheadAttention` (in-projection 3d·d + 3d, out d·d + d),
    ///   two LayerNorms (2·2d), a feed-forward net d → f → d with biases; a final LayerNorm
    ///   (2d) and a head d → V with bias (only the bias when tied to the embedding).
    /// Non-embedding = total − token embedding − position table (Kaplan et al. 2020, §2.1).
    public static func parameters(_ c: Run, vocabularySize vocab: Int) -> (total: Int, nonEmbedding: Int) {
        let d = c.dModel, t = c.context
        let tokenEmbedding = vocab * d
        switch c.architecture {
        case .linear:
            return (tokenEmbedding + t * d * vocab + vocab, t * d * vocab + vocab)
        case .mlp:
            var width = t * d, body = 0
            for hidden in c.hidden {
                body += width * hidden + hidden
                width = hidden
            }
            body += width * vocab + vocab
            return (tokenEmbedding + body, body)
        case .attention, .transformer:
            let f = c.ffnWidth, depth = c.depth
            let positionTable = c.positions == .learned ? t * d : 0
            let block = (3 * d * d + 3 * d) + (d * d + d) + 2 * (2 * d) + (d * f + f) + (f * d + d)
            let head = c.tiedHead ? vocab : d * vocab + vocab
            let body = depth * block + 2 * d + head
            return (tokenEmbedding + positionTable + body, body)
        }
    }

    /// The study's proxy: 2 × all parameters × windows × context (× epochs, which
    /// `windowsTrained` already includes).
    public static func flopsStudy(parametersTotal: Int, windowsTrained: Int, context: Int) -> Double {
        2 * Double(parametersTotal) * Double(windowsTrained) * Double(context)
    }

    /// Kaplan et al. (2020) C = 6·N·D with N the non-embedding parameters and D the training
    /// tokens processed (windows × context), plus, for attention models, PaLM's attention term
    /// (Chowdhery et al. 2022, appendix B): 12·L·T·d per token (QKᵀ and AV, forward and backward).
    public static func flops6N(_ c: Run, parametersNonEmbedding: Int, windowsTrained: Int) -> Double {
        let tokens = Double(windowsTrained) * Double(c.context)
        var perToken = 6 * Double(parametersNonEmbedding)
        if c.isSequenceModel {
            perToken += 12 * Double(c.depth) * Double(c.context) * Double(c.dModel)
        }
        return perToken * tokens
    }

    /// Forward matmul FLOPs for one window (2·m·n·k per product), the part that dominates
    /// the exact count. With the `last` objective the head runs on the last position only.
    public static func forwardFLOPsPerWindow(_ c: Run, vocabularySize vocab: Int) -> Double {
        forwardFLOPsPerWindow(c, vocabularySize: vocab, predicting: c.targetsPerWindow)
    }

    /// The same with the head on the last `predicted` positions of each window (evaluation
    /// windows score `eval_stride` of them); with one, sequence models prune their last block.
    static func forwardFLOPsPerWindow(_ c: Run, vocabularySize vocab: Int, predicting predicted: Int) -> Double {
        let d = Double(c.dModel), t = Double(c.context), v = Double(vocab)
        switch c.architecture {
        case .linear:
            return 2 * t * d * v
        case .mlp:
            var width = t * d, total = 0.0
            for hidden in c.hidden { total += 2 * width * Double(hidden); width = Double(hidden) }
            return total + 2 * width * v
        case .attention, .transformer:
            let f = Double(c.ffnWidth), depth = Double(c.depth)
            let projections = 2 * (4 * d * d + 2 * d * f) * t      // QKV, out, two FFN layers
            // QKᵀ and AV over the score cells the tensor core computes: causal row blocks skip
            // the masked blocks above the diagonal (5/8 of T² at T = 128).
            let attention = 2 * 2 * Double(causalScoreCells(context: c.context)) * d
            guard predicted == 1 else { return depth * (projections + attention) + 2 * d * v * Double(predicted) }
            // `last`: the final block projects keys and values for every position, the query
            // (every position's under RoPE, which rotates before reading the last) and the
            // rest of the block for the last position alone, which attends to all T keys.
            let queries = c.positions == .rope ? t : 1
            let lastBlock = 2 * 2 * d * d * t + 2 * d * d * queries + 2 * 2 * t * d + 2 * (d * d + 2 * d * f)
            return (depth - 1) * (projections + attention) + lastBlock + 2 * d * v
        }
    }

    /// Score cells (query, key) causal attention computes for one head: the tensor core works
    /// in row blocks of queries, block [r0, r1) over keys 0..<r1.
    public static func causalScoreCells(context: Int) -> Int {
        let block = TensorCore.causalAttentionBlockRows
        return stride(from: 0, to: context, by: block).reduce(0) { total, start in
            let end = min(start + block, context)
            return total + (end - start) * end
        }
    }

    /// Steps the epoch, token and step limits allow: epochs × windows per epoch in batches, cut
    /// by `max_steps` and the token budget. (A FLOP budget is only known exactly as a run goes.)
    public static func plannedSteps(_ c: Run) -> Int {
        let stepsPerEpoch = (c.windowsPerEpoch + c.batchSize - 1) / c.batchSize
        var steps = stepsPerEpoch * c.epochs
        if let cap = c.maxSteps { steps = min(steps, cap) }
        if let budget = c.tokenBudget {
            let targetsPerStep = c.batchSize * c.targetsPerWindow
            steps = min(steps, (budget + targetsPerStep - 1) / targetsPerStep)
        }
        return max(1, steps)
    }

    /// ``plannedSteps(_:)`` further cut by the FLOP budget at the predicted cost per step.
    public static func predictedSteps(_ c: Run, vocabularySize vocab: Int) -> Int {
        var steps = plannedSteps(c)
        if let budget = c.flopBudget {
            let perStep = trainingFLOPsPerStep(c, vocabularySize: vocab)
            steps = Int(min(Double(steps), (budget / perStep).rounded(.up)))
        }
        return max(steps, 1)
    }

    /// Forward + backward ≈ 3× forward over the batch, plus Adam's ~10 FLOPs per parameter.
    static func trainingFLOPsPerStep(_ c: Run, vocabularySize vocab: Int) -> Double {
        let params = Double(parameters(c, vocabularySize: vocab).total)
        return 3 * forwardFLOPsPerWindow(c, vocabularySize: vocab) * Double(c.batchSize) + 10 * params
    }

    /// Predicted training FLOPs of a run, honouring every budget in the config. Used for queue
    /// order, plan tables and ETAs; the record's `flops_exact` is the measured truth.
    public static func predictedTrainingFLOPs(_ c: Run, vocabularySize vocab: Int) -> Double {
        let training = trainingFLOPsPerStep(c, vocabularySize: vocab) * Double(predictedSteps(c, vocabularySize: vocab))
        return c.flopBudget.map { min(training, $0) } ?? training
    }

    /// Predicted evaluation FLOPs: forward passes over valid at every evaluation (each epoch,
    /// or every `eval_every` steps plus the final weights) and over test once.
    public static func predictedEvaluationFLOPs(_ c: Run, vocabularySize vocab: Int) -> Double {
        guard let sizes = PublishedSplits.tokens(c.dataset, c.convention) else { return 0 }
        var scoredPerWindow = 1
        func windows(_ splitTokens: Int) -> Double {
            switch c.evaluation {
            case .study(let windows): return Double(min(windows, max(0, splitTokens - c.context)))
            case .full(let stride): return Double(splitTokens) / Double(stride)
            }
        }
        // A full-mode window scores its last `stride` positions; the head runs on each of them.
        if case .full(let stride) = c.evaluation, c.isSequenceModel { scoredPerWindow = stride }
        let forward = forwardFLOPsPerWindow(c, vocabularySize: vocab, predicting: scoredPerWindow)
        let steps = predictedSteps(c, vocabularySize: vocab)
        let stepsPerEpoch = max(1, (c.windowsPerEpoch + c.batchSize - 1) / c.batchSize)
        let evaluations: Int
        if let every = c.evalEvery {
            evaluations = steps / every + (steps % every == 0 ? 0 : 1)
        } else {
            evaluations = (steps + stepsPerEpoch - 1) / stepsPerEpoch
        }
        return forward * (Double(evaluations) * windows(sizes.valid) + windows(sizes.test))
    }
}
