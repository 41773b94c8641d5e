import XCTest
@testable import TensorCore

/// The flat layout and PyTorch's initial distributions.
final class ParameterSetTests: XCTestCase {
    func testEntriesAreContiguousViewsInRegistrationOrder() {
        let parameters = ParameterSet()
        let a = parameters.add("a.weight", shape: [3, 4], initializer: .zeros)
        let b = parameters.add("b.bias", shape: [5], initializer: .ones)
        var rng = RNG(seed: 1)
        parameters.finalize(rng: &rng)
        XCTAssertEqual(parameters.count, 17)
        XCTAssertEqual(parameters.entries.map(\.name), ["a.weight", "b.bias"])
        XCTAssertEqual(parameters.entries.map(\.offset), [0, 12])
        XCTAssertEqual(parameters.values(b), [Float](repeating: 1, count: 5))
        parameters.setValues(a, (0..<12).map(Float.init))
        XCTAssertEqual(Array(parameters.flatValues[0..<12]), (0..<12).map(Float.init))
        parameters.flatGrads = [Float](repeating: 2, count: 17)
        parameters.zeroGrad()
        XCTAssertEqual(parameters.flatGrads, [Float](repeating: 0, count: 17))
    }

    private func draw(_ initializer: Initializer, count: Int = 20_000) -> [Float] {
        let parameters = ParameterSet()
        let p = parameters.add("p", shape: [count], initializer: initializer)
        var rng = RNG(seed: 7)
        parameters.finalize(rng: &rng)
        return parameters.values(p)
    }

    private func moments(_ x: [Float]) -> (mean: Double, variance: Double) {
        let mean = x.reduce(0) { $0 + Double($1) } / Double(x.count)
        return (mean, x.reduce(0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(x.count))
    }

    func testLinearInitIsUniformWithinOneOverRootFanIn() {
        let fanIn = 64, bound = 1 / Float(fanIn).squareRoot()
        for values in [draw(.linearWeight(fanIn: fanIn)), draw(.linearBias(fanIn: fanIn))] {
            XCTAssertLessThanOrEqual(values.map(abs).max()!, bound)
            XCTAssertGreaterThan(values.map(abs).max()!, 0.99 * bound)
            let (mean, variance) = moments(values)
            XCTAssertEqual(mean, 0, accuracy: 0.01 * Double(bound))
            XCTAssertEqual(variance, Double(bound * bound) / 3, accuracy: 0.03 * Double(bound * bound) / 3)
        }
    }

    func testXavierUniformBound() {
        let bound = (6 / Float(128 + 384)).squareRoot()
        let values = draw(.xavierUniform(fanIn: 128, fanOut: 384))
        XCTAssertLessThanOrEqual(values.map(abs).max()!, bound)
        XCTAssertGreaterThan(values.map(abs).max()!, 0.99 * bound)
    }

    func testEmbeddingAndNormalInitMoments() {
        let (mean, variance) = moments(draw(.embedding))
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(variance, 1, accuracy: 0.03)
        let (_, scaledVariance) = moments(draw(.normal(std: 0.02)))
        XCTAssertEqual(scaledVariance, 0.0004, accuracy: 0.0004 * 0.03)
    }

    func testSameSeedSameBits() {
        XCTAssertEqual(draw(.embedding, count: 100).map(\.bitPattern), draw(.embedding, count: 100).map(\.bitPattern))
    }
}

final class BLASKernelChoiceTests: XCTestCase {
    func testAVX512CPUOnAGenericKernelGetsSkylakeX() {
        let avx512: Set<String> = ["avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"]
        XCTAssertEqual(TensorCore.fasterBLASCore(cpuFlags: avx512, current: "Prescott"), "SkylakeX")
        XCTAssertNil(TensorCore.fasterBLASCore(cpuFlags: avx512, current: "SkylakeX"))
        XCTAssertEqual(TensorCore.fasterBLASCore(cpuFlags: ["avx2", "fma"], current: "Prescott"), "Haswell")
        XCTAssertNil(TensorCore.fasterBLASCore(cpuFlags: ["avx2", "fma"], current: "Zen"))
        XCTAssertNil(TensorCore.fasterBLASCore(cpuFlags: ["sse3"], current: "Prescott"))
    }
}
