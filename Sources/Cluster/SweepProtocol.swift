import Corpus
import Foundation
import Training

/// What trains one job on one rank. `lmsweep run` passes the Trainer; tests may pass their own.
public protocol JobRunner: AnyObject {
    /// Never throws: a failed or diverged run is a record with that status. `activity` is
    /// ticked as the run works (steps, evaluation batches): the rank's heartbeat carries it.
    /// `checkpointing` holds the checkpoint to resume from, takes the new ones, and carries the
    /// stop request (SIGTERM) that ends the run, interrupted, at its next step boundary.
    func run(_ config: RunConfig, rank: Int, host: String, activity: Activity, checkpointing: Checkpointing) -> RunOutcome
    /// Checks, before any training, that a config can run here (data present, context fits).
    func preflight(_ config: RunConfig) throws
    /// Where this runner reads datasets (nil: it reads none): text corpora are pinned from here.
    var dataLocation: DataLocation? { get }
}

/// The coordinator/worker protocol. Before any training, rank 0 has every worker check that
/// it can run the sweep's jobs (its data is there and fits) and measure its numerics (the
/// canary); then workers ask for work:
///
///     0 → worker   check(configs)     one config per dataset the pending jobs need (maybe none)
///     worker → 0   stageRequest(paths) with --stage-data: the dataset files it lacks (DataStaging)
///     0 → worker   stageFile(chunk)   a piece of one of them, ≤ 4 MiB
///     worker → 0   checked(report)    its host, its numerics, one "host: problem" per problem
///     worker → 0   ready              "give me work" (after a clean check)
///     worker → 0   heartbeat(count)   every few seconds while training: the run's activity count
///     worker → 0   record(JSON line)  a finished run; also asks for the next job
///     0 → worker   checkpoint(id, bytes) the checkpoint the next job resumes from, if it has one
///     0 → worker   job(config JSON)   the largest pending job
///     worker → 0   checkpoint(id, bytes) every `checkpoint_every` of its run; rank 0 writes it
///     0 → worker   interrupt          SIGTERM reached rank 0: checkpoint the run and stop
///     worker → 0   interrupted(id, step) its run stopped (after its last checkpoint message)
///     0 → worker   alive              every heartbeat interval once the sweep runs: a worker that
///                                     hears nothing from rank 0 for twice the stall limit ends the job
///     0 → worker   stop               nothing left; finalize and exit
///
/// Records travel as the journal's own JSON line, so what rank 0 writes is byte for byte what
/// the worker produced.
enum SweepMessage: Equatable {
    case check([RunConfig])
    case checked(CheckReport)
    case stageRequest([String])
    case stageFile(StagedChunk)
    case ready
    case heartbeat(UInt64)
    case record(RunRecord)
    case job(RunConfig)
    case checkpoint(id: String, bytes: [UInt8])
    case interrupt
    case interrupted(InterruptedRun)
    case alive
    case stop

    enum Tag: Int32 {
        case ready = 1, record = 2, job = 3, stop = 4, check = 5, checked = 6, stageRequest = 7, stageFile = 8, heartbeat = 9
        case checkpoint = 10, interrupt = 11, interrupted = 12, alive = 13
    }

    var tag: Tag {
        switch self {
        case .check: return .check
        case .checked: return .checked
        case .stageRequest: return .stageRequest
        case .stageFile: return .stageFile
        case .ready: return .ready
        case .heartbeat: return .heartbeat
        case .record: return .record
        case .job: return .job
        case .checkpoint: return .checkpoint
        case .interrupt: return .interrupt
        case .interrupted: return .interrupted
        case .alive: return .alive
        case .stop: return .stop
        }
    }

    var payload: [UInt8] {
        switch self {
        case .ready, .stop, .interrupt, .alive: return []
        // The id (16 hex digits, no newline), a newline, the checkpoint's bytes.
        case .checkpoint(let id, let bytes): return Array(id.utf8) + [0x0A] + bytes
        case .interrupted(let run): return Self.encode(run)
        case .checked(let report): return Self.encode(report)
        case .heartbeat(let count): return Array(String(count).utf8)
        case .record(let record): return Array(record.jsonLine().utf8)
        case .job(let config): return Self.encode(config)
        case .check(let configs): return Self.encode(configs)
        case .stageRequest(let paths): return Self.encode(paths)
        case .stageFile(let chunk): return chunk.payload
        }
    }

    private static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Configs and reports are strings, numbers and enums: encoding cannot fail.
        return Array(try! encoder.encode(value))
    }

    struct DecodeError: Error, CustomStringConvertible {
        let description: String
    }

    init(tag: Int32, payload: [UInt8]) throws {
        switch Tag(rawValue: tag) {
        case .ready: self = .ready
        case .stop: self = .stop
        case .interrupt: self = .interrupt
        case .alive: self = .alive
        case .interrupted: self = .interrupted(try JSONDecoder().decode(InterruptedRun.self, from: Data(payload)))
        case .checkpoint:
            guard let newline = payload.firstIndex(of: 0x0A), newline > 0, newline <= 64 else {
                throw DecodeError(description: "a checkpoint message without its run id")
            }
            self = .checkpoint(id: String(decoding: payload[..<newline], as: UTF8.self), bytes: Array(payload[(newline + 1)...]))
        case .heartbeat:
            guard let count = UInt64(String(decoding: payload, as: UTF8.self)) else {
                throw DecodeError(description: "a heartbeat without its count")
            }
            self = .heartbeat(count)
        case .record: self = .record(try RunRecord.decode(jsonLine: String(decoding: payload, as: UTF8.self)))
        case .job: self = .job(try JSONDecoder().decode(RunConfig.self, from: Data(payload)))
        case .check: self = .check(try JSONDecoder().decode([RunConfig].self, from: Data(payload)))
        case .checked: self = .checked(try JSONDecoder().decode(CheckReport.self, from: Data(payload)))
        case .stageRequest: self = .stageRequest(try JSONDecoder().decode([String].self, from: Data(payload)))
        case .stageFile: self = .stageFile(try StagedChunk(payload: payload))
        case nil: throw DecodeError(description: "unknown sweep message tag \(tag)")
        }
    }
}

/// A run a stop request ended: `step` is the checkpoint it can resume from (nil: none).
struct InterruptedRun: Codable, Equatable {
    let id: String
    let step: Int?
}

/// A worker's answer to the start-up check.
struct CheckReport: Codable, Equatable {
    let host: String
    /// Empty when the worker can run every job.
    let problems: [String]
    let numerics: Numerics
}

extension Communicator {
    func send(_ message: SweepMessage, to destination: Int) throws {
        try send(message.payload, to: destination, tag: message.tag.rawValue)
    }
}
