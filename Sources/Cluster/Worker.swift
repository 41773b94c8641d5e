import Foundation
import Training

/// Ranks 1…N−1: ask rank 0 for work, train, send the record back, until told to stop.
final class Worker {
    private let communicator: Communicator
    private var runner: JobRunner
    private let staging: DataStaging?
    private let pollInterval: Double
    private let log: (String) -> Void

    init(communicator: Communicator, runner: JobRunner, staging: DataStaging? = nil, pollInterval: Double,
         log: @escaping (String) -> Void = { _ in }) {
        self.communicator = communicator
        self.runner = runner
        self.staging = staging
        self.pollInterval = pollInterval
        self.log = log
    }

    func run() throws {
        var stagingFolder: (path: String, removeAtExit: Bool)?
        defer {
            if let stagingFolder, stagingFolder.removeAtExit { try? FileManager.default.removeItem(atPath: stagingFolder.path) }
        }
        while true {
            let (envelope, payload) = try communicator.wait(from: 0, pollInterval: pollInterval)
            switch try SweepMessage(tag: envelope.tag, payload: payload) {
            case .stop:
                return
            case .check(let configs):
                let host = communicator.processorName
                var problems = StartupCheck.problems(configs, runner: runner, host: host)
                if let staging {
                    let files = DataStaging.files(for: configs)
                    let lacking = staging.lacking(files)
                    if !lacking.isEmpty {
                        do {
                            let started = Date()
                            let folder = try staging.makeFolder()
                            stagingFolder = folder
                            let staged = try staging.receive(lacking, of: files, into: folder.path,
                                                             communicator: communicator, pollInterval: pollInterval)
                            log(String(format: "rank %d on %@: staged %@ from rank 0 into %@ in %.3f s (SHA-256 verified)",
                                       communicator.rank, host, lacking.map(\.relativePath).joined(separator: ", "),
                                       folder.path, Date().timeIntervalSince(started)))
                            runner = try staging.makeRunner(staged)
                            problems = StartupCheck.problems(configs, runner: runner, host: host)
                        } catch is DataStaging.Stopped {
                            return
                        } catch {
                            problems = ["\(host): \(error)"]
                        }
                    }
                }
                // After the runner set the BLAS threads the runs will use.
                let report = CheckReport(host: host, problems: problems, numerics: Numerics.thisProcess)
                try communicator.send(.checked(report), to: 0)
                if problems.isEmpty { try communicator.send(.ready, to: 0) }
            case .job(let config):
                let record = runner.run(config, rank: communicator.rank, host: communicator.processorName)
                try communicator.send(.record(record), to: 0)
            case .ready, .record, .checked, .stageRequest, .stageFile:
                continue
            }
        }
    }
}
