import Sweep
import Training
import XCTest

/// Each kind of bad input gives its own error, at the right file:line, with the offending value.
final class SpecValidationTests: XCTestCase {
    /// Loads `text` as a spec and expands it; returns the problems reported (none if valid).
    private func problems(_ text: String, file: String = "bad.yaml") -> [SpecProblem] {
        let dir = scratchDirectory()
        let path = writeFile(text, named: file, in: dir)
        do {
            _ = try Grid.expand(SweepSpec.load(path: path))
            return []
        } catch let error as SpecValidationError {
            XCTAssertTrue(error.problems.allSatisfy { $0.file == path }, "every problem names the spec file")
            return error.problems
        } catch {
            XCTFail("unexpected error \(error)")
            return []
        }
    }

    func testUnknownRunConfigKeyIsReportedWithLineAndHint() {
        let found = problems("name: x\nbase:\n  epochs: 1\n  d_modle: 64\n")
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(found.first?.line, 4)
        XCTAssertEqual(found.first?.value, "d_modle")
        XCTAssertTrue(found.first?.message.contains("did you mean 'd_model'") ?? false, "\(found)")
    }

    func testUnknownTopLevelKeyIsReported() {
        let found = problems("name: x\naxis:\n  context: [16]\n")
        XCTAssertEqual(found.map(\.line), [2])
        XCTAssertTrue(found[0].message.contains("did you mean 'axes'"), found[0].message)
    }

    func testWrongTypesAndBadEnumValuesAreReportedAtTheirLines() {
        let text = """
        name: x
        base:
          context: sixteen
          lr: fast
        axes:
          arch: [linear, lstm]
          seed: [0, -1]
        """
        let found = problems(text)
        XCTAssertEqual(found.map(\.line), [3, 4, 6, 7], "\(found)")
        XCTAssertEqual(found.map(\.value), ["sixteen", "fast", "lstm", "-1"])
        XCTAssertEqual(found[0].message, "expected an integer")
        XCTAssertEqual(found[1].message, "expected a number")
        XCTAssertEqual(found[2].message, "expected one of linear, mlp, attention, transformer")
        XCTAssertEqual(found[2].key, "axes.arch[1]")
    }

    func testNullForARequiredKeyAndAScalarForAListAreReported() {
        let found = problems("name: x\nbase:\n  arch: mlp\n  context:\n  hidden: 64\n  ffn_width: null\n")
        XCTAssertEqual(found.map(\.line), [4, 5], "\(found)")
        XCTAssertEqual(found[0].message, "needs a value (leave the key out to keep the default)")
        XCTAssertEqual(found[1].message, "expected a list of integers")
    }

    func testAxisThatIsNotAListIsReported() {
        let found = problems("name: x\naxes:\n  context: 32\n")
        XCTAssertEqual(found.map(\.line), [3])
        XCTAssertEqual(found.first?.value, "32")
        XCTAssertTrue(found[0].message.contains("an axis lists its values"))
    }

    func testImpossibleConfigPointsAtTheLineThatSetTheValue() {
        let text = """
        name: x
        base:
          arch: transformer
          d_model: 30
        axes:
          heads: [1, 4, 3]
        """
        let found = problems(text)
        // 30 is divisible by 1 and 3, not by 4: one problem, at the axis value's line.
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertEqual(found[0].line, 6)
        XCTAssertEqual(found[0].key, "heads")
        XCTAssertEqual(found[0].value, "4")
        XCTAssertTrue(found[0].message.contains("must divide d_model (30)"), found[0].message)
    }

    func testContextLongerThanASplitIsReported() {
        let found = problems("name: x\nbase:\n  arch: linear\n  dataset: ptb\n  context: 75000\n")
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertEqual(found[0].line, 5)
        XCTAssertEqual(found[0].value, "75000")
        XCTAssertTrue(found[0].message.contains("longer than the valid split of ptb (70390 tokens)"), found[0].message)
    }

    func testOverrideForUnknownArchitectureIsReported() {
        let found = problems("name: x\noverrides:\n  rnn:\n    lr: 0.01\n")
        XCTAssertEqual(found.map(\.line), [3])
        XCTAssertEqual(found.first?.value, "rnn")
    }

    func testYAMLSyntaxErrorNamesItsLine() {
        let found = problems("name: x\nbase:\n  context: [16, 32\n  lr: 0.1\n")
        XCTAssertEqual(found.count, 1)
        XCTAssertGreaterThanOrEqual(found[0].line, 3)
        XCTAssertTrue(found[0].message.hasPrefix("not valid YAML"), found[0].message)
    }

    func testMissingNameIsReported() {
        let found = problems("base:\n  context: 16\n")
        XCTAssertEqual(found.map(\.key), ["name"])
    }

    func testEveryProblemIsReportedAtOnce() {
        let text = """
        name: x
        colour: blue
        base:
          context: -3
          optimiser: adam
          d_model: 30
        axes:
          arch: [transformer, cnn]
          heads: [4]
        """
        let found = problems(text)
        // Unreadable input (lines 2, 5, 8) and impossible configs (lines 4, 9) in one report.
        XCTAssertEqual(found.map(\.line).sorted(), [2, 4, 5, 8, 9], "\(found)")
        XCTAssertEqual(Set(found.map(\.value)), ["colour", "-3", "optimiser", "cnn", "4"])
    }

    func testErrorDescriptionReadsFileLineKeyValue() throws {
        let dir = scratchDirectory()
        let path = writeFile("name: x\nbase:\n  batch_size: 0\n", named: "s.yaml", in: dir)
        XCTAssertThrowsError(try Grid.expand(SweepSpec.load(path: path))) { error in
            XCTAssertTrue("\(error)".contains("\(path):3: batch_size = 0: must be in 1...1048576"), "\(error)")
        }
    }

    func testJSONSpecIsAcceptedWithLines() throws {
        let json = """
        {
          "name": "j",
          "base": {"arch": "linear", "epochs": 1},
          "axes": {"context": [16, 32, 99999999]}
        }
        """
        let found = problems(json, file: "spec.json")
        XCTAssertEqual(found.map(\.line), [4])
        XCTAssertEqual(found.map(\.value), ["99999999"])
    }
}
