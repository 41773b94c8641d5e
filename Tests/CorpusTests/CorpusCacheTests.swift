import Dispatch
import XCTest
@testable import Corpus

final class CorpusCacheTests: XCTestCase {
    func testLoadsEachCorpusOnceAndSharesIt() throws {
        let data = try TemporaryData()
        try data.writePTB(train: "a b c\n", valid: "a b\n", test: "c\n")
        let cache = CorpusCache()
        let first = try cache.corpus(.ptb, .study, at: data.location)
        let second = try cache.corpus(.ptb, .study, at: data.location)
        XCTAssertTrue(first === second)
        let standard = try cache.corpus(.ptb, .standard, at: data.location)
        XCTAssertFalse(first === standard)
        XCTAssertEqual(standard.vocabulary.count, 4)
        XCTAssertEqual(cache.count, 2)
    }

    func testConcurrentCallersGetOneInstance() throws {
        let data = try TemporaryData()
        try data.writePTB(train: String(repeating: "the cat sat on the mat\n", count: 2_000), valid: "the cat\n", test: "mat\n")
        let cache = CorpusCache()
        let identities = IdentityList()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            if let corpus = try? cache.corpus(.ptb, .standard, at: data.location) { identities.append(ObjectIdentifier(corpus)) }
        }
        XCTAssertEqual(identities.values.count, 8)
        XCTAssertEqual(Set(identities.values).count, 1)
        XCTAssertEqual(cache.count, 1)
    }

    func testFailedLoadIsNotCached() throws {
        let data = try TemporaryData()
        let cache = CorpusCache()
        XCTAssertThrowsError(try cache.corpus(.ptb, .study, at: data.location))
        try data.writePTB(train: "a b\n", valid: "a\n", test: "b\n")
        XCTAssertEqual(try cache.corpus(.ptb, .study, at: data.location).train, [0, 1])
    }
}

private final class IdentityList: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [ObjectIdentifier] = []
    func append(_ value: ObjectIdentifier) { lock.lock(); list.append(value); lock.unlock() }
    var values: [ObjectIdentifier] { lock.lock(); defer { lock.unlock() }; return list }
}
