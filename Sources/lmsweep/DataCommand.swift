import ArgumentParser
import Corpus
import Foundation

/// `lmsweep data verify|stats`: check the dataset files and describe what they load to.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Check the datasets on disk and print their statistics.",
        discussion: """
        The data root is --data-dir, else $LMSWEEP_DATA, else ./data; it holds \
        tinyshakespeare/input.txt, ptb/ptb.{train,valid,test}.txt and \
        wikitext-2/wiki.{train,valid,test}.tokens. Fetch them with scripts/fetch-data.sh DIR.
        """,
        subcommands: [Verify.self, Stats.self]
    )

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every dataset file's size and SHA-256 against the published sums.")

        @OptionGroup var data: DataOptions

        func run() throws {
            let root = data.location
            print("data root: \(root)")
            var failures = 0
            for file in CorpusDataset.allFiles {
                do {
                    try root.verify(file)
                    print("ok      \(file.relativePath)")
                } catch {
                    failures += 1
                    print("FAILED  \(file.relativePath)")
                    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                }
            }
            guard failures == 0 else {
                FileHandle.standardError.write(Data("error: \(failures) of \(CorpusDataset.allFiles.count) files failed\n".utf8))
                throw ExitCode.failure
            }
            print("all \(CorpusDataset.allFiles.count) files match their published SHA-256")
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load every dataset under each convention; print token counts, vocabulary sizes and load times.")

        @OptionGroup var data: DataOptions

        @Option(help: "Only this dataset (\(CorpusDataset.allCases.map(\.rawValue).joined(separator: ", "))).")
        var dataset: String?

        func validate() throws {
            if let dataset, CorpusDataset(rawValue: dataset) == nil {
                throw ValidationError("--dataset \(dataset): expected one of \(CorpusDataset.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() throws {
            let root = data.location
            print("data root: \(root)")
            let datasets = dataset.flatMap(CorpusDataset.init(rawValue:)).map { [$0] } ?? CorpusDataset.allCases
            let header = ["dataset", "convention", "level", "vocab", "train", "valid", "test", "load"]
            var rows: [[String]] = []
            let clock = ContinuousClock()
            for dataset in datasets {
                for convention in dataset.conventions {
                    var corpus: LoadedCorpus?
                    let elapsed = try clock.measure { corpus = try LoadedCorpus.load(dataset, convention, from: root) }
                    guard let corpus else { continue }
                    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                    rows.append([dataset.rawValue, convention.rawValue, corpus.level.rawValue,
                                 grouped(corpus.vocabulary.count), grouped(corpus.train.count),
                                 grouped(corpus.valid.count),
                                 corpus.testIsValid ? "(= valid)" : grouped(corpus.test.count),
                                 String(format: "%.0f ms", seconds * 1e3)])
                }
            }
            let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
            for row in [header] + rows {
                print(row.indices.map { column in
                    let cell = row[column]
                    let padding = String(repeating: " ", count: widths[column] - cell.count)
                    return column < 3 ? cell + padding : padding + cell
                }.joined(separator: "  "))
            }
        }

        private func grouped(_ value: Int) -> String {
            let digits = String(value)
            var text = ""
            for (index, digit) in digits.enumerated() {
                if index > 0 && (digits.count - index) % 3 == 0 { text.append(",") }
                text.append(digit)
            }
            return text
        }
    }
}
