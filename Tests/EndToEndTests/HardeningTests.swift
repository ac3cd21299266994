import Foundation
import Testing
import SNNCluster
import SNNEnergy

/// Process-level faults against real `snn-coord` / `snn-worker` processes on loopback (issue 8): hostile
/// multipart streams, corrupted checkpoints, unwritable checkpoint directories, SIGTERM, resuming on other data.
@Suite(.serialized) struct HardeningTests {
    /// A peer that never said HELLO sends a stream of multipart messages with 1–1000 frames (0 frames cannot be
    /// sent through ZeroMQ) and frames up to several MiB. Messages over the transport limit (64 frames) are
    /// drained and dropped, the others rejected; the run ends with the undisturbed run's parameter digest.
    @Test func hostileMultipartStreamLeavesTheRunIntact() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        let common = ["--spec", spec, "--limit", "1500", "--seed", "5"]
        let reference = try run("snn-coord", ["start", "--standalone", "--quiet", "--db", dir + "/ref.sqlite", "--checkpoint-dir", dir + "/ref"] + common, cwd: dir)
        #expect(reference.status == 0, "\(reference.stderr)")
        let address = "tcp://127.0.0.1:\(freePort())", db = dir + "/m.sqlite"
        let coord = try Child("snn-coord", ["start", "--bind", address, "--local-workers", "1", "--db", db, "--checkpoint-dir", dir + "/ck"] + common, cwd: dir)
        #expect(waitUntil(60) { committedSteps(db: db) >= 2 }, "\(coord.stderr)")
        let ctx = try ZContext()
        let rogue = try ZSocket.dealer(ctx)
        try rogue.connect(address)
        var rng = SystemRandomNumberGenerator()
        var counts = [1, 2, 63, 64, 65, 100, 999, 1000]
        for _ in 0..<40 { counts.append(Int.random(in: 1...1000, using: &rng)) }
        var oversized = 0
        for (i, n) in counts.enumerated() {
            // Every eighth message carries a 4 MiB frame; the rest small random frames.
            var frames: [[UInt8]] = (0..<n).map { _ in (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } }
            if i % 8 == 0 { frames[0] = [UInt8](repeating: 0xAB, count: 4 << 20) }
            if n > WireLimits.maxTransportFrames - 1 { oversized += 1 }   // + the routing id frame the ROUTER adds
            try rogue.sendMultipart(frames)
        }
        let r = coord.wait(timeout: 240)
        rogue.close()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(digest(r.stdout) == digest(reference.stdout))
        #expect(r.stderr.contains("dropped an oversized message"), "\(r.stderr.suffix(2000))")
        let store = try MetricsStore.open(path: db, readOnly: true)
        let runID = try #require(try store.latestRun()).runID
        let droppedRows = try store.summary(run: runID).wire.filter { $0.kind == "dropped oversized message" }
        #expect(droppedRows.reduce(0) { $0 + $1.messages } == Int64(oversized))
        #expect(try store.latestRun()?.status == .completed)
    }

    /// One flipped byte in the middle of a checkpoint: the resume is refused with one line naming the file and
    /// the checksum, and the checkpoint on disk is left as it was.
    @Test func corruptedCheckpointIsRefusedAndNotOverwritten() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        let ck = dir + "/ck"
        let first = try run("snn-coord", ["start", "--standalone", "--spec", spec, "--limit", "256", "--max-steps", "2", "--quiet",
                                          "--db", dir + "/m.sqlite", "--checkpoint-dir", ck], cwd: dir)
        #expect(first.status == 0, "\(first.stderr)")
        let path = ck + "/checkpoint.ckpt"
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))
        let r = try run("snn-coord", ["start", "--standalone", "--resume", path, "--limit", "256", "--quiet",
                                      "--db", dir + "/m.sqlite", "--checkpoint-dir", ck], cwd: dir)
        #expect(r.status != 0)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("checksum") && lines[0].contains(path), "\(r.stderr)")
        #expect(FileManager.default.contents(atPath: path) == bytes)
    }

    /// Resuming with another --limit (other data) is refused with the reason instead of training on other samples.
    @Test func resumeOnOtherDataIsRefused() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        let ck = dir + "/ck"
        let first = try run("snn-coord", ["start", "--standalone", "--spec", spec, "--limit", "256", "--max-steps", "2", "--quiet",
                                          "--db", dir + "/m.sqlite", "--checkpoint-dir", ck], cwd: dir)
        #expect(first.status == 0, "\(first.stderr)")
        let r = try run("snn-coord", ["start", "--standalone", "--resume", ck + "/checkpoint.ckpt", "--limit", "300", "--quiet",
                                      "--db", dir + "/m.sqlite", "--checkpoint-dir", ck], cwd: dir)
        #expect(r.status != 0)
        #expect(r.stderr.contains("trained on other data") && r.stderr.contains("--limit 256"), "\(r.stderr)")
    }

    /// A checkpoint directory that cannot be created fails the start at once, with one line, before training.
    @Test(arguments: [true, false])
    func unwritableCheckpointDirectoryFailsAtStart(standalone: Bool) throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        FileManager.default.createFile(atPath: dir + "/plainfile", contents: Data("x".utf8))
        var args = ["start", "--spec", spec, "--limit", "256", "--max-steps", "2", "--quiet", "--db", dir + "/m.sqlite",
                    "--checkpoint-dir", dir + "/plainfile/ck"]
        args += standalone ? ["--standalone"] : ["--local-workers", "1", "--bind", "tcp://127.0.0.1:\(freePort())"]
        let r = try run("snn-coord", args, cwd: dir, timeout: 60)
        #expect(r.status != 0)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("--checkpoint-dir"), "\(r.stderr)")
        #expect(committedSteps(db: dir + "/m.sqlite") == 0)
        #expect(!r.stdout.contains("checkpoint"))
    }

    /// SIGTERM mid-run: the coordinator checkpoints, records the run "stopped", tells its workers (they exit 0),
    /// exits 143; the resumed run ends with the undisturbed run's digest.
    @Test func sigtermCheckpointsAndTheResumeMatchesAnUndisturbedRun() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        let common = ["--spec", spec, "--limit", "2000", "--seed", "9", "--quiet"]
        let reference = try referenceRun(common, dir: dir)
        #expect(reference.status == 0, "\(reference.stderr)")
        let address = "tcp://127.0.0.1:\(freePort())", db = dir + "/m.sqlite", ck = dir + "/ck"
        let coord = try Child("snn-coord", ["start", "--bind", address, "--db", db, "--checkpoint-dir", ck] + common, cwd: dir)
        let worker = try Child("snn-worker", ["join", address, "--threads", "1", "--limit", "2000", "--give-up-after", "5"])
        #expect(waitUntil(60) { committedSteps(db: db) >= 3 }, "\(coord.stderr)")
        kill(coord.process.processIdentifier, SIGTERM)
        let r = coord.wait(timeout: 60)
        let w = worker.wait(timeout: 30)
        #expect(r.status == 128 + SIGTERM, "\(r.stderr)")
        #expect(r.stderr.contains("Continue with --resume"), "\(r.stderr)")
        #expect(w.status == 0, "\(w.stderr)")
        let store = try MetricsStore.open(path: db, readOnly: true)
        let run1 = try #require(try store.latestRun())
        #expect(run1.status == .stopped)
        #expect(try store.endReason(run: run1.runID)?.contains("signal") == true)
        let stepsAtStop = committedSteps(db: db)
        #expect(stepsAtStop < 60, "the run ended before the signal; make it longer")
        let resumed = try Child("snn-coord", ["start", "--resume", ck + "/checkpoint.ckpt", "--bind", address, "--local-workers", "1",
                                              "--db", db, "--checkpoint-dir", ck, "--limit", "2000", "--quiet"], cwd: dir)
        let r2 = resumed.wait(timeout: 240)
        #expect(r2.status == 0, "\(r2.stderr)")
        #expect(digest(r2.stdout) == digest(reference.stdout))
        #expect(try store.latestRun()?.status == .completed)
        // Item 5: the epoch's event counters survive the stop (they travel in the checkpoint), so the resumed run
        // records the same training counts, over the same samples, as the undisturbed run.
        let refLedger = try #require(try latestLedger(db: dir + "/ref.sqlite", epoch: 0))
        let resumedLedger = try #require(try latestLedger(db: db, epoch: 0))
        #expect(resumedLedger.samples[.trainForward] == 2000)
        #expect(resumedLedger.samples == refLedger.samples)
        for phase in [Phase.trainForward, .trainBackward, .optimizer] {
            #expect(resumedLedger.ledger.total(phase) == refLedger.ledger.total(phase), "\(phase.name)")
        }
    }

    /// Item 5, standalone: a run stopped by `--max-steps` mid-epoch and resumed records the same training event
    /// counts for that epoch, cell by cell, as a run that was never interrupted (before the fix the resumed epoch
    /// covered only the steps after the checkpoint).
    @Test func eventCountersOfAnInterruptedEpochSurviveTheResume() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        let common = ["--spec", spec, "--limit", "512", "--seed", "4", "--quiet"]
        let reference = try referenceRun(common, dir: dir)
        #expect(reference.status == 0, "\(reference.stderr)")
        let db = dir + "/m.sqlite", ck = dir + "/ck"
        let first = try run("snn-coord", ["start", "--standalone", "--max-steps", "5", "--db", db, "--checkpoint-dir", ck] + common, cwd: dir)
        #expect(first.status == 0, "\(first.stderr)")
        // The stopped run's events are kept (issue 12 item 3): 5 steps of 32 samples are on record before the resume.
        let partial = try #require(try latestLedger(db: db, epoch: 0))
        #expect(partial.samples[.trainForward] == 160)
        #expect(partial.ledger.total(.trainForward).synapticOps > 0)
        let resumed = try run("snn-coord", ["start", "--standalone", "--resume", ck + "/checkpoint.ckpt", "--limit", "512", "--quiet",
                                            "--db", db, "--checkpoint-dir", ck], cwd: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(digest(resumed.stdout) == digest(reference.stdout))
        let ref = try #require(try latestLedger(db: dir + "/ref.sqlite", epoch: 0))
        let got = try #require(try latestLedger(db: db, epoch: 0))
        #expect(got.samples[.trainForward] == 512)
        #expect(got.samples == ref.samples)
        #expect(got.ledger == ref.ledger)
    }
}

