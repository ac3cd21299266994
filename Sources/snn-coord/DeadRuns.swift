import Foundation
import SNNCluster

extension Start {
    /// Runs the metrics database lists as "running" whose coordinator is gone (its per-run status file names a pid
    /// that no longer exists: killed with -9, crashed) are recorded "failed" with that reason when the next
    /// coordinator starts on the database, so a crash ends in a recorded state, not "running" for ever (issue 8,
    /// item 9). A run without a status file (its coordinator never got that far) is left alone. Best effort:
    /// any error here is ignored, it never stops a start.
    func recordDeadRuns(db: String) {
        guard FileManager.default.fileExists(atPath: db),
              let store = try? MetricsStore.open(path: db), let runs = try? store.runs() else { return }
        for run in runs where run.status == .running {
            guard let snapshot = try? StatusSnapshot.read(from: statusPath(db: db, runID: run.runID)),
                  snapshot.pid > 0, snapshot.pid != Int(getpid()),
                  kill(pid_t(snapshot.pid), 0) == -1 && errno == ESRCH else { continue }
            try? store.finishRun(run.runID, digest: nil, status: .failed, at: Date(),
                                 reason: "coordinator (pid \(snapshot.pid)) ended without recording an end (killed or crashed)")
        }
    }
}
