import CMPI
import Foundation

public struct MPIError: Error, CustomStringConvertible {
    public let call: String
    public let code: Int32
    public var description: String { "\(call) failed with MPI error \(code)" }
}

/// MPI_COMM_WORLD behind a small Swift type: byte messages with tags, and a non-blocking probe.
///
/// Initialized with `MPI_THREAD_FUNNELED`: rank 0 trains on a second thread, but only the
/// thread that initialized MPI ever calls it. Errors return codes (`MPI_ERRORS_RETURN`) so
/// they surface as Swift errors rather than aborting the job from inside the library.
public final class Communicator {
    public let rank: Int
    public let size: Int
    /// `MPI_Get_processor_name`: the host this rank runs on.
    public let processorName: String
    private let world: MPI_Comm

    /// Is this process one of an `mpirun`'s ranks? (Open MPI and PMIx set these for every rank.)
    public static var launchedByMPI: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
    }

    public init() throws {
        var provided: Int32 = 0
        try Self.check("MPI_Init_thread", MPI_Init_thread(nil, nil, lmsweep_mpi_thread_funneled(), &provided))
        guard provided >= lmsweep_mpi_thread_funneled() else {
            throw MPIError(call: "MPI_Init_thread (MPI_THREAD_FUNNELED not provided)", code: provided)
        }
        world = lmsweep_mpi_comm_world()
        try Self.check("MPI_Comm_set_errhandler", MPI_Comm_set_errhandler(world, lmsweep_mpi_errors_return()))
        var rank: Int32 = 0, size: Int32 = 0
        try Self.check("MPI_Comm_rank", MPI_Comm_rank(world, &rank))
        try Self.check("MPI_Comm_size", MPI_Comm_size(world, &size))
        self.rank = Int(rank)
        self.size = Int(size)
        var name = [CChar](repeating: 0, count: Int(lmsweep_mpi_max_processor_name()) + 1)
        var length: Int32 = 0
        try Self.check("MPI_Get_processor_name", MPI_Get_processor_name(&name, &length))
        processorName = String(decoding: name.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Blocking send of `bytes` to `destination` (small messages go eagerly and return at once).
    public func send(_ bytes: [UInt8], to destination: Int, tag: Int32) throws {
        try Self.check("MPI_Send", MPI_Send(bytes, Int32(bytes.count), lmsweep_mpi_byte(),
                                            Int32(destination), tag, world))
    }

    /// A message waiting to be received: who sent it, its tag, its length in bytes.
    public struct Envelope: Equatable {
        public let source: Int
        public let tag: Int32
        public let count: Int
    }

    /// `MPI_Iprobe`: the next message from `source` (any when nil), or nil at once if none
    /// waits. Unlike a blocking receive, it never spins a core while idle.
    public func probe(from source: Int? = nil) throws -> Envelope? {
        var flag: Int32 = 0
        var status = MPI_Status()
        let from = source.map(Int32.init) ?? lmsweep_mpi_any_source()
        try Self.check("MPI_Iprobe", MPI_Iprobe(from, lmsweep_mpi_any_tag(), world, &flag, &status))
        guard flag != 0 else { return nil }
        var count: Int32 = 0
        try Self.check("MPI_Get_count", MPI_Get_count(&status, lmsweep_mpi_byte(), &count))
        return Envelope(source: Int(status.MPI_SOURCE), tag: status.MPI_TAG, count: Int(count))
    }

    /// Receives the message a probe returned.
    public func receive(_ envelope: Envelope) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: envelope.count)
        try Self.check("MPI_Recv", MPI_Recv(&buffer, Int32(envelope.count), lmsweep_mpi_byte(),
                                            Int32(envelope.source), envelope.tag, world,
                                            lmsweep_mpi_status_ignore()))
        return buffer
    }

    /// A nonblocking send or receive in flight. Its buffer belongs to MPI until ``test()`` says
    /// it completed; one dropped before then (a stalled rank's) is left to MPI, never freed.
    public final class Transfer {
        private let handle: OpaquePointer
        public private(set) var isComplete = false

        fileprivate init(_ handle: OpaquePointer) { self.handle = handle }

        /// `MPI_Test`: whether the transfer completed. Never waits.
        public func test() throws -> Bool {
            guard !isComplete else { return true }
            var done: Int32 = 0
            try Communicator.check("MPI_Test", lmsweep_transfer_test(handle, &done))
            isComplete = done != 0
            return isComplete
        }

        /// A completed receive's bytes.
        public var bytes: [UInt8] {
            precondition(isComplete, "the bytes of a receive still in flight")
            var bytes = [UInt8](repeating: 0, count: Int(lmsweep_transfer_count(handle)))
            lmsweep_transfer_copy(handle, &bytes)
            return bytes
        }

        deinit { if isComplete { lmsweep_transfer_free(handle) } }
    }

    /// `MPI_Isend` of a copy of `bytes`: returns at once, whatever the receiver is doing. (A
    /// blocking `MPI_Send` of even a small message can wait for the receiver: Open MPI's
    /// shared-memory transport completes a send through its FIFO only when the receiver has
    /// taken it, so a frozen receiver froze the sender too.)
    public func startSend(_ bytes: [UInt8], to destination: Int, tag: Int32) throws -> Transfer {
        var code: Int32 = 0
        guard let handle = lmsweep_transfer_send(bytes, Int32(bytes.count), Int32(destination), tag, world, &code) else {
            throw MPIError(call: "MPI_Isend", code: code)
        }
        return Transfer(handle)
    }

    /// `MPI_Irecv` of the message a probe returned: returns at once, and completes once all of
    /// it has arrived, which for a large message needs its sender to keep running.
    public func startReceive(_ envelope: Envelope) throws -> Transfer {
        var code: Int32 = 0
        guard let handle = lmsweep_transfer_receive(Int32(envelope.count), Int32(envelope.source), envelope.tag, world, &code) else {
            throw MPIError(call: "MPI_Irecv", code: code)
        }
        return Transfer(handle)
    }

    /// Waits for the next message from `source`, polling with `MPI_Iprobe` and a short sleep:
    /// Open MPI's blocking receive busy-waits, which would steal the core a trainer runs on.
    public func wait(from source: Int? = nil, pollInterval: Double) throws -> (Envelope, [UInt8]) {
        while true {
            if let envelope = try probe(from: source) { return (envelope, try receive(envelope)) }
            Thread.sleep(forTimeInterval: pollInterval)
        }
    }

    /// ``wait(from:pollInterval:)`` for at most `seconds`: nil if no message came by then.
    public func wait(from source: Int? = nil, pollInterval: Double, within seconds: Double) throws -> (Envelope, [UInt8])? {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if let envelope = try probe(from: source) { return (envelope, try receive(envelope)) }
            if Date() >= deadline { return nil }
            Thread.sleep(forTimeInterval: pollInterval)
        }
    }

    public func finalize() {
        _ = MPI_Finalize()
    }

    /// Ends every rank of the job (`MPI_Abort`): for failures one rank cannot recover from.
    public func abort(code: Int32) -> Never {
        _ = MPI_Abort(world, code)
        exit(code)
    }

    static func check(_ call: String, _ code: Int32) throws {
        guard code == lmsweep_mpi_success() else { throw MPIError(call: call, code: code) }
    }
}
