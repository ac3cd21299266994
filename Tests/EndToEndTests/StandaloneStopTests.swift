import Foundation
import Testing
import SNNCluster

/// Issue 8, item 4 for standalone runs (ported from the harden2 branch): SIGTERM finishes the step,
/// checkpoints, records the run "stopped" with the signal as its reason, exits 128 + SIGTERM, and the resumed
/// run ends with the digest of a run that was never stopped.
@Suite struct StandaloneStopTests {
    @Test func standaloneSigtermCheckpointsAndTheResumeMatchesAnUndisturbedRun() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        let common = ["--standalone", "--threads", "1", "--limit", "3000", "--seed", "17", "--quiet"]
        let reference = try run("snn-coord", ["start", "--spec", spec, "--db", dir + "/ref.sqlite", "--checkpoint-dir", dir + "/ref"] + common,
                                cwd: dir, timeout: 300)
        #expect(reference.status == 0, "\(reference.stderr)")
        let totalSteps = committedSteps(db: dir + "/ref.sqlite")
        let db = dir + "/m.sqlite", ck = dir + "/ck"
        let first = try Child("snn-coord", ["start", "--spec", spec, "--db", db, "--checkpoint-dir", ck] + common, cwd: dir)
        #expect(waitUntil(120) { committedSteps(db: db) >= 3 }, "the run did not start: \(first.stderr)")
        kill(first.process.processIdentifier, SIGTERM)
        let stopped = first.wait(timeout: 120)
        #expect(stopped.status == 128 + SIGTERM, "\(stopped.stderr)")
        #expect(stopped.stderr.contains("Continue with --resume"), "\(stopped.stderr)")
        #expect(committedSteps(db: db) < totalSteps, "the stop came after the run's end; make the run longer")
        let store = try MetricsStore.open(path: db, readOnly: true)
        let stoppedRun = try #require(try store.latestRun())
        #expect(stoppedRun.status == .stopped)
        #expect(try store.endReason(run: stoppedRun.runID)?.contains("signal") == true)
        let second = try run("snn-coord", ["start", "--resume", ck + "/checkpoint.ckpt", "--db", db, "--checkpoint-dir", ck] + common,
                             cwd: dir, timeout: 300)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(digest(second.stdout) != nil && digest(second.stdout) == digest(reference.stdout))
        #expect(try store.latestRun()?.status == .completed)
    }
}
