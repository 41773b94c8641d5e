import Dispatch
import Foundation
import Training

/// SIGTERM and SIGINT as a request to stop cleanly: the first one raises ``request`` (every
/// run in flight checkpoints at its next step boundary, the sweep ends with one line saying
/// what it kept); a second one ends the process at once, as a user pressing Ctrl-C twice expects.
///
/// SLURM sends SIGTERM at a time limit, at preemption and on `scancel`, then SIGKILL after
/// KillWait (30 s by default); `mpirun` forwards both signals to every rank, then kills the
/// ranks after `odls_base_sigkill_timeout` more (1 s by default: the launch scripts set 5 s).
public enum InterruptSignals {
    /// Raised by the first SIGTERM or SIGINT this process receives.
    public static let request = StopRequest()

    private static let state = State()

    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var sources: [DispatchSourceSignal] = []
        var received: Int32?
    }

    /// The first signal received, if any (SIGTERM or SIGINT).
    public static var received: Int32? {
        state.lock.lock(); defer { state.lock.unlock() }
        return state.received
    }

    /// Installs the handlers (once per process); what a signal does is said on stderr, prefixed
    /// with `who` (`rank 1`).
    public static func install(who: String) {
        let log: @Sendable (String) -> Void = { FileHandle.standardError.write(Data("\(who): \($0)\n".utf8)) }
        state.lock.lock(); defer { state.lock.unlock() }
        guard state.sources.isEmpty else { return }
        for number in [SIGTERM, SIGINT] {
            // The default action would end the process before any checkpoint is written.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                state.lock.lock()
                let first = state.received == nil
                if first { state.received = number }
                state.lock.unlock()
                guard first else {
                    log("\(name(number)) again: stopping now, without waiting for checkpoints")
                    exit(128 + number)
                }
                log("\(name(number)): checkpointing the runs in flight at their next step, then stopping "
                    + "(\(name(number)) again to stop at once)")
                request.raise()
            }
            source.resume()
            state.sources.append(source)
        }
    }

    public static func name(_ number: Int32) -> String {
        switch number {
        case SIGTERM: return "SIGTERM"
        case SIGINT: return "SIGINT"
        default: return "signal \(number)"
        }
    }
}
