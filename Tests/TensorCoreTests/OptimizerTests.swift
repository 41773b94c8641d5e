import XCTest
@testable import TensorCore

/// Optimizers against hand-computed values: p = [1, −2], gradients [0.5, −1], [−0.25, 0.1],
/// [0.3, 0.3] over three steps, lr 0.01, PyTorch defaults (β 0.9/0.999, ε 1e−8). The expected
/// values were computed in float64 with torch.optim's update rule written out step by step.
final class OptimizerTests: XCTestCase {
    let gradients: [[Float]] = [[0.5, -1.0], [-0.25, 0.1], [0.3, 0.3]]

    private func twoParameters() -> ParameterSet {
        let parameters = ParameterSet()
        let p = parameters.add("p", shape: [2], initializer: .zeros)
        var rng = RNG(seed: 0)
        parameters.finalize(rng: &rng)
        parameters.setValues(p, [1, -2])
        return parameters
    }

    private func trajectory(_ step: (ParameterSet) -> Void, _ parameters: ParameterSet) -> [[Float]] {
        gradients.map { g in
            parameters.flatGrads = g
            step(parameters)
            return parameters.flatValues
        }
    }

    private func assertTrajectory(_ actual: [[Float]], _ expected: [[Double]], file: StaticString = #filePath, line: UInt = #line) {
        for (a, e) in zip(actual, expected) {
            for (x, y) in zip(a, e) { XCTAssertEqual(Double(x), y, accuracy: 2e-6, file: file, line: line) }
        }
    }

    func testAdamMatchesTorchUpdateRule() {
        let parameters = twoParameters()
        let adam = Adam(parameters: parameters, lr: 0.01, flops: nil)
        assertTrajectory(trajectory({ _ in adam.step(lr: 0.01) }, parameters),
                         [[0.9900000002, -1.9900000001], [0.9873366298707846, -1.9840735150408773],
                          [0.9825000765498865, -1.9815130193686552]])
    }

    func testAdamWithL2WeightDecayAddsDecayToTheGradient() {
        let parameters = twoParameters()
        let adam = Adam(parameters: parameters, lr: 0.01, weightDecay: 0.1, flops: nil)
        assertTrajectory(trajectory({ _ in adam.step(lr: 0.01) }, parameters),
                         [[0.9900000001666667, -1.9900000000833333], [0.9853191993058599, -1.9827099890591526],
                          [0.9788165622794978, -1.9776331663459166]])
    }

    func testAdamWDecouplesWeightDecay() {
        let parameters = twoParameters()
        let adamW = Adam(parameters: parameters, lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true, flops: nil)
        assertTrajectory(trajectory({ _ in adamW.step(lr: 0.01) }, parameters),
                         [[0.9890000002, -1.9880000001], [0.9853476298705847, -1.9800855150407772],
                          [0.9795257289198159, -1.9755449338535145]])
    }

    /// Adam and AdamW zeroing the gradients in their update pass: the same bits as the plain
    /// step, on 37 parameters (two 16-lane vectors and a scalar tail), and every gradient 0 after.
    func testAdamZeroingGradientsInItsPassUpdatesTheSameBitsAndLeavesZeros() {
        for decoupled in [false, true] {
            var values: [[Float]] = []
            for zeroing in [false, true] {
                let parameters = ParameterSet()
                _ = parameters.add("w", shape: [37], initializer: .normal(std: 1))
                var rng = RNG(seed: 4)
                parameters.finalize(rng: &rng)
                let adam = Adam(parameters: parameters, lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: decoupled, flops: nil)
                var gradientRNG = RNG(seed: 5)
                for _ in 0..<3 {
                    parameters.flatGrads = (0..<37).map { _ in gradientRNG.nextFloat() - 0.5 }
                    adam.step(lr: 0.01, zeroingGradients: zeroing)
                    if zeroing { XCTAssertEqual(parameters.flatGrads, [Float](repeating: 0, count: 37)) }
                }
                values.append(parameters.flatValues)
            }
            XCTAssertEqual(values[0], values[1], "decoupled \(decoupled)")
            XCTAssertNotEqual(values[0], [Float](repeating: 0, count: 37))
        }
    }

