import Foundation
import Sweep
import Training

/// Every rank checks, before anyone trains, that it can run the sweep: its datasets are where
/// it looks for them and each job's context fits their splits. A host without the data fails
/// the sweep at start-up with its name and path, instead of failing every job it is handed.
enum StartupCheck {
    struct Failed: Error, CustomStringConvertible {
        let problems: [String]
        var description: String {
            "\(problems.count) rank check(s) failed before training:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
        }
    }

    /// A worker that sent nothing for the answer limit: the sweep cannot start, and that rank
    /// cannot finalize, so the launcher ends the job at once rather than at MPI_Finalize's hang.
    struct Unanswered: Error, CustomStringConvertible {
        let rank: Int
        let seconds: Double
        var description: String {
            String(format: "rank %d did not answer the start-up check within %.0f s (--stall-limit): it is frozen, or stuck reading its data. "
                   + "Nothing has trained; look at that rank's host, then run the same command again", rank, seconds)
        }
    }

    /// One config per (dataset, convention, train prefix), the one with the longest context:
    /// if that one fits, every job on that corpus does.
    static func requirements(_ jobs: [Job]) -> [RunConfig] {
        var longest: [String: RunConfig] = [:]
        for job in jobs {
            let c = job.config
            let key = "\(c.dataset.rawValue)/\(c.convention.rawValue)/\(c.maxTrainTokens ?? 0)"
            if c.context > (longest[key]?.context ?? -1) { longest[key] = c }
        }
        return longest.keys.sorted().map { longest[$0]! }
    }

    /// The problems this rank finds, each naming its host.
    static func problems(_ configs: [RunConfig], runner: JobRunner, host: String) -> [String] {
        configs.compactMap { config in
            do {
                try runner.preflight(config)
                return nil
            } catch {
                return "\(host): \(error)"
            }
        }
    }

    /// Rank 0's side: sends the requirements to every worker (even none: the check is also
    /// the numerics handshake, and the one every worker waits for) and waits for each answer.
    /// With `staging` (rank 0's own data root under `--stage-data`), a worker may first ask for
    /// the dataset files it lacks; rank 0 sends them, then waits for that worker's answer.
    /// Throws ``Unanswered`` when a worker sends nothing for `answerLimit` seconds (frozen, or
    /// stuck reading its data); ``Failed`` listing every rank's problems if any rank has one, then
    /// ``NumericsCheck`` if the ranks' numerics differ and `allowMixedNumerics` is false.
    /// Returns every rank's numerics, rank 0's first.
    @discardableResult
    static func run(_ configs: [RunConfig], communicator: Communicator, staging: DataStaging? = nil,
                    allowMixedNumerics: Bool = false, pollInterval: Double, answerLimit: Double = 600,
                    log: (String) -> Void = { _ in }) throws -> NumericsCheck {
        for worker in 1..<communicator.size { try communicator.send(.check(configs), to: worker) }
        // While the workers run theirs.
        var ranks = [RankNumerics(rank: 0, host: communicator.processorName, numerics: Numerics.thisProcess)]
        var problems: [String] = []
        for worker in 1..<communicator.size {
            // Each worker's answer is its first message after the check (per-pair order is kept),
            // or after the files it asked for.
            answer: while true {
                guard let (envelope, payload) = try communicator.wait(from: worker, pollInterval: pollInterval, within: answerLimit) else {
                    throw Unanswered(rank: worker, seconds: answerLimit)
                }
                switch try SweepMessage(tag: envelope.tag, payload: payload) {
                case .checked(let report):
                    problems += report.problems.map { "rank \(worker) on \($0)" }
                    ranks.append(RankNumerics(rank: worker, host: report.host, numerics: report.numerics))
                    break answer
                case .stageRequest(let paths):
                    guard let staging else {
                        // The worker waits for files that will not come; the `.stop` after the throw ends it.
                        problems.append("rank \(worker): asked for \(paths.joined(separator: ", ")) (--stage-data), "
                                        + "but rank 0 runs without --stage-data")
                        break answer
                    }
                    let started = Date()
                    try DataStaging.serve(paths, of: DataStaging.files(for: configs), from: staging.location, to: worker,
                                          communicator: communicator)
                    log(String(format: "rank 0: sent %@ to rank %d in %.3f s", paths.joined(separator: ", "), worker,
                               Date().timeIntervalSince(started)))
                default:
                    problems.append("rank \(worker): answered the start-up check with a \(envelope.tag) message")
                    break answer
                }
            }
        }
        let numerics = NumericsCheck(ranks)
        if !problems.isEmpty { throw Failed(problems: problems) }
        if !numerics.agrees {
            guard allowMixedNumerics else { throw numerics }
            log("warning: --allow-mixed-numerics: running anyway, each record keeps its numerics; \(numerics.summary)")
        }
        return numerics
    }
}
