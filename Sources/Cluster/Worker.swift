import Foundation
import Training

/// Ranks 1…N−1: ask rank 0 for work, train, send the record back, until told to stop.
final class Worker {
    private let communicator: Communicator
    private let runner: JobRunner
    private let pollInterval: Double

    init(communicator: Communicator, runner: JobRunner, pollInterval: Double) {
        self.communicator = communicator
        self.runner = runner
        self.pollInterval = pollInterval
    }

    func run() throws {
        while true {
            let (envelope, payload) = try communicator.wait(from: 0, pollInterval: pollInterval)
            switch try SweepMessage(tag: envelope.tag, payload: payload) {
            case .stop:
                return
            case .check(let configs):
                let problems = StartupCheck.problems(configs, runner: runner, host: communicator.processorName)
                try communicator.send(.checked(problems.joined(separator: "\n")), to: 0)
                if problems.isEmpty { try communicator.send(.ready, to: 0) }
            case .job(let config):
                let record = runner.run(config, rank: communicator.rank, host: communicator.processorName)
                try communicator.send(.record(record), to: 0)
            case .ready, .record, .checked:
                continue
            }
        }
    }
}
