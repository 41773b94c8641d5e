import XCTest
@testable import Training

final class ConfigOverridesTests: XCTestCase {
    func testSettingsApplyWithTheirJSONTypes() throws {
        let c = try RunConfig().applying(settings: ["lr=1e-3", "positions=rope", "hidden=[64,32]", "restore_best=false",
                                                    "max_train_tokens=5000", "heads=null"])
        XCTAssertEqual(c.lr, 1e-3)
        XCTAssertEqual(c.positions, .rope)
        XCTAssertEqual(c.hidden, [64, 32])
        XCTAssertFalse(c.restoreBest)
        XCTAssertEqual(c.maxTrainTokens, 5_000)
        XCTAssertNil(c.heads)
    }

    func testUnknownKeyOrWrongTypeIsAnErrorNamingTheSetting() {
        XCTAssertThrowsError(try RunConfig().applying(settings: ["learning_rate=1"])) { error in
            XCTAssertTrue("\(error)".contains("learning_rate"), "\(error)")
        }
        XCTAssertThrowsError(try RunConfig().applying(settings: ["context=long"])) { error in
            XCTAssertTrue("\(error)".contains("context"), "\(error)")
        }
        XCTAssertThrowsError(try RunConfig().applying(settings: ["positions=sinusoidal"])) { error in
            XCTAssertTrue("\(error)".contains("positions"), "\(error)")
        }
        XCTAssertThrowsError(try RunConfig().applying(settings: ["lr"])) { error in
            XCTAssertTrue("\(error)".contains("key=value"), "\(error)")
        }
    }
}