    /// 37 parameters: two 16-lane blocks and a scalar tail of 5. Where two positions get the
    /// same value, gradient and history, the vector lanes and the tail end with the same bits.
    func testAdamVectorLanesAndScalarTailAgreeBitForBit() {
        let parameters = ParameterSet()
        let p = parameters.add("p", shape: [37], initializer: .zeros)
        var rng = RNG(seed: 0)
        parameters.finalize(rng: &rng)
        let values = (0..<37).map { Float(($0 % 5) + 1) * 0.37 - 1 }
        parameters.setValues(p, values)
        let adam = Adam(parameters: parameters, lr: 0.01, weightDecay: 0.1, flops: nil)
        for step in 0..<3 {
            parameters.flatGrads = (0..<37).map { Float(($0 % 5) * (step + 1)) * 0.11 - 0.2 }
            adam.step(lr: 0.01, zeroingGradients: true)
        }
        let out = parameters.flatValues
        // Index i ≡ j (mod 5) started equal and saw the same gradients: 35 and 36 are in the tail.
        for i in 0..<32 where i % 5 == 0 { XCTAssertEqual(out[i].bitPattern, out[35].bitPattern, "lane \(i) vs tail") }
        for i in 0..<32 where i % 5 == 1 { XCTAssertEqual(out[i].bitPattern, out[36].bitPattern, "lane \(i) vs tail") }
        XCTAssertNotEqual(out[0], values[0])
    }

    func testSGDWithMomentum() {
        let parameters = twoParameters()
        let sgd = SGD(parameters: parameters, lr: 0.1, momentum: 0.9, flops: nil)
        assertTrajectory(trajectory({ _ in sgd.step(lr: 0.1) }, parameters),
                         [[0.95, -1.9], [0.93, -1.82], [0.882, -1.778]])
    }

    func testOptimizerFlopsFollowTheConvention() {
        let parameters = twoParameters()
        let flops = FlopCounter()
        let adamW = Adam(parameters: parameters, lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true, flops: flops)
        adamW.step(lr: 0.01)
        XCTAssertEqual(flops.optimizer, 2 * (FlopConvention.adam + FlopConvention.weightDecay))
        XCTAssertEqual(flops.forward + flops.backward, 0)
    }

    func testClipGradNormScalesToMaxNormAndReturnsThePreClipNorm() {
        let parameters = twoParameters()
        parameters.flatGrads = [3, 4]
        XCTAssertEqual(clipGradNorm(parameters, maxNorm: 1, flops: nil), 5)
        let clipped = parameters.flatGrads
        XCTAssertEqual(clipped[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(clipped[1], 0.8, accuracy: 1e-6)
        // Below the threshold nothing changes.
        parameters.flatGrads = [0.3, 0.4]
        XCTAssertEqual(clipGradNorm(parameters, maxNorm: 1, flops: nil), 0.5, accuracy: 1e-7)
        XCTAssertEqual(parameters.flatGrads, [0.3, 0.4])
    }

    func testWarmupCosineSchedule() {
        let schedule = LRSchedule.warmupCosine(peak: 1e-3, warmup: 10, total: 110, minLR: 1e-4)
        XCTAssertEqual(schedule.lr(at: 0), 1e-4, accuracy: 1e-9)        // 1/10 of peak
        XCTAssertEqual(schedule.lr(at: 9), 1e-3, accuracy: 1e-9)        // warmup done
        XCTAssertEqual(schedule.lr(at: 10), 1e-3, accuracy: 1e-9)       // cosine starts at peak
        XCTAssertEqual(schedule.lr(at: 60), 5.5e-4, accuracy: 1e-9)     // halfway: (peak + min) / 2
        XCTAssertEqual(schedule.lr(at: 110), 1e-4, accuracy: 1e-9)
        XCTAssertEqual(schedule.lr(at: 500), 1e-4, accuracy: 1e-9)
        XCTAssertEqual(LRSchedule.constant(3e-4).lr(at: 123), 3e-4)
    }
}