/// Spec and command-line errors a user can make (issue 8 items 7, 8, 12): one line, non-zero exit, nothing trained.
@Suite struct SpecLimitTests {
    func spec(in dir: String, lastUnits: Int = 10, timesteps: Int = 4) throws -> String {
        var text = try String(contentsOfFile: try writeTinySpec(in: dir), encoding: .utf8)
        text = text.replacingOccurrences(of: #"{"type": "dense", "units": 10}"#, with: #"{"type": "dense", "units": \#(lastUnits)}"#)
        text = text.replacingOccurrences(of: #""timesteps": 4"#, with: #""timesteps": \#(timesteps)"#)
        let path = dir + "/s-\(lastUnits)-\(timesteps).json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func start(_ args: [String], dir: String) throws -> ProcessResult {
        try run("snn-coord", ["start", "--standalone", "--limit", "64", "--max-steps", "1", "--quiet", "--db", dir + "/m.sqlite",
                              "--checkpoint-dir", dir + "/ck"] + args, cwd: dir, timeout: 60)
    }

    @Test func outputLayerSmallerThanTheClassesIsRefusedAtLoad() throws {
        let dir = temporaryDirectory()
        let r = try start(["--spec", try spec(in: dir, lastUnits: 7)], dir: dir)
        #expect(r.status == 1)
        #expect(r.stderr == "snn-coord: the spec's last layer gives 7 outputs but the data set has 10 classes: set the last layer's units to 10\n")
    }

    /// 100 000 steps or 10⁹ units used to abort with SIGABRT and a backtrace; now the estimate refuses them.
    @Test(arguments: [(10, 100_000), (1_000_000_000, 4)])
    func specTooLargeForThisMachineIsRefusedWithTheEstimate(units: Int, timesteps: Int) throws {
        let dir = temporaryDirectory()
        let r = try start(["--spec", try spec(in: dir, lastUnits: units, timesteps: timesteps)], dir: dir)
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("per micro-batch") && lines[0].contains("GiB"), "\(r.stderr)")
    }

    // Negative numbers reach validation too (they used to be read as an option: "Missing value").
    @Test(arguments: [["--limit", "0"], ["--checkpoint-every", "0"], ["--local-workers", "2"], ["--bind", "tcp://127.0.0.1:99999"],
                      ["--limit", "-5"], ["--epochs", "-1"], ["--max-steps", "-2"], ["--threads", "-1"]])
    func invalidOptionIsRefusedBeforeTraining(extra: [String]) throws {
        let dir = temporaryDirectory()
        let r = try start(["--spec", try spec(in: dir)] + extra, dir: dir)
        #expect(r.status == 64, "\(extra): \(r.stderr)")
        #expect(r.stderr.hasPrefix("snn-coord start: \(extra[0])"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
        #expect(committedSteps(db: dir + "/m.sqlite") == 0)
    }
}
