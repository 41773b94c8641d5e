import XCTest
import Foundation
import Models
import TensorCore

final class SafetensorsTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testModelWeightsRoundTripBitForBit() throws {
        let config = Fixture.tiny(.transformer) { $0.positions = .rope }
        let original = Fixture.model(config, seed: 1)
        let path = directory.appendingPathComponent("w.safetensors").path
        try original.saveWeights(to: path, metadata: ["run": "{\"arch\":\"transformer\"}"])
        let (tensors, metadata) = try Safetensors.read(path: path)
        XCTAssertEqual(metadata, ["run": "{\"arch\":\"transformer\"}"])
        XCTAssertEqual(tensors.map(\.name), original.tensorLayout.map(\.name))
        XCTAssertTrue(tensors.contains { $0.name == "blocks.1.attn.in_proj_weight" && $0.shape == [24, 8] })
        let copy = Fixture.model(config, seed: 2)
        XCTAssertNotEqual(copy.parameters.flatValues, original.parameters.flatValues)
        try copy.loadWeights(tensors, from: path)
        XCTAssertEqual(copy.parameters.flatValues.map(\.bitPattern), original.parameters.flatValues.map(\.bitPattern))
    }

    /// The byte layout of the format: u64 LE header length, space-padded JSON, LE float data.
    func testFileLayoutFollowsTheSafetensorsFormat() throws {
        let data = Safetensors.encode([Safetensors.Tensor(name: "a", shape: [2], values: [1, -2]),
                                       Safetensors.Tensor(name: "b.weight", shape: [1, 1], values: [0.5])])
        let bytes = [UInt8](data)
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
        XCTAssertEqual(bytes[2..<8].allSatisfy { $0 == 0 }, true)
        XCTAssertEqual(headerLength % 8, 0)
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[8,12]}}"))
        XCTAssertEqual(Array(bytes[(8 + headerLength)...]), [0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0, 0, 0, 0, 0x3F])
    }

    func testMisshapenOrMissingTensorsAreErrorsNamingFileAndTensor() throws {
        let model = Fixture.model(Fixture.tiny(.linear))
        var tensors = model.weightTensors()
        tensors[1].shape = [tensors[1].shape[1], tensors[1].shape[0]]
        XCTAssertThrowsError(try model.loadWeights(tensors, from: "/tmp/x.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("/tmp/x.safetensors"))
            XCTAssertTrue("\(error)".contains("out.weight"))
        }
        XCTAssertThrowsError(try model.loadWeights(Array(model.weightTensors().dropLast()), from: "f")) { error in
            XCTAssertTrue("\(error)".contains("'out.bias' is missing"))
        }
        XCTAssertThrowsError(try Safetensors.decode(Data([1, 2, 3]), path: "short.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("short.safetensors"))
        }
    }

    /// A tied head is written under both PyTorch names and loads back into the one table;
    /// a file whose two copies disagree is refused.
    func testTiedHeadIsWrittenUnderBothNamesAndMustAgree() throws {
        let config = Fixture.tiny(.transformer) { $0.tiedHead = true }
        let original = Fixture.model(config, seed: 1)
        var tensors = original.weightTensors()
        let table = try XCTUnwrap(tensors.first { $0.name == "tok.weight" })
        XCTAssertEqual(tensors.first { $0.name == "head.weight" }, Safetensors.Tensor(name: "head.weight", shape: table.shape, values: table.values))
        let copy = Fixture.model(config, seed: 2)
        try copy.loadWeights(tensors, from: "tied.safetensors")
        XCTAssertEqual(copy.parameters.flatValues, original.parameters.flatValues)
        let head = tensors.firstIndex { $0.name == "head.weight" }!
        tensors[head].values[0] += 1
        XCTAssertThrowsError(try copy.loadWeights(tensors, from: "tied.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("tied tensors 'tok.weight' and 'head.weight' differ"), "\(error)")
        }
    }
}
