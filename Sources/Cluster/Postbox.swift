import Foundation

/// Rank 0's side of the sweep protocol, in MPI calls that never wait on a worker: sends are
/// `MPI_Isend`, each probed message is received with `MPI_Irecv`, and every loop of the
/// coordinator tests them. A worker frozen mid-message (SIGSTOP, a hung NFS read, a paused
/// VM) then leaves only its own transfers unfinished: rank 0 goes on serving the other ranks,
/// sees the frozen rank's activity stop, and declares it stalled.
///
/// Blocking calls did hang rank 0: with Open MPI's shared-memory transport, a worker's first
/// messages go through a FIFO, and a blocking send through it returns only once the receiver
/// has taken the message; rank 0 sent a job to a worker frozen a moment earlier, and waited
/// for ever (about 1 in 10 runs of `MPIFaultTests`).
final class Postbox {
    private let communicator: Communicator
    /// Per rank, its messages received or being received, oldest first: a rank's messages are
    /// handled in the order it sent them, so a later one waits for an earlier one still in flight.
    private var incoming: [Int: [(tag: Int32, transfer: Communicator.Transfer)]] = [:]
    private var outgoing: [Int: [Communicator.Transfer]] = [:]
    private var abandoned: Set<Int> = []

    init(communicator: Communicator) { self.communicator = communicator }

    /// Starts sending `message` to `rank`; returns at once.
    func post(_ message: SweepMessage, to rank: Int) throws {
        guard !abandoned.contains(rank) else { return }
        outgoing[rank, default: []].append(try communicator.startSend(message.payload, to: rank, tag: message.tag.rawValue))
    }

    /// The messages that arrived whole since the last call, each rank's in its own order.
    /// Messages from an abandoned rank are returned too: the coordinator says what it ignores.
    func collect() throws -> [(rank: Int, message: SweepMessage)] {
        while let envelope = try communicator.probe() {
            incoming[envelope.source, default: []].append((envelope.tag, try communicator.startReceive(envelope)))
        }
        var arrived: [(rank: Int, message: SweepMessage)] = []
        for rank in incoming.keys.sorted() {
            var queue = incoming[rank]!
            while let first = queue.first, try first.transfer.test() {
                queue.removeFirst()
                arrived.append((rank, try SweepMessage(tag: first.tag, payload: first.transfer.bytes)))
            }
            incoming[rank] = queue.isEmpty ? nil : queue
        }
        try testSends()
        return arrived
    }

    private func testSends() throws {
        for (rank, sends) in outgoing {
            let unfinished = try sends.filter { try !$0.test() }
            outgoing[rank] = unfinished.isEmpty ? nil : unfinished
        }
    }

    /// A rank declared stalled: nothing more is sent to it, and its transfers in flight are
    /// dropped (their buffers stay with MPI: the rank may yet wake and complete them).
    func abandon(rank: Int) {
        abandoned.insert(rank)
        incoming[rank] = nil
        outgoing[rank] = nil
    }

    /// Ranks with a send still in flight.
    var sending: Set<Int> { Set(outgoing.keys) }

    /// Waits, testing every `pollInterval`, until every send has completed or `timeout` has
    /// passed; returns the ranks whose sends did not complete. Run before `MPI_Finalize`, which
    /// must not find a send in flight.
    func drain(timeout: Double, pollInterval: Double) throws -> Set<Int> {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            try testSends()
            if outgoing.isEmpty || Date() >= deadline { return sending }
            Thread.sleep(forTimeInterval: pollInterval)
        }
    }
}
