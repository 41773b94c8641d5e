import Corpus
import Foundation
import TensorCore

/// A fixed computation whose result bits identify how this process rounds: a few seeded
/// training steps of three tiny models through the real ``TrainingStep``, on synthetic tokens.
///
/// Two processes whose canaries agree bit for bit run the same kernels in the same order, so a
/// run gives the same bits on either; two that disagree would journal different results under
/// one run id. What it covers, and why each piece is there:
/// - GEMMs on both sides of OpenBLAS's small-matrix dispatch (0.3.21 sends M·N·K ≤ 10⁶ with
///   some N to separate "small" kernels on AVX-512 cores): the transformers' (128 × 32 × 96)
///   projections below it, the MLP's (1024 × 256 × 256) first layer above it, whose weight
///   gradient sums over K = 1,024 windows, more than one of OpenBLAS's K blocks;
/// - causal softmax, LayerNorm (post and pre), learned positions and RoPE, ReLU, dropout with
///   its RNG, the fused cross-entropy's exp/log, both objectives, a tied head;
/// - Adam, AdamW with weight decay, and global-norm clipping's reduction.
enum NumericsCanary {
    static let vocabularySize = 48
    static let steps = 3

    /// The canary's models. Fixed forever: changing one changes every fingerprint.
    static var runs: [Run] {
        var transformer = RunConfig()
        transformer.arch = .transformer
        transformer.context = 16; transformer.dModel = 32; transformer.heads = 2; transformer.depth = 2
        transformer.ffnWidth = 64; transformer.dropout = 0.1; transformer.objective = .all
        transformer.batchSize = 8; transformer.lr = 1e-3; transformer.seed = 12

        var rope = transformer
        rope.depth = 1; rope.positions = .rope; rope.norm = .pre; rope.tiedHead = true
        rope.objective = .last; rope.optimizer = .adamw; rope.weightDecay = 0.01; rope.gradClip = 0.5
        rope.seed = 13

        var mlp = RunConfig()
        mlp.arch = .mlp
        mlp.context = 16; mlp.dModel = 16; mlp.hidden = [256, 64]; mlp.dropout = 0.1
        // 1,024 windows: the weight gradients' K of 1,024 exceeds OpenBLAS's K blocking (GEMM_Q,
        // a few hundred), so kernel families that split K differently show it.
        mlp.batchSize = 1024; mlp.lr = 1e-3; mlp.seed = 14
        return [transformer, rope, mlp].map { $0.resolved() }
    }

    /// SHA-256 of every step's loss and every final parameter, as IEEE-754 bits.
    static func digest() -> [UInt8] {
        var bits: [UInt8] = []
        for run in runs {
            let stepper = TrainingStep(run: run, vocabularySize: vocabularySize)
            var tokens = RNG(seed: run.seed, stream: 0x43_414E_4152_59)  // "CANARY"
            for _ in 0..<steps {
                let inputs = (0..<(run.batchSize * run.context)).map { _ in Int32(tokens.nextInt(below: vocabularySize)) }
                let targets = (0..<(run.batchSize * run.targetsPerWindow)).map { _ in Int32(tokens.nextInt(below: vocabularySize)) }
                let loss = stepper.step(inputs: inputs, targets: targets, windows: run.batchSize, lr: Float(run.lr))
                append(loss, to: &bits)
            }
            for value in stepper.model.parameters.flatValues { append(value, to: &bits) }
        }
        return SHA256.digest(of: bits)
    }

    private static func append(_ value: Float, to bytes: inout [UInt8]) {
        let pattern = value.bitPattern
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: pattern >> UInt32(shift))) }
    }
}
