import XCTest
@testable import Corpus

final class SHA256Tests: XCTestCase {
    private func hex(_ text: String) -> String { SHA256.hexDigest(of: Array(text.utf8)) }

    /// FIPS 180-4 / NIST CSRC examples.
    func testNISTVectors() {
        XCTAssertEqual(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
                       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        XCTAssertEqual(SHA256.hexDigest(of: [UInt8](repeating: 0x61, count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Lengths around the padding boundaries (55/56 bytes: one or two final blocks), checked
    /// against coreutils `sha256sum`.
    func testPaddingBoundaries() {
        let expected: [Int: String] = [
            55: "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
            56: "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
            63: "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
            64: "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
            65: "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0",
            119: "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb",
            120: "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c",
        ]
        for (length, digest) in expected {
            XCTAssertEqual(hex(String(repeating: "a", count: length)), digest, "length \(length)")
        }
        XCTAssertEqual(SHA256.hexDigest(of: (0..<768).map { UInt8($0 % 256) }),
                       "f3a25aa93aa2fbba28d79260535bbd6a5eb0fc1c24a8b0f04e12b484c1dfe363")
        XCTAssertEqual(SHA256.digest(of: Array("abc".utf8)).count, 32)
    }

    func testVerifyNamesTheFileWhoseSumDiffers() throws {
        let data = try TemporaryData()
        let file = CorpusDataset.ptb.files[1]
        // The published size, other bytes: the sum is what tells.
        try data.write("ptb/ptb.valid.txt", String(repeating: "x", count: file.byteCount! - 1) + "\n")
        XCTAssertThrowsError(try data.location.verify(file)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(data.root + "/ptb/ptb.valid.txt"), message)
            XCTAssertTrue(message.contains("expected c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2"), message)
            XCTAssertTrue(message.contains("scripts/fetch-data.sh \(data.root)"), message)
        }
    }

    /// The sums committed at the top of the repository (`data.sha256`, what fetch-data.sh checks)
    /// are the sums the loader and `data verify` know.
    func testCommittedChecksumFileMatchesManifest() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: repository.appendingPathComponent("data.sha256"), encoding: .utf8)
        var committed: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            XCTAssertEqual(fields.count, 2, "line: \(line)")
            committed[String(fields[1])] = String(fields[0])
        }
        let manifest = Dictionary(uniqueKeysWithValues: CorpusDataset.allFiles.map { ($0.relativePath, $0.sha256) })
        XCTAssertEqual(committed, manifest)
        XCTAssertEqual(committed.count, 7)
    }
}
