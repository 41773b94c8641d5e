import Foundation
import TensorCore
import XCTest
@testable import Corpus
@testable import Training

/// The sampler's draw, as nanoGPT's sample.py makes it: greedy at temperature 0 or top-k 1,
/// else softmax(logits / temperature) over the k most likely.
final class TextSamplerTests: XCTestCase {
    let logits: [Float] = [0.5, 2.0, -1.0, 2.0, 1.0]

    func testTemperatureZeroAndTopKOneTakeTheMostLikelyTokenLowestIDAmongEquals() {
        var rng = RNG(seed: 1)
        for _ in 0..<50 {
            XCTAssertEqual(Trainer.draw(logits, temperature: 0, topK: nil, rng: &rng), 1)
            XCTAssertEqual(Trainer.draw(logits, temperature: 1.5, topK: 1, rng: &rng), 1)
        }
    }

    func testDrawsFollowTheSoftmaxOfTheTopK() {
        var rng = RNG(seed: 42)
        var counts = [Int](repeating: 0, count: logits.count)
        let draws = 40_000
        for _ in 0..<draws { counts[Int(Trainer.draw(logits, temperature: 2, topK: 3, rng: &rng))] += 1 }
        XCTAssertEqual(counts[0], 0, "outside the top 3")
        XCTAssertEqual(counts[2], 0, "outside the top 3")
        // Among tokens 1, 3 (logit 2) and 4 (logit 1) at temperature 2: e^1, e^1, e^0.5.
        let weights = [1: exp(1.0), 3: exp(1.0), 4: exp(0.5)]
        let total = weights.values.reduce(0, +)
        for (token, weight) in weights {
            XCTAssertEqual(Double(counts[token]) / Double(draws), weight / total, accuracy: 0.01, "token \(token)")
        }
    }

    func testPromptCharactersOutsideTheVocabularyAreNamed() {
        let vocabulary = Vocabulary(tokens: ["\n", " ", "a", "b"])
        XCTAssertEqual(try Trainer.encode("ab a", vocabulary: vocabulary, level: .character, corpus: "tiny"), [2, 3, 1, 2])
        XCTAssertThrowsError(try Trainer.encode("abc", vocabulary: vocabulary, level: .character, corpus: "tiny")) { error in
            XCTAssertEqual("\(error)", "--prompt: character 3, 'c' (U+0063), is not in the vocabulary of tiny (4 characters)")
        }
        let words = Vocabulary(tokens: ["<eos>", "<unk>", "the"])
        XCTAssertEqual(try Trainer.encode("the cat", vocabulary: words, level: .word, corpus: "ptb"), [2, 1], "unknown words are <unk>")
    }
}
