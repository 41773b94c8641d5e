import ArgumentParser
import Foundation
import TensorCore
import Training

/// `lmsweep numerics`: this process's numerics fingerprint and the facts behind it.
struct NumericsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "numerics",
        abstract: "Print this machine's numerics fingerprint and the facts that decide it.",
        discussion: """
        The fingerprint is the hash of a canary's result bits: a few seeded training steps of \
        three tiny models on the real tensor core (GEMMs on both sides of OpenBLAS's \
        small-matrix dispatch, softmax, LayerNorm, RoPE, dropout, the loss, Adam). Two machines \
        with the same fingerprint give the same bits for the same run; `lmsweep run` compares \
        every rank's before training, and every record carries its own.

        Under mpirun every rank prints its line, which checks a cluster before a sweep:
          mpirun --hostfile hosts lmsweep numerics
        """)

    @Flag(help: "One JSON object per process: host, rank (under mpirun), canary time, numerics.")
    var json = false

    @Option(help: ArgumentHelp("OpenBLAS threads, as `lmsweep run --blas-threads` would use.", valueName: "n"))
    var blasThreads = 1

    func validate() throws {
        guard blasThreads >= 1 else { throw ValidationError("--blas-threads must be at least 1 (got \(blasThreads))") }
    }

    func run() throws {
        TensorCore.setBLASThreads(blasThreads)
        let (numerics, seconds) = Numerics.measured
        let host = ProcessInfo.processInfo.hostName
        let rank = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_RANK"].flatMap(Int.init)
        if json {
            struct Line: Encodable {
                let host: String
                let rank: Int?
                let canaryMilliseconds: Double
                let numerics: Numerics
                enum CodingKeys: String, CodingKey { case host, rank, canaryMilliseconds = "canary_ms", numerics }
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let line = Line(host: host, rank: rank, canaryMilliseconds: (seconds * 1e4).rounded() / 10, numerics: numerics)
            print(String(decoding: try encoder.encode(line), as: UTF8.self))
            return
        }
        let who = rank.map { "\(host) rank \($0)" } ?? host
        var lines = [String(format: "%@: numerics fingerprint %@ (canary %.1f ms)", who, numerics.fingerprint, seconds * 1000)]
        let width = numerics.facts.map(\.name.count).max() ?? 0
        for fact in numerics.facts {
            lines.append("  " + fact.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + fact.value)
        }
        // One write: ranks share the terminal.
        print(lines.joined(separator: "\n"))
    }
}
