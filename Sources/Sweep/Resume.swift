import Foundation
import Training

/// Which jobs still have to run, given what the journal already holds.
public enum Resume {
    public struct Plan {
        /// Jobs to run, largest predicted cost first.
        public let pending: [Job]
        /// Jobs whose record is already in the journal.
        public let done: [Job]
    }

    /// A job is done when the journal holds its id; with `retryFailed`, one whose status is
    /// `failed` or `diverged` is queued again.
    public static func plan(jobs: [Job], journal: MergedRecords, retryFailed: Bool) -> Plan {
        let finished = journal.byID
        var pending: [Job] = []
        var done: [Job] = []
        for job in jobs {
            if let record = finished[job.id], record.status == .ok || !retryFailed {
                done.append(job)
            } else {
                pending.append(job)
            }
        }
        return Plan(pending: pending.sorted(by: Job.largestFirst), done: done)
    }
}
