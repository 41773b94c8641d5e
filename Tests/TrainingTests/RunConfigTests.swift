import Foundation
import XCTest
@testable import Training

final class RunConfigTests: XCTestCase {
    private func decode(_ json: String) throws -> RunConfig {
        try JSONDecoder().decode(RunConfig.self, from: Data(json.utf8))
    }

    func testMissingKeysKeepDefaultsAndPresentKeysOverride() throws {
        let config = try decode(#"{"arch": "mlp", "context": 64, "hidden": [128, 64]}"#)
        XCTAssertEqual(config.arch, .mlp)
        XCTAssertEqual(config.context, 64)
        XCTAssertEqual(config.hidden, [128, 64])
        XCTAssertEqual(config.dModel, 128)
        XCTAssertEqual(config.lr, 3e-4)
    }

    func testUnknownKeyIsAnErrorWithASuggestion() {
        XCTAssertThrowsError(try decode(#"{"d_modle": 64}"#)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("'d_modle'"), text)
            XCTAssertTrue(text.contains("did you mean 'd_model'"), text)
        }
    }

    func testInapplicableAxesCollapseToOneID() {
        var a = RunConfig(); a.arch = .linear; a.depth = 2; a.heads = 4
        var b = RunConfig(); b.arch = .linear; b.depth = 4; b.heads = 1; b.positions = .rope
        XCTAssertEqual(a.id, b.id)
        var attention1 = RunConfig(); attention1.arch = .attention; attention1.depth = 1
        var attention3 = RunConfig(); attention3.arch = .attention; attention3.depth = 3
        XCTAssertEqual(attention1.id, attention3.id)
        var transformer2 = RunConfig(); transformer2.depth = 2
        var transformer3 = RunConfig(); transformer3.depth = 3
        XCTAssertNotEqual(transformer2.id, transformer3.id)
    }

    func testMLPDepthRepeatsHiddenWidthAndExplicitWidthsWin() {
        var byDepth = RunConfig(); byDepth.arch = .mlp; byDepth.depth = 2; byDepth.hiddenWidth = 256
        var byList = RunConfig(); byList.arch = .mlp; byList.hidden = [256, 256]; byList.depth = 7
        XCTAssertEqual(byDepth.canonicalized().hidden, [256, 256])
        XCTAssertEqual(byList.canonicalized().depth, 2)
        XCTAssertEqual(byDepth.id, byList.id)
    }

    func testFNV1aMatchesItsReferenceValues() {
        // FNV-1a reference values (http://www.isthe.com/chongo/tech/comp/fnv/).
        XCTAssertEqual(fnv1a64(Data()), 0xcbf2_9ce4_8422_2325)
        XCTAssertEqual(fnv1a64(Data("a".utf8)), 0xaf63_dc4c_8601_ec8c)
        XCTAssertEqual(fnv1a64(Data("foobar".utf8)), 0x8594_4171_f739_67e8)
    }

    func testValidationReportsEveryProblemWithKeyAndValue() {
        var config = RunConfig()
        config.heads = 3
        config.dropout = 1.5
        config.convention = .nanogpt
        config.dataset = .ptb
        let issues = config.validate()
        XCTAssertEqual(Set(issues.map(\.key)), ["heads", "dropout", "convention"])
        XCTAssertTrue(issues.contains { $0.key == "heads" && $0.value == "3" && $0.message.contains("128") })
        XCTAssertTrue(RunConfig().validate().isEmpty)
        var rope = RunConfig(); rope.positions = .rope; rope.dModel = 12; rope.heads = 4
        XCTAssertEqual(rope.validate().map(\.key), ["positions"])
    }

    func testRecordRoundTripsWithNonFiniteNumbers() throws {
        var record = RunRecord(id: "x", config: RunConfig(), status: .diverged, seed: 1)
        record.validNLL = [2.5, .nan]
        let line = record.jsonLine()
        XCTAssertFalse(line.contains("\n"))
        let back = try RunRecord.decode(jsonLine: line)
        XCTAssertEqual(back.validNLL.count, 2)
        XCTAssertTrue(back.validNLL[1].isNaN)
        XCTAssertEqual(back.status, .diverged)
    }
}
